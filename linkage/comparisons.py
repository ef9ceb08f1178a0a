"""The linkage model as comparison objects, built the way Splink's comparison library
builds its own (a ``ComparisonCreator`` whose ``create_comparison_levels`` lists
Splink level creators).

Each comparison names its levels: a key code reads (``Name.SAME_PINYIN``), a label a
caseworker reads in the review queue (Chinese first), and, where training may leave
a level at the probability floor, the reason (``splink_model.floor_levels`` refuses
a trained model with a level at the floor and no reason). Constants live on the
comparison: clustering reads the birth-date window from ``BirthDate``.

Conditions use only equality and arithmetic on columns computed upstream in
``linkage.prepare`` (pinyin, day numbers, id prefixes), through Splink's own
dialect-aware levels, so the same model runs on DuckDB and on Spark.

Why these levels (measured in benchmarks/RESULTS.md):
- names are compared on pinyin, not characters: DuckDB string distances work per
  character and misfire on 2–3-character Chinese names (stack.md);
- birth dates get a lunar-birthday window (``values.dates.LUNAR_WINDOW_DAYS``) and a
  day/month swap;
- the identity number gets "same first 15 digits" for Excel-zeroed numbers and
  "one edit apart" for typos.
"""

from __future__ import annotations

from abc import abstractmethod
from dataclasses import dataclass

import splink.comparison_level_library as cll
from splink import block_on
from splink.blocking_rule_library import CustomRule
from splink.internals.column_expression import ColumnExpression
from splink.internals.comparison_creator import ComparisonCreator
from splink.internals.comparison_level_creator import ComparisonLevelCreator
from splink.internals.dialects import SplinkDialect

from linkage.config import load_config
from values.dates import LUNAR_WINDOW_DAYS

MISSING = "missing"
DIFFERENT = "different"

# Why a "different" level may sit at the floor: shared by every comparison.
_NO_TRUE_MATCH_DIFFERS = (
    "No true match in the training records differs here (the synthetic city writes "
    "no such error), so EM leaves m at the floor, and the floor sets the level's "
    "penalty, log2(floor / u), in place of m = 0's minus infinity: one wrong value "
    "weakens a pair instead of forbidding it. Records that hold such errors raise m "
    "above the floor when the model is retrained on them."
)


@dataclass(frozen=True)
class Level:
    """One level of a comparison: ``key`` for code, ``label`` for people, ``creator``
    for Splink's SQL; ``floor_reason`` says why training may leave its m (or m and u)
    at the probability floor."""

    key: str
    creator: ComparisonLevelCreator
    label: str
    floor_reason: str | None = None


class EmptyListLevel(ComparisonLevelCreator):
    """Null level for a list column: missing, or an empty list, on either side.

    A list's length is spelled per backend (DuckDB ``len``, Spark ``size``; sqlglot
    translates DuckDB's ``len`` to Spark's string ``length``).
    """

    _LENGTH = {"duckdb": "len", "spark": "size"}

    def __init__(self, col: str):
        self.col = col
        self.is_null_level = True

    def create_sql(self, sql_dialect: SplinkDialect) -> str:
        if sql_dialect.sql_dialect_str not in self._LENGTH:
            raise ValueError(f"no list length for {sql_dialect.sql_dialect_str}: add it to EmptyListLevel")
        length, c = self._LENGTH[sql_dialect.sql_dialect_str], self.col
        return f"{c}_l IS NULL OR {c}_r IS NULL OR {length}({c}_l) = 0 OR {length}({c}_r) = 0"

    def create_label_for_charts(self) -> str:
        return "缺失 missing"


class EitherTrueLevel(ComparisonLevelCreator):
    """A boolean column true on either side: ``col_l OR col_r``."""

    def __init__(self, col: str):
        self.col_expression = ColumnExpression.instantiate_if_str(col)

    def create_sql(self, sql_dialect: SplinkDialect) -> str:
        self.col_expression.sql_dialect = sql_dialect
        return f"{self.col_expression.name_l} OR {self.col_expression.name_r}"

    def create_label_for_charts(self) -> str:
        return f"{self.col_expression.label} on either side"


