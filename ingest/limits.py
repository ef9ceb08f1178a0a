"""The intake's limits (``ingest/limits.yaml``) as one checked object.

Every limit has its default in the YAML and nowhere else; a test or an operator
wanting other limits passes a ``Limits`` built with ``dataclasses.replace``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib.resources import files


@dataclass(frozen=True)
class Limits:
    """What one file, sheet or line may be before it is refused or quarantined."""

    max_file_bytes: int
    max_unpacked_bytes: int
    max_sheet_rows: int
    max_sheet_columns: int
    max_sheet_cells: int
    skipped_prefixes: dict[str, str]
    reader_memory_mb: int
    reader_seconds: float
    max_line_chars: int
    misfiled_margin: int
    database_connect_seconds: float


@cache
def load_limits() -> Limits:
    """The limits of ``ingest/limits.yaml``; an unknown or missing key is an error."""
    import yaml  # not at the top: the reader process (ingest/guard.py) is handed its limits

    return Limits(**yaml.safe_load((files("ingest") / "limits.yaml").read_text(encoding="utf-8")))
