"""The command line's options: each with help text, and an input error in one line that
names the fix instead of argparse's usage block."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

from values.reference import source_names

URL_FORMS = "duckdb:///path/to/file.duckdb or postgresql+psycopg://user:password@host:5432/database"


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


def parser(description: str) -> argparse.ArgumentParser:
    parser = _Parser(prog="childreg", description=description)
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
    run.add_argument(
        "--confirm-drop",
        action="append",
        default=[],
        metavar="SOURCE",
        choices=list(source_names()),
        help="a source system whose drop in rows (or emptied folder) is expected this sync; repeatable",
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
    forget = sub.add_parser("erase", help="erase a child from every table; later syncs suppress it")
    forget.add_argument("--child-id", required=True, metavar="ID", help="the child's id in registry.children")
    forget.add_argument("--reason", required=True, metavar="TEXT", help="why, kept in registry.erasures")
    forget.add_argument("--warehouse", **warehouse)
    upgrade = sub.add_parser("migrate", help="migrate the PostgreSQL warehouse (run as its owner)")
    upgrade.add_argument("--warehouse", **warehouse)
    explain = sub.add_parser("explain", help="the waterfall of a child's links, as a page that opens offline")
    explain.add_argument(
        "--child-id", required=True, metavar="ID", help="the child's id (an old id is followed)"
    )
    explain.add_argument("--warehouse", **warehouse)
    explain.add_argument(
        "--out", type=Path, default=None, metavar="FILE", help="default: var/explain/child-<ID>.html"
    )
    demo = sub.add_parser("demo", help="synthetic city + one sync on the embedded default")
    demo.add_argument("--children", **children)
    demo.add_argument(
        "--as-of",
        default=date(2026, 11, 30),
        help="date of the city and the sync (default: 2026-11-30)",
        **day,
    )
    for command in (run, synth, score, forget, upgrade, explain, demo):
        command.add_argument(
            "-v",
            "--verbose",
            action="store_true",
            help="also show Dagster's event log and the libraries' logging",
        )
    return parser
