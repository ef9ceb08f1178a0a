"""What ``childreg run`` tells the operator: one line per stage as it ends (rows and
seconds), and a failure in one line.

The lines come from the run's Dagster events, read as they are stored: each stage's
materialisation metadata gives its figures, its success event its duration. Counts
only: never a person's value.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from dagster import DagsterEventType, EventLogEntry

Figures = Mapping[str, object]


def _sum(figures: Figures, suffix: str) -> int:
    return sum(int(v) for k, v in figures.items() if k.endswith(suffix) and isinstance(v, int))


# Step → (the word the operator reads, the stage's figures in a few words).
STAGES: dict[str, tuple[str, Callable[[Figures], str]]] = {
    "raw_rows": ("read", lambda f: f"{f.get('rows_read', 0):,} rows from {f.get('files', 0)} files"),
    "staged_records": (
        "staged",
        lambda f: f"{_sum(f, '.rows_staged'):,} rows staged, {_sum(f, '.rows_quarantined'):,} quarantined",
    ),
    "linked_children": (
        "linked",
        lambda f: (
            f"{f.get('children', 0):,} children from {f.get('child_records', 0):,} child rows, "
            f"{f.get('adult_records', 0):,} adult rows, {f.get('review_pairs', 0):,} pairs to review"
        ),
    ),
    "policy_results": (
        "policy",
        lambda f: (
            f"{f.get('categories', 0):,} categories, {f.get('entitlements', 0):,} entitlements, "
            f"{f.get('open_alerts', 0):,} open alerts"
        ),
    ),
    "published_registry": ("published", lambda f: f"sync {f.get('sync_id', '?')}"),
    "exports": ("exports", lambda f: f"{f.get('files', 0)} files in {f.get('folder', '')}"),
}


class StageLines:
    """An event listener (``DagsterInstance.add_event_listener``) printing a stage's line
    when it succeeds, and a line when a step is tried again."""

    def __init__(self, write: Callable[[str], None]) -> None:
        self._write = write
        self._figures: dict[str, dict[str, object]] = {}

    def __call__(self, entry: EventLogEntry) -> None:
        try:
            self._on(entry)
        except Exception as exc:  # a progress line must never fail the sync it reports on
            self._write(f"(a progress line could not be written: {type(exc).__name__})")

    def _on(self, entry: EventLogEntry) -> None:
        event = entry.dagster_event
        if event is None or event.step_key not in STAGES:
            return
        word, summary = STAGES[event.step_key]
        if event.event_type == DagsterEventType.ASSET_MATERIALIZATION:
            metadata = event.step_materialization_data.materialization.metadata
            self._figures[event.step_key] = {k: getattr(v, "value", v) for k, v in metadata.items()}
        elif event.event_type == DagsterEventType.STEP_SUCCESS:
            seconds = event.event_specific_data.duration_ms / 1000
            self._write(f"{word:<10} {summary(self._figures.get(event.step_key, {}))} ({seconds:.1f} s)")
        elif event.event_type == DagsterEventType.STEP_UP_FOR_RETRY:
            data = event.step_retry_data
            reason = _one_line(_root(data.error)[1])
            self._write(f"{word:<10} trying again in {data.seconds_to_wait or 0:.0f} s: {reason}")


def _root(error) -> tuple[str, str]:
    """The exception Dagster wrapped (the stage's own): its class name and its text."""
    while error.cause is not None:
        error = error.cause
    message = error.message.strip()
    qualified, _, text = message.partition(": ")  # "module.Class: text"
    return error.cls_name, text if qualified.endswith(error.cls_name) else message


def _one_line(text: str) -> str:
    return text.splitlines()[0] if text else ""


def failures(events) -> list[tuple[str, str]]:
    """Each failed step's (or the run's resources') own exception: its class and one line."""
    found = []
    for event in events:
        if event.is_step_failure and event.step_failure_data and event.step_failure_data.error:
            cls, text = _root(event.step_failure_data.error)
            found.append((cls, f"sync failed in {event.step_key}: {_one_line(text)}"))
        elif event.is_resource_init_failure and event.event_specific_data.error:
            cls, text = _root(event.event_specific_data.error)
            found.append((cls, _one_line(text)))
    return found


def published(events) -> bool:
    """Whether the run's publish step succeeded: a later step's failure (the exports)
    leaves the new registry in place."""
    return any(event.is_step_success and event.step_key == "published_registry" for event in events)
