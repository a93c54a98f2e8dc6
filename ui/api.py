"""The JSON HTTP API served beside the chat, in the same process: ask (whole or streamed), search, timeline,
documents and health, with its OpenAPI description at ``/api/openapi.json`` and a page at ``/api/docs``.

``router(assistant, auth)`` returns the routes; ``app_kwargs(router)`` is what Gradio's ``launch(app_kwargs=...)``
needs to serve them (the routes join the app as it starts, before it takes a request, and bad input in them is
answered with a one-line ``detail`` naming the field). With a login set, every route needs it: HTTP Basic with the
chat's user and password, or the cookie of a browser logged in to the chat.
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import AsyncIterator, Callable, Generator
from contextlib import asynccontextmanager, closing
from datetime import date
from typing import Annotated, Any, Literal

import anyio
from fastapi import APIRouter, Depends, FastAPI, HTTPException, Query, Request
from fastapi.exception_handlers import request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse, JSONResponse, StreamingResponse
from fastapi.security import HTTPBasic, HTTPBasicCredentials
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator
from pydantic.json_schema import SkipJsonSchema
from starlette.concurrency import run_in_threadpool

from corpus.types import DocumentKind, House
from index.indexer import index_counts
from qa.errors import EmptyIndexError, IndexBusy, ModelServerError, ParlqaError
from qa.models import ModelError, resolve_model
from qa.search import MAX_PAGE_SIZE
from qa.timeline import DEFAULT_LIMIT
from qa.types import (
    Answer,
    Citation,
    DocumentRecord,
    ExtractSentence,
    Filters,
    Hit,
    SearchPage,
    SearchSort,
    Timeline,
)
from ui.api_page import openapi_html
from ui.forms import parse_day

log = logging.getLogger(__name__)

PREFIX = "/api"
TITLE = "parlqa HTTP API"
VERSION = "1"
DESCRIPTION = (
    "Cited answers, search, timelines and whole documents from the UK parliamentary written questions in the "
    "index, as JSON. Served beside the chat, by the same process, on the same address. Questions are answered one "
    "at a time, the chat's included: a question waits for the one being answered."
)
MAX_QUESTION_CHARS = 4000
MAX_TIMELINE_LIMIT = 1000
MOST_WAITING = 256  # questions waiting for their turn, as many as the chat's queue holds


# requests ----------------------------------------------------------------------------------------------------


def _blank_to_none(value: Any) -> Any:
    if isinstance(value, str) and not value.strip():
        return None
    return value.strip() if isinstance(value, str) else value


class FilterFields(BaseModel):
    """Which records answers, searches and timelines draw on; every field is optional."""

    model_config = ConfigDict(extra="forbid")

    since: date | None = Field(None, description="Answered on or after this day, YYYY-MM-DD.")
    until: date | None = Field(None, description="Answered on or before this day, YYYY-MM-DD.")
    department: str | None = Field(None, description="Answering department contains this (any case).")
    answerer: str | None = Field(None, description="Answering member's name contains this (any case).")
    asker: str | None = Field(None, description="Asking member's name contains this (any case).")
    house: House | None = Field(None, description="Commons or Lords.")
    kind: DocumentKind | None = Field(None, description="written question, written statement or document.")

    @field_validator("since", "until", mode="before")
    @classmethod
    def _day(cls, value: Any, info: ValidationInfo) -> date | None:
        if value is None or isinstance(value, date):
            return value
        return parse_day(str(value), info.field_name)

    @field_validator("department", "answerer", "asker", "house", "kind", mode="before")
    @classmethod
    def _text(cls, value: Any) -> Any:
        return _blank_to_none(value)

    @model_validator(mode="after")
    def _in_order(self) -> FilterFields:
        if self.since and self.until and self.since > self.until:
            raise ValueError(f"the 'since' date ({self.since}) is after the 'until' date ({self.until})")
        return self

    def filters(self) -> Filters | None:
        """These fields as ``Filters``, or None when none is set."""
        found = Filters(**self.model_dump(include=set(Filters.model_fields)))
        return None if found.is_empty() else found


class Message(BaseModel):
    """An earlier turn of the conversation."""

    model_config = ConfigDict(extra="forbid")

    role: Literal["user", "assistant"]
    content: str = Field(max_length=20_000)


class AskRequest(BaseModel):
    """A question, the conversation so far, and how to answer it."""

    model_config = ConfigDict(extra="forbid")

    question: str = Field(max_length=MAX_QUESTION_CHARS, description="The question.")
    history: list[Message] = Field(
        default_factory=list, max_length=50, description="Earlier turns, oldest first, for a follow-up question."
    )
    filters: FilterFields | None = None
    k: int | None = Field(None, ge=1, le=50, description="Passages given to the model (default: the server's).")
    model: str | None = Field(
        None, description="Model preset (tiny, small, base) or GGUF path (default: the server's)."
    )

    @field_validator("question")
    @classmethod
    def _question(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("the question is empty")
        return value.strip()

    @field_validator("model", mode="before")
    @classmethod
    def _model(cls, value: Any) -> Any:
        return _blank_to_none(value)


class SearchParams(FilterFields):
    q: str = Field("", max_length=1000, description='Words, "quoted phrases" or a question number; empty lists all.')
    sort: SearchSort = Field("relevance", description="relevance, newest or oldest.")
    page: int = Field(1, ge=1, description="Page number, from 1.")
    page_size: int = Field(20, ge=1, le=MAX_PAGE_SIZE, description="Results per page.")


class TimelineParams(FilterFields):
    q: str = Field(max_length=1000, description="The subject.")
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_TIMELINE_LIMIT, description="Most answers placed on the timeline.")
    summary: bool = Field(False, description="Also write a short, cited summary of how the position changed.")
    model: str | None = Field(None, description="Model for the summary (default: the server's).")

    @field_validator("q")
    @classmethod
    def _subject(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("the subject is empty")
        return value.strip()

    @field_validator("model", mode="before")
    @classmethod
    def _model(cls, value: Any) -> Any:
        return _blank_to_none(value)


# responses ---------------------------------------------------------------------------------------------------


class AnswerOut(Answer):
    """A cited answer, or a refusal (the retrieved passages are left out: the citations quote what was used)."""

    hits: SkipJsonSchema[list[Hit]] = Field(default_factory=list, exclude=True)

    @classmethod
    def of(cls, answer: Answer) -> AnswerOut:
        return cls.model_construct(**{name: value for name, value in answer if name != "hits"})


class ExtractEvent(BaseModel):
    """The first event: sentences quoted from the best passages at once, before the model writes."""

    extract: list[ExtractSentence] = Field(default_factory=list)
    citations: list[Citation] = Field(default_factory=list)


class TokenEvent(BaseModel):
    """A piece of the model's draft; the final answer may differ (unsupported sentences are left out)."""

    text: str


