"""Execute report notebooks with papermill into ``reports/<run_id>/``.

A run, step by step:

1. Find the notebooks (:mod:`~crm_analysis.reports.notebooks`), order them by their declared
   requirements, resolve parameters (:mod:`~crm_analysis.reports.params`). Any problem here is
   a configuration error (exit code 2) and nothing is written.
2. Take the run id's lock (``reports/.<run_id>.lock``) and refuse an existing run id unless
   ``force``.
3. Create the run's own processed set in the data root (:mod:`~crm_analysis.reports.
   processed_sets`; leftovers of killed runs are removed first), and build the run's report in
   a hidden temporary folder next to its final place (:func:`crm_analysis.atomic.atomic_dir`).
   If the data root is the default one and its ``raw/`` is empty, the default synthetic data
   set is written first (under the data root's lock, so concurrent runs write it once).
4. Execute each notebook (kernel ``python3``, started with ``CRM_DATA_DIR``,
   ``CRM_PROCESSED_DIR`` = the run's set and ``CRM_RUN_ID`` in its environment, the runner's
   own environment unchanged; the run settings of :mod:`~crm_analysis.reports.settings` as the
   parameter ``engine_settings``; working folder = the notebook's folder; per-cell timeout);
   write the executed ``.ipynb`` and its ``.html``. A failing notebook gets a failure banner;
   notebooks that require it are skipped.
5. Write ``index.html`` and ``run.json``, mark the processed set finished, rename the report
   folder into place, and, if every notebook succeeded, publish the processed set as
   ``processed/current`` and point ``reports/latest`` at the run (each one rename).

Ctrl-C or SIGTERM at any point removes the temporary report folder and the run's processed set;
SIGKILL leaves them behind, unpublished, and the next run removes them. Earlier runs, the
published set and ``latest`` are untouched either way. Runs with different ids on one data root
run side by side: each reads only its own set.

Exit codes: 0 all notebooks ran, 1 a notebook failed, 2 bad input or configuration
(:class:`~crm_analysis.reports.errors.ReportConfigError`), 130 interrupted.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import re
import shutil
import sys
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from crm_analysis import config
from crm_analysis.atomic import TMP_PREFIX, atomic_dir
from crm_analysis.reports import manifest as mf
from crm_analysis.reports import processed_sets as sets
from crm_analysis.reports.dataroot import check_data_root, prepare_data_root
from crm_analysis.reports.errors import ReportConfigError, RunExistsError
from crm_analysis.reports.kernel import (
    KERNEL_NAME,
    kernel_manager_class,
    kernel_note,
    sigterm_as_interrupt,
)
from crm_analysis.reports.latest import LATEST, catch_up_latest, update_latest
from crm_analysis.reports.lock import run_lock
from crm_analysis.reports.metrics import read_metrics
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
from crm_analysis.reports.settings import ENGINE_PARAMETER, kernel_environment, split_settings

DEFAULT_TIMEOUT = 600
DEFAULT_NOTEBOOKS_DIR = config.PROJECT_ROOT / "notebooks"
DEFAULT_CONFIG = config.PROJECT_ROOT / "config" / "reports.yaml"

_RUN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


KERNEL_START_FAILED = "Kernel died before replying to kernel_info"
"""nbclient's message when a kernel process exits before it answers (no cell has run)."""

KERNEL_START_ATTEMPTS = 3
"""Kernels started per notebook before a start-up failure counts as the notebook's failure."""

BAD_INPUT_ERRORS = frozenset({"DataContractError"})
"""Exceptions that mean the data, not the code, is wrong: the run exits 2 (bad input)."""


