"""Asset checks: Great Expectations results (one check per expectation) on
``staged_records``, and the audit of the build, which blocks publishing.

The suites run once, inside ``staged_records`` (which needs their verdict to block a
wrong extract); these checks report the stored outcomes rather than validating a
second time. A source that did not arrive, or not whole, fails its checks with why.
"""

from __future__ import annotations

import dagster as dg
import sqlalchemy as sa

from expectations import expectation_names, suite_names
from pipelines import metadata
from pipelines.assets import policy_results, staged_records
from pipelines.partitions import MONTHS
from pipelines.resources import Warehouse
from warehouse.audit import audit
from warehouse.ledger import SyncRef


def _check_name(suite: str, expectation: str) -> str:
    return f"{suite}__{expectation}"


def _specs() -> list[dg.AssetCheckSpec]:
    return [
        dg.AssetCheckSpec(
            _check_name(suite, name),
            asset=staged_records,
            description=f"{suite}: {name}",
            partitions_def=MONTHS,
        )
        for suite in suite_names()
        if suite != "registry"
        for name in expectation_names(suite)
    ]


def source_problem(sources: dict[str, dict], source: str) -> str | None:
    """Why a source cannot be judged whole this sync (absent, blocked, files refused), or None."""
    figures = sources.get(source)
    if not figures or not figures.get("files"):
        return f"{source}: no file arrived this sync"
    if figures.get("blocked"):
        return f"{source}: blocked: {figures['blocked']}"
    refused = figures.get("files_refused") or []
    if refused:
        return f"{source}: {len(refused)} file(s) refused"
    if figures.get("incomplete"):
        return f"{source}: incomplete: {figures['incomplete']}"
    return None


@dg.multi_asset_check(
    specs=_specs(), can_subset=True, ins={"staged_records": dg.AssetIn(key=staged_records.key)}
)
def staged_expectations(
    context, staged_records: SyncRef, warehouse: Warehouse
):  # context untyped: dagster reads the hint
    engine = warehouse.engine()
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT suite, expectation, severity, success, observed FROM work.expectation_results "
                "WHERE sync_id = :s"
            ),
            {"s": staged_records.sync_id},
        ).all()
    sources = metadata.sources_of(engine, staged_records)
    found = {_check_name(r.suite, r.expectation): r for r in rows}
    for key in context.selected_asset_check_keys:
        suite = key.name.split("__", 1)[0]
        problem = source_problem(sources, suite)
        row = found.get(key.name)
        if problem is not None or row is None:
            yield dg.AssetCheckResult(
                check_name=key.name,
                passed=False,
                severity=dg.AssetCheckSeverity.WARN,
                metadata={"reason": problem or f"{suite}: not validated this sync"},
            )
            continue
        yield dg.AssetCheckResult(
            check_name=key.name,
            passed=bool(row.success),
            severity=dg.AssetCheckSeverity.ERROR if row.severity == "extract" else dg.AssetCheckSeverity.WARN,
            metadata={"observed": row.observed or "", "severity": row.severity},
        )


@dg.asset_check(
    asset=policy_results,
    blocking=True,
    partitions_def=MONTHS,
    description="Every row read placed once, every child record pointing at a child: "
    "the build is not published otherwise.",
)
def build_audit(policy_results: SyncRef, warehouse: Warehouse) -> dg.AssetCheckResult:
    with warehouse.engine().connect() as conn:
        problems = audit(conn, policy_results)
    return dg.AssetCheckResult(
        passed=not problems,
        metadata={"problems": "; ".join(problems) or "none", "sync_id": policy_results.sync_id},
    )
