"""The suites as data: ``suites/<name>.yaml`` read into plain specs, without importing GX.

The names here are the contract with the Dagster layer, which declares one asset
check per expectation before any data exists, so reading them must be cheap.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

import pandas as pd
import yaml

from values.reference import county_names
from warehouse.tables import ALL_TABLES, Table

SUITES_DIR = Path(__file__).parent / "suites"
SEVERITIES = ("extract", "row")


@dataclass(frozen=True)
class ExpectationSpec:
    name: str
    severity: str
    expectation: str
    column: str | None
    kwargs: dict
    why: str


@dataclass(frozen=True)
class SuiteSpec:
    name: str
    table: Table
    parameters: dict[str, int]
    expectations: tuple[ExpectationSpec, ...]

    @property
    def columns(self) -> list[str]:
        """Columns the suite reads, in table order: only these are handed to GX."""
        used = {e.column for e in self.expectations if e.column}
        return [c for c in self.table.column_names if c in used]

    def parameter_values(self, as_of: date) -> dict[str, str]:
        """Suite parameters at ``as_of``, as ISO datetimes: GX compares those with datetime columns,
        while a bare ISO date becomes a ``date`` that pandas refuses to compare."""
        stamp = pd.Timestamp(as_of)
        return {
            name: (stamp - pd.DateOffset(years=years)).isoformat() for name, years in self.parameters.items()
        }


def suite_names() -> list[str]:
    """Every suite: one per staged extract (named for its source system) and ``registry``."""
    return sorted(p.stem for p in SUITES_DIR.glob("*.yaml"))


def expectation_names(suite: str) -> list[str]:
    """Stable expectation names of a suite, in the order its outcomes are reported."""
    return [e.name for e in load_suite(suite).expectations]


@cache
def load_suite(name: str) -> SuiteSpec:
    """Read and check one suite file; a malformed suite fails here, naming file and expectation."""
    path = SUITES_DIR / f"{name}.yaml"
    if not path.is_file():
        raise KeyError(f"no expectation suite named {name!r} in {SUITES_DIR}")
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    if raw["suite"] != name:
        raise ValueError(f"{path.name}: names suite {raw['suite']!r}")
    table = ALL_TABLES[raw["table"]]
    specs = tuple(_expectation_spec(path, table, item) for item in raw["expectations"])
    names = [s.name for s in specs]
    if len(set(names)) != len(names):
        raise ValueError(f"{path.name}: expectation names repeat")
    parameters = {k: int(v["years_before_as_of"]) for k, v in (raw.get("parameters") or {}).items()}
    return SuiteSpec(name=raw["suite"], table=table, parameters=parameters, expectations=specs)


def _resolved(value: object) -> object:
    """A kwarg as GX takes it: ``{reference: county_codes}`` names a set of the
    reference registry, so the suites never restate the county codes."""
    if isinstance(value, dict) and set(value) == {"reference"}:
        return REFERENCE_SETS[value["reference"]]()
    return value


REFERENCE_SETS = {"county_codes": lambda: list(county_names())}


def _expectation_spec(path: Path, table: Table, item: dict) -> ExpectationSpec:
    spec = ExpectationSpec(
        name=item["name"],
        severity=item["severity"],
        expectation=item["expectation"],
        column=item.get("column"),
        kwargs={k: _resolved(v) for k, v in (item.get("kwargs") or {}).items()},
        why=item.get("why", ""),
    )
    if spec.severity not in SEVERITIES:
        raise ValueError(f"{path.name}: {spec.name}: severity must be one of {SEVERITIES}")
    if spec.column is not None and spec.column not in table.column_names:
        raise ValueError(f"{path.name}: {spec.name}: {table.qualified_name} has no column {spec.column}")
    return spec
