"""Staging: every raw row becomes a canonical person record (``PERSON``) or a
quarantine row with its reason.

A cell that cannot be read becomes NULL and is named in ``flags``; a row is
quarantined only when it cannot identify anyone (no name and no usable identity
number), it could not be read whole (``read_fault``) or its whole file cannot be
used (a duplicate, no header). What a column
means and how its labels are coded is the extract's mapping (YAML); what is
derived from what (a birth date from the identity number, an identity number
from a disability certificate) is here, each rule with the contract clause it
follows.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.json as pa_json

from ingest.config import ColumnSpec, Mapping, load_mappings
from ingest.parsers import clean_upper, parse_column, present, present_among
from values.cells import apply_unique
from values.ids import birth_dates_from_ids, sexes_from_ids
from values.names import name_key_frame
from values.places import townships_by_current_name, village_kinds_named_elsewhere
from values.reference import child_age, reference
from warehouse.tables import BOOL, DATE, FLOAT, INT, PERSON, QUARANTINE, STAFF

PERSON_COLUMNS = [c.name for c in PERSON]
_META = ["source_system", "source_file", "source_sheet", "source_row", "cells"]
# A certificate number is the holder's identity number, the category digit, the
# grade digit; its first 18 characters are taken as the number even when they
# fail the check (the identity parser then says so). A 全国学籍号 is G + the number.
_ID_IN_CERTIFICATE = re.compile(r"(.{18})([1-7])?([1-4])?.*")
_ID_IN_STUDENT_NUMBER = re.compile(r"G(.{18})")


# ---------------------------------------------------------------- flags


class Notes:
    """Short notes per row (``column:problem`` flags, codes), comma-joined at the end."""

    def __init__(self, index: pd.Index) -> None:
        self._index = index
        self._notes = np.full(len(index), "", dtype=object)

    def add(self, mask: pd.Series, note: str | pd.Series) -> None:
        hit = mask.to_numpy(dtype=bool)
        if not hit.any():
            return
        text = note if isinstance(note, str) else note.to_numpy(dtype=object)[hit]
        self._notes[hit] = self._notes[hit] + "," + text

    def joined(self) -> pd.Series:
        notes = pd.Series(self._notes, index=self._index, dtype=object).str.lstrip(",")
        return notes.where(notes != "", None)


# ---------------------------------------------------------------- raw rows → fields


def cell_headers(cells: pd.Series) -> list[str]:
    """The headers of a file's raw rows (every row of a file has the same keys)."""
    first = cells.iloc[0]
    return list(first if isinstance(first, dict) else json.loads(first))


def decode_cells(cells: pd.Series, headers: list[str]) -> pd.DataFrame:
    """The given headers' cells of a file's raw rows, one column each.

    pyarrow parses the JSON objects in bulk and skips the other keys; a JSON
    column read back from PostgreSQL arrives as dicts, and a writer that kept
    numbers as JSON numbers is read row by row.
    """
    if isinstance(cells.iloc[0], dict):
        records = list(cells)
    else:
        schema = pa.schema([(h, pa.string()) for h in headers])
        options = pa_json.ParseOptions(explicit_schema=schema, unexpected_field_behavior="ignore")
        try:
            table = pa_json.read_json(io.BytesIO(("\n".join(cells) + "\n").encode()), parse_options=options)
            return table.to_pandas().set_axis(cells.index)
        except pa.ArrowInvalid:
            records = [json.loads(c) for c in cells]
    return pd.DataFrame.from_records(records, index=cells.index).reindex(columns=headers)


@dataclass
class SourceFields:
    """A source's usable rows as raw field columns, the header each field had in
    its file (for reasons), and the rows of unusable files, quarantined."""

    fields: pd.DataFrame
    headers: dict[str, dict[str, str]]
    rejected: pd.DataFrame


def _duplicate_files(rows: pd.DataFrame) -> dict[str, str]:
    """File → the earlier file (by name) with the same bytes."""
    files = rows[["source_file", "file_hash"]].drop_duplicates().sort_values("source_file")
    first = files.drop_duplicates("file_hash").set_index("file_hash")["source_file"]
    later = files[files["source_file"] != files["file_hash"].map(first)]
    return dict(zip(later["source_file"], later["file_hash"].map(first), strict=True))