class CrossLevel(ComparisonLevelCreator):
    """Column ``a`` of one side against column ``b`` of the other, either way round:
    ``equal`` (``a_l = b_r OR b_l = a_r``), or, as the null level, neither way has both
    values, or the ``b`` side holds one of ``silent`` and the ``a`` side another value
    (a value that says nothing against a different one)."""

    def __init__(self, a: str, b: str, null: bool = False, silent: tuple[str, ...] = ()):
        self.a, self.b = ColumnExpression.instantiate_if_str(a), ColumnExpression.instantiate_if_str(b)
        self.is_null_level = null
        self.silent = silent

    def create_sql(self, sql_dialect: SplinkDialect) -> str:
        self.a.sql_dialect = self.b.sql_dialect = sql_dialect
        a_l, a_r, b_l, b_r = self.a.name_l, self.a.name_r, self.b.name_l, self.b.name_r
        if not self.is_null_level:
            return f"{a_l} = {b_r} OR {b_l} = {a_r}"
        null = f"({a_l} IS NULL OR {b_r} IS NULL) AND ({b_l} IS NULL OR {a_r} IS NULL)"
        if not self.silent:
            return null
        values = ", ".join(f"'{v}'" for v in self.silent)
        quiet = " OR ".join(
            f"({b} IN ({values}) AND NOT COALESCE({a} = {b}, FALSE))" for a, b in ((a_l, b_r), (a_r, b_l))
        )
        return f"({null}) OR {quiet}"

    def create_label_for_charts(self) -> str:
        return f"{self.a.label} against {self.b.label}"


class WithinLevel(ComparisonLevelCreator):
    """Column ``value`` of one side between columns ``low`` and ``high`` of the other,
    either way round, and where ``flag`` is given, that other side's ``flag`` true; as
    the null level, neither way has all three."""

    def __init__(self, value: str, low: str, high: str, null: bool = False, flag: str | None = None):
        self.columns = [ColumnExpression.instantiate_if_str(c) for c in (value, low, high)]
        self.flag = ColumnExpression.instantiate_if_str(flag) if flag else None
        self.is_null_level = null

    def create_sql(self, sql_dialect: SplinkDialect) -> str:
        for column in [*self.columns, self.flag] if self.flag else self.columns:
            column.sql_dialect = sql_dialect
        value, low, high = self.columns
        ways = [
            (value.name_r, low.name_l, high.name_l, self.flag and self.flag.name_l),
            (value.name_l, low.name_r, high.name_r, self.flag and self.flag.name_r),
        ]
        if self.is_null_level:
            return " AND ".join(f"({v} IS NULL OR {lo} IS NULL OR {hi} IS NULL)" for v, lo, hi, _ in ways)
        return " OR ".join(f"({v} BETWEEN {lo} AND {hi}{f' AND {f}' if f else ''})" for v, lo, hi, f in ways)

    def create_label_for_charts(self) -> str:
        value, low, high = self.columns
        return f"{value.label} between {low.label} and {high.label}"


class ApartLevel(ComparisonLevelCreator):
    """Null level: ``col`` blank on either side, or the two sides apart on one of
    ``within`` (blank there too, or different): a village says nothing of two records
    in different townships, whose comparison ``Place`` already weighs."""

    def __init__(self, col: str, within: tuple[str, ...]):
        self.columns = [ColumnExpression.instantiate_if_str(c) for c in (col, *within)]
        self.is_null_level = True

    def create_sql(self, sql_dialect: SplinkDialect) -> str:
        for c in self.columns:
            c.sql_dialect = sql_dialect
        blank = [f"{c.name_l} IS NULL OR {c.name_r} IS NULL" for c in self.columns]
        apart = [f"{c.name_l} <> {c.name_r}" for c in self.columns[1:]]
        return " OR ".join(blank + apart)

    def create_label_for_charts(self) -> str:
        return "缺失 missing"


