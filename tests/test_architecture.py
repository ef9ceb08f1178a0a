"""The walls of the house (docs/architecture.md): each package imports only the
packages below it, so parsing a value never depends on ingestion or linkage, and
storage never on the reports written for people."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Package → the packages of ours it may import. Order of the layers, bottom up.
ALLOWED = {
    "values": set(),
    "warehouse": {"values"},
    "ingest": {"values", "warehouse"},
    "linkage": {"values", "warehouse"},
    "policy": {"values", "warehouse"},
    "expectations": {"values", "warehouse"},
    "reports": {"values", "warehouse", "policy"},
    "pipelines": {"values", "warehouse", "ingest", "linkage", "policy", "expectations", "reports"},
}


def _imported_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names & set(ALLOWED)


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_package_imports_only_the_layers_below_it(package):
    wrong = {
        p.relative_to(ROOT).as_posix(): sorted(found - ALLOWED[package] - {package})
        for p in (ROOT / package).rglob("*.py")
        if "migrations" not in p.parts and (found := _imported_packages(p)) - ALLOWED[package] - {package}
    }
    assert wrong == {}


def test_no_pipelines_module_exceeds_250_lines():
    long = {
        p.relative_to(ROOT).as_posix(): n
        for p in (ROOT / "pipelines").rglob("*.py")
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > 250
    }
    assert long == {}
