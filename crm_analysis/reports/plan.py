"""A report run's plan: every check and resolution made before anything is written.

:func:`plan_run` takes what :func:`~crm_analysis.reports.runner.run_reports` takes (less the
progress stream), checks it and resolves it into a frozen :class:`RunPlan`: the folders, the run
id, the notebooks in execution order, what each one receives (the run settings included, as the
parameter ``engine_settings`` of the notebooks that declare it) and the notes for the run log.
Any problem is a :class:`~crm_analysis.reports.errors.ReportConfigError` (exit code 2).

Planning reads the notebooks, the parameter file and the data root and writes nothing: no
report folder, no lock, no processed set. :func:`~crm_analysis.reports.runner.execute_plan`
carries a plan out.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from crm_analysis import config
from crm_analysis.reports import processed_sets as sets
from crm_analysis.reports.dataroot import check_data_root
from crm_analysis.reports.errors import ReportConfigError
from crm_analysis.reports.notebooks import (
    NotebookSpec,
    discover_notebooks,
    order_notebooks,
    with_requirements,
)
from crm_analysis.reports.params import (
    declared_parameters,
    effective_parameters,
    load_config,
    parse_overrides,
    resolve_parameters,
)
from crm_analysis.reports.runid import check_run_id, default_run_id, utc_now
from crm_analysis.reports.settings import ENGINE_PARAMETER, split_settings

DEFAULT_TIMEOUT = 600
DEFAULT_NOTEBOOKS_DIR = config.PROJECT_ROOT / "notebooks"
DEFAULT_CONFIG = config.PROJECT_ROOT / "config" / "reports.yaml"


@dataclass(frozen=True)
class RunPlan:
    """A checked report run, ready to execute; built by :func:`plan_run`.

    Attributes
    ----------
    run_id : str
        The checked run id.
    started : datetime
        When the run was planned (UTC, to the second): the default run id and ``started`` in
        ``run.json``.
    notebooks_dir, data_dir, reports_dir : Path
        Resolved folders; ``data_dir`` is the data root (never ``raw/`` itself).
    is_default_root : bool
        Whether ``data_dir`` is the default data root (an empty ``raw/`` gets synthetic data).
    notebooks : tuple of NotebookSpec
        The notebooks to run, in execution order.
    outside : mapping
        ``{notebook: [required notebooks not in the run]}``: their outputs come from the
        published processed set.
    declared : mapping
        ``{notebook: its declared parameters}``.
    injected : mapping
        ``{notebook: {parameter: value}}`` handed to papermill, ``engine_settings`` included.
    parameter_file : Path
        The YAML parameter file (it may not exist when it was not named).
    defaults, given : mapping
        Parameter values from the file and from the overrides, without the run settings.
    settings : mapping
        The checked run settings.
    notes : tuple of str
        Remarks for the run log (unused defaults, type mismatches, added notebooks).
    timeout : float or None
        Per-cell limit in seconds (``None``: no limit).
    force : bool
        Replace an existing run with the same id.
    keep : int or None
        After a successful run, keep only this many newest runs.
    """

    run_id: str
    started: dt.datetime
    notebooks_dir: Path
    data_dir: Path
    is_default_root: bool
    reports_dir: Path
    notebooks: tuple[NotebookSpec, ...]
    outside: Mapping[str, list[str]]
    declared: Mapping[str, Mapping[str, Mapping[str, Any]]]
    injected: Mapping[str, Mapping[str, Any]]
    parameter_file: Path
    defaults: Mapping[str, Any]
    given: Mapping[str, Any]
    settings: Mapping[str, Any]
    notes: tuple[str, ...]
    timeout: float | None
    force: bool = False
    keep: int | None = None

    @property
    def run_dir(self) -> Path:
        """The run's final folder, ``reports/<run_id>``."""
        return self.reports_dir / self.run_id

    def parameters(self, name: str) -> dict[str, Any]:
        """Every declared parameter of notebook ``name`` with the value it runs with."""
        return effective_parameters(self.injected[name], self.declared[name])


def plan_run(
    notebooks_dir: str | os.PathLike[str] | None = None,
    data_dir: str | os.PathLike[str] | None = None,
    reports_dir: str | os.PathLike[str] | None = None,
    run_id: str | None = None,
    config_path: str | os.PathLike[str] | None = None,
    overrides: Mapping[str, Any] | Iterable[str] | None = None,
    notebooks: Sequence[str] | None = None,
    force: bool = False,
    timeout: float | None = DEFAULT_TIMEOUT,
    *,
    keep: int | None = None,
) -> RunPlan:
    """Check and resolve a run's inputs; write nothing.

    The parameters are those of :func:`~crm_analysis.reports.runner.run_reports`, less
    ``stream``.

    Raises
    ------
    ReportConfigError
        Bad input or configuration (exit code 2): bad run id, timeout or ``keep``, unknown
        notebook or parameter, dependency cycle, unreadable parameter file, bad run setting,
        no data in a data root given explicitly.
    """
    started = utc_now()
    nb_dir = Path(notebooks_dir or DEFAULT_NOTEBOOKS_DIR).resolve()
    root = Path(data_dir).resolve() if data_dir is not None else config.data_dir()
    if root.name == "raw" and not (root / "raw").exists():
        root = root.parent  # raw/ itself was given: its data root is the folder above
    is_default_root = root == config.data_dir()
    out_root = Path(reports_dir).resolve() if reports_dir is not None else config.reports_dir()
    run_id = check_run_id(run_id or default_run_id(started))
    timeout = timeout or None
    if timeout is not None and timeout < 0:
        raise ReportConfigError("timeout must be positive (or 0 for no limit)")
    if keep is not None and keep < 1:
        raise ReportConfigError(f"--keep must be at least 1, got {keep}")

    specs = discover_notebooks(nb_dir)
    added: list[str] = []
    if notebooks and sets.current_set(root) is None:  # nothing to take their outputs from
        notebooks, added = with_requirements(specs, notebooks)
    ordered, outside = order_notebooks(specs, notebooks)
    param_file = Path(config_path) if config_path is not None else DEFAULT_CONFIG
    defaults = load_config(param_file, required=config_path is not None)
    settings, defaults, given = split_settings(defaults, parse_overrides(overrides))
    declared = {nb.name: declared_parameters(nb.path) for nb in ordered}
    injected, notes = resolve_parameters(ordered, defaults, given, declared)
    for nb in ordered:  # the run's engine, as a parameter: the kernels' environment says none
        if ENGINE_PARAMETER in declared[nb.name]:
            injected[nb.name][ENGINE_PARAMETER] = dict(settings)
    notes = [*notes, *(f"added {name}: the selected notebooks require it and no processed set "
                       "is published yet to take its outputs from" for name in added)]
    check_data_root(root, is_default=is_default_root)
    return RunPlan(
        run_id=run_id,
        started=started,
        notebooks_dir=nb_dir,
        data_dir=root,
        is_default_root=is_default_root,
        reports_dir=out_root,
        notebooks=tuple(ordered),
        outside=outside,
        declared=declared,
        injected=injected,
        parameter_file=param_file,
        defaults=defaults,
        given=given,
        settings=settings,
        notes=tuple(notes),
        timeout=timeout,
        force=force,
        keep=keep,
    )
