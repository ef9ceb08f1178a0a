"""Accuracy runs: the default city under several seeds, scored against its truth.

    python -m benchmarks.accuracy --seeds 1 2 3 [--children 20000] [--keep DIR]

Each seed: ``childreg synth``, ``childreg run`` and ``childreg evaluate``; prints the
linkage table (model and identity-number baseline) and the per-code policy table as
Markdown for benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

AS_OF = "2026-11-30"
TARGET = {"category": 0.99, "alert": 0.98}


def _childreg(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "pipelines.cli", *args], check=True, capture_output=True)


def score_seed(seed: int, children: int, folder: Path) -> dict:
    city, warehouse = folder / "city", f"duckdb:///{folder}/w.duckdb"
    if not (city / "inbox").exists():
        _childreg(
            "synth", "--children", str(children), "--seed", str(seed), "--as-of", AS_OF, "--out", str(city)
        )
    (folder / "w.duckdb").unlink(missing_ok=True)
    _childreg(
        "run",
        "--inbox",
        str(city / "inbox"),
        "--as-of",
        AS_OF,
        "--warehouse",
        warehouse,
        "--exports",
        str(folder / "ex"),
    )
    out = folder / "scores.json"
    _childreg("evaluate", "--truth", str(city / "truth"), "--warehouse", warehouse, "--out", str(out))
    return json.loads(out.read_text(encoding="utf-8"))


def linkage_table(scores: dict[int, dict]) -> str:
    lines = [
        "| seed | precision | recall | F1 | children whole | twins merged | false pairs | baseline recall | baseline whole |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for seed, s in scores.items():
        m, b = s["linkage"]["model"], s["linkage"]["baseline_valid_id"]
        lines.append(
            f"| {seed} | {m['precision']:.5f} | {m['recall']:.5f} | {m['f1']:.5f} | {m['children_whole']:.5f} "
            f"| {m['twins_merged']} | {m['false_pairs']} | {b['recall']:.5f} | {b['children_whole']:.5f} |"
        )
    return "\n".join(lines)


def policy_table(scores: dict[int, dict]) -> str:
    seeds = list(scores)
    header = "| code | " + " | ".join(f"seed {s} P / R (found/expected)" for s in seeds) + " |"
    lines = [header, "|---|" + "---|" * len(seeds)]
    codes = sorted(
        {c for s in scores.values() for c in s["policy"]}, key=lambda c: (not c.startswith("category"), c)
    )
    for code in codes:
        cells = []
        for seed in seeds:
            v = scores[seed]["policy"].get(code)
            if v is None:
                cells.append("–")
                continue
            low = min(v["precision"], v["recall"]) < TARGET[code.split(":")[0]]
            text = f"{v['precision']:.4f} / {v['recall']:.4f} ({v['found']}/{v['expected']})"
            cells.append(f"**{text}**" if low else text)
        lines.append(f"| `{code}` | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--children", type=int, default=20_000)
    parser.add_argument("--keep", type=Path, default=None)
    args = parser.parse_args(argv)
    base = args.keep or Path(tempfile.mkdtemp(prefix="childreg-accuracy-"))
    scores = {}
    for seed in args.seeds:
        folder = base / str(seed)
        folder.mkdir(parents=True, exist_ok=True)
        scores[seed] = score_seed(seed, args.children, folder)
    print(linkage_table(scores), "", policy_table(scores), sep="\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
