"""apply_policy: the categories, entitlements and alerts of one sync.

Every age is in whole years at the sync's as-of date, from the golden record's
birth date (``children``); a child without a known birth date satisfies no
age-bound rule. The work is column operations over the whole sync: no loop
visits children or records one by one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd

from policy import alerts, categories, entitlements, family
from policy.ages import whole_years
from policy.extracts import CHILD_TYPES, Extracts, normalised
from policy.ruleset import Rules


@dataclass(frozen=True)
class PolicyResult:
    categories: pd.DataFrame  # child_categories rows without sync_id
    entitlements: pd.DataFrame  # entitlements rows without sync_id
    alerts: pd.DataFrame  # gap_alerts rows without first_raised, last_seen, status, resolved_sync


def apply_policy(children: pd.DataFrame, records: pd.DataFrame, as_of: date, rules: Rules) -> PolicyResult:
    """The policy's view of the sync.

    ``children``: registry.children rows. ``records``: every staged row of the sync
    (PERSON columns) with ``child_id`` set on rows linked to a child; a PERSON
    column the frame lacks counts as empty.
    """
    children = normalised(children, CHILD_TYPES)
    children = children.assign(age=whole_years(children["birth_date"], as_of))
    extracts = Extracts(records)
    facts = family.parent_facts(extracts, rules)
    claims = categories.category_claims(children, extracts, facts, rules)
    member = categories.membership(claims)
    assessed = entitlements.assess(children, extracts, member, as_of, rules)
    return PolicyResult(
        categories=categories.category_rows(claims, rules),
        entitlements=assessed.rows,
        alerts=alerts.raise_alerts(children, extracts, claims, member, assessed, as_of, rules),
    )
