"""Great Expectations results as Dagster asset checks, one check per expectation.

The suites run once, inside ``staged_records`` (which needs their verdict to block
a wrong extract); these checks report the stored outcomes rather than validating a
second time.
"""

from __future__ import annotations

import dagster as dg
import sqlalchemy as sa

from pipelines.assets import staged_records
from pipelines.resources import Warehouse


def _check_name(suite: str, expectation: str) -> str:
    return f"{suite}__{expectation}"


def _specs() -> list[dg.AssetCheckSpec]:
    from expectations import expectation_names, suite_names

    return [
        dg.AssetCheckSpec(_check_name(suite, name), asset=staged_records, description=f"{suite}: {name}")
        for suite in suite_names()
        if suite != "registry"
        for name in expectation_names(suite)
    ]


@dg.multi_asset_check(specs=_specs(), can_subset=True)
def staged_expectations(context, warehouse: Warehouse):  # context untyped: dagster reads the hint at runtime
    with warehouse.engine().connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT suite, expectation, severity, success, observed FROM work.expectation_results "
                "WHERE sync_id = (SELECT max(sync_id) FROM work.expectation_results)"
            )
        ).all()
    found = {_check_name(r.suite, r.expectation): r for r in rows}
    for key in context.selected_asset_check_keys:
        row = found.get(key.name)
        if row is None:
            yield dg.AssetCheckResult(
                check_name=key.name, passed=True, metadata={"note": "extract absent this sync"}
            )
            continue
        yield dg.AssetCheckResult(
            check_name=key.name,
            passed=bool(row.success),
            severity=dg.AssetCheckSeverity.ERROR if row.severity == "extract" else dg.AssetCheckSeverity.WARN,
            metadata={"observed": row.observed or "", "severity": row.severity},
        )