@dataclass
class NotebookResult:
    """Outcome of one notebook of a run.

    Attributes
    ----------
    name : str
        File name without ``.ipynb``.
    status : str
        ``"ok"``, ``"failed"`` or ``"skipped"`` (a required notebook of the run did not succeed).
    duration_seconds : float or None
        Wall time of the execution (``None`` when skipped).
    error : dict or None
        ``{"type": ..., "message": ...}`` for a failed or skipped notebook.
    metrics : dict
        Values recorded with :func:`~crm_analysis.reports.record_metric`.
    parameters : dict
        Every declared parameter with the value it ran with.
    """

    name: str
    status: str
    duration_seconds: float | None = None
    error: dict[str, Any] | None = None
    metrics: dict[str, dict[str, Any]] = field(default_factory=dict)
    parameters: dict[str, Any] = field(default_factory=dict)
    requires: tuple[str, ...] = ()
    title: str | None = None
    html: str | None = None
    ipynb: str | None = None

    def as_json(self) -> dict[str, Any]:
        """The notebook's entry in ``run.json``."""
        return {
            "name": self.name,
            "title": self.title,
            "status": self.status,
            "duration_seconds": (
                None if self.duration_seconds is None else round(self.duration_seconds, 3)
            ),
            "error": self.error,
            "metrics": self.metrics,
            "requires": list(self.requires),
            "html": self.html,
            "ipynb": self.ipynb,
        }


@dataclass
class RunResult:
    """Outcome of :func:`run_reports`.

    Attributes
    ----------
    run_id : str
    run_dir : Path
        The finished run folder ``reports/<run_id>``.
    status : str
        ``"ok"`` or ``"failed"``.
    exit_code : int
        0 if every notebook succeeded, else 1.
    notebooks : list of NotebookResult
        In execution order.
    manifest : dict
        The content of ``run.json``.
    """

    run_id: str
    run_dir: Path
    status: str
    exit_code: int
    notebooks: list[NotebookResult]
    manifest: dict[str, Any]

    @property
    def processed_dir(self) -> Path:
        """The run's own processed set (published as ``processed/current`` if the run is ok)."""
        return Path(self.manifest["processed_dir"])

    @property
    def statuses(self) -> dict[str, str]:
        """``{notebook name: status}``."""
        return {nb.name: nb.status for nb in self.notebooks}

    def __getitem__(self, name: str) -> NotebookResult:
        for nb in self.notebooks:
            if nb.name == name:
                return nb
        raise KeyError(name)


class RunLog:
    """Progress lines to a stream (stderr) and, once attached, to ``run.log``."""

    def __init__(self, stream: IO[str] | None = None) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.file: IO[str] | None = None
        self._pending: list[str] = []

    def info(self, message: str) -> None:
        """Write one line (the file copy is time-stamped)."""
        stamp = dt.datetime.now(dt.UTC).strftime("%H:%M:%S")
        print(message, file=self.stream, flush=True)
        line = f"{stamp} {message}\n"
        if self.file is None:
            self._pending.append(line)
        else:
            self.file.write(line)
            self.file.flush()

    def attach(self, path: Path) -> IO[str]:
        """Start copying to ``path`` (earlier lines included); returns the open file."""
        self.file = path.open("a", encoding="utf-8")
        self.file.writelines(self._pending)
        self.file.flush()
        self._pending.clear()
        return self.file

    def close(self) -> None:
        """Close the file copy."""
        if self.file is not None:
            self.file.close()
            self.file = None


def utc_now() -> dt.datetime:
    """The current time in UTC, to the second."""
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def default_run_id(now: dt.datetime | None = None) -> str:
    """A UTC time stamp such as ``20261124T235959Z``."""
    return (now or utc_now()).strftime("%Y%m%dT%H%M%SZ")


def check_run_id(run_id: str) -> str:
    """Accept letters, digits, ``.``, ``_`` and ``-`` (not leading), not ``latest``."""
    if not _RUN_ID.match(run_id) or run_id == LATEST:
        raise ReportConfigError(
            f"bad run id '{run_id}': use letters, digits, '.', '_' or '-' "
            "(not first), at most 100 characters, and not 'latest'"
        )
    return run_id


# ----------------------------------------------------------------------------- one notebook


