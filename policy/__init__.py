"""The 2017 opinions as rules: categories, entitlements and gap alerts of a sync.

- ``load_rules(as_of, path=None) -> Rules``: the rules file in force at ``as_of``
  (``policy/rules/<version>.yaml``); ``Rules`` also carries what the department
  workbooks print: ``rules.alert(code)`` (``.title``, ``.next_step``,
  ``.departments``, ``.clause``), ``rules.departments`` (code → 中文 name).
- ``apply_policy(children, records, as_of, rules) -> PolicyResult``: the sync's
  ``categories``, ``entitlements`` and ``alerts`` frames.
- ``merge_alert_history(previous, current, sync_id, frozen=(), near_miss=()) -> DataFrame``:
  full gap_alerts rows, alerts kept across syncs (held, not raised or closed, where
  a source did not arrive whole or a near-miss waits for review).
- ``CHILD_COLUMNS``, ``RECORD_COLUMNS``: the columns of ``children`` and ``records``
  the rules read; other columns are ignored, so a caller need not load them.
"""

from policy.engine import PolicyResult, apply_policy
from policy.extracts import CHILD_COLUMNS
from policy.extracts import USED_COLUMNS as RECORD_COLUMNS
from policy.history import merge_alert_history
from policy.ruleset import AlertRule, Rules, load_rules

__all__ = [
    "CHILD_COLUMNS",
    "RECORD_COLUMNS",
    "AlertRule",
    "PolicyResult",
    "Rules",
    "apply_policy",
    "load_rules",
    "merge_alert_history",
]
