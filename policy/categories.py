"""Categories (二（一）, 三): each child's, registered and inferred, with evidence.

A *claim* is one (child, category, basis) with the evidence items behind it; a
child holding a category on both bases has two claims, because the gap between
what is registered and what the evidence shows is what the alerts report.

Registered: the ledger labels policy.md accepts (孤儿, 艾滋病病毒感染儿童,
事实无人抚养儿童, 农村留守儿童), roster membership (建档立卡/低保 → poor_family,
特困供养 → extreme_hardship). Inferred: parents' statuses, diagnoses, certificates.
The ledger's other labels and a school's flags are never evidence here.
"""

from __future__ import annotations

import pandas as pd

from policy import evidence
from policy.extracts import Extracts
from policy.ruleset import CATEGORY_CODES, Rules
from policy.sources import ASSISTANCE, DISABILITY, HEALTH, LEDGER, POVERTY

CLAIM_KEYS = ["child_id", "category", "basis"]
DISTRESS_COMPONENTS = (
    "orphan",
    "hiv",
    "serious_illness",
    "severe_disability",
    "extreme_hardship",
    "poor_family",
)
_PARENT_FLAGS = [f"{slot}_{kind}" for slot in ("father", "mother") for kind in ("absent", "unable", "away")]


def category_claims(
    children: pd.DataFrame, extracts: Extracts, facts: pd.DataFrame, rules: Rules
) -> pd.DataFrame:
    """Every claim with its evidence items (CLAIM_KEYS + evidence.ITEM_COLUMNS).

    ``children`` is the golden record with an ``age`` column; ``facts`` is family.parent_facts.
    """
    claims = pd.concat(
        [
            _ledger_claims(extracts, rules),
            _assistance_claims(extracts, rules),
            _poverty_claims(extracts),
            _hiv_claims(extracts, rules),
            _serious_illness_claims(extracts, rules),
            _disability_claims(extracts, rules),
            _parent_claims(children, extracts, facts),
        ],
        ignore_index=True,
    )
    claims = _within_age(claims, children, rules)
    claims = _no_hardship_for_orphans(claims)
    return pd.concat([claims, _distressed(claims)], ignore_index=True)


def category_rows(claims: pd.DataFrame, rules: Rules) -> pd.DataFrame:
    """The child_categories rows (without sync_id), evidence as JSON text."""
    rows = evidence.to_json(claims, CLAIM_KEYS)
    pair = rows["category"] + "." + rows["basis"]
    rows["rule"] = pair.map({p: rules.rule_id(*p.split(".")) for p in pair.unique()})
    order = {code: i for i, code in enumerate(CATEGORY_CODES)}
    rows = rows.sort_values(
        ["child_id", "category", "basis"], key=lambda s: s.map(order) if s.name == "category" else s
    )
    return rows[["child_id", "category", "basis", "evidence", "rule"]].reset_index(drop=True)


def membership(claims: pd.DataFrame, basis: str | None = None) -> pd.DataFrame:
    """child × category booleans (one basis, or either), every category a column."""
    chosen = claims if basis is None else claims[claims["basis"].eq(basis)]
    pairs = chosen[["child_id", "category"]].drop_duplicates().assign(held=True)
    table = pairs.set_index(["child_id", "category"])["held"].unstack(fill_value=False)
    return table.reindex(columns=list(CATEGORY_CODES), fill_value=False).astype(bool)


def _claim(items: pd.DataFrame, category: str | pd.Series, basis: str) -> pd.DataFrame:
    """Items filed under a category; a per-row ``category`` is aligned by position."""
    return items.assign(
        category=category.to_numpy() if isinstance(category, pd.Series) else category, basis=basis
    )


def _ledger_claims(extracts: Extracts, rules: Rules) -> pd.DataFrame:
    rows = ledger_labels(extracts)
    category = rows["ledger_categories"].map({c: lab.category for c, lab in rules.ledger_labels.items()})
    rows, category = rows[category.notna()], category[category.notna()]
    return _claim(evidence.cite(rows, "ledger_categories", child_id=rows["child_id"]), category, "registered")


def ledger_labels(extracts: Extracts) -> pd.DataFrame:
    """Ledger rows, one per registered label, ledger_categories holding that one label."""
    ledger = extracts.of(LEDGER)
    ledger = ledger[ledger["ledger_categories"].notna()]
    labels = ledger["ledger_categories"].str.split(",").explode().str.strip()
    labels = labels[labels.ne("")]
    return ledger.loc[labels.index].assign(ledger_categories=labels.to_numpy())


def _assistance_claims(extracts: Extracts, rules: Rules) -> pd.DataFrame:
    rows = extracts.of(ASSISTANCE)
    category = rows["assistance_type"].map(rules.assistance_categories)
    rows, category = rows[category.notna()], category[category.notna()]
    return _claim(evidence.cite(rows, "assistance_type", child_id=rows["child_id"]), category, "registered")


def _poverty_claims(extracts: Extracts) -> pd.DataFrame:
    rows = extracts.of(POVERTY)
    return _claim(
        evidence.cite(rows, "poverty_household_type", child_id=rows["child_id"]), "poor_family", "registered"
    )


