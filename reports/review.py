"""The clerical review queue as a workbook a reviewer can decide.

Per pair, one row: why it is asked, both records' names with the decision and
reviewer cells beside them (frozen with the header, so they stay in view), the
probability as a percentage, each comparison's level and match weight (coloured
red to green, with the prior they sum with to the pair's match weight), a waterfall
of those weights drawn in the row, both records' values side by side, and the other
records of the child each record already belongs to. An instructions sheet comes
first; every other record of both children is listed on a sheet of its own.

Hidden columns carry the pair's keys and a keyed signature of the row as issued
(``reports.review_sign``), which ``reports.review_read`` checks when the workbook
comes back.

The workbook holds names and partly hidden identity numbers: it goes to the
registry's own reviewers (civil affairs), never to another department.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from copy import copy
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.formatting.rule import ColorScaleRule
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from reports.config import settings
from reports.display import as_dates, cell_rows, county_labels, sex_labels
from reports.review_sign import SIGNED, mask_id, sign
from reports.xlsx import SheetColumn, add_sheet, fitted_columns, save

PRIOR = "prior"  # linkage.link.PRIOR: the weights' entry for the prior odds
KEYS = ["pair_id", "record_key_l", "record_key_r"]
SIGNATURE = "signature"
_HIDDEN = [*KEYS, SIGNATURE]
_FILL = "FFF2CC"  # the cells a reviewer fills in
_LINE_HEIGHT = 12  # points per line of the drawn waterfall


@dataclass(frozen=True)
class ReviewInputs:
    """What the review workbook is written from.

    ``pairs``: registry.review_pairs; ``records``: the staged records (PERSON
    columns) of the pairs and of the other records of their children; ``members``:
    record_id → child_id (registry.child_records) of those records; ``key``: the
    warehouse's signing key (``warehouse.review_key``).
    """

    pairs: pd.DataFrame
    records: pd.DataFrame
    members: pd.DataFrame
    key: bytes
    as_of: date
    sync_id: int


def headers() -> dict[str, str]:
    """Logical column → header, for every column the reader looks up by header."""
    cfg = settings()["review"]
    return {
        **{
            f"{field}_{side}": f"{header}（{cfg[label]}）"
            for field, header in cfg["fields"].items()
            for side, label in (("l", "left"), ("r", "right"))
        },
        "decision": cfg["decision_header"],
        "reviewer": cfg["reviewer_header"],
        **{c: c for c in _HIDDEN},
    }


def write_review_workbook(path: Path, inputs: ReviewInputs) -> Path:
    """Write the pairs still undecided: pairs holding an alert back first, then in
    the linkage's rank."""
    pairs = _ordered(inputs.pairs)
    records = _record_fields(inputs.records)
    frame = _pair_frame(pairs, records, inputs.key)
    others = _others(pairs, records, inputs.members)
    weights = [json.loads(w) if isinstance(w, str) else (w or {}) for w in pairs["weights"]]
    levels = [json.loads(v) if isinstance(v, str) else (v or {}) for v in pairs["levels"]]
    comparisons = list(
        dict.fromkeys([PRIOR, *(k for w in weights for k in w), *(k for v in levels for k in v)])
    )
    for name in comparisons:
        if name != PRIOR:
            frame[f"level:{name}"] = [v.get(name) for v in levels]
        frame[f"weight:{name}"] = [_rounded(w.get(name), 4) for w in weights]
    frame["waterfall"] = [_waterfall(w, _comparison_label) for w in weights]
    summary = others.groupby(["rank", "side"])["summary"].agg(_summarise)
    for side in ("l", "r"):
        frame[f"others_{side}"] = [summary.get((r, side), summary.get((r, "lr"))) for r in frame["rank"]]

    wb = Workbook()
    wb.remove(wb.active)
    _instructions(wb, inputs, len(frame))
    _pair_sheet(wb, frame, comparisons)
    _others_sheet(wb, others)
    return save(wb, path)


