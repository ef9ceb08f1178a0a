"""What a suite run reports, free of GX types so callers (Dagster checks, the CLI) need no GX import.

``observed`` carries rates and counts only: the outcomes end up in logs, check
metadata and error messages, none of which may hold a person's value.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class ExpectationOutcome:
    suite: str
    expectation: str
    column: str | None
    severity: str  # extract (blocks the extract) / row (reported only)
    success: bool
    observed: str


@dataclass
class SuiteResult:
    suite: str
    outcomes: list[ExpectationOutcome]
    rows: int = 0
    docs_index: str | None = field(default=None)  # URL of the Data Docs index, when written

    @property
    def blocking(self) -> bool:
        """A failed ``extract`` expectation means the extract as a whole is not what it claims to be."""
        return any(o.severity == "extract" and not o.success for o in self.outcomes)

    @property
    def missing(self) -> bool:
        """No rows: the extract was absent from this sync, which the sync reports elsewhere."""
        return self.rows == 0

    @property
    def failed(self) -> list[ExpectationOutcome]:
        return [o for o in self.outcomes if not o.success]


def blocking_message(result: SuiteResult) -> str:
    """One sentence for an operator: which source, which blocking checks, what they saw."""
    blocking = [o for o in result.failed if o.severity == "extract"]
    if not blocking:
        return f"{result.suite}: no blocking expectation failed"
    checks = "; ".join(f"{o.expectation} on {o.column or 'the table'}: {o.observed}" for o in blocking)
    summary = f"{len(blocking)} blocking expectation(s) failed over {result.rows} rows"
    return f"{result.suite}: blocked, {summary} — {checks}"