def source_fields(rows: pd.DataFrame, mapping: Mapping, sync_id: int) -> SourceFields:
    """Map each file's headers to fields; reject duplicate and headerless files
    whole, and rows the reader could not read whole (``read_fault``) one by one."""
    duplicates = _duplicate_files(rows)
    parts, rejected, headers = [], [], {}
    if "read_fault" in rows:
        faulty = rows["read_fault"].notna()
        rejected.append(_quarantine(rows[faulty], rows.loc[faulty, "read_fault"].tolist(), sync_id))
        rows = rows[~faulty]
    for file_name, file_rows in rows.groupby("source_file", sort=True):
        if file_name in duplicates:
            rejected.append(_quarantine(file_rows, f"duplicate of {duplicates[file_name]}", sync_id))
            continue
        names = cell_headers(file_rows["cells"])
        matched = mapping.match_headers(names)
        if not mapping.recognises(matched.values()):
            reason = f"no header row recognisable as {mapping.source_system} in {file_name}"
            rejected.append(_quarantine(file_rows, reason, sync_id))
            continue
        headers[file_name] = {f: names[i] for i, f in matched.items()}
        part = decode_cells(file_rows["cells"], [names[i] for i in matched]).set_axis(
            list(matched.values()), axis=1
        )
        parts.append(pd.concat([file_rows[_META], part], axis=1))
    fields = pd.concat(parts) if parts else pd.DataFrame(columns=_META)
    quarantined = pd.concat(rejected) if rejected else _empty(QUARANTINE.column_names)
    return SourceFields(fields, headers, quarantined)


def _quarantine(rows: pd.DataFrame, reason: str | list[str], sync_id: int) -> pd.DataFrame:
    frame = rows[["source_system", "source_file", "source_sheet", "source_row"]].copy()
    frame["sync_id"] = sync_id
    frame["reason"] = reason
    frame["raw_row"] = rows["cells"]
    return frame[QUARANTINE.column_names]


def _empty(columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})


# ---------------------------------------------------------------- fields → values

Columns = dict[str, pd.Series]


def parse_fields(cells: Columns, mapping: Mapping, flags: Notes) -> Columns:
    """Every mapped column parsed, by output name. An identity column gives the
    number (valid or NULL); the person's own also its candidate and status. A
    village column gives its kind too; a date column is datetime64. A grade is
    read after the school stage."""
    out: Columns = {}
    specs = sorted((s for f, s in mapping.columns.items() if f in cells), key=lambda s: s.parser == "grade")
    for spec in specs:
        raw = cells[spec.field]
        parsed = parse_column(raw, spec, stage=out.get("school_stage"))
        flags.add(parsed.failed, f"{spec.field}:" + parsed.problem)
        values = parsed.values
        if spec.parser == "id":
            out[spec.field] = values["id_number"]
            if spec.field == "id_number":
                out["id_candidate"], out["id_status"] = values["id_candidate"], values["status"]
        elif spec.parser == "village":
            out[spec.field], out[f"{spec.field}_kind"] = values["village"], values["kind"]
        elif spec.parser == "address":
            continue  # fills place columns only where the extract has none: after the loop
        elif spec.parser == "date":
            out[spec.field] = as_datetime(values)
        else:
            out[spec.field] = values
        for target, codes in spec.also.items():
            # Unknown labels are flagged by the column's own vocabulary, above.
            out[target] = parse_column(raw, ColumnSpec(target, "code", (), codes)).values
        if spec.default is not None:
            unread = out[spec.field].isna()
            out[spec.field] = out[spec.field].where(~unread | present_among(raw, unread), spec.default)
    index = next(iter(cells.values())).index
    if "address" in cells and "address" in mapping.columns:
        _fill_place_from_address(out, parse_column(cells["address"], mapping.columns["address"]).values)
    for column, value in mapping.constants.items():
        out[column] = pd.Series(value, index=index, dtype=object)
    return out


