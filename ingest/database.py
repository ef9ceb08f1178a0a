"""Sources pulled from a department's database instead of a file drop
(registry.md, *Sources in a database*).

``<inbox>/sources.yaml`` names, per source system, a SQLAlchemy ``url`` (or
``${VARIABLE}``, an environment variable holding it, so no password sits in the
inbox), a ``table`` or a ``query``, and the ``key`` column that identifies a row.
The result, ordered by the key, becomes one grid: its column names the header,
row n of the result ``source_row`` n, ``source_file`` ``db:<source_system>``;
from there it is read, staged and accounted exactly as a file's. A source whose
entry is wrong or whose database cannot be read is refused, named with its
reason (never the URL, which may hold a password), and the sync goes on.
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
import yaml

from ingest.folders import read_regular
from ingest.limits import Limits, load_limits
from ingest.tabular import Grid, UnreadableFile
from values.cells import cell_text

log = logging.getLogger(__name__)

SOURCES_FILE = "sources.yaml"
_VARIABLE = re.compile(r"\$\{(\w+)\}")
# The driver argument bounding the wait for a connection, by database backend.
_CONNECT_TIMEOUT = {"postgresql": "connect_timeout", "mysql": "connect_timeout"}


@dataclass(frozen=True)
class DatabaseSource:
    """One entry of ``sources.yaml``: where a source system's rows are."""

    source_system: str
    url: str
    key: str
    table: str | None = None
    query: str | None = None

    @property
    def file_name(self) -> str:
        """What stands for the file: ``source_file`` of its rows."""
        return f"db:{self.source_system}"


def database_sources(inbox: Path, known: set[str]) -> tuple[dict[str, DatabaseSource], dict[str, str]]:
    """The entries of ``<inbox>/sources.yaml`` for known source systems, and the
    sources whose entry cannot be used (source → reason). No file, no entries; a
    file that is no YAML mapping is an error naming it, as no source can be told."""
    path = Path(inbox) / SOURCES_FILE
    if not path.exists() and not path.is_symlink():
        return {}, {}
    try:
        document = yaml.safe_load(read_regular(path))
    except (UnreadableFile, yaml.YAMLError) as error:
        raise UnreadableFile(f"{SOURCES_FILE}: {type(error).__name__}: not read") from None
    if not isinstance(document, dict):
        raise UnreadableFile(f"{SOURCES_FILE}: not a mapping of source system → database")
    sources, refused = {}, {}
    for source, entry in document.items():
        if source not in known:
            log.warning("%s names %r, no source system: not read", SOURCES_FILE, source)
            continue
        problem = _entry_problem(entry)
        if problem:
            refused[source] = f"{SOURCES_FILE}: {problem}"
            continue
        sources[source] = DatabaseSource(
            source, str(entry["url"]), str(entry["key"]), entry.get("table"), entry.get("query")
        )
    return sources, refused


def _entry_problem(entry: object) -> str | None:
    if not isinstance(entry, dict):
        return "the entry is not a mapping of url, table or query, key"
    if not entry.get("url") or not entry.get("key"):
        return "the entry needs a url and a key"
    if bool(entry.get("table")) == bool(entry.get("query")):
        return "the entry needs a table or a query (one of them)"
    return None


def resolved_url(source: DatabaseSource) -> str:
    """The URL with ``${VARIABLE}`` replaced by the environment's value."""

    def value(found: re.Match[str]) -> str:
        name = found.group(1)
        if name not in os.environ:
            raise UnreadableFile(f"the environment variable {name} holding its database URL is not set")
        return os.environ[name]

    return _VARIABLE.sub(value, source.url)


def database_grid(source: DatabaseSource, limits: Limits | None = None) -> Grid:
    """The source's rows ordered by its key, as a grid: the column names, then
    the rows numbered from 1. Any failure is ``UnreadableFile`` naming only the
    error's type: a driver's message may quote the URL with its password. A
    server that does not answer is waited for ``database_connect_seconds``."""
    limits = limits or load_limits()
    url = resolved_url(source)
    try:
        parsed = sa.make_url(url)
        argument = _CONNECT_TIMEOUT.get(parsed.get_backend_name())
        engine = sa.create_engine(
            parsed, connect_args={argument: int(limits.database_connect_seconds)} if argument else {}
        )
    except Exception as error:  # noqa: BLE001 - an unusable URL refuses the source, not the sync
        raise UnreadableFile(f"its database URL cannot be used ({type(error).__name__})") from None
    try:
        with engine.connect() as conn:
            result = conn.execute(_select(source, conn.dialect))
            header = list(result.keys())
            rows = [[cell_text(value) for value in row] for row in result]
    except Exception as error:  # noqa: BLE001 - a failing database refuses the source, not the sync
        raise UnreadableFile(f"its database cannot be read ({type(error).__name__})") from None
    finally:
        engine.dispose()
    return Grid(None, [header, *rows], list(range(len(rows) + 1)))


def _select(source: DatabaseSource, dialect: sa.Dialect) -> sa.TextClause:
    """``table`` (optionally ``schema.table``) or ``query``, ordered by ``key``;
    a colon in the query is text, not a bind parameter."""
    quote = dialect.identifier_preparer.quote
    key = quote(source.key)
    if source.table is not None:
        table = ".".join(quote(part) for part in source.table.split("."))
        return sa.text(f"SELECT * FROM {table} ORDER BY {key}")
    query = source.query.replace(":", "\\:")
    return sa.text(f"SELECT * FROM ({query}) AS extract ORDER BY {key}")
