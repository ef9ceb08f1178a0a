"""Every level of every comparison, on literal record pairs, on DuckDB and on Spark.

Each case is two staged records written out by hand. They go through
``linkage.prepare`` and are scored by Splink with the shipped model's comparisons;
the pair must land in the named level of ``gamma_<comparison>``, and
``splink_model.comparison_levels`` must read that level back. One Spark session
serves the module (start-up is ~15 s).
"""

from __future__ import annotations

import copy
import math
from datetime import date, timedelta

import pandas as pd
import pytest
from test_read_support import valid_id

from linkage import cluster
from linkage.comparisons import (
    DIFFERENT,
    MISSING,
    BirthDate,
    Carers,
    IdNumber,
    Name,
    Place,
    Programme,
    SchoolAge,
    Sex,
    Village,
    comparison_named,
    comparisons,
)
from linkage.config import load_config
from linkage.prepare import linkage_frame
from linkage.splink_model import (
    check_floor_levels,
    check_model,
    comparison_levels,
    duckdb_api,
    floor_levels,
    level_labels,
    load_model,
    score,
)
from values.dates import LUNAR_WINDOW_DAYS, may_be_one_birthday
from values.names import folded_pinyin, name_keys

ID = valid_id("51042120150302123")
OTHER_ID = valid_id("51040220160817456")
BORN = date(2015, 3, 2)
WINDOW = LUNAR_WINDOW_DAYS

# The left record of every pair; a case changes fields on either side.
COMMON_CARER = "张伟"  # common in the cases' sync (_case_frame)
BASE: dict[str, object] = {
    "name": "张伟",
    "sex": "M",
    "birth_date": BORN,
    "id": ID,
    "id_status": "valid",
    "county_code": "510421",
    "township": "攀莲镇",
    "village": "光河村",
    "guardian_name": "王芳",
    "father_name": None,
    "mother_name": None,
    "source_system": "education_students",
    "assistance_type": None,
    "insurance_subsidy": None,
    "school_stage": None,
    "school_status": None,
    "grade": None,
}
# The sync's date. On 31 August 2026, the day before its school year opened, BORN makes the
# child 11, in year 6 (小学六年级), and a child of year 6 was born after 2013-08-31 and by
# 2016-08-31 (a year's slack each way).
AS_OF = date(2026, 11, 30)
DIBAO = {"source_system": "civil_affairs_assistance", "assistance_type": "rural_dibao"}
INSURED = {"source_system": "health_insurance"}
# A poverty-roster row without a birth date, in primary school.
POOR = {"source_system": "poverty_households", "birth_date": None, "school_status": "primary"}


def _transposed(number: str, i: int) -> str:
    assert number[i] != number[i + 1]
    return number[:i] + number[i + 1] + number[i] + number[i + 2 :]