def _fill_place_from_address(out: Columns, address: pd.DataFrame) -> None:
    """County, township and village from the address where the extract has no column
    for them or the column is blank."""
    for column in ("county_code", "township", "village", "village_kind"):
        if column in out:
            out[column] = out[column].where(out[column].notna(), address[column])
        else:
            out[column] = address[column]


def as_datetime(values: pd.Series) -> pd.Series:
    """Dates as datetime64, converted once per distinct date."""
    codes, uniques = pd.factorize(values)
    converted = pd.to_datetime(pd.Series(list(uniques), dtype=object), errors="coerce").to_numpy()
    converted = np.append(converted.astype("datetime64[ns]"), np.datetime64("NaT", "ns"))
    return pd.Series(converted[codes], index=values.index)


def _cell_columns(fields: pd.DataFrame) -> Columns:
    """The raw field columns of a source's rows (not the row's provenance)."""
    return {c: fields[c] for c in fields.columns if c not in _META}


def _fill_identity_cells(cells: Columns, mapping: Mapping) -> Columns:
    """Cells that say who the row is when its own name or number cell is blank.

    A disability certificate number begins with the holder's identity number, and
    a 全国学籍号 is ``G`` + the pupil's (sources.md, extracts 4 and 5). A
    household head's row may fill only the 户主 columns.
    """
    index = next(iter(cells.values())).index
    nothing = pd.Series(None, index=index, dtype=object)
    cells = {"name": nothing, "id_number": nothing, **cells}
    id_blank = ~present(cells["id_number"])
    for source, pattern in (
        ("certificate_number", _ID_IN_CERTIFICATE),
        ("student_number", _ID_IN_STUDENT_NUMBER),
    ):
        if source in cells:
            number = _embedded(cells[source], pattern, 1)
            cells["id_number"] = cells["id_number"].where(~id_blank | number.isna(), number)
    if "relationship" in cells:
        head = parse_column(cells["relationship"], mapping.columns["relationship"]).values.eq("head")
        for own, of_head in (("name", "head_name"), ("id_number", "head_id")):
            if of_head in cells:
                fill = head & ~present_among(cells[own], head)
                cells[own] = cells[own].where(~fill, cells[of_head])
    return cells


def _embedded(values: pd.Series, pattern: re.Pattern[str], group: int) -> pd.Series:
    """A group of ``pattern`` in each cleaned cell, None where it does not match."""

    def read(raw: object) -> str | None:
        text = clean_upper(raw)
        match = pattern.fullmatch(text) if text else None
        return match.group(group) if match else None

    return apply_unique(values, read)


# ---------------------------------------------------------------- derived fields


def _role(
    born: pd.Series, relationship: pd.Series, id_status: pd.Series, mapping: Mapping, as_of: date
) -> pd.Series:
    """child / adult / undetermined (registry.md): the ledger's rows are children
    even aged out; otherwise the age in whole years at the as-of date decides;
    without a birth date a roster row is an adult when it is the head or spouse, or
    carries a 15-digit legacy number (issued to adults only, sources.md), and
    undetermined otherwise, and a row of a children-only extract is a child."""
    if mapping.population == "ledger":
        return pd.Series("child", index=born.index, dtype=object)
    birthday_ahead = (born.dt.month > as_of.month) | (
        (born.dt.month == as_of.month) & (born.dt.day > as_of.day)
    )
    age = as_of.year - born.dt.year - birthday_ahead.astype(int)
    if mapping.population == "roster":
        adult = relationship.isin(reference()["adult_relationships"]) | id_status.eq("legacy15")
        undated = np.where(adult, "adult", "undetermined")
    else:
        undated = "child"
    role = np.where(born.isna(), undated, np.where(age < child_age(), "child", "adult"))
    return pd.Series(role, index=born.index, dtype=object)


