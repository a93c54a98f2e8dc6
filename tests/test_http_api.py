"""The JSON HTTP API beside the chat: a real server on a free loopback port over the default corpus, with the tiny
model, called with httpx: every route, the order of the streamed events, bad input and the login."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import anyio
import httpx
import pytest
from fixtures.processes import free_port
from pydantic import SecretStr, ValidationError

from qa.types import Filters, StreamEvent
from ui.api import FilterFields, Turns, _describe
from ui.api_page import openapi_html
from ui.generation import GENERATION_LOCK

EIF_QUESTION = "When was the Early Intervention Foundation set up?"
EIF_DOC = "000_73a33f3ed1e0367a"
LORDS_DOC = "001_49094da6f0fad395"
USER, PASSWORD = "reader", "secret"


@pytest.fixture(scope="module")
def server(assistant) -> Iterator[str]:
    """The chat and its API, without a login."""
    from ui.app import launch

    assert assistant.settings.ui_user is None
    demo = launch(assistant=assistant, port=free_port(), block=False, quiet=True)
    assert demo.server_name == "127.0.0.1"
    yield demo.local_url
    demo.close()


@pytest.fixture(scope="module")
def api(server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server, timeout=300) as client:
        yield client


def _events(response: httpx.Response) -> list[tuple[str, dict]]:
    """(event, data) of each server-sent event."""
    found, name, data = [], None, []
    for line in response.iter_lines():
        if line.startswith("event: "):
            name = line.removeprefix("event: ")
        elif line.startswith("data: "):
            data.append(line.removeprefix("data: "))
        elif not line and name:
            found.append((name, json.loads("\n".join(data))))
            name, data = None, []
    return found


# the routes -----------------------------------------------------------------------------------------------------


def test_health_counts_the_index(api):
    health = api.get("/api/health")
    assert health.status_code == 200
    found = health.json()
    assert found.pop("passages") >= 5
    assert found == {"status": "ok", "documents": 5, "indexing": False, "model": "tiny"}


def test_ask_answers_with_citations_and_no_hits(api):
    reply = api.post("/api/ask", json={"question": EIF_QUESTION})
    assert reply.status_code == 200, reply.text
    answer = reply.json()
    assert "hits" not in answer
    assert answer["question"] == EIF_QUESTION and answer["model"] == "tiny"
    assert EIF_DOC in [c["doc_id"] for c in answer["citations"]]
    assert "2013" in answer["text"] + " ".join(e["text"] for e in answer["extract"])


def test_ask_takes_history_filters_and_k(api):
    body = {
        "question": "And who answered it?",
        "history": [
            {"role": "user", "content": EIF_QUESTION},
            {"role": "assistant", "content": "The Early Intervention Foundation was set up in 2013 [1]."},
        ],
        "filters": {"since": "2016-01-01", "until": "2016-12-31", "answerer": "Timpson"},
        "k": 2,
        "model": "tiny",
    }
    reply = api.post("/api/ask", json=body)
    assert reply.status_code == 200, reply.text
    answer = reply.json()
    assert "Early Intervention Foundation" in answer["standalone_question"]
    assert {c["doc_id"] for c in answer["citations"]} <= {EIF_DOC}  # the filters let only that answer through


def test_stream_sends_extract_then_tokens_then_the_answer(api):
    with api.stream("POST", "/api/ask/stream", json={"question": EIF_QUESTION}) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        events = _events(response)
    names = [name for name, _ in events]
    assert names[0] == "extract" and names[-1] == "answer", names
    assert names[1:-1] and set(names[1:-1]) == {"token"}, names
    extract = events[0][1]
    assert extract["extract"] and EIF_DOC in [c["doc_id"] for c in extract["citations"]]
    assert all(isinstance(data["text"], str) and data["text"] for name, data in events if name == "token")
    answer = events[-1][1]
    assert answer["question"] == EIF_QUESTION and "hits" not in answer and answer["text"]


def test_a_failure_after_the_stream_starts_is_an_error_event(api, tmp_path: Path):
    broken = tmp_path / "broken.gguf"
    broken.write_bytes(b"GGUF" + b"\x03\x00\x00\x00" + b"not a model" * 8)
    body = {"question": EIF_QUESTION, "model": str(broken)}
    with api.stream("POST", "/api/ask/stream", json=body) as response:
        assert response.status_code == 200
        events = _events(response)
    assert [name for name, _ in events] == ["extract", "error"]
    error = events[-1][1]
    assert str(broken) in error["detail"] and error["advice"]
    whole = api.post("/api/ask", json=body)  # the same failure, asked whole: one line, no traceback
    assert whole.status_code == 400 and "Traceback" not in whole.text and str(broken) in whole.json()["detail"]


class EndlessAssistant:
    """Streams tokens until its reader goes away, and records when its stream is closed."""

    def __init__(self, settings):
        self.settings = settings
        self.closed = threading.Event()

    def warm_up(self, model=None):
        pass

    def stream(self, question, **kwargs):
        try:
            yield StreamEvent(type="extract")
            while True:
                time.sleep(0.05)
                yield StreamEvent(type="token", text="more ")
        finally:
            self.closed.set()


def test_a_reader_leaving_mid_stream_ends_the_answer(default_settings):
    """The model is held while an answer streams: a reader that goes away must end it and hand the model on."""
    from ui.app import launch

    endless = EndlessAssistant(default_settings)
    demo = launch(assistant=endless, port=free_port(), block=False, quiet=True)
    try:
        with (
            httpx.Client(base_url=demo.local_url, timeout=30) as client,
            client.stream("POST", "/api/ask/stream", json={"question": EIF_QUESTION}) as response,
        ):
            tokens = 0
            for line in response.iter_lines():
                tokens += line == "event: token"
                if tokens == 3:
                    break
        assert endless.closed.wait(10), "the answer went on after its reader left"
        assert GENERATION_LOCK.acquire(timeout=5)
        GENERATION_LOCK.release()
    finally:
        demo.close()


@pytest.mark.unit
def test_a_stream_closed_mid_way_closes_its_source_and_ends_its_turn():
    closed = threading.Event()

    def source():
        try:
            while True:
                yield "event: token\n\n"
        finally:
            closed.set()

    async def read_one_and_leave(turns: Turns) -> None:
        events = turns.stream(source())
        assert await events.__anext__() == "event: token\n\n"
        assert turns.turn.value == 0  # this stream's turn
        await events.aclose()

    turns = Turns(most_waiting=4)
    anyio.run(read_one_and_leave, turns)
    assert closed.is_set() and turns.turn.value == 1


def test_search_filters_sorts_and_pages(api):
    found = api.get("/api/search", params={"q": "Early Intervention Foundation"}).json()
    assert found["total"] == 1 and found["results"][0]["doc_id"] == EIF_DOC
    assert found["results"][0]["highlights"]

    everything = api.get("/api/search", params={"sort": "newest", "page_size": 2}).json()
    assert everything["total"] == 5 and len(everything["results"]) == 2
    last = api.get("/api/search", params={"sort": "newest", "page_size": 2, "page": 3}).json()
    assert len(last["results"]) == 1
    days = [r["date_answered"] or r["date_asked"] for r in everything["results"] + last["results"]]
    dated = [d for d in days if d]
    assert days[: len(dated)] == sorted(dated, reverse=True)  # newest first, undated ones last

    lords = api.get("/api/search", params={"answerer": "agnew", "since": "2018-01-01", "until": "2018-12-31"}).json()
    assert [r["doc_id"] for r in lords["results"]] == [LORDS_DOC]
    assert lords["filters"]["answerer"] == "agnew" and lords["filters"]["since"] == "2018-01-01"


def test_timeline_groups_answers_by_month(api):
    reply = api.get("/api/timeline", params={"q": "children", "limit": 3, "until": "2018-12-31"})
    assert reply.status_code == 200, reply.text
    timeline = reply.json()
    assert timeline["query"] == "children" and 1 <= timeline["shown"] <= 3 and timeline["filters"]["until"]
    assert timeline["months"] and timeline["chart"] and timeline["summary"] is None
    months = [m["month"] for m in timeline["months"]]
    assert months == sorted(months)
    summarised = api.get("/api/timeline", params={"q": "children", "limit": 3, "summary": True, "model": "tiny"})
    assert summarised.status_code == 200, summarised.text
    assert summarised.json()["summary"] is not None


def test_documents_by_id(api):
    document = api.get(f"/api/documents/{EIF_DOC}")
    assert document.status_code == 200
    assert document.json()["doc_id"] == EIF_DOC and "2013" in document.json()["answer"]
    missing = api.get("/api/documents/no-such-document")
    assert missing.status_code == 404 and "no-such-document" in missing.json()["detail"]


def test_openapi_description_and_page(api):
    spec = api.get("/api/openapi.json")
    assert spec.status_code == 200
    paths = spec.json()["paths"]
    for path in (
        "/api/ask",
        "/api/ask/stream",
        "/api/search",
        "/api/timeline",
        "/api/documents/{doc_id}",
        "/api/health",
    ):
        assert path in paths
    assert not any(p.startswith("/gradio_api") for p in paths)  # the chat's own routes are not described
    page = api.get("/api/docs")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "/api/ask/stream" in page.text and "AskRequest" in page.text
    assert "<script" not in page.text and "src=" not in page.text  # nothing is fetched from elsewhere


def test_questions_take_turns_with_the_chat(server, api):
    """While one answer is being written (the generation lock held), the API's and the chat's questions wait;
    search does not."""
    from gradio_client import Client

    outcome: dict = {}

    def ask() -> None:
        outcome["reply"] = api.post("/api/ask", json={"question": EIF_QUESTION})

    chat = Client(server, verbose=False)
    with GENERATION_LOCK:
        asking = threading.Thread(target=ask)
        asking.start()
        job = chat.submit(EIF_QUESTION, api_name="/ask")
        time.sleep(2)
        assert asking.is_alive() and not job.done()
        assert api.get("/api/search", params={"q": "councils"}).status_code == 200
    asking.join(300)
    assert outcome["reply"].status_code == 200
    assert job.result(timeout=300)["question"] == EIF_QUESTION


# bad input -----------------------------------------------------------------------------------------------------


BAD_ASKS = [
    ({}, 422, "question"),
    ({"question": "   "}, 422, "question"),
    ({"question": EIF_QUESTION, "filters": {"since": "21/12/2016"}}, 422, "since"),
    ({"question": EIF_QUESTION, "filters": {"until": "2016-02-30"}}, 422, "until"),
    ({"question": EIF_QUESTION, "filters": {"since": "2017-01-01", "until": "2016-01-01"}}, 422, "since"),
    ({"question": EIF_QUESTION, "filters": {"house": "Senate"}}, 422, "house"),
    ({"question": EIF_QUESTION, "k": 0}, 422, "k"),
    ({"question": EIF_QUESTION, "history": [{"role": "system", "content": "x"}]}, 422, "history"),
    ({"question": EIF_QUESTION, "colour": "blue"}, 422, "colour"),
    ({"question": EIF_QUESTION, "model": "no-such-model"}, 400, "model"),
]
BAD_QUERIES = [
    ("/api/search", {"page_size": 0}, 422, "page_size"),
    ("/api/search", {"page_size": 100_000}, 422, "page_size"),
    ("/api/search", {"page": 0}, 422, "page"),
    ("/api/search", {"sort": "best"}, 422, "sort"),
    ("/api/search", {"since": "2016-1-1"}, 422, "since"),
    ("/api/search", {"since": "2017-01-01", "until": "2016-01-01"}, 422, "since"),
    ("/api/search", {"kind": "letter"}, 422, "kind"),
    ("/api/search", {"pagesize": 5}, 422, "pagesize"),
    ("/api/timeline", {}, 422, "q"),
    ("/api/timeline", {"q": "children", "limit": 0}, 422, "limit"),
    ("/api/timeline", {"q": "children", "summary": "perhaps"}, 422, "summary"),
]


def _one_line_naming(reply: httpx.Response, status: int, field: str) -> None:
    assert reply.status_code == status, reply.text
    detail = reply.json()["detail"]
    assert isinstance(detail, str) and "\n" not in detail and "Traceback" not in detail
    assert field in detail, detail


@pytest.mark.parametrize(("body", "status", "field"), BAD_ASKS)
@pytest.mark.parametrize("route", ["/api/ask", "/api/ask/stream"])
def test_bad_questions_are_4xx_naming_the_field(api, route, body, status, field):
    _one_line_naming(api.post(route, json=body), status, field)


@pytest.mark.parametrize(("route", "params", "status", "field"), BAD_QUERIES)
def test_bad_queries_are_4xx_naming_the_field(api, route, params, status, field):
    _one_line_naming(api.get(route, params=params), status, field)


def test_a_body_that_is_not_json_is_422(api):
    reply = api.post("/api/ask", content=b"{not json", headers={"content-type": "application/json"})
    assert reply.status_code == 422 and "JSON" in reply.json()["detail"]


# login -------------------------------------------------------------------------------------------------------


class WithLogin:
    """The session's assistant, with settings that ask for a login (PARLQA_UI_USER and PARLQA_UI_PASSWORD)."""

    def __init__(self, assistant):
        self.assistant = assistant
        self.settings = assistant.settings.model_copy(update={"ui_user": USER, "ui_password": SecretStr(PASSWORD)})

    def __getattr__(self, name: str):
        return getattr(self.assistant, name)


