"""How each file is laid out: its name, format, titles, header spelling, footers, sheets.

Every choice is drawn from the file's own random stream, so adding a file never
changes another's layout.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

import numpy as np

from synth.rng import stream

TEXT_DATE_STYLES = ("slash", "dot", "compact", "chinese")


@dataclass(frozen=True)
class FilePlan:
    source: str
    key: str  # the split value (county code, assistance group) or ""
    name: str
    fmt: str  # xlsx / xls / csv
    encoding: str | None
    sep: str
    sheet: str | None
    titles: tuple[str, ...]
    merged_title: bool
    blank_after_title: bool
    header_style: str  # canonical / halfwidth / linebreak
    footer: bool
    notes_sheet: bool
    cover_sheet: bool
    date_style: str  # cell / iso / slash / dot / compact / chinese
    sex_style: str  # label / code
    ethnicity_style: str  # full / short / code
    grade_style: str  # label / number
    old_township: bool
    office: str
    duplicate_as: str | None = None


def plan_files(
    source: str,
    spec: dict,
    keys: list[str],
    key_names: dict[str, str],
    rates: dict[str, float],
    as_of: date,
    seed: int,
    xls_keys: set[str],
    sheet_names: list[str],
) -> list[FilePlan]:
    return [
        _plan(
            source,
            spec,
            key,
            key_names.get(key, ""),
            rates,
            as_of,
            stream(seed, "layout", source, key),
            key in xls_keys,
            [*sheet_names, spec.get("sheet", sheet_names[-1])],
        )
        for key in keys
    ]


def _plan(
    source: str,
    spec: dict,
    key: str,
    key_name: str,
    r: dict,
    as_of: date,
    rng: np.random.Generator,
    xls: bool,
    sheet_names: list[str],
) -> FilePlan:
    u = rng.random(20)
    fmt = "xls" if xls else spec["format"]
    excel = fmt != "csv"
    period = (
        ""
        if u[0] < r["layout_no_period"]
        else (
            f"{as_of.year}-{as_of.month:02d}"
            if u[0] < r["layout_no_period"] + r["layout_period_dash"]
            else f"{as_of.year}{as_of.month:02d}"
        )
    )
    fields = {"county": key_name, "group": key_name, "period": period}
    title = spec["title"].format(**fields)
    office = spec["office"].format(**fields)
    n_titles = (
        2
        if u[1] < r["layout_title_two"]
        else 1
        if u[1] < r["layout_title_two"] + r["layout_title_one"]
        else 0
    )
    stamp = (
        f"导出时间：{as_of.isoformat()} {8 + int(u[2] * 10):02d}:{int(u[3] * 60):02d}:{int(u[4] * 60):02d}"
    )
    unit = f"填报单位：{office}（盖章）    统计时间：{as_of.year}年{as_of.month}月"
    titles = (title, unit if u[5] < r["layout_unit_line"] else stamp)[:n_titles]
    header_styles = ["canonical", "halfwidth", "linebreak"] if excel else ["canonical", "halfwidth"]
    p_half = r["layout_header_halfwidth"]
    p_break = r["layout_header_linebreak"] if excel else 0.0
    header_style = (
        header_styles[1] if u[6] < p_half else header_styles[-1] if u[6] < p_half + p_break else "canonical"
    )
    if excel and u[7] < r["date_style_cell"]:
        date_style = "cell"
    else:
        date_style = (
            "iso" if u[8] < r["date_style_iso"] else TEXT_DATE_STYLES[int(u[9] * len(TEXT_DATE_STYLES))]
        )
    ethnicity = (
        "short"
        if u[10] < r["ethnicity_style_short"]
        else ("code" if u[10] < r["ethnicity_style_short"] + r["ethnicity_style_code"] else "full")
    )
    sheet = sheet_names[int(u[12] * len(sheet_names))] if u[11] < r["layout_sheet_not_sheet1"] else "Sheet1"
    return FilePlan(
        source=source,
        key=key,
        name=spec["file"].format(**fields) + "." + fmt,
        fmt=fmt,
        encoding=(spec.get("encoding_variant") if u[13] < r["csv_encoding_variant"] else spec.get("encoding"))
        if not excel
        else None,
        sep="\t" if (not excel and u[14] < r["csv_tab"]) else ",",
        sheet=sheet if excel else None,
        titles=titles,
        merged_title=excel and u[15] < r["layout_title_merged"],
        blank_after_title=n_titles > 0 and u[16] < r["layout_blank_after_title"],
        header_style=header_style,
        footer=u[17] < r["layout_footer"],
        notes_sheet=excel and u[18] < r["layout_notes_sheet"],
        cover_sheet=excel and u[19] < r["layout_cover_sheet"],
        date_style=date_style,
        sex_style="code" if rng.random() < r["sex_style_code"] else "label",
        ethnicity_style=ethnicity,
        grade_style="number" if rng.random() < r["grade_style_number"] else "label",
        old_township=bool(rng.random() < r["old_township_office"]),
        office=office,
    )


def with_duplicates(
    plans: list[FilePlan], rates: dict[str, float], seed: int, suffixes: list[str]
) -> list[FilePlan]:
    """Some files dropped twice under another name; at least one in a city whose rate is not 0."""
    rng = stream(seed, "duplicates")
    chosen = rng.random(len(plans)) < rates["file_duplicate"]
    if rates["file_duplicate"] > 0 and plans and not chosen.any():
        chosen[rng.integers(0, len(plans))] = True
    out = []
    for plan, dup in zip(plans, chosen, strict=True):
        if dup:
            stem, ext = plan.name.rsplit(".", 1)
            plan = replace(plan, duplicate_as=f"{stem}{suffixes[int(rng.integers(0, len(suffixes)))]}.{ext}")
        out.append(plan)
    return out


# Rare file-level variants every city shows at least once: (attribute, value, which files can have it).
GUARANTEED = [
    ("sep", "\t", lambda p: p.fmt == "csv"),
    ("cover_sheet", True, lambda p: p.fmt != "csv"),
    ("notes_sheet", True, lambda p: p.fmt != "csv"),
    ("merged_title", True, lambda p: p.fmt != "csv" and bool(p.titles)),
    ("header_style", "halfwidth", lambda p: True),
    ("header_style", "linebreak", lambda p: p.fmt != "csv"),
    ("sex_style", "code", lambda p: True),
    ("old_township", True, lambda p: True),
    ("footer", True, lambda p: True),
    ("date_style", "cell", lambda p: p.fmt != "csv"),
    ("date_style", "chinese", lambda p: True),
]


def with_guaranteed_variants(plans: list[FilePlan], seed: int) -> list[FilePlan]:
    """Give one file each rare variant that chance left out, so even a small city has them all."""
    rng = stream(seed, "guaranteed")
    plans = list(plans)
    for attribute, value, eligible in GUARANTEED:
        if any(getattr(p, attribute) == value for p in plans):
            continue
        candidates = [i for i, p in enumerate(plans) if eligible(p)]
        if candidates:
            i = candidates[int(rng.integers(0, len(candidates)))]
            plans[i] = replace(plans[i], **{attribute: value})
    return plans


def header_text(header: str, style: str) -> str:
    if style == "halfwidth":
        return header.replace("（", "(").replace("）", ")")
    if style == "linebreak" and "（" in header and not header.startswith("（"):
        i = header.index("（")
        return header[:i] + "\n" + header[i:]
    return header


@dataclass
class Sheet:
    name: str | None
    rows: list[list]
    kinds: list[str]  # per row: title / blank / header / data / footer / notes
    merge_title: int = 0  # columns the title cells span when merged (0 = not merged)


def data_sheet(
    plan: FilePlan,
    headers: list[str],
    data: list[list],
    footer: list[list],
    rng: np.random.Generator,
    blank_rate: float,
) -> Sheet:
    """Titles, header, the data with a few blank rows among it, then the footer."""
    rows: list[list] = []
    kinds: list[str] = []
    for t in plan.titles:
        rows.append([t])
        kinds.append("title")
    if plan.blank_after_title:
        rows.append([])
        kinds.append("blank")
    rows.append([header_text(h, plan.header_style) for h in headers])
    kinds.append("header")
    blanks_before = np.zeros(len(data) + 1, int)
    n_blank = int(rng.binomial(len(data), blank_rate)) if data else 0
    np.add.at(blanks_before, rng.integers(1, max(len(data), 1), n_blank), 1)
    for i, row in enumerate(data):
        rows.extend([] for _ in range(blanks_before[i]))
        kinds.extend("blank" for _ in range(blanks_before[i]))
        rows.append(row)
        kinds.append("data")
    for row in footer:
        rows.append(row)
        kinds.append("footer" if row else "blank")
    return Sheet(plan.sheet, rows, kinds, len(headers) if plan.merged_title and plan.titles else 0)


def footer_rows(plan: FilePlan, n: int, layout: dict, as_of: date, signers: tuple[str, str]) -> list[list]:
    if not plan.footer:
        return []
    return [
        [],
        [layout["footer_total"], f"共{n}人"],
        [layout["footer_signers"].format(a=signers[0], b=signers[1])],
        [layout["footer_unit"].format(office=plan.office, year=as_of.year, month=as_of.month, day=as_of.day)],
    ]


def note_sheets(plan: FilePlan, layout: dict) -> tuple[list[Sheet], list[Sheet]]:
    """(sheets before the data, sheets after it)."""
    before = (
        [Sheet("说明", [[t] for t in layout["cover"]], ["notes"] * len(layout["cover"]))]
        if plan.cover_sheet
        else []
    )
    after = (
        [Sheet("填表说明", [[t] for t in layout["notes"]], ["notes"] * len(layout["notes"]))]
        if plan.notes_sheet
        else []
    )
    return before, after
