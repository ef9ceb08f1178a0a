"""The reference registry: counties, sources, restricted sets and the child age are
stated once (values/reference.yaml) and every reader gets them from there."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from expectations.catalog import load_suite
from policy import load_rules
from reports.config import settings
from values.reference import county_names, restricted, source_names

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("values", "ingest", "linkage", "policy", "warehouse", "reports", "expectations", "pipelines")


def _data_files() -> list[Path]:
    return [p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.yaml")]


def test_county_codes_are_written_in_one_file_only():
    holders = {p.relative_to(ROOT).as_posix() for p in _data_files() if "510411" in p.read_text("utf-8")}
    assert holders == {"values/reference.yaml"}


def test_restricted_sets_are_written_in_one_file_only():
    pattern = re.compile(r"^\s*(restricted_sources|restricted_categories|privileged_departments)\s*:", re.M)
    assert [p for p in _data_files() if pattern.search(p.read_text("utf-8"))] == []


def test_every_reader_gets_the_reference_values():
    shared = restricted()
    rules = load_rules(date(2026, 11, 30))
    assert set(rules.restricted_sources) == set(shared["sources"])
    assert rules.restricted_categories == frozenset(shared["categories"])
    access = settings()["access"]
    assert access["restricted_sources"] == shared["sources"]
    assert access["restricted_categories"] == shared["categories"]
    assert access["privileged_departments"] == shared["departments"]
    assert settings()["counties"] == county_names()
    assert settings()["sources"] == source_names()
    suite = load_suite("education_students")
    sets = [
        e.kwargs["value_set"]
        for e in suite.expectations
        if "value_set" in e.kwargs and e.column == "county_code"
    ]
    assert sets and all(s == list(county_names()) for s in sets)


def test_child_age_comes_from_the_reference():
    assert load_rules(date(2026, 11, 30)).ages.child == 18
