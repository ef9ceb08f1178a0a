"""The model's explanations as Splink draws them, on pages that open without the internet.

Splink's own chart functions draw them: the match weights and the m and u
probabilities of the trained model, and the waterfall of a scored pair (how each
comparison adds to its match weight). They are Vega-Lite specifications; each page
carries the vega, vega-lite and vega-embed scripts Splink ships (the ones its own
``to_html(inline=True)`` bundles) once, inline, so a page loads no http(s) resource.

A pair is explained as it was scored: its two records go through Splink's
prediction with the model, term frequencies taken from all of the sync's records.
"""

from __future__ import annotations

import copy
import html
import logging
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any
from uuid import uuid4

import pandas as pd
from splink import Linker
from splink.internals.charts import SplinkChart
from splink.internals.html_utils import json_for_html, load_chart_libraries

from linkage.prepare import LINKAGE_COLUMNS
from linkage.splink_model import duckdb_api, for_dialect, tf_columns

# Records a waterfall page holds at most: a review batch is split into pages of this
# many pairs (each page carries the chart scripts, ~1 MB, once).
PAIRS_PER_PAGE = 200
_PAIR = "explain_pair"
# vega-embed's menu without "Open in Vega Editor", which would post a chart's data
# (children's names and numbers) to a web page: export to SVG/PNG stays.
_EMBED = '{"actions": {"export": true, "source": false, "compiled": false, "editor": false}}'


def _linker(db_api, frame: pd.DataFrame, model: dict[str, Any]) -> Linker:
    sdf = db_api.register(frame, dataset_display_name="records")
    return Linker(sdf, for_dialect(model, db_api.sql_dialect.sql_dialect_str), log_level=logging.WARNING)


def model_charts(model: dict[str, Any]) -> list[tuple[str, SplinkChart]]:
    """The trained model's match-weights and m/u charts (Splink's own)."""
    db_api = duckdb_api()
    try:
        linker = _linker(db_api, pd.DataFrame(columns=LINKAGE_COLUMNS), model)
        return [
            (
                "各比较水平的匹配权重 Match weights of each comparison level",
                linker.visualisations.match_weights_chart(),
            ),
            ("m 与 u 概率 m and u probabilities", linker.visualisations.m_u_parameters_chart()),
        ]
    finally:
        db_api.duckdb_con.close()


def term_frequencies(frame: pd.DataFrame, model: dict[str, Any]) -> dict[str, pd.DataFrame]:
    """column → Splink's term-frequency table of ``frame`` (value, ``tf_<column>``: its
    share of the column's non-null values), as Splink computes it when scoring."""
    out = {}
    for column in tf_columns(model):
        counts = frame[column].dropna().value_counts()
        out[column] = pd.DataFrame({column: counts.index, f"tf_{column}": (counts / counts.sum()).to_numpy()})
    return out


def pair_predictions(
    frame: pd.DataFrame,
    pairs: Iterable[tuple[str, str]],
    model: dict[str, Any],
    tf: dict[str, pd.DataFrame] | None = None,
) -> list[dict[str, Any]]:
    """Splink's prediction rows, every intermediate column kept, for exactly ``pairs``
    (record ids in ``frame``'s ``unique_id``), in their order.

    Each pair's records are copied under the pair's number and blocked on it, so only
    the asked pairs are compared; ``tf`` (``term_frequencies`` of all the sync's
    records) keeps each weight the one the pair was scored with.
    """
    pairs = list(pairs)
    if not pairs:
        return []
    by_id = frame.set_index("unique_id", drop=False)
    copies = []
    for k, (left, right) in enumerate(pairs):
        both = by_id.loc[[left, right]].copy()
        # "k:0" < "k:1": the pair's left record stays on the left.
        both["unique_id"] = [f"{k:06d}:0 {left}", f"{k:06d}:1 {right}"]
        both[_PAIR] = k
        copies.append(both)
    table = pd.concat(copies, ignore_index=True)
    asked = copy.deepcopy(model)
    asked["blocking_rules_to_generate_predictions"] = [
        {"blocking_rule": f"l.{_PAIR} = r.{_PAIR}", "sql_dialect": "duckdb"}
    ]
    db_api = duckdb_api()
    try:
        linker = _linker(db_api, table, asked)
        for column, lookup in (tf if tf is not None else term_frequencies(frame, model)).items():
            linker.table_management.register_term_frequency_lookup(
                db_api.register(lookup, dataset_display_name=f"tf_lookup_{column}"), column
            )
        rows = linker.inference.predict().as_pandas_dataframe()
    finally:
        db_api.duckdb_con.close()
    rows = rows.sort_values("unique_id_l", ignore_index=True)
    rows["unique_id_l"] = rows["unique_id_l"].str.split(" ", n=1).str[1]
    rows["unique_id_r"] = rows["unique_id_r"].str.split(" ", n=1).str[1]
    return rows.astype(object).where(rows.notna(), None).to_dict("records")