class ModelComparison(ComparisonCreator):
    """A comparison of the model: its levels in order, null level first, else last.

    Splink writes each pair's level to ``gamma_<output_column_name>``: -1 for the null
    level, then counting down from the most specific level to 0 for the last.
    ``position`` is the order code and the review queue read: 0 = the most specific
    non-null level, -1 = missing.
    """

    output_column_name: str
    description: str

    def __init__(self) -> None:
        super().__init__({})

    @abstractmethod
    def levels(self) -> list[Level]: ...

    def create_comparison_levels(self) -> list[ComparisonLevelCreator]:
        return [level.creator.configure(label_for_charts=level.label) for level in self.levels()]

    def create_output_column_name(self) -> str:
        return self.output_column_name

    def create_description(self) -> str:
        return self.description

    def scored_levels(self) -> list[Level]:
        """The non-null levels, most specific first: ``position`` i is the i-th."""
        return [lv for lv in self.levels() if not lv.creator.is_null_level]

    def position(self, key: str) -> int:
        if key == MISSING:
            return -1
        keys = [lv.key for lv in self.scored_levels()]
        if key not in keys:
            raise KeyError(f"{self.output_column_name} has no level {key!r}: {keys}")
        return keys.index(key)

    def gamma(self, key: str) -> int:
        """The value Splink writes to ``gamma_<output_column_name>`` for level ``key``."""
        position = self.position(key)
        return -1 if position == -1 else len(self.scored_levels()) - 1 - position

    def level(self, key: str) -> Level:
        return next(lv for lv in self.levels() if lv.key == key)


def _missing(col: str) -> Level:
    return Level(MISSING, cll.NullLevel(col), "缺失 missing")


def _different(floor_reason: str | None = None) -> Level:
    return Level(DIFFERENT, cll.ElseLevel(), "不同 different", floor_reason)


def _counted(by: str) -> str:
    """The floor reason of a level whose m and u ``linkage.counted`` counts (``by``)."""
    return f"m and u are counted on the records, not by EM (counted.{by})"


class IdNumber(ModelComparison):
    output_column_name = "id_number"
    description = "公民身份号码"
    SAME, EXCEL_ZEROED, ONE_TYPO = "same", "excel_zeroed", "one_typo"

    def levels(self) -> list[Level]:
        return [
            _missing("id_candidate"),
            Level(self.SAME, cll.ExactMatchLevel("id_candidate"), "身份证号相同 same number"),
            Level(
                self.EXCEL_ZEROED,
                cll.And(cll.ExactMatchLevel("id_prefix15"), EitherTrueLevel("id_zeroed")),
                "前15位相同（Excel截断） same first 15 digits, one zeroed by Excel",
            ),
            Level(
                self.ONE_TYPO,
                cll.DamerauLevenshteinLevel("id_candidate", 1),
                "相差一位 one typo or transposition apart",
            ),
            _different(),
        ]