# (comparison, level, left changes, right changes): one case per level at least.
CASES: list[tuple[str, str, dict, dict]] = [
    ("id_number", MISSING, {}, {"id": None, "id_status": "missing"}),
    ("id_number", IdNumber.SAME, {}, {}),
    ("id_number", IdNumber.EXCEL_ZEROED, {}, {"id": ID[:15] + "000", "id_status": "suspect_zeroed"}),
    ("id_number", IdNumber.ONE_TYPO, {}, {"id": _transposed(ID, 9), "id_status": "bad_check_digit"}),
    # Past the first 15 digits and neither zeroed: one typo, not Excel.
    ("id_number", IdNumber.ONE_TYPO, {}, {"id": ID[:16] + "9" + ID[17], "id_status": "bad_check_digit"}),
    ("id_number", DIFFERENT, {}, {"id": OTHER_ID}),
    # Not comparable: a status whose candidate is not 18 digits worth comparing.
    ("id_number", MISSING, {}, {"id": ID, "id_status": "legacy15"}),
    ("name", MISSING, {}, {"name": None}),
    ("name", Name.SAME, {}, {}),
    ("name", Name.SAME_PINYIN, {"name": "张伟"}, {"name": "张玮"}),
    # Sichuan speech: li→ni, xing→xin. Folded syllable by syllable both are ni·xin·e.
    ("name", Name.SAME_FOLDED, {"name": "李星娥"}, {"name": "尼新娥"}),
    ("name", Name.SAME_FOLDED, {"name": "刘星"}, {"name": "牛新"}),
    ("name", Name.SAME_FOLDED, {"name": "张生"}, {"name": "臧森"}),
    ("name", Name.SURNAME_AND_FIRST, {"name": "张伟明"}, {"name": "张伟华"}),
    ("name", Name.SURNAME_AND_FIRST, {"name": "李星娥"}, {"name": "尼新华"}),
    ("name", Name.GIVEN_ONLY, {"name": "张伟"}, {"name": "王伟"}),
    ("name", Name.GIVEN_ONLY, {"name": "李星娥"}, {"name": "王新娥"}),
    ("name", DIFFERENT, {"name": "张伟"}, {"name": "李娜"}),
    ("birth_date", MISSING, {}, {"birth_date": None}),
    ("birth_date", BirthDate.SAME, {}, {}),
    ("birth_date", BirthDate.SWAPPED, {"birth_date": date(2015, 3, 4)}, {"birth_date": date(2015, 4, 3)}),
    ("birth_date", BirthDate.SWAPPED, {"birth_date": date(2015, 4, 3)}, {"birth_date": date(2015, 3, 4)}),
    # The window's edge, from values.dates: in at WINDOW days, out a day later.
    ("birth_date", BirthDate.LUNAR, {}, {"birth_date": BORN + timedelta(days=WINDOW)}),
    ("birth_date", BirthDate.LUNAR, {}, {"birth_date": BORN - timedelta(days=1)}),
    ("birth_date", BirthDate.SAME_YEAR, {}, {"birth_date": BORN + timedelta(days=WINDOW + 1)}),
    ("birth_date", DIFFERENT, {}, {"birth_date": date(2016, 3, 2)}),
    # A day above 12 has no swap: 2015-03-13 is not 2015-13-03.
    ("birth_date", BirthDate.SAME_YEAR, {"birth_date": date(2015, 3, 13)}, {"birth_date": date(2015, 11, 3)}),
    ("sex", MISSING, {}, {"sex": None}),
    ("sex", Sex.SAME, {}, {}),
    ("sex", DIFFERENT, {}, {"sex": "F"}),
    ("place", MISSING, {}, {"county_code": None}),
    ("place", Place.TOWNSHIP, {}, {}),
    ("place", Place.COUNTY, {}, {"township": "仁和"}),
    ("place", Place.COUNTY, {}, {"township": None}),
    ("place", DIFFERENT, {}, {"county_code": "510402"}),
    ("village", MISSING, {}, {"village": None}),
    # Two townships' villages of one name are two villages, and Place weighs the pair.
    ("village", MISSING, {}, {"township": "仁和"}),
    ("village", MISSING, {}, {"township": None}),
    ("village", MISSING, {}, {"county_code": "510402"}),
    ("village", Village.SAME, {}, {}),
    ("village", DIFFERENT, {}, {"village": "平地村"}),
    ("carers", MISSING, {}, {"guardian_name": None}),
    ("carers", MISSING, {"guardian_name": None}, {"guardian_name": None}),
    ("carers", Carers.IN_COMMON_RARE, {}, {}),
    # A guardian on one side is the mother on the other, in a dialect spelling.
    (
        "carers",
        Carers.IN_COMMON_RARE,
        {"guardian_name": "刘芳"},
        {"guardian_name": None, "mother_name": "牛芳"},
    ),
    # A name the carers of many children bear (COMMON_CARER), alone or beside a rare one.
    ("carers", Carers.IN_COMMON, {"guardian_name": COMMON_CARER}, {"guardian_name": COMMON_CARER}),
    ("carers", Carers.IN_COMMON_RARE, {"father_name": COMMON_CARER}, {"father_name": COMMON_CARER}),
    ("carers", DIFFERENT, {}, {"guardian_name": "李娜"}),
    ("programme", MISSING, {}, {}),
    ("programme", Programme.SAME, DIBAO, {**INSURED, "insurance_subsidy": "full_dibao"}),
    (
        "programme",
        Programme.SAME,
        {**INSURED, "insurance_subsidy": "full_poverty"},
        {"source_system": "poverty_households"},
    ),
    # 特困 may be the child's own subsidy: it says nothing against the family's 低保 ...
    ("programme", MISSING, DIBAO, {**INSURED, "insurance_subsidy": "full_tekun"}),
    (
        "programme",
        MISSING,
        {"source_system": "poverty_households"},
        {**INSURED, "insurance_subsidy": "full_tekun"},
    ),
    # ... but agrees with a 特困 household.
    (
        "programme",
        Programme.SAME,
        {**DIBAO, "assistance_type": "tekun"},
        {**INSURED, "insurance_subsidy": "full_tekun"},
    ),
    ("programme", DIFFERENT, DIBAO, {**INSURED, "insurance_subsidy": "none"}),
    (
        "programme",
        DIFFERENT,
        {**DIBAO, "assistance_type": "tekun"},
        {**INSURED, "insurance_subsidy": "full_dibao"},
    ),
    # An orphan's subsidy says nothing of the family's programme.
    ("programme", MISSING, DIBAO, {**INSURED, "insurance_subsidy": "full_orphan"}),
    # Two rosters, or two insurance rows, are not compared on it.
    ("programme", MISSING, DIBAO, DIBAO),
    (
        "programme",
        MISSING,
        {**INSURED, "insurance_subsidy": "full_dibao"},
        {**INSURED, "insurance_subsidy": "full_dibao"},
    ),
    ("school_age", MISSING, {}, {}),
    ("school_age", MISSING, {}, {**POOR, "school_status": "not_in_school", "grade": None}),
    # A stage without its grade: 小学 years 1-6, 学前教育 the three years before.
    ("school_age", SchoolAge.FITS_STAGE, {}, {**POOR, "grade": None}),
    (
        "school_age",
        SchoolAge.FITS_STAGE,
        {"birth_date": date(2022, 5, 1)},
        {**POOR, "school_status": "preschool", "grade": None},
    ),
    ("school_age", DIFFERENT, {}, {**POOR, "school_status": "preschool", "grade": None}),
    ("school_age", MISSING, {**POOR, "grade": 6}, {"birth_date": None}),
    ("school_age", SchoolAge.FITS, {}, {**POOR, "grade": 6}),
    ("school_age", SchoolAge.FITS, {**POOR, "grade": 5}, {}),
    ("school_age", SchoolAge.FITS, {**POOR, "school_status": "junior", "grade": 1}, {}),
    # The window's edges.
    ("school_age", SchoolAge.FITS, {**POOR, "grade": 6}, {"birth_date": date(2016, 8, 31)}),
    ("school_age", DIFFERENT, {**POOR, "grade": 6}, {"birth_date": date(2016, 9, 1)}),
    ("school_age", SchoolAge.FITS, {**POOR, "grade": 6}, {"birth_date": date(2013, 9, 1)}),
    ("school_age", DIFFERENT, {**POOR, "grade": 6}, {"birth_date": date(2013, 8, 31)}),
    # A pupil without a birth date: the roll's own stage and grade.
    ("school_age", DIFFERENT, {"birth_date": None, "school_stage": "junior", "grade": 3}, {}),
    ("school_age", DIFFERENT, {}, {**POOR, "school_status": "senior", "grade": 1}),
]


