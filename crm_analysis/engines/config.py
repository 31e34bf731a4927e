"""The engine configuration: which engine scans the transactions, and with what limits.

One frozen :class:`EngineConfig` is built once and handed to every function behind the engine
seam (``engine=``). A report run builds it from its run settings and hands them to each notebook
as the parameter ``engine_settings``; interactive code builds it by hand or from the environment
(:meth:`EngineConfig.from_environment`). Nothing reads the environment behind a caller's back:
``engine=None`` means pandas.

=========================  ================================  ===============================
run setting / field        environment variable              values
=========================  ================================  ===============================
``engine`` (``name``)      ``CRM_ENGINE``                    ``pandas`` (default), ``duckdb``,
                                                             ``spark``
``duckdb_memory_limit``    ``CRM_DUCKDB_MEMORY_LIMIT``       e.g. ``2GB`` (DuckDB's: 80% of RAM)
``duckdb_temp_directory``  ``CRM_DUCKDB_TEMP_DIR``           spill folder
``duckdb_threads``         ``CRM_DUCKDB_THREADS``            a positive integer (all cores)
``spark_master``           ``CRM_SPARK_MASTER``              e.g. ``local[2]`` (the default),
                                                             ``spark://host:7077``
``spark_driver_memory``    ``CRM_SPARK_DRIVER_MEMORY``       e.g. ``4g`` (Spark's: 1g)
``spark_shuffle_partitions``  ``CRM_SPARK_SHUFFLE_PARTITIONS``  a positive integer (Spark's: 200)
=========================  ================================  ===============================
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["ENGINES", "ENVIRONMENT", "EngineConfig", "as_engine"]

ENGINES = ("pandas", "duckdb", "spark")
"""The engines, pandas first (the default)."""

ENVIRONMENT: dict[str, str] = {
    "engine": "CRM_ENGINE",
    "duckdb_memory_limit": "CRM_DUCKDB_MEMORY_LIMIT",
    "duckdb_temp_directory": "CRM_DUCKDB_TEMP_DIR",
    "duckdb_threads": "CRM_DUCKDB_THREADS",
    "spark_master": "CRM_SPARK_MASTER",
    "spark_driver_memory": "CRM_SPARK_DRIVER_MEMORY",
    "spark_shuffle_partitions": "CRM_SPARK_SHUFFLE_PARTITIONS",
}
"""Setting name -> the environment variable :meth:`EngineConfig.from_environment` reads."""

_DUCKDB_SIZE = re.compile(r"^\s*\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)\s*$", re.IGNORECASE)
_SPARK_SIZE = re.compile(r"^\s*\d+\s*[kmgt]b?\s*$", re.IGNORECASE)


def _positive_int(name: str, value: Any) -> int | None:
    if value is None or value == "":
        return None
    try:
        number = int(str(value).strip())
    except ValueError:
        number = 0
    if number < 1 or str(value).strip() not in (str(number), f"{number}.0"):
        raise ValueError(f"{name}={value!r} is not a positive whole number")
    return number


def _text(value: Any) -> str | None:
    return None if value is None or str(value).strip() == "" else str(value).strip()


@dataclass(frozen=True)
class EngineConfig:
    """Which engine scans transaction tables, and its limits (see the module's table).

    Parameters
    ----------
    name : {"pandas", "duckdb", "spark"}
        The engine; case and spaces are ignored.
    duckdb_memory_limit : str, optional
        DuckDB's memory limit, e.g. ``"2GB"``; beyond it DuckDB spills to disk.
    duckdb_temp_directory : str, optional
        DuckDB's spill folder.
    duckdb_threads : int, optional
        DuckDB's worker threads (default: all cores).
    spark_master : str
        The master of a new SparkSession; an active session is reused as it is.
    spark_driver_memory : str, optional
        ``spark.driver.memory`` of a new session, e.g. ``"4g"``.
    spark_shuffle_partitions : int, optional
        ``spark.sql.shuffle.partitions`` of a new session.

    Raises
    ------
    ValueError
        An unknown engine or a malformed size or count, naming the field and the value.

    Examples
    --------
    >>> EngineConfig("DuckDB", duckdb_memory_limit="2GB")
    EngineConfig(name='duckdb', duckdb_memory_limit='2GB')
    >>> EngineConfig.from_settings({"engine": "duckdb", "duckdb_threads": "2"}).duckdb_threads
    2
    """

    name: str = "pandas"
    duckdb_memory_limit: str | None = None
    duckdb_temp_directory: str | None = None
    duckdb_threads: int | None = None
    spark_master: str = "local[2]"
    spark_driver_memory: str | None = None
    spark_shuffle_partitions: int | None = None

    def __post_init__(self) -> None:
        name = str(self.name).strip().lower()
        if name not in ENGINES:
            raise ValueError(f"engine={self.name!r} is not an engine; choose one of "
                             f"{', '.join(ENGINES)}")
        memory = _text(self.duckdb_memory_limit)
        if memory is not None and not _DUCKDB_SIZE.match(memory):
            raise ValueError(f"duckdb_memory_limit={memory!r} is not a size such as 2GB or 500MB")
        driver = _text(self.spark_driver_memory)
        if driver is not None and not _SPARK_SIZE.match(driver):
            raise ValueError(f"spark_driver_memory={driver!r} is not a size such as 4g or 512m")
        values = {
            "name": name,
            "duckdb_memory_limit": memory,
            "duckdb_temp_directory": _text(self.duckdb_temp_directory),
            "duckdb_threads": _positive_int("duckdb_threads", self.duckdb_threads),
            "spark_master": _text(self.spark_master) or "local[2]",
            "spark_driver_memory": driver,
            "spark_shuffle_partitions": _positive_int("spark_shuffle_partitions",
                                                      self.spark_shuffle_partitions),
        }
        for field, value in values.items():
            object.__setattr__(self, field, value)

    def __repr__(self) -> str:
        changed = [f"{f.name}={getattr(self, f.name)!r}" for f in dataclasses.fields(self)
                   if f.name == "name" or getattr(self, f.name) != f.default]
        return f"EngineConfig({', '.join(changed)})"

    @property
    def is_sql(self) -> bool:
        """Whether the engine runs SQL over files (DuckDB, Spark) rather than pandas."""
        return self.name != "pandas"

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any] | None) -> EngineConfig:
        """The configuration of run settings ``{"engine": "duckdb", ...}`` (keys as in the table).

        ``None`` values are left at their defaults; an empty mapping is the pandas engine.

        Raises
        ------
        ValueError
            An unknown setting name (listing the known ones) or a bad value.
        """
        settings = dict(settings or {})
        unknown = sorted(set(settings) - set(ENVIRONMENT))
        if unknown:
            raise ValueError(f"unknown engine setting(s) {', '.join(unknown)}; known: "
                             f"{', '.join(ENVIRONMENT)}")
        given = {("name" if key == "engine" else key): value
                 for key, value in settings.items() if value is not None}
        return cls(**given)

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> EngineConfig:
        """The configuration the ``CRM_ENGINE`` / ``CRM_DUCKDB_*`` / ``CRM_SPARK_*`` variables say.

        For interactive use and scripts: read once, then pass the result on.

        Parameters
        ----------
        environ : mapping, optional
            Default :data:`os.environ`.
        """
        environ = os.environ if environ is None else environ
        return cls.from_settings({key: environ.get(var) or None
                                  for key, var in ENVIRONMENT.items()})

    def settings(self) -> dict[str, Any]:
        """The run settings of this configuration that differ from the defaults.

        ``EngineConfig.from_settings(config.settings()) == config``; the pandas engine with no
        options is ``{}``.
        """
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if value != f.default:
                out["engine" if f.name == "name" else f.name] = value
        return out


def as_engine(engine: EngineConfig | str | None) -> EngineConfig:
    """``engine`` as a configuration: a name gets default options, ``None`` is pandas.

    Raises
    ------
    ValueError
        An unknown engine name.
    TypeError
        Anything else.
    """
    if engine is None:
        return EngineConfig()
    if isinstance(engine, EngineConfig):
        return engine
    if isinstance(engine, str):
        return EngineConfig(engine)
    raise TypeError(f"engine must be an EngineConfig, an engine name or None, "
                    f"got {type(engine).__name__}")
