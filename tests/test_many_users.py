"""Many users on real parts: two ``parlqa chat`` processes sharing one ``chroma run`` server, one model server
(``parlqa serve-model``, tiny preset) and one data dir. A document indexed beside them is answered by both, 50
questions at once are all answered, and a model server killed during a question is one line in the chat, which
answers again once the server is back on its port."""

from __future__ import annotations

import json
import shutil
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from conftest import CORPUS_DIR, EIF_DOC, REPO
from fixtures.chat_process import ChatProcess, gather, start_chat, stop_chat
from fixtures.chroma_server import Server, start_server, stop_server
from fixtures.index_runs import run_parlqa
from fixtures.model_server import ModelServer, served, start_model_server, tiny_installed
from fixtures.processes import free_port, stop

from parlqa.settings import Settings

pytestmark = pytest.mark.skipif(not tiny_installed(), reason="the tiny model preset is not installed")

FIXTURES = Path(__file__).resolve().parent / "ui_fixtures"
YOUTH_DOC = "youth_clubs_fund"
YOUTH_QUESTION = "How much was the youth clubs fund in 2020?"
EIF_QUESTION = "When was the Early Intervention Foundation set up?"
OFFENCES_QUESTION = "Which minister answered the Offences against Children question, and on what date?"
QUESTIONS = [
    json.loads(line)["question"] for line in (REPO / "eval" / "sets" / "default.jsonl").read_text().splitlines()[:10]
]


@dataclass
class Team:
    """The shared parts, and the two chat processes in front of them."""

    root: Path
    corpus: Path
    data_dir: Path
    chroma: Server
    port: int  # the model server's, kept across a restart
    server: ModelServer
    chats: list[ChatProcess] = field(default_factory=list)

    @property
    def env(self) -> dict[str, str]:
        """What every parlqa process of the team is started with."""
        return {**self.chroma.env, **served(self.server.url)}


@pytest.fixture(scope="module")
def team(tmp_path_factory) -> Iterator[Team]:
    root = tmp_path_factory.mktemp("many-users")
    chroma = start_server(root / "chroma", root / "chroma.log", timeout=180)  # startup slows on a busy machine
    servers: list[ModelServer] = []
    chats: list[ChatProcess] = []
    try:
        port = free_port()
        servers.append(start_model_server(port, root / "model-server.log", timeout=300))
        corpus = root / "corpus"
        shutil.copytree(CORPUS_DIR, corpus)
        team = Team(root, corpus, root / "data", chroma, port, servers[0], chats)
        first = run_parlqa("index", str(corpus), data_dir=team.data_dir, **team.env)
        assert first.returncode == 0 and "5 added" in first.stdout, first.stderr[-3000:]
        chats.extend(
            start_chat(team.data_dir, root / f"chat-{i}.log", PARLQA_MAX_NEW_TOKENS="24", **team.env) for i in range(2)
        )
        yield team
        servers.append(team.server)  # the one running now, after a restart
    finally:
        for chat in chats:
            stop_chat(chat.proc)
        for server in servers:
            if server.proc.poll() is None:
                stop(server.proc)
        stop_server(chroma.proc)
    for chat in chats:
        assert "Traceback" not in chat.log.read_text(errors="replace"), chat.log


def _ask(chat: ChatProcess, question: str) -> dict:
    return chat.client().predict(question, "", 3, "", "", api_name="/ask")


def _documents(chat: ChatProcess) -> int:
    return chat.client().predict(api_name="/status")["documents"]


def test_a_document_indexed_beside_one_chat_is_answered_by_the_other(team: Team) -> None:
    first, second = team.chats
    for chat in team.chats:
        assert YOUTH_DOC not in {c["doc_id"] for c in _ask(chat, YOUTH_QUESTION)["citations"]}
        assert _documents(chat) == 5

    # the first chat's host adds the document to the shared index, with the first chat's settings
    shutil.copy(FIXTURES / "youth_clubs_fund.txt", team.corpus / "youth_clubs_fund.txt")
    added = run_parlqa("index", str(team.corpus), data_dir=team.data_dir, **team.env)
    assert added.returncode == 0 and "1 added" in added.stdout, added.stderr[-3000:]

    for chat in (second, first):  # neither was restarted
        before = team.server.requests()
        reply = _ask(chat, YOUTH_QUESTION)
        assert team.server.requests() > before  # the model server wrote the answer
        assert reply["citations"] and reply["citations"][0]["doc_id"] == YOUTH_DOC, reply
        shown = " ".join([reply["text"], *(c["passage"] for c in reply["citations"])])
        assert "43.7 million" in shown
        assert _documents(chat) == 6
    assert not (team.data_dir / "chroma").exists()  # the vectors live on the Chroma server


