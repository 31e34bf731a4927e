"""Headline numbers recorded inside notebooks and read back from executed notebooks.

A notebook calls :func:`record_metric`; it emits an ordinary display output carrying a custom
MIME type, so it works the same under JupyterLab, papermill and nbval (it is just a display).
The runner reads the values back from the executed notebook with :func:`read_metrics` and the
HTML export drops these outputs, so stakeholders never see them as raw text.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from typing import Any

METRIC_MIME = "application/vnd.crm-analysis.metric+json"
"""MIME type of a metric display output."""

MetricValue = int | float | str | bool | None


def _plain_value(value: Any) -> MetricValue:
    """Turn ``value`` into a JSON-safe scalar (numpy scalars become Python ones)."""
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        try:  # numpy scalars and 0-d arrays
            value = value.item()
        except (TypeError, ValueError) as exc:
            raise TypeError(f"metric value must be a scalar, got {type(value).__name__}") from exc
    if value is None or isinstance(value, str | bool):
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        value = float(value)
        return value if math.isfinite(value) else None
    raise TypeError(
        f"metric value must be a number or a string, got {type(value).__name__}: {value!r}"
    )


def format_metric(value: MetricValue, fmt: str | None = None) -> str:
    """Format a metric value for people: ``fmt`` is a ``format()`` spec such as ``",.0f"``.

    Parameters
    ----------
    value : int, float, str, bool or None
        The recorded value; ``None`` (a missing or non-finite number) shows as ``"n/a"``.
    fmt : str, optional
        Format specification, e.g. ``".1%"``; without it numbers get a sensible default.

    Returns
    -------
    str
    """
    if value is None:
        return "n/a"
    if fmt:
        try:
            return format(value, fmt)
        except (TypeError, ValueError):
            return str(value)
    if isinstance(value, float):
        return f"{value:,.4g}" if abs(value) < 1e6 else f"{value:,.0f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,d}"
    return str(value)


def metric_payload(
    name: str, value: Any, *, label: str | None = None, fmt: str | None = None,
    reason: str | None = None, note: str | None = None,
) -> dict[str, Any]:
    """Validate a metric and return its JSON payload (what :func:`record_metric` displays)."""
    if not isinstance(name, str) or not name.strip():
        raise ValueError("metric name must be a non-empty string")
    plain = _plain_value(value)
    if fmt is not None:
        if not isinstance(fmt, str):
            raise TypeError("fmt must be a format() specification string")
        if plain is not None and not isinstance(plain, str):
            format(plain, fmt)  # fail here, in the notebook, not later in the index
    payload = {"name": name, "value": plain, "label": label or name, "fmt": fmt}
    if plain is None:
        payload["reason"] = str(reason) if reason else "not computed"
    elif note:
        payload["note"] = str(note)
    return payload


def record_metric(
    name: str, value: Any, *, label: str | None = None, fmt: str | None = None,
    reason: str | None = None, note: str | None = None,
) -> None:
    """Record a headline number of a notebook for the run's index and ``run.json``.

    Parameters
    ----------
    name : str
        Stable key, e.g. ``"churn_auc"``; a later call with the same name wins.
    value : int, float, str or bool
        JSON-serialisable scalar; numpy scalars are converted, NaN and infinities become ``None``.
    label : str, optional
        Words for people, e.g. ``"Churn model AUC"`` (default: ``name``).
    fmt : str, optional
        ``format()`` specification used in the index, e.g. ``".3f"`` or ``",.0f"``.
    reason : str, optional
        Why the value is absent (``None``, NaN): a section the data could not support records
        its metric this way, so ``run.json`` says what is missing and why.
    note : str, optional
        What a present value means, in one sentence (e.g. why a verdict is "use with care");
        shown beside the value on the index page.

    Examples
    --------
    >>> record_metric("customers", 1234, label="Customers", fmt=",d")  # doctest: +SKIP
    """
    payload = metric_payload(name, value, label=label, fmt=fmt, reason=reason, note=note)
    text = f"metric {payload['label']}: {format_metric(payload['value'], fmt)}"
    if "reason" in payload or "note" in payload:
        text += f" ({payload.get('reason') or payload['note']})"
    try:
        from IPython import get_ipython
        from IPython.display import display
    except ImportError:  # plain Python without IPython: just say it
        print(text)
        return
    if get_ipython() is None:
        print(text)
        return
    display({METRIC_MIME: payload, "text/plain": text}, raw=True)


def is_metric_output(output: Mapping[str, Any]) -> bool:
    """Whether a notebook output is a metric display."""
    return output.get("output_type") in {"display_data", "execute_result"} and (
        METRIC_MIME in output.get("data", {})
    )


def read_metrics(nb: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Metrics recorded in an executed notebook, by name, in the order first recorded.

    Parameters
    ----------
    nb : nbformat.NotebookNode or dict
        The executed notebook.

    Returns
    -------
    dict
        ``{name: {"value": ..., "label": ..., "fmt": ...}}``; a name recorded twice keeps the
        last value.
    """
    metrics: dict[str, dict[str, Any]] = {}
    for cell in nb.get("cells", []):
        for output in cell.get("outputs", []) or []:
            if not is_metric_output(output):
                continue
            payload = output["data"][METRIC_MIME]
            if isinstance(payload, str):  # some writers store JSON as text
                import json

                payload = json.loads(payload)
            name = payload.get("name")
            if not name:
                continue
            metrics[name] = {
                "value": payload.get("value"),
                "label": payload.get("label") or name,
                "fmt": payload.get("fmt"),
            }
            for key in ("reason", "note"):
                if payload.get(key):
                    metrics[name][key] = payload[key]
    return metrics
