"""Which files of the inbox are read: regular files inside their source folder.

The inbox is written by many hands. A symbolic link in it would let any file the
sync can read (another department's extract, a system file) end up in the
registry, so links are refused, whether a file or a source folder, and every
path read is resolved and checked to be inside the inbox. Lock and hidden files
are no extracts: skipped and counted. Nothing here opens more than a file's
metadata before it is known to be a regular file within the size limit.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ingest.limits import Limits, load_limits
from ingest.tabular import UnreadableFile


@dataclass
class SourceFolder:
    """What a source's folder holds: the files to read (by name), the files
    skipped (lock and hidden files, sub-folders) and the entries refused (links,
    anything that is not a regular file), each as ``{file, reason}``."""

    files: list[Path] = field(default_factory=list)
    skipped: list[dict[str, str]] = field(default_factory=list)
    refused: list[dict[str, str]] = field(default_factory=list)


def discover(inbox: Path, sources: Iterable[str], limits: Limits | None = None) -> dict[str, SourceFolder]:
    """Each source's folder under ``inbox``, sorted by name (a source with no
    folder has an empty one). A source folder that is a link is refused whole."""
    limits = limits or load_limits()
    root = Path(inbox).resolve()
    found = {}
    for source in sources:
        folder = SourceFolder()
        path = root / source
        if path.is_symlink():
            folder.refused.append(
                {"file": f"{source}/", "reason": "the folder is a symbolic link: not followed"}
            )
        elif path.is_dir():
            for entry in sorted(os.scandir(path), key=lambda e: e.name):
                _sort_entry(entry, root, folder, limits)
        found[source] = folder
    return found


def _sort_entry(entry: os.DirEntry, root: Path, folder: SourceFolder, limits: Limits) -> None:
    skipped = next(
        (why for prefix, why in limits.skipped_prefixes.items() if entry.name.startswith(prefix)), None
    )
    if skipped is not None:
        folder.skipped.append({"file": entry.name, "reason": skipped})
    elif entry.is_symlink():
        folder.refused.append({"file": entry.name, "reason": "a symbolic link: not followed"})
    elif entry.is_dir(follow_symlinks=False):
        folder.skipped.append(
            {"file": entry.name, "reason": "a folder: only the source folder's own files are read"}
        )
    elif not entry.is_file(follow_symlinks=False):
        folder.refused.append({"file": entry.name, "reason": "not a regular file"})
    elif not Path(entry.path).resolve().is_relative_to(root):
        folder.refused.append({"file": entry.name, "reason": "resolves to a path outside the inbox"})
    else:
        folder.files.append(Path(entry.path))


def read_regular(path: Path, limits: Limits | None = None) -> bytes:
    """A file's bytes, refused (``UnreadableFile``) unless it is a regular file,
    not a link (checked on the open file itself, so a file swapped for a link
    after discovery is refused too) and within ``max_file_bytes``."""
    limits = limits or load_limits()
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise UnreadableFile("a symbolic link: not followed") from None
        raise UnreadableFile(f"cannot be opened ({errno.errorcode.get(error.errno, error.errno)})") from None
    with os.fdopen(descriptor, "rb") as stream:
        status = os.fstat(stream.fileno())
        if not stat.S_ISREG(status.st_mode):
            raise UnreadableFile("not a regular file")
        if status.st_size > limits.max_file_bytes:
            raise UnreadableFile(f"{status.st_size:,} bytes, over the limit of {limits.max_file_bytes:,}")
        data = stream.read(limits.max_file_bytes + 1)
    if len(data) > limits.max_file_bytes:
        raise UnreadableFile(f"over the limit of {limits.max_file_bytes:,} bytes")
    return data
