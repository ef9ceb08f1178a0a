"""The training job on a synced city: a model file this code can score with, whose
counted levels are the records' counts (issue 11's school age, village and carers)."""

from __future__ import annotations

from datetime import date

import pytest

from linkage.comparisons import Carers, SchoolAge, Village, comparison_named
from linkage.config import load_config
from linkage.counted import count_pairs, counted_rates, school_age_rates, village_shares
from linkage.prepare import linkage_frame
from linkage.splink_model import check_model, load_model, scored_levels
from pipelines.cli import run_sync
from pipelines.steps import train_step
from synth import write_city
from warehouse import tables as T
from warehouse.engine import make_engine
from warehouse.io import read_frame

AS_OF = date(2026, 11, 30)


def _level(model: dict, comparison, key: str) -> tuple[float, float]:
    level = scored_levels(model, comparison)[comparison.position(key)]
    return level["m_probability"], level["u_probability"]


def test_training_writes_a_model_of_these_comparisons_with_the_counted_levels(tmp_path):
    write_city(tmp_path / "city", children=4000, seed=5, as_of=AS_OF)
    url = f"duckdb:///{tmp_path}/w.duckdb"
    assert run_sync(tmp_path / "city" / "inbox", AS_OF, url, tmp_path / "exports") == 0
    engine = make_engine(url)

    path = train_step(engine, out=tmp_path / "model.json")

    model = load_model(path)
    check_model(model)  # the comparisons are this code's, level by level
    assert path.with_suffix(".html").exists()
    assert 0 < model["probability_two_random_records_match"] < 1
    with engine.connect() as conn:
        staged = read_frame(conn, T.STAGED_RECORDS)
    candidates = staged.loc[staged["role"].isin(load_config().roles_linked)].reset_index(drop=True)
    frame = linkage_frame(candidates, AS_OF, everyone=staged)
    m, u = village_shares(frame)
    assert 0.9 < m <= 1 and 0 < u < 0.5, "the city should name villages, or this test proves nothing"
    assert _level(model, Village(), Village.SAME) == pytest.approx((m, u))
    assert _level(model, Village(), "different") == pytest.approx((1 - m, 1 - u))
    for key, rates in school_age_rates(candidates, AS_OF).items():
        assert _level(model, comparison_named(SchoolAge.output_column_name), key) == pytest.approx(rates)
    floor = load_config().training["probability_floor"]
    for key, (m, u) in counted_rates(count_pairs(frame)).items():
        assert 0 < m < 1, "the city should name carers, or this test proves nothing"
        assert _level(model, Carers(), key) == pytest.approx((m, max(u, floor)), rel=1e-3)
