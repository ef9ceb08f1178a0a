"""Entitlements (二（二）): what the policy promises each child, and what is paid.

One row per child and benefit the child is entitled to, with the amount due and
the amount the sources record, and a status: ``received`` (the policy is met),
``underpaid`` (less than due: one yuan short counts) or ``missing`` (nothing:
blank or 0, or the in-kind benefit not recorded). In-kind benefits (insurance,
its subsidy, rehabilitation) have no expected amount.

Beside the rows, two long frames the alerts are built from: ``reasons`` (the
categories that entitle the child) and ``items`` (the source fields that show
what was paid, the gap's evidence).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from policy import evidence
from policy.extracts import Extracts
from policy.ruleset import Rules
from policy.sources import ASSISTANCE, DISABILITY, EDUCATION, INSURANCE, LEDGER

ROW_COLUMNS = ["child_id", "benefit", "expected_amount", "received_amount", "period", "status"]
KEYS = ["child_id", "benefit"]


@dataclass(frozen=True)
class Assessment:
    rows: pd.DataFrame  # ROW_COLUMNS
    reasons: pd.DataFrame  # child_id, benefit, reason (category code)
    items: pd.DataFrame  # child_id, benefit + evidence.ITEM_COLUMNS


def assess(
    children: pd.DataFrame, extracts: Extracts, member: pd.DataFrame, as_of: date, rules: Rules
) -> Assessment:
    """Every benefit of every child; ``member`` is categories.membership (any basis)."""
    parts = [
        _living_allowance(extracts, member, rules),
        _disability_allowance(extracts, member, rules),
        _medical_insurance(extracts, member, as_of, rules),
        _insurance_subsidy(extracts, member, as_of, rules),
        _rehabilitation(children, extracts, member, rules),
        _boarding_subsidy(extracts, member, rules),
        _disabled_student_subsidy(extracts, member, rules),
    ]
    rows = pd.concat([p.rows for p in parts], ignore_index=True)
    rows["period"] = rows["benefit"].map({code: b.period for code, b in rules.benefits.items()})
    return Assessment(
        rows[ROW_COLUMNS].sort_values(KEYS, ignore_index=True),
        pd.concat([p.reasons for p in parts], ignore_index=True),
        pd.concat([p.items for p in parts], ignore_index=True),
    )


def compulsory_band_amount(rows: pd.DataFrame, rules: Rules) -> pd.Series:
    """Boarding subsidy due for each education row in compulsory education; NaN outside it."""
    grade = rows["grade"]
    due = pd.Series(np.nan, index=rows.index)
    for band in reversed(rules.compulsory_education):
        in_band = rows["school_stage"].eq(band.stage)
        if band.grades is not None:
            in_band &= grade.between(*band.grades)
        due = due.mask(in_band.fillna(False).astype(bool), band.boarding_subsidy)
    return due


def _holders(member: pd.DataFrame, categories: list[str]) -> pd.Index:
    return member.index[member[categories].any(axis=1)]


def _reasons(member: pd.DataFrame, children: pd.Index, categories: list[str], benefit: str) -> pd.DataFrame:
    """One row per child and entitling category it holds."""
    held = member.loc[children, categories].stack()
    held = held[held]
    return pd.DataFrame(
        {
            "child_id": held.index.get_level_values(0),
            "benefit": benefit,
            "reason": held.index.get_level_values(1),
        }
    )


def _max_by_child(rows: pd.DataFrame, column: str, children: pd.Index) -> pd.Series:
    return rows[column].groupby(rows["child_id"]).max().reindex(children)


def _money_status(expected: pd.Series, received: pd.Series) -> pd.Series:
    status = np.where(
        received.isna() | received.le(0), "missing", np.where(received < expected, "underpaid", "received")
    )
    return pd.Series(status, index=expected.index)


def _kind_status(received: pd.Series) -> pd.Series:
    return pd.Series(np.where(received, "received", "missing"), index=received.index)


def _money(
    benefit: str,
    children: pd.Index,
    expected: pd.Series,
    received: pd.Series,
    reasons: pd.DataFrame,
    items: pd.DataFrame,
) -> Assessment:
    rows = pd.DataFrame(
        {
            "child_id": children,
            "benefit": benefit,
            "expected_amount": expected.to_numpy(dtype=float),
            "received_amount": received.to_numpy(dtype=float),
            "status": _money_status(expected, received).to_numpy(),
        }
    )
    return Assessment(rows, reasons, items.assign(benefit=benefit))


def _in_kind(
    benefit: str,
    received: pd.Series,
    reasons: pd.DataFrame,
    items: pd.DataFrame,
    amount: pd.Series | None = None,
) -> Assessment:
    rows = pd.DataFrame(
        {
            "child_id": received.index,
            "benefit": benefit,
            "expected_amount": np.nan,
            "received_amount": np.nan if amount is None else amount.to_numpy(dtype=float),
            "status": _kind_status(received).to_numpy(),
        }
    )
    return Assessment(rows, reasons, items.assign(benefit=benefit))


def _living_allowance(extracts: Extracts, member: pd.DataFrame, rules: Rules) -> Assessment:
    """二（二）1(1)(2): orphans, and HIV-infected children at the orphans' rate."""
    categories = ["orphan", "hiv"]
    children = _holders(member, categories)
    ledger = extracts.of(LEDGER, children=children)
    return _money(
        "living_allowance",
        children,
        pd.Series(rules.living_allowance, index=children),
        _max_by_child(ledger, "living_allowance", children),
        _reasons(member, children, categories, "living_allowance"),
        evidence.cite(ledger, "living_allowance", child_id=ledger["child_id"]),
    )


