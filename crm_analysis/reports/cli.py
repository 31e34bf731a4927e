"""The ``crm-analysis report`` command (wired into :mod:`crm_analysis.cli`).

Exit codes: 0 every notebook ran, 1 a notebook failed, 2 bad input or configuration (unknown
parameter or notebook, dependency cycle, bad data root, run id locked or already existing, raw
data that breaks the data contract: the run is written, the failed page says what is wrong),
130 interrupted (Ctrl-C / SIGTERM; nothing is left behind).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

DESCRIPTION = """\
Execute the report notebooks with papermill in dependency order and publish them to
REPORTS_DIR/RUN_ID/ (executed .ipynb + HTML per notebook, index.html, run.json, run.log).
REPORTS_DIR/latest points at the newest successful run.
"""

EPILOG = """\
exit codes:
  0    every notebook ran without error
  1    a notebook failed (notebooks that require it are skipped, the others run)
  2    bad input or configuration: unknown parameter or notebook, dependency cycle,
       bad data root, run id in use by another run, run id exists (use --force), or
       raw data that breaks the data contract (the failed page names file, column, rows)
  130  interrupted (Ctrl-C or SIGTERM); no run folder is left behind

Each run writes its processed tables into its own set, DATA_DIR/processed/runs/RUN_ID.*, and
on success publishes it as DATA_DIR/processed/current (the CRM exports stay at the stable paths
DATA_DIR/processed/churn_crm_export.csv and target_list.csv). Runs with different ids on one
data root can run at the same time; a killed run's leftovers are removed by the next run.

examples:
  crm-analysis report
  crm-analysis report --notebooks 03_customer_value,04_customer_behaviour
  crm-analysis report -p snapshot_date=2025-06-30 -p seed=7 --run-id june --keep 10
