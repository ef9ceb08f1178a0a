"""The clerical review queue as a workbook, and the decisions read back from it.

The reviewer sees both records of each uncertain pair side by side and picks
same / different (or 是同一人 / 不是同一人) from the cell's list. Hidden columns
carry the pair's keys and a fingerprint of the row as written; a row whose
fingerprint no longer matches (someone edited it, or sorted only some columns)
comes back with ``validated`` false, so the linkage can refuse a decision whose
pair is in doubt.

The workbook holds names and identity numbers: it goes to the registry's own
reviewers (civil affairs), never to another department.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pandas as pd
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from reports.config import settings
from reports.display import as_dates, cell_rows, county_labels, sex_labels
from reports.xlsx import SheetColumn, add_sheet, fitted_columns, new_workbook, save

PROBABILITY = "匹配概率"
LEVEL_PREFIX = "比较·"
KEYS = ["pair_id", "record_key_l", "record_key_r"]
FINGERPRINT = "fingerprint"
# Cells the fingerprint covers: the pair's keys and what identifies each record to the reviewer.
_FINGERPRINTED = [*KEYS, "name_l", "name_r", "id_l", "id_r"]
_DECISION_FILL = "FFF2CC"
_DECISION_WIDTH = 16


def write_review_workbook(path: Path, review_pairs: pd.DataFrame, records: pd.DataFrame) -> Path:
    """Write the pairs still undecided, in the order given (the linkage ranks them).

    ``review_pairs`` is registry.review_pairs; ``records`` the staged records
    (work.staged_records, PERSON columns) both sides' record ids refer to.
    """
    cfg = settings()["review"]
    pairs = review_pairs[review_pairs["decision"].isna()].reset_index(drop=True)
    levels = _levels(pairs["levels"])
    frame = pd.concat([_side_by_side(pairs, records), levels], axis=1)
    frame[PROBABILITY] = pd.to_numeric(pairs["match_probability"]).round(3)
    frame["decision"] = None
    frame[FINGERPRINT] = _fingerprints(frame)

    shown = {PROBABILITY: PROBABILITY, **{c: c for c in levels.columns}, **_field_headers()}
    columns = [
        *fitted_columns(frame, shown),
        SheetColumn(cfg["decision_header"], _DECISION_WIDTH, fill=_DECISION_FILL),
        *(SheetColumn(c, 12, hidden=True) for c in [*KEYS, FINGERPRINT]),
    ]
    wb = new_workbook()
    ws = add_sheet(wb, cfg["sheet"], columns, cell_rows(frame, [*shown, "decision", *KEYS, FINGERPRINT]))
    ws.data_validations.append(_decision_list(get_column_letter(len(shown) + 1), len(frame)))
    return save(wb, path)


def _side_by_side(pairs: pd.DataFrame, records: pd.DataFrame) -> pd.DataFrame:
    """Both records' fields as *_l / *_r columns, plus the pair's keys."""
    rec = records.set_index("record_id")
    fields = pd.DataFrame(
        {
            "name": rec["name"],
            "sex": sex_labels(rec["sex"]),
            "birth_date": as_dates(rec["birth_date"]),
            "id": rec["id_number"].fillna(rec["id_candidate"]),
            "county": county_labels(rec["county_code"]),
            "source": rec["source_system"].map(settings()["sources"]).fillna(rec["source_system"]),
            # A restricted register's own file name can name the condition (…艾滋病…登记.xlsx):
            # the reviewer finds the row by source and row number instead.
            "source_file": rec["source_file"].where(
                ~rec["source_system"].isin(settings()["access"]["restricted_sources"]),
                settings()["review"]["restricted_file"],
            ),
            "source_row": rec["source_row"].astype("Int64"),
        },
        index=rec.index,
    )
    missing = ~(pairs["record_id_l"].isin(rec.index) & pairs["record_id_r"].isin(rec.index))
    if missing.any():
        raise ValueError(f"{int(missing.sum())} review pairs name a record absent from the records given")
    left = fields.loc[pairs["record_id_l"]].add_suffix("_l").reset_index(drop=True)
    right = fields.loc[pairs["record_id_r"]].add_suffix("_r").reset_index(drop=True)
    return pd.concat([pairs[KEYS], left, right], axis=1)


def _levels(levels: pd.Series) -> pd.DataFrame:
    """One column per comparison, holding the level's label (``levels`` is JSON text or a dict)."""
    parsed = [json.loads(v) if isinstance(v, str) else (v or {}) for v in levels]
    return pd.DataFrame(parsed, index=levels.index).add_prefix(LEVEL_PREFIX)