def _record_keys(out: Columns) -> pd.Series:
    """A content key: a short hash of who the row says it is, plus its occurrence
    among identical rows of the source (file, then row order), so a row keeps its
    key when rows move and two identical rows get two keys."""
    parts = [out["source_system"].astype(str)]
    for column in ("name_norm", "id_candidate", "household_id", "relationship"):
        parts.append(out[column].where(out[column].notna(), ""))
    parts.append(_iso_dates(out["birth_date"]))
    rows = zip(*(p.tolist() for p in parts), strict=True)
    # Nearly every row differs, so each is hashed once rather than deduplicated first.
    digest = pd.Series([_short_hash("\x1f".join(row)) for row in rows], index=parts[0].index, dtype=object)
    files = pd.factorize(out["source_file"], sort=True)[0]
    order = np.lexsort((out["source_row"].to_numpy(dtype=np.int64), files))
    ordered = digest.iloc[order]
    occurrence = ordered.groupby(ordered, sort=False).cumcount().add(1).reindex(digest.index)
    return digest + "-" + occurrence.astype(str)


def _iso_dates(dates: pd.Series) -> pd.Series:
    """Dates as ISO text ("" for none), formatted once per distinct date."""
    codes, uniques = pd.factorize(dates)
    texts = np.append(uniques.strftime("%Y-%m-%d").to_numpy(dtype=object), "")
    return pd.Series(texts[codes], index=dates.index)