class Name(ModelComparison):
    output_column_name = "name"
    description = "姓名"
    SAME, SAME_PINYIN, SAME_FOLDED = "same", "same_pinyin", "same_folded"
    SURNAME_AND_FIRST, GIVEN_ONLY = "surname_and_first_given", "given_only"
    # Levels that say "the same name, spelt alike": a pair agreeing on little else
    # than such a name is still one the model may merge (linkage.link._mergeable).
    SOUNDS_SAME = (MISSING, SAME, SAME_PINYIN, SAME_FOLDED)

    def levels(self) -> list[Level]:
        return [
            _missing("name_norm"),
            Level(
                self.SAME,
                cll.ExactMatchLevel("name_norm", term_frequency_adjustments=True),
                "姓名相同 same name",
            ),
            Level(
                self.SAME_PINYIN,
                cll.ExactMatchLevel("name_pinyin", term_frequency_adjustments=True),
                "同音 same pinyin",
            ),
            Level(
                self.SAME_FOLDED,
                cll.ExactMatchLevel("name_pinyin_folded"),
                "方言同音 same Sichuan-folded pinyin",
                floor_reason=(
                    "The synthetic city writes no dialect spellings (its name typos are "
                    "homophones, which share pinyin), so EM sees no true match here and "
                    "random pairs almost never land here: m and u both sit at the floor "
                    "and the level weighs 0. A 李星娥 written 尼新娥 then neither counts "
                    "for nor against a pair, where 'different' would count about −8 bits. "
                    "Retrain on records that hold dialect spellings to weigh it."
                ),
            ),
            Level(
                self.SURNAME_AND_FIRST,
                cll.And(cll.ExactMatchLevel("surname_folded"), cll.ExactMatchLevel("given_first_folded")),
                "姓与名首字同音 same surname and first given syllable",
                floor_reason=(
                    "Siblings share a surname and often a generation character, so "
                    "non-matches land here; of a child's own records only a corrected "
                    "last character does (rare in the synthetic city), so m may sit at "
                    "the floor and the level count against a pair."
                ),
            ),
            Level(
                self.GIVEN_ONLY,
                cll.ExactMatchLevel("given_folded"),
                "名同音，姓不同 same given name, other surname",
                floor_reason=(
                    "The synthetic city never changes a child's surname, so no true match "
                    "lands here, while given names repeat across families: the level "
                    "counts against a pair, log2(floor / u)."
                ),
            ),
            _different(_NO_TRUE_MATCH_DIFFERS),
        ]


class BirthDate(ModelComparison):
    """Birth dates: the same day, day and month swapped, within the lunar-birthday
    window, the same year. ``lunar_window_days`` is also the window clustering keeps
    two groups' dates within (``linkage.cluster``)."""

    output_column_name = "birth_date"
    description = "出生日期"
    SAME, SWAPPED, LUNAR, SAME_YEAR = "same", "day_month_swapped", "lunar_window", "same_year"
    # Levels that say "may be the same date": clustering refuses to join groups
    # whose dates fall in none of them (values.dates.may_be_one_birthday).
    MAY_BE_SAME_DATE = (SAME, SWAPPED, LUNAR)

    def __init__(self, lunar_window_days: int = LUNAR_WINDOW_DAYS) -> None:
        self.lunar_window_days = lunar_window_days
        super().__init__()

    def levels(self) -> list[Level]:
        days = self.lunar_window_days
        return [
            _missing("birth_days"),
            Level(self.SAME, cll.ExactMatchLevel("birth_days"), "出生日期相同 same date"),
            Level(
                self.SWAPPED,
                # birth_swapped is the date with day and month exchanged (prepare), so
                # one direction is both: swapping is its own inverse.
                cll.ColumnsReversedLevel("birth_swapped", "birth_iso"),
                "日月颠倒 day and month swapped",
                floor_reason=(
                    "The synthetic city writes no swapped dates, so EM sees no true "
                    "match here and random pairs almost never land here: m and u both "
                    "sit at the floor and the level weighs 0, neither for nor against, "
                    "where a date this far apart would otherwise count as 'same year' or "
                    "'different'. Retrain on records that hold swapped dates to weigh it."
                ),
            ),
            Level(
                self.LUNAR,
                cll.AbsoluteDifferenceLevel("birth_days", days),
                f"相差{days}天内（农历生日） within {days} days: lunar birthday",
            ),
            Level(
                self.SAME_YEAR,
                cll.ExactMatchLevel("birth_year"),
                "同年 same year",
                floor_reason=(
                    "The synthetic city writes a child's birth date right or as the lunar "
                    "birthday (within the window), never further off in the same year, "
                    "so EM leaves m at the floor and the level counts against a pair, "
                    "log2(floor / u)."
                ),
            ),
            _different(_NO_TRUE_MATCH_DIFFERS),
        ]


