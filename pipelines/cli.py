"""``childreg``: run a sync, make a synthetic city, or both (the demo).

``run`` executes the same Dagster job the schedule runs, in process. Exit status 0
when the sync published; otherwise non-zero with the reason on standard error.
It prints one line per stage (rows and seconds); ``--verbose`` adds Dagster's event
log and the libraries' own logging (Great Expectations, Alembic, Splink).
"""

from __future__ import annotations

import json
import logging
import sys
import uuid
from datetime import date
from pathlib import Path

from pipelines.admin import erase, evaluate, explain_child, migrate
from pipelines.arguments import parser

DEMO_DIR = Path("var/demo")
EXIT_FAILED = 1  # the sync ran and failed: nothing published
EXIT_BUSY = 3  # another sync holds the warehouse: this one did not start
UNREACHABLE = " (is the database running, and are --warehouse / CHILDREG_DATABASE_URL right?)"


def run_sync(
    inbox: Path,
    as_of: date,
    warehouse: str | None,
    exports: Path,
    verbose: bool = False,
    confirm_drop: list[str] | None = None,
) -> int:
    """Execute the sync job in process; returns the exit status. ``confirm_drop``: sources
    whose drop in rows the operator confirms for this sync."""
    import dagster as dg

    from pipelines.partitions import MONTHS, partition_of
    from pipelines.progress import StageLines, failures, published
    from pipelines.resources import from_env

    if not inbox.is_dir():
        print(f"childreg: inbox folder not found: {inbox} (give the folder holding one folder per source)",
              file=sys.stderr)  # fmt: skip
        return 2
    if not MONTHS.has_partition_key(partition_of(as_of)):
        print(f"childreg: no month to sync as of {as_of}: months run from {MONTHS.start:%Y-%m} "
              "(the opinions took effect on 2017-12-28) to the current month", file=sys.stderr)  # fmt: skip
        return 2
    try:
        from pipelines.definitions import defs  # its resources read the environment too

        resources = from_env(
            warehouse,
            inbox=str(inbox),
            as_of=as_of.isoformat(),
            exports=str(exports),
            confirm_drop=list(confirm_drop or []) or None,
        )
    except ValueError as exc:  # a setting from the environment that cannot work
        print(f"childreg: {exc}", file=sys.stderr)
        return 2
    instance = dg.DagsterInstance.ephemeral()
    run_id = str(uuid.uuid4())
    instance.add_event_listener(run_id, StageLines(lambda line: print(f"childreg: {line}", flush=True)))
    # Dagster's own event log only when asked: the stage lines say what happened.
    console = {"config": {"log_level": "DEBUG" if verbose else "CRITICAL"}}
    result = defs.resolve_job_def("sync").execute_in_process(
        run_config={"loggers": {"console": console}},
        resources=resources,
        partition_key=partition_of(as_of),
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
    if published(result.all_events):
        print("childreg: the registry of this sync was published, but its exports were not all written; "
              "run the sync again once the cause is fixed.", file=sys.stderr)  # fmt: skip
    else:
        print("childreg: nothing was published; the last good registry is unchanged.", file=sys.stderr)
    return EXIT_FAILED


def synth_city(children: int, seed: int, as_of: date, out: Path) -> None:
    from synth import write_city

    counts = write_city(out, children=children, seed=seed, as_of=as_of)
    print(f"childreg: synthetic city of {children} children in {out} ({sum(counts.values())} rows)")


def _logging(verbose: bool) -> None:
    """Our warnings always; the libraries' INFO chatter (GX, Alembic, Splink) only when verbose."""
    if verbose:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        return
    logging.basicConfig(level=logging.WARNING, format="childreg: %(levelname)s: %(message)s")
    logging.captureWarnings(True)  # library deprecation notices: through logging, and
    logging.getLogger("py.warnings").setLevel(logging.ERROR)  # shown only when verbose


def main(argv: list[str] | None = None) -> int:
    args = parser(__doc__.splitlines()[0].replace("``", "")).parse_args(argv)
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
        return run_sync(args.inbox, args.as_of, args.warehouse, args.exports, args.verbose, args.confirm_drop)
    if args.command == "erase":
        return erase(args.child_id, args.reason, args.warehouse)
    if args.command == "migrate":
        return migrate(args.warehouse)
    if args.command == "explain":
        return explain_child(args.child_id, args.warehouse, args.out)
    city = DEMO_DIR / "city"
    synth_city(args.children, 1, args.as_of, city)
    return run_sync(city / "inbox", args.as_of, None, DEMO_DIR / "exports", args.verbose)


if __name__ == "__main__":
    sys.exit(main())