def _execute(
    spec: NotebookSpec,
    out: Path,
    parameters: Mapping[str, Any],
    *,
    data_dir: Path,
    timeout: float | None,
    progress: bool,
    kernel_output: IO[str] | None,
    env: Mapping[str, str],
) -> tuple[str, Any]:
    """Run one notebook; returns ``(status, failure or None)``."""
    import papermill
    from nbclient.exceptions import CellTimeoutError
    from papermill.exceptions import PapermillExecutionError

    from crm_analysis.reports.html import Failure

    try:
        for attempt in range(1, KERNEL_START_ATTEMPTS + 1):
            try:
                papermill.execute_notebook(
                    str(spec.path),
                    str(out),
                    parameters=dict(parameters),
                    kernel_name=KERNEL_NAME,
                    progress_bar=progress,
                    log_output=False,
                    execution_timeout=math.ceil(timeout) if timeout else None,
                    cwd=str(spec.path.parent),
                    kernel_manager_class=kernel_manager_class(
                        kernel_output, {"CRM_DATA_DIR": str(data_dir), **env}),
                )
                break
            except RuntimeError as exc:
                # the kernel died before running a cell, e.g. a port another process took
                # between being chosen and bound: start a new kernel (no cell has run)
                if KERNEL_START_FAILED not in str(exc) or attempt == KERNEL_START_ATTEMPTS:
                    raise
                if kernel_output is not None:
                    print(f"{spec.name}: the kernel died while starting ({exc}); starting "
                          "a new one", file=kernel_output, flush=True)
    except PapermillExecutionError as exc:
        return "failed", Failure("error", exc.ename, exc.evalue)
    except CellTimeoutError as exc:
        return "failed", Failure(
            "timeout", type(exc).__name__, str(exc).split("\n")[0], None, None, timeout
        )
    except Exception as exc:  # dead kernel, unreadable notebook, ...
        return "failed", Failure("error", type(exc).__name__, str(exc).split("\n")[0])
    return "ok", None


def _run_one(
    spec: NotebookSpec,
    tmp: Path,
    final: Path,
    injected: Mapping[str, Any],
    declared: Mapping[str, Any],
    *,
    run_id: str,
    data_dir: Path,
    timeout: float | None,
    progress: bool,
    kernel_output: IO[str] | None,
    env: Mapping[str, str],
) -> NotebookResult:
    import nbformat

    from crm_analysis.reports.html import find_failure, notebook_html, notebook_title

    out = tmp / f"{spec.name}.ipynb"
    start = time.monotonic()
    status, failure = _execute(
        spec,
        out,
        injected,
        data_dir=data_dir,
        timeout=timeout,
        progress=progress,
        kernel_output=kernel_output,
        env=env,
    )
    duration = time.monotonic() - start
    executed = out.is_file()
    nb = nbformat.read(out if executed else spec.path, as_version=4)
    if executed:  # papermill recorded the temporary path; record the final one
        nb.metadata.setdefault("papermill", {})["output_path"] = str(final / out.name)
        nbformat.write(nb, out)
    if failure is not None:
        failure = find_failure(
            nb, kind=failure.kind, ename=failure.ename, evalue=failure.evalue, timeout=timeout
        )
    (tmp / f"{spec.name}.html").write_text(
        notebook_html(nb, name=spec.name, run_id=run_id, failure=failure), encoding="utf-8"
    )
    return NotebookResult(
        name=spec.name,
        status=status,
        duration_seconds=duration,
        error=None if failure is None else {"type": failure.ename, "message": failure.sentence()},
        metrics=read_metrics(nb) if executed else {},
        parameters=effective_parameters(injected, declared),
        requires=spec.requires,
        title=notebook_title(nb, spec.name),
        html=f"{spec.name}.html",
        ipynb=f"{spec.name}.ipynb" if executed else None,
    )


# ----------------------------------------------------------------------------- the run


def _json_dump(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, indent=2, ensure_ascii=False, default=str) + "\n"


def _remove_stale(reports_dir: Path, run_id: str) -> None:
    """Temporary folders of this run id left by a killed run (safe: we hold its lock).

    Only ``.tmp-<run_id>.<8 random characters>`` matches, never another run id's folder.
    """
    pattern = re.compile(rf"^{re.escape(TMP_PREFIX + run_id)}\.[a-z0-9_]{{8}}$")
    for stale in reports_dir.iterdir():
        if pattern.match(stale.name) and stale.is_dir() and not stale.is_symlink():
            shutil.rmtree(stale, ignore_errors=True)


