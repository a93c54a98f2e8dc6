"""Schema and grounding checks of the evaluation sets: ids resolve, key facts occur in their sources."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from eval.dataset import Kind, load_pairs

REPO = Path(__file__).resolve().parents[1]
CORPUS_DIR = REPO / "corpus"
SHARED_FILE = Path(__file__).resolve().parents[2] / "shared" / "data" / "written_questions_commons_2023_2026.jsonl.gz"
MINIMUM = {"default": 40, "commons": 100}


def record_text(record: dict) -> str:
    """The searchable text of a shared-file record: title, question, answer, people, department and dates."""
    people = [(record.get(k) or {}).get("name") for k in ("asker", "answerer")]
    fields = [record.get(k) for k in ("title", "question_text", "answer_text", "answering_body")]
    dates = [record.get(k) for k in ("date_asked", "date_answered")]
    return "\n".join(str(v) for v in [*fields, *people, *dates] if v)


@pytest.fixture(scope="module")
def default_sources() -> dict[str, str]:
    return {p.stem: p.read_text(encoding="utf-8") for p in sorted(CORPUS_DIR.glob("*.txt"))}


@pytest.fixture(scope="module")
def commons_sources() -> dict[str, str]:
    if not SHARED_FILE.is_file():
        pytest.skip(f"shared data not found at {SHARED_FILE}")
    wanted = {s for p in load_pairs("commons") for s in p.source_ids}
    found: dict[str, str] = {}
    with gzip.open(SHARED_FILE, "rt", encoding="utf-8") as handle:
        for line in handle:
            record = json.loads(line)
            if record["id"] in wanted:
                found[record["id"]] = record_text(record)
    return found


@pytest.mark.parametrize("name", ["default", "commons"])
def test_set_shape(name: str) -> None:
    pairs = load_pairs(name)
    assert len(pairs) >= MINIMUM[name]
    assert len({p.id for p in pairs}) == len(pairs)
    questions = [" ".join(p.question.lower().split()) for p in pairs]
    assert len(set(questions)) == len(questions), "duplicate questions"
    assert all(p.corpus == name for p in pairs)
    unanswerable = sum(p.kind is Kind.UNANSWERABLE for p in pairs)
    assert unanswerable / len(pairs) >= 0.10


def _check_grounding(name: str, sources: dict[str, str]) -> None:
    problems = []
    for pair in load_pairs(name):
        missing = [s for s in pair.source_ids if s not in sources]
        if missing:
            problems.append(f"{pair.id}: unknown source ids {missing}")
            continue
        text = "\n".join(sources[s] for s in pair.source_ids).lower()
        problems += [f"{pair.id}: key fact {f!r} not in its sources" for f in pair.key_facts if f.lower() not in text]
    assert not problems, "\n".join(problems)


def test_default_set_grounded(default_sources: dict[str, str]) -> None:
    _check_grounding("default", default_sources)


def test_commons_set_grounded(commons_sources: dict[str, str]) -> None:
    _check_grounding("commons", commons_sources)