def _hiv_claims(extracts: Extracts, rules: Rules) -> pd.DataFrame:
    rows = extracts.of(HEALTH)
    rows = rows[
        rows["diagnosis_code"].astype("string").str.upper().str[:3].isin(rules.hiv_diagnoses).fillna(False)
    ]
    return _claim(evidence.cite(rows, "diagnosis_code", child_id=rows["child_id"]), "hiv", "inferred")


def _serious_illness_claims(extracts: Extracts, rules: Rules) -> pd.DataFrame:
    rows = extracts.of(HEALTH)
    reaches = rows["reaches_deductible"]
    said = rows[reaches.eq(True).fillna(False).astype(bool)]
    costly = rows[reaches.isna() & rows["out_of_pocket"].ge(rules.serious_illness_deductible)]
    items = pd.concat(
        [
            evidence.cite(said, "reaches_deductible", child_id=said["child_id"]),
            evidence.cite(costly, "out_of_pocket", child_id=costly["child_id"]),
        ]
    )
    return _claim(items, "serious_illness", "inferred")


def _disability_claims(extracts: Extracts, rules: Rules) -> pd.DataFrame:
    rows = extracts.of(DISABILITY)
    severe = rows[rows["disability_grade"].isin(rules.severe_grades)]
    return pd.concat(
        [
            _claim(
                evidence.cite(severe, "disability_grade", child_id=severe["child_id"]),
                "severe_disability",
                "inferred",
            ),
            _claim(
                evidence.cite(rows, "disability_category", child_id=rows["child_id"]), "disabled", "inferred"
            ),
        ]
    )


def _parent_claims(children: pd.DataFrame, extracts: Extracts, facts: pd.DataFrame) -> pd.DataFrame:
    """orphan, extreme_hardship and left_behind inferred from the parents' statuses."""
    present = facts[["child_id", "slot", "kind"]].drop_duplicates()
    present = pd.DataFrame({"child_id": present["child_id"], "flag": present["slot"] + "_" + present["kind"]})
    flags = (
        present.drop_duplicates()
        .assign(held=True)
        .set_index(["child_id", "flag"])["held"]
        .unstack(fill_value=False)
        .reindex(columns=_PARENT_FLAGS, fill_value=False)
        .astype(bool)
    )
    fa, fu, fw, ma, mu, mw = (flags[c] for c in _PARENT_FLAGS)
    rural, rural_items = _rural(children, extracts)
    rules_by_category = {
        "orphan": (fa & ma, ("absent",)),
        "extreme_hardship": ((fu & mu) | (fa & mu) | (ma & fu), ("absent", "unable")),
        "left_behind": (
            ((fw & mw) | (fw & mu) | (mw & fu)) & rural.reindex(flags.index, fill_value=False),
            ("away", "unable"),
        ),
    }
    frames = []
    for category, (holds, kinds) in rules_by_category.items():
        chosen = facts[facts["child_id"].isin(holds.index[holds]) & facts["kind"].isin(kinds)]
        frames.append(_claim(chosen.drop(columns=["slot", "kind"]), category, "inferred"))
    left_behind = rules_by_category["left_behind"][0]
    rural_items = rural_items[rural_items["child_id"].isin(left_behind.index[left_behind])]
    frames.append(_claim(rural_items, "left_behind", "inferred"))
    return pd.concat(frames, ignore_index=True)


def _rural(children: pd.DataFrame, extracts: Extracts) -> tuple[pd.Series, pd.DataFrame]:
    """Whether each child is rural (农业户口, or registered in a 村), and the rows that say so.

    Any source counts: the golden record, a row's 户口性质 or village kind, and a
    poverty roster row (its 行政村 column is always a 村).
    """
    rows = extracts.places
    poverty = extracts.of(POVERTY).assign(village_kind="village")
    items = pd.concat(
        [
            evidence.cite(chosen, field, child_id=chosen["child_id"])
            for field, chosen in (
                ("hukou", rows[rows["hukou"].eq("rural")]),
                ("village_kind", rows[rows["village_kind"].eq("village")]),
                ("village_kind", poverty),
            )
        ],
        ignore_index=True,
    )
    golden = children["hukou"].eq("rural") | children["village_kind"].eq("village")
    rural = golden | children["child_id"].isin(items["child_id"])
    return pd.Series(rural.to_numpy(), index=children["child_id"]), items


def _within_age(claims: pd.DataFrame, children: pd.DataFrame, rules: Rules) -> pd.DataFrame:
    age = claims["child_id"].map(children.set_index("child_id")["age"])
    limit = claims["category"].map({code: c.age_limit for code, c in rules.categories.items()})
    return claims[age.lt(limit).fillna(False).astype(bool)]


def _no_hardship_for_orphans(claims: pd.DataFrame) -> pd.DataFrame:
    orphans = claims.loc[claims["category"].eq("orphan"), "child_id"]
    return claims[~(claims["category"].eq("extreme_hardship") & claims["child_id"].isin(orphans))]


def _distressed(claims: pd.DataFrame) -> pd.DataFrame:
    """困境儿童: any of the six, on the basis of each component; its evidence is theirs."""
    return claims[claims["category"].isin(DISTRESS_COMPONENTS)].assign(category="distressed")