class Sex(ModelComparison):
    output_column_name = "sex"
    description = "性别"
    SAME = "same"

    def levels(self) -> list[Level]:
        return [
            _missing("sex"),
            Level(self.SAME, cll.ExactMatchLevel("sex"), "性别相同 same sex"),
            _different(_NO_TRUE_MATCH_DIFFERS),
        ]


class Place(ModelComparison):
    output_column_name = "place"
    description = "区县与乡镇"
    TOWNSHIP, COUNTY = "same_township", "same_county"

    def levels(self) -> list[Level]:
        return [
            _missing("county_code"),
            Level(
                self.TOWNSHIP,
                cll.And(cll.ExactMatchLevel("county_code"), cll.ExactMatchLevel("township")),
                "同乡镇 same township",
            ),
            Level(self.COUNTY, cll.ExactMatchLevel("county_code"), "同区县 same county"),
            _different(_NO_TRUE_MATCH_DIFFERS),
        ]


class Village(ModelComparison):
    """The village of two records of one township. Every extract but the insurance one
    names it (sources.md), and a township holds seven or eight: two namesakes of a
    township, one of them in a roster row's own village, are told apart by it, where
    the township alone left the row tied between them. A pair in two townships, or
    with a village blank, is missing here (``Place`` weighs it). Of a child's own
    records of one township nearly all name one village, of any two records of a
    township one pair in seven: m and u are counted so (``counted.village_shares``)."""

    output_column_name = "village"
    description = "同乡镇记录的村（社区）"
    SAME = "same"

    def levels(self) -> list[Level]:
        counted = _counted("village_shares")
        return [
            Level(MISSING, ApartLevel("village", ("county_code", "township")), "缺失 missing"),
            Level(self.SAME, cll.ExactMatchLevel("village"), "同村 same village", counted),
            _different(counted),
        ]


class Carers(ModelComparison):
    """A parent's or guardian's name in common (folded pinyin of the guardian, parents,
    head of household and the head's spouse: ``prepare._carers``). A name that the
    carers of few of the sync's children bear (``carers_rare``) says far more than a
    common one, which two namesakes' fathers share often: two levels, whose m and u are
    counted on the records (``linkage.counted``)."""

    output_column_name = "carers"
    description = "父母或监护人姓名"
    IN_COMMON_RARE = "in_common_rare"
    IN_COMMON = "in_common"

    def levels(self) -> list[Level]:
        counted = _counted("count_pairs")
        return [
            Level(MISSING, EmptyListLevel("carers"), "缺失 missing"),
            Level(
                self.IN_COMMON_RARE,
                cll.ArrayIntersectLevel("carers_rare", 1),
                "父母或监护人同名（少见的名字） a parent or guardian in common, by a name few carers bear",
                counted,
            ),
            Level(
                self.IN_COMMON,
                cll.ArrayIntersectLevel("carers", 1),
                "父母或监护人同名（常见的名字） a parent or guardian in common, by a common name",
                counted,
            ),
            _different(counted),
        ]


class Programme(ModelComparison):
    """The family's assistance programme as a roster names it (低保, 特困, a poverty
    household) against the insurance subsidy a health-insurance row names for it
    (全额资助（低保）…): sources.md, extracts 2, 3 and 6. A child on the 低保 roster
    whose insurance row says 全额资助（低保） is likelier the same child than another of
    the name. An insurance row with no or a partial subsidy differs: that weighs against
    the pair, as much as training finds such rows among true matches (a subsidy missing
    is what ``insurance_subsidy_missing`` looks for, so it is not rare).

    A subsidy that may be the child's own (``linkage/config.yaml`` programmes
    ``childs_own``: 全额资助（特困）, which a child in extreme hardship receives whatever
    its family's programme, policy.md ``extreme_hardship``) says nothing against another
    programme: such a pair falls in the missing level, and only the same programme
    counts."""

    output_column_name = "programme"
    description = "救助或扶贫身份与医保资助类别"
    SAME = "same"

    def levels(self) -> list[Level]:
        roster, insured = "programme_roster", "programme_insured"
        return [
            Level(
                MISSING,
                CrossLevel(roster, insured, null=True, silent=tuple(load_config().programmes["childs_own"])),
                "缺失 missing",
            ),
            Level(
                self.SAME, CrossLevel(roster, insured), "资助类别与救助身份一致 subsidy matches the programme"
            ),
            _different(_NO_TRUE_MATCH_DIFFERS),
        ]