class ErrorEvent(BaseModel):
    """Answering failed: what went wrong and what to do."""

    detail: str
    advice: str = ""


class Health(BaseModel):
    status: Literal["ok", "indexing", "unreadable"] = Field(
        description="ok; indexing while 'parlqa index' writes the index; unreadable when its manifest cannot be read."
    )
    documents: int | None = Field(description="Documents in the index.")
    passages: int | None = Field(description="Passages (chunks) in the index.")
    indexing: bool = Field(description="Whether 'parlqa index' is writing the index now.")
    model: str = Field(description="The default model.")


class Problem(BaseModel):
    detail: str


# login -------------------------------------------------------------------------------------------------------

_basic = HTTPBasic(
    auto_error=False, realm="parlqa", description="The chat's login (PARLQA_UI_USER, PARLQA_UI_PASSWORD)."
)


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def _chat_session(request: Request) -> bool:
    """Whether the request carries the cookie of a browser logged in to the chat on this server."""
    app = request.app
    cookie_id, tokens = getattr(app, "cookie_id", None), getattr(app, "tokens", None)
    if cookie_id is None or not tokens:
        return False
    token = request.cookies.get(f"access-token-{cookie_id}") or request.cookies.get(
        f"access-token-unsecure-{cookie_id}"
    )
    return token is not None and tokens.get(token) is not None


