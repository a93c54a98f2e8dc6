"""SIGKILL ``parlqa index`` at random moments, run it again: always the chunk set of a clean build, nothing twice.

Each scenario kills real ``parlqa index`` processes (real Chroma, real embeddings, real files), then runs it to
completion and compares Chroma, BM25 and the manifest with each other and with a clean build of the same corpus.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import pytest
from fixtures.index_runs import PARLQA, IndexState, parlqa_env, read_index, run_parlqa
from fixtures.synthetic import records, write_jsonl, write_question_sheets

from corpus.loader import load_documents
from index.chunking import Chunker
from parlqa.settings import Settings

SEED = 20240607


def clean_chunk_ids(corpus: Path) -> set[str]:
    """The chunk ids a clean build of ``corpus`` holds, from the loader and chunker the indexer uses."""
    s = Settings.model_construct()  # the defaults the child processes run with (PARLQA_* is not passed on)
    chunker = Chunker(s.chunk_tokens, s.chunk_overlap, s.encoding)
    docs, report = load_documents([corpus])
    assert not report.problems
    return {c.id for doc in docs for c in chunker.chunk(doc)}


def finish(data_dir: Path, corpus: Path) -> subprocess.CompletedProcess:
    """Run ``parlqa index`` to completion; it must succeed without a traceback."""
    result = run_parlqa("index", str(corpus), data_dir=data_dir)
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr[-3000:]
    return result


def assert_clean(data_dir: Path, corpus: Path) -> IndexState:
    """Chroma, BM25 and the manifest agree, with every chunk of a clean build once, and nothing left over."""
    state = read_index(data_dir, check_vectors=20)
    state.assert_consistent()
    assert sorted(state.manifest_ids) == sorted(clean_chunk_ids(corpus))
    docs, _ = load_documents([corpus])
    assert state.documents == {d.id: d.content_hash() for d in docs}
    assert not [p.name for p in data_dir.glob("bm25.*")], "a killed BM25 save left folders behind"
    return state


def generation(data_dir: Path) -> int:
    """The manifest generation, read without writing (0 before the first commit)."""
    path = data_dir / "manifest.sqlite3"
    if not path.exists():
        return 0
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=0.05)
        try:
            row = db.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()
        finally:
            db.close()
    except sqlite3.Error:  # schema not created yet
        return 0
    return int(row[0]) if row else 0


@dataclass
class Kill:
    scenario: str
    moment: str
    seconds: float


class Killer:
    """Starts ``parlqa index`` processes and SIGKILLs them after a delay or when something is seen on disk."""

    def __init__(self) -> None:
        self.kills: list[Kill] = []

    def _start(self, data_dir: Path, corpus: Path) -> subprocess.Popen:
        return subprocess.Popen(
            [str(PARLQA), "index", str(corpus)],
            env=parlqa_env(data_dir),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def _kill(self, proc: subprocess.Popen, scenario: str, moment: str, started: float) -> bool:
        """SIGKILL; False when the run had just ended by itself."""
        os.kill(proc.pid, signal.SIGKILL)
        if proc.wait() != -signal.SIGKILL:
            assert proc.returncode in (0, 2), f"parlqa index failed with {proc.returncode}"
            return False
        self.kills.append(Kill(scenario, moment, round(time.monotonic() - started, 2)))
        return True

    def after(self, scenario: str, moment: str, data_dir: Path, corpus: Path, delay: float, prepare: Callable) -> None:
        """Kill ``delay`` seconds in; when the run ends first, prepare again and try half as late."""
        for _ in range(4):
            prepare()
            proc = self._start(data_dir, corpus)
            started = time.monotonic()
            try:
                proc.wait(delay)
            except subprocess.TimeoutExpired:
                if self._kill(proc, scenario, moment, started):
                    return
            assert proc.returncode in (0, 2), f"parlqa index failed with {proc.returncode}"
            delay /= 2
        pytest.fail(f"parlqa index always ended before it could be killed ({scenario}, {moment})")

    def when(self, scenario: str, moment: str, data_dir: Path, corpus: Path, seen: Callable[[int], bool]) -> float:
        """Kill as soon as ``seen(pid)`` is true; returns the seconds it ran. Fails when the run ends first."""
        proc = self._start(data_dir, corpus)
        started = time.monotonic()
        while proc.poll() is None:
            if seen(proc.pid) and self._kill(proc, scenario, moment, started):
                return time.monotonic() - started
            time.sleep(0.002)
        pytest.fail(f"parlqa index ended (code {proc.returncode}) before {moment} ({scenario})")


def commit_seen(data_dir: Path) -> Callable[[int], bool]:
    """True once the run has committed to the manifest (its generation moved)."""
    start = generation(data_dir)
    return lambda pid: generation(data_dir) > start


def bm25_save_seen(data_dir: Path) -> Callable[[int], bool]:
    """True while the run is writing its BM25 index to a temporary folder."""
    return lambda pid: (data_dir / f"bm25.tmp-{pid}").exists()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("crash") / "corpus"
    write_jsonl(root / "records.jsonl", records(130, seed=SEED, long_every=10))
    write_question_sheets(root / "notes", 10, seed=SEED)
    return root


@dataclass
class Reference:
    data_dir: Path
    seconds: float
    state: IndexState


@pytest.fixture(scope="module")
def reference(corpus, tmp_path_factory) -> Reference:
    """A clean build of the corpus, never interrupted."""
    data_dir = tmp_path_factory.mktemp("reference") / "data"
    started = time.monotonic()
    finish(data_dir, corpus)
    seconds = time.monotonic() - started
    state = assert_clean(data_dir, corpus)
    assert len(state.manifest_ids) > len(state.documents) > 100
    return Reference(data_dir, seconds, state)


@pytest.fixture
def killer():
    k = Killer()
    yield k
    for kill in k.kills:
        print(f"killed {kill.scenario} at {kill.seconds}s ({kill.moment})")


def copy_of_reference(reference: Reference, corpus: Path, tmp_path: Path) -> tuple[Path, Path, float]:
    """A private copy of the corpus and of its clean index, the index re-pointed at the copy (nothing re-embedded)."""
    own_corpus = tmp_path / "corpus"
    shutil.copytree(corpus, own_corpus)
    data_dir = tmp_path / "data"
    shutil.copytree(reference.data_dir, data_dir)
    started = time.monotonic()
    result = finish(data_dir, own_corpus)
    assert "0 added, 0 updated, 0 removed" in result.stdout and "0 chunks embedded" in result.stdout
    return own_corpus, data_dir, time.monotonic() - started


def committed_since(data_dir: Path, corpus: Path, baseline: int, prepare: Callable) -> None:
    """When a kill came after the manifest commit, check what it left, then start again from ``prepare``."""
    if generation(data_dir) > baseline:
        finish(data_dir, corpus)
        assert_clean(data_dir, corpus)
        prepare()


def test_kills_during_a_full_build_end_in_the_clean_build(corpus, reference, killer, tmp_path):
    rng = random.Random(SEED)
    ref_ids = sorted(reference.state.manifest_ids)
    first, second, third = tmp_path / "first", tmp_path / "second", tmp_path / "third"

    # 1: early (start-up, loading documents), then kill the repair run as it commits (BM25 rebuild under way)
    fresh = partial(shutil.rmtree, first, ignore_errors=True)
    killer.after("build", "load", first, corpus, rng.uniform(0.1, 0.3) * reference.seconds, fresh)
    committed_since(first, corpus, 0, fresh)
    to_commit = killer.when("build", "after the manifest commit", first, corpus, commit_seen(first))
    finish(first, corpus)
    assert sorted(assert_clean(first, corpus).manifest_ids) == ref_ids

    # 2: during embedding (timed against the runs above), then kill the repair run while it saves BM25
    fresh = partial(shutil.rmtree, second, ignore_errors=True)
    pace = min(to_commit, reference.seconds)
    killer.after("build", "embedding", second, corpus, rng.uniform(0.4, 0.8) * pace, fresh)
    committed_since(second, corpus, 0, fresh)
    to_bm25 = None
    for _ in range(6):  # the BM25 save is short: when a run finishes first, drop BM25 so the next rebuilds it
        try:
            to_bm25 = killer.when("build", "BM25 save", second, corpus, bm25_save_seen(second))
            break
        except pytest.fail.Exception:
            shutil.rmtree(second / "bm25", ignore_errors=True)
    if to_bm25 is None:
        pytest.fail("no run could be killed during its BM25 save in 6 tries")
    finish(second, corpus)
    assert sorted(assert_clean(second, corpus).manifest_ids) == ref_ids

    # 3: late (timed against the last full run): end of embedding, Chroma upsert, manifest commit or BM25
    fresh = partial(shutil.rmtree, third, ignore_errors=True)
    killer.after("build", "late", third, corpus, rng.uniform(0.85, 1.0) * to_bm25, fresh)
    finish(third, corpus)
    assert sorted(assert_clean(third, corpus).manifest_ids) == ref_ids

    assert len(killer.kills) >= 5
    again = finish(third, corpus)
    assert "0 added, 0 updated, 0 removed" in again.stdout and "0 chunks embedded, 0 deleted" in again.stdout


def test_kills_during_an_update_end_in_the_clean_build(corpus, reference, killer, tmp_path):
    rng = random.Random(SEED + 1)
    own_corpus, data_dir, _ = copy_of_reference(reference, corpus, tmp_path)
    items = [json.loads(line) for line in (own_corpus / "records.jsonl").read_text(encoding="utf-8").splitlines()]
    long_ones = [i for i, item in enumerate(items) if len(item["answer_text"]) > 1500]
    short_ones = [i for i, item in enumerate(items) if len(item["answer_text"]) < 400]
    for i in rng.sample(short_ones, 6):  # grows to several chunks
        items[i]["answer_text"] = " ".join([items[i]["answer_text"]] * 12)
    for i in long_ones[:3]:  # shrinks to one chunk: stale chunks to delete
        items[i]["answer_text"] = items[i]["answer_text"][:300]
    for i in rng.sample(short_ones, 4):
        items[i]["answer_text"] += " An amended figure was given later."
    items += records(5, seed=SEED + 2, start=10_000)
    write_jsonl(own_corpus / "records.jsonl", items)
    for note in sorted((own_corpus / "notes").glob("*.txt"))[:2]:
        note.write_text(note.read_text(encoding="utf-8").replace("Answer\n", "Answer\nA new opening line.\n"))
    before = tmp_path / "before-update"
    shutil.copytree(data_dir, before)

    def prepare() -> None:
        shutil.rmtree(data_dir, ignore_errors=True)
        shutil.copytree(before, data_dir)

    # the update embeds few chunks, so most of its time is start-up: kill anywhere in its first part
    killer.after("update", "random", data_dir, own_corpus, rng.uniform(0.2, 0.6) * reference.seconds, prepare)
    committed_since(data_dir, own_corpus, generation(before), prepare)
    killer.when("update", "after the manifest commit", data_dir, own_corpus, commit_seen(data_dir))
    finish(data_dir, own_corpus)
    state = assert_clean(data_dir, own_corpus)
    assert set(state.manifest_ids) != set(reference.state.manifest_ids)
    assert len(killer.kills) == 2


def test_kills_during_a_deletion_end_in_the_clean_build(corpus, reference, killer, tmp_path):
    rng = random.Random(SEED + 3)
    own_corpus, data_dir, adopt_seconds = copy_of_reference(reference, corpus, tmp_path)
    for note in sorted((own_corpus / "notes").glob("*.txt"))[:3]:
        note.unlink()
    lines = (own_corpus / "records.jsonl").read_text(encoding="utf-8").splitlines(keepends=True)
    dropped = set(rng.sample(range(len(lines)), 15))
    (own_corpus / "records.jsonl").write_text("".join(x for i, x in enumerate(lines) if i not in dropped))
    before = tmp_path / "before-deletion"
    shutil.copytree(data_dir, before)

    def prepare() -> None:
        shutil.rmtree(data_dir, ignore_errors=True)
        shutil.copytree(before, data_dir)

    killer.after("deletion", "random", data_dir, own_corpus, rng.uniform(0.3, 0.95) * adopt_seconds, prepare)
    finish(data_dir, own_corpus)
    state = assert_clean(data_dir, own_corpus)
    assert len(state.documents) == len(reference.state.documents) - 18

    prepare()
    killer.when("deletion", "after the manifest commit", data_dir, own_corpus, commit_seen(data_dir))
    finish(data_dir, own_corpus)
    assert assert_clean(data_dir, own_corpus).manifest_ids == state.manifest_ids
    assert len(killer.kills) == 2
