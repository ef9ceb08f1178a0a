"""Files readable by their owner only (registry.md, Access → Storage).

The DuckDB file, its write-ahead log, its spill folder and every export hold
children's names, identity numbers and health facts, so each is made ``0600``
(files) or ``0700`` (folders). Three layers, because no single one suffices:

- the process that opens a warehouse keeps a umask of at least ``077``
  (``owner_only_umask``), so whatever it creates afterwards (DuckDB's WAL and
  spill files, workbooks, their temporary names, Great Expectations' Data Docs)
  is born private — DuckDB creates its WAL with the umask's mode, after the
  connection is open, where no chmod of ours could run first;
- what existed before (a warehouse or an export folder of an older version) is
  set explicitly (``protect``, ``protect_duckdb``);
- DuckDB spills into a folder beside its file (``spill_folder``), not a fixed
  name under the shared system temp folder that anyone could create first.
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

OWNER_FILE = 0o600
OWNER_DIR = 0o700
_PRIVATE_UMASK = 0o077
_spill: Path | None = None


def owner_only_umask() -> None:
    """Keep the group and others' bits out of every file this process creates from now on."""
    current = os.umask(_PRIVATE_UMASK)
    os.umask(current | _PRIVATE_UMASK)


def private_dir(path: Path) -> Path:
    """``path`` as a folder (made with its parents when missing) readable by its owner only."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True, mode=OWNER_DIR)
    os.chmod(path, OWNER_DIR)
    return path


def protect(root: Path) -> None:
    """Every folder under ``root`` (itself included) 0700, every file 0600; links are not followed."""
    root = Path(root)
    if not root.exists():
        return
    if root.is_file():
        os.chmod(root, OWNER_FILE)
        return
    os.chmod(root, OWNER_DIR)
    for folder, dirs, files in os.walk(root):
        for names, mode in ((dirs, OWNER_DIR), (files, OWNER_FILE)):
            for name in names:
                path = Path(folder) / name
                if not _is_link(path):
                    os.chmod(path, mode)


def _is_link(path: Path) -> bool:
    return stat.S_ISLNK(os.lstat(path).st_mode)


def protect_duckdb(database: Path) -> None:
    """The DuckDB file and its write-ahead log, where they exist, 0600."""
    for path in (Path(database), Path(f"{database}.wal")):
        if path.exists():
            os.chmod(path, OWNER_FILE)


def duckdb_spill_folder(database: Path) -> Path:
    """The spill folder of a DuckDB warehouse file: ``<file>.spill/`` beside it, 0700."""
    return private_dir(Path(f"{database}.spill"))


def use_spill_folder(folder: Path) -> Path:
    """Make ``folder`` (0700) where every DuckDB of this process spills, Splink's included."""
    global _spill
    _spill = private_dir(folder)
    return _spill


def spill_folder() -> Path:
    """Where DuckDB spills: the warehouse's spill folder once one is opened, else a folder
    of this process's own, made 0700 by ``mkdtemp`` (never a fixed, guessable name)."""
    global _spill
    if _spill is None or not _spill.is_dir():
        _spill = Path(tempfile.mkdtemp(prefix="childreg-spill-"))
    return _spill
