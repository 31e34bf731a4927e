"""Errors of the report runner that mean "bad input or configuration" (exit code 2)."""

from __future__ import annotations


class ReportConfigError(Exception):
    """The run cannot start: bad parameter, unknown notebook, bad data root, lock held, run exists.

    Attributes
    ----------
    exit_code : int
        The command's exit code for this error (always 2).
    """

    exit_code = 2


class RunLockedError(ReportConfigError):
    """Another process is running a report with the same run id."""


class RunExistsError(ReportConfigError):
    """A finished run with the same run id exists and ``force`` was not given."""
