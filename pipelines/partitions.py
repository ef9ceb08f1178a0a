"""Months as Dagster partitions: each month's sync is one partition, as of the month's
last day, so the UI keeps a history per month and a past month can be backfilled."""

from __future__ import annotations

import calendar
from datetime import date

import dagster as dg

# The opinions took effect on 2017-12-28; the current month is included (end_offset=1)
# so that a file arriving today can be synced into today's month.
MONTHS = dg.MonthlyPartitionsDefinition(start_date="2017-12-01", end_offset=1)


def month_end(partition_key: str) -> date:
    """The as-of date of a month's partition: its last day."""
    first = date.fromisoformat(partition_key)
    return first.replace(day=calendar.monthrange(first.year, first.month)[1])


def partition_of(as_of: date) -> str:
    """The partition (month) an as-of date belongs to."""
    return as_of.replace(day=1).isoformat()