def _short_hash(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()[:16]


def _resolve_hukou(hukou: pd.Series, village_kind: pd.Series) -> pd.Series:
    """居民户口 is rural in a 村 and urban in a 社区 (common.yaml hukou_by_village_kind)."""
    for code, by_kind in reference()["hukou_by_village_kind"].items():
        resolved = village_kind.map(by_kind)
        hukou = hukou.where(hukou.ne(code), resolved.astype(object).where(resolved.notna(), None))
    return hukou


def _certificate_codes(cells: Columns, out: Columns) -> Columns:
    """Category and grade from the certificate's last two digits where the
    columns are blank (sources.md, extract 4)."""
    if "certificate_number" not in cells:
        return {}
    codes = {}
    for column, group in (("disability_category", 2), ("disability_grade", 3)):
        digit = pd.to_numeric(
            _embedded(cells["certificate_number"], _ID_IN_CERTIFICATE, group), errors="coerce"
        )
        codes[column] = out[column].where(out[column].notna(), digit)
    return codes


def _flag_sets(values: Columns, mapping: Mapping, index: pd.Index) -> Columns:
    """Yes/no columns joined into one coded column (the school's own flags)."""
    joined = {}
    for target, codes in mapping.flag_sets.items():
        notes = Notes(index)
        for code, column in codes.items():
            if column in values:
                notes.add(values[column].eq(True), code)
        joined[target] = notes.joined()
    return joined


# ---------------------------------------------------------------- staging


def stage(raw: pd.DataFrame, as_of: date, sync_id: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Stage a sync's raw rows (all files, so duplicates across files are seen, and a
    village's kind that one file names serves the rows of another that leave it out).

    Returns (staged rows in ``PERSON`` columns, quarantined rows in ``QUARANTINE``
    columns); every person-extract row is in exactly one. Staff-roster rows are
    not persons: ``stage_staff`` reads them.
    """
    mappings = load_mappings()
    staged: list[Columns] = []
    quarantined = []
    for source, rows in raw.groupby("source_system", sort=True):
        mapping = mappings.get(source)
        if mapping is None:
            quarantined.append(_quarantine(rows, f"no mapping for source system {source}", sync_id))
            continue
        if mapping.kind != "person":
            continue
        usable = source_fields(rows, mapping, sync_id)
        quarantined.append(usable.rejected)
        if len(usable.fields):
            rows_staged, rows_quarantined = _stage_source(usable, mapping, as_of, sync_id)
            staged.append(rows_staged)
            quarantined.append(rows_quarantined)
    quarantined = [q for q in quarantined if len(q)]
    quarantine = pd.concat(quarantined, ignore_index=True) if quarantined else _empty(QUARANTINE.column_names)
    quarantine["source_row"] = quarantine["source_row"].astype("int64")
    records = _typed(staged)
    records["township"] = townships_by_current_name(records)
    records["village_kind"] = village_kinds_named_elsewhere(records)
    records["hukou"] = _resolve_hukou(records["hukou"], records["village_kind"])
    return records, quarantine


def _stage_source(
    usable: SourceFields, mapping: Mapping, as_of: date, sync_id: int
) -> tuple[Columns, pd.DataFrame]:
    """One source's identified rows as PERSON columns, and its unidentified rows."""
    fields = usable.fields
    cells = _fill_identity_cells(_cell_columns(fields), mapping)
    index = fields.index
    flags = Notes(index)
    values = parse_fields(cells, mapping, flags)
    nothing = pd.Series(None, index=index, dtype=object)
    out = {c: values.get(c, nothing) for c in PERSON_COLUMNS}
    for column in ("source_system", "source_file", "source_sheet", "source_row"):
        out[column] = fields[column]
    keys = apply_unique(out["name"], name_key_frame, batch=True)
    out.update({k: keys[k] for k in NAME_KEYS})
    out["birth_date_from_id"] = birth_dates_from_ids(out["id_number"])
    if out["birth_date"].dtype == object:
        out["birth_date"] = as_datetime(out["birth_date"])
    out["birth_date"] = out["birth_date"].where(out["birth_date"].notna(), out["birth_date_from_id"])
    out["sex"] = out["sex"].where(out["sex"].notna(), sexes_from_ids(out["id_number"]))
    out["sex"] = out["sex"].where(
        out["sex"].notna(), out["relationship"].map(reference()["sex_by_relationship"])
    )
    out.update(_certificate_codes(cells, out))
    out.update(_flag_sets(values, mapping, index))
    if "household_number" in values:
        number = values["household_number"]
        out["household_id"] = (mapping.source_system + ":" + number).where(number.notna(), None)
        out["head_name"] = _head_names(out)
    out["id_status"] = out["id_status"].fillna("missing")
    out["flags"] = flags.joined()
    out["sync_id"] = pd.Series(sync_id, index=index)
    out["role"] = _role(out["birth_date"], out["relationship"], out["id_status"], mapping, as_of)
    out["record_id"] = out["source_system"] + ":" + out["source_file"] + ":" + out["source_row"].astype(str)
    identified = (out["name"].notna() | out["id_number"].notna()).to_numpy()
    absent = nothing[identified]  # one filtered copy for all the columns the extract lacks
    kept = {c: absent if v is nothing else v[identified] for c, v in out.items()}
    kept["record_key"] = _record_keys(kept)
    unidentified = fields.loc[~identified]
    reasons = _unidentified_reasons(unidentified, out["id_status"][~identified], usable.headers)
    return kept, _quarantine(unidentified, reasons, sync_id)


def _head_names(out: Columns) -> pd.Series:
    """户主姓名 for every member of a roster household, taken from the head's own row
    where the extract has no such column (the poverty roster): linkage compares it
    with the guardian and parents named by other departments."""
    is_head = out["relationship"] == "head"
    heads = pd.DataFrame({"household": out["household_id"][is_head], "name": out["name"][is_head]}).dropna()
    head_of = heads.drop_duplicates("household").set_index("household")["name"]
    return out["head_name"].where(out["head_name"].notna(), out["household_id"].map(head_of))


NAME_KEYS = ("name_norm", "name_pinyin", "name_pinyin_folded", "surname_pinyin", "given_pinyin")


def _unidentified_reasons(
    rows: pd.DataFrame, statuses: pd.Series, headers: dict[str, dict[str, str]]
) -> list[str]:
    """Why a row identifies no one, naming the file, the row and the columns."""
    reasons = []
    for file_name, row, status in zip(rows["source_file"], rows["source_row"], statuses, strict=True):
        columns = headers[file_name]
        name = f"column {columns['name']}" if "name" in columns else "no name column"
        number = f"column {columns['id_number']}" if "id_number" in columns else "no identity column"
        reasons.append(
            f"{file_name} row {row}: no name ({name}) and no usable identity number ({number}: {status})"
        )
    return reasons


def _typed(parts: list[Columns]) -> pd.DataFrame:
    """The sources' columns stacked, in PERSON order, each in the dtype its
    declared type reads back as (dates as datetime64, like ``warehouse.io.read_frame``).

    Stacked column by column: a frame ``concat`` tests every cell of an all-NULL
    column for NA-ness, seconds for a city. The frame is not consolidated into one
    block per dtype: that would copy every object column of a city once more.
    Each part's column is let go once stacked, so a city is never held twice.
    """
    typed = {}
    for column in PERSON:
        series = [p.pop(column.name) for p in parts]
        if column.type == DATE:
            dates = [
                s.to_numpy("datetime64[ns]") if s.dtype.kind == "M" else as_datetime(s).to_numpy()
                for s in series
            ]
            typed[column.name] = pd.Series(np.concatenate(dates) if dates else [], dtype="datetime64[ns]")
        elif column.type in (INT, FLOAT):
            typed[column.name] = _numbers(series).astype("Int64" if column.type == INT else "float64")
        else:
            values = _objects(series)
            typed[column.name] = values.astype("boolean") if column.type == BOOL else values
    return pd.DataFrame(typed, copy=False)


def _objects(series: list[pd.Series]) -> pd.Series:
    """The parts' cells one after another, None for every kind of NULL."""
    values = (
        np.concatenate([s.to_numpy(dtype=object) for s in series]) if series else np.array([], dtype=object)
    )
    values[pd.isna(values)] = None
    return pd.Series(values, dtype=object)


def _numbers(series: list[pd.Series]) -> pd.Series:
    """The parts' numbers one after another, NaN where a cell holds none. Each part
    is converted on its own: numbers stay as they are and a source without the
    column (all NULL) needs no look at its cells."""
    arrays = [_as_numbers(s) for s in series]
    return pd.Series(np.concatenate(arrays)) if arrays else pd.Series([], dtype=object)


def _as_numbers(values: pd.Series) -> np.ndarray:
    if isinstance(values.dtype, np.dtype) and values.dtype.kind in "iuf":
        return values.to_numpy()
    if values.isna().all():
        return np.full(len(values), np.nan)
    return pd.to_numeric(values, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)


# ---------------------------------------------------------------- staff roster


def stage_staff(raw: pd.DataFrame) -> pd.DataFrame:
    """The optional staff roster (policy.md, Organisation) in ``STAFF`` columns.

    Its rows are not persons of the registry; rows of a duplicate or headerless
    roster file, and rows without a name, are left out.
    """
    mappings = load_mappings()
    frames = []
    for source, rows in raw.groupby("source_system", sort=True):
        mapping = mappings.get(source)
        if mapping is None or mapping.kind != "staff":
            continue
        usable = source_fields(rows, mapping, sync_id=0)
        if not len(usable.fields):
            continue
        fields = usable.fields
        values = parse_fields(_cell_columns(fields), mapping, Notes(fields.index))
        frame = pd.DataFrame({c: values.get(c) for c in STAFF.column_names}, index=fields.index)
        frames.append(frame[frame["name"].notna()])
    staff = pd.concat(frames, ignore_index=True) if frames else _empty(STAFF.column_names)
    return staff.astype(object).where(staff.notna(), None)


def fill_raw_rows(quarantine: pd.DataFrame, raw: pd.DataFrame) -> None:
    """Quarantined rows keep the row as read, so nothing is lost with them."""
    key = ["source_system", "source_file", "source_row"]
    missing = quarantine["raw_row"].isna()
    if missing.any():
        # Indexing only the files that have quarantined rows: a city's raw rows are millions.
        files = raw.loc[raw["source_file"].isin(quarantine.loc[missing, "source_file"]), [*key, "cells"]]
        cells = files.set_index(key)["cells"]
        index = pd.MultiIndex.from_frame(quarantine.loc[missing, key])
        quarantine.loc[missing, "raw_row"] = cells.reindex(index).to_numpy()
