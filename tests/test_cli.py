"""A quiet, helpful CLI (issue 16, item 5): a line per stage, the libraries' chatter only
with --verbose, help on every option, an input error in one line naming the fix."""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from pipelines.cli import main
from pipelines.progress import STAGES

AS_OF = date(2026, 11, 30)
ROOT = Path(__file__).resolve().parents[1]


def _childreg(*args: str) -> subprocess.CompletedProcess:
    """``childreg`` as an operator runs it: its own process, output as the terminal gets it."""
    return subprocess.run(
        [sys.executable, "-m", "pipelines.cli", *args],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=900,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip


def test_every_option_has_help():
    from pipelines.arguments import parser as build_parser

    parser = build_parser("childreg")
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    assert set(commands.choices) == {"run", "synth", "evaluate", "erase", "migrate", "explain", "demo"}
    for name, command in commands.choices.items():
        for action in command._actions:
            assert action.help and action.help.strip(), f"childreg {name} {action.option_strings}"


@pytest.mark.parametrize(
    ("argv", "fix"),
    [
        (["run", "--inbox", ".", "--as-of", "30/11/2026"], "write it as YYYY-MM-DD, e.g. 2026-11-30"),
        (["synth", "--children", "many", "--out", "x"], "write a whole number"),
        (["run", "--inbox", ".", "--as-of", "2026-11-30", "--warehouse", "mysql://u:s3cret@h/db"],
         "write duckdb:///"),
        (["run", "--as-of", "2026-11-30"], "--inbox"),
    ],
)  # fmt: skip
def test_an_input_error_is_one_line_naming_the_fix(argv, fix, capsys):
    with pytest.raises(SystemExit) as stopped:
        main(argv)
    err = capsys.readouterr().err
    assert stopped.value.code == 2
    assert len(err.splitlines()) == 1 and err.startswith("childreg: ") and fix in err
    assert "s3cret" not in err  # a URL may carry a password: never echoed


def test_a_missing_inbox_says_what_to_give(tmp_path, capsys):
    assert main(["run", "--inbox", str(tmp_path / "nowhere"), "--as-of", "2026-11-30"]) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and "one folder per source" in err


@pytest.mark.parametrize("as_of", ["2016-01-01", "2999-12-31"])
def test_a_date_outside_the_months_says_which_months_there_are(tmp_path, capsys, as_of):
    """Before the opinions' first month or past the current one there is no month to sync."""
    (tmp_path / "inbox").mkdir()
    assert main(["run", "--inbox", str(tmp_path / "inbox"), "--as-of", as_of]) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and "months run from 2017-12" in err


def test_a_failed_sync_is_a_few_lines_unless_verbose(tmp_path):
    """An empty inbox: refused at once (no retry), said in a line; --verbose adds Dagster's log."""
    (tmp_path / "inbox" / "education_students").mkdir(parents=True)
    args = ["run", "--inbox", str(tmp_path / "inbox"), "--as-of", "2026-11-30",
            "--warehouse", f"duckdb:///{tmp_path}/w.duckdb", "--exports", str(tmp_path / "exports")]  # fmt: skip
    quiet = _childreg(*args)
    assert quiet.returncode == 1
    assert "nothing to sync" in quiet.stdout and "Traceback" not in quiet.stdout
    assert len(quiet.stdout.splitlines()) <= 3, quiet.stdout
    loud = _childreg(*args, "--verbose")
    assert loud.returncode == 1 and "STEP_FAILURE" in loud.stdout


def test_a_sync_prints_a_line_per_stage_and_at_most_40(tmp_path):
    from synth import write_city

    write_city(tmp_path / "city", children=300, seed=3, as_of=AS_OF)
    done = _childreg("run", "--inbox", str(tmp_path / "city" / "inbox"), "--as-of", AS_OF.isoformat(),
                     "--warehouse", f"duckdb:///{tmp_path}/w.duckdb", "--exports", str(tmp_path / "exports"))  # fmt: skip
    lines = done.stdout.splitlines()
    assert done.returncode == 0, done.stdout[-3000:]
    assert len(lines) <= 40, done.stdout
    for word, _ in STAGES.values():
        stage = [line for line in lines if line.startswith(f"childreg: {word} ")]
        assert len(stage) == 1 and stage[0].endswith(" s)"), (word, lines)
        figures = [int(n.replace(",", "")) for n in re.findall(r"\d[\d,]*(?= )", stage[0])]
        assert figures and figures[0] > 0, ("each stage names what it did", stage[0])
    assert lines[-1].startswith("childreg: sync as of 2026-11-30 published")

    # Exports that fail after the publish do not say "nothing was published".
    (tmp_path / "a_file").write_text("")
    again = _childreg("run", "--inbox", str(tmp_path / "city" / "inbox"), "--as-of", AS_OF.isoformat(),
                      "--warehouse", f"duckdb:///{tmp_path}/w.duckdb", "--exports", str(tmp_path / "a_file"))  # fmt: skip
    assert again.returncode == 1
    assert "childreg: published " in again.stdout, again.stdout
    assert "was published, but its exports were not all written" in again.stdout
    assert "nothing was published" not in again.stdout
