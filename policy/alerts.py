"""Gap alerts (二（二）, 三): one row per child and alert code of policy.md.

Each rule yields *hits*: the alert rows (with the amounts its sentence needs),
its reasons (the categories, or for aged_out the ledger labels, that raised it)
and its gap evidence. ``assemble`` turns hits into gap_alerts rows.

Restricted data (registry.md, Access): an alert is ``restricted`` when its reason
reveals health_conditions data — every reason that raised it is a restricted
category (hiv, serious_illness), or its gap evidence comes from a restricted
source (family_doctor_unsigned). When a child has both kinds of reasons, the
sentence names only the unrestricted ones, so the alert can reach every
department it concerns; its evidence then leaves out restricted rows and labels.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from policy import evidence
from policy.ages import whole_years
from policy.categories import ledger_labels, membership
from policy.entitlements import Assessment
from policy.extracts import Extracts
from policy.ruleset import ALERT_CODES, Rules
from policy.sources import EDUCATION, HEALTH, LEDGER, POVERTY
from values.dates import school_year_cutoff

KEYS = ["child_id", "alert"]
ALERT_COLUMNS = [
    "alert_id",
    "child_id",
    "alert",
    "departments",
    "county_code",
    "township",
    "village",
    "detail",
    "evidence",
    "restricted",
]
# alert ← (benefit, entitlement statuses that raise it)
FROM_ENTITLEMENTS = {
    "living_allowance_missing": ("living_allowance", ("missing",)),
    "disability_allowance_missing": ("disability_allowance", ("missing",)),
    "disability_allowance_underpaid": ("disability_allowance", ("underpaid",)),
    "medical_insurance_missing": ("medical_insurance", ("missing",)),
    "insurance_subsidy_missing": ("insurance_subsidy", ("missing",)),
    "rehabilitation_missing": ("rehabilitation", ("missing",)),
    "boarding_subsidy_missing": ("boarding_subsidy", ("missing",)),
    "boarding_subsidy_underpaid": ("boarding_subsidy", ("underpaid",)),
    "disabled_student_subsidy_missing": ("disabled_student_subsidy", ("missing", "underpaid")),
}
UNREGISTERED = {
    "orphan_unregistered": "orphan",
    "hardship_unregistered": "extreme_hardship",
    "left_behind_unregistered": "left_behind",
}
# 三（二）: a left-behind child is unregistered when it is not in the civil-affairs ledger
# at all, whatever its labels there; a ledger child's care is judged on its ledger rows
# instead (left_behind_unsupervised, 三（一）). The other two ask for the ledger label.
NOT_ON_LEDGER = {"left_behind_unregistered"}


@dataclass(frozen=True)
class Hits:
    rows: pd.DataFrame  # child_id, alert, expected, received, conditions
    reasons: pd.DataFrame  # child_id, alert, reason
    items: pd.DataFrame  # child_id, alert + evidence.ITEM_COLUMNS


def raise_alerts(
    children: pd.DataFrame,
    extracts: Extracts,
    claims: pd.DataFrame,
    member: pd.DataFrame,
    assessed: Assessment,
    as_of: date,
    rules: Rules,
) -> pd.DataFrame:
    """Every alert of the sync as gap_alerts rows (without the history columns)."""
    hits = [
        _from_entitlements(assessed),
        _unregistered(
            membership(claims, "inferred"), membership(claims, "registered"), extracts.of(LEDGER)["child_id"]
        ),
        _family_doctor(extracts, member),
        _school(children, extracts, as_of, rules),
        _unsupervised(extracts, member, rules),
        _aged_out(children, extracts, rules),
    ]
    combined = Hits(
        *(_concat([getattr(h, part) for h in hits]) for part in (f.name for f in dataclasses.fields(Hits)))
    )
    return assemble(combined, claims, children, rules)


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Concatenate, leaving out empty frames (pandas warns about their column types)."""
    return pd.concat([f for f in frames if len(f)] or frames[:1], ignore_index=True)


def _hits(rows: pd.DataFrame, reasons: pd.DataFrame | None = None, items: pd.DataFrame | None = None) -> Hits:
    return Hits(
        rows.reindex(columns=[*KEYS, "expected", "received", "conditions"]),
        reasons if reasons is not None else pd.DataFrame(columns=[*KEYS, "reason"]),
        items if items is not None else evidence.empty(*KEYS),
    )