def run_reports(
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
    stream: IO[str] | None = None,
) -> RunResult:
    """Execute report notebooks in dependency order and publish them as one run.

    Parameters
    ----------
    notebooks_dir : path, optional
        Folder of ``*.ipynb`` notebooks (default ``<project>/notebooks``).
    data_dir : path, optional
        Data root with ``raw/`` and ``processed/`` (default :func:`crm_analysis.config.data_dir`).
        Passed to the kernels as ``CRM_DATA_DIR``. If it is the default root and ``raw/`` is
        empty, the default synthetic data set is written first; any other root needs data.
    reports_dir : path, optional
        Where runs go (default :func:`crm_analysis.config.reports_dir`).
    run_id : str, optional
        Name of the run folder (default: UTC time stamp such as ``20261124T235959Z``).
    config_path : path, optional
        YAML file of default parameters (default ``<project>/config/reports.yaml`` if present).
    overrides : mapping or iterable of ``"name=value"`` strings, optional
        Parameter values that win over the file; strings are parsed as YAML, dates kept as text.
    notebooks : sequence of str, optional
        Names to run (default all). Their requirements are added when no processed set is
        published yet; otherwise the published set provides the outputs of those left out.
    force : bool
        Replace an existing run with the same id.
    timeout : float or None
        Per-cell limit in seconds (``None`` or 0: no limit).
    keep : int, optional
        After a successful run, keep only the ``keep`` newest runs (report folders and
        processed sets; :func:`~crm_analysis.reports.prune.prune`). Default: keep all.
    stream : file, optional
        Where progress lines go (default ``sys.stderr``).

    Returns
    -------
    RunResult
        With ``exit_code`` 0 (all ok), 1 (a notebook failed) or 2 (a notebook stopped on bad
        input data: ``DataContractError``).

    Raises
    ------
    ReportConfigError
        Bad input or configuration (exit code 2); nothing is written.
    KeyboardInterrupt
        On Ctrl-C or SIGTERM, after removing the unfinished run folder.
    """
    log = RunLog(stream)
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

    out_root.mkdir(parents=True, exist_ok=True)
    final = out_root / run_id
    processed_set = None
    try:
        with sigterm_as_interrupt(), run_lock(out_root, run_id):
            if final.exists() and not force:
                raise RunExistsError(
                    f"run '{run_id}' already exists in {out_root}; choose another --run-id "
                    "or pass --force to replace it"
                )
            _remove_stale(out_root, run_id)
            stale = remove_dead_runs(out_root)
            catch_up_latest(out_root, sets.current_run_id(root), log)
            processed_set, leftovers = sets.new_set(root, run_id)
            with atomic_dir(final, overwrite=force) as tmp:
                kernel_output = log.attach(tmp / "run.log")
                for folder in [*stale, *leftovers]:
                    log.info(f"removed the leftovers of a run that was killed: {folder}")
                try:
                    result = _run(
                        log,
                        tmp,
                        final,
                        ordered,
                        outside,
                        injected,
                        declared,
                        notes,
                        run_id=run_id,
                        started=started,
                        nb_dir=nb_dir,
                        root=root,
                        processed_set=processed_set,
                        is_default_root=is_default_root,
                        param_file=param_file,
                        defaults=defaults,
                        given=given,
                        settings=settings,
                        timeout=timeout,
                        kernel_output=kernel_output,
                    )
                finally:
                    log.close()
                processed_set.finish(result.status)
                checkpoint("finished")
            ok = result.status == "ok"
            if ok:
                checkpoint("before-publish")
                sets.publish(processed_set)
                checkpoint("published")
            update_latest(out_root, run_id, ok, log)
            processed_set.close()
            if ok and keep is not None:
                from crm_analysis.reports.prune import prune

                for gone in prune(out_root, root, keep):
                    log.info(f"pruned {gone}")
    except BaseException as exc:
        if processed_set is not None and not (processed_set.path / sets.COMPLETE).exists():
            processed_set.discard()  # unfinished: never published, nobody else reads it
        elif processed_set is not None:
            processed_set.close()
        if isinstance(exc, KeyboardInterrupt):
            log.close()
            log.info(f"interrupted: run '{run_id}' abandoned, no run folder written")
        raise
    return result


