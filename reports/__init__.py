"""What a sync hands to people, and what people hand back: department workbooks and the
answers read from them, the coverage report, the review workbook and the reviewers'
decisions read from it.

Access rules (registry.md) are applied here and nowhere else: see ``access``.
"""

from reports.coverage import CoverageInputs
from reports.coverage_html import write_coverage_report
from reports.departments import write_department_workbooks
from reports.inputs import READ_COLUMNS
from reports.returns import children_to_review, read_returns, returns_summary
from reports.review import ReviewInputs, write_review_workbook
from reports.review_read import REVIEW_FOLDER, DroppedDecisions, dropped_decisions, read_review_decisions
from reports.texts import AlertText, alert_texts

__all__ = [
    "READ_COLUMNS",
    "REVIEW_FOLDER",
    "AlertText",
    "CoverageInputs",
    "DroppedDecisions",
    "ReviewInputs",
    "alert_texts",
    "dropped_decisions",
    "children_to_review",
    "read_returns",
    "read_review_decisions",
    "returns_summary",
    "write_coverage_report",
    "write_department_workbooks",
    "write_review_workbook",
]