_PRIOR, _FINAL = "Prior", "Final score"  # the first and last bars of each pair in Splink's waterfall data


def waterfall_chart(
    records: Sequence[dict[str, Any]],
    model: dict[str, Any],
    terms: Sequence[dict[str, float]] | None = None,
) -> dict[str, Any]:
    """Splink's waterfall of ``records`` (``pair_predictions``), nulls shown, as its
    Vega-Lite spec; its slider runs over the pairs (Splink 5 sets its end from the
    number of chart rows, several per pair).

    ``terms``: per record, weights Splink does not know (``linkage.roles``' relationship
    term), each drawn as a bar before the final score, which grows by them: the chart
    then ends where the pair's stored match weight does."""
    db_api = duckdb_api()
    try:
        linker = _linker(db_api, pd.DataFrame(columns=LINKAGE_COLUMNS), model)
        spec = linker.visualisations.waterfall_chart(list(records), filter_nulls=False).chart_dict
    finally:
        db_api.duckdb_con.close()
    for param in spec.get("params", []):
        if "bind" in param and "max" in param["bind"]:
            param["bind"]["max"] = max(len(records) - 1, 0)
    if terms is not None:
        spec["data"]["values"] = _with_terms(spec["data"]["values"], terms)
    return spec


def _with_terms(bars: list[dict[str, Any]], terms: Sequence[dict[str, float]]) -> list[dict[str, Any]]:
    """Waterfall data with each record's ``terms`` as bars before its final score. The
    chart sums the bars in data order, so a bar placed there adds to the running total."""
    out: list[dict[str, Any]] = []
    for bar in bars:
        if bar["column_name"] == _FINAL:
            extra = {name: w for name, w in terms[bar["record_number"]].items() if w}
            for name, weight in extra.items():
                out.append(
                    {
                        **{key: None for key in bar},
                        "column_name": name,
                        "label_for_charts": name,
                        "log2_bayes_factor": weight,
                        "bayes_factor": 2.0**weight,
                        "value_l": "",
                        "value_r": "",
                        "term_frequency_adjustment": False,
                        "record_number": bar["record_number"],
                    }
                )
            weight = bar["log2_bayes_factor"] + sum(extra.values())
            bar = {**bar, "log2_bayes_factor": weight, "bayes_factor": 2.0**weight}
        out.append(bar)
    order = 0
    for bar in out:  # numbered again, 0 at each pair's prior
        order = 0 if bar["column_name"] == _PRIOR else order + 1
        bar["bar_sort_order"] = order
    return out


def page(
    title: str,
    charts: Sequence[tuple[str, SplinkChart | dict[str, Any]]],
    notes: Sequence[str] = (),
    pairs: Sequence[str] = (),
) -> str:
    """One HTML page of Splink charts (or their specs), the chart scripts inline once;
    ``pairs``: what each position of a waterfall's slider (record_number) shows."""
    libraries = load_chart_libraries()
    parts = [
        "<!DOCTYPE html>",
        '<html lang="zh-CN"><head><meta charset="utf-8">',
        f"<title>{html.escape(title)}</title>",
        "<style>body{font-family:sans-serif;margin:1.5em}h2{margin-top:1.5em}"
        ".vega-embed{width:100%;display:flex}</style>",
        *(f"<script>{libraries[name]}</script>" for name in ("vega", "vega-lite", "vega-embed")),
        "</head><body>",
        f"<h1>{html.escape(title)}</h1>",
        *(f"<p>{html.escape(note)}</p>" for note in notes),
    ]
    for heading, chart in charts:
        div = "chart-" + uuid4().hex
        spec = copy.deepcopy(chart if isinstance(chart, dict) else chart.chart_dict)
        view = spec.setdefault("config", {}).setdefault("view", {})
        view.setdefault("continuousWidth", 300)
        view.setdefault("continuousHeight", 300)
        parts += [
            f"<h2>{html.escape(heading)}</h2>",
            f'<div id="{div}"></div>',
            f"<script>vegaEmbed(document.getElementById('{div}'), {json_for_html(spec)}, {_EMBED})"
            f".catch(function(e){{document.getElementById('{div}').textContent = String(e);}});</script>",
        ]
    if pairs:
        parts += [
            "<h2>配对 Pairs (record_number)</h2>",
            '<ol start="0">',
            *(f"<li>{html.escape(pair)}</li>" for pair in pairs),
            "</ol>",
        ]
    parts.append("</body></html>")
    return "\n".join(parts)