def _from_entitlements(assessed: Assessment) -> Hits:
    rows = assessed.rows.rename(columns={"expected_amount": "expected", "received_amount": "received"})
    insured = rows.loc[rows["benefit"].eq("medical_insurance") & rows["status"].eq("received"), "child_id"]
    frames = []
    for alert, (benefit, statuses) in FROM_ENTITLEMENTS.items():
        chosen = rows[rows["benefit"].eq(benefit) & rows["status"].isin(statuses)]
        if alert == "insurance_subsidy_missing":  # uninsured: medical_insurance_missing says it
            chosen = chosen[chosen["child_id"].isin(insured)]
        frames.append(chosen.assign(alert=alert))
    raised = pd.concat(frames, ignore_index=True)[["child_id", "alert", "benefit", "expected", "received"]]
    reasons = raised[["child_id", "alert", "benefit"]].merge(assessed.reasons, on=["child_id", "benefit"])
    items = raised[["child_id", "alert", "benefit"]].merge(assessed.items, on=["child_id", "benefit"])
    return _hits(
        raised.drop(columns="benefit"), reasons.drop(columns="benefit"), items.drop(columns="benefit")
    )


def _unregistered(inferred: pd.DataFrame, registered: pd.DataFrame, on_ledger: pd.Series) -> Hits:
    """Inferred but not registered (for NOT_ON_LEDGER, not in the ledger at all); the
    inferred claim's evidence says why."""
    frames = []
    for alert, category in UNREGISTERED.items():
        if alert in NOT_ON_LEDGER:
            is_registered = pd.Series(inferred.index.isin(on_ledger), index=inferred.index)
        else:
            is_registered = registered[category].reindex(inferred.index, fill_value=False)
        ids = inferred.index[inferred[category] & ~is_registered]
        frames.append(pd.DataFrame({"child_id": ids, "alert": alert, "reason": category}))
    reasons = pd.concat(frames, ignore_index=True)
    return _hits(reasons[KEYS], reasons)


def _family_doctor(extracts: Extracts, member: pd.DataFrame) -> Hits:
    """二（二）2: a distressed child that health data marks 未签约 (and nowhere 已签约)."""
    distressed = member.index[member["distressed"]]
    health = extracts.of(HEALTH, children=distressed)
    signed = health.loc[health["family_doctor_signed"].eq(True).fillna(False).astype(bool), "child_id"]
    unsigned = health[health["family_doctor_signed"].eq(False).fillna(False).astype(bool)]
    unsigned = unsigned[~unsigned["child_id"].isin(signed)]
    alert = "family_doctor_unsigned"
    rows = pd.DataFrame({"child_id": unsigned["child_id"].unique(), "alert": alert})
    reasons = rows.assign(reason="distressed")
    items = evidence.cite(unsigned, "family_doctor_signed", child_id=unsigned["child_id"], alert=alert)
    return _hits(rows, reasons, items)


def compulsory_school_age(children: pd.DataFrame, as_of: date, rules: Rules) -> pd.Series:
    """Aged 6 or more on the 31 August that opened the school year in force, and under 16 at as_of."""
    cutoff = school_year_cutoff(as_of, rules.school_year_start)
    entered = whole_years(children["birth_date"], cutoff).ge(rules.ages.compulsory_school_entry)
    below = children["age"].lt(rules.ages.compulsory_school_leaving)
    return (entered & below).fillna(False).astype(bool)


def _school(children: pd.DataFrame, extracts: Extracts, as_of: date, rules: Rules) -> Hits:
    """二（二）3(3): a compulsory-age child with no 在读 row; dropout replaces not_in_school
    when an education row says 辍学/休学 or the poverty roster says 辍学."""
    school = rules.school
    ids = children.loc[compulsory_school_age(children, as_of, rules), "child_id"]
    education = extracts.of(EDUCATION, children=ids)
    enrolled = education.loc[education["enrolment_status"].eq(school["enrolled"]), "child_id"]
    out = ids[~ids.isin(enrolled)]
    education = education[education["child_id"].isin(out)]
    poverty = extracts.of(POVERTY, children=out)
    left_edu = education[education["enrolment_status"].isin(school["dropout_statuses"])]
    left_pov = poverty[poverty["school_status"].isin(school["poverty_dropout"])]
    dropped = out.isin(left_edu["child_id"]) | out.isin(left_pov["child_id"])
    alert = pd.Series(np.where(dropped, "dropout", "not_in_school"), index=out.index)
    rows = pd.DataFrame({"child_id": out.to_numpy(), "alert": alert.to_numpy()})
    alert_of = rows.set_index("child_id")["alert"]
    items = pd.concat(
        [
            evidence.cite(education, "enrolment_status", child_id=education["child_id"]),
            evidence.cite(left_pov, "school_status", child_id=left_pov["child_id"]),
        ],
        ignore_index=True,
    )
    items["alert"] = items["child_id"].map(alert_of)
    return _hits(rows, items=items)


