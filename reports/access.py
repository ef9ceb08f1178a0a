"""Who may read what: the Access rules of registry.md applied to alert rows and texts.

Design (why it is this way):

- A department outside ``privileged_departments`` (health, civil affairs) never
  reads the engine's ``detail`` for an alert code that can ever be restricted:
  every row of such a code carries one generic sentence (exports.yaml,
  ``generic_detail``), restricted or not. Swapping the text only on restricted
  rows would mark them; a per-code sentence cannot, because the code is already
  the sheet. Codes that can never be restricted keep the engine's detail, which
  carries the specifics (amounts, school) a department acts on.
- A restricted row reaches such a department only when its code has a generic
  sentence and is not listed in ``withhold_restricted``: for a code whose own rule
  is "orphan or hiv", an hiv child would be the one non-orphan on the sheet.
  Unknown codes are withheld (deny by default). ``restricted`` left NULL counts as
  restricted.
- Per-code texts (sheet title, next step) are the same for every row, so they
  cannot single a child out, but they must not name a restricted condition either:
  a text that does is refused (``AlertText.public_*`` provides other wording).
- Such a department gets no category column (see exports.yaml, ``privileged_only``).
  Of an alert's evidence and of the records that say where to find a child it is told
  only what ``nameable_records`` and ``nameable_evidence`` keep: never a record of a
  restricted source (its name, file or row), never an item naming a restricted
  category or a diagnosis — whether the row is restricted or not, so what is left out
  marks no row.
"""

from __future__ import annotations

import logging

import pandas as pd

from reports.config import settings
from reports.texts import AlertText

log = logging.getLogger(__name__)


def _access() -> dict:
    return settings()["access"]


def is_privileged(department: str) -> bool:
    return department in _access()["privileged_departments"]


def restricted_capable(codes: pd.Series) -> pd.Series:
    """Codes whose rows can ever be restricted, as configured."""
    acc = _access()
    return codes.isin(acc["generic_detail"]) | codes.isin(acc["withhold_restricted"])


def shareable(rows: pd.DataFrame) -> pd.Series:
    """Which alert rows (alert, restricted) a department outside health and civil affairs may read.

    The coverage report counts these only, so its counts give back nothing the
    workbooks withhold (a withheld code's count less its orphans' would be its hiv children).
    """
    acc = _access()
    restricted = rows["restricted"].astype("boolean").fillna(True).astype(bool)
    generic = rows["alert"].isin(acc["generic_detail"])
    return ~restricted | (generic & ~rows["alert"].isin(acc["withhold_restricted"]))


def visible_rows(rows: pd.DataFrame, department: str) -> pd.DataFrame:
    """The alert rows (alert, restricted, detail) a department may read, with the detail it may read."""
    if is_privileged(department):
        return rows
    generic = rows["alert"].map(_access()["generic_detail"])
    keep = shareable(rows)
    if (~keep).any():
        withheld = rows.loc[~keep, "alert"].value_counts()
        log.info("withheld from %s, restricted: %s", department, withheld.to_dict())
    out = rows[keep].copy()
    out["detail"] = generic[keep].fillna(out["detail"])
    return out


def nameable_records(records: pd.DataFrame) -> pd.Series:
    """Which records (source_system) may be named to a department outside health and civil affairs."""
    return ~records["source_system"].isin(_access()["restricted_sources"])


def nameable_evidence(item: dict) -> bool:
    """Whether an evidence item ({system, file, row, field, value}) may be named to a
    department outside health and civil affairs."""
    acc = _access()
    value = item.get("value")
    return not (
        item.get("system") in acc["restricted_sources"]
        or value in acc["restricted_categories"]
        or str(item.get("field", "")).startswith("diagnosis")
    )


def reveals_health(text: str) -> bool:
    """Whether a sentence names a restricted condition (a guard on per-code texts)."""
    folded = text.casefold()
    return any(word.casefold() in folded for word in _access()["restricted_words"])


def texts_for(department: str, code: str, text: AlertText) -> tuple[str, str]:
    """(title, next step) a department reads for an alert code.

    Outside health and civil affairs, the public wording is used when given, and a
    text naming a restricted condition is refused rather than sent.
    """
    if is_privileged(department):
        return text.title, text.next_step
    title = text.public_title or text.title
    next_step = text.public_next_step or text.next_step
    if reveals_health(title) or reveals_health(next_step):
        raise ValueError(
            f"alert {code}: its title or next step names a restricted condition and would reach "
            f"{department}; give AlertText a public_title / public_next_step"
        )
    return title, next_step
