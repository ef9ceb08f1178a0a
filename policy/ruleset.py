"""The policy's rules as data: one YAML file per version under ``policy/rules/``.

The city changes amounts every year and a past sync must re-run under the rules
then in force, so nothing the opinions fix (ages, amounts, codes, clauses,
departments, wording) is a literal in code: ``load_rules(as_of)`` reads the newest
file whose ``effective_from`` is on or before the as-of date.

Accessors for the department workbooks:

- ``rules.alert(code)`` → ``AlertRule`` with ``.title`` (Chinese, ≤ 31 characters,
  usable as an Excel sheet name), ``.next_step`` (what to do next), ``.departments``
  (department codes), ``.clause``, ``.detail`` (the detail template);
- ``rules.alerts``: every ``AlertRule`` by code, in policy.md's order;
- ``rules.departments``: department code → Chinese name (e.g. ``civil_affairs`` → 市民政局);
- ``rules.category(code)`` → ``CategoryRule`` with ``.name``, ``.clause``,
  ``.age_limit``, ``.restricted``; ``rules.benefit(code)`` → ``BenefitRule``.

Which sources each rule reads is declared here too (``reads``: source systems, or
categories standing for the sources they read): ``AlertRule.reads`` is the resolved
set, so a source that did not arrive whole freezes exactly the alerts reading it.
``AlertRule.satisfied_by`` says, for an alert raised because a record is missing,
which record would satisfy it (a near-miss with such a record holds the alert).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from values.reference import child_age, restricted, source_names

RULES_DIR = Path(__file__).parent / "rules"

# The codes the engine computes; a rules file must describe every one of them.
ALERT_CODES = (
    "living_allowance_missing",
    "disability_allowance_missing",
    "disability_allowance_underpaid",
    "hardship_unregistered",
    "orphan_unregistered",
    "medical_insurance_missing",
    "insurance_subsidy_missing",
    "rehabilitation_missing",
    "family_doctor_unsigned",
    "not_in_school",
    "dropout",
    "boarding_subsidy_missing",
    "boarding_subsidy_underpaid",
    "disabled_student_subsidy_missing",
    "left_behind_unregistered",
    "left_behind_unsupervised",
    "aged_out",
)
CATEGORY_CODES = (
    "orphan",
    "hiv",
    "serious_illness",
    "severe_disability",
    "extreme_hardship",
    "poor_family",
    "left_behind",
    "distressed",
    "disabled",
)
BENEFIT_CODES = (
    "living_allowance",
    "disability_allowance",
    "medical_insurance",
    "insurance_subsidy",
    "rehabilitation",
    "boarding_subsidy",
    "disabled_student_subsidy",
)
SHEET_NAME_MAX = 31
SHEET_NAME_FORBIDDEN = set("[]:*?/\\")


# The operators a ``satisfied_by`` condition may use (besides a value or a list of values).
CONDITION_OPERATORS = frozenset({"above", "has", "as_of"})


class RulesError(ValueError):
    """A rules file is missing, or does not describe what the engine computes."""


@dataclass(frozen=True)
class Satisfier:
    """A record of ``source`` whose fields meet ``where`` would satisfy an alert's rule."""

    source: str
    where: Mapping[str, Any]


@dataclass(frozen=True)
class AlertRule:
    code: str
    title: str
    clause: str
    departments: tuple[str, ...]
    detail: str
    next_step: str
    conditions: Mapping[str, str]
    reads: frozenset[str] = frozenset()
    satisfied_by: tuple[Satisfier, ...] = ()


@dataclass(frozen=True)
class CategoryRule:
    code: str
    name: str
    clause: str
    age_limit: int
    restricted: bool
    reads: frozenset[str] = frozenset()


@dataclass(frozen=True)
class BenefitRule:
    code: str
    name: str
    period: str
    clause: str


@dataclass(frozen=True)
class LedgerLabel:
    code: str
    name: str
    category: str | None
    age_limit: int


@dataclass(frozen=True)
class Ages:
    child: int
    left_behind: int
    compulsory_school_entry: int
    compulsory_school_leaving: int
    rehabilitation_max: int


@dataclass(frozen=True)
class SchoolBand:
    """A stage (and grade range) of compulsory education and its boarding subsidy."""

    stage: str
    grades: tuple[int, int] | None
    boarding_subsidy: float


