"""``childreg``: run a sync, make a synthetic city, or both (the demo).

``run`` executes the same Dagster job the schedule runs, in process. Exit status 0
when the sync published; otherwise non-zero with the reason on standard error.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from datetime import date
from pathlib import Path

DEMO_DIR = Path("var/demo")


def run_sync(inbox: Path, as_of: date, warehouse: str | None, exports: Path) -> int:
    """Execute the sync job in process; returns the exit status."""
    import dagster as dg

    from pipelines.definitions import defs
    from pipelines.resources import from_env

    if not inbox.is_dir():
        print(f"childreg: inbox folder not found: {inbox}", file=sys.stderr)
        return 2
    result = defs.resolve_job_def("sync").execute_in_process(
        resources=from_env(warehouse, inbox=str(inbox), as_of=as_of.isoformat(), exports=str(exports)),
        instance=dg.DagsterInstance.ephemeral(),
        raise_on_error=False,
    )
    if result.success:
        print(f"childreg: sync as of {as_of} published; exports in {exports / as_of.isoformat()}")
        return 0
    for event in result.all_events:
        if event.is_step_failure and event.step_failure_data and event.step_failure_data.error:
            error = event.step_failure_data.error
            while error.cause is not None:  # Dagster wraps the stage's own exception
                error = error.cause
            print(f"childreg: sync failed in {event.step_key}: {error.message.strip()}", file=sys.stderr)
    print("childreg: nothing was published; the last good registry is unchanged.", file=sys.stderr)
    return 1


def synth_city(children: int, seed: int, as_of: date, out: Path) -> None:
    from synth import write_city

    counts = write_city(out, children=children, seed=seed, as_of=as_of)
    print(f"childreg: synthetic city of {children} children in {out} ({sum(counts.values())} rows)")


def evaluate(truth: Path, warehouse: str | None) -> dict:
    """Score the published registry (and the sync's staged rows) against ``truth/``."""
    from linkage.evaluate import linkage_scores, policy_scores, read_truth
    from warehouse import tables as T
    from warehouse.engine import make_engine
    from warehouse.io import read_frame

    with make_engine(warehouse).connect() as conn:
        staged = read_frame(conn, T.STAGED_RECORDS)
        child_records = read_frame(conn, T.CHILD_RECORDS)
        categories = read_frame(conn, T.CHILD_CATEGORIES)
        alerts = read_frame(conn, T.GAP_ALERTS)
    facts = read_truth(truth)
    return {
        "linkage": linkage_scores(facts, child_records, staged),
        "policy": policy_scores(facts, child_records, categories, alerts),
    }


def explain_child(child_id: str, warehouse: str | None, out: Path | None) -> int:
    """Write the waterfall page of a child's links; returns the exit status."""
    from pipelines.steps.explaining import explain_child_step
    from warehouse.engine import make_engine

    path = out or Path("var/explain") / f"child-{child_id}.html"
    try:
        explain_child_step(make_engine(warehouse), child_id, path)
    except ValueError as error:
        print(f"childreg: {error}", file=sys.stderr)
        return 2
    print(f"childreg: how child {child_id}'s records link: {path}")
    return 0


def _date(text: str) -> date:
    return date.fromisoformat(text)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="childreg", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run one sync of an inbox")
    run.add_argument("--inbox", type=Path, required=True)
    run.add_argument("--as-of", type=_date, required=True)
    run.add_argument(
        "--warehouse",
        default=None,
        help="SQLAlchemy URL (default: CHILDREG_DATABASE_URL or var/childreg.duckdb)",
    )
    run.add_argument("--exports", type=Path, default=Path("var/exports"))
    synth = sub.add_parser("synth", help="write a synthetic city: inbox and truth")
    synth.add_argument("--children", type=int, default=20_000)
    synth.add_argument("--seed", type=int, default=1)
    synth.add_argument("--as-of", type=_date, default=date(2026, 11, 30))
    synth.add_argument("--out", type=Path, required=True)
    score = sub.add_parser("evaluate", help="score the last sync against a synthetic city's truth/")
    score.add_argument("--truth", type=Path, required=True)
    score.add_argument("--warehouse", default=None)
    score.add_argument("--out", type=Path, default=None, help="write the scores as JSON here")
    explain = sub.add_parser("explain", help="the waterfall of a child's links, as a page that opens offline")
    explain.add_argument("--child-id", required=True)
    explain.add_argument("--warehouse", default=None)
    explain.add_argument("--out", type=Path, default=None, help="default: var/explain/child-<ID>.html")
    demo = sub.add_parser("demo", help="synthetic city + one sync on the embedded default")
    demo.add_argument("--children", type=int, default=20_000)
    demo.add_argument("--as-of", type=_date, default=date(2026, 11, 30))
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if args.command == "synth":
        synth_city(args.children, args.seed, args.as_of, args.out)
        return 0
    if args.command == "evaluate":
        scores = json.dumps(evaluate(args.truth, args.warehouse), indent=2, ensure_ascii=False)
        if args.out:
            args.out.write_text(scores, encoding="utf-8")
        print(scores)
        return 0
    if args.command == "run":
        return run_sync(args.inbox, args.as_of, args.warehouse, args.exports)
    if args.command == "explain":
        return explain_child(args.child_id, args.warehouse, args.out)
    city = DEMO_DIR / "city"
    synth_city(args.children, 1, args.as_of, city)
    return run_sync(city / "inbox", args.as_of, None, DEMO_DIR / "exports")


if __name__ == "__main__":
    sys.exit(main())