def _staged_row(record_id: str, fields: dict) -> dict:
    keys = name_keys(fields["name"])
    status = fields["id_status"] if fields["id"] else "missing"
    return {
        "record_id": record_id,
        "source_system": fields["source_system"],
        "name_norm": keys.name_norm,
        "name_pinyin": keys.name_pinyin,
        "name_pinyin_folded": keys.name_pinyin_folded,
        "sex": fields["sex"],
        "birth_date": pd.Timestamp(fields["birth_date"]) if fields["birth_date"] else pd.NaT,
        "id_candidate": fields["id"],
        "id_status": status,
        "id_number": fields["id"] if status == "valid" else None,
        "county_code": fields["county_code"],
        "township": fields["township"],
        "village": fields["village"],
        "guardian_name": fields["guardian_name"],
        "father_name": fields["father_name"],
        "mother_name": fields["mother_name"],
        "head_name": None,
        "relationship": None,
        "household_id": None,
        "assistance_type": fields["assistance_type"],
        "insurance_subsidy": fields["insurance_subsidy"],
        "school_stage": fields["school_stage"],
        "school_status": fields["school_status"],
        "grade": fields["grade"],
    }


def _case_frame() -> pd.DataFrame:
    """Both records of every case, with a ``pair`` column to block on."""
    rows = []
    for i, (_, _, left, right) in enumerate(CASES):
        rows.append(_staged_row(f"p{i:03d}_l", {**BASE, **left}))
        rows.append(_staged_row(f"p{i:03d}_r", {**BASE, **right}))
    staged = pd.DataFrame(rows)
    frame = linkage_frame(staged, AS_OF, common={folded_pinyin(COMMON_CARER)})
    return frame.assign(pair=frame["unique_id"].str[:4])


