"""Markdown tables for benchmarks/RESULTS.md from a scored independent city:

    python -m benchmarks.othercity.report DIR [DIR ...]

``DIR`` holds ``truth/``, ``scores.json`` (``childreg evaluate``) and ``w.duckdb``.
Besides the linkage and per-code tables it measures one figure evaluate does not:
of the roster (household) rows of children without a usable identity number, whose
child has other records, the share that joined those records."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import duckdb
import pandas as pd

TARGET = {"category": 0.99, "alert": 0.98}
MIN_CASES = {"category": 0, "alert": 20}
KEY = ["source_system", "source_file", "source_row"]
ROSTERS = ["civil_affairs_assistance", "poverty_households"]


def roster_join(city: Path) -> tuple[int, int]:
    """(rows joined, rows) for children's roster rows without a usable number whose
    child has records elsewhere."""
    records = pd.read_csv(city / "truth" / "records.csv", dtype=str, keep_default_na=False)
    records["source_row"] = records["source_row"].astype(int)
    with duckdb.connect(str(city / "w.duckdb"), read_only=True) as con:
        staged = con.sql(
            "select source_system, source_file, source_row, id_status from work.staged_records"
        ).df()
        linked = con.sql(
            "select source_system, source_file, source_row, child_id from registry.child_records union all "
            "select source_system, source_file, source_row, child_id from restricted.child_records"
        ).df()
    rows = records.loc[records["is_child"] == "true"].merge(staged, on=KEY).merge(linked, on=KEY, how="left")
    target_mask = rows["source_system"].isin(ROSTERS) & rows["id_status"].ne("valid")
    target, others = rows.loc[target_mask], rows.loc[~target_mask]
    target = target.loc[target["person_id"].isin(others["person_id"])]
    ids = others.dropna(subset=["child_id"]).groupby("person_id")["child_id"].agg(set)
    joined = sum(
        cid in ids.get(pid, set()) for pid, cid in zip(target["person_id"], target["child_id"], strict=True)
    )
    return int(joined), len(target)


def linkage_table(scores: dict[str, dict]) -> str:
    lines = [
        "| city | rows scored | precision | recall | F1 | false pairs | children whole | twins merged | baseline (valid id) recall | baseline whole |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, s in scores.items():
        m, b = s["linkage"]["model"], s["linkage"]["baseline_valid_id"]
        lines.append(
            f"| {name} | {s['linkage']['rows_scored']:,} | {m['precision']:.5f} | {m['recall']:.5f} | {m['f1']:.5f} "
            f"| {m['false_pairs']} | {m['children_whole']:.5f} | {m['twins_merged']} | {b['recall']:.5f} | {b['children_whole']:.5f} |"
        )
    return "\n".join(lines)


def policy_table(scores: dict[str, dict]) -> str:
    names = list(scores)
    lines = [
        "| code | " + " | ".join(f"{n}: P / R (found/expected)" for n in names) + " |",
        "|---|" + "---|" * len(names),
    ]
    codes = sorted(
        {c for s in scores.values() for c in s["policy"]}, key=lambda c: (not c.startswith("category"), c)
    )
    for code in codes:
        kind = code.split(":")[0]
        cells = []
        for n in names:
            v = scores[n]["policy"].get(code)
            if v is None:
                cells.append("–")
                continue
            text = f"{v['precision']:.4f} / {v['recall']:.4f} ({v['found']}/{v['expected']})"
            low = min(v["precision"], v["recall"]) < TARGET[kind] and v["expected"] >= MIN_CASES[kind]
            cells.append(f"**{text}**" if low else text)
        lines.append(f"| `{code}` | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    cities = [Path(a) for a in (argv if argv is not None else sys.argv[1:])]
    scores = {c.name: json.loads((c / "scores.json").read_text(encoding="utf-8")) for c in cities}
    print(linkage_table(scores), "", policy_table(scores), "", sep="\n")
    for c in cities:
        joined, total = roster_join(c)
        print(
            f"- {c.name}: roster rows of children without a usable number (child has other records): "
            f"{joined} of {total} joined ({joined / max(total, 1):.4f})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