def _ordered(pairs: pd.DataFrame) -> pd.DataFrame:
    undecided = pairs.loc[pairs["decision"].isna()].copy()
    holds = undecided["holds_alert"].fillna("").astype(str).ne("") | undecided["reason"].fillna(
        ""
    ).str.contains("held_alert")
    undecided = undecided.assign(_holds=~holds, _rank=pd.to_numeric(undecided["rank"]))
    undecided = undecided.sort_values(["_holds", "_rank", "pair_id"], na_position="last")
    return undecided.drop(columns=["_holds", "_rank"]).reset_index(drop=True)


def _rounded(value: object, digits: int) -> float | None:
    return None if value is None or value != value else round(float(value), digits)


def _comparison_label(name: str) -> str:
    return settings()["review"]["comparisons"].get(name, name)


def _record_fields(records: pd.DataFrame) -> pd.DataFrame:
    """Each record's values as the reviewer reads them, by record_id."""
    cfg, everything = settings()["review"], settings()
    rec = records.drop_duplicates("record_id").set_index("record_id")
    carers = pd.Series("", index=rec.index)
    for column, label in cfg["carers"].items():
        named = rec[column].fillna("").astype(str)
        carers = carers.where(named == "", carers + "；" + label + "：" + named)
    restricted = rec["source_system"].isin(everything["access"]["restricted_sources"])
    return pd.DataFrame(
        {
            "name": rec["name"],
            "sex": sex_labels(rec["sex"]),
            "birth_date": as_dates(rec["birth_date"]),
            "id": [
                mask_id(v, tuple(cfg["id_visible"])) for v in rec["id_number"].fillna(rec["id_candidate"])
            ],
            "carers": carers.str.lstrip("；").replace("", None),
            "county": county_labels(rec["county_code"]),
            "township": rec["township"],
            "village": rec["village"],
            "source": rec["source_system"].map(everything["sources"]).fillna(rec["source_system"]),
            # A restricted register's own file name can name the condition (…艾滋病…登记.xlsx):
            # the reviewer finds the row by source and row number instead.
            "source_file": rec["source_file"].where(~restricted, cfg["restricted_file"]),
            "source_row": rec["source_row"].astype("Int64"),
        },
        index=rec.index,
    )


def _pair_frame(pairs: pd.DataFrame, records: pd.DataFrame, key: bytes) -> pd.DataFrame:
    """Both records' values as *_l / *_r columns, the pair's figures, reason and signature."""
    missing = ~(pairs["record_id_l"].isin(records.index) & pairs["record_id_r"].isin(records.index))
    if missing.any():
        raise ValueError(f"{int(missing.sum())} review pairs name a record absent from the records given")
    left = records.loc[pairs["record_id_l"]].add_suffix("_l").reset_index(drop=True)
    right = records.loc[pairs["record_id_r"]].add_suffix("_r").reset_index(drop=True)
    frame = pd.concat([pairs[KEYS], left, right], axis=1)
    frame["rank"] = range(1, len(frame) + 1)
    frame["reason"] = [
        _reason_text(r, d) for r, d in zip(pairs["reason"], pairs["reason_detail"], strict=True)
    ]
    frame["probability"] = [_rounded(p, 4) for p in pd.to_numeric(pairs["match_probability"])]
    frame["match_weight"] = [_rounded(w, 4) for w in pd.to_numeric(pairs["match_weight"])]
    frame["decision"] = None
    frame["reviewer"] = None
    frame[SIGNATURE] = [sign(key, row) for row in cell_rows(frame, SIGNED)]
    return frame


def _reason_text(reason: object, detail: object) -> str | None:
    """The reasons as the reviewer reads them; a code without a text is shown as is."""
    cfg = settings()["review"]
    codes = [c for c in str(reason or "").split(",") if c]
    texts = [cfg["reasons"].get(c, c) for c in codes]
    if isinstance(detail, str) and detail:
        texts.append(cfg["reason_details"].get(detail, detail))
    return "；".join(texts) or None


