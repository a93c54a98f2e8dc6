"""Readers follow the index: the version check's cache, and what a reader reloads when another process indexes."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import CORPUS_DIR, EIF_DOC
from fixtures.chat_process import ChatProcess, start_chat, stop_chat
from fixtures.chroma_server import start_server, stop_server
from fixtures.index_runs import run_parlqa

from index.freshness import GenerationWatch, IndexVersion, LiveIndex
from index.lexical import LexicalIndex
from index.manifest import Manifest, StoredChunk
from parlqa.settings import Settings

FIXTURES = Path(__file__).resolve().parent / "ui_fixtures"
YOUTH_DOC = "youth_clubs_fund"
YOUTH_QUESTION = "How much was the youth clubs fund in 2020?"


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class CountingStore:
    def __init__(self) -> None:
        self.reopened = 0

    def reopen(self) -> None:
        self.reopened += 1


def _bump(settings: Settings) -> None:
    manifest = Manifest(settings.manifest_path)
    try:
        manifest.delete_documents([])  # a commit that moves the generation
    finally:
        manifest.close()


def _save_bm25(settings: Settings, generation: int, texts: list[str]) -> None:
    chunks = [StoredChunk(f"doc{i}:0:x", f"doc{i}", text, {}) for i, text in enumerate(texts)]
    LexicalIndex.build(chunks, generation).save(settings.bm25_dir)


@pytest.mark.unit
def test_generation_watch_reads_at_most_once_per_interval(tmp_path):
    settings = Settings(data_dir=tmp_path / "data", index_check_interval=1.0)
    clock = Clock()
    watch = GenerationWatch(settings, clock=clock)
    assert watch.poll() == IndexVersion(0, None) and watch.reads == 1  # no index yet: nothing to open

    _bump(settings)
    assert watch.poll() is None  # within the interval the last version stands, nothing is read
    clock.now += 0.5
    assert watch.poll() is None and watch.reads == 1
    clock.now += 0.5
    assert watch.poll() == IndexVersion(1, None) and watch.reads == 2

    _save_bm25(settings, 1, ["youth clubs"])
    _bump(settings)
    clock.now += 0.99
    assert watch.poll() is None
    clock.now += 0.01
    assert watch.poll() == IndexVersion(2, 1)

    # the data dir made again from scratch: the watch reads the new manifest, not the deleted one
    watch_db = watch._db
    shutil.rmtree(settings.data_dir)
    _bump(settings)
    clock.now += 1
    assert watch.poll() == IndexVersion(1, None) and watch._db is not watch_db
    watch.close()

    every = GenerationWatch(settings.with_overrides(index_check_interval=0.0), clock=clock)
    assert [every.poll() for _ in range(3)] == [IndexVersion(1, None)] * 3 and every.reads == 3
    every.close()


@pytest.mark.unit
def test_live_index_reloads_bm25_and_reopens_the_store_when_the_index_moves(tmp_path):
    settings = Settings(data_dir=tmp_path / "data", index_check_interval=1.0)
    clock = Clock()
    store = CountingStore()
    _bump(settings)
    _save_bm25(settings, 1, ["the early intervention foundation"])
    live = LiveIndex(settings, store, GenerationWatch(settings, clock=clock))

    first = live.lexical()
    assert first.generation == 1 and len(first.columns) == 1
    assert store.reopened == 1  # the first search reads the store afresh
    for _ in range(50):
        assert live.lexical() is first  # no check inside the interval
    assert live.watch.reads == 1

    # a run commits to the manifest, then (its last step) saves BM25: the store is reopened at each sight
    _bump(settings)
    clock.now += 1
    assert live.lexical() is first and store.reopened == 2 and live.reloaded == 1
    _save_bm25(settings, 2, ["the early intervention foundation", "the youth clubs capital fund"])
    assert live.lexical() is first  # inside the interval
    clock.now += 1
    second = live.lexical()
    assert second.generation == 2 and len(second.columns) == 2
    assert store.reopened == 3 and live.reloaded == 2

    clock.now += 5
    assert live.lexical() is second and store.reopened == 3  # nothing moved: nothing reloaded


@pytest.mark.unit
def test_live_index_without_an_index_serves_an_empty_one(tmp_path):
    settings = Settings(data_dir=tmp_path / "data")
    live = LiveIndex(settings, CountingStore())
    assert len(live.lexical().columns) == 0


@pytest.fixture
def own_index(tmp_path) -> tuple[Settings, Path]:
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS_DIR, corpus)
    settings = Settings(data_dir=tmp_path / "data", model="tiny")
    first = run_parlqa("index", str(corpus), data_dir=settings.data_dir)
    assert first.returncode == 0, first.stderr[-2000:]
    return settings, corpus


def test_an_assistant_serves_what_another_process_indexes(own_index):
    from qa.assistant import Assistant

    settings, corpus = own_index
    bot = Assistant(settings.with_overrides(index_check_interval=0.0), auto_index=False)
    for mode in ("dense", "bm25", "hybrid"):
        assert YOUTH_DOC not in {h.doc_id for h in bot.retrieve(YOUTH_QUESTION, k=3, mode=mode)}

    shutil.copy(FIXTURES / "youth_clubs_fund.txt", corpus / "youth_clubs_fund.txt")
    added = run_parlqa("index", str(corpus), data_dir=settings.data_dir)
    assert added.returncode == 0 and "1 added" in added.stdout, added.stderr[-2000:]
    for mode in ("dense", "bm25", "hybrid"):  # dense: the embedded store was read afresh
        assert bot.retrieve(YOUTH_QUESTION, k=3, mode=mode)[0].doc_id == YOUTH_DOC, mode

    (corpus / "youth_clubs_fund.txt").unlink()
    removed = run_parlqa("index", str(corpus), data_dir=settings.data_dir)
    assert removed.returncode == 0 and "1 removed" in removed.stdout, removed.stderr[-2000:]
    for mode in ("dense", "bm25", "hybrid"):
        assert YOUTH_DOC not in {h.doc_id for h in bot.retrieve(YOUTH_QUESTION, k=3, mode=mode)}, mode


# a running chat, and parlqa index beside it -----------------------------------------------------------------

EIF_QUESTION = "When was the Early Intervention Foundation set up?"


def _ask(chat: ChatProcess, question: str) -> tuple[dict, set[str], str]:
    """The /ask reply, the ids it cites, and the text it shows with its cited passages."""
    reply = chat.client().predict(question, "", 3, "tiny", "", api_name="/ask")
    cited = {c["doc_id"] for c in reply["citations"]}
    shown = " ".join([reply["text"], *(c["passage"] for c in reply["citations"])])
    return reply, cited, shown


def _documents(chat: ChatProcess) -> int:
    return chat.client().predict(api_name="/status")["documents"]


def _follow_an_index_run(chats: list[ChatProcess], corpus: Path, data_dir: Path, **env: str) -> None:
    """Ask each chat first, add a document with ``parlqa index`` beside them, then delete it and index again."""
    for chat in chats:
        _, cited, shown = _ask(chat, EIF_QUESTION)  # loads the readers
        assert EIF_DOC in cited and "2013" in shown
        _, cited, _ = _ask(chat, YOUTH_QUESTION)
        assert YOUTH_DOC not in cited
        assert _documents(chat) == 5

    shutil.copy(FIXTURES / "youth_clubs_fund.txt", corpus / "youth_clubs_fund.txt")
    added = run_parlqa("index", str(corpus), data_dir=data_dir, **env)
    assert added.returncode == 0 and "1 added" in added.stdout, added.stderr[-3000:]
    for chat in chats:
        reply, cited, shown = _ask(chat, YOUTH_QUESTION)
        assert YOUTH_DOC in cited, reply
        assert reply["citations"][0]["doc_id"] == YOUTH_DOC and "43.7 million" in shown
        assert _documents(chat) == 6

    (corpus / "youth_clubs_fund.txt").unlink()
    removed = run_parlqa("index", str(corpus), data_dir=data_dir, **env)
    assert removed.returncode == 0 and "1 removed" in removed.stdout, removed.stderr[-3000:]
    for chat in chats:
        reply, cited, shown = _ask(chat, YOUTH_QUESTION)
        assert YOUTH_DOC not in cited and "43.7 million" not in shown, reply
        assert _documents(chat) == 5


def test_a_running_chat_serves_what_parlqa_index_adds_and_removes(own_index, tmp_path):
    settings, corpus = own_index
    chat = start_chat(settings.data_dir, tmp_path / "chat.log")
    try:
        _follow_an_index_run([chat], corpus, settings.data_dir)
    finally:
        stop_chat(chat.proc)


def test_two_chats_on_a_chroma_server_serve_what_parlqa_index_adds_and_removes(tmp_path):
    server = start_server(tmp_path / "db", tmp_path / "chroma.log")
    chats: list[ChatProcess] = []
    try:
        corpus = tmp_path / "corpus"
        shutil.copytree(CORPUS_DIR, corpus)
        data_dir = tmp_path / "data"
        first = run_parlqa("index", str(corpus), data_dir=data_dir, **server.env)
        assert first.returncode == 0 and "5 added" in first.stdout, first.stderr[-3000:]
        chats = [start_chat(data_dir, tmp_path / f"chat-{i}.log", **server.env) for i in range(2)]
        _follow_an_index_run(chats, corpus, data_dir, **server.env)
        assert not (data_dir / "chroma").exists()  # the vectors stayed on the server
    finally:
        for chat in chats:
            stop_chat(chat.proc)
        stop_server(server.proc)