class SchoolAge(ModelComparison):
    """A school grade against a birth date. A poverty roster's 在校生状况 (小学三年级)
    is all a row without a birth date says of its child's age (sources.md, extract 3);
    ``prepare.school_birth_window`` turns it into the days the child was born between,
    which the other record's birth date falls in or not. Two other children of one name
    in a township are seldom of one school age. A stage named without its grade
    (学前教育) gives a window of several years, which many more namesakes fall in: a
    level of its own, so that it weighs what it is worth."""

    output_column_name = "school_age"
    description = "在校年级与出生日期"
    FITS = "fits"
    FITS_STAGE = "fits_stage"

    def levels(self) -> list[Level]:
        window = ("birth_days", "school_born_from", "school_born_to")
        counted = _counted("school_age_rates")
        return [
            Level(MISSING, WithinLevel(*window, null=True), "缺失 missing"),
            Level(
                self.FITS,
                WithinLevel(*window, flag="school_graded"),
                "出生日期与年级相符 born when a child of the grade is",
                counted,
            ),
            Level(
                self.FITS_STAGE,
                WithinLevel(*window),
                "出生日期与学段相符 born when a child of the stage is",
                counted,
            ),
            _different(
                f"{counted}: it sits at the floor only when every dated pupil is in the grade "
                "of its age, and the level then counts against a pair, log2(floor / u); the "
                "window already allows a year early or late (linkage/config.yaml school_age)."
            ),
        ]


def comparisons() -> list[ModelComparison]:
    return [IdNumber(), Name(), BirthDate(), Sex(), Place(), Village(), Carers(), Programme(), SchoolAge()]


def comparison_named(output_column_name: str) -> ModelComparison:
    return next(c for c in comparisons() if c.output_column_name == output_column_name)


def prediction_blocking_rules() -> list:
    """Rules whose union generates the scored pairs.

    None blocks on surname alone (a handful of surnames dominate, stack.md); each was
    sized with ``count_comparisons_from_blocking_rules`` (benchmarks/RESULTS.md).
    """
    return [
        block_on("id_candidate"),
        # Only where one side may be Excel-zeroed: on all records this rule alone made 1.6M pairs.
        CustomRule("l.id_prefix15 = r.id_prefix15 AND (l.id_zeroed OR r.id_zeroed)", sql_dialect="duckdb"),
        # Name and year, or date and surname, within a county: city-wide these two grew
        # with the square of the city (26 M and 12 M pairs at a million children). A
        # child's records in two counties still meet on the number, or on the exact
        # birth date and given name.
        block_on("name_pinyin_folded", "birth_year", "county_code"),
        block_on("birth_days", "surname_folded", "county_code"),
        block_on("birth_days", "given_folded"),
        # Township without county: a pupil's county is the school's, not the home's.
        block_on("name_pinyin_folded", "township"),
        # A roster row without a usable number has no birth date and insurance and
        # health rows no township (sources.md): without this rule the two never meet.
        CustomRule(
            "l.name_pinyin_folded = r.name_pinyin_folded AND l.county_code = r.county_code"
            " AND (l.birth_days IS NULL OR r.birth_days IS NULL)",
            sql_dialect="duckdb",
        ),
    ]


def training_blocking_rules() -> list:
    """EM sessions: each fixes some comparisons and estimates the others."""
    return [
        block_on("id_candidate"),
        block_on("name_pinyin_folded", "birth_year"),
        block_on("birth_days", "county_code"),
    ]