def _disability_allowance(extracts: Extracts, member: pd.DataFrame, rules: Rules) -> Assessment:
    """二（二）1(3): the amount follows the household's assistance type, the highest one applying."""
    children = _holders(member, ["severe_disability"])
    assistance = extracts.of(ASSISTANCE, children=children)
    assistance = assistance[assistance["assistance_type"].isin(rules.disability_allowance_by_assistance)]
    expected = (
        assistance["assistance_type"]
        .map(rules.disability_allowance_by_assistance)
        .groupby(assistance["child_id"])
        .max()
        .reindex(children)
        .fillna(rules.disability_allowance_otherwise)
    )
    certificates = extracts.of(DISABILITY, children=children)
    items = pd.concat(
        [
            evidence.cite(certificates, "disability_allowance", child_id=certificates["child_id"]),
            evidence.cite(assistance, "assistance_type", child_id=assistance["child_id"]),
        ]
    )
    return _money(
        "disability_allowance",
        children,
        expected,
        _max_by_child(certificates, "disability_allowance", children),
        _reasons(member, children, ["severe_disability"], "disability_allowance"),
        items,
    )


def _this_years_insurance(extracts: Extracts, children: pd.Index, as_of: date) -> pd.DataFrame:
    rows = extracts.of(INSURANCE, children=children)
    return rows[rows["insurance_year"].eq(as_of.year)]


def _insured(extracts: Extracts, children: pd.Index, as_of: date, rules: Rules) -> pd.DataFrame:
    """This year's 参保缴费 rows of the children."""
    rows = _this_years_insurance(extracts, children, as_of)
    return rows[rows["insurance_status"].eq(rules.insurance["paid"])]


def _medical_insurance(extracts: Extracts, member: pd.DataFrame, as_of: date, rules: Rules) -> Assessment:
    """二（二）2: every distressed child insured for the as-of year."""
    children = _holders(member, ["distressed"])
    this_year = _this_years_insurance(extracts, children, as_of)
    paid = _insured(extracts, children, as_of, rules)
    received = pd.Series(children.isin(paid["child_id"]), index=children)
    return _in_kind(
        "medical_insurance",
        received,
        _reasons(member, children, ["distressed"], "medical_insurance"),
        evidence.cite(this_year, "insurance_status", child_id=this_year["child_id"]),
    )