def _unsupervised(extracts: Extracts, member: pd.DataFrame, rules: Rules) -> Hits:
    """三（一）: judged on ledger rows — lives alone, no 实际监护人, or a guardian parent
    the same row records as unable."""
    alert = "left_behind_unsupervised"
    left_behind = member.index[member["left_behind"]]
    ledger = extracts.of(LEDGER, children=left_behind)
    unable = rules.parent_status["unable"]
    guardian_slot = ledger["guardian_relation"].map(rules.family["guardian_parents"])
    guardian_unable = pd.Series(False, index=ledger.index)
    for slot in ("father", "mother"):
        guardian_unable |= guardian_slot.eq(slot) & ledger[f"{slot}_status"].isin(unable)
    guardian = ledger["guardian_name"].astype("string").str.strip()
    checks = {
        "lives_alone": (ledger["lives_alone"].eq(True).fillna(False).astype(bool), ["lives_alone"]),
        "no_guardian": (guardian.isna() | guardian.eq(""), ["guardian_name"]),
        "guardian_unable": (guardian_unable, ["guardian_relation", "father_status", "mother_status"]),
    }
    found, items = [], []
    for condition, (holds, fields) in checks.items():
        rows = ledger[holds.fillna(False).to_numpy(dtype=bool)]
        found.append(pd.DataFrame({"child_id": rows["child_id"].to_numpy(), "condition": condition}))
        items += [evidence.cite(rows, field, child_id=rows["child_id"], alert=alert) for field in fields]
    found = pd.concat(found, ignore_index=True).drop_duplicates()
    wording = rules.alert(alert).conditions
    found["order"] = found["condition"].map({c: i for i, c in enumerate(wording)})
    found["conditions"] = found["condition"].map(wording)
    rows = evidence.join_strings(found.sort_values(["child_id", "order"]), ["child_id"], "conditions", "、")
    rows["alert"] = alert
    reasons = rows[KEYS].assign(reason="left_behind")
    return _hits(rows, reasons, pd.concat(items, ignore_index=True))


def _aged_out(children: pd.DataFrame, extracts: Extracts, rules: Rules) -> Hits:
    """二（一）, 三: a ledger label held past its age limit (18; 16 for 农村留守儿童)."""
    alert = "aged_out"
    labels = ledger_labels(extracts)
    age = labels["child_id"].map(children.set_index("child_id")["age"])
    limit = labels["ledger_categories"].map(
        {code: lab.age_limit for code, lab in rules.ledger_labels.items()}
    )
    stale = labels[age.ge(limit).fillna(False).to_numpy(dtype=bool)]
    reasons = pd.DataFrame(
        {
            "child_id": stale["child_id"].to_numpy(),
            "alert": alert,
            "reason": stale["ledger_categories"].to_numpy(),
        }
    ).drop_duplicates()
    items = evidence.cite(stale, "ledger_categories", child_id=stale["child_id"], alert=alert)
    return _hits(reasons[KEYS].drop_duplicates(), reasons, items)


def assemble(hits: Hits, claims: pd.DataFrame, children: pd.DataFrame, rules: Rules) -> pd.DataFrame:
    """gap_alerts rows: sentence, restricted flag, evidence, departments and location.

    Everything is joined on ``alert_id``, one text key, rather than (child, alert).
    """
    rows = hits.rows.drop_duplicates(KEYS).reset_index(drop=True)
    rows["alert_id"] = alert_id(rows["child_id"], rows["alert"])
    reasons = hits.reasons.assign(alert_id=alert_id(hits.reasons["child_id"], hits.reasons["alert"]))
    items = hits.items.assign(alert_id=alert_id(hits.items["child_id"], hits.items["alert"]))
    names, chosen = _chosen_reasons(reasons, rules)
    rows = rows.join(names, on="alert_id")
    from_source = items.loc[items["system"].isin(rules.restricted_sources), "alert_id"]
    rows["restricted"] = rows["by_reason"].eq(True).fillna(False).astype(bool) | rows["alert_id"].isin(
        from_source
    )
    location = children.set_index("child_id")[["county_code", "township", "village", "age"]]
    rows = rows.join(location, on="child_id")
    rows["detail"] = _details(rows, rules)
    rows["departments"] = rows["alert"].map(
        {code: ",".join(a.departments) for code, a in rules.alerts.items()}
    )
    rows = rows.join(_evidence(rows, items, chosen, claims, rules).set_index("alert_id"), on="alert_id")
    rows["evidence"] = rows["evidence"].fillna("[]")
    order = {code: i for i, code in enumerate(ALERT_CODES)}
    rows = rows.sort_values(["child_id", "alert"], key=lambda s: s.map(order) if s.name == "alert" else s)
    return rows[ALERT_COLUMNS].reset_index(drop=True)


