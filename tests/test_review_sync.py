"""The review loop on a real sync of a small synthetic city (issues 15.1 and 13.4).

The workbook of a sync can be decided as it is; the workbooks that come back are
trusted only as far as they deserve, and none of them stops a sync.
"""

from __future__ import annotations

import hashlib
import shutil
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from openpyxl import load_workbook
from openpyxl.utils import column_index_from_string
from openpyxl.utils.cell import coordinate_from_string

from linkage.config import load_config
from linkage.link import pair_id
from linkage.roles import ROLE
from linkage.splink_model import load_model
from pipelines.cli import run_sync
from reports.config import settings
from reports.review_sign import SIGNED, sign
from synth import write_city
from warehouse import tables as T
from warehouse.engine import make_engine
from warehouse.restricted import read_whole

AS_OF = date(2026, 11, 30)
BOOK = Path(AS_OF.isoformat()) / "review" / "review_queue.xlsx"
SHEET = "待核对记录对"


@pytest.fixture(scope="module")
def synced(tmp_path_factory) -> tuple[Path, str, Path]:
    """A city with twins in its review queue, synced once: (city, warehouse url, exports)."""
    city = tmp_path_factory.mktemp("city")
    write_city(city, children=1500, seed=11, as_of=AS_OF)
    folder = tmp_path_factory.mktemp("sync")
    url = f"duckdb:///{folder}/w.duckdb"
    assert run_sync(city / "inbox", AS_OF, url, folder / "exports") == 0
    return city, url, folder / "exports"


def _table(url: str, table: T.Table) -> pd.DataFrame:
    with make_engine(url).connect() as conn:
        return read_whole(conn, table)


def _sheet(path: Path) -> tuple[list[str], list[dict]]:
    ws = load_workbook(path)[SHEET]
    header = [c.value for c in ws[1]]
    return header, [dict(zip(header, row, strict=True)) for row in ws.iter_rows(min_row=2)]


def test_every_pair_of_a_real_sync_can_be_decided_from_its_row(synced):
    _, url, exports = synced
    queue = _table(url, T.REVIEW_PAIRS).set_index("pair_id")
    assert len(queue) >= 2, "the city should leave uncertain pairs"
    ws = load_workbook(exports / BOOK)[SHEET]
    header, rows = _sheet(exports / BOOK)
    assert [r["pair_id"].value for r in rows] == queue.sort_values("rank").index.tolist()

    frozen_column, frozen_row = coordinate_from_string(ws.freeze_panes)
    assert frozen_row == 2
    assert header.index("decision（判定）") + 1 < column_index_from_string(frozen_column)
    assert header.index("审核人") + 1 < column_index_from_string(frozen_column)

    cfg = settings()["review"]
    comparisons = [c["output_column_name"] for c in load_model(load_config().model_file)["comparisons"]]
    for row in rows:
        pair = queue.loc[row["pair_id"].value]
        # Every record has a name, a source and a row; the other values are shown when the
        # record has them (a roster row may have no sex, birth date or number).
        for field in ("姓名", "来源", "行号"):
            for side in ("甲", "乙"):
                assert row[f"{field}（{side}）"].value is not None, (field, side)
        for side in ("甲", "乙"):
            assert all(f"{field}（{side}）" in row for field in ("性别", "出生日期", "区县"))
            number = row[f"身份证号（部分隐藏）（{side}）"].value
            assert number is None or "****" in number
            assert (
                f"父母或监护人（{side}）" in row
                and f"乡镇（{side}）" in row
                and f"村（社区）（{side}）" in row
            )
        # The prior, every comparison, and the undated roster row's relationship term.
        weights = [row["权重·" + cfg["comparisons"][step]].value for step in ("prior", ROLE)]
        for c in comparisons:
            assert row["比较·" + cfg["comparisons"][c]].value, c
            weights.append(row["权重·" + cfg["comparisons"][c]].value)
        assert None not in weights
        assert sum(weights) == pytest.approx(row["匹配权重（合计）"].value, abs=0.01)
        assert row["匹配权重（合计）"].value == pytest.approx(pair["match_weight"], abs=1e-3)
        assert row["匹配概率"].number_format == "0.0%"
        assert row["匹配概率"].value == round(pair["match_probability"], 4)
        assert row["核对原因"].value
        assert row["权重瀑布（先验→各项比较→合计）"].value.count("\n") == len(comparisons) + 2


def _workbook_with(source: Path, target: Path, cells: dict[str, object]) -> Path:
    """A copy of the issued workbook with cells of its first pair row set (by header)."""
    wb = load_workbook(source)
    ws = wb[SHEET]
    header = [c.value for c in ws[1]]
    for name, value in cells.items():
        ws.cell(2, header.index(name) + 1, value)
    target.parent.mkdir(parents=True, exist_ok=True)
    wb.save(target)
    return target


