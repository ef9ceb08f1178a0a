"""Running a suite with Great Expectations on a pandas frame.

GX validates DuckDB data only as pandas (see shared/notes/stack.md), and it takes
seconds to import, so it is imported inside the functions that need it. One GX
context per process and Data Docs directory is reused: building the suites and
checkpoints once, then running them per sync with the sync's dates as suite
parameters. Results never carry unexpected values (``exclude_unexpected_values``),
so neither the outcomes nor the Data Docs show a name, number or phone. The Data Docs are
rewritten after each write to open offline (``expectations.offline``).
"""

from __future__ import annotations

from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd

from expectations.catalog import ExpectationSpec, SuiteSpec, load_suite
from expectations.offline import make_offline
from expectations.results import ExpectationOutcome, SuiteResult
from warehouse.tables import DATE, FLOAT, INT, STAGED_RECORDS, TIMESTAMP

DATASOURCE = "childreg"
DOCS_SITE = "childreg"
# No unexpected values in any result: they would be names, identity numbers or dates of birth.
RESULT_FORMAT = {"result_format": "BASIC", "exclude_unexpected_values": True, "partial_unexpected_count": 0}
GX_SEVERITY = {"extract": "critical", "row": "warning"}
NO_ROWS = "no rows this sync: nothing to validate"


def validate_staged(
    source_system: str, staged: pd.DataFrame, as_of: date, docs_dir: Path | None = None
) -> SuiteResult:
    """Validate one extract's staged rows with the suite named for its source system."""
    spec = load_suite(source_system)
    if spec.table is not STAGED_RECORDS:
        raise ValueError(f"suite {source_system!r} does not check staged extracts")
    return _validate(spec, staged, as_of, docs_dir)


def validate_registry(children: pd.DataFrame, as_of: date, docs_dir: Path | None = None) -> SuiteResult:
    """Validate the golden records (registry.children) before they are published."""
    return _validate(load_suite("registry"), children, as_of, docs_dir)


def _validate(spec: SuiteSpec, frame: pd.DataFrame, as_of: date, docs_dir: Path | None) -> SuiteResult:
    if frame.empty:
        return SuiteResult(spec.name, [_outcome(spec.name, e, True, NO_ROWS) for e in spec.expectations])
    batch = _typed_columns(spec, frame)
    docs_dir = docs_dir.resolve() if docs_dir is not None else None
    run = _checkpoint(spec.name, docs_dir).run(
        batch_parameters={"dataframe": batch}, expectation_parameters=spec.parameter_values(as_of)
    )
    (suite_result,) = run.run_results.values()
    by_name = {r.expectation_config.meta["name"]: r for r in suite_result.results}
    outcomes = [_outcome(spec.name, e, *_judged(e, by_name[e.name])) for e in spec.expectations]
    docs_index = None
    if docs_dir is not None:
        make_offline(docs_dir)  # GX's pages load their scripts and styles from public CDNs
        docs_index = (docs_dir / "index.html").as_uri()
    return SuiteResult(spec.name, outcomes, rows=len(frame), docs_index=docs_index)


def _outcome(suite: str, spec: ExpectationSpec, success: bool, observed: str) -> ExpectationOutcome:
    return ExpectationOutcome(suite, spec.name, spec.column, spec.severity, success, observed)


def _typed_columns(spec: SuiteSpec, frame: pd.DataFrame) -> pd.DataFrame:
    """Only the suite's columns (GX fingerprints the whole batch), typed so GX compares them
    vectorised: dates as datetime64[ns], numbers as float."""
    missing = [c for c in spec.columns if c not in frame.columns]
    if missing:
        raise ValueError(
            f"{spec.name}: frame lacks {spec.table.qualified_name} column(s) {', '.join(missing)}"
        )
    types = {c.name: c.type for c in spec.table.columns}
    return pd.DataFrame({c: _typed(frame[c], types[c]) for c in spec.columns}).reset_index(drop=True)


def _typed(column: pd.Series, kind: str) -> pd.Series:
    if kind in (DATE, TIMESTAMP):
        # Staged dates are datetime64 already; to_datetime would turn each into a
        # Timestamp to decide whether to cache its conversions.
        dates = column if column.dtype.kind == "M" else pd.to_datetime(column, errors="coerce")
        return dates.astype("datetime64[ns]")
    if kind in (INT, FLOAT):
        return pd.to_numeric(column, errors="coerce").astype("float64")
    return column


