"""The children's staff roster (policy.md, Organisation): who supervises a village, and where nobody does.

The staff frame has the columns of the optional ``civil_affairs_staff`` extract, staged:
``county_code, township, village, name, role, phone``, with ``role`` one of
``supervisor`` (儿童督导员), ``director`` (儿童主任), ``township_worker`` (乡镇儿童工作人员),
and place names cleaned as for children, so they join on equality.

A village's 儿童督导员 is one listed at the village, else one listed for its
township with no village (督导员 are often appointed per township). The
department workbooks and the coverage report's list of unsupervised villages use
this same rule, so they never disagree.
"""

from __future__ import annotations

import pandas as pd

TOWNSHIP = ["county_code", "township"]
VILLAGE = [*TOWNSHIP, "village"]
SUPERVISOR = "supervisor"


def _blank(values: pd.Series) -> pd.Series:
    return values.isna() | (values.astype("string").str.strip() == "")


def _joined(staff: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """One row per place: the names and phones of its supervisors, joined by 、."""
    grouped = staff.sort_values("name").groupby(keys, dropna=False)
    return pd.DataFrame(
        {
            "supervisor": grouped["name"].agg(lambda s: "、".join(s.dropna().astype(str))),
            "supervisor_phone": grouped["phone"].agg(lambda s: "、".join(s.dropna().astype(str))),
        }
    ).reset_index()


def attach_supervisors(frame: pd.DataFrame, staff: pd.DataFrame) -> pd.DataFrame:
    """The frame (with county_code, township, village) plus supervisor and supervisor_phone."""
    supervisors = staff[staff["role"] == SUPERVISOR]
    at_township = _blank(supervisors["village"])
    by_village = _joined(supervisors[~at_township], VILLAGE)
    by_township = _joined(supervisors[at_township], TOWNSHIP)
    out = frame.merge(by_village, on=VILLAGE, how="left")
    fallback = out[TOWNSHIP].merge(by_township, on=TOWNSHIP, how="left")
    for col in ("supervisor", "supervisor_phone"):
        out[col] = out[col].where(out[col].notna(), fallback[col])
    return out


def townships_without_staff(places: pd.DataFrame, staff: pd.DataFrame) -> pd.DataFrame:
    """(county_code, township) among the places that have no staff member of any role."""
    townships = places[TOWNSHIP].dropna().drop_duplicates()
    staffed = staff[TOWNSHIP].dropna().drop_duplicates().assign(_staffed=True)
    found = townships.merge(staffed, on=TOWNSHIP, how="left")
    return found[found["_staffed"].isna()][TOWNSHIP].reset_index(drop=True)


def villages_without_supervisor(places: pd.DataFrame, staff: pd.DataFrame) -> pd.DataFrame:
    """(county_code, township, village) among the places with no 儿童督导员 by the rule above."""
    villages = places[VILLAGE].dropna().drop_duplicates().reset_index(drop=True)
    found = attach_supervisors(villages, staff)
    return found[found["supervisor"].isna()][VILLAGE].reset_index(drop=True)
