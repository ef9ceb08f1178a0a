"""A sync killed at any point publishes nothing; the next sync completes (issue 6)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from pipelines.cli import run_sync
from synth import write_city
from warehouse import tables as T
from warehouse.engine import make_engine
from warehouse.io import read_frame

AS_OF = date(2026, 11, 30)


@pytest.fixture(scope="module")
def city(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("city")
    write_city(out, children=400, seed=21, as_of=AS_OF)
    return out


@pytest.fixture(scope="module")
def published(city, tmp_path_factory) -> Path:
    """A warehouse file holding one published sync, copied by each test."""
    folder = tmp_path_factory.mktemp("published")
    assert run_sync(city / "inbox", AS_OF, f"duckdb:///{folder}/w.duckdb", folder / "exports") == 0
    return folder / "w.duckdb"


def _published(url: str) -> dict[str, pd.DataFrame]:
    with make_engine(url).connect() as conn:
        return {t.name: read_frame(conn, t) for t in (T.CHILDREN, T.CHILD_RECORDS, T.GAP_ALERTS)}


def _kill_when(url: str, inbox: Path, exports: Path, step: str) -> None:
    """Start a sync in another process and SIGKILL it as soon as ``step`` starts."""
    process = subprocess.Popen(
        [sys.executable, "-m", "pipelines.cli", "run", "--inbox", str(inbox), "--as-of", AS_OF.isoformat(),
         "--warehouse", url, "--exports", str(exports), "--verbose"],  # Dagster's step log, to kill on
        stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    for line in process.stderr:
        if f'Started execution of step "{step}"' in line:
            os.kill(process.pid, signal.SIGKILL)
            break
    process.wait(timeout=300)
    assert process.returncode == -signal.SIGKILL, f"the sync ended before {step} started"


@pytest.mark.parametrize("step", ["staged_records", "linked_children", "published_registry"])
def test_killed_sync_leaves_the_registry_and_the_next_sync_completes(city, published, tmp_path, step):
    shutil.copy(published, tmp_path / "w.duckdb")
    url = f"duckdb:///{tmp_path}/w.duckdb"
    before = _published(url)
    _kill_when(url, city / "inbox", tmp_path / "exports", step)
    after = _published(url)
    for name, frame in before.items():
        pd.testing.assert_frame_equal(after[name], frame, obj=name)
    assert run_sync(city / "inbox", AS_OF, url, tmp_path / "exports") == 0
    with make_engine(url).connect() as conn:
        statuses = read_frame(conn, T.SYNCS).sort_values("sync_id")["status"].tolist()
    assert statuses == ["published", "failed", "published"]  # the killed one is marked abandoned