def test_forged_foreign_and_fact_breaking_workbooks_are_refused_and_the_sync_publishes(synced, tmp_path):
    city, url, exports = synced
    copy = tmp_path / "w.duckdb"
    shutil.copy(url.removeprefix("duckdb:///"), copy)
    url2 = f"duckdb:///{copy}"
    inbox = tmp_path / "inbox"
    shutil.copytree(city / "inbox", inbox)
    drop = inbox / "review_decisions"

    header, rows = _sheet(exports / BOOK)
    first = {name: cell.value for name, cell in rows[0].items()}
    keys = dict(zip(SIGNED, [first[h] for h in _signed_headers()], strict=True))
    records = _table(url, T.CHILD_RECORDS).set_index("record_key")
    staged = _table(url, T.STAGED_RECORDS).set_index("record_id")
    pair = _table(url, T.REVIEW_PAIRS).set_index("pair_id").loc[keys["pair_id"]]
    numbers = staged.loc[[pair["record_id_l"], pair["record_id_r"]], "id_number"]
    assert numbers.notna().all() and numbers.nunique() == 2, "the first pair: twins, each with a valid number"

    decided = {"decision（判定）": "是同一人", "审核人": "王芳"}
    # Forged: the row's fingerprint recomputed as a plain hash, as anyone could.
    plain = hashlib.sha256("\x1f".join(str(keys[c] or "") for c in SIGNED).encode()).hexdigest()[:32]
    _workbook_with(exports / BOOK, drop / "a_forged.xlsx", {**decided, "signature": plain})
    # Foreign: two records of two other children, signed with the warehouse's own key,
    # but never issued for review.
    with make_engine(url2).connect() as conn:
        key = bytes.fromhex(conn.execute(sa.text("SELECT secret FROM work.review_key")).scalar())
    other = records.loc[~records.index.isin([keys["record_key_l"], keys["record_key_r"]])]
    a, b = other.drop_duplicates("child_id").index[:2]
    foreign = {**keys, "pair_id": pair_id(a, b), "record_key_l": a, "record_key_r": b}
    signature = sign(key, [foreign[c] for c in SIGNED])
    _workbook_with(
        exports / BOOK,
        drop / "b_foreign.xlsx",
        {
            **decided,
            "pair_id": foreign["pair_id"],
            "record_key_l": a,
            "record_key_r": b,
            "signature": signature,
        },
    )
    # Fact-breaking: a genuine decision that two children with two valid numbers are one.
    genuine = _workbook_with(exports / BOOK, drop / "核对结果.xlsx", decided)
    (drop / "~$核对结果.xlsx").write_bytes(b"\x00 Excel's lock file while the workbook is open")

    assert run_sync(inbox, AS_OF, url2, tmp_path / "exports") == 0
    assert _table(url2, T.SYNCS)["status"].tolist() == ["published", "published"]

    files = _table(url2, T.REVIEW_FILES).set_index("file")
    assert sorted(files.index) == ["a_forged.xlsx", "b_foreign.xlsx", "核对结果.xlsx"]
    assert files.loc["a_forged.xlsx", "status"] == "quarantined"
    assert "signature does not match" in files.loc["a_forged.xlsx", "reason"]
    assert files.loc["b_foreign.xlsx", "status"] == "quarantined"
    assert "did not issue" in files.loc["b_foreign.xlsx", "reason"]
    assert files.loc["核对结果.xlsx", ["status", "decisions"]].tolist() == ["accepted", 1]

    (logged,) = _table(url2, T.REVIEW_DECISION_LOG).to_dict("records")
    assert logged["pair_id"] == keys["pair_id"] and logged["decision"] == "same"
    assert (logged["reviewer"], logged["file"], logged["row"]) == ("王芳", "核对结果.xlsx", 2)
    assert logged["file_sha256"] == hashlib.sha256(genuine.read_bytes()).hexdigest()
    assert pd.notna(logged["read_at"])
    assert (logged["outcome"], logged["reason"]) == ("refused", "different_numbers")

    # The twins stay two children, and the pair is asked again, first, saying why.
    children = _table(url2, T.CHILD_RECORDS).set_index("record_key")["child_id"]
    assert children[keys["record_key_l"]] != children[keys["record_key_r"]]
    queue = _table(url2, T.REVIEW_PAIRS).sort_values("rank")
    again = queue.iloc[0]
    assert (again["pair_id"], again["reason"], again["reason_detail"]) == (
        keys["pair_id"],
        "must_link_refused",
        "different_numbers",
    )
    _, rows2 = _sheet(tmp_path / "exports" / BOOK)
    assert rows2[0]["pair_id"].value == keys["pair_id"]
    assert rows2[0]["核对原因"].value.startswith(settings()["review"]["reasons"]["must_link_refused"])


def _signed_headers() -> list[str]:
    from reports.review import headers

    names = headers()
    return [names[c] for c in SIGNED]