def write_page(text: str, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def write_model_charts(model: dict[str, Any], path: Path) -> Path:
    """The training job's page: match weights and m/u of the model just trained."""
    prior = model["probability_two_random_records_match"]
    return write_page(
        page(
            "儿童登记匹配模型 The linkage model",
            model_charts(model),
            [f"λ (probability two random records match) = {prior:.3g}"],
        ),
        path,
    )


def mask_id(value: object, head: int = 6, tail: int = 4) -> object:
    """An identity number with its middle hidden (510411****1234), as the review
    workbook shows it; anything not a string is left as it is."""
    if not isinstance(value, str) or not value:
        return value
    return "*" * len(value) if len(value) <= head + tail else f"{value[:head]}****{value[-tail:]}"


_ID_VALUES = ("id_candidate", "id_prefix15")


def _masked(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The records with identity numbers masked in the values the chart shows; the
    levels and weights stay the ones the full numbers were scored with."""
    out = []
    for record in records:
        record = dict(record)
        for column in _ID_VALUES:
            for side in ("_l", "_r"):
                if column + side in record:
                    record[column + side] = mask_id(record[column + side])
        out.append(record)
    return out


def write_waterfalls(
    frame: pd.DataFrame,
    pairs: pd.DataFrame,
    model: dict[str, Any],
    folder: Path,
    stem: str,
    title: str,
    tf: dict[str, pd.DataFrame] | None = None,
    mask_ids: bool = False,
    terms: Sequence[dict[str, float]] | None = None,
) -> list[Path]:
    """Waterfall pages of ``pairs`` (record_id_l, record_id_r, optional pair_id), in
    their order, ``PAIRS_PER_PAGE`` to a page: ``<stem>-001.html``, …

    ``frame``: the linkage frame of the pairs' records; ``tf``: the term frequencies
    of every record the model scored (``term_frequencies``; by default ``frame``'s).
    ``mask_ids``: show identity numbers as the review workbook does. ``terms``: per
    pair, the weights Splink does not know (``waterfall_chart``).
    """
    if pairs.empty:
        return []
    tf = tf if tf is not None else term_frequencies(frame, model)
    ids = list(zip(pairs["record_id_l"], pairs["record_id_r"], strict=True))
    labels = pairs["pair_id"].tolist() if "pair_id" in pairs else [None] * len(ids)
    paths = []
    for start in range(0, len(ids), PAIRS_PER_PAGE):
        chunk = ids[start : start + PAIRS_PER_PAGE]
        records = pair_predictions(frame, chunk, model, tf=tf)
        records = _masked(records) if mask_ids else records
        number = start // PAIRS_PER_PAGE + 1
        # A queued pair is named by its pair_id alone: record ids name source files,
        # some of them restricted (the review workbook hides them too).
        index = [
            label or f"{left} | {right}"
            for label, (left, right) in zip(labels[start : start + PAIRS_PER_PAGE], chunk, strict=True)
        ]
        chart = waterfall_chart(
            records, model, None if terms is None else terms[start : start + PAIRS_PER_PAGE]
        )
        text = page(
            f"{title} ({number})",
            [("匹配权重瀑布图 Waterfall: 滑块 record_number 选择配对 the slider picks the pair", chart)],
            pairs=index,
        )
        paths.append(write_page(text, folder / f"{stem}-{number:03d}.html"))
    return paths
