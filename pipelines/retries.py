"""Which failures Dagster runs again: only errors that can pass on a second try.

The database unreachable, busy or restarting may pass; anything else (SyncFailed, a
wrong extract, a bug) fails at once, since re-running it only repeats the failure.
"""

from __future__ import annotations

import dagster as dg
import sqlalchemy as sa

TRANSIENT = (sa.exc.OperationalError, sa.exc.DisconnectionError, sa.exc.TimeoutError)
RETRIES = 2


def retry_if_transient(context: dg.AssetExecutionContext, exc: Exception) -> None:
    """Ask Dagster to run the step again, a few seconds later, when ``exc`` may pass."""
    if isinstance(exc, TRANSIENT) and context.retry_number < RETRIES:
        raise dg.RetryRequested(max_retries=RETRIES, seconds_to_wait=5) from exc