@pytest.fixture(scope="module")
def guarded(assistant) -> Iterator[str]:
    """The chat and its API with a login."""
    from ui.app import launch

    demo = launch(assistant=WithLogin(assistant), port=free_port(), block=False, quiet=True)
    yield demo.local_url
    demo.close()


ROUTES = [
    ("GET", "/api/health", None),
    ("GET", f"/api/documents/{EIF_DOC}", None),
    ("GET", "/api/search?q=councils", None),
    ("GET", "/api/openapi.json", None),
    ("GET", "/api/docs", None),
    ("POST", "/api/ask", {"question": "   "}),  # refused before answering: 422 once logged in
]


def test_login_is_required_by_every_route(guarded):
    with httpx.Client(base_url=guarded, timeout=60) as client:
        for method, path, body in ROUTES:
            anonymous = client.request(method, path, json=body)
            assert anonymous.status_code == 401, path
            assert anonymous.headers["www-authenticate"].startswith("Basic")
            assert client.request(method, path, json=body, auth=(USER, "wrong")).status_code == 401, path
            logged_in = client.request(method, path, json=body, auth=(USER, PASSWORD))
            assert logged_in.status_code == (422 if body else 200), path


def test_a_browser_logged_in_to_the_chat_may_call_the_api(guarded):
    with httpx.Client(base_url=guarded, timeout=60) as browser:
        assert browser.get("/api/health").status_code == 401
        assert browser.post("/login", data={"username": USER, "password": PASSWORD}).status_code == 200
        assert browser.get("/api/health").status_code == 200
        assert browser.get("/config").status_code == 200  # the chat's own routes, with the same cookie


