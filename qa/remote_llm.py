"""Generation on an OpenAI-compatible model server (``PARLQA_LLM_URL``), and the launcher of the packaged one.

``ServerChatModel`` is LangChain's ``ChatOpenAI`` with the embedded model's sampling (greedy, seed 0, top-k 40, no
repeat penalty) and one change: whatever goes wrong on the wire (refused connection, error status, timeout, a
stream cut short, or one that ends without saying why it stopped) is raised as a ``ModelServerError`` whose one-line
message names the URL and the cause.

``server_command`` builds the ``python -m llama_cpp.server`` command line for a preset or GGUF file, resolved and
sha256-checked by ``qa.models`` first; ``parlqa serve-model`` runs it.
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from langchain_openai import ChatOpenAI

from qa.errors import ModelServerError

if TYPE_CHECKING:
    from langchain_core.outputs import ChatGenerationChunk, ChatResult

    from parlqa.settings import Settings

SERVER_HOST = "127.0.0.1"
DEFAULT_SERVER_PORT = 8080
# The sampling the embedded model uses, in the fields llama.cpp's servers (and vLLM) read.
_SAMPLING = {"top_k": 40, "repeat_penalty": 1.0}
_CAUSE_CHARS = 240


def _transport_errors() -> tuple[type[BaseException], type[BaseException]]:
    """(timeout, any transport error) of the HTTP library the OpenAI client uses."""
    try:
        import httpx2 as http
    except ImportError:
        import httpx as http
    return http.TimeoutException, http.HTTPError


def _root(exc: BaseException) -> BaseException:
    """The innermost exception ``exc`` was raised from (the socket's own words)."""
    seen = {id(exc)}
    while (inner := exc.__cause__ or exc.__context__) is not None and id(inner) not in seen:
        seen.add(id(inner))
        exc = inner
    return exc


def describe_failure(exc: BaseException, timeout: float) -> str | None:
    """What went wrong with a model-server call, in a few words; None when ``exc`` is not a server failure."""
    import openai

    timed_out, transport = _transport_errors()
    if isinstance(exc, openai.APITimeoutError) or isinstance(_root(exc), timed_out | TimeoutError):
        return f"did not answer within {timeout:g} s (timed out)"
    if isinstance(exc, openai.APIConnectionError):
        root = _root(exc)
        return f"could not be reached ({_short(str(root)) if root is not exc else 'connection error'})"
    if isinstance(exc, openai.APIStatusError):
        return f"returned HTTP {exc.status_code}: {_short(exc.message)}"
    if isinstance(exc, openai.APIError):
        return f"returned an error: {_short(exc.message)}"
    if isinstance(exc, transport):
        return f"broke off the answer ({type(exc).__name__}: {_short(str(exc)) or 'connection lost'})"
    return None


def _short(text: str) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= _CAUSE_CHARS else text[: _CAUSE_CHARS - 1] + "…"


class ServerChatModel(ChatOpenAI):
    """``ChatOpenAI`` whose failures are ``ModelServerError`` with the URL and the cause."""

    def _get_request_payload(self, *args: Any, **kwargs: Any) -> dict:
        payload = super()._get_request_payload(*args, **kwargs)
        # OpenAI's newer name for the limit; llama.cpp's servers, vLLM and Ollama read max_tokens
        if "max_completion_tokens" in payload:
            payload["max_tokens"] = payload.pop("max_completion_tokens")
        return payload

    def _failure(self, exc: BaseException) -> BaseException:
        cause = describe_failure(exc, float(self.request_timeout or 0))  # type: ignore[arg-type]
        return exc if cause is None else ModelServerError(str(self.openai_api_base), cause)

    def _generate(self, *args: Any, **kwargs: Any) -> ChatResult:
        try:
            return super()._generate(*args, **kwargs)
        except Exception as exc:
            raise self._failure(exc) from None

    def _cut_short(self) -> ModelServerError:
        # a server ends every whole answer with a finish reason (stop, length); a stream without one was cut off
        return ModelServerError(
            str(self.openai_api_base), "broke off the answer (the stream ended without a finish reason)"
        )

    def _stream(self, *args: Any, **kwargs: Any) -> Iterator[ChatGenerationChunk]:
        finished = False
        try:
            for chunk in super()._stream(*args, **kwargs):
                finished = finished or bool((chunk.generation_info or {}).get("finish_reason"))
                yield chunk
        except Exception as exc:
            raise self._failure(exc) from None
        if not finished:
            raise self._cut_short()

    async def _agenerate(self, *args: Any, **kwargs: Any) -> ChatResult:
        try:
            return await super()._agenerate(*args, **kwargs)
        except Exception as exc:
            raise self._failure(exc) from None

    async def _astream(self, *args: Any, **kwargs: Any) -> AsyncIterator[ChatGenerationChunk]:
        finished = False
        try:
            async for chunk in super()._astream(*args, **kwargs):
                finished = finished or bool((chunk.generation_info or {}).get("finish_reason"))
                yield chunk
        except Exception as exc:
            raise self._failure(exc) from None
        if not finished:
            raise self._cut_short()


def load_server_model(settings: Settings, **overrides: Any) -> ServerChatModel:
    """The chat model on the server at ``settings.llm_url``; the request names ``llm_model``, else the preset."""
    if not settings.llm_url:
        raise ValueError("PARLQA_LLM_URL is not set")
    params: dict[str, Any] = {
        "base_url": settings.llm_url,
        "model": settings.llm_model or settings.model,
        # the client insists on a key; servers without authentication ignore it
        "api_key": settings.llm_api_key or "none",
        "max_tokens": settings.max_new_tokens,
        "temperature": settings.temperature,
        "top_p": 0.95,
        "seed": 0,
        "timeout": settings.llm_timeout,
        "max_retries": 0,
        "extra_body": dict(_SAMPLING),
    }
    return ServerChatModel(**{**params, **overrides})


@dataclass(frozen=True)
class ServerCommand:
    """The model server's command line, and the values a chat process needs to use it."""

    argv: list[str]
    url: str
    model: str
    path: str


def server_command(
    settings: Settings, preset: str, port: int = DEFAULT_SERVER_PORT, host: str = SERVER_HOST
) -> ServerCommand:
    """``python -m llama_cpp.server`` serving ``preset`` (its sha256 checked), as the embedded model runs it."""
    from qa.llm import default_threads
    from qa.models import resolve_model

    # raises ModelError when missing or not the pinned bytes
    resolved = resolve_model(preset, cache_dir=settings.model_cache_dir)
    threads = str(settings.n_threads or default_threads())
    argv = [
        sys.executable,
        "-m",
        "llama_cpp.server",
        "--model",
        str(resolved.path),
        "--model_alias",
        resolved.name,
        "--host",
        host,
        "--port",
        str(port),
        "--n_ctx",
        str(settings.n_ctx),
        "--n_threads",
        threads,
        "--n_threads_batch",
        threads,
        "--n_gpu_layers",
        "0",
        # as the embedded model: read the file (the CPU backend repacks the weights), do not pin it in RAM
        "--use_mmap",
        "False",
        "--use_mlock",
        "False",
        # the server keeps logits of every context position by default: n_ctx x vocabulary floats (1.2 GB for base)
        "--logits_all",
        "False",
        # by default a waiting request makes the server end the running answer at once, empty or half written
        "--interrupt_requests",
        "False",
        "--verbose",
        "False",
    ]
    return ServerCommand(argv=argv, url=f"http://{host}:{port}/v1", model=resolved.name, path=str(resolved.path))