def login_check(auth: tuple[str, str] | None) -> Callable[..., None]:
    """A dependency that lets a request through when no login is set, or when it is logged in."""

    def check(request: Request, credentials: Annotated[HTTPBasicCredentials | None, Depends(_basic)]) -> None:
        if auth is None:
            return
        if credentials is not None and _same(credentials.username, auth[0]) & _same(credentials.password, auth[1]):
            return
        if _chat_session(request):
            return
        raise HTTPException(
            401,
            "log in with HTTP Basic, using the chat's user and password" if credentials is None else "wrong login",
            headers={"WWW-Authenticate": 'Basic realm="parlqa"'},
        )

    return check


# errors ------------------------------------------------------------------------------------------------------


def _advice(exc: BaseException, model: str | None) -> tuple[str, str]:
    from ui.app import advice_for  # the chat's wording for the same failures

    return advice_for(exc, model)


def _failure(exc: Exception, model: str | None = None) -> HTTPException:
    """The HTTP error for a failure while answering; unexpected ones are logged and described in one line."""
    if isinstance(exc, HTTPException):
        return exc
    if isinstance(exc, IndexBusy | EmptyIndexError):
        return HTTPException(503, " ".join(_advice(exc, model)))
    if isinstance(exc, ModelServerError):
        return HTTPException(502, " ".join(_advice(exc, model)))
    if isinstance(exc, ModelError):
        return HTTPException(400, f"model: {exc}")
    if isinstance(exc, ParlqaError | ValueError):
        return HTTPException(400, str(exc))
    log.exception("answering an HTTP API request")
    return HTTPException(500, "an unexpected error occurred; the details are in the log of the parlqa server")


def _describe(errors: Any) -> str:
    """One line for pydantic's errors, each naming its field: "page_size: Input should be less than or equal to 500"."""
    parts = []
    for error in errors:
        loc = [str(p) for p in error.get("loc", ()) if p not in ("body", "query", "path")]
        msg = str(error.get("msg", "invalid")).removeprefix("Value error, ")
        where = ".".join(loc) if loc else ("request body" if tuple(error.get("loc", ())) == ("body",) else "")
        parts.append(f"{where}: {msg}" if where else msg)
    return "; ".join(dict.fromkeys(parts)) or "invalid request"


async def validation_error(request: Request, exc: Exception) -> JSONResponse:
    """422 with a one-line ``detail`` for the API's routes; the chat's routes keep FastAPI's answer."""
    if not isinstance(exc, RequestValidationError) or not request.url.path.startswith(PREFIX + "/"):
        return await request_validation_exception_handler(request, exc)  # type: ignore[arg-type]
    return JSONResponse({"detail": _describe(exc.errors())}, status_code=422)


# the routes --------------------------------------------------------------------------------------------------


def _sse(event: str, data: BaseModel) -> str:
    return f"event: {event}\ndata: {data.model_dump_json()}\n\n"


class Turns:
    """The API's questions wait here for their turn, in the event loop: only the one whose turn it is holds a
    worker thread (which may then wait on the generation lock for the chat's answer), so waiting questions never
    use up the threads that search, documents and health answer from. Beyond ``most_waiting``: 503.

    A semaphore, not a capacity limiter: a stream's turn may end in another task than the one it began in."""

    def __init__(self, most_waiting: int):
        self.most_waiting = most_waiting
        self._turn: anyio.Semaphore | None = None  # made in the server's event loop, on first use

    @property
    def turn(self) -> anyio.Semaphore:
        if self._turn is None:
            self._turn = anyio.Semaphore(1)
        return self._turn

    def check(self) -> None:
        if self.turn.statistics().tasks_waiting >= self.most_waiting:
            raise HTTPException(503, f"{self.most_waiting} questions are waiting already; ask again later")

    async def run(self, fn: Callable[[], Any]) -> Any:
        self.check()
        async with self.turn:
            return await run_in_threadpool(fn)

    async def stream(self, events: Generator[str, None, None]) -> AsyncIterator[str]:
        """Each item of a blocking generator, from a worker thread, once it is this stream's turn; the generator
        is closed when the stream is, which ends the answer and lets the next one start."""
        done = object()
        try:
            async with self.turn:
                while (item := await run_in_threadpool(next, events, done)) is not done:
                    yield item  # type: ignore[misc]
        finally:
            events.close()


