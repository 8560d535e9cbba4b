"""``python -m ruledsl.demo --persons N --out DIR [--seed S] [--csv]``: write a demo batch."""

from __future__ import annotations

import argparse
import sys
from datetime import date

from .generate import write_demo


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    ap = argparse.ArgumentParser(prog="python -m ruledsl.demo",
                                 description="Write a seeded demo claim batch and knowledge base.")
    ap.add_argument("--persons", type=int, required=True, help="background persons")
    ap.add_argument("--out", required=True, help="output folder (claims/ and kb/ inside)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--csv", action="store_true", help="write CSV instead of Parquet")
    ap.add_argument("--start", type=date.fromisoformat, default=date(2025, 1, 1),
                    help="first day of the period (YYYY-MM-DD)")
    ap.add_argument("--months", type=int, default=7)
    ap.add_argument("--lines-per-person", type=float, default=50.0,
                    help="approximate fee lines per person")
    args = ap.parse_args(argv)
    data = write_demo(args.out, args.persons, args.seed, args.csv, args.start, args.months,
                      args.lines_per_person)
    rows = ", ".join(f"{k} {v.num_rows}" for k, v in data.claims.items())
    print(f"{args.out}: {rows} ({data.seconds:.1f}s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