def test_fifty_concurrent_questions_over_two_chats(team: Team) -> None:
    clients = [chat.client() for chat in team.chats]
    before = team.server.requests()
    started = time.perf_counter()
    # one passage each: the prompt, not the parts, is what would make 50 answers slow on the tiny model
    jobs = [clients[i % 2].submit(QUESTIONS[i % len(QUESTIONS)], "", 1, "", "", api_name="/ask") for i in range(50)]
    results, errors = gather(jobs)
    elapsed = time.perf_counter() - started
    drafts = [r["timings"] for r in results if "generate" in r["timings"]]
    generated = len(drafts)
    if drafts:
        print({k: round(sum(t.get(k, 0) for t in drafts) / generated, 2) for k in drafts[0]})
    print(
        f"\n50 questions over two chats: {len(results)} replies ({generated} generated), {len(errors)} errors, "
        f"{elapsed:.0f} s"
    )
    assert errors == []
    assert len(results) == 50
    for result in results:
        assert isinstance(result["text"], str) and result["text"].strip()
        assert isinstance(result["refused"], bool)
        assert result["refused"] or result["citations"]  # an answer always comes with its sources
    assert generated > 0 and team.server.requests() - before >= generated  # each draft came from the server


def _hold(url: str, outcome: dict) -> None:
    """Stream a long answer straight from the server (its end-of-text tokens barred) until the server dies."""
    from qa.remote_llm import load_server_model

    model = load_server_model(
        Settings(llm_url=url, llm_model="tiny", max_new_tokens=2000), logit_bias={0: -100, 2: -100}
    )
    try:
        outcome["tokens"] = sum(1 for _ in model.stream("Count from one to one thousand in words."))
    except Exception as exc:  # noqa: BLE001 - the outcome is the test's to judge
        outcome["error"] = exc


def test_a_killed_model_server_is_one_line_and_a_restarted_one_answers(team: Team) -> None:
    from gradio_client.exceptions import AppError

    from qa.errors import ModelServerError

    first, second = team.chats
    url = team.server.url
    client = first.client()
    _ask(first, EIF_QUESTION)  # the system prompt is cached: the held answer below starts at once

    held: dict = {}
    before = team.server.requests()
    holder = threading.Thread(target=_hold, args=(url, held), daemon=True)
    holder.start()
    deadline = time.monotonic() + 60
    while team.server.requests() == before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert team.server.requests() > before, "the held answer never reached the server"
    job = client.submit(EIF_QUESTION, "", 3, "", "", api_name="/ask")  # waits behind the held answer
    time.sleep(3)
    assert not job.done() and holder.is_alive()
    team.server.proc.kill()  # by pid, mid-answer
    team.server.proc.wait()
    holder.join(timeout=60)

    # the answer being streamed is an error naming the server, not a short answer
    assert isinstance(held.get("error"), ModelServerError), held
    assert str(held["error"]).startswith(f"the model server at {url} ")
    # the chat's question fails with one line naming the URL and the cause
    with pytest.raises(AppError) as failed:
        job.result(timeout=120)
    message = str(failed.value)
    assert message.startswith(f"the model server at {url} ") and "\n" not in message, message

    # the chats keep working: status, a question the record's fields answer, and the same error for the rest
    for chat in team.chats:
        assert _documents(chat) >= 5
    metadata = _ask(second, OFFENCES_QUESTION)
    assert not metadata["refused"] and metadata["question_type"] == "metadata"
    assert "Edward Timpson" in metadata["text"]
    with pytest.raises(AppError, match=f"the model server at {url} could not be reached"):
        _ask(second, EIF_QUESTION)

    # the server back on the same port: the next question is answered, by either chat, with nothing restarted
    team.server = start_model_server(team.port, team.root / "model-server-again.log", timeout=300)
    for chat in (first, second):
        before = team.server.requests()
        reply = _ask(chat, EIF_QUESTION)
        assert team.server.requests() > before
        assert any(c["doc_id"] == EIF_DOC for c in reply["citations"])
        assert reply["refused"] or "2013" in reply["text"]