class EventStream(StreamingResponse):
    """Server-sent events whose source is closed however the response ends, a reader leaving mid-way included
    (Starlette leaves that to the garbage collector)."""

    media_type = "text/event-stream"

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            close = getattr(self.body_iterator, "aclose", None)
            if close is not None:
                await close()


STREAM_DESCRIPTION = """Server-sent events (text/event-stream), in this order:

* `event: extract` once: `data` is an ExtractEvent (sentences quoted from the best passages, and their citations);
* `event: token` many times: `data` is a TokenEvent (a piece of the model's draft); none for a refusal;
* `event: answer` once, last: `data` is the final Answer, as `POST /api/ask` returns it.

A failure after the stream has started ends it with `event: error`, whose `data` is an ErrorEvent."""

ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": Problem, "description": "The request cannot be answered as given (the detail says why)."},
    401: {"model": Problem, "description": "A login is set and the request does not carry it."},
    422: {"model": Problem, "description": "A field is missing or malformed (the detail names it)."},
    503: {"model": Problem, "description": "The index is empty or being rebuilt, or too many questions are waiting."},
}


def router(assistant: Any, auth: tuple[str, str] | None = None) -> APIRouter:
    """The API's routes over ``assistant`` (an ``Assistant``, or ``OneAtATime`` around one so that questions
    take turns with the chat's). ``auth``: the (user, password) every route requires, or None."""
    api = APIRouter(prefix=PREFIX, dependencies=[Depends(login_check(auth))], responses=ERRORS)
    turns = Turns(MOST_WAITING)

    def check_model(model: str | None) -> None:
        """A model that is not installed is a 400 before anything runs (a model server serves its own)."""
        if model and not assistant.settings.llm_url:
            try:
                resolve_model(model)
            except ModelError as exc:
                raise HTTPException(400, f"model: {exc}") from None

    def ask_kwargs(body: AskRequest) -> dict[str, Any]:
        check_model(body.model)
        return {
            "history": [m.model_dump() for m in body.history],
            "filters": body.filters.filters() if body.filters else None,
            "k": body.k,
            "model": body.model,
        }

    @api.post("/ask", summary="Answer a question", response_model=AnswerOut)
    async def ask(body: AskRequest) -> AnswerOut:
        """A cited answer from the corpus, or a refusal when the corpus does not answer it."""
        kwargs = await run_in_threadpool(ask_kwargs, body)

        def answer() -> AnswerOut:
            try:
                return AnswerOut.of(assistant.ask(body.question, **kwargs))
            except Exception as exc:  # noqa: BLE001 - every failure is an HTTP error with a one-line detail
                raise _failure(exc, body.model) from None

        return await turns.run(answer)

    @api.post(
        "/ask/stream",
        summary="Answer a question, streamed",
        description=STREAM_DESCRIPTION,
        response_class=EventStream,
        responses={200: {"content": {"text/event-stream": {"schema": {"type": "string"}}}, "description": "Events"}},
    )
    async def ask_stream(body: AskRequest) -> EventStream:
        kwargs = await run_in_threadpool(ask_kwargs, body)
        turns.check()

        def events() -> Generator[str, None, None]:
            try:
                with closing(assistant.stream(body.question, **kwargs)) as stream:
                    for event in stream:
                        if event.type == "extract":
                            yield _sse("extract", ExtractEvent(extract=event.extract, citations=event.citations))
                        elif event.type == "token" and event.text:
                            yield _sse("token", TokenEvent(text=event.text))
                        elif event.type == "answer" and event.answer is not None:
                            yield _sse("answer", AnswerOut.of(event.answer))
                            return
                raise RuntimeError("the answer stream ended without an answer")
            except Exception as exc:  # noqa: BLE001 - the stream has started: the failure is its last event
                if not isinstance(exc, ParlqaError | ModelError | ValueError):
                    log.exception("streaming an answer to %r", body.question)
                message, advice = _advice(exc, body.model)
                yield _sse("error", ErrorEvent(detail=message, advice=advice))

        headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
        return EventStream(turns.stream(events()), headers=headers)

    @api.get("/search", summary="Search the documents", response_model=SearchPage)
    def search(params: Annotated[SearchParams, Query()]) -> SearchPage:
        """Every document holding all the query's words and "quoted phrases" (or the question number it is), one
        page of them, with the total and facet counts of all of them. No model call."""
        try:
            return assistant.search(params.q, params.filters(), params.sort, params.page, params.page_size)
        except Exception as exc:  # noqa: BLE001
            raise _failure(exc) from None

    @api.get("/timeline", summary="A subject's answers by month", response_model=Timeline)
    async def timeline(params: Annotated[TimelineParams, Query()]) -> Timeline:
        """The dated answers about the subject grouped by month, oldest first, with answers per month; with
        summary, a few cited sentences on how the position changed (a model call)."""

        def build() -> Timeline:
            check_model(params.model)
            try:
                return assistant.timeline(
                    params.q, filters=params.filters(), limit=params.limit, summary=params.summary, model=params.model
                )
            except Exception as exc:  # noqa: BLE001
                raise _failure(exc, params.model) from None

        return await (turns.run(build) if params.summary else run_in_threadpool(build))

    @api.get(
        "/documents/{doc_id}",
        summary="One whole document",
        response_model=DocumentRecord,
        responses={404: {"model": Problem, "description": "No indexed document has this id."}},
    )
    def document(doc_id: str) -> DocumentRecord:
        """The indexed document: its fields, question and answer text."""
        try:
            found = assistant.document(doc_id)
        except Exception as exc:  # noqa: BLE001
            raise _failure(exc) from None
        if found is None:
            raise HTTPException(404, f"no indexed document has the id '{doc_id[:200]}'")
        return found

    @api.get("/health", summary="What the index holds", response_model=Health)
    def health() -> Health:
        settings = assistant.settings
        indexing = assistant.index_busy()
        try:
            counts: dict[str, int | None] = dict(index_counts(settings))
            status = "indexing" if indexing else "ok"
        except Exception:  # noqa: BLE001 - health answers even when the manifest cannot be read
            log.exception("reading the index manifest")
            counts, status = {"documents": None, "passages": None}, "unreadable"
        model = (settings.llm_model or settings.model) if settings.llm_url else settings.model
        return Health(status=status, indexing=indexing, model=model, **counts)

    schema: dict[str, Any] = {}

    @api.get("/openapi.json", include_in_schema=False)
    def openapi() -> JSONResponse:
        if not schema:
            schema.update(get_openapi(title=TITLE, version=VERSION, description=DESCRIPTION, routes=list(api.routes)))
        return JSONResponse(schema)

    @api.get("/docs", include_in_schema=False, response_class=HTMLResponse)
    def docs() -> HTMLResponse:
        return HTMLResponse(openapi_html(json.loads(bytes(openapi().body)), PREFIX + "/openapi.json"))

    return api


def app_kwargs(routes: APIRouter, given: dict[str, Any] | None = None) -> dict[str, Any]:
    """Gradio ``launch(app_kwargs=...)`` that serves ``routes`` from the app's start (``given``: more of them)."""
    kwargs = dict(given or {})
    theirs = kwargs.get("lifespan")

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[Any]:
        if not any(getattr(r, "path", "") == PREFIX + "/health" for r in app.router.routes):
            app.include_router(routes)
        if theirs is None:
            yield None
        else:
            async with theirs(app) as state:
                yield state

    handlers = dict(kwargs.get("exception_handlers") or {})
    handlers.setdefault(RequestValidationError, validation_error)
    return {**kwargs, "lifespan": lifespan, "exception_handlers": handlers}