def _waterfall(weights: dict[str, float], label: Callable[[str], str]) -> str | None:
    """The weights drawn as text, one line per step from the prior: each step's bar
    runs from the running total before it to the total after it (> for evidence for,
    < against), | marks a total of 0 (50%), and a last line # shows the sum."""
    if not weights:
        return None
    cfg = settings()["review"]["waterfall"]
    low, high, width = cfg["low"], cfg["high"], cfg["width"]

    def at(x: float) -> int:
        return min(max(int((x - low) / (high - low) * width), 0), width - 1)

    def line(start: float, end: float, mark: str, text: str) -> str:
        cells = [" "] * width
        cells[at(0.0)] = "|"
        a, b = sorted((at(start), at(end)))
        cells[a : b + 1] = mark * (b - a + 1)
        return f"{''.join(cells)} {end - start:+6.1f} {text}"

    lines, total = [], 0.0
    for name, weight in weights.items():
        lines.append(line(total, total + weight, ">" if weight >= 0 else "<", label(name)))
        total += weight
    lines.append(line(0.0, total, "#", cfg["total"]))
    return "\n".join(lines)


def _others(pairs: pd.DataFrame, records: pd.DataFrame, members: pd.DataFrame) -> pd.DataFrame:
    """The other records of the child each side of a pair belongs to (not the pair's
    own two), one row per record and side: rank, side (l / r / lr: both records
    already in one child), record values, and a one-line summary."""
    members = members.drop_duplicates("record_id")
    child = dict(zip(members["record_id"], members["child_id"], strict=True))
    records_of = members.groupby("child_id")["record_id"].agg(sorted).to_dict()
    rows = []
    for rank, (a, b) in enumerate(zip(pairs["record_id_l"], pairs["record_id_r"], strict=True), start=1):
        ca, cb = child.get(a), child.get(b)
        sides = {"lr": ca} if ca is not None and ca == cb else {"l": ca, "r": cb}
        for side, child_id in sides.items():
            rows += [(rank, side, m) for m in records_of.get(child_id, []) if m not in (a, b)]
    frame = pd.DataFrame(rows, columns=["rank", "side", "record_id"])
    frame = frame.loc[frame["record_id"].isin(records.index)]
    frame = frame.join(records, on="record_id").drop(columns="record_id").reset_index(drop=True)
    frame["summary"] = [
        "·".join(str(v) for v in values if v is not None and v == v)
        for values in zip(
            frame["name"], frame["birth_date"], frame["source"], frame["source_row"], strict=True
        )
    ]
    return frame


def _summarise(texts: pd.Series) -> str:
    shown = settings()["review"]["others_shown"]
    lines = list(texts)
    more = (
        f"\n（另有{len(lines) - shown}条，见“{settings()['review']['others_sheet']}”）"
        if len(lines) > shown
        else ""
    )
    return f"共{len(lines)}条：\n" + "\n".join(lines[:shown]) + more


def _pair_sheet(wb: Workbook, frame: pd.DataFrame, comparisons: list[str]) -> Worksheet:
    cfg = settings()["review"]
    names = headers()
    left, right = cfg["left"], cfg["right"]
    shown: dict[str, str] = {
        "rank": cfg["rank_header"],
        "reason": cfg["reason_header"],
        "name_l": names["name_l"],
        "name_r": names["name_r"],
    }
    filled = {"decision": names["decision"], "reviewer": names["reviewer"]}
    figures: dict[str, str] = {
        "probability": cfg["probability_header"],
        "match_weight": cfg["weight_header"],
        "waterfall": cfg["waterfall_header"],
    }
    for name in comparisons:
        if name != PRIOR:
            figures[f"level:{name}"] = cfg["level_prefix"] + _comparison_label(name)
        figures[f"weight:{name}"] = cfg["weight_prefix"] + _comparison_label(name)
    values = {f"{f}_{s}": names[f"{f}_{s}"] for f in cfg["fields"] if f != "name" for s in ("l", "r")}
    others = {f"others_{s}": f"{cfg['others_header']}（{label}）" for s, label in (("l", left), ("r", right))}
    columns = [
        *fitted_columns(frame, shown),
        *(SheetColumn(h, 14, fill=_FILL) for h in filled.values()),
        *fitted_columns(frame, figures),
        *fitted_columns(frame, values),
        *(SheetColumn(h, 30) for h in others.values()),
        *(SheetColumn(c, 12, hidden=True) for c in _HIDDEN),
    ]
    order = [*shown, *filled, *figures, *values, *others, *_HIDDEN]
    ws = add_sheet(wb, cfg["sheet"], columns, cell_rows(frame, order))
    position = {c: i + 1 for i, c in enumerate(order)}
    # Everything up to the reviewer's cells stays in view while scrolling either way.
    ws.freeze_panes = f"{get_column_letter(position['reviewer'] + 1)}2"
    ws.column_dimensions[get_column_letter(position["waterfall"])].width = cfg["waterfall"]["width"] + 30
    _format_rows(ws, frame, position, [c for c in figures if c.startswith("weight:")])
    decision = get_column_letter(position["decision"])
    ws.data_validations.append(_decision_list(decision, len(frame)))
    return ws


