"""The monthly full sync, as of the last day of the previous month."""

from __future__ import annotations

from datetime import timedelta

import dagster as dg

from pipelines.jobs import sync_job


@dg.schedule(job=sync_job, cron_schedule="0 3 1 * *", default_status=dg.DefaultScheduleStatus.RUNNING)
def monthly_sync(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    as_of = context.scheduled_execution_time.date().replace(day=1) - timedelta(days=1)
    return dg.RunRequest(
        run_key=f"monthly-{as_of.isoformat()}",
        run_config={"resources": {"settings": {"config": {"as_of": as_of.isoformat()}}}},
        tags={"as_of": as_of.isoformat()},
    )