@dataclass(frozen=True)
class Rules:
    version: str
    effective_from: date
    path: Path
    ages: Ages
    school_year_start: tuple[int, int]
    living_allowance: float
    serious_illness_deductible: float
    disability_allowance_by_assistance: Mapping[str, float]
    disability_allowance_otherwise: float
    disabled_student_subsidy: float
    compulsory_education: tuple[SchoolBand, ...]
    parent_status: Mapping[str, tuple[str, ...]]
    work_status_away: tuple[str, ...]
    family: Mapping[str, Any]
    ledger_labels: Mapping[str, LedgerLabel]
    assistance_categories: Mapping[str, str]
    hiv_diagnoses: tuple[str, ...]
    severe_grades: tuple[int, ...]
    rehabilitation_categories: tuple[int, ...]
    insurance: Mapping[str, Any]
    school: Mapping[str, Any]
    restricted_sources: tuple[str, ...]
    departments: Mapping[str, str]
    categories: Mapping[str, CategoryRule]
    benefits: Mapping[str, BenefitRule]
    alerts: Mapping[str, AlertRule]

    def alert(self, code: str) -> AlertRule:
        return self.alerts[code]

    def category(self, code: str) -> CategoryRule:
        return self.categories[code]

    def benefit(self, code: str) -> BenefitRule:
        return self.benefits[code]

    def rule_id(self, category: str, basis: str) -> str:
        """The ``rule`` column: which rule, which clause, under which rules version."""
        return f"{category}.{basis} {self.categories[category].clause} @{self.version}"

    @property
    def restricted_categories(self) -> frozenset[str]:
        return frozenset(c.code for c in self.categories.values() if c.restricted)

    def alerts_reading(self, sources: set[str] | frozenset[str]) -> frozenset[str]:
        """The alert codes whose rule reads any of ``sources``."""
        return frozenset(code for code, alert in self.alerts.items() if alert.reads & set(sources))


def load_rules(as_of: date, path: Path | None = None) -> Rules:
    """The rules in force at ``as_of``: the newest file of the directory ``path``
    (default ``policy/rules``) whose ``effective_from`` is on or before ``as_of``."""
    directory = path or RULES_DIR
    versions = sorted((_effective_from(f), f) for f in directory.glob("*.yaml"))
    in_force = [f for start, f in versions if start <= as_of]
    if not in_force:
        raise RulesError(f"no rules file in {directory} is in force on {as_of.isoformat()}")
    return _parse(in_force[-1])


def _effective_from(file: Path) -> date:
    value = _read(file).get("effective_from")
    if not isinstance(value, date):
        raise RulesError(f"{file.name}: effective_from must be a date (YYYY-MM-DD)")
    return value


def _read(file: Path) -> dict[str, Any]:
    with file.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def _parse(file: Path) -> Rules:
    data = _read(file)
    try:
        rules = _build(file, data)
    except (KeyError, TypeError) as error:
        raise RulesError(f"{file.name}: missing or malformed entry {error}") from error
    _validate(file, rules)
    return rules


def _resolved_reads(declared: dict[str, list[str]], code: str, seen: tuple[str, ...] = ()) -> frozenset[str]:
    """A rule's sources, a category named in ``reads`` standing for the sources it reads."""
    if code in seen:
        raise RulesError(f"reads of {code} name themselves through {' → '.join(seen)}")
    found: set[str] = set()
    for item in declared.get(code, []):
        found |= _resolved_reads(declared, item, (*seen, code)) if item in declared else {item}
    return frozenset(found)


