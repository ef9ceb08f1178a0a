"""What a sync hands to people: department workbooks, the coverage report, the review workbook.

Access rules (registry.md) are applied here and nowhere else: see ``access``.
"""

from warehouse.exports.coverage import CoverageInputs
from warehouse.exports.coverage_html import write_coverage_report
from warehouse.exports.departments import write_department_workbooks
from warehouse.exports.inputs import READ_COLUMNS
from warehouse.exports.review import read_review_decisions, write_review_workbook
from warehouse.exports.texts import AlertText

__all__ = [
    "READ_COLUMNS",
    "AlertText",
    "CoverageInputs",
    "read_review_decisions",
    "write_coverage_report",
    "write_department_workbooks",
    "write_review_workbook",
]