def alert_id(child_id: pd.Series, alert: pd.Series) -> pd.Series:
    """Stable across syncs: the child and the alert code."""
    return child_id.astype(str) + ":" + alert.astype(str)


def _chosen_reasons(reasons: pd.DataFrame, rules: Rules) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The reasons an alert's sentence names: the unrestricted ones when there are any.

    Returns, by alert_id, the names joined (``reasons``) and whether they are all
    restricted (``by_reason``); and the chosen (alert_id, child_id, reason) rows.
    """
    labels = rules.ledger_labels
    name = {
        **{code: lab.name for code, lab in labels.items()},
        **{c: r.name for c, r in rules.categories.items()},
    }
    restricted = set(rules.restricted_categories) | {
        code for code, lab in labels.items() if lab.category in rules.restricted_categories
    }
    order = {code: i for i, code in enumerate([*rules.categories, *labels])}
    reasons = reasons[["alert_id", "child_id", "reason"]].drop_duplicates()
    secret = reasons["reason"].isin(restricted)
    has_public = reasons["alert_id"].isin(reasons.loc[~secret, "alert_id"])
    chosen = reasons[~secret | ~has_public]
    chosen = chosen.assign(
        order=chosen["reason"].map(order),
        reasons=chosen["reason"].map(name),
        by_reason=~has_public[~secret | ~has_public],
    ).sort_values(["alert_id", "order"])
    names = evidence.join_strings(chosen, ["alert_id"], "reasons", "、").set_index("alert_id")
    names["by_reason"] = chosen.drop_duplicates("alert_id").set_index("alert_id")["by_reason"]
    return names, chosen[["alert_id", "child_id", "reason"]]


def _details(rows: pd.DataFrame, rules: Rules) -> np.ndarray:
    """Each alert's sentence, formatted once per distinct set of values (few: ages, amounts)."""
    params = ["alert", "reasons", "expected", "received", "age", "conditions"]
    distinct = rows[params].drop_duplicates()
    distinct["detail"] = [
        rules.alert(code).detail.format(reasons=r, expected=_yuan(e), received=_yuan(v), age=a, conditions=c)
        for code, r, e, v, a, c in distinct.itertuples(index=False)
    ]
    return rows[params].merge(distinct, on=params, how="left")["detail"].to_numpy()


def _yuan(amount: object) -> str:
    if amount is None or pd.isna(amount):
        return "0"
    value = float(amount)
    return str(int(value)) if value.is_integer() else f"{value:.2f}"


def _evidence(
    rows: pd.DataFrame, gap_items: pd.DataFrame, chosen: pd.DataFrame, claims: pd.DataFrame, rules: Rules
) -> pd.DataFrame:
    """The chosen reasons' category evidence and the gap's own; unrestricted alerts leave out
    restricted sources and labels."""
    reason_items = chosen.merge(
        claims.drop(columns="basis").rename(columns={"category": "reason"}), on=["child_id", "reason"]
    )
    columns = ["alert_id", *evidence.ITEM_COLUMNS]
    items = pd.concat([reason_items[columns], gap_items[columns]], ignore_index=True)
    secret_labels = [
        json.dumps(code)
        for code, lab in rules.ledger_labels.items()
        if lab.category in rules.restricted_categories
    ]
    secret = items["system"].isin(rules.restricted_sources) | (
        items["field"].eq("ledger_categories") & items["value"].isin(secret_labels)
    )
    keep = ~secret | items["alert_id"].isin(rows.loc[rows["restricted"], "alert_id"])
    return evidence.to_json(items[keep], ["alert_id"])