def checkpoint(name: str) -> None:
    """Fault injection for the crash tests: ``CRM_TEST_KILL_AT=<name>`` makes the run kill
    itself with SIGKILL here, as a power cut or the OOM killer would. Never set in use."""
    if os.environ.get("CRM_TEST_KILL_AT") == name:
        import signal

        os.kill(os.getpid(), signal.SIGKILL)


def remove_dead_runs(reports_dir: Path) -> list[Path]:
    """Temporary report folders of killed runs of any run id (their run lock is free)."""
    from crm_analysis.reports.errors import RunLockedError

    pattern = re.compile(rf"^{re.escape(TMP_PREFIX)}(.+)\.[a-z0-9_]{{8}}$")
    removed = []
    for stale in sorted(reports_dir.iterdir()):
        found = pattern.match(stale.name)
        if not found or not stale.is_dir() or stale.is_symlink():
            continue
        other = found.group(1)
        if not _RUN_ID.match(other) or other == LATEST:
            continue
        try:
            with run_lock(reports_dir, other):
                shutil.rmtree(stale, ignore_errors=True)
                removed.append(stale)
        except RunLockedError:
            continue  # that run is alive
    return removed


def _missing_inputs(spec: NotebookSpec, results: Mapping[str, NotebookResult],
                    processed: Path) -> str | None:
    """Why ``spec`` cannot run, in words, or None: a required notebook of this run did not
    finish, or a processed file it needs is not there. Notebooks it only ``uses`` never stop it."""
    blocked = [r for r in spec.requires if r in results and results[r].status != "ok"]
    needs = ", ".join(spec.needs) or "its outputs"
    if blocked:
        return (f"it needs {needs} from " + ", ".join(f"{r}, which {results[r].status}"
                                                     for r in blocked))
    missing = [f for f in spec.needs if not (processed / f).is_file()]
    if missing:
        return (f"it needs {', '.join(missing)} in {processed}, which "
                f"{'is' if len(missing) == 1 else 'are'} missing: run "
                f"{', '.join(spec.requires) or 'the notebook that writes it'} first")
    return None