def _pairs_only(model: dict) -> dict:
    """The model scoring exactly the cases' pairs, at any probability."""
    out = copy.deepcopy(model)
    out["blocking_rules_to_generate_predictions"] = [
        {"blocking_rule": "l.pair = r.pair", "sql_dialect": "duckdb"}
    ]
    return out


@pytest.fixture(scope="module")
def model() -> dict:
    return load_model(load_config().model_file)


@pytest.fixture(scope="module")
def spark_session_(tmp_path_factory):
    from linkage.spark import spark_session

    return spark_session(app="childreg-tests", checkpoint_dir=str(tmp_path_factory.mktemp("checkpoints")))


@pytest.fixture(scope="module", params=["duckdb", "spark"])
def scored(request, model) -> pd.DataFrame:
    """Every case scored on one backend: record_id_l, gamma_*, mw_* and positions."""
    if request.param == "duckdb":
        api = duckdb_api()
    else:
        from linkage.spark import spark_api

        api = spark_api(request.getfixturevalue("spark_session_"))
    out = score(_case_frame(), _pairs_only(model), lower=0.0, db_api=api)
    out = out.sort_values("record_id_l").reset_index(drop=True)
    assert out["record_id_l"].str[:4].tolist() == [f"p{i:03d}" for i in range(len(CASES))]
    assert (out["record_id_r"].str[:4] == out["record_id_l"].str[:4]).all()
    positions = comparison_levels(out, model).add_prefix("position_")
    return pd.concat([out, positions], axis=1)


@pytest.mark.parametrize(
    ("case", "comparison", "level"),
    [(i, c, lv) for i, (c, lv, _, _) in enumerate(CASES)],
    ids=[f"{c}-{lv}-{i}" for i, (c, lv, _, _) in enumerate(CASES)],
)
def test_literal_pair_lands_in_its_level(scored, model, case, comparison, level):
    row = scored.iloc[case]
    creator = comparison_named(comparison)
    assert row[f"gamma_{comparison}"] == creator.gamma(level)
    assert row[f"position_{comparison}"] == creator.position(level)
    expected_label = "缺失 missing" if level == MISSING else creator.level(level).label
    assert level_labels(model)[comparison][creator.position(level)] == expected_label


def test_every_level_has_a_literal_pair():
    covered = {(c, lv) for c, lv, _, _ in CASES}
    every = {(c.output_column_name, lv.key) for c in comparisons() for lv in c.levels()}
    assert every == covered


