"""parlqa against a real Chroma server (``chroma run``): index, stats, retrieval, answers, the chat and the eval."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import CORPUS_DIR, EIF_DOC
from fixtures.chroma_server import HOST, free_port, start_server, stop_server
from fixtures.index_runs import run_parlqa
from fixtures.synthetic import write_question_sheets

from index.manifest import Manifest


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    root = tmp_path_factory.mktemp("chroma-server")
    running = start_server(root / "db", root / "chroma.log")
    yield running
    stop_server(running.proc)


@dataclass
class Served:
    data_dir: Path
    corpus: Path
    facts: dict[str, str]
    first: subprocess.CompletedProcess


@pytest.fixture(scope="module")
def served(server, tmp_path_factory):
    """The default corpus and three generated answers, indexed into the server."""
    root = tmp_path_factory.mktemp("served")
    corpus = root / "corpus"
    shutil.copytree(CORPUS_DIR, corpus)
    facts = write_question_sheets(corpus, 3, seed=11, prefix="served")
    data_dir = root / "data"
    first = run_parlqa("index", str(corpus), data_dir=data_dir, **server.env)
    assert first.returncode == 0 and "Traceback" not in first.stderr, first.stderr[-3000:]
    return Served(data_dir, corpus, facts, first)


def manifest_chunk_ids(data_dir: Path) -> set[str]:
    manifest = Manifest(data_dir / "manifest.sqlite3")
    try:
        return manifest.chunk_ids()
    finally:
        manifest.close()


def test_index_writes_chunks_to_the_server_and_keeps_manifest_and_bm25_local(server, served):
    assert "8 added" in served.first.stdout
    ids = manifest_chunk_ids(served.data_dir)
    on_server = server.client().get_collection("parlqa").get(include=[])["ids"]
    assert sorted(on_server) == sorted(ids) and len(ids) >= 8
    assert (served.data_dir / "manifest.sqlite3").exists() and (served.data_dir / "bm25" / "columns.json").exists()
    assert not (served.data_dir / "chroma").exists()
    assert any(p.name == "chroma.sqlite3" for p in server.path.iterdir())

    stats = run_parlqa("stats", data_dir=served.data_dir, **server.env)
    assert stats.returncode == 0
    assert f"store: chroma server http://{HOST}:{server.port} (collection parlqa)" in stats.stdout
    assert f"8 documents, {len(ids)} chunks" in stats.stdout

    # the --chroma-host option reaches the same store, and nothing is re-embedded
    args = ["index", str(served.corpus), "--chroma-host", HOST]
    again = run_parlqa(*args, data_dir=served.data_dir, PARLQA_CHROMA_PORT=str(server.port))
    assert again.returncode == 0 and "0 added, 0 updated, 0 removed, 8 unchanged; 0 chunks embedded" in again.stdout


def test_assistant_retrieves_and_answers_through_the_server(server, served):
    from qa.assistant import Assistant

    bot = Assistant(chroma_host=HOST, chroma_port=server.port, data_dir=served.data_dir, auto_index=False, model="tiny")
    stem, fact = sorted(served.facts.items())[1]
    assert bot.retrieve(fact, mode="dense")[0].doc_id == stem  # dense hits come from the server only
    assert bot.retrieve(fact)[0].doc_id == stem
    answer = bot.ask("When was the Early Intervention Foundation set up?")
    assert not answer.refused and "2013" in answer.text
    assert EIF_DOC in answer.cited_doc_ids()


def test_a_second_data_dir_needs_its_own_collection(server, served, tmp_path):
    corpus = tmp_path / "corpus"
    facts = write_question_sheets(corpus, 2, seed=12, prefix="second")
    data_dir = tmp_path / "data"
    before = sorted(server.client().get_collection("parlqa").get(include=[])["ids"])

    clash = run_parlqa("index", str(corpus), data_dir=data_dir, **server.env)
    assert clash.returncode == 1 and "Traceback" not in clash.stderr
    assert "belongs to another parlqa index" in clash.stderr and "PARLQA_COLLECTION" in clash.stderr
    assert sorted(server.client().get_collection("parlqa").get(include=[])["ids"]) == before

    own = run_parlqa("index", str(corpus), data_dir=data_dir, PARLQA_COLLECTION="parlqa_second", **server.env)
    assert own.returncode == 0 and "2 added" in own.stdout, own.stderr[-3000:]
    second = server.client().get_collection("parlqa_second").get(include=[])["ids"]
    assert {i.split(":")[0] for i in second} == set(facts)
    assert sorted(server.client().get_collection("parlqa").get(include=[])["ids"]) == before
    assert manifest_chunk_ids(served.data_dir) == set(before)


def test_index_survives_a_server_restart_and_reports_a_server_that_is_down(tmp_path):
    corpus = tmp_path / "corpus"
    write_question_sheets(corpus, 2, seed=13, prefix="restart")
    data_dir = tmp_path / "data"
    running = start_server(tmp_path / "db", tmp_path / "chroma.log")
    try:
        first = run_parlqa("index", str(corpus), data_dir=data_dir, **running.env)
        assert first.returncode == 0 and "2 added" in first.stdout, first.stderr[-3000:]
    finally:
        stop_server(running.proc)
    assert running.proc.returncode is not None

    down = run_parlqa("index", str(corpus), data_dir=data_dir, **running.env)
    assert down.returncode == 1 and "Traceback" not in down.stderr
    assert "cannot open the Chroma store" in down.stderr

    restarted = start_server(tmp_path / "db", tmp_path / "chroma.log")
    try:
        again = run_parlqa("index", str(corpus), data_dir=data_dir, **restarted.env)
        assert again.returncode == 0 and "0 added, 0 updated, 0 removed, 2 unchanged" in again.stdout
        assert "repaired" not in again.stdout
        assert restarted.client().get_collection("parlqa").count() == len(manifest_chunk_ids(data_dir))
    finally:
        stop_server(restarted.proc)


def test_ask_reports_a_server_that_is_down_in_one_line(tmp_path):
    env = {"PARLQA_CHROMA_HOST": HOST, "PARLQA_CHROMA_PORT": str(free_port())}  # nothing listens there
    down = run_parlqa("ask", "Early Intervention Foundation", data_dir=tmp_path / "data", **env)
    assert down.returncode == 1 and "Traceback" not in down.stderr
    assert "cannot open the Chroma store" in down.stderr


def test_chat_answers_through_the_server(server, served):
    from gradio_client import Client

    from parlqa.settings import Settings
    from ui.app import launch

    settings = Settings(
        data_dir=served.data_dir, chroma_host=HOST, chroma_port=server.port, model="tiny", max_new_tokens=48
    )
    demo = launch(settings, port=free_port(), block=False, quiet=True)
    try:
        reply = Client(demo.local_url, verbose=False).predict(
            "When was the Early Intervention Foundation set up?", api_name="/ask"
        )
    finally:
        demo.close()
    assert EIF_DOC in {c["doc_id"] for c in reply["citations"]}
    # the tiny model's draft is shown when the verifier finds it stated, else the closest passages are cited
    assert "2013" in (reply["text"] if not reply["refused"] else " ".join(c["passage"] for c in reply["citations"]))


def test_eval_indexes_into_its_own_server_collection(server, tmp_path):
    import json

    out = tmp_path / "report"
    args = ["eval", "--set", "default", "--retrieval", "hybrid", "--k", "5", "--retrieval-only", "--limit", "12"]
    done = run_parlqa(*args, "--data-dir", str(tmp_path / "eval"), "--out", str(out), data_dir=tmp_path, **server.env)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr[-3000:]
    collection = server.client().get_collection("parlqa-eval-default-c256")
    assert collection.count() == len(manifest_chunk_ids(tmp_path / "eval" / "default-c256")) >= 5
    assert not (tmp_path / "eval" / "default-c256" / "chroma").exists()  # no embedded store beside it
    metrics = json.loads((out / "results.json").read_text())["configurations"][0]["metrics"]
    assert metrics["n"] == 12 and metrics["hit@5"] >= 0.9
