"""``childreg``: run a sync, make a synthetic city, or both (the demo).

``run`` executes the same Dagster job the schedule runs, in process. Exit status 0
when the sync published; otherwise non-zero with the reason on standard error.
It prints one line per stage (rows and seconds); ``--verbose`` adds Dagster's event
log and the libraries' own logging (Great Expectations, Alembic, Splink).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import uuid
from datetime import date
from pathlib import Path

DEMO_DIR = Path("var/demo")
EXIT_FAILED = 1  # the sync ran and failed: nothing published
EXIT_BUSY = 3  # another sync holds the warehouse: this one did not start
UNREACHABLE = " (is the database running, and are --warehouse / CHILDREG_DATABASE_URL right?)"
URL_FORMS = "duckdb:///path/to/file.duckdb or postgresql+psycopg://user:password@host:5432/database"


def run_sync(inbox: Path, as_of: date, warehouse: str | None, exports: Path, verbose: bool = False) -> int:
    """Execute the sync job in process; returns the exit status."""
    import dagster as dg

    from pipelines.definitions import defs
    from pipelines.progress import StageLines, failures
    from pipelines.resources import from_env

    if not inbox.is_dir():
        print(f"childreg: inbox folder not found: {inbox} (give the folder holding one folder per source)",
              file=sys.stderr)  # fmt: skip
        return 2
    instance = dg.DagsterInstance.ephemeral()
    run_id = str(uuid.uuid4())
    instance.add_event_listener(run_id, StageLines(lambda line: print(f"childreg: {line}", flush=True)))
    # Dagster's own event log only when asked: the stage lines say what happened.
    console = {"config": {"log_level": "DEBUG" if verbose else "CRITICAL"}}
    result = defs.resolve_job_def("sync").execute_in_process(
        run_config={"loggers": {"console": console}},
        resources=from_env(warehouse, inbox=str(inbox), as_of=as_of.isoformat(), exports=str(exports)),
        instance=instance,
        raise_on_error=False,
        run_id=run_id,
    )
    if result.success:
        print(f"childreg: sync as of {as_of} published; exports in {exports / as_of.isoformat()}")
        return 0
    found = failures(result.all_events)
    for cls, text in found:
        hint = UNREACHABLE if cls == "OperationalError" else ""
        print(f"childreg: {text}{hint}", file=sys.stderr)
    if any(cls == "WarehouseBusy" for cls, _ in found):
        print("childreg: this sync did not start; run it again once the other has finished.", file=sys.stderr)
        return EXIT_BUSY
    print("childreg: nothing was published; the last good registry is unchanged.", file=sys.stderr)
    return EXIT_FAILED


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


class _Parser(argparse.ArgumentParser):
    """An input error in one line naming the fix, not argparse's usage block."""

    def error(self, message: str) -> None:
        self.exit(2, f"childreg: {message} ({self.prog} --help lists the options)\n")


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a date: write it as YYYY-MM-DD, e.g. 2026-11-30"
        ) from None


def _count(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a number of children: write a whole number, e.g. 1500"
        )
    return int(text)


def _url(text: str) -> str:
    """A warehouse URL DuckDB or PostgreSQL can open; the URL is never echoed (it may hold a password)."""
    import sqlalchemy as sa

    try:
        backend = sa.make_url(text).get_backend_name()
    except sa.exc.ArgumentError:
        backend = None
    if backend not in ("duckdb", "postgresql"):
        raise argparse.ArgumentTypeError(f"not a DuckDB or PostgreSQL URL: write {URL_FORMS}")
    return text


WAREHOUSE_HELP = f"the warehouse: {URL_FORMS} (default: CHILDREG_DATABASE_URL, else var/childreg.duckdb)"


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="childreg", description=__doc__.splitlines()[0].replace("``", ""))
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    day, folder = {"type": _date, "metavar": "YYYY-MM-DD"}, {"type": Path, "metavar": "DIR"}
    warehouse = {"type": _url, "default": None, "metavar": "URL", "help": WAREHOUSE_HELP}
    children = {
        "type": _count,
        "default": 20_000,
        "metavar": "N",
        "help": "children in the city (default: 20000)",
    }

    run = sub.add_parser("run", help="run one sync of an inbox")
    run.add_argument("--inbox", required=True, help="folder with one sub-folder per source system", **folder)
    run.add_argument("--as-of", required=True, help="the date ages and periods are computed at", **day)
    run.add_argument("--warehouse", **warehouse)
    run.add_argument(
        "--exports",
        default=Path("var/exports"),
        help="folder for the workbooks and the coverage report (default: var/exports)",
        **folder,
    )
    synth = sub.add_parser("synth", help="write a synthetic city: inbox and truth")
    synth.add_argument("--children", **children)
    synth.add_argument("--seed", type=int, default=1, metavar="S", help="one seed, one city (default: 1)")
    synth.add_argument(
        "--as-of", default=date(2026, 11, 30), help="date of the extracts (default: 2026-11-30)", **day
    )
    synth.add_argument("--out", required=True, help="folder to write inbox/ and truth/ into", **folder)
    score = sub.add_parser("evaluate", help="score the last sync against a synthetic city's truth/")
    score.add_argument("--truth", required=True, help="the truth/ folder childreg synth wrote", **folder)
    score.add_argument("--warehouse", **warehouse)
    score.add_argument("--out", type=Path, default=None, metavar="FILE", help="write the scores as JSON here")
    demo = sub.add_parser("demo", help="synthetic city + one sync on the embedded default")
    demo.add_argument("--children", **children)
    demo.add_argument(
        "--as-of",
        default=date(2026, 11, 30),
        help="date of the city and the sync (default: 2026-11-30)",
        **day,
    )
    for command in (run, synth, score, demo):
        command.add_argument(
            "-v",
            "--verbose",
            action="store_true",
            help="also show Dagster's event log and the libraries' logging",
        )
    return parser


def _logging(verbose: bool) -> None:
    """Our warnings always; the libraries' INFO chatter (GX, Alembic, Splink) only when verbose."""
    if verbose:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        return
    logging.basicConfig(level=logging.WARNING, format="childreg: %(levelname)s: %(message)s")
    logging.captureWarnings(True)  # library deprecation notices: through logging, and
    logging.getLogger("py.warnings").setLevel(logging.ERROR)  # shown only when verbose


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    _logging(args.verbose)
    if args.command == "synth":
        synth_city(args.children, args.seed, args.as_of, args.out)
        return 0
    if args.command == "evaluate":
        if not args.truth.is_dir():
            print(f"childreg: truth folder not found: {args.truth} (give the truth/ childreg synth wrote)",
                  file=sys.stderr)  # fmt: skip
            return 2
        scores = json.dumps(evaluate(args.truth, args.warehouse), indent=2, ensure_ascii=False)
        if args.out:
            args.out.write_text(scores, encoding="utf-8")
        print(scores)
        return 0
    if args.command == "run":
        return run_sync(args.inbox, args.as_of, args.warehouse, args.exports, args.verbose)
    city = DEMO_DIR / "city"
    synth_city(args.children, 1, args.as_of, city)
    return run_sync(city / "inbox", args.as_of, None, DEMO_DIR / "exports", args.verbose)


if __name__ == "__main__":
    sys.exit(main())