"""


def add_report_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``report`` sub-command to an ``argparse`` sub-parsers object.

    Parameters
    ----------
    subparsers : argparse._SubParsersAction
        From ``parser.add_subparsers()``.

    Returns
    -------
    argparse.ArgumentParser
        The new sub-parser; its default ``func`` is :func:`run_report_command`.
    """
    parser = subparsers.add_parser(
        "report",
        help="run the report notebooks and publish HTML (exit 0 ok, 1 failed, 2 bad input)",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    configure_parser(parser)
    parser.set_defaults(func=run_report_command)
    return parser


def configure_parser(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Add the ``report`` options to ``parser``."""
    parser.add_argument(
        "--data-dir",
        metavar="DIR",
        help="data root with raw/ and processed/ (default: CRM_DATA_DIR or <project>/data; "
        "the default root gets synthetic data when raw/ is empty)",
    )
    parser.add_argument(
        "--reports-dir",
        metavar="DIR",
        help="where runs are written (default: CRM_REPORTS_DIR or <project>/reports)",
    )
    parser.add_argument(
        "--run-id", metavar="ID", help="name of the run folder (default: UTC time stamp)"
    )
    parser.add_argument(
        "--config",
        metavar="FILE",
        help="YAML file of default parameters (default: <project>/config/reports.yaml)",
    )
    parser.add_argument(
        "--notebooks",
        metavar="NAMES",
        help="comma-separated notebooks to run, e.g. 03_customer_value,04_customer_behaviour "
        "(default: all); the notebooks they require are added when no processed set is "
        "published yet, else the published set provides their outputs",
    )
    parser.add_argument(
        "--list-parameters",
        action="store_true",
        help="list every notebook parameter with its default, the value the parameter file "
        "sets and its meaning, then exit",
    )
    parser.add_argument(
        "-p",
        "--parameter",
        dest="parameters",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="override a parameter; VALUE is read as YAML (5, 0.5, true, null, [1, 2]), "
        "dates such as 2025-06-30 stay text; repeatable",
    )
    parser.add_argument(
        "--force", action="store_true", help="replace an existing run with the same run id"
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=600,
        metavar="SECONDS",
        help="per-cell time limit in seconds (default: 600; 0: no limit)",
    )
    parser.add_argument(
        "--notebooks-dir", metavar="DIR", help="folder of notebooks (default: <project>/notebooks)"
    )
    parser.add_argument(
        "--keep",
        type=int,
        metavar="N",
        help="after a successful run keep only the N newest runs (report folders and "
        "processed sets; the current one always stays). Default: keep all",
    )
    return parser


def add_prune_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``prune`` sub-command: keep the N newest runs of a reports folder and data root."""
    parser = subparsers.add_parser(
        "prune",
        help="remove old runs (report folders and processed sets), keeping the newest N",
        description="Remove all but the N newest report runs and processed sets. The run "
        "reports/latest points at, the published processed set and runs in progress are "
        "never removed.",
    )
    parser.add_argument("--keep", type=int, required=True, metavar="N",
                        help="how many runs to keep (at least 1)")
    parser.add_argument("--data-dir", metavar="DIR",
                        help="data root (default: CRM_DATA_DIR or <project>/data)")
    parser.add_argument("--reports-dir", metavar="DIR",
                        help="reports folder (default: CRM_REPORTS_DIR or <project>/reports)")
    parser.set_defaults(func=run_prune_command)
    return parser


def run_prune_command(args: argparse.Namespace) -> int:
    """Run the ``prune`` command; prints what was removed, returns the exit code."""
    from pathlib import Path

    from crm_analysis import config
    from crm_analysis.reports.prune import prune

    if args.keep < 1:
        print(f"crm-analysis prune: error: --keep must be at least 1, got {args.keep}",
              file=sys.stderr)
        return 2
    reports = Path(args.reports_dir).resolve() if args.reports_dir else config.reports_dir()
    data = Path(args.data_dir).resolve() if args.data_dir else config.data_dir()
    removed = prune(reports, data, args.keep)
    for path in removed:
        print(f"removed {path}")
    print(f"{len(removed)} folder(s) removed; the {args.keep} newest runs are kept")
    return 0


def parameter_listing(notebooks_dir: str | None, config_path: str | None) -> str:
    """The text of ``--list-parameters``: one block per parameter, then the run settings."""
    from crm_analysis.reports.notebooks import discover_notebooks
    from crm_analysis.reports.params import load_config, parameter_catalogue
    from crm_analysis.reports.plan import DEFAULT_CONFIG, DEFAULT_NOTEBOOKS_DIR
    from crm_analysis.reports.settings import SETTINGS

    specs = discover_notebooks(Path(notebooks_dir or DEFAULT_NOTEBOOKS_DIR))
    path = Path(config_path) if config_path else DEFAULT_CONFIG
    configured = load_config(path, required=config_path is not None)
    lines = [f"Notebook parameters (set one with -p NAME=VALUE; defaults from {path.name} "
             "override the notebook's own):", ""]
    for row in parameter_catalogue([spec.path for spec in specs.values()], configured):
        value = (f"{row['configured']!r} in {path.name} (notebook default {row['default']!r})"
                 if row["configured"] != "-" and row["configured"] != row["default"]
                 else repr(row["default"]))
        lines.append(f"  {row['name']} = {value}")
        for meaning, names in row["meanings"].items():
            lines.append(f"      {meaning or '(no comment)'} [{', '.join(names)}]")
    lines += ["", f"Run settings (in {path.name} or -p NAME=VALUE; the runner hands them to the "
              "notebooks as engine_settings): " + ", ".join(SETTINGS)]
    return "\n".join(lines)


def run_report_command(args: argparse.Namespace) -> int:
    """Run the ``report`` command for parsed arguments; returns the exit code."""
    from crm_analysis.reports.errors import ReportConfigError
    from crm_analysis.reports.runner import run_reports

    names = [n for n in (args.notebooks or "").split(",") if n.strip()] or None
    if getattr(args, "list_parameters", False):
        try:
            print(parameter_listing(args.notebooks_dir, args.config))
        except ReportConfigError as exc:
            print(f"crm-analysis report: error: {exc}", file=sys.stderr)
            return exc.exit_code
        return 0
    try:
        result = run_reports(
            notebooks_dir=args.notebooks_dir,
            data_dir=args.data_dir,
            reports_dir=args.reports_dir,
            run_id=args.run_id,
            config_path=args.config,
            overrides=args.parameters,
            notebooks=names,
            force=args.force,
            timeout=args.timeout,
            keep=args.keep,
        )
    except ReportConfigError as exc:
        print(f"crm-analysis report: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    return result.exit_code


def main(argv: list[str] | None = None) -> int:
    """Stand-alone entry point: ``python -m crm_analysis.reports [options]``."""
    parser = argparse.ArgumentParser(
        prog="crm-analysis report",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    configure_parser(parser)
    return run_report_command(parser.parse_args(argv))
