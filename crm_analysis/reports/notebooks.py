"""Find the report notebooks of a folder and put them in dependency order.

A notebook declares in its metadata the notebooks it cannot run without (``requires``), the
processed files those write that it reads (``needs``), and the notebooks whose outputs it uses
when they exist (``uses``: it runs after them, and runs on without them when they fail)::

    "metadata": {"crm_analysis": {"requires": ["01_data_cleaning"],
                                  "needs": ["orders.parquet", "cleaning.json"],
                                  "uses": ["03_customer_value"]}}

Names are file names without ``.ipynb``. The order is topological over ``requires`` and ``uses``,
ties broken by name, so ``01_...`` runs before ``02_...`` when neither needs the other.
"""

from __future__ import annotations

import difflib
import heapq
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from crm_analysis.reports.errors import ReportConfigError


@dataclass(frozen=True)
class NotebookSpec:
    """One notebook of the folder: its name, path, the notebooks it requires and uses, and the
    processed files it needs."""

    name: str
    path: Path
    requires: tuple[str, ...] = field(default=())
    needs: tuple[str, ...] = field(default=())
    uses: tuple[str, ...] = field(default=())

    @property
    def after(self) -> tuple[str, ...]:
        """Every notebook this one runs after when both are in a run."""
        return (*self.requires, *self.uses)


def _suggest(name: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.5)
    return f" Did you mean '{close[0]}'?" if close else ""


def _names(path: Path, meta: dict, key: str) -> tuple[str, ...]:
    values = meta.get(key, [])
    if isinstance(values, str):
        values = [values]
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise ReportConfigError(f"{path.name}: metadata crm_analysis.{key} must be a list of names")
    return tuple(values)


def read_spec(path: Path) -> NotebookSpec:
    """A notebook file's :class:`NotebookSpec` from its ``metadata.crm_analysis``."""
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ReportConfigError(f"cannot read notebook {path}: {exc}") from exc
    meta = nb.get("metadata", {}).get("crm_analysis", {})

    def notebooks(key: str) -> tuple[str, ...]:
        return tuple(n.removesuffix(".ipynb") for n in _names(path, meta, key))

    return NotebookSpec(path.stem, path.resolve(), notebooks("requires"),
                        _names(path, meta, "needs"), notebooks("uses"))


def discover_notebooks(notebooks_dir: Path) -> dict[str, NotebookSpec]:
    """All ``*.ipynb`` files directly in ``notebooks_dir`` (hidden files skipped), by name.

    Raises
    ------
    ReportConfigError
        If the folder does not exist, holds no notebook, or a notebook requires an unknown one.
    """
    notebooks_dir = Path(notebooks_dir)
    if not notebooks_dir.is_dir():
        raise ReportConfigError(f"notebook folder {notebooks_dir} does not exist")
    specs = {
        p.stem: read_spec(p)
        for p in sorted(notebooks_dir.glob("*.ipynb"))
        if not p.name.startswith(".")
    }
    if not specs:
        raise ReportConfigError(f"no notebooks (*.ipynb) in {notebooks_dir}")
    for spec in specs.values():
        for verb, names in (("requires", spec.requires), ("uses", spec.uses)):
            for req in names:
                if req not in specs:
                    raise ReportConfigError(
                        f"{spec.name} {verb} '{req}', which is not a notebook in "
                        f"{notebooks_dir}.{_suggest(req, specs)}"
                    )
    return specs


def resolve_names(names: Sequence[str], specs: dict[str, NotebookSpec]) -> list[str]:
    """Map user-given names (``03_customer_value``, ``03_customer_value.ipynb`` or ``03``)."""
    resolved: list[str] = []
    for raw in names:
        name = raw.strip().removesuffix(".ipynb")
        if not name:
            continue
        if name not in specs:
            by_number = [s for s in specs if s.split("_", 1)[0] == name]
            if len(by_number) != 1:
                raise ReportConfigError(
                    f"unknown notebook '{raw}'.{_suggest(name, specs)} "
                    f"Notebooks: {', '.join(sorted(specs))}"
                )
            name = by_number[0]
        if name not in resolved:
            resolved.append(name)
    if not resolved:
        raise ReportConfigError("no notebook selected")
    return resolved


def with_requirements(specs: dict[str, NotebookSpec], selected: Sequence[str]
                      ) -> tuple[list[str], list[str]]:
    """The selected notebooks and every notebook they require, directly or through another.

    Returns
    -------
    names : list of str
        The selection with its requirements.
    added : list of str
        The requirements that were not selected, sorted.
    """
    names = resolve_names(selected, specs)
    chosen, todo = set(names), list(names)
    while todo:
        for required in specs[todo.pop()].requires:
            if required not in chosen:
                chosen.add(required)
                todo.append(required)
    added = sorted(chosen - set(names))
    return [*names, *added], added


def order_notebooks(
    specs: dict[str, NotebookSpec], selected: Sequence[str] | None = None
) -> tuple[list[NotebookSpec], dict[str, list[str]]]:
    """Selected notebooks in dependency order.

    Parameters
    ----------
    specs : dict
        All notebooks of the folder, from :func:`discover_notebooks`.
    selected : sequence of str, optional
        Names to run; default all. Nothing else is added here: a requirement outside the
        selection is assumed to have written its outputs to the published processed set (the
        runner adds it with :func:`with_requirements` when nothing is published).

    Returns
    -------
    ordered : list of NotebookSpec
        Topological order over ``requires`` and ``uses``, ties broken by name.
    outside : dict
        ``{name: [required names not in the selection]}`` for notebooks that have such needs.

    Raises
    ------
    ReportConfigError
        On an unknown name or a dependency cycle.
    """
    names = resolve_names(selected, specs) if selected else sorted(specs)
    chosen = set(names)
    outside = {
        n: [r for r in specs[n].requires if r not in chosen]
        for n in names
        if any(r not in chosen for r in specs[n].requires)
    }
    waiting = {n: {r for r in specs[n].after if r in chosen} for n in names}
    ready = [n for n, reqs in waiting.items() if not reqs]
    heapq.heapify(ready)
    ordered: list[NotebookSpec] = []
    while ready:
        name = heapq.heappop(ready)
        ordered.append(specs[name])
        for other, reqs in waiting.items():
            if name in reqs:
                reqs.discard(name)
                if not reqs:
                    heapq.heappush(ready, other)
    if len(ordered) < len(names):
        stuck = sorted(n for n, reqs in waiting.items() if reqs)
        raise ReportConfigError(
            "dependency cycle among notebooks: "
            + ", ".join(f"{n} runs after {sorted(waiting[n])}" for n in stuck)
        )
    return ordered, outside
