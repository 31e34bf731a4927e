"""crm-analysis: CRM analytics from raw exports to stakeholder reports.

Subcommands
-----------
generate   build a synthetic CRM export with known ground truth (``make data``)
validate   load a raw source against the data contract and summarise it
report     run the notebooks with papermill and write HTML reports (``make reports``)
prune      remove old runs (report folders and processed sets), keeping the newest N

Exit codes: 0 success, 1 a notebook failed (``report``), 2 bad input or configuration; the
message of a bad input names the source, the column and example rows.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from crm_analysis import __version__, config

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2

log = logging.getLogger("crm_analysis")


def _generate(args: argparse.Namespace) -> int:
    from crm_analysis.synthetic import SyntheticConfig, generate, write_dataset

    out = Path(args.out) if args.out else config.raw_dir()
    if args.preset:
        from crm_analysis.synthetic.presets import PRESETS, write_preset

        if out.exists() and any(out.iterdir()) and not args.force:
            log.error("%s is not empty; pass --force to replace it", out)
            return EXIT_BAD_INPUT
        write_preset(args.preset, out, seed=args.seed)
        log.info("wrote %s: %s (no ground truth, like a real export)", out,
                 PRESETS[args.preset].description)
        return EXIT_OK
    cfg = SyntheticConfig(
        n_customers=args.customers,
        start=args.start,
        end=args.end,
        seed=args.seed,
        dirty=not args.clean,
    )
    data = generate(cfg)
    write_dataset(data, out, fmt=args.format, overwrite=args.force)
    rows = ", ".join(f"{name} {len(frame):,}" for name, frame in data.tables.items())
    log.info("wrote %s (%s rows; ground truth in %s)", out, rows, out / "_truth")
    return EXIT_OK


def _validate(args: argparse.Namespace) -> int:
    from crm_analysis.io import load_raw, validate_raw
    from crm_analysis.io.load import READ_AS_ORDERS
    from crm_analysis.money import has_amounts

    source = args.source
    folder = Path(source)
    if folder.is_dir() and (folder / "raw").is_dir() and not any(
            p.suffix in (".csv", ".gz", ".parquet") for p in folder.iterdir()):
        source = str(folder / "raw")  # a data root: its raw/ folder, as `report` reads it
    raw = load_raw(source, mapping=args.mapping)
    for name in raw.tables:
        frame = raw[name]
        print(f"{name:<18} {len(frame):>12,} rows  {len(frame.columns):>3} columns")
        if name in raw.dialects:
            print(f"{'':<18} read with {raw.dialects[name].describe()}")
    for name, dialect in raw.dialects.items():
        if name not in raw.tables:  # the input of a transform (invoice lines)
            print(f"{name:<18} read with {dialect.describe()}")
    warnings = [f for f in validate_raw(raw) if f.level == "warning"]
    for finding in warnings:
        print(f"  {finding}")
    for name, found in raw.recognised.items():
        print(f"{name}: columns recognised by their names: "
              + ", ".join(f"{col} <- {src!r}" for col, src in found.items()))
    if raw.mapping.name.endswith(READ_AS_ORDERS):
        print(f"orders: {raw.mapping.name}")
    if not has_amounts(raw["orders"]):
        print("orders: no amounts: read as a log of visits or bookings; the reports count orders "
              "and leave out money. If the orders have a value, name its column in the mapping "
              "(columns: {amount: <your column>})")
    kinds = f"{len(warnings)} kind{'s' if len(warnings) != 1 else ''}"
    what = f"; {kinds} of dirt for the cleaning step" if warnings else ""
    print(f"{raw.source}: conforms to the data contract{what}")
    if args.write_mapping:
        out = Path(args.write_mapping)
        if out.exists():
            print(f"error: {out} exists; choose another file or remove it", file=sys.stderr)
            return EXIT_BAD_INPUT
        from crm_analysis.atomic import atomic_path
        from crm_analysis.io.inferred import mapping_yaml

        with atomic_path(out) as tmp:
            tmp.write_text(mapping_yaml(raw), encoding="utf-8")
        print(f"wrote the mapping it read with to {out}: edit it, then pass --mapping {out}")
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``crm-analysis`` with every subcommand."""
    from crm_analysis.synthetic import SyntheticConfig

    defaults = SyntheticConfig()
    parser = argparse.ArgumentParser(
        prog="crm-analysis",
        description=__doc__.split("\n\n")[0],
        epilog="Run `crm-analysis COMMAND --help` for a command's options.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("-q", "--quiet", action="store_true", help="only warnings and errors")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    gen = sub.add_parser("generate", help="build a synthetic CRM export with ground truth")
    gen.add_argument("--out", help="output folder (default: the data root's raw/)")
    gen.add_argument("--customers", type=int, default=defaults.n_customers,
                     help="number of customers (default %(default)s)")
    gen.add_argument("--seed", type=int, default=defaults.seed,
                     help="random seed (default %(default)s)")
    gen.add_argument("--start", default=defaults.start,
                     help="first day, YYYY-MM-DD (default %(default)s)")
    gen.add_argument("--end", default=defaults.end,
                     help="export day, YYYY-MM-DD (default %(default)s)")
    gen.add_argument("--clean", action="store_true", help="no injected dirt")
    gen.add_argument("--format", choices=["csv", "parquet"], default="csv",
                     help="file format (default csv)")
    gen.add_argument("--force", action="store_true", help="replace a non-empty output folder")
    from crm_analysis.synthetic.presets import PRESETS

    gen.add_argument("--preset", choices=sorted(PRESETS),
                     help="an export shaped like real ones (few customers, short history, "
                          "one-time buyers, ...: docs/real_data.md); uses --seed only")
    gen.set_defaults(func=_generate)

    val = sub.add_parser("validate", help="check a raw source against the data contract")
    val.add_argument("source", help="a data root (with raw/), a folder of CSV/Parquet exports, "
                     "one file, or a SQLAlchemy URL")
    val.add_argument("--mapping", help="YAML mapping file or a shipped mapping name")
    val.add_argument("--write-mapping", metavar="FILE",
                     help="write the mapping it read with (detected separators, encoding and "
                          "recognised column names) as YAML to FILE, for you to edit")
    val.set_defaults(func=_validate)

    from crm_analysis.reports.cli import add_prune_parser, add_report_parser

    add_report_parser(sub)
    add_prune_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the process exit code."""
    from crm_analysis.io import DataContractError

    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.WARNING if args.quiet else logging.INFO,
        format="%(message)s",
        stream=sys.stderr,
    )
    try:
        return args.func(args)
    except (DataContractError, FileExistsError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT


if __name__ == "__main__":
    sys.exit(main())
