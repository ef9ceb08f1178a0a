"""One sync owns the warehouse: a lock held from before the sync opens until its exports are written.

Two syncs at once would both write the work and build tables, and one could audit one
build and publish another. So a sync holds this lock for its whole run, and the
ledger opens a sync only for the lock's holder (``warehouse.ledger.begin_sync``).

- DuckDB: ``fcntl.flock`` on ``<file>.lock`` beside the database file;
- PostgreSQL: a session advisory lock on a connection kept open for the run.

Both belong to the process: the kernel drops the flock, and the server the session,
when the process dies, so a killed sync never leaves a stale lock, and holding the
lock proves that any sync still marked running has no live process behind it.
The lock is taken without waiting: a second sync stops at once with ``WarehouseBusy``.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.pool import NullPool

# The advisory lock's 64-bit key: fixed, derived from a name so it means something in pg_locks.
ADVISORY_KEY = int.from_bytes(hashlib.sha256(b"childreg.sync").digest()[:8], "big", signed=True)
_HELD: set[str] = set()  # warehouses whose lock this process holds (see holds_sync_lock)


class WarehouseBusy(RuntimeError):
    """Another sync holds the warehouse; this one must not start."""


def _identity(url: str | sa.URL) -> str:
    """One name per warehouse, whatever spelling the URL has (relative path, password)."""
    url = sa.make_url(url)
    if url.get_backend_name() == "duckdb":
        database = url.database or ":memory:"
        return "duckdb:" + (database if database == ":memory:" else str(Path(database).resolve()))
    return f"{url.get_backend_name()}://{url.host or ''}:{url.port or ''}/{url.database or ''}"


def holds_sync_lock(url: str | sa.URL) -> bool:
    """Whether this process holds the sync lock of the warehouse at ``url``."""
    return _identity(url) in _HELD


def _holder() -> str:
    """Who holds the lock, for the message another sync prints: never personal data."""
    return f"process {os.getpid()} on {socket.gethostname()}"


def _since(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("since %Y-%m-%d %H:%M:%S UTC")


@contextmanager
def sync_lock(url: str) -> Iterator[None]:
    """Hold the sync lock of the warehouse at ``url`` for the ``with`` block.

    Raises ``WarehouseBusy`` at once, naming the holder, when another process holds it.
    """
    identity = _identity(url)
    backend = sa.make_url(url).get_backend_name()
    if backend == "duckdb":
        hold = _file_lock(sa.make_url(url).database or ":memory:")
    elif backend == "postgresql":
        hold = _advisory_lock(url)
    else:
        raise WarehouseBusy(f"no sync lock for a {backend} warehouse: use DuckDB or PostgreSQL")
    with hold:
        _HELD.add(identity)
        try:
            yield
        finally:
            _HELD.discard(identity)


def lock_file(database: str) -> Path:
    """The lock file of a DuckDB file: beside it, so every process that opens it finds it."""
    path = Path(database)
    return path.with_name(path.name + ".lock")


@contextmanager
def _file_lock(database: str) -> Iterator[None]:
    if database == ":memory:":  # a database no other process can open
        yield
        return
    path = lock_file(database)
    path.parent.mkdir(parents=True, exist_ok=True)
    # The file stays after release: removing it would let two processes lock two different files.
    with open(path, "a+", encoding="utf-8") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise WarehouseBusy(
                f"another sync holds the warehouse {database} ({holder}; lock file {path})"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"{_holder()}, {_since(datetime.now(UTC))}")
        handle.flush()
        try:
            yield
        finally:
            handle.truncate(0)
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextmanager
def _advisory_lock(url: str) -> Iterator[None]:
    # Its own connection, outside any pool, kept open (and idle) for the whole run:
    # the lock lives exactly as long as this session.
    engine = sa.create_engine(
        url,
        poolclass=NullPool,
        isolation_level="AUTOCOMMIT",
        connect_args={"application_name": f"childreg sync: {_holder()}"[:63]},
    )
    try:
        with engine.connect() as conn:
            key = {"k": ADVISORY_KEY}
            if not conn.execute(sa.text("SELECT pg_try_advisory_lock(:k)"), key).scalar():
                raise WarehouseBusy(
                    f"another sync holds the warehouse {sa.make_url(url).database} "
                    f"({_advisory_holder(conn)}; PostgreSQL advisory lock {ADVISORY_KEY})"
                )
            try:
                yield
            finally:
                conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), key)
    finally:
        engine.dispose()


def _advisory_holder(conn: sa.Connection) -> str:
    """The holder's session: the application name it gave (``childreg sync: process …``), since when."""
    key = ADVISORY_KEY & 0xFFFFFFFFFFFFFFFF  # pg_locks shows the key as two unsigned 32-bit halves
    found = conn.execute(
        sa.text(
            "SELECT a.application_name, a.backend_start FROM pg_locks l JOIN pg_stat_activity a USING (pid) "
            "WHERE l.locktype = 'advisory' AND l.granted AND l.classid = :hi AND l.objid = :lo "
            "AND l.objsubid = 1 AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"
        ),
        {"hi": key >> 32, "lo": key & 0xFFFFFFFF},
    ).first()
    if found is None:  # released in between, or a session this role may not see
        return "another session"
    name, started = found
    return f"{(name or 'another session').removeprefix('childreg sync: ')}, {_since(started)}"
