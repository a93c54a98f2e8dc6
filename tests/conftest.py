"""Shared fixtures: real tiktoken, real embeddings, real Chroma, over temporary data directories."""

from __future__ import annotations

import gzip
import itertools
import shutil
from pathlib import Path

import pytest

from parlqa.offline import configure_environment

configure_environment()

REPO = Path(__file__).resolve().parents[1]
CORPUS_DIR = REPO / "corpus" / "documents"
SHARED_DATA = REPO.parent / "shared" / "data" / "written_questions_commons_2023_2026.jsonl.gz"
EIF_DOC = "000_73a33f3ed1e0367a"
LORDS_DOC = "001_49094da6f0fad395"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Every test not marked ``unit`` is an ``integration`` test, so ``-m unit`` and ``-m integration`` split the
    suite in two."""
    for item in items:
        if item.get_closest_marker("unit") is None:
            item.add_marker(pytest.mark.integration)


def shared_sample_lines(n: int, step: int = 1) -> list[str]:
    """The first ``n`` lines (every ``step``-th) of the shared Commons file; skips the test when it is absent."""
    if not SHARED_DATA.exists():
        pytest.skip(f"shared data not found at {SHARED_DATA}")
    with gzip.open(SHARED_DATA, "rt", encoding="utf-8") as handle:
        return list(itertools.islice(handle, 0, n * step, step))


@pytest.fixture
def corpus_copy(tmp_path: Path) -> Path:
    """A writable copy of the five default documents."""
    target = tmp_path / "corpus"
    target.mkdir()
    for path in sorted(CORPUS_DIR.glob("*.txt")):
        shutil.copy(path, target / path.name)
    return target


@pytest.fixture(scope="session")
def default_settings(tmp_path_factory):
    """Settings over a session-wide index of the default corpus."""
    from index.indexer import Indexer
    from parlqa.settings import Settings

    settings = Settings(data_dir=tmp_path_factory.mktemp("default-index"), model="tiny", max_new_tokens=96)
    indexer = Indexer(settings)
    try:
        indexer.index([])
    finally:
        indexer.close()
    return settings


@pytest.fixture(scope="session")
def assistant(default_settings):
    from qa.assistant import Assistant

    return Assistant(default_settings, auto_index=False)