def _insurance_subsidy(extracts: Extracts, member: pd.DataFrame, as_of: date, rules: Rules) -> Assessment:
    """二（二）2(1)(2)(3): 全额资助 for orphans, extreme hardship and poor families; any 资助
    for serious illness and severe disability. Only the reasons left unmet are kept."""
    full_required, any_required = (
        list(rules.insurance["full_required"]),
        list(rules.insurance["any_required"]),
    )
    children = _holders(member, full_required + any_required)
    paid = _insured(extracts, children, as_of, rules)
    full = rules.insurance["full_subsidies"]
    has_full = pd.Series(
        children.isin(paid.loc[paid["insurance_subsidy"].isin(full), "child_id"]), index=children
    )
    any_codes = [*full, *rules.insurance["partial_subsidies"]]
    has_any = pd.Series(
        children.isin(paid.loc[paid["insurance_subsidy"].isin(any_codes), "child_id"]), index=children
    )
    unmet_full = member.loc[children, full_required].any(axis=1) & ~has_full
    unmet_any = member.loc[children, any_required].any(axis=1) & ~has_any
    received = ~(unmet_full | unmet_any)
    reasons = pd.concat(
        [
            _reasons(member, children[unmet_full.to_numpy()], full_required, "insurance_subsidy"),
            _reasons(member, children[unmet_any.to_numpy()], any_required, "insurance_subsidy"),
            _reasons(
                member, children[received.to_numpy()], full_required + any_required, "insurance_subsidy"
            ),
        ]
    )
    return _in_kind(
        "insurance_subsidy",
        received,
        reasons,
        evidence.cite(paid, "insurance_subsidy", child_id=paid["child_id"]),
        amount=_max_by_child(paid, "insurance_subsidy_amount", children),
    )


def _rehabilitation(
    children: pd.DataFrame, extracts: Extracts, member: pd.DataFrame, rules: Rules
) -> Assessment:
    """二（二）2(3): disabled children aged 0–6 with a visual, hearing, speech, physical,
    intellectual or multiple disability, or autism."""
    age = children.set_index("child_id")["age"]
    disabled = _holders(member, ["disabled"])
    young = disabled[
        age.reindex(disabled).le(rules.ages.rehabilitation_max).fillna(False).to_numpy(dtype=bool)
    ]
    certificates = extracts.of(DISABILITY, children=young)
    qualifying = certificates[
        certificates["disability_category"].isin(rules.rehabilitation_categories)
        | certificates["autism"].eq(True).fillna(False).astype(bool)
    ]
    entitled = pd.Index(qualifying["child_id"].unique(), name="child_id")
    served = qualifying.loc[qualifying["rehab_received"].eq(True).fillna(False).astype(bool), "child_id"]
    return _in_kind(
        "rehabilitation",
        pd.Series(entitled.isin(served), index=entitled),
        _reasons(member, entitled, ["disabled"], "rehabilitation"),
        evidence.cite(qualifying, "rehab_received", child_id=qualifying["child_id"]),
    )


def _compulsory_pupils(extracts: Extracts, children: pd.Index, rules: Rules) -> pd.DataFrame:
    """Education rows 在读 in compulsory education, with the boarding subsidy due as ``due``."""
    rows = extracts.of(EDUCATION, children=children)
    rows = rows[rows["enrolment_status"].eq(rules.school["enrolled"])]
    rows = rows.assign(due=compulsory_band_amount(rows, rules))
    return rows[rows["due"].notna()]


def _boarding_subsidy(extracts: Extracts, member: pd.DataFrame, rules: Rules) -> Assessment:
    """二（二）3(1): distressed boarders in compulsory education, 1000 小学 / 1250 初中 a year."""
    pupils = _compulsory_pupils(extracts, _holders(member, ["distressed"]), rules)
    boarders = pupils[pupils["boarding"].eq(rules.school["boarding"])]
    children = pd.Index(boarders["child_id"].unique(), name="child_id")
    return _money(
        "boarding_subsidy",
        children,
        boarders.groupby("child_id")["due"].max().reindex(children),
        _max_by_child(boarders, "boarding_subsidy", children),
        _reasons(member, children, ["distressed"], "boarding_subsidy"),
        evidence.cite(boarders, "boarding_subsidy", child_id=boarders["child_id"]),
    )


def _disabled_student_subsidy(extracts: Extracts, member: pd.DataFrame, rules: Rules) -> Assessment:
    """二（二）3(2): disabled pupils in compulsory education, 1000 a year from the federation."""
    pupils = _compulsory_pupils(extracts, _holders(member, ["disabled"]), rules)
    children = pd.Index(pupils["child_id"].unique(), name="child_id")
    certificates = extracts.of(DISABILITY, children=children)
    return _money(
        "disabled_student_subsidy",
        children,
        pd.Series(rules.disabled_student_subsidy, index=children),
        _max_by_child(certificates, "disabled_student_subsidy", children),
        _reasons(member, children, ["disabled"], "disabled_student_subsidy"),
        evidence.cite(certificates, "disabled_student_subsidy", child_id=certificates["child_id"]),
    )
