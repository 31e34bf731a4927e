"""The runs before this one, read from their manifests: the front page's comparisons and trends.

Only successful runs of the same data root count (a reports folder may hold runs of several data
sets), oldest first, by the time they finished. Nothing but the ``run.json`` files is read, so the
history survives pruned processed sets.
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from crm_analysis.reports.latest import finished_runs

Manifest = Mapping[str, Any]


def earlier_runs(reports_dir: Path, data_dir: str, run_id: str) -> list[Manifest]:
    """Manifests of the successful runs of ``data_dir`` in ``reports_dir``, oldest first,
    without ``run_id`` (the run being written)."""
    out = []
    for _, folder, status in finished_runs(reports_dir):
        if status != "ok" or folder.name == run_id:
            continue
        try:
            manifest = json.loads((folder / "run.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if manifest.get("data_dir") == data_dir:
            out.append(manifest)
    return out


def recorded(manifest: Manifest, notebook: str, name: str) -> Mapping[str, Any] | None:
    """One headline number of a run as recorded (value, label, fmt, reason, note), or None."""
    for nb in manifest.get("notebooks", []):
        if nb.get("name") == notebook:
            return nb.get("metrics", {}).get(name)
    return None


def metric(manifest: Manifest, notebook: str, name: str) -> Any:
    """The value of one headline number of a run (None when absent or not computed)."""
    return (recorded(manifest, notebook, name) or {}).get("value")


def series(runs: Sequence[Manifest], notebook: str, name: str) -> list[tuple[str, float]]:
    """``(snapshot date, value)`` of one number across runs, runs without it left out."""
    out = []
    for manifest in runs:
        value = metric(manifest, notebook, name)
        if isinstance(value, int | float) and not isinstance(value, bool):
            day = metric(manifest, "01_data_cleaning", "snapshot_date") or manifest.get(
                "finished", "")[:10]
            out.append((str(day), float(value)))
    return out


def sparkline(points: Sequence[tuple[str, float]], *, width: int = 160, height: int = 36) -> str:
    """An inline SVG line of ``points`` (two or more), the last one marked; empty otherwise.

    The page stays self-contained: no script, no external resource. The title element names
    the first and last dates for screen readers and hover.
    """
    if len(points) < 2:
        return ""
    values = [v for _, v in points]
    lo, hi = min(values), max(values)
    span = (hi - lo) or 1.0
    step = (width - 8) / (len(values) - 1)
    xy = [(4 + i * step, height - 4 - (v - lo) / span * (height - 8)) for i, v in enumerate(values)]
    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in xy)
    last_x, last_y = xy[-1]
    title = html.escape(f"{points[0][0]} to {points[-1][0]}, {len(points)} runs")
    return (f'<svg class="spark" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
            f'role="img"><title>{title}</title><polyline fill="none" stroke="#0969da" '
            f'stroke-width="1.5" points="{path}"/><circle cx="{last_x:.1f}" cy="{last_y:.1f}" '
            'r="2.5" fill="#0969da"/></svg>')
