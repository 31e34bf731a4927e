"""Run settings: keys of the report config that steer the whole run, not one notebook.

A *setting* is read from the parameter file or ``-p name=value`` like a parameter, but no
notebook declares it under its own name: the runner checks the settings once, builds the
engine configuration (:class:`crm_analysis.engines.EngineConfig`) and hands it to every notebook
that declares the parameter ``engine_settings`` (``{"engine": "duckdb", ...}``, only the
settings given), which the notebook turns into its engine with
``EngineConfig.from_settings(engine_settings)``. The runner's own environment is never changed,
so a notebook runs on the same engine under the runner as in JupyterLab with the same
parameters. Settings are recorded in ``run.json`` and shown on the run's index page.

The settings are the fields of the engine configuration (see :mod:`crm_analysis.engines.config`
for their meaning): ``engine`` (``pandas``, ``duckdb``, ``spark``), ``duckdb_memory_limit``,
``duckdb_temp_directory``, ``duckdb_threads``, ``spark_master``, ``spark_driver_memory``,
``spark_shuffle_partitions``. ``null`` (or leaving the key out) keeps the default.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Mapping
from typing import Any

from crm_analysis.engines import ENVIRONMENT, EngineConfig
from crm_analysis.reports.errors import ReportConfigError

__all__ = ["ENGINE_PARAMETER", "SETTINGS", "engine_config", "kernel_environment",
           "split_settings"]

SETTINGS: tuple[str, ...] = tuple(ENVIRONMENT)
"""The run settings: every field of the engine configuration."""

ENGINE_PARAMETER = "engine_settings"
"""The notebook parameter through which a notebook receives the run's engine settings."""


def engine_config(settings: Mapping[str, Any]) -> EngineConfig:
    """The engine configuration of checked run settings.

    Raises
    ------
    ReportConfigError
        A setting with a value it cannot take (unknown engine, malformed memory size, Spark
        without pyspark), naming the setting.
    """
    try:
        config = EngineConfig.from_settings(settings)
    except ValueError as exc:
        raise ReportConfigError(f"setting {exc}") from None
    if config.name == "spark" and importlib.util.find_spec("pyspark") is None:
        raise ReportConfigError("setting engine=spark needs pyspark: pip install -e '.[spark]' "
                                "(and a Java runtime, 17 or later)")
    return config


def split_settings(
    defaults: Mapping[str, Any], overrides: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """Take the run settings out of the parameter-file values and the overrides.

    Parameters
    ----------
    defaults, overrides : mapping
        Values from the parameter file and from ``-p`` (overrides win).

    Returns
    -------
    settings : dict
        ``{setting: value}`` of the settings given a non-null value, checked
        (:meth:`EngineConfig.settings` of the configuration they make).
    defaults, overrides : dict
        The inputs without the settings (what the notebooks' parameters are resolved from).

    Raises
    ------
    ReportConfigError
        A setting with a value it cannot take, or a value given for ``engine_settings``
        itself (the runner fills it from the settings).
    """
    merged = {**defaults, **overrides}
    if ENGINE_PARAMETER in merged:
        raise ReportConfigError(
            f"{ENGINE_PARAMETER} is filled by the runner from the run settings; give "
            f"{', '.join(SETTINGS)} instead")
    given = {name: merged[name] for name in SETTINGS if merged.get(name) is not None}
    settings = engine_config(given).settings()
    rest = [{k: v for k, v in values.items() if k not in SETTINGS}
            for values in (defaults, overrides)]
    return settings, rest[0], rest[1]


def kernel_environment() -> dict[str, str]:
    """Environment variables for the kernels (besides the data locations of the run).

    ``ARROW_DEFAULT_MEMORY_POOL=system`` unless the environment chooses a pool: pandas 3
    keeps text in Arrow buffers, and pyarrow's default pool (mimalloc) keeps freed blocks for
    reuse, so a kernel that read and cleaned 20M order lines held about 1 GB more than it used
    (benchmarks/bench_reports.py); the C library's allocator hands large buffers back at once,
    at no measurable cost in speed.
    """
    return {"ARROW_DEFAULT_MEMORY_POOL": os.environ.get("ARROW_DEFAULT_MEMORY_POOL", "system")}