def _format_rows(
    ws: Worksheet, frame: pd.DataFrame, position: dict[str, int], weights: Sequence[str]
) -> None:
    """Percent and weight formats, the waterfall in a fixed-width font, rows as tall
    as their waterfall, and weights coloured red (against) to green (for)."""
    cfg = settings()["review"]
    top = Alignment(vertical="top")
    wrapped = Alignment(vertical="top", wrap_text=True)
    drawn = Font(name=cfg["waterfall"]["font"], size=9)
    formats = {position["probability"]: "0.0%", position["match_weight"]: "0.00"}
    formats |= {position[c]: "0.00" for c in weights}
    wrap = {position["waterfall"], position["others_l"], position["others_r"], position["reason"]}
    # openpyxl hashes every style object it is handed; a cell's style is copied from
    # the first cell of its column and format given it instead (a date has its own).
    styled: dict[tuple[int, tuple[int, ...]], StyleArray] = {}
    for row in ws.iter_rows(min_row=2, max_row=len(frame) + 1):
        for cell in row:
            key = (cell.column, tuple(cell._style or ()))
            if key in styled:
                cell._style = copy(styled[key])
                continue
            cell.alignment = wrapped if cell.column in wrap else top
            if cell.column in formats:
                cell.number_format = formats[cell.column]
            if cell.column == position["waterfall"]:
                cell.font = drawn
            styled[key] = copy(cell._style)
        waterfall = row[position["waterfall"] - 1]
        lines = max(str(waterfall.value or "").count("\n") + 1, 1)
        ws.row_dimensions[waterfall.row].height = max(lines * _LINE_HEIGHT, 15)
    for c in weights:
        letter = get_column_letter(position[c])
        ws.conditional_formatting.add(
            f"{letter}2:{letter}{max(len(frame), 1) + 1}",
            ColorScaleRule(
                start_type="num",
                start_value=-10,
                start_color="F8696B",
                mid_type="num",
                mid_value=0,
                mid_color="FFFFFF",
                end_type="num",
                end_value=10,
                end_color="63BE7B",
            ),
        )


def _decision_list(column: str, n_rows: int) -> DataValidation:
    choices = ",".join(settings()["review"]["decisions"])
    validation = DataValidation(type="list", formula1=f'"{choices}"', allow_blank=True, showErrorMessage=True)
    validation.error = f"请选择：{choices}"
    validation.add(f"{column}2:{column}{max(n_rows, 1) + 1}")
    return validation


def _instructions(wb: Workbook, inputs: ReviewInputs, n_pairs: int) -> None:
    cfg = settings()["review"]
    rows = [
        ("同步编号", inputs.sync_id),
        ("数据截至", inputs.as_of),
        ("待核对记录对", n_pairs),
        (cfg["reviewer_label"], None),
        *((f"{i}.", text) for i, text in enumerate(cfg["instructions"], start=1)),
    ]
    ws = add_sheet(wb, cfg["instructions_sheet"], [SheetColumn("项目", 28), SheetColumn("内容", 110)], rows)
    ws.auto_filter.ref = None
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(vertical="top", wrap_text=True)
    ws.cell(5, 2).fill = PatternFill("solid", fgColor=_FILL)
    ws.cell(3, 2).number_format = "yyyy-mm-dd"


def _others_sheet(wb: Workbook, others: pd.DataFrame) -> None:
    cfg = settings()["review"]
    sides = {"l": cfg["left"], "r": cfg["right"], "lr": cfg["both"]}
    frame = others.assign(side=others["side"].map(sides))
    shown = {
        "rank": cfg["rank_header"],
        "side": cfg["side_header"],
        **{f: h for f, h in cfg["fields"].items()},
    }
    add_sheet(wb, cfg["others_sheet"], fitted_columns(frame, shown), cell_rows(frame, list(shown)))
