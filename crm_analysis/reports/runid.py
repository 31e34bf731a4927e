"""Run ids: the default one (a UTC time stamp) and the check every run id passes."""

from __future__ import annotations

import datetime as dt
import re

from crm_analysis.reports.errors import ReportConfigError
from crm_analysis.reports.latest import LATEST

_RUN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


def utc_now() -> dt.datetime:
    """The current time in UTC, to the second."""
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def default_run_id(now: dt.datetime | None = None) -> str:
    """A UTC time stamp such as ``20261124T235959Z``."""
    return (now or utc_now()).strftime("%Y%m%dT%H%M%SZ")


def is_run_id(name: str) -> bool:
    """Whether ``name`` can be a run id (see :func:`check_run_id`)."""
    return bool(_RUN_ID.match(name)) and name != LATEST


def check_run_id(run_id: str) -> str:
    """Accept letters, digits, ``.``, ``_`` and ``-`` (not leading), not ``latest``."""
    if not is_run_id(run_id):
        raise ReportConfigError(
            f"bad run id '{run_id}': use letters, digits, '.', '_' or '-' "
            "(not first), at most 100 characters, and not 'latest'"
        )
    return run_id
