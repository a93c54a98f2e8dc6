"""Schema and grounding checks of the evaluation sets: ids resolve, key facts occur in their sources."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from eval.dataset import Kind, load_pairs
from eval.metrics import fact_present

pytestmark = pytest.mark.unit

REPO = Path(__file__).resolve().parents[1]
CORPUS_DIR = REPO / "corpus" / "documents"
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
    unanswerable = sum(not p.answerable for p in pairs)
    assert unanswerable / len(pairs) >= 0.10


def _check_grounding(name: str, sources: dict[str, str]) -> None:
    problems = []
    for pair in load_pairs(name):
        missing = [s for s in pair.source_ids if s not in sources]
        if missing:
            problems.append(f"{pair.id}: unknown source ids {missing}")
            continue
        text = "\n".join(sources[s] for s in pair.source_ids)
        problems += [
            f"{pair.id}: key fact {f!r} not in its sources" for f in pair.key_facts if not fact_present(f, text)
        ]
    assert not problems, "\n".join(problems)


def test_default_set_grounded(default_sources: dict[str, str]) -> None:
    _check_grounding("default", default_sources)


def test_commons_set_grounded(commons_sources: dict[str, str]) -> None:
    _check_grounding("commons", commons_sources)


NEAR_MISS_MINIMUM = {"default": 20, "commons": 40}
METADATA_MINIMUM = 15


@pytest.mark.parametrize("name", ["default", "commons"])
def test_sets_hold_near_misses_and_metadata_questions(name: str) -> None:
    pairs = load_pairs(name)
    near = [p for p in pairs if p.kind is Kind.NEAR_MISS]
    assert len(near) >= NEAR_MISS_MINIMUM[name]
    assert all(p.absent and all(group for group in p.absent) for p in near), "every near miss names its absent fact"
    assert sum(p.kind is Kind.WHO_WHEN for p in pairs) >= METADATA_MINIMUM


@pytest.mark.parametrize("name", ["default", "commons"])
def test_halves_split_every_kind(name: str) -> None:
    from eval.dataset import split_halves

    pairs = load_pairs(name)
    halves = split_halves(pairs)
    assert set(halves) == {p.id for p in pairs}
    for kind in {p.kind for p in pairs}:
        counts = [sum(halves[p.id] == h for p in pairs if p.kind is kind) for h in ("fit", "held-out")]
        assert abs(counts[0] - counts[1]) <= 1, kind
    assert split_halves(list(reversed(pairs))) == halves  # the split depends on ids alone


def test_default_near_misses_are_absent_from_every_document() -> None:
    from eval.absence import check_pairs, corpus_documents

    checks = check_pairs(load_pairs("default"), corpus_documents("default"))
    assert len(checks) >= NEAR_MISS_MINIMUM["default"]
    assert all(c.documents_searched == 5 for c in checks)
    assert [c.id for c in checks if not c.absent] == []


def test_absence_check_finds_a_stated_fact() -> None:
    from eval.absence import check_pairs, corpus_documents
    from eval.dataset import EvalPair

    stated = EvalPair(
        id="x",
        question="When was the EIF set up?",
        reference_answer="",
        kind="near_miss",
        corpus="default",
        absent=[["early intervention foundation"], ["2013"]],
    )
    (check,) = check_pairs([stated], corpus_documents("default"))
    assert not check.absent and check.matches[0]["doc_id"] == "000_73a33f3ed1e0367a"


def test_new_pairs_move_no_recorded_pair_to_the_other_half() -> None:
    from eval.dataset import frozen_halves, split_halves

    pairs = load_pairs("default")
    before = split_halves(pairs)
    assert before == {p.id: frozen_halves()[p.id] for p in pairs}  # the halves every reported run used
    extra = [p.model_copy(update={"id": f"{p.id}-new"}) for p in pairs[:9]]
    after = split_halves([*extra, *pairs])
    assert all(after[p.id] == before[p.id] for p in pairs)
    for kind in {p.kind for p in extra}:
        counts = [sum(after[p.id] == h for p in [*extra, *pairs] if p.kind is kind) for h in ("fit", "held-out")]
        assert abs(counts[0] - counts[1]) <= 1, kind
