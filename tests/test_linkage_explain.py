"""Explanations as Splink draws them, on pages that open without the internet (issue 15)."""

from __future__ import annotations

import json
import math
import re
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from test_linkage_levels import CASES, ID, _case_frame, _pairs_only

from linkage import explain
from linkage.config import load_config
from linkage.splink_model import duckdb_api, load_model, score
from pipelines.cli import main, run_sync
from pipelines.steps.explaining import REVIEW_FOLDER
from synth import write_city
from warehouse import tables as T
from warehouse.engine import make_engine
from warehouse.restricted import read_whole

AS_OF = date(2026, 11, 30)
# A resource the browser would fetch: a script, style, image or frame from the web.
WEB_RESOURCE = re.compile(
    r"""(?:src|href|action)\s*=\s*["']?\s*(?:https?:)?//|url\(\s*["']?\s*(?:https?:)?//|@import"""
)


def _offline(text: str) -> None:
    assert not WEB_RESOURCE.findall(text)
    assert "vegaEmbed(" in text and "<script src" not in text
    # vega, vega-lite and vega-embed inline, once.
    assert text.count("<script>") == 3 + text.count("vegaEmbed(document")


def _specs(text: str) -> list[dict]:
    """The Vega-Lite specs a page embeds."""
    found = re.findall(r"vegaEmbed\(document\.getElementById\('[^']+'\), (\{.*?\}), \{\"actions\"", text)
    return [json.loads(spec) for spec in found]


@pytest.fixture(scope="module")
def model() -> dict:
    return load_model(load_config().model_file)


def test_the_model_page_draws_weights_and_m_u_offline(model, tmp_path):
    path = explain.write_model_charts(model, tmp_path / "model.html")
    text = path.read_text(encoding="utf-8")
    _offline(text)
    assert text.count("vegaEmbed(document") == 2
    for comparison in model["comparisons"]:
        for level in comparison["comparison_levels"]:
            if not level.get("is_null_level"):
                assert json.dumps(level["label_for_charts"])[1:-1] in text  # as the spec holds it


def test_waterfalls_are_the_weights_the_pairs_were_scored_with(model, tmp_path, monkeypatch):
    frame = _case_frame()
    pairs = pd.DataFrame(
        [(f"p{i:03d}_l", f"p{i:03d}_r") for i in range(len(CASES))], columns=["record_id_l", "record_id_r"]
    )
    records = explain.pair_predictions(frame, pairs.itertuples(index=False), model)
    assert [(r["unique_id_l"], r["unique_id_r"]) for r in records] == list(pairs.itertuples(index=False))
    scored = score(frame, _pairs_only(model), lower=0.0, db_api=duckdb_api()).set_index(
        ["record_id_l", "record_id_r"]
    )
    for record in records:
        row = scored.loc[(record["unique_id_l"], record["unique_id_r"])]
        assert record["match_weight"] == pytest.approx(row["match_weight"], abs=1e-9)
        assert record["gamma_name"] == row["gamma_name"]

    # A term Splink does not know (an undated roster row's relationship) is a bar of its own
    # before the final score, which grows by it; a zero term draws nothing.
    terms = [{"relationship": -1.5}] + [{"relationship": 0.0}] * (len(records) - 1)
    bars = explain.waterfall_chart(records, model, terms)["data"]["values"]
    first = [b for b in bars if b["record_number"] == 0]
    assert [b["column_name"] for b in first][-2:] == ["relationship", "Final score"]
    assert first[-1]["log2_bayes_factor"] == pytest.approx(records[0]["match_weight"] - 1.5)
    assert sum(b["log2_bayes_factor"] for b in first[:-1]) == pytest.approx(first[-1]["log2_bayes_factor"])
    assert [b["bar_sort_order"] for b in first] == list(range(len(first)))
    assert "relationship" not in {b["column_name"] for b in bars if b["record_number"] == 1}

    monkeypatch.setattr(explain, "PAIRS_PER_PAGE", 25)
    paths = explain.write_waterfalls(frame, pairs, model, tmp_path, "review", "复核", mask_ids=True)
    pages = math.ceil(len(CASES) / 25)
    assert pages > 1
    assert [p.name for p in paths] == [f"review-{i:03d}.html" for i in range(1, pages + 1)]
    for path in paths:
        text = path.read_text(encoding="utf-8")
        _offline(text)
        assert ID not in text and f"{ID[:6]}****{ID[-4:]}" in text
    assert paths[-1].read_text(encoding="utf-8").count("<li>") == len(CASES) - 25 * (pages - 1)


def test_a_sync_writes_review_waterfalls_and_explain_writes_a_childs(tmp_path):
    write_city(tmp_path / "city", children=300, seed=7, as_of=AS_OF)
    url = f"duckdb:///{tmp_path}/w.duckdb"
    assert run_sync(tmp_path / "city" / "inbox", AS_OF, url, tmp_path / "exports") == 0
    with make_engine(url).connect() as conn:
        queue = read_whole(conn, T.REVIEW_PAIRS)
        records = read_whole(conn, T.CHILD_RECORDS)
    pages = sorted((tmp_path / "exports" / AS_OF.isoformat() / REVIEW_FOLDER).glob("*.html"))
    assert len(queue), "the city should leave a pair to review, or this test proves nothing"
    assert len(pages) == -(-len(queue) // explain.PAIRS_PER_PAGE)
    for page in pages:
        _offline(page.read_text(encoding="utf-8"))
    if len(queue):
        assert queue["pair_id"].iloc[0] in pages[0].read_text(encoding="utf-8")
    # Each pair's waterfall ends at the match weight the queue holds: the sync's prior and
    # the relationship term of an undated roster row are in the chart, not only Splink's sum.
    finals = [
        bar["log2_bayes_factor"]
        for page in pages
        for spec in _specs(page.read_text(encoding="utf-8"))
        for bar in spec["data"]["values"]
        if bar["column_name"] == "Final score"
    ]
    stored = queue.sort_values(["rank", "pair_id"])["match_weight"].tolist()
    assert finals == pytest.approx(stored, abs=1e-6)

    sizes = records.groupby("child_id").size()
    child = sizes.sort_values(kind="stable").index[-1]
    out = tmp_path / "child.html"
    assert main(["explain", "--child-id", child, "--warehouse", url, "--out", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    _offline(text)
    n = int(sizes[child])
    assert text.count("<li>") == n * (n - 1) // 2
    assert (
        main(
            ["explain", "--child-id", "NO-SUCH-CHILD", "--warehouse", url, "--out", str(tmp_path / "x.html")]
        )
        == 2
    )
    # A warehouse upgraded but not synced since holds no sync's scoring: explain says so.
    with make_engine(url).begin() as conn:
        conn.exec_driver_sql(f"DELETE FROM {T.SCORING.qualified_name}")
    assert main(["explain", "--child-id", child, "--warehouse", url, "--out", str(out)]) == 2


def test_pages_carry_no_path_outside(tmp_path: Path, model):
    """The chart scripts are Splink's own copies: nothing is fetched, nothing left behind."""
    explain.write_model_charts(model, tmp_path / "m.html")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.html"]
