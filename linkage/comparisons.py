"""The linkage model, read as a table: what is compared, level by level.

Each level carries a label a caseworker reads in the review queue (Chinese first).
Conditions use only equality and arithmetic on columns computed upstream in
``linkage.prepare`` (pinyin, day numbers, id prefixes), plus Splink's own
dialect-aware levels, so the same model runs on DuckDB and on Spark.

Why these levels (measured in benchmarks/RESULTS.md):
- names are compared on pinyin, not characters: DuckDB string distances work per
  character and misfire on 2–3-character Chinese names (stack.md);
- birth dates get a "within 50 days" level for lunar birthdays and a day/month swap;
- the identity number gets "same first 15 digits" for Excel-zeroed numbers and
  "one edit apart" for typos.
"""

from __future__ import annotations

from typing import Any

import splink.comparison_level_library as cll
from splink import block_on
from splink.blocking_rule_library import CustomRule
from splink.comparison_library import CustomComparison
from splink.internals.comparison_level_creator import ComparisonLevelCreator
from splink.internals.dialects import SplinkDialect


def _null(col: str) -> dict[str, Any]:
    return {
        "sql_condition": f"{col}_l IS NULL OR {col}_r IS NULL",
        "label_for_charts": "缺失 missing",
        "is_null_level": True,
    }


def _level(sql: str, label: str, tf_column: str | None = None) -> dict[str, Any]:
    level: dict[str, Any] = {"sql_condition": sql, "label_for_charts": label}
    if tf_column:
        level.update({"tf_adjustment_column": tf_column, "tf_adjustment_weight": 1.0})
    return level


_ELSE = {"sql_condition": "ELSE", "label_for_charts": "不同 different"}


class EmptyListLevel(ComparisonLevelCreator):
    """Null level for a list column: missing, or an empty list, on either side.

    A list's length is spelled per backend (DuckDB ``len``, Spark ``size``; sqlglot
    translates DuckDB's ``len`` to Spark's string ``length``). The DuckDB text is the
    one the trained model file holds, so ``splink_model`` can check the file against
    this code before scoring on another backend.
    """

    _LENGTH = {"duckdb": "len", "spark": "size"}

    def __init__(self, col: str):
        self.col = col

    def create_sql(self, sql_dialect: SplinkDialect) -> str:
        if sql_dialect.sql_dialect_str not in self._LENGTH:
            raise ValueError(f"no list length for {sql_dialect.sql_dialect_str}: add it to EmptyListLevel")
        length, c = self._LENGTH[sql_dialect.sql_dialect_str], self.col
        return f"{c}_l IS NULL OR {c}_r IS NULL OR {length}({c}_l) = 0 OR {length}({c}_r) = 0"

    def create_label_for_charts(self) -> str:
        return "缺失 missing"


def id_number() -> CustomComparison:
    return CustomComparison(
        output_column_name="id_number",
        comparison_description="公民身份号码",
        comparison_levels=[
            _null("id_candidate"),
            _level("id_candidate_l = id_candidate_r", "身份证号相同 same number"),
            _level(
                "id_prefix15_l = id_prefix15_r AND (id_zeroed_l OR id_zeroed_r)",
                "前15位相同（Excel截断） same first 15 digits, one zeroed by Excel",
            ),
            cll.DamerauLevenshteinLevel("id_candidate", 1).configure(
                label_for_charts="相差一位 one typo or transposition apart"
            ),
            _ELSE,
        ],
    )


def name() -> CustomComparison:
    return CustomComparison(
        output_column_name="name",
        comparison_description="姓名",
        comparison_levels=[
            _null("name_norm"),
            _level("name_norm_l = name_norm_r", "姓名相同 same name", tf_column="name_norm"),
            _level("name_pinyin_l = name_pinyin_r", "同音 same pinyin", tf_column="name_pinyin"),
            _level("name_pinyin_folded_l = name_pinyin_folded_r", "方言同音 same Sichuan-folded pinyin"),
            _level(
                "surname_folded_l = surname_folded_r AND given_first_folded_l = given_first_folded_r",
                "姓与名首字同音 same surname and first given syllable",
            ),
            _level("given_folded_l = given_folded_r", "名同音，姓不同 same given name, other surname"),
            _ELSE,
        ],
    )


def birth_date() -> CustomComparison:
    return CustomComparison(
        output_column_name="birth_date",
        comparison_description="出生日期",
        comparison_levels=[
            _null("birth_days"),
            _level("birth_days_l = birth_days_r", "出生日期相同 same date"),
            _level("birth_swapped_l = birth_iso_r", "日月颠倒 day and month swapped"),
            _level(
                "abs(birth_days_l - birth_days_r) <= 50",
                "相差50天内（农历生日） within 50 days: lunar birthday",
            ),
            _level("birth_year_l = birth_year_r", "同年 same year"),
            _ELSE,
        ],
    )


def sex() -> CustomComparison:
    return CustomComparison(
        output_column_name="sex",
        comparison_description="性别",
        comparison_levels=[_null("sex"), _level("sex_l = sex_r", "性别相同 same sex"), _ELSE],
    )


def place() -> CustomComparison:
    return CustomComparison(
        output_column_name="place",
        comparison_description="区县与乡镇",
        comparison_levels=[
            _null("county_code"),
            _level(
                "county_code_l = county_code_r AND township_l = township_r",
                "同乡镇 same township",
            ),
            _level("county_code_l = county_code_r", "同区县 same county"),
            _ELSE,
        ],
    )


def carers() -> CustomComparison:
    return CustomComparison(
        output_column_name="carers",
        comparison_description="父母或监护人姓名",
        comparison_levels=[
            EmptyListLevel("carers").configure(is_null_level=True),
            cll.ArrayIntersectLevel("carers", 1).configure(
                label_for_charts="父母或监护人同名 a parent or guardian in common"
            ),
            _ELSE,
        ],
    )


def comparisons() -> list[CustomComparison]:
    return [id_number(), name(), birth_date(), sex(), place(), carers()]


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
        block_on("name_pinyin_folded", "county_code", "township"),
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
