"""``python -m benchmarks.othercity --children N --seed S --as-of YYYY-MM-DD --out DIR``."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from pathlib import Path

from benchmarks.othercity.city import make_city


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="An independent synthetic city (issue 11).")
    parser.add_argument("--children", type=int, required=True)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--as-of", type=dt.date.fromisoformat, default=dt.date(2026, 11, 30))
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument(
        "--profile", default=None, help="other proportions from city.yaml's profiles (e.g. messy)"
    )
    args = parser.parse_args(argv)
    started = time.perf_counter()
    counts = make_city(args.children, args.seed, args.as_of, args.out, args.profile)
    summary = ", ".join(f"{k} {v}" for k, v in counts.items())
    print(f"othercity: {summary} in {time.perf_counter() - started:.1f} s -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