def test_match_weights_are_kept_with_the_levels(scored, model):
    """Per comparison the weight of the level the pair fell in (``mw_*``), for the
    review workbook: a missing value weighs nothing."""
    prior = model["probability_two_random_records_match"]
    total = pd.Series(math.log2(prior / (1 - prior)), index=scored.index)
    for comparison in model["comparisons"]:
        name = comparison["output_column_name"]
        assert f"mw_{name}" in scored
        assert (scored.loc[scored[f"gamma_{name}"] == -1, f"mw_{name}"] == 0).all()
        total += scored[f"mw_{name}"] + scored.get(f"mw_tf_adj_{name}", 0.0)
    assert "mw_tf_adj_name" in scored
    assert (total - scored["match_weight"]).abs().max() < 1e-6


def test_the_lunar_window_is_one_constant():
    assert BirthDate().lunar_window_days == LUNAR_WINDOW_DAYS == cluster.SAME_BIRTH_DAYS
    sql = BirthDate().create_comparison_dict("duckdb")["comparison_levels"]
    assert sql[BirthDate().position(BirthDate.LUNAR) + 1]["sql_condition"].endswith(f"<= {LUNAR_WINDOW_DAYS}")


@pytest.mark.parametrize(
    ("left", "right", "level"),
    [
        ({**BASE, **lc}.get("birth_date"), {**BASE, **rc}.get("birth_date"), lv)
        for c, lv, lc, rc in CASES
        if c == "birth_date" and lv != MISSING
    ],
)
def test_clustering_keeps_apart_the_dates_the_model_calls_apart(left, right, level):
    """Clustering's guard and the model's "may be the same date" levels agree."""
    agree = may_be_one_birthday([pd.Timestamp(left)], [pd.Timestamp(right)], cluster.SAME_BIRTH_DAYS)
    assert agree == (level in BirthDate.MAY_BE_SAME_DATE)


def test_positions_and_gammas_count_from_opposite_ends():
    for c in comparisons():
        n = len(c.scored_levels())
        assert [c.position(lv.key) for lv in c.scored_levels()] == list(range(n))
        assert [c.gamma(lv.key) for lv in c.scored_levels()] == list(range(n - 1, -1, -1))
        assert c.gamma(MISSING) == c.position(MISSING) == -1


def test_the_shipped_model_is_this_codes_and_has_no_unexplained_floor_level(model):
    check_model(model)
    found = check_floor_levels(model, load_config().training["probability_floor"])
    # Levels the synthetic city cannot weigh say why (linkage.comparisons).
    assert {(f.comparison, f.level) for f in found if f.dead} <= {
        ("name", Name.SAME_FOLDED),
        ("birth_date", BirthDate.SWAPPED),
    }


def test_a_level_at_the_floor_without_a_reason_fails_training(model):
    floor = load_config().training["probability_floor"]
    broken = copy.deepcopy(model)
    ids = next(c for c in broken["comparisons"] if c["output_column_name"] == "id_number")
    same = ids["comparison_levels"][1 + IdNumber().position(IdNumber.SAME)]
    same["m_probability"] = floor / 2
    assert ("id_number", IdNumber.SAME) in {(f.comparison, f.level) for f in floor_levels(broken, floor)}
    with pytest.raises(ValueError, match=r"id_number\.same"):
        check_floor_levels(broken, floor)


def test_a_model_from_other_comparisons_is_refused(model):
    changed = copy.deepcopy(model)
    dates = next(c for c in changed["comparisons"] if c["output_column_name"] == "birth_date")
    lunar = dates["comparison_levels"][1 + BirthDate().position(BirthDate.LUNAR)]
    lunar["sql_condition"] = lunar["sql_condition"].replace(f"<= {WINDOW}", f"<= {WINDOW + 10}")
    with pytest.raises(ValueError, match="retrain"):
        check_model(changed)
