"""Sources in a database (registry.md): ``<inbox>/sources.yaml`` names a source's
database; its rows are read, staged and accounted as a file's, ``source_file``
``db:<source_system>``, ``source_row`` the position ordered by the key; a source
whose database cannot be read is refused, never a crash.

The department's database is a real one: a DuckDB file, and PostgreSQL where the
tests have one (``warehouse_url``).
"""

from __future__ import annotations

import json
from datetime import date

import pytest
import sqlalchemy as sa
from test_read_support import valid_id, write_csv

from ingest.inbox import read_and_stage_inbox
from ingest.tabular import UnreadableFile

AS_OF = date(2026, 11, 30)
EDUCATION = "education_students"
ID_1 = valid_id("51041120150302123")
ID_2 = valid_id("51041120160405124")
COLUMNS = ["id", "姓名", "性别", "出生日期", "身份证件号", "学段", "年级", "全国学籍号", "学籍状态"]
# Inserted out of key order: source_row follows the key, not the insertion.
PUPILS = [
    (30, None, None, None, None, "小学", "三年级", None, "在读"),
    (10, "张三", "男", date(2015, 3, 2), ID_1, "小学", "五年级", f"G{ID_1}", "在读"),
    (20, "李四", "女", date(2016, 4, 5), ID_2, "小学", "四年级", f"G{ID_2}", "在读"),
]


@pytest.fixture
def department_url(warehouse_url) -> str:
    """A department's database holding ``xueji_export``."""
    engine = sa.create_engine(warehouse_url)
    columns = ", ".join(
        f'"{c}" {"INTEGER" if c == "id" else "DATE" if c == "出生日期" else "VARCHAR"}' for c in COLUMNS
    )
    marks = ", ".join(f":p{i}" for i in range(len(COLUMNS)))
    with engine.begin() as conn:
        conn.exec_driver_sql(f"CREATE TABLE xueji_export ({columns})")
        for pupil in PUPILS:
            conn.execute(
                sa.text(f"INSERT INTO xueji_export VALUES ({marks})"),
                {f"p{i}": v for i, v in enumerate(pupil)},
            )
    engine.dispose()
    return warehouse_url


def write_sources(inbox, text: str) -> None:
    inbox.mkdir(parents=True, exist_ok=True)
    (inbox / "sources.yaml").write_text(text, encoding="utf-8")


def test_database_source_is_read_staged_and_accounted_as_a_file(tmp_path, department_url, monkeypatch):
    inbox = tmp_path / "inbox"
    monkeypatch.setenv("EDU_DB_URL", department_url)
    write_sources(inbox, "education_students:\n  url: ${EDU_DB_URL}\n  table: xueji_export\n  key: id\n")
    result = read_and_stage_inbox(inbox, AS_OF, sync_id=1)
    assert set(result.raw["source_file"]) == {"db:education_students"}
    assert result.raw["source_row"].tolist() == [1, 2, 3]
    assert [json.loads(c)["id"] for c in result.raw["cells"]] == ["10", "20", "30"]  # the key kept
    assert result.staged.set_index("source_row")["name"].to_dict() == {1: "张三", 2: "李四"}
    assert result.staged.set_index("source_row")["birth_date"].dt.date.to_dict() == {
        1: date(2015, 3, 2),
        2: date(2016, 4, 5),
    }
    (row,) = result.quarantine.to_dict("records")
    assert (row["source_file"], row["source_row"]) == ("db:education_students", 3)
    counts = result.counts[EDUCATION]
    assert (counts["files"], counts["missing"], counts["rows_read"], counts["files_refused"]) == (
        1,
        False,
        3,
        [],
    )
    assert counts["rows_staged"] + counts["rows_quarantined"] == counts["rows_read"]


def test_database_query_is_ordered_by_its_key(tmp_path, department_url, monkeypatch):
    inbox = tmp_path / "inbox"
    monkeypatch.setenv("EDU_DB_URL", department_url)
    query = """SELECT * FROM xueji_export WHERE "姓名" IS NOT NULL AND "学段" <> 'x:y'"""
    write_sources(
        inbox, f"education_students:\n  url: ${{EDU_DB_URL}}\n  query: >-\n    {query}\n  key: id\n"
    )
    result = read_and_stage_inbox(inbox, AS_OF, sync_id=1)
    assert result.staged.set_index("source_row")["name"].to_dict() == {1: "张三", 2: "李四"}
    assert result.quarantine.empty


def test_failing_database_refuses_its_source_and_the_sync_goes_on(tmp_path):
    inbox = tmp_path / "inbox"
    write_csv(
        inbox / "health_insurance" / "医保.csv",
        [["姓名", "公民身份号码", "性别", "出生日期"], ["张三", ID_1, "男", "2015-03-02"]],
    )
    url = "postgresql+psycopg://childreg:s3cret@127.0.0.1:1/nowhere"
    write_sources(inbox, f"education_students:\n  url: {url}\n  table: xueji_export\n  key: id\n")
    result = read_and_stage_inbox(inbox, AS_OF, sync_id=1)
    assert result.counts[EDUCATION]["files_refused"] == [
        {
            "file": "db:education_students",
            "reason": "db:education_students: its database cannot be read (OperationalError)",
        }
    ]
    assert result.counts[EDUCATION]["missing"] is False
    assert result.staged["source_file"].tolist() == ["医保.csv"]


@pytest.mark.parametrize(
    ("entry", "reason"),
    [
        ("  url: ${NO_SUCH_URL_VARIABLE}\n  table: t\n  key: id\n",
         "db:education_students: the environment variable NO_SUCH_URL_VARIABLE holding its database URL is not set"),
        ("  url: sqlite://\n  table: t\n", "sources.yaml: the entry needs a url and a key"),
        ("  url: sqlite://\n  key: id\n", "sources.yaml: the entry needs a table or a query (one of them)"),
        ("  url: nosuchdialect://x\n  table: t\n  key: id\n",
         "db:education_students: its database URL cannot be used (NoSuchModuleError)"),
    ],
)  # fmt: skip
def test_unusable_entry_refuses_its_source_with_the_reason(tmp_path, entry, reason):
    inbox = tmp_path / "inbox"
    write_sources(inbox, "education_students:\n" + entry)
    result = read_and_stage_inbox(inbox, AS_OF, sync_id=1)
    assert [r["reason"] for r in result.counts[EDUCATION]["files_refused"]] == [reason]


def test_sources_file_that_is_no_mapping_fails_the_read_naming_it(tmp_path):
    inbox = tmp_path / "inbox"
    write_sources(inbox, "- education_students\n")
    with pytest.raises(UnreadableFile, match="^sources.yaml: not a mapping"):
        read_and_stage_inbox(inbox, AS_OF, sync_id=1)
