"""The words the exports put in front of people, handed in from the policy rules file.

The exports do not own these texts: the rules file does (one place for titles,
next steps and responsible departments), and the lead fills these from it, so the
export code never hard-codes a policy sentence.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

EXCEL_TITLE_LIMIT = 31


@dataclass(frozen=True)
class AlertText:
    """What a department reads for one alert code."""

    title: str  # Chinese sheet title, e.g. 孤儿未发放基本生活费 (at most 31 characters)
    next_step: str  # Chinese: what the responsible department should do
    departments: tuple[str, ...]  # department codes answering for the alert
    # Wording for departments other than health and civil affairs, needed only when
    # title or next_step names a restricted condition (reports.access).
    public_title: str | None = None
    public_next_step: str | None = None

    def __post_init__(self) -> None:
        titles = [t for t in (self.title, self.public_title) if t is not None]
        if any(not t or len(t) > EXCEL_TITLE_LIMIT for t in titles):
            raise ValueError(f"alert titles must be 1-{EXCEL_TITLE_LIMIT} characters (Excel's limit)")


AlertTexts = Mapping[str, AlertText]  # alert code -> texts
DepartmentNames = Mapping[str, str]  # department code -> Chinese name, e.g. civil_affairs -> 市民政局


def alert_texts(rules) -> dict[str, AlertText]:
    """What the workbooks print per alert code, from the rules file in force (``policy.Rules``)."""
    return {
        code: AlertText(title=a.title, next_step=a.next_step, departments=tuple(a.departments))
        for code, a in rules.alerts.items()
    }