def _judged(spec: ExpectationSpec, result: Any) -> tuple[bool, str]:
    """Success and an observed text of counts and rates, never a value from the data."""
    error = _raised_exception(result.exception_info or {})
    if error:
        return False, f"not evaluated: {error}"
    return bool(result.success), _observed(result.result, spec.kwargs.get("mostly", 1.0))


def _observed(res: dict, need: float) -> str:
    if "element_count" not in res:
        value = res.get("observed_value")
        return str(value) if isinstance(value, int | float) else "see Data Docs"
    rows, unexpected = res["element_count"], res["unexpected_count"] or 0
    if "missing_count" not in res:  # not-null: every row counts, NULL is the failure
        return f"{unexpected} of {rows} rows NULL ({1 - unexpected / rows:.1%} present, need ≥ {need:.1%})"
    checked = rows - res["missing_count"]
    if checked == 0:
        return f"all {rows} rows NULL: nothing to check"
    share = 1 - unexpected / checked
    text = f"{unexpected} of {checked} non-NULL values fail ({share:.1%} pass, need ≥ {need:.1%})"
    return text + (f"; {res['missing_count']} NULL" if res["missing_count"] else "")


def _raised_exception(info: dict) -> str | None:
    """The exception's type only: its message may quote a value from the data."""
    entries = [info] if "raised_exception" in info else [v for v in info.values() if isinstance(v, dict)]
    for entry in entries:
        if entry.get("raised_exception"):
            last_line = (entry.get("exception_traceback") or "error").strip().splitlines()[-1]
            return last_line.split(":", 1)[0]
    return None


@cache
def _context(docs_dir: Path | None) -> Any:
    """An ephemeral context; with a docs directory its stores live in ``docs_dir/.gx`` so that
    suites validated in other processes (Dagster runs steps in subprocesses) stay in the index."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        FilesystemStoreBackendDefaults,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    if docs_dir is None:
        backend, sites = InMemoryStoreBackendDefaults(), {}
    else:
        backend = FilesystemStoreBackendDefaults(root_directory=str(docs_dir / ".gx"))
        sites = {
            DOCS_SITE: {
                "class_name": "SiteBuilder",
                "show_how_to_buttons": False,
                "store_backend": {
                    "class_name": "TupleFilesystemStoreBackend",
                    "base_directory": str(docs_dir),
                },
                "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
            }
        }
    config = DataContextConfig(
        store_backend_defaults=backend,
        data_docs_sites=sites,
        progress_bars=ProgressBarsConfig(globally=False),
        analytics_enabled=False,
    )
    context = gx.get_context(project_config=config, mode="ephemeral")
    context.data_sources.add_pandas(DATASOURCE)
    return context


@cache
def _checkpoint(suite_name: str, docs_dir: Path | None) -> Any:
    """Suite, batch definition, validation definition and checkpoint, registered once per context."""
    import great_expectations as gx
    from great_expectations.checkpoint import UpdateDataDocsAction

    context = _context(docs_dir)
    asset = context.data_sources.get(DATASOURCE).add_dataframe_asset(suite_name)
    batch_definition = asset.add_batch_definition_whole_dataframe("frame")
    suite = context.suites.add_or_update(_gx_suite(load_suite(suite_name)))
    validation = context.validation_definitions.add_or_update(
        gx.ValidationDefinition(name=suite_name, data=batch_definition, suite=suite)
    )
    actions = [UpdateDataDocsAction(name="data_docs", site_names=[DOCS_SITE])] if docs_dir else []
    return context.checkpoints.add_or_update(
        gx.Checkpoint(
            name=suite_name, validation_definitions=[validation], actions=actions, result_format=RESULT_FORMAT
        )
    )


def _gx_suite(spec: SuiteSpec) -> Any:
    """The YAML suite as GX objects; ``to_domain_obj`` raises on a bad expectation, where
    ``ExpectationSuite`` itself would only log and drop it."""
    import great_expectations as gx
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration
    from great_expectations.expectations.metadata_types import FailureSeverity

    expectations = [
        ExpectationConfiguration(
            type=e.expectation,
            kwargs={"column": e.column, **e.kwargs} if e.column else e.kwargs,
            meta={"name": e.name, "severity": e.severity},
            notes=e.why,
            severity=FailureSeverity(GX_SEVERITY[e.severity]),
        ).to_domain_obj()
        for e in spec.expectations
    ]
    return gx.ExpectationSuite(name=spec.name, expectations=expectations)
