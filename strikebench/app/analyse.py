"""``strikebench analyse TABLE [--reference MODEL] [--worst V] [--best V] [--json]``.

Runs the measures of ``strikebench.analysis`` on a results table in the documented format
(docs/results-table.md: CSV or Parquet, from strikebench or elsewhere) and prints them, per
study: the loss share per p, the p at which L reaches 0.25 / 0.5 / 0.75, back in time to each
other model, and DLP with its "achieves at" table when the table has transfer levers.
"""
from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

from strikebench.errors import StrikebenchError

PROG = "strikebench analyse"


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=PROG, description=__doc__.splitlines()[0].replace("``", ""))
    p.add_argument("table", type=Path, help="results table: .csv, .csv.gz, .tsv or .parquet")
    p.add_argument("--reference", metavar="MODEL", default=None,
                   help="non-personalised model of the personalisation gap (default: Pop)")
    p.add_argument("--worst", metavar="V", type=float, default=None,
                   help="DLP's worst value W (default: the worst value observed in each study)")
    p.add_argument("--best", metavar="V", type=float, default=None,
                   help="DLP's best value B (default: the best value observed in each study)")
    p.add_argument("--json", action="store_true", help="print JSON instead of text tables")
    return p


def main(argv: list[str] | None = None) -> int:
    """Print the measures of a results table; 0 on success, 2 with a one-line error."""
    args = parser().parse_args(sys.argv[1:] if argv is None else argv)
    from strikebench.analysis.summary import analyse
    from strikebench.analysis.summary_text import format_text

    try:
        if not args.table.is_file():
            raise StrikebenchError(f"results table not found: {args.table}")
        for flag, value in (("--worst", args.worst), ("--best", args.best)):
            if value is not None and not math.isfinite(value):
                raise StrikebenchError(f"{flag}: must be a finite number, got {value}")
        result = analyse(args.table, reference=args.reference, worst=args.worst, best=args.best)
    except StrikebenchError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(result, indent=2, allow_nan=False) if args.json else format_text(result).rstrip("\n"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
