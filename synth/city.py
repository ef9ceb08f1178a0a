"""write_city: the synthetic city's inbox (the department extracts) and its truth.

out/inbox/<source_system>/<file> holds the eight folders of shared/spec (the seven
extracts and civil_affairs_staff). out/truth/ holds, as UTF-8 CSV:

- records.csv: one line per data row of every file (a dropped-twice copy included):
  source_system, source_file, source_sheet (blank for a CSV), source_row (1-based, as
  a spreadsheet shows it), person_id (C… child, A… adult, S… staff), is_child (under 18
  at as_of), mess (comma-joined codes of what was spoilt; other_… for another
  person's columns such as a parent's identity number).
- children.csv: every child (and the few 18-19-year-olds still on the ledger).
- categories.csv / alerts.csv: what a perfect registry derives (synth.truth).
- layout.csv: every non-data row: title / header / blank / footer / notes.
- files.csv: each file's format, encoding, separator, sheet and layout choices.
- organisation.csv: townships without staff, villages with distressed or
  left-behind children but no 儿童督导员.
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from synth.config import extracts_config, merged_rates, world_config
from synth.extracts import build_extracts
from synth.layout import (
    FilePlan,
    data_sheet,
    footer_rows,
    note_sheets,
    plan_files,
    with_duplicates,
    with_guaranteed_variants,
)
from synth.render import Context, render_columns
from synth.rng import stream
from synth.truth import EXTRACTS, derive, organisation, written_id_usable
from synth.world import World, build_world
from synth.writers import write_csv, write_xls, write_xlsx

LEDGER = "civil_affairs_children"
ROSTERS = ("civil_affairs_assistance", "poverty_households")


def write_city(
    out: Path,
    children: int = 20_000,
    seed: int = 1,
    as_of: date = date(2026, 11, 30),
    rates: Mapping[str, float] | None = None,
) -> dict[str, int]:
    """Write out/inbox/<source_system>/<file> and out/truth/*.csv; return data rows per
    file, keyed "<source_system>/<file name>"."""
    out = Path(out)
    r = merged_rates(rates)
    cfg = world_config()
    ex = extracts_config()
    world = build_world(children, seed, as_of, r, cfg)
    frames = build_extracts(world, r, ex["labels"], as_of, seed)

    plans = _plans(frames, ex, cfg, r, as_of, seed)
    is_child = _is_child(world)
    records, layouts, counts = [], [], {}
    for plan in plans:
        rows, layout = _write_file(out / "inbox", plan, frames[plan.source], ex, world, r, as_of, seed)
        rows["is_child"] = rows["person_id"].map(is_child).eq(True)
        records.append(rows)
        layouts.append(layout)
        counts[f"{plan.source}/{plan.name}"] = len(rows)
        if plan.duplicate_as:
            shutil.copyfile(
                out / "inbox" / plan.source / plan.name, out / "inbox" / plan.source / plan.duplicate_as
            )
            records.append(
                rows.assign(source_file=plan.duplicate_as, mess=_add_code(rows["mess"], "dup_file"))
            )
            layouts.append(layout.assign(source_file=plan.duplicate_as))
            counts[f"{plan.source}/{plan.duplicate_as}"] = len(rows)

    written = pd.concat(records, ignore_index=True)
    categories, alerts = derive(
        {s: _with_written_ids(frames[s], s, written) for s in EXTRACTS}, world.children, cfg["policy"], as_of
    )

    truth = out / "truth"
    truth.mkdir(parents=True, exist_ok=True)
    written.assign(is_child=lambda d: np.where(d["is_child"].astype(bool), "true", "false"))[
        ["source_system", "source_file", "source_sheet", "source_row", "person_id", "is_child", "mess"]
    ].to_csv(truth / "records.csv", index=False)
    pd.concat(layouts, ignore_index=True).to_csv(truth / "layout.csv", index=False)
    _children_table(world).to_csv(truth / "children.csv", index=False)
    categories.to_csv(truth / "categories.csv", index=False)
    alerts.to_csv(truth / "alerts.csv", index=False)
    _files_table(plans, counts).to_csv(truth / "files.csv", index=False)
    organisation(frames["civil_affairs_staff"], world.places, world.children, categories).to_csv(
        truth / "organisation.csv", index=False
    )
    return counts


def _plans(
    frames: dict[str, pd.DataFrame], ex: dict, cfg: dict, r: dict, as_of: date, seed: int
) -> list[FilePlan]:
    county_names = {code: v[0] for code, v in cfg["counties"].items()}
    names = {**county_names, **{g: g for g in ex["labels"]["assistance_group"].values()}}
    ledger_keys = sorted(frames[LEDGER]["split"].unique())
    xls_rng = stream(seed, "xls")
    xls = set(xls_rng.permutation(ledger_keys)[: int(r["xls_files"])].tolist()) if ledger_keys else set()
    plans: list[FilePlan] = []
    for source, spec in ex["sources"].items():
        keys = sorted(frames[source]["split"].unique())
        plans += plan_files(
            source,
            spec,
            keys,
            names,
            r,
            as_of,
            seed,
            xls if source == LEDGER else set(),
            ex["layout"]["sheet_names"],
        )
    plans = with_guaranteed_variants(plans, seed)
    return with_duplicates(plans, r, seed, ex["layout"]["duplicate_suffixes"])


def _with_duplicate_rows(
    part: pd.DataFrame, rate: float, rng: np.random.Generator
) -> tuple[pd.DataFrame, np.ndarray]:
    """The same person twice in one file: a copy placed a little after the original."""
    copies = np.flatnonzero(rng.random(len(part)) < rate)
    order = np.concatenate(
        [
            np.arange(len(part)) * 2.0,
            np.minimum(copies + rng.integers(0, 5, len(copies)), len(part) - 1) * 2.0 + 1,
        ]
    )
    rows = pd.concat([part, part.iloc[copies]], ignore_index=True)
    is_copy = np.r_[np.zeros(len(part), bool), np.ones(len(copies), bool)]
    sort = np.argsort(order, kind="stable")
    return rows.iloc[sort].reset_index(drop=True), is_copy[sort]


def _write_file(
    inbox: Path, plan: FilePlan, frame: pd.DataFrame, ex: dict, world: World, r: dict, as_of: date, seed: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Render and write one file; return its truth records and its layout rows."""
    spec = ex["sources"][plan.source]
    rng = stream(seed, "mess", plan.source, plan.key)
    part, is_copy = _with_duplicate_rows(
        frame[frame["split"] == plan.key].reset_index(drop=True), r["dup_row"], rng
    )
    ctx = Context(part, plan, r, ex["labels"], world.names.cfg, world.names, rng)
    cells, mess = render_columns(ctx, spec["columns"])
    codes = _joined(len(part), [*mess, (np.flatnonzero(is_copy), "dup_row")])
    data = [list(row) for row in zip(*cells, strict=True)]
    signers = tuple(
        world.names.surnames(rng, 2)
        + world.names.han_given(rng, rng.random(2) < world.names.cfg["male_share"], adult=True)
    )
    footer = footer_rows(plan, len(data), ex["layout"], as_of, signers)
    sheet = data_sheet(plan, [c[0] for c in spec["columns"]], data, footer, rng, r["layout_blank_row"])
    before, after = note_sheets(plan, ex["layout"])
    folder = inbox / plan.source
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / plan.name
    if plan.fmt == "csv":
        write_csv(path, sheet, plan.encoding, plan.sep)
    elif plan.fmt == "xls":
        write_xls(path, [*before, sheet, *after])
    else:
        write_xlsx(path, [*before, sheet, *after])
    kinds = np.asarray(sheet.kinds)
    data_rows = np.flatnonzero(kinds == "data") + 1
    records = pd.DataFrame(
        {
            "source_system": plan.source,
            "source_file": plan.name,
            "source_sheet": plan.sheet,
            "source_row": data_rows,
            "person_id": part["person_id"].to_numpy(),
            "mess": codes,
        }
    )
    layout = [
        (s.name, i + 1, kind)
        for s in [*before, sheet, *after]
        for i, kind in enumerate(s.kinds)
        if kind != "data"
    ]
    layout_frame = pd.DataFrame(layout, columns=["source_sheet", "source_row", "kind"]).assign(
        source_system=plan.source, source_file=plan.name
    )[["source_system", "source_file", "source_sheet", "source_row", "kind"]]
    return records, layout_frame


def _with_written_ids(frame: pd.DataFrame, source: str, written: pd.DataFrame) -> pd.DataFrame:
    """A household roster's frame with ``id_usable``: whether any row written for the
    person carries a usable identity number of its own (a roster row has no birth
    date but the number's, registry.md); other frames as they are."""
    if source not in ROSTERS:
        return frame
    rows = written[written["source_system"] == source]
    clean = rows["person_id"].map(frame.groupby("person_id")["id_number"].first())
    usable = written_id_usable(clean, rows["mess"]).groupby(rows["person_id"]).any()
    return frame.assign(id_usable=frame["person_id"].map(usable).fillna(False).astype(bool))


def _joined(n: int, mess: list[tuple[np.ndarray, str]]) -> np.ndarray:
    """Comma-joined mess codes per row, in the order they were applied."""
    out = np.full(n, "", dtype=object)
    pieces = [(rows, code) for rows, code in mess if len(rows)]
    if not pieces:
        return out
    rows = np.concatenate([p[0] for p in pieces])
    codes = np.concatenate([np.full(len(p[0]), p[1] + ",", dtype=object) for p in pieces])
    order = np.argsort(rows, kind="stable")
    rows, codes = rows[order], codes[order]
    starts = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]])
    out[rows[starts]] = [s[:-1] for s in np.add.reduceat(codes, starts)]
    return out


def _add_code(mess: pd.Series, code: str) -> pd.Series:
    return mess.where(mess == "", mess + ",") + code


def _is_child(world: World) -> pd.Series:
    kids = world.children
    return pd.Series((kids["age"] < 18).to_numpy(), index=kids["person_id"].to_numpy())


def _children_table(world: World) -> pd.DataFrame:
    k = world.children
    fam = world.families.iloc[k["family"].to_numpy()].reset_index(drop=True)
    return pd.DataFrame(
        {
            "person_id": k["person_id"],
            "name": k["name"],
            "sex": np.where(k["male"], "M", "F"),
            "birth_date": k["birth"].dt.strftime("%Y-%m-%d"),
            "id_number": k["id_number"],
            "county_code": k["county_code"],
            "township": k["township"],
            "village": k["village"],
            "hukou": np.where(k["rural"], "rural", "urban"),
            "twin_group": k["twin_group"],
            "father_id": fam["father_pid"].to_numpy(),
            "mother_id": fam["mother_pid"].to_numpy(),
        }
    )


def _files_table(plans: list[FilePlan], counts: dict[str, int]) -> pd.DataFrame:
    rows = []
    for p in plans:
        for name in filter(None, [p.name, p.duplicate_as]):
            rows.append(
                {
                    "source_system": p.source,
                    "source_file": name,
                    "format": p.fmt,
                    "encoding": p.encoding or "",
                    "separator": "tab" if p.sep == "\t" else ("comma" if p.fmt == "csv" else ""),
                    "sheet": p.sheet or "",
                    "data_rows": counts[f"{p.source}/{name}"],
                    "duplicate_of": p.name if name != p.name else "",
                    "title_rows": len(p.titles),
                    "merged_title": p.merged_title,
                    "header_style": p.header_style,
                    "footer": p.footer,
                    "notes_sheet": p.notes_sheet,
                    "cover_sheet": p.cover_sheet,
                    "date_style": p.date_style,
                    "sex_style": p.sex_style,
                    "ethnicity_style": p.ethnicity_style,
                    "old_township_names": p.old_township,
                }
            )
    return pd.DataFrame(rows)