# units -------------------------------------------------------------------------------------------------------


@pytest.mark.unit
def test_filter_fields_read_days_and_blanks():
    from datetime import date

    fields = FilterFields(since="2016-01-01", until=date(2016, 12, 31), department=" Education ", house="", asker="")
    assert fields.filters() == Filters(since=date(2016, 1, 1), until=date(2016, 12, 31), department="Education")
    assert FilterFields().filters() is None
    for bad, field in (
        ({"since": "2016-1-1"}, "since"),
        ({"until": 20161231}, "until"),
        ({"house": "Senate"}, "house"),
    ):
        with pytest.raises(ValidationError, match=field):
            FilterFields(**bad)
    with pytest.raises(ValidationError, match="is after"):
        FilterFields(since="2017-01-01", until="2016-01-01")


@pytest.mark.unit
def test_validation_errors_become_one_line_naming_each_field():
    errors = [
        {"loc": ("query", "page_size"), "msg": "Input should be less than or equal to 500"},
        {"loc": ("body", "filters", "since"), "msg": "Value error, the 'since' date must be written YYYY-MM-DD"},
        {"loc": ("body",), "msg": "Field required"},
    ]
    assert _describe(errors) == (
        "page_size: Input should be less than or equal to 500; "
        "filters.since: the 'since' date must be written YYYY-MM-DD; request body: Field required"
    )


@pytest.mark.unit
def test_the_page_shows_every_route_and_escapes_what_it_is_given():
    spec = {
        "openapi": "3.1.0",
        "info": {"title": "T <b>", "description": "D"},
        "paths": {
            "/api/x": {
                "get": {
                    "summary": "<script>",
                    "parameters": [
                        {"name": "q", "in": "query", "required": True, "schema": {"type": "string", "maxLength": 9}}
                    ],
                    "responses": {},
                }
            }
        },
        "components": {"schemas": {"M": {"properties": {"a": {"$ref": "#/components/schemas/M"}}}}},
    }
    page = openapi_html(spec, "/api/openapi.json")
    assert "<script>" not in page and "&lt;script&gt;" in page and "T &lt;b&gt;" in page
    assert "/api/x" in page and "length ≤ 9" in page and 'href="#schema-M"' in page