def _build(file: Path, data: dict[str, Any]) -> Rules:
    amounts = data["amounts"]
    category_reads = {code: v.get("reads", []) for code, v in data["categories"].items()}
    return Rules(
        version=str(data["version"]),
        effective_from=data["effective_from"],
        path=file,
        ages=Ages(child=child_age(), **data["ages"]),
        school_year_start=(data["school_year_start"]["month"], data["school_year_start"]["day"]),
        living_allowance=float(amounts["living_allowance"]),
        serious_illness_deductible=float(amounts["serious_illness_deductible"]),
        disability_allowance_by_assistance={
            k: float(v) for k, v in amounts["disability_allowance"]["by_assistance_type"].items()
        },
        disability_allowance_otherwise=float(amounts["disability_allowance"]["otherwise"]),
        disabled_student_subsidy=float(amounts["disabled_student_subsidy"]),
        compulsory_education=tuple(
            SchoolBand(
                b["stage"], tuple(b["grades"]) if "grades" in b else None, float(b["boarding_subsidy"])
            )
            for b in data["compulsory_education"]
        ),
        parent_status={k: tuple(v) for k, v in data["parent_status"].items()},
        work_status_away=tuple(data["work_status_away"]),
        family=data["family"],
        ledger_labels={
            code: LedgerLabel(code, v["name"], v.get("category"), int(v["age_limit"]))
            for code, v in data["ledger_labels"].items()
        },
        assistance_categories=data["assistance_categories"],
        hiv_diagnoses=tuple(data["hiv_diagnoses"]),
        severe_grades=tuple(data["disability"]["severe_grades"]),
        rehabilitation_categories=tuple(data["disability"]["rehabilitation_categories"]),
        insurance=data["insurance"],
        school=data["school"],
        restricted_sources=tuple(restricted()["sources"]),
        departments=data["departments"],
        categories={
            code: CategoryRule(
                code,
                v["name"],
                v["clause"],
                int(v["age_limit"]),
                code in restricted()["categories"],
                _resolved_reads(category_reads, code),
            )
            for code, v in data["categories"].items()
        },
        benefits={
            code: BenefitRule(code, v["name"], v["period"], v["clause"])
            for code, v in data["benefits"].items()
        },
        alerts={
            code: AlertRule(
                code,
                v["title"],
                v["clause"],
                tuple(v["departments"]),
                v["detail"],
                v["next_step"],
                v.get("conditions", {}),
                _resolved_reads({**category_reads, code: v.get("reads", [])}, code),
                tuple(Satisfier(s["source"], s.get("where", {})) for s in v.get("satisfied_by", [])),
            )
            for code, v in data["alerts"].items()
        },
    )


def _validate(file: Path, rules: Rules) -> None:
    """Fail at load, naming the file and entry, rather than mid-sync."""
    for kind, declared, required in (
        ("alerts", rules.alerts, ALERT_CODES),
        ("categories", rules.categories, CATEGORY_CODES),
        ("benefits", rules.benefits, BENEFIT_CODES),
    ):
        missing = [code for code in required if code not in declared]
        if missing:
            raise RulesError(f"{file.name}: {kind} lacks {', '.join(missing)}")
    titles = [a.title for a in rules.alerts.values()]
    if len(set(titles)) != len(titles):
        raise RulesError(f"{file.name}: alert titles must be distinct (they name workbook sheets)")
    for alert in rules.alerts.values():
        if len(alert.title) > SHEET_NAME_MAX or SHEET_NAME_FORBIDDEN & set(alert.title):
            raise RulesError(f"{file.name}: alerts.{alert.code}.title is not a valid sheet name")
        unknown = set(alert.departments) - set(rules.departments)
        if unknown:
            raise RulesError(f"{file.name}: alerts.{alert.code} names unknown departments {sorted(unknown)}")
    _validate_reads(file, rules)


def _validate_reads(file: Path, rules: Rules) -> None:
    """Every rule reads known sources; a satisfying record comes from a source its rule reads."""
    sources = set(source_names())
    for kind, declared in (("categories", rules.categories), ("alerts", rules.alerts)):
        for code, rule in declared.items():
            if not rule.reads:
                raise RulesError(f"{file.name}: {kind}.{code} declares no reads")
            unknown = rule.reads - sources
            if unknown:
                raise RulesError(f"{file.name}: {kind}.{code} reads unknown sources {sorted(unknown)}")
    for alert in rules.alerts.values():
        for satisfier in alert.satisfied_by:
            if satisfier.source not in alert.reads:
                raise RulesError(
                    f"{file.name}: alerts.{alert.code} is satisfied by a source it does not read"
                )
            for name, condition in satisfier.where.items():
                if isinstance(condition, dict) and not set(condition) <= CONDITION_OPERATORS:
                    raise RulesError(
                        f"{file.name}: alerts.{alert.code}.satisfied_by.{name}: unknown operator"
                    )
