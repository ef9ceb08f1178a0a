"""The linkage stage on Splink's SparkAPI (pyspark, local mode) gives DuckDB's children.

Runs in ``make test``: pyspark is a project dependency, so a missing pyspark fails
here rather than skipping. One Spark session serves the module (start-up is ~15 s).
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date

import duckdb
import pandas as pd
import pytest

from ingest.read import read_inbox
from ingest.stage import stage
from linkage.config import load_config
from linkage.link import link
from linkage.spark import spark_api, spark_session
from linkage.splink_model import for_dialect, load_model
from synth import write_city


@pytest.fixture(scope="module")
def session(tmp_path_factory):
    return spark_session(app="childreg-tests", checkpoint_dir=str(tmp_path_factory.mktemp("checkpoints")))


@pytest.fixture(scope="module")
def staged(tmp_path_factory) -> pd.DataFrame:
    city = tmp_path_factory.mktemp("city")
    write_city(city, children=1500, seed=3)
    raw = read_inbox(city / "inbox", sync_id=1).raw
    staged, _ = stage(raw, date(2026, 11, 30), 1)
    return staged


def _link(staged: pd.DataFrame, db_api=None):
    config = load_config()
    return link(
        lambda: staged,
        load_model(config.model_file),
        config,
        previous=pd.DataFrame(columns=["record_key", "child_id"]),
        decisions=pd.DataFrame(columns=["record_key_l", "record_key_r", "decision", "pair_id"]),
        known_ids=set(),
        as_of=date(2026, 11, 30),
        db_api=db_api,
    )


def _children(records: pd.DataFrame) -> set[frozenset[str]]:
    return {frozenset(group) for _, group in records.groupby("child_id")["record_id"]}


def test_spark_links_the_same_children_as_duckdb(session, staged):
    duck = _link(staged)
    spark = _link(staged, db_api=spark_api(session))

    assert len(duck.records) > 3000 and duck.records["child_id"].nunique() > 1000
    assert _children(spark.records) == _children(duck.records)
    d = duck.records.set_index("record_id").sort_index()
    s = spark.records.set_index("record_id").sort_index()
    assert s.index.equals(d.index)
    assert (s["child_id"] == d["child_id"]).all()
    assert (s["match_probability"] - d["match_probability"]).abs().max() < 1e-6

    # The same scored pairs, each in the same comparison levels.
    dp = duck.pairs.set_index(["record_id_l", "record_id_r"]).sort_index()
    sp = spark.pairs.set_index(["record_id_l", "record_id_r"]).sort_index()
    assert sp.index.equals(dp.index)
    assert (sp["match_probability"] - dp["match_probability"]).abs().max() < 1e-6
    assert (sp["levels"] == dp["levels"]).all()
    assert spark.review["pair_id"].tolist() == duck.review["pair_id"].tolist()


def test_each_call_gets_its_own_records_table(session):
    """A long-running process links every sync on one session: Splink names its input
    ``records`` and refuses a name already taken, so each API has its own views."""
    first, second = spark_api(session), spark_api(session)
    first.register(pd.DataFrame({"unique_id": ["a", "b"]}), dataset_display_name="records")
    table = second.register(pd.DataFrame({"unique_id": ["c"]}), dataset_display_name="records")
    assert table.as_pandas_dataframe()["unique_id"].tolist() == ["c"]


def test_model_sql_is_rendered_for_spark():
    """On Spark, DuckDB's ``"col_l"`` would be a string literal (so the one-typo level
    would match every pair) and ``len(list)`` a string length."""
    model = load_model(load_config().model_file)
    assert for_dialect(model, "duckdb") is model
    spark = for_dialect(model, "spark")
    sql = {
        c["output_column_name"]: [lv["sql_condition"] for lv in c["comparison_levels"]]
        for c in spark["comparisons"]
    }
    assert sql["id_number"][3] == "damerau_levenshtein(`id_candidate_l`, `id_candidate_r`) <= 1"
    assert (
        sql["carers"][0] == "carers_l IS NULL OR carers_r IS NULL OR size(carers_l) = 0 OR size(carers_r) = 0"
    )
    assert not any('"' in s for levels in sql.values() for s in levels)
    # Parameters are the file's.
    for ours, theirs in zip(spark["comparisons"], model["comparisons"], strict=True):
        for a, b in zip(ours["comparison_levels"], theirs["comparison_levels"], strict=True):
            assert (a.get("m_probability"), a.get("u_probability")) == (
                b.get("m_probability"),
                b.get("u_probability"),
            )


def test_a_model_not_trained_from_this_code_is_refused_on_spark():
    model = load_model(load_config().model_file)
    model["comparisons"][0]["comparison_levels"][1]["sql_condition"] = "id_candidate_l = id_prefix15_r"
    with pytest.raises(ValueError, match="retrain"):
        for_dialect(model, "spark")


def _cli_run(inbox, warehouse, exports, env: dict[str, str]) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "pipelines.cli", "run", "--inbox", str(inbox), "--as-of", "2026-11-30"]
    command += ["--warehouse", f"duckdb:///{warehouse}", "--exports", str(exports)]
    return subprocess.run(command, env={**os.environ, **env}, capture_output=True, text=True, timeout=900)


def test_childreg_run_links_on_the_backend_the_environment_names(tmp_path):
    """``childreg run`` takes CHILDREG_LINKAGE_BACKEND as the Dagster resources do: a bogus
    backend is refused before any file is read, and ``spark`` links in a Spark session (its
    checkpoint folder is where the environment says). That Spark links the children DuckDB
    links is the test above."""
    write_city(tmp_path / "city", children=300, seed=5)
    inbox = tmp_path / "city" / "inbox"
    bogus = _cli_run(inbox, tmp_path / "bogus.duckdb", tmp_path / "x", {"CHILDREG_LINKAGE_BACKEND": "bogus"})
    assert bogus.returncode == 2 and "linkage_backend must be duckdb or spark" in bogus.stderr
    assert not (tmp_path / "bogus.duckdb").exists()

    checkpoints = tmp_path / "checkpoints"
    env = {"CHILDREG_LINKAGE_BACKEND": "spark", "CHILDREG_SPARK_CHECKPOINT_DIR": str(checkpoints)}
    spark = _cli_run(inbox, tmp_path / "spark.duckdb", tmp_path / "s", env)
    assert spark.returncode == 0, spark.stderr[-2000:]
    assert any(checkpoints.iterdir()), "no Spark session used the checkpoint folder"
    with duckdb.connect(str(tmp_path / "spark.duckdb"), read_only=True) as conn:
        linked = conn.execute(
            "SELECT count(DISTINCT child_id), count(*) FROM registry.child_records"
        ).fetchone()
    assert 0 < linked[0] < linked[1]  # children, some holding several records
