"""Hand-made syncs for the policy tests: golden children and staged PERSON rows.

One builder, ``Sync``: ``child()`` adds a golden record, ``record()`` a staged row
of any source with every PERSON column (unset ones NULL), numbered like a
spreadsheet row so evidence can be checked; ``household()`` a roster household.
"""

from __future__ import annotations

import json
from datetime import date
from functools import cache
from itertools import count

import pandas as pd

from policy import PolicyResult, Rules, apply_policy, load_rules
from warehouse.tables import CHILDREN, PERSON

AS_OF = date(2026, 6, 30)
LEDGER = "civil_affairs_children"
ASSISTANCE = "civil_affairs_assistance"
POVERTY = "poverty_households"
DISABILITY = "disability_certificates"
EDUCATION = "education_students"
INSURANCE = "health_insurance"
HEALTH = "health_conditions"


def years_before(day: date, years: int, days: int = 0) -> date:
    """The birth date of someone who turns ``years`` on ``day`` (``days`` later for a positive shift)."""
    return (pd.Timestamp(day) - pd.DateOffset(years=years) + pd.Timedelta(days=days)).date()


class Sync:
    def __init__(self, as_of: date = AS_OF) -> None:
        self.as_of = as_of
        self._children: list[dict] = []
        self._records: list[dict] = []
        self._row = count(3)  # title and header rows above the data

    def child(self, child_id: str, age: int | None = 10, **fields: object) -> str:
        """A golden record, by default a rural 10-year-old; ``birth_date=`` overrides ``age``."""
        row = dict.fromkeys(CHILDREN.column_names)
        row.update(
            child_id=child_id,
            birth_date=years_before(self.as_of, age, days=-40) if age is not None else None,
            county_code="510411",
            township="大田",
            village="大田村",
            village_kind="village",
            hukou="rural",
        )
        row.update(fields)
        self._children.append(row)
        return child_id

    def record(self, system: str, child_id: str | None = None, **fields: object) -> dict:
        """A staged row of ``system``; a child's row when ``child_id`` is given."""
        row = dict.fromkeys(c.name for c in PERSON)
        source_row = next(self._row)
        row.update(
            source_system=system,
            source_file=f"{system}_202606.xlsx",
            source_row=source_row,
            record_id=f"{system}:{system}_202606.xlsx:{source_row}",
            role="child" if child_id else "adult",
            child_id=child_id,
        )
        row.update(fields)
        self._records.append(row)
        return row

    def household(self, system: str, number: str, **members: dict) -> str:
        """Roster rows sharing a household id; ``members`` maps a relationship code
        (head, spouse, son, …; suffix _2 etc. for a second one) to the row's fields."""
        household_id = f"{system}:{number}"
        for relationship, fields in members.items():
            self.record(system, household_id=household_id, relationship=relationship.split("_")[0], **fields)
        return household_id

    def frames(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        children = pd.DataFrame(self._children, columns=CHILDREN.column_names)
        records = pd.DataFrame(self._records, columns=[*(c.name for c in PERSON), "child_id"])
        return children, records

    def run(self, rules: Rules | None = None) -> PolicyResult:
        children, records = self.frames()
        return apply_policy(children, records, self.as_of, rules or _rules_in_force(self.as_of))


@cache
def _rules_in_force(as_of: date) -> Rules:
    return load_rules(as_of)


def categories_of(result: PolicyResult, child_id: str) -> set[tuple[str, str]]:
    rows = result.categories[result.categories["child_id"].eq(child_id)]
    return set(zip(rows["category"], rows["basis"], strict=True))


def alerts_of(result: PolicyResult, child_id: str) -> set[str]:
    return set(result.alerts.loc[result.alerts["child_id"].eq(child_id), "alert"])


def alert_row(result: PolicyResult, child_id: str, alert: str) -> pd.Series:
    rows = result.alerts[result.alerts["child_id"].eq(child_id) & result.alerts["alert"].eq(alert)]
    assert len(rows) == 1, f"expected one {alert} for {child_id}, got {len(rows)}"
    return rows.iloc[0]


def entitlement(result: PolicyResult, child_id: str, benefit: str) -> pd.Series:
    rows = result.entitlements[
        result.entitlements["child_id"].eq(child_id) & result.entitlements["benefit"].eq(benefit)
    ]
    assert len(rows) == 1, f"expected one {benefit} for {child_id}, got {len(rows)}"
    return rows.iloc[0]


def evidence_of(text: str) -> list[dict]:
    return json.loads(text)