def _run(
    log: RunLog,
    tmp: Path,
    final: Path,
    ordered: list[NotebookSpec],
    outside: Mapping[str, list[str]],
    injected: Mapping[str, Mapping[str, Any]],
    declared: Mapping[str, Any],
    notes: list[str],
    *,
    run_id: str,
    started: dt.datetime,
    nb_dir: Path,
    root: Path,
    processed_set: sets.ProcessedSet,
    is_default_root: bool,
    param_file: Path,
    defaults: Mapping[str, Any],
    given: Mapping[str, Any],
    settings: Mapping[str, Any],
    timeout: float | None,
    kernel_output: IO[str],
) -> RunResult:
    """The body of a run, inside the temporary run folder."""
    log.info(f"run {run_id}: {len(ordered)} notebook(s) from {nb_dir}")
    log.info(f"data root {root}")
    log.info(f"processed set {processed_set.path}")
    for name, value in settings.items():
        log.info(f"setting {name} = {value}")
    for note in [kernel_note(), *notes]:
        if note:
            log.info(note)
    prepare_data_root(root, is_default=is_default_root, log=log)
    published = sets.current_set(root)
    if outside:
        for name, missing in outside.items():
            log.info(f"{name} requires {', '.join(missing)}, not part of this run: its "
                     "outputs come from the published processed set")
        if published is not None:
            copied = sets.seed_from(processed_set, published)
            log.info(f"started from the published set {published.name} ({len(copied)} files)")
    fingerprint = mf.data_fingerprint(root / "raw")
    log.info(f"raw data: {fingerprint['files']} file(s), sha256 {fingerprint['sha256'][:16]}")

    progress = bool(getattr(log.stream, "isatty", lambda: False)())
    results: dict[str, NotebookResult] = {}
    total = len(ordered)
    for i, spec in enumerate(ordered, 1):
        prefix = f"[{i}/{total}] {spec.name}"
        why = _missing_inputs(spec, results, processed_set.path)
        if why:
            results[spec.name] = NotebookResult(
                name=spec.name,
                status="skipped",
                error={"type": "DependencyFailed", "message": f"skipped because {why}"},
                parameters=effective_parameters(injected[spec.name], declared[spec.name]),
                requires=spec.requires,
            )
            log.info(f"{prefix} ... skipped ({why})")
            continue
        log.info(f"{prefix} started")
        result = _run_one(
            spec,
            tmp,
            final,
            injected[spec.name],
            declared[spec.name],
            run_id=run_id,
            data_dir=root,
            timeout=timeout,
            progress=progress,
            kernel_output=kernel_output,
            env={**kernel_environment(), config.PROCESSED_ENV: str(processed_set.path),
                 "CRM_RUN_ID": run_id},
        )
        results[spec.name] = result
        checkpoint(f"after-{spec.name}")
        line = f"{prefix} ... {result.status} ({result.duration_seconds:.1f} s)"
        if result.error:
            line += f": {result.error['message']}"
        log.info(line)

    from crm_analysis.reports.front import currency
    from crm_analysis.reports.history import earlier_runs
    from crm_analysis.reports.index import index_html
    from crm_analysis.reports.published_lists import publish_lists
    from crm_analysis.reports.trend_chart import trend_chart

    notebooks = [results[spec.name] for spec in ordered]
    ok = all(nb.status == "ok" for nb in notebooks)
    bad_input = any(nb.error and nb.error["type"] in BAD_INPUT_ERRORS for nb in notebooks)
    finished = utc_now()
    manifest = {
        "run_id": run_id,
        "started": started.isoformat(),
        "finished": finished.isoformat(),
        "status": "ok" if ok else "failed",
        "exit_code": 0 if ok else (2 if bad_input else 1),
        "notebooks_dir": str(nb_dir),
        "data_dir": str(root),
        "data": {"raw_dir": str(root / "raw"), **fingerprint},
        "processed_dir": str(processed_set.path),
        "parameters": {nb.name: nb.parameters for nb in notebooks},
        "parameter_file": str(param_file) if param_file.is_file() else None,
        "parameter_file_values": dict(defaults),
        "overrides": dict(given),
        "settings": dict(settings),
        "timeout_seconds": timeout,
        "kernel": KERNEL_NAME,
        "versions": mf.package_versions(),
        "git": mf.git_state(config.PROJECT_ROOT),
        "notebooks": [nb.as_json() for nb in notebooks],
    }
    published = publish_lists(processed_set.path, tmp,
                              {nb.name for nb in notebooks if nb.status == "ok"})
    earlier = earlier_runs(final.parent, str(root), run_id)
    try:
        chart = trend_chart(processed_set.path, currency=currency(manifest))
    except Exception as exc:  # a decoration: the run's results stand without it
        chart = ""
        log.info(f"warning: the front page's chart could not be drawn: "
                 f"{type(exc).__name__}: {exc}")
    manifest["lists"] = published
    (tmp / "index.html").write_text(index_html(manifest, earlier=earlier, chart=chart,
                                               lists=published), encoding="utf-8")
    (tmp / "run.json").write_text(_json_dump(manifest), encoding="utf-8")
    counts = {s: sum(nb.status == s for nb in notebooks) for s in ("ok", "failed", "skipped")}
    log.info(
        f"run {run_id} {manifest['status']}: "
        + ", ".join(f"{n} {s}" for s, n in counts.items() if n)
        + f" -> {final}"
    )
    return RunResult(
        run_id=run_id,
        run_dir=final,
        status=manifest["status"],
        exit_code=manifest["exit_code"],
        notebooks=notebooks,
        manifest=manifest,
    )
