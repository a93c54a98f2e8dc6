"""Imports point down the pipeline: corpus → index → qa → ui / eval, the foundation beneath all, the CLI on top."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("parlqa", "corpus", "index", "qa", "ui", "eval", "cli")
ALLOWED = {
    "parlqa": set(),
    "corpus": {"parlqa"},
    "index": {"parlqa", "corpus"},
    "qa": {"parlqa", "corpus", "index"},
    "ui": {"parlqa", "corpus", "index", "qa"},
    "eval": {"parlqa", "corpus", "index", "qa"},
    "cli": {"parlqa", "corpus", "index", "qa", "ui", "eval"},
}


def import_graph() -> dict[str, set[str]]:
    """Which of the project's packages each package imports (anywhere in its modules)."""
    graph: dict[str, set[str]] = {name: set() for name in PACKAGES}
    for package in PACKAGES:
        for path in (REPO / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                else:
                    continue
                graph[package] |= {n.split(".")[0] for n in names if n.split(".")[0] in PACKAGES} - {package}
    return graph


def test_every_import_points_down():
    graph = import_graph()
    upward = {package: sorted(found - ALLOWED[package]) for package, found in graph.items() if found - ALLOWED[package]}
    assert upward == {}
