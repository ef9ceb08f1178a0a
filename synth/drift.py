"""A later month of the same city: the inbox with a share of its rows changed.

Used to test that child ids survive a sync (issue 3) and that incremental linkage
gives the ids a full run gives (issue 6). Only the CSV extracts are edited (they
hold most rows: education, insurance, assistance), as a department would between
two months: some rows dropped, some names corrected, some amounts changed.
"""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import numpy as np
import pandas as pd

KINDS = ("deleted", "renamed", "amount")
_NAME_HEADERS = ("姓名", "成员姓名")
_AMOUNT_HEADERS = ("寄宿生生活补助(元/年)", "个人缴费金额(元)", "月救助金额(元)")


def _plain(header: str) -> str:
    """A header as compared here: no line breaks or spaces, half-width brackets."""
    return "".join(header.split()).replace("（", "(").replace("）", ")")


def drift_inbox(city: Path, out: Path, share: float = 0.05, seed: int = 7) -> pd.DataFrame:
    """Copy ``city/inbox`` to ``out`` with ``share`` of the CSV data rows changed.

    Returns one row per change: source_system, source_file, source_row (before),
    person_id, kind. Deterministic for a seed.
    """
    if out.exists():
        shutil.rmtree(out)
    shutil.copytree(city / "inbox", out)
    records = pd.read_csv(city / "truth" / "records.csv", dtype=str, keep_default_na=False)
    files = pd.read_csv(city / "truth" / "files.csv", dtype=str, keep_default_na=False)
    rng = np.random.default_rng(seed)
    changes = []
    for spec in files.loc[(files["format"] == "csv") & (files["duplicate_of"] == "")].itertuples():
        rows = records.loc[
            (records["source_system"] == spec.source_system) & (records["source_file"] == spec.source_file)
        ]
        chosen = rows.loc[rng.random(len(rows)) < share]
        kinds = dict(zip(chosen["source_row"].astype(int), rng.choice(KINDS, len(chosen)), strict=True))
        _rewrite(out / spec.source_system / spec.source_file, spec.encoding, spec.separator, kinds)
        changes += [
            (spec.source_system, spec.source_file, int(r), p, kinds[int(r)])
            for r, p in zip(chosen["source_row"], chosen["person_id"], strict=True)
        ]
    return pd.DataFrame(changes, columns=["source_system", "source_file", "source_row", "person_id", "kind"])


def _rewrite(path: Path, encoding: str, separator: str, kinds: dict[int, str]) -> None:
    codec = {"utf-8-bom": "utf-8-sig", "utf-8": "utf-8", "gb18030": "gb18030"}.get(encoding.lower(), encoding)
    text = path.read_bytes().decode(codec)
    delimiter = "\t" if separator in ("tab", "\\t", "\t") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header: list[str] | None = None
    kept = []
    line = 1
    for row in reader:
        first_line, line = line, reader.line_num + 1
        if header is None and any(_plain(c) in _NAME_HEADERS for c in row):
            header = [_plain(c) for c in row]
        kind = kinds.get(first_line) if header is not None and first_line in kinds else None
        if kind == "deleted":
            continue
        if kind == "renamed":
            row = _renamed(row, header)
        elif kind == "amount":
            row = _new_amount(row, header)
        kept.append(row)
    buffer = io.StringIO(newline="")
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows(kept)
    path.write_bytes(buffer.getvalue().encode(codec))


def _renamed(row: list[str], header: list[str]) -> list[str]:
    """A corrected name: the last character replaced, as a clerk fixing a typo would."""
    for i, column in enumerate(header):
        if column in _NAME_HEADERS and i < len(row) and len(row[i]) >= 2:
            row[i] = row[i][:-1] + ("明" if row[i][-1] != "明" else "亮")
            break
    return row


def _new_amount(row: list[str], header: list[str]) -> list[str]:
    for i, column in enumerate(header):
        if column in _AMOUNT_HEADERS and i < len(row):
            row[i] = "0"
            break
    return row
