"""Run settings: keys of the report config that steer the whole run, not one notebook.

A *setting* is read from the parameter file or ``-p name=value`` like a parameter, but no
notebook declares it: the runner hands it to every kernel as an environment variable, which the
package reads (so switching the transaction engine needs no change to a notebook). Settings are
recorded in ``run.json`` and shown on the run's index page.

=========================  ===========================  ======================================
setting                    environment variable         values
=========================  ===========================  ======================================
``engine``                 ``CRM_ENGINE``               ``pandas`` (default), ``duckdb``,
                                                        ``spark`` — see docs/engines.md
``duckdb_memory_limit``    ``CRM_DUCKDB_MEMORY_LIMIT``  e.g. ``2GB``
``duckdb_temp_directory``  ``CRM_DUCKDB_TEMP_DIR``      spill folder of the DuckDB engine
``spark_master``           ``CRM_SPARK_MASTER``         e.g. ``local[2]``, ``spark://host:7077``
=========================  ===========================  ======================================

``null`` (or leaving the key out) keeps whatever the environment of the runner already says.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Any

from crm_analysis.reports.errors import ReportConfigError

__all__ = ["SETTINGS", "kernel_environment", "split_settings"]

#: setting name -> environment variable handed to the kernels
SETTINGS: dict[str, str] = {
    "engine": "CRM_ENGINE",
    "duckdb_memory_limit": "CRM_DUCKDB_MEMORY_LIMIT",
    "duckdb_temp_directory": "CRM_DUCKDB_TEMP_DIR",
    "spark_master": "CRM_SPARK_MASTER",
}

_MEMORY = re.compile(r"^\s*\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)\s*$", re.IGNORECASE)


def _check(name: str, value: Any) -> str:
    from crm_analysis.features.engines import ENGINES

    text = str(value).strip()
    if name == "engine":
        if text not in ENGINES:
            raise ReportConfigError(
                f"setting engine={value!r} is not an engine; choose one of {', '.join(ENGINES)}")
        if text == "spark":
            import importlib.util

            if importlib.util.find_spec("pyspark") is None:
                raise ReportConfigError(
                    "setting engine=spark needs pyspark: pip install -e '.[spark]' "
                    "(and a Java runtime, 17 or later)")
    elif name == "duckdb_memory_limit" and not _MEMORY.match(text):
        raise ReportConfigError(
            f"setting duckdb_memory_limit={value!r} is not a size such as 2GB or 500MB")
    return text


def split_settings(
    defaults: Mapping[str, Any], overrides: Mapping[str, Any]
) -> tuple[dict[str, str], dict[str, Any], dict[str, Any]]:
    """Take the run settings out of the parameter-file values and the overrides.

    Parameters
    ----------
    defaults, overrides : mapping
        Values from the parameter file and from ``-p`` (overrides win).

    Returns
    -------
    settings : dict
        ``{setting: value as text}`` of the settings given a non-null value, checked.
    defaults, overrides : dict
        The inputs without the settings (what the notebooks' parameters are resolved from).

    Raises
    ------
    ReportConfigError
        A setting with a value it cannot take (unknown engine, malformed memory size, Spark
        without pyspark).
    """
    merged = {**defaults, **overrides}
    settings = {name: _check(name, merged[name]) for name in SETTINGS
                if merged.get(name) is not None}
    rest = [{k: v for k, v in values.items() if k not in SETTINGS}
            for values in (defaults, overrides)]
    return settings, rest[0], rest[1]


def kernel_environment(settings: Mapping[str, str]) -> dict[str, str]:
    """Environment variables for the kernels: ``{CRM_ENGINE: "duckdb", ...}``.

    Also ``ARROW_DEFAULT_MEMORY_POOL=system`` unless the environment chooses a pool: pandas 3
    keeps text in Arrow buffers, and pyarrow's default pool (mimalloc) keeps freed blocks for
    reuse, so a kernel that read and cleaned 20M order lines held about 1 GB more than it used
    (benchmarks/bench_reports.py); the C library's allocator hands large buffers back at once,
    at no measurable cost in speed.
    """
    env = {SETTINGS[name]: value for name, value in settings.items()}
    env.setdefault("ARROW_DEFAULT_MEMORY_POOL",
                   os.environ.get("ARROW_DEFAULT_MEMORY_POOL", "system"))
    return env