def _fingerprint(values: list[object]) -> str:
    text = "\x1f".join("" if v is None or v != v else str(v) for v in values)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _fingerprints(frame: pd.DataFrame) -> list[str]:
    return [_fingerprint(list(row)) for row in cell_rows(frame, _FINGERPRINTED)]


def _decision_list(column: str, n_rows: int) -> DataValidation:
    choices = ",".join(settings()["review"]["decisions"])
    validation = DataValidation(type="list", formula1=f'"{choices}"', allow_blank=True, showErrorMessage=True)
    validation.error = f"请选择：{choices}"
    validation.add(f"{column}2:{column}{max(n_rows, 1) + 1}")
    return validation


def read_review_decisions(path: Path) -> pd.DataFrame:
    """Decisions from a filled-in review workbook: pair_id, record_key_l, record_key_r, decision, validated.

    Blank decisions are skipped; a decision that is not one of the accepted texts is
    an error naming the file, row and column (never the cell's text, which could be
    anything a reviewer typed).
    """
    cfg = settings()["review"]
    accepted = {k.casefold(): v for k, v in cfg["decisions"].items()}
    headers = {**_field_headers(), "decision": cfg["decision_header"], **{c: c for c in [*KEYS, FINGERPRINT]}}
    wanted = [*_FINGERPRINTED, FINGERPRINT, "decision"]
    found = []
    wb = load_workbook(path, read_only=True, data_only=True)
    try:
        ws = wb[cfg["sheet"]] if cfg["sheet"] in wb.sheetnames else wb.worksheets[0]
        rows = ws.iter_rows(values_only=True)
        position = _positions(path, next(rows, ()), {c: headers[c] for c in wanted})
        for n, row in enumerate(rows, start=2):
            cells = {c: row[i] if i < len(row) else None for c, i in position.items()}
            text = "" if cells["decision"] is None else str(cells["decision"]).strip()
            if not text:
                continue
            if text.casefold() not in accepted:
                raise ValueError(
                    f"{Path(path).name}: row {n}, column {headers['decision']}: not a decision; "
                    f"write one of {', '.join(cfg['decisions'])}"
                )
            if not cells["pair_id"]:
                raise ValueError(f"{Path(path).name}: row {n}, column pair_id: empty")
            validated = _fingerprint([cells[c] for c in _FINGERPRINTED]) == cells[FINGERPRINT]
            decision = accepted[text.casefold()]
            found.append((*(cells[k] for k in KEYS), decision, validated, n))
    finally:
        wb.close()
    return _one_per_pair(path, pd.DataFrame(found, columns=[*KEYS, "decision", "validated", "row"]))


def _field_headers() -> dict[str, str]:
    """Logical column (name_l, id_r, ...) -> its header in the sheet."""
    cfg = settings()["review"]
    return {
        f"{field}_{side}": f"{header}（{cfg[label]}）"
        for field, header in cfg["fields"].items()
        for side, label in (("l", "left"), ("r", "right"))
    }


def _positions(path: Path, header_row: tuple, headers: dict[str, str]) -> dict[str, int]:
    """Where each needed column is, by its header; a missing one is an error naming it."""
    index = {str(h).strip(): i for i, h in enumerate(header_row) if h is not None}
    missing = [h for h in headers.values() if h not in index]
    if missing:
        raise ValueError(f"{Path(path).name}: not a review workbook, columns missing: {missing}")
    return {c: index[h] for c, h in headers.items()}


def _one_per_pair(path: Path, decisions: pd.DataFrame) -> pd.DataFrame:
    """One decision per pair; the same pair decided both ways is an error naming the rows."""
    per_pair = decisions.groupby("pair_id")["decision"].nunique()
    conflicting = decisions[decisions["pair_id"].isin(per_pair[per_pair > 1].index)]
    if len(conflicting):
        raise ValueError(f"{Path(path).name}: rows {sorted(conflicting['row'])}: one pair decided both ways")
    return decisions.drop_duplicates("pair_id").drop(columns="row").reset_index(drop=True)


# The inbox folder reviewers drop their filled-in review workbooks into.
REVIEW_FOLDER = "review_decisions"


def dropped_decisions(inbox: Path, sync_id: int) -> pd.DataFrame:
    """Reviewers' decisions from filled-in review workbooks dropped into
    ``inbox/review_decisions/``; rows whose pair was edited after export are ignored."""
    frames = [read_review_decisions(p) for p in sorted((Path(inbox) / REVIEW_FOLDER).glob("*.xlsx"))]
    decided = (
        pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["pair_id", "validated"])
    )
    decided = decided.loc[decided["validated"].astype(bool)].drop(columns="validated")
    return decided.drop_duplicates("pair_id", keep="last").assign(sync_id=sync_id)
