"""The monthly full sync: on the 1st at 03:00, the previous month's partition (as of its last day)."""

from __future__ import annotations

from datetime import timedelta

import dagster as dg

from pipelines.jobs import sync_job
from pipelines.partitions import partition_of


@dg.schedule(job=sync_job, cron_schedule="0 3 1 * *", default_status=dg.DefaultScheduleStatus.RUNNING)
def monthly_sync(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    last_month = context.scheduled_execution_time.date().replace(day=1) - timedelta(days=1)
    month = partition_of(last_month)
    return dg.RunRequest(
        run_key=f"monthly-{month}", partition_key=month, tags={"as_of": last_month.isoformat()}
    )
