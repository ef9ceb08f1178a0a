"""Rules as versioned data: the file in force at the as-of date, and its accessors."""

import shutil
from datetime import date
from pathlib import Path

import pytest
import yaml
from policy_builders import LEDGER, Sync, entitlement

from policy.ruleset import ALERT_CODES, RULES_DIR, RulesError, load_rules

FIRST = RULES_DIR / "2017-12-28.yaml"


def _second_version(directory: Path, effective_from: date, **amounts: float) -> None:
    """A copy of the 2017 rules with new amounts from ``effective_from``."""
    data = yaml.safe_load(FIRST.read_text(encoding="utf-8"))
    data["version"] = effective_from.isoformat()
    data["effective_from"] = effective_from
    data["amounts"].update(amounts)
    (directory / f"{effective_from.isoformat()}.yaml").write_text(
        yaml.safe_dump(data, allow_unicode=True), encoding="utf-8"
    )


@pytest.fixture
def two_versions(tmp_path: Path) -> Path:
    shutil.copy(FIRST, tmp_path)
    _second_version(tmp_path, date(2027, 1, 1), living_allowance=1200, disabled_student_subsidy=1100)
    return tmp_path


def test_as_of_before_a_new_file_uses_the_old_amounts(two_versions: Path) -> None:
    rules = load_rules(date(2026, 12, 31), two_versions)
    assert (rules.version, rules.living_allowance, rules.disabled_student_subsidy) == (
        "2017-12-28",
        1000,
        1000,
    )


def test_as_of_on_the_new_files_effective_date_uses_the_new_amounts(two_versions: Path) -> None:
    rules = load_rules(date(2027, 1, 1), two_versions)
    assert (rules.version, rules.living_allowance, rules.disabled_student_subsidy) == (
        "2027-01-01",
        1200,
        1100,
    )


def test_a_past_sync_re_runs_under_the_rules_then_in_force(two_versions: Path) -> None:
    """The living allowance due (二（二）1(1)) follows the as-of date, not today."""
    for as_of, due in ((date(2026, 12, 31), 1000), (date(2027, 1, 1), 1200)):
        sync = Sync(as_of)
        sync.child("c1", age=10)
        sync.record(LEDGER, "c1", ledger_categories="orphan", living_allowance=1000.0)
        result = sync.run(load_rules(as_of, two_versions))
        assert entitlement(result, "c1", "living_allowance")["expected_amount"] == due


def test_no_rules_before_the_first_effective_date() -> None:
    with pytest.raises(RulesError, match="in force"):
        load_rules(date(2017, 12, 27))


def test_default_rules_cover_every_alert_with_a_sheet_title_and_departments() -> None:
    rules = load_rules(date(2026, 6, 30))
    assert list(rules.alerts) == list(ALERT_CODES)
    for code in ALERT_CODES:
        alert = rules.alert(code)
        assert 0 < len(alert.title) <= 31
        assert alert.next_step and alert.clause
        assert set(alert.departments) <= set(rules.departments)
    assert rules.departments["civil_affairs"] == "市民政局"
    assert rules.alert("disability_allowance_missing").clause == "二（二）1(3)"
    assert rules.alert("left_behind_unsupervised").departments == (
        "county_government",
        "public_security",
        "civil_affairs",
    )


def test_a_title_too_long_for_a_sheet_name_is_refused(tmp_path: Path) -> None:
    data = yaml.safe_load(FIRST.read_text(encoding="utf-8"))
    data["alerts"]["aged_out"]["title"] = "超" * 32
    (tmp_path / "bad.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(RulesError, match=r"bad\.yaml: alerts\.aged_out\.title"):
        load_rules(date(2026, 6, 30), tmp_path)


def test_a_file_lacking_an_alert_is_refused(tmp_path: Path) -> None:
    data = yaml.safe_load(FIRST.read_text(encoding="utf-8"))
    del data["alerts"]["dropout"]
    (tmp_path / "short.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(RulesError, match="lacks dropout"):
        load_rules(date(2026, 6, 30), tmp_path)
