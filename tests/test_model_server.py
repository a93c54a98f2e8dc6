"""Generation on a model server: llama-cpp-python's own OpenAI-compatible server with the tiny preset, started by
``parlqa serve-model`` on a free loopback port and stopped by its pid; ``parlqa ask``, the chat's ``/ask`` and
``parlqa eval`` against it, and the one-line error when it cannot be reached."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import EIF_DOC
from fixtures.chat_process import start_chat, stop_chat
from fixtures.index_runs import run_parlqa
from fixtures.model_server import ModelServer, served, start_model_server, tiny_installed
from fixtures.processes import HOST, free_port
from pydantic import ValidationError

from parlqa.settings import Settings
from qa.errors import ModelServerError

EIF_QUESTION = "When was the Early Intervention Foundation set up?"
SCOTTISH_QUESTION = "What is the annual budget of the Scottish Children's Reporter Administration?"


needs_tiny = pytest.mark.skipif(not tiny_installed(), reason="the tiny model preset is not installed")


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[ModelServer]:
    if not tiny_installed():
        pytest.skip("the tiny model preset is not installed")
    started = start_model_server(free_port(), tmp_path_factory.mktemp("model-server") / "server.log")
    try:
        yield started
    finally:
        stop_chat(started.proc)  # by pid: terminate, then kill when it lingers


# the settings and the error message -------------------------------------------------------------------------------


@pytest.mark.unit
def test_llm_url_is_checked_and_normalised() -> None:
    assert Settings(llm_url="http://127.0.0.1:8080/v1/").llm_url == "http://127.0.0.1:8080/v1"
    assert Settings(llm_url="  ").llm_url is None and Settings().llm_url is None
    for bad in ("127.0.0.1:8080/v1", "ftp://host/v1", "http:///v1", "http://host:port/v1"):
        with pytest.raises(ValidationError, match="PARLQA_LLM_URL"):
            Settings(llm_url=bad)


@pytest.mark.unit
def test_llm_url_comes_from_the_environment(monkeypatch) -> None:
    monkeypatch.setenv("PARLQA_LLM_URL", "http://10.0.0.5:9000/v1")
    monkeypatch.setenv("PARLQA_LLM_MODEL", "served")
    settings = Settings()
    assert (settings.llm_url, settings.llm_model, settings.llm_api_key) == ("http://10.0.0.5:9000/v1", "served", None)


def test_the_server_model_is_chosen_only_when_a_url_is_set() -> None:
    from qa.llm import LlamaCppChatModel, load_chat_model
    from qa.remote_llm import ServerChatModel

    remote = load_chat_model(Settings(model="tiny", llm_url="http://127.0.0.1:1/v1", max_new_tokens=12))
    assert isinstance(remote, ServerChatModel)
    assert (remote.model_name, remote.max_tokens, remote.openai_api_base) == ("tiny", 12, "http://127.0.0.1:1/v1")
    if tiny_installed():
        assert isinstance(load_chat_model(Settings(model="tiny")), LlamaCppChatModel)


def test_server_errors_are_one_line_and_name_the_url() -> None:
    import openai
    from httpx2 import Request

    from qa.remote_llm import describe_failure

    error = ModelServerError("http://127.0.0.1:8080/v1", "returned HTTP 500:\n  out of\tmemory")
    assert str(error) == "the model server at http://127.0.0.1:8080/v1 returned HTTP 500: out of memory"
    request = Request("POST", "http://127.0.0.1:8080/v1/chat/completions")
    assert describe_failure(openai.APITimeoutError(request), 30.0) == "did not answer within 30 s (timed out)"
    try:
        try:
            raise ConnectionRefusedError(111, "Connection refused")
        except ConnectionRefusedError as exc:
            raise openai.APIConnectionError(request=request) from exc
    except openai.APIConnectionError as exc:
        assert describe_failure(exc, 30.0) == "could not be reached ([Errno 111] Connection refused)"
    assert describe_failure(ValueError("not the server"), 30.0) is None


def test_the_chat_advises_on_a_model_server_error() -> None:
    from ui.app import advice_for

    message, advice = advice_for(ModelServerError("http://127.0.0.1:8080/v1", "could not be reached (refused)"))
    assert message.startswith("the model server at http://127.0.0.1:8080/v1") and "serve-model" in advice


def test_serve_model_says_it_cannot_run_parallel_requests(tmp_path: Path) -> None:
    result = run_parlqa("serve-model", "--preset", "tiny", "--parallel", "2", data_dir=tmp_path, timeout=60)
    assert result.returncode == 2
    assert "one request at a time" in result.stderr and "Traceback" not in result.stderr


def test_serve_model_refuses_an_unknown_model(tmp_path: Path) -> None:
    result = run_parlqa("serve-model", "--preset", "no-such-model", data_dir=tmp_path, timeout=60)
    assert result.returncode == 1 and "unknown model 'no-such-model'" in result.stderr


# against a real server --------------------------------------------------------------------------------------------


@needs_tiny
def test_ask_answers_with_citations_from_the_server(server, default_settings) -> None:
    before = server.requests()
    result = run_parlqa(
        "ask",
        EIF_QUESTION,
        "--json",
        data_dir=default_settings.data_dir,
        **served(server.url, PARLQA_MAX_NEW_TOKENS="96"),
    )
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert server.requests() > before  # the answer was generated by the server
    # the tiny model's draft is shown when the verifier finds it stated, else the closest passages are cited
    assert answer["citations"] and (answer["refused"] or "2013" in answer["text"])
    assert any(c["doc_id"] == EIF_DOC for c in answer["citations"])
    assert {"first_token", "generate", "total"} <= set(answer["timings"])
    if not answer["refused"]:
        assert answer["model"] == "tiny"


@needs_tiny
def test_ask_refuses_an_unanswerable_question_with_the_server(server, default_settings) -> None:
    result = run_parlqa(
        "ask",
        SCOTTISH_QUESTION,
        "--house",
        "Commons",
        "--json",
        data_dir=default_settings.data_dir,
        **served(server.url),
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["refused"] is True


@needs_tiny
def test_chat_ask_endpoint_answers_from_the_server(server, default_settings, tmp_path: Path) -> None:
    chat = start_chat(default_settings.data_dir, tmp_path / "chat.log", **served(server.url))
    try:
        client = chat.client()
        before = server.requests()
        result = client.predict(EIF_QUESTION, "", 3, "", "", api_name="/ask")
        assert server.requests() > before
        assert result["citations"] and (result["refused"] or "2013" in result["text"])
        assert any(c["title"] == "Children: Protection" for c in result["citations"])
        refusal = client.predict(SCOTTISH_QUESTION, '{"house": "Commons"}', 0, "", "", api_name="/ask")
        assert refusal["refused"] is True
    finally:
        stop_chat(chat.proc)


@needs_tiny
def test_eval_runs_against_the_server(server, tmp_path: Path) -> None:
    out = tmp_path / "report"
    before = server.requests()
    result = run_parlqa(
        "eval",
        "--set",
        "default",
        "--model",
        "tiny",
        "--limit",
        "6",
        "--judge",
        "none",
        "--out",
        str(out),
        "--data-dir",
        str(tmp_path / "indexes"),
        "--name",
        "served",
        data_dir=tmp_path / "data",
        timeout=600,
        PARLQA_LLM_URL=server.url,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert server.requests() > before
    run = json.loads((out / "runs" / "served.json").read_text())
    [config] = run["results"]
    assert config["config"]["model"] == "tiny" and config["metrics"]["n"] == 6
    assert all(p["timings"]["total"] > 0 for p in config["pairs"])


# an unreachable server --------------------------------------------------------------------------------------------


@needs_tiny
def test_ask_with_an_unreachable_server_fails_in_one_line(default_settings) -> None:
    url = f"http://{HOST}:{free_port()}/v1"
    result = run_parlqa("ask", EIF_QUESTION, data_dir=default_settings.data_dir, PARLQA_LLM_URL=url)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert lines[-1].startswith(f"error: the model server at {url} could not be reached (")
    assert "Traceback" not in result.stderr and len([line for line in lines if line.startswith("error:")]) == 1


@needs_tiny
def test_chat_shows_the_server_error_and_answers_once_it_is_up(default_settings, tmp_path: Path) -> None:
    """The question fails with the URL and the cause while no server listens, and is answered when asked again
    after one starts on that port."""
    from gradio_client.exceptions import AppError

    port = free_port()
    url = f"http://{HOST}:{port}/v1"
    chat = start_chat(default_settings.data_dir, tmp_path / "chat.log", **served(url))
    server = None
    try:
        client = chat.client()
        with pytest.raises(AppError, match=f"the model server at {url} could not be reached"):
            client.predict(EIF_QUESTION, "", 3, "", "", api_name="/ask")
        server = start_model_server(port, tmp_path / "server.log")
        result = client.predict(EIF_QUESTION, "", 3, "", "", api_name="/ask")
        assert result["citations"] and (result["refused"] or "2013" in result["text"])
    finally:
        stop_chat(chat.proc)
        if server is not None:
            stop_chat(server.proc)
    assert "Traceback" not in (tmp_path / "chat.log").read_text(errors="replace")


@needs_tiny
def test_eval_with_an_unreachable_server_fails_in_one_line(tmp_path: Path) -> None:
    url = f"http://{HOST}:{free_port()}/v1"
    result = run_parlqa(
        "eval",
        "--set",
        "default",
        "--model",
        "tiny",
        "--limit",
        "2",
        "--judge",
        "none",
        "--out",
        str(tmp_path / "out"),
        "--data-dir",
        str(tmp_path / "indexes"),
        data_dir=tmp_path / "data",
        timeout=600,
        PARLQA_LLM_URL=url,
    )
    assert result.returncode == 2
    assert f"error: the model server at {url} could not be reached (" in result.stderr
    assert "Traceback" not in result.stderr and not (tmp_path / "out" / "runs").exists()
