"""Scale runs: a full sync per stage, the floor and Splink alone, for cities of several sizes.

    python -m benchmarks.run --children 20000 200000 [--keep DIR]

Each city is synthesised once, then measured in a fresh process so peak memory is
that city's alone. Per stage: seconds and peak RSS. In the same process, after the
sync: the *floor* (reading every file into the raw table, which is the sync's read
stage) and *Splink alone* (a plain Splink predict + connected components on the same
staged records). Figures go to benchmarks/results/<children>.json and a Markdown
table is printed for benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from benchmarks.memory import measured

HERE = Path(__file__).parent
RESULTS = HERE / "results"
AS_OF = date(2026, 11, 30)
GIB = 1024**3


def _machine() -> str:
    cpus = os.cpu_count()
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / GIB
    return f"{platform.processor() or platform.machine()}, {cpus} cores, {memory:.0f} GiB, Python {platform.python_version()}"


def measure_sync(inbox: Path, warehouse: Path, exports: Path) -> dict:
    """Run the sync stage by stage in this process; then the floor and Splink alone."""
    import sqlalchemy as sa

    from pipelines import steps
    from warehouse.engine import ensure_schema, make_engine
    from warehouse.lock import sync_lock

    url = f"duckdb:///{warehouse}"
    engine = make_engine(url)
    ensure_schema(engine)
    opened: list[steps.SyncRef] = []
    stages = {
        "read": lambda: opened.append(steps.read_step(engine, inbox, AS_OF)),
        "stage+validate": lambda: steps.stage_step(engine, opened[0]),
        "link": lambda: steps.link_step(engine, opened[0], inbox),
        "rules": lambda: steps.policy_step(engine, opened[0]),
        "publish": lambda: steps.publish_step(engine, opened[0]),
        "exports": lambda: steps.export_step(engine, opened[0], exports),
    }
    out: dict = {"stages": {}}
    with sync_lock(url):  # as the sync job holds it: only its holder may open a sync
        for name, run in stages.items():
            with measured() as m:
                result = run()
            out["stages"][name] = {"seconds": round(m.seconds, 2), "peak_gib": round(m.peak_bytes / GIB, 2)}
            if name == "link":
                out["link_parts"] = {
                    k.removeprefix("seconds_"): v for k, v in result.items() if k.startswith("seconds_")
                }
                out["records_linked"] = result["child_records"]
    with engine.connect() as conn:  # work.raw_rows is emptied at publish; the ledger keeps the count
        sources = json.loads(
            conn.execute(
                sa.text("SELECT sources FROM registry.syncs WHERE sync_id = :s"), {"s": opened[0].sync_id}
            ).scalar()
        )
    out["rows_read"] = sum(int(f.get("rows_read", 0)) for f in sources.values())
    out["total_seconds"] = round(sum(s["seconds"] for s in out["stages"].values()), 2)
    out["peak_gib"] = max(s["peak_gib"] for s in out["stages"].values())
    out["floor_seconds"] = out["stages"]["read"]["seconds"]
    out["splink_alone_seconds"] = round(_splink_alone(engine), 2)
    out["ratio_to_floor_plus_splink"] = round(
        out["total_seconds"] / (out["floor_seconds"] + out["splink_alone_seconds"]), 2
    )
    return out


def _splink_alone(engine) -> float:
    """A plain Splink run on the staged child rows: predict, then connected components."""
    from splink import Linker

    from linkage.config import load_config
    from linkage.link import STAGED_COLUMNS
    from linkage.prepare import linkage_frame
    from linkage.splink_model import duckdb_api, load_model
    from warehouse import tables as T
    from warehouse.io import read_frame

    config = load_config()
    with engine.connect() as conn:
        staged = read_frame(conn, T.STAGED_RECORDS, columns=STAGED_COLUMNS)
    frame = linkage_frame(
        staged.loc[staged["role"].isin(config.roles_linked)].reset_index(drop=True), AS_OF, everyone=staged
    )
    del staged
    start = time.perf_counter()
    db_api = duckdb_api(memory_limit=config.duckdb_memory_limit)
    linker = Linker(db_api.register(frame), load_model(config.model_file), log_level=logging.WARNING)
    pairs = linker.inference.predict(threshold_match_probability=config.review_lower)
    linker.clustering.cluster_pairwise_predictions_at_threshold(pairs, config.match_threshold)
    return time.perf_counter() - start


def run_city(children: int, keep: Path | None) -> dict:
    from synth import write_city

    base = keep or Path(tempfile.mkdtemp(prefix=f"childreg-bench-{children}-"))
    city = base / "city"
    if not (city / "inbox").exists():
        start = time.perf_counter()
        write_city(city, children=children, seed=1, as_of=AS_OF)
        synth_seconds = time.perf_counter() - start
    else:
        synth_seconds = None
    warehouse = base / "w.duckdb"
    warehouse.unlink(missing_ok=True)
    # A fresh process per city: its peak memory is its own. (Run as a module, not with
    # ``python -c``: under -c GX's pyspark probe runs a pyspark doctest that exits.)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks.run",
            "--measure",
            str(city / "inbox"),
            str(warehouse),
            str(base / "exports"),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result.update(children=children, synth_seconds=synth_seconds, machine=_machine())
    return result


def report(results: list[dict]) -> str:
    lines = [
        "| children | rows | "
        + " | ".join(results[0]["stages"])
        + " | total | peak GiB | floor | Splink alone | ratio |",
        "|---" * (len(results[0]["stages"]) + 7) + "|",
    ]
    for r in results:
        stages = " | ".join(f"{s['seconds']:.1f} s" for s in r["stages"].values())
        rows = f"{r['rows_read']:,}"
        lines.append(
            f"| {r['children']:,} | {rows} | {stages} | {r['total_seconds']:.1f} s | {r['peak_gib']:.2f} "
            f"| {r['floor_seconds']:.1f} s | {r['splink_alone_seconds']:.1f} s | {r['ratio_to_floor_plus_splink']:.2f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--children", type=int, nargs="+", default=[20_000, 200_000])
    parser.add_argument("--keep", type=Path, default=None, help="reuse/keep cities under this folder")
    parser.add_argument(
        "--measure", nargs=3, type=Path, metavar=("INBOX", "WAREHOUSE", "EXPORTS"), help=argparse.SUPPRESS
    )
    args = parser.parse_args(argv)
    if args.measure:
        print(json.dumps(measure_sync(*args.measure)))
        return 0
    RESULTS.mkdir(exist_ok=True)
    results = []
    for n in args.children:
        result = run_city(n, args.keep / str(n) if args.keep else None)
        (RESULTS / f"{n}.json").write_text(json.dumps(result, indent=2), encoding="utf-8")
        results.append(result)
        print(json.dumps(result), flush=True)
    print(report(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
