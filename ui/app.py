"""The Gradio chat: streamed, cited answers beside their sources, filters, examples and an ``/ask`` API.

``build_app(assistant)`` returns the ``gr.Blocks``; ``launch(settings)`` builds the assistant (indexing the
default corpus on first use), then serves the page, with the JSON HTTP API of ``ui.api`` beside it, on 127.0.0.1
unless told otherwise.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"

import gradio as gr  # noqa: E402

from index.indexer import index_counts  # noqa: E402
from parlqa.settings import Settings  # noqa: E402
from qa.assistant import Assistant  # noqa: E402
from qa.errors import EmptyIndexError, IndexBusyError, ModelServerError, ParlqaError  # noqa: E402
from qa.models import ModelError, installed_presets  # noqa: E402
from qa.types import Answer, Citation  # noqa: E402
from ui import api, render, research  # noqa: E402
from ui.forms import HOUSES, form_filters, json_filters  # noqa: E402
from ui.generation import OneAtATime  # noqa: E402
from ui.style import CSS, JS  # noqa: E402

log = logging.getLogger(__name__)

TITLE = "parlqa — cited answers from UK parliamentary written questions"
EXAMPLES = [
    "When was the Early Intervention Foundation set up?",
    "How much did the 2015 Spending Review make available to councils?",
    "Who chairs the Child Protection Taskforce announced in June 2015?",
    "How much has been invested in the Children's Social Care Innovation Programme?",
    "How many people registered for information on becoming a social worker?",
]
QUEUE_SIZE = 256  # waiting requests; beyond this a new one is told the queue is full
GENERATION = "generation"  # one concurrency group: the model is one llama.cpp context
STREAM_INTERVAL = 0.08  # seconds between streamed updates of the chat
STATUS_INTERVAL = 10  # seconds between refreshes of the status line (it is also refreshed after every answer)

AssistantSource = Assistant | Settings | Callable[[], Assistant]


class _Provider:
    """The assistant, built on first use when given as settings or a factory."""

    def __init__(self, source: AssistantSource):
        self._source = source
        ready = not isinstance(source, Settings) and hasattr(source, "stream")
        self._assistant: Assistant | None = source if ready else None  # an Assistant, or one that acts like it
        self._lock = threading.Lock()

    @property
    def settings(self) -> Settings:
        if isinstance(self._source, Settings):
            return self._source
        return self.get().settings

    def get(self) -> Assistant:
        with self._lock:
            if self._assistant is None:
                source = self._source
                self._assistant = Assistant(source, auto_index=True) if isinstance(source, Settings) else source()
            return self._assistant


def advice_for(exc: BaseException, model: str | None = None) -> tuple[str, str]:
    """(what went wrong, what to do) for an error raised while answering."""
    if isinstance(exc, IndexBusyError):
        return str(exc), "The index is being rebuilt by 'parlqa index'; ask again when it finishes."
    if isinstance(exc, EmptyIndexError):
        return str(exc), "Build the index with 'parlqa index', then reload this page."
    if isinstance(exc, ModelServerError):
        return str(exc), "Check that the model server is running (parlqa serve-model), then ask again."
    if isinstance(exc, ModelError):
        return str(exc), f"Install the model '{model}', or pick another one under 'Filters and model'."
    if isinstance(exc, ParlqaError):
        return str(exc), "Check the message above, then ask again."
    if isinstance(exc, ValueError):
        return str(exc), "Correct the question or the filters, then ask again."
    return "an unexpected error occurred", "The details are in the terminal running parlqa chat. Try asking again."


def index_status(assistant: Assistant) -> str:
    """The status line: how much is indexed, or that the index is being rebuilt."""
    s = assistant.settings
    if assistant.index_busy():
        return '<span class="pq-status-busy">The index is being rebuilt; answers may fail until it finishes.</span>'
    try:
        counts = index_counts(s)
    except Exception:  # noqa: BLE001 - the status line must never break the page
        log.exception("reading the index manifest")
        return '<span class="pq-status-busy">The index could not be read.</span>'
    return (
        f'<span class="pq-status-ok">Ready: {counts["documents"]} documents ({counts["passages"]} passages) indexed '
        f"in {render.inert(s.data_dir)} · default model {render.inert(s.model)}</span>"
    )


def _model_choices(settings: Settings) -> list[str]:
    if settings.llm_url:  # every answer comes from the model server's one model
        return [settings.llm_model or settings.model]
    choices = installed_presets()
    if settings.model not in choices:
        choices = [settings.model, *choices]
    return choices


def build_app(source: AssistantSource) -> gr.Blocks:
    """The chat page for an ``Assistant`` (or the ``Settings`` / factory that makes one)."""
    provider = _Provider(source)
    settings = provider.settings

    def respond(question, chat, turns, since, until, department, answerer, house, model, k) -> Iterator[tuple]:
        question = (question or "").strip()
        if not question:
            yield gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip()
            return
        chat = [*(chat or []), {"role": "user", "content": f"<div>{render.inline(question)}</div>"}]
        shown = [*chat, {"role": "assistant", "content": render.pending_html()}]
        yield shown, gr.skip(), gr.skip(), gr.skip(), gr.Textbox(value="", interactive=False), gr.skip()
        model = model or settings.model
        extract, extract_citations, partial, last = [], [], "", 0.0
        try:
            filters = form_filters(since, until, department, answerer, house)
            bot = provider.get()
            for event in bot.stream(question, history=turns, filters=filters, k=int(k), model=model):
                if event.type == "extract":
                    extract, extract_citations = event.extract, event.citations
                    if extract:
                        known = [c.marker for c in extract_citations]
                        shown[-1] = {"role": "assistant", "content": render.streaming_html(extract, known, "")}
                        sources_now = render.sources_html(extract_citations)
                        yield shown, gr.skip(), sources_now, gr.skip(), gr.skip(), gr.skip()
                elif event.type == "token":
                    partial += event.text
                    if time.monotonic() - last >= STREAM_INTERVAL:
                        last = time.monotonic()
                        known = [c.marker for c in extract_citations]
                        shown[-1] = {"role": "assistant", "content": render.streaming_html(extract, known, partial)}
                        yield shown, gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip()
                elif event.type == "answer" and event.answer is not None:
                    yield _finished(chat, turns, question, event.answer, extract_citations, model)
                    return
            raise RuntimeError("the answer stream ended without an answer")
        except Exception as exc:  # noqa: BLE001 - every failure becomes a message in the chat
            if not isinstance(exc, ParlqaError | ModelError | ValueError):
                log.exception("answering %r", question)
            message, advice = advice_for(exc, model)
            shown[-1] = {"role": "assistant", "content": render.error_html(message, advice)}
            yield shown, gr.skip(), gr.skip(), gr.skip(), gr.skip(), None

    def _finished(chat, turns, question, answer: Answer, extract_citations: list[Citation], model: str) -> tuple:
        if answer.refused:  # a refusal shows only what the extract quotes, if anything
            citations = extract_citations if answer.extract else []
        else:
            citations = render.merge_citations(answer.citations, extract_citations)
        known = [c.marker for c in citations]
        reply = {"role": "assistant", "content": render.answer_html(answer, known, model)}
        turns = [*(turns or []), {"role": "user", "content": question}, {"role": "assistant", "content": answer.text}]
        note = "No sources: the corpus does not answer this question." if answer.refused and not citations else None
        return (
            [*chat, reply],
            turns,
            render.sources_html(citations, note, cited=[c.marker for c in answer.citations]),
            render.plain_answer(answer, answer.citations),
            gr.skip(),
            None if answer.refused else answer,
        )

    def ask(question: str, filters: str = "", k: int = 0, model: str = "", history: str = "") -> dict:
        """Answer a question from the corpus; returns the cited answer as JSON.

        Parameters:
            question: the question.
            filters: JSON object of filters, e.g. {"since": "2016-01-01", "house": "Commons"}.
            k: passages given to the model (0: the default).
            model: model preset name or GGUF path ('': the default).
            history: JSON list of earlier messages, [{"role": "user", "content": "..."}, ...].
        """
        try:
            turns = json.loads(history) if (history or "").strip() else None
            answer = provider.get().ask(
                question, history=turns, filters=json_filters(filters), k=int(k) or None, model=model or None
            )
        except (ParlqaError, ModelError, ValueError) as exc:
            raise gr.Error(str(exc), print_exception=False) from None
        return answer.model_dump(mode="json", exclude={"hits"})

    def index_state() -> dict:
        """What the index holds now: {"documents": n, "passages": n, "indexing": whether parlqa index is writing it}.

        What another process indexes is answered from the next question on, without restarting the chat.
        """
        return {**index_counts(settings), "indexing": provider.get().index_busy()}

    def status_line() -> str:
        return index_status(provider.get())

    def clear() -> tuple:
        return [], [], render.sources_html([]), "", None

    with gr.Blocks(title=TITLE) as demo:
        gr.HTML(
            '<div class="pq-header"><h1>parlqa</h1><p>Answers from UK parliamentary written questions and '
            "statements, each sentence cited to its source. Everything runs on this computer.</p></div>",
            js_on_load=None,
        )
        status = gr.HTML("Loading…", elem_id="pq-status", js_on_load=None)
        turns = gr.State([])
        last_answer = gr.State(None)
        with gr.Tabs(elem_id="pq-tabs"):
            with gr.Tab("Chat", id="chat", elem_id="pq-tab-chat"), gr.Row(equal_height=False):
                with gr.Column(scale=3, min_width=420):
                    chatbot = gr.Chatbot(
                        label="Conversation",
                        elem_id="pq-chat",
                        height=460,
                        buttons=[],
                        sanitize_html=True,
                        allow_tags=False,
                        render_markdown=True,
                        feedback_options=None,
                        placeholder="Ask a question about the written questions and statements in the index.",
                    )
                    question = gr.Textbox(
                        placeholder="Ask a question, e.g. When was the Early Intervention Foundation set up?",
                        show_label=False,
                        lines=1,
                        max_lines=4,
                        autofocus=True,
                        submit_btn="Ask",
                        elem_id="pq-question",
                    )
                    with gr.Row():
                        clear_btn = gr.Button("Clear conversation", size="sm", variant="secondary", elem_id="pq-clear")
                    gr.Examples([[q] for q in EXAMPLES], inputs=[question], label="Example questions")
                    with gr.Accordion(
                        "Filters and model (apply to the next question)", open=False, elem_id="pq-filters"
                    ):
                        with gr.Row():
                            since = gr.Textbox(
                                label="Since (date answered)", placeholder="YYYY-MM-DD", elem_id="pq-since"
                            )
                            until = gr.Textbox(
                                label="Until (date answered)", placeholder="YYYY-MM-DD", elem_id="pq-until"
                            )
                        with gr.Row():
                            department = gr.Textbox(label="Department contains", placeholder="e.g. Education")
                            answerer = gr.Textbox(label="Answered by (name contains)", placeholder="e.g. Timpson")
                        house = gr.Radio(list(HOUSES), value=HOUSES[0], label="House")
                        with gr.Row():
                            model = gr.Dropdown(
                                _model_choices(settings), value=settings.model, label="Model", elem_id="pq-model"
                            )
                            k = gr.Slider(1, 20, value=settings.k, step=1, label="Passages per answer (k)")
                    with gr.Accordion("Copy answer with references", open=False, elem_id="pq-copy"):
                        copy_box = gr.Textbox(
                            label="Last answer with its reference list",
                            lines=6,
                            max_lines=16,
                            interactive=False,
                            buttons=["copy"],
                            elem_id="pq-copy-text",
                        )
                    with gr.Accordion("Download or quote the last answer", open=False, elem_id="pq-export"):
                        answer_downloads, quotation_box = research.chat_exports()
                with gr.Column(scale=2, min_width=320):
                    sources = gr.HTML(render.sources_html([]), elem_id="pq-sources", js_on_load=None)
            with gr.Tab("Search", id="search", elem_id="pq-tab-search") as search_tab:
                research.search_tab(provider.get, search_tab)
            with gr.Tab("Timeline", id="timeline", elem_id="pq-tab-timeline"):
                research.timeline_tab(provider.get, settings.model)

        inputs = [question, chatbot, turns, since, until, department, answerer, house, model, k]
        outputs = [chatbot, turns, sources, copy_box, question, last_answer]
        exported = [*answer_downloads, quotation_box]
        question.submit(
            respond,
            inputs,
            outputs,
            concurrency_id=GENERATION,
            concurrency_limit=1,
            api_visibility="private",
            show_progress="hidden",
        ).then(lambda: gr.Textbox(interactive=True), None, question, queue=False, api_visibility="private").then(
            status_line, None, status, queue=False, api_visibility="private"
        ).then(research.answer_exports, last_answer, exported, queue=False, api_visibility="private")
        cleared = [chatbot, turns, sources, copy_box, last_answer]
        for event in (clear_btn.click, chatbot.clear):
            event(clear, None, cleared, queue=False, api_visibility="private").then(
                research.answer_exports, last_answer, exported, queue=False, api_visibility="private"
            )
        gr.api(ask, api_name="ask", concurrency_id=GENERATION, concurrency_limit=1)
        gr.api(index_state, api_name="status", queue=False)
        demo.load(status_line, None, status, queue=False, api_visibility="private")
        gr.Timer(STATUS_INTERVAL).tick(status_line, None, status, queue=False, api_visibility="private")
    return demo


def _auth(settings: Settings | None = None) -> tuple[str, str] | None:
    """The login the chat asks for: ``PARLQA_UI_USER`` and ``PARLQA_UI_PASSWORD``, or none."""
    settings = settings or Settings()
    user = settings.ui_user
    password = settings.ui_password.get_secret_value() if settings.ui_password else None
    if bool(user) != bool(password):
        raise ValueError("set both PARLQA_UI_USER and PARLQA_UI_PASSWORD to require a login, or neither")
    return (user, password) if user and password else None


def launch(
    settings: Settings | None = None,
    host: str = "127.0.0.1",
    port: int = 7860,
    share: bool = False,
    *,
    assistant: Assistant | None = None,
    block: bool = True,
    quiet: bool = False,
    **launch_kwargs: Any,
) -> gr.Blocks:
    """Build the assistant (indexing the default corpus if the index is empty), then serve the chat and, beside it,
    the JSON HTTP API under ``/api`` (``ui.api``; its page is ``/api/docs``).

    Binds ``host`` (loopback by default); ``share`` opens a public gradio.live link. A login is required when
    ``PARLQA_UI_USER`` and ``PARLQA_UI_PASSWORD`` are set, for the chat and the API alike. With ``block=False`` it
    returns once serving.
    """
    say = (lambda *_: None) if quiet else (lambda text: print(text, flush=True))
    auth = _auth(settings if assistant is None else assistant.settings)
    if assistant is None:
        settings = settings or Settings()
        if not index_counts(settings)["passages"]:
            say(f"Indexing the default corpus into {settings.data_dir} (first run only)…")
        else:
            say(f"Opening the index in {settings.data_dir}…")
        started = time.perf_counter()
        assistant = Assistant(settings, auto_index=True)
        say(f"Index ready in {time.perf_counter() - started:.1f} s.")
    settings = assistant.settings
    if settings.llm_url:
        say(f"Using the model '{settings.llm_model or settings.model}' on the model server at {settings.llm_url}…")
    else:
        say(f"Loading the model '{settings.model}'…")
    try:
        assistant.warm_up(settings.model)
    except (ModelError, ValueError, RuntimeError) as exc:  # a missing or unreadable model: pick another in the page
        say(f"warning: {exc}; pick an installed model in the page.")
    if host not in ("127.0.0.1", "localhost", "::1") or share:
        where = "a public gradio.live link" if share else f"{host}"
        say(f"warning: the chat is reachable through {where}" + ("" if auth else " without a login"))
    assistant = OneAtATime(assistant)  # the chat and the HTTP API answer one question at a time between them
    demo = build_app(assistant)
    demo.queue(max_size=QUEUE_SIZE, default_concurrency_limit=1)
    app_kwargs = api.app_kwargs(api.router(assistant, auth), launch_kwargs.pop("app_kwargs", None))
    demo.launch(
        server_name=host,
        server_port=port,
        share=share,
        auth=auth,
        auth_message="parlqa: log in with PARLQA_UI_USER and PARLQA_UI_PASSWORD." if auth else None,
        prevent_thread_lock=not block,
        quiet=quiet,
        show_error=False,
        footer_links=["api", "settings"],
        run_history=False,
        theme=gr.themes.Default(primary_hue="indigo"),
        css=CSS,
        js=JS,
        app_kwargs=app_kwargs,
        **launch_kwargs,
    )
    if not block:
        say(f"parlqa chat is serving on {demo.local_url}")
    return demo
