"""Report parameters: YAML defaults overlaid by ``-p name=value`` overrides.

Values keep their YAML types (``5`` is an int, ``0.5`` a float, ``true`` a bool, ``null`` None,
``[1, 2]`` a list) with one exception: dates and timestamps such as ``2025-06-30`` stay strings,
so a notebook receives exactly what was written and parses it itself.

Each notebook declares its parameters in the cell tagged ``parameters``; that cell is the source
of the names (read with :func:`papermill.inspect_notebook`). A notebook receives only the names it
declares; an override that no notebook of the run declares is an error.
"""

from __future__ import annotations

import ast
import difflib
import logging
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from crm_analysis.reports.errors import ReportConfigError
from crm_analysis.reports.notebooks import NotebookSpec
from crm_analysis.reports.settings import ENGINE_PARAMETER

_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"


class _NoDatesLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that leaves dates and timestamps as strings."""


_NoDatesLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != _TIMESTAMP_TAG]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def parse_value(text: str) -> Any:
    """Parse one value with YAML (safe) semantics, keeping dates as strings.

    Examples
    --------
    >>> parse_value("5"), parse_value("0.5"), parse_value("2025-06-30"), parse_value("null")
    (5, 0.5, '2025-06-30', None)
    """
    try:
        return yaml.load(text, Loader=_NoDatesLoader)  # a SafeLoader subclass
    except yaml.YAMLError:
        return text


def parse_override(item: str) -> tuple[str, Any]:
    """Split ``"name=value"`` and parse the value (see :func:`parse_value`)."""
    name, sep, text = item.partition("=")
    name = name.strip()
    if not sep or not name.isidentifier():
        raise ReportConfigError(f"bad parameter '{item}': expected name=value, e.g. seed=7")
    return name, parse_value(text)


def parse_overrides(items: Mapping[str, Any] | Iterable[str] | None) -> dict[str, Any]:
    """Overrides as a dict: a mapping is taken as is, strings are parsed as ``name=value``."""
    if items is None:
        return {}
    if isinstance(items, Mapping):
        return dict(items)
    return dict(parse_override(item) for item in items)


def load_config(path: Path | None, *, required: bool = True) -> dict[str, Any]:
    """Read the YAML file of default parameters (a flat mapping name -> value).

    Parameters
    ----------
    path : Path or None
        The file; ``None`` means no file.
    required : bool
        If false, a missing file gives ``{}`` instead of an error.
    """
    if path is None:
        return {}
    path = Path(path)
    if not path.is_file():
        if not required:
            return {}
        raise ReportConfigError(f"parameter file {path} does not exist")
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_NoDatesLoader)
    except yaml.YAMLError as exc:
        raise ReportConfigError(f"cannot parse parameter file {path}: {exc}") from exc
    if data is None:
        return {}
    if not isinstance(data, dict) or not all(isinstance(k, str) for k in data):
        raise ReportConfigError(f"{path} must hold a mapping of parameter names to values")
    return data


def declared_parameters(path: Path) -> dict[str, dict[str, Any]]:
    """Parameters a notebook declares in its ``parameters`` cell (papermill's inspection)."""
    import papermill

    quiet = logging.getLogger("papermill")
    level = quiet.level
    quiet.setLevel(logging.WARNING)  # not "Input Notebook: ..." for each inspection
    try:
        found = papermill.inspect_notebook(str(path))
    except Exception as exc:  # papermill raises several types for unreadable notebooks
        raise ReportConfigError(f"cannot inspect the parameters of {path.name}: {exc}") from exc
    finally:
        quiet.setLevel(level)
    return {name: dict(info) for name, info in found.items()}


def parameter_catalogue(paths: Sequence[Path], configured: Mapping[str, Any]
                        ) -> list[dict[str, Any]]:
    """Every parameter the notebooks at ``paths`` declare, once each, sorted by name.

    Each row: ``name``, ``default`` (the notebook's; the first notebook's when they differ),
    ``configured`` (the value in the parameter file, or the string ``"-"`` when it sets none)
    and ``meanings``: each comment written beside it in a ``parameters`` cell, with the
    notebooks that declare it so (one entry when they agree).
    """
    rows: dict[str, dict[str, Any]] = {}
    for path in paths:
        for name, info in declared_parameters(path).items():
            row = rows.setdefault(name, {"name": name, "default": notebook_default(info),
                                         "configured": configured.get(name, "-"),
                                         "meanings": {}})
            row["meanings"].setdefault(info.get("help") or "", []).append(path.stem)
    return [rows[name] for name in sorted(rows)]


def notebook_default(info: Mapping[str, Any]) -> Any:
    """The default value of a declared parameter (its source text if not a literal)."""
    text = info.get("default")
    if text is None:
        return None
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


_TYPE_CHECKS = {
    "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "float": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "bool": lambda v: isinstance(v, bool),
    "str": lambda v: isinstance(v, str),
}


def resolve_parameters(
    notebooks: Iterable[NotebookSpec],
    defaults: Mapping[str, Any],
    overrides: Mapping[str, Any],
    declared: Mapping[str, Mapping[str, Mapping[str, Any]]],
) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """Decide what each notebook receives.

    Parameters
    ----------
    notebooks : iterable of NotebookSpec
        The notebooks of the run.
    defaults : mapping
        Values from the YAML parameter file.
    overrides : mapping
        Values from the command line; they win over ``defaults``.
    declared : mapping
        ``{notebook name: declared parameters}`` from :func:`declared_parameters`.

    Returns
    -------
    injected : dict
        ``{notebook name: {parameter: value}}``, only names the notebook declares.
    notes : list of str
        Remarks for the run log (unused defaults, values whose type differs from the
        notebook's default).

    Raises
    ------
    ReportConfigError
        If an override names a parameter no notebook of the run declares.
    """
    notebooks = list(notebooks)
    known = sorted({name for nb in notebooks for name in declared.get(nb.name, {})})
    for name in overrides:
        if name not in known:
            close = difflib.get_close_matches(name, known, n=1, cutoff=0.5)
            hint = f" Did you mean '{close[0]}'?" if close else ""
            settable = [k for k in known if k != ENGINE_PARAMETER]  # the runner fills that one
            listing = ", ".join(settable) if settable else "none"
            raise ReportConfigError(
                f"unknown parameter '{name}': no notebook of this run declares it.{hint} "
                f"Declared parameters: {listing}"
            )
    notes = [
        f"parameter '{name}' from the parameter file is not declared by any notebook "
        "of this run; ignored"
        for name in sorted(defaults)
        if name not in known
    ]
    merged = {**defaults, **overrides}
    injected: dict[str, dict[str, Any]] = {}
    for nb in notebooks:
        mine = declared.get(nb.name, {})
        injected[nb.name] = {name: merged[name] for name in mine if name in merged}
        for name, value in injected[nb.name].items():
            expected = mine[name].get("inferred_type_name")
            check = _TYPE_CHECKS.get(str(expected))
            default = notebook_default(mine[name])
            if value is not None and default is not None and check and not check(value):
                notes.append(
                    f"{nb.name}: parameter '{name}' declared as {expected} "
                    f"gets {type(value).__name__} {value!r}"
                )
    return injected, notes


def effective_parameters(
    injected: Mapping[str, Any], declared: Mapping[str, Mapping[str, Any]]
) -> dict[str, Any]:
    """All declared parameters of a notebook with the values it runs with."""
    values = {name: notebook_default(info) for name, info in declared.items()}
    values.update(injected)
    return values
