"""The Search and Timeline tabs of the chat page, and the downloads of what was found.

``search_tab(get)`` and ``timeline_tab(get, default_model)`` add their components to the ``gr.Blocks`` being
built; ``get`` returns the assistant. Search and timelines make no model call (they share the ``research``
concurrency group); a timeline's optional summary does, in the chat's ``generation`` group. Every download is
written by ``qa.export`` into a file of its own under one temporary folder, pruned of files older than an hour.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from datetime import date
from pathlib import Path

import gradio as gr

from qa.errors import ParlqaError
from qa.models import ModelError
from qa.types import Answer, SearchPage, Timeline
from ui import render, render_research
from ui.forms import HOUSES, form_filters

log = logging.getLogger(__name__)

PAGE_SIZE = 20  # results per page
EXPORT_LIMIT = 500  # results in a search's download (the most one page of a search holds)
TIMELINE_LIMIT = 200  # answers placed on a timeline
RESEARCH = "research"  # the concurrency group of searches and timelines
RESEARCH_CONCURRENCY = 4
GENERATION = "generation"  # the chat's group: the model is one llama.cpp context
EXPORT_MAX_AGE = 3600  # seconds an export file is kept
FORMATS = (("csv", "CSV"), ("json", "JSON"), ("md", "Markdown"))
SORTS = {"Most relevant": "relevance", "Newest first": "newest", "Oldest first": "oldest"}
FACETS = (("department", "Department"), ("answerer", "Answered by"), ("asker", "Asked by"), ("year", "Year"))

_export_lock = threading.Lock()
_export_root: Path | None = None


def write_export(text: str, stem: str, fmt: str) -> str:
    """``text`` saved as ``stem.fmt`` in a new folder of the exports folder; returns its path."""
    global _export_root
    with _export_lock:
        if _export_root is None or not _export_root.exists():
            _export_root = Path(tempfile.mkdtemp(prefix="parlqa-exports-"))
        root = _export_root
        cutoff = time.time() - EXPORT_MAX_AGE
        for old in root.iterdir():
            if old.stat().st_mtime < cutoff:
                shutil.rmtree(old, ignore_errors=True)
    folder = root / uuid.uuid4().hex
    folder.mkdir()
    path = folder / f"{stem}.{fmt}"
    path.write_text(text, encoding="utf-8")
    return str(path)


def _downloads(make: Callable[[str], str] | None, stem: str) -> list:
    """One DownloadButton update per format: the file ``make(fmt)`` writes, or disabled when there is nothing."""
    if make is None:
        return [gr.DownloadButton(value=None, interactive=False) for _ in FORMATS]
    return [gr.DownloadButton(value=write_export(make(fmt), stem, fmt), interactive=True) for fmt, _ in FORMATS]


class _ExportCache:
    """The download files of the latest searches, by (query, filters, sort), while their files last."""

    def __init__(self, size: int = 32):
        self._size = size
        self._paths: OrderedDict[tuple, list[str]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple) -> list[str] | None:
        with self._lock:
            paths = self._paths.get(key)
            if paths is None or not all(Path(p).exists() for p in paths):
                self._paths.pop(key, None)
                return None
            self._paths.move_to_end(key)
            return paths

    def put(self, key: tuple, paths: list[str]) -> None:
        with self._lock:
            self._paths[key] = paths
            while len(self._paths) > self._size:
                self._paths.popitem(last=False)


def _download_buttons(prefix: str) -> list[gr.DownloadButton]:
    return [
        gr.DownloadButton(
            f"Download {label}",
            value=None,
            interactive=False,
            size="sm",
            variant="secondary",
            elem_id=f"{prefix}-{fmt}",
            scale=0,
            min_width=150,
            elem_classes=["pq-download"],
        )
        for fmt, label in FORMATS
    ]


def _problem(exc: Exception) -> str:
    if not isinstance(exc, ParlqaError | ModelError | ValueError):
        log.exception("searching")
    if isinstance(exc, ValueError):
        return render.error_html(str(exc), "Correct the search or the filters, then try again.")
    return render.error_html(str(exc) or "an unexpected error occurred", "Check the message, then try again.")


def _filter_boxes(prefix: str) -> tuple:
    """The filter fields shared by both tabs: since, until, department, answerer, asker, house."""
    with gr.Row():
        since = gr.Textbox(label="Since", placeholder="YYYY-MM-DD", elem_id=f"{prefix}-since", min_width=120)
        until = gr.Textbox(label="Until", placeholder="YYYY-MM-DD", elem_id=f"{prefix}-until", min_width=120)
        house = gr.Radio(list(HOUSES), value=HOUSES[0], label="House", elem_id=f"{prefix}-house", min_width=200)
    with gr.Row():
        department = gr.Textbox(label="Department contains", placeholder="e.g. Education", elem_id=f"{prefix}-dept")
        answerer = gr.Textbox(label="Answered by (contains)", placeholder="e.g. Timpson", elem_id=f"{prefix}-ans")
        asker = gr.Textbox(label="Asked by (contains)", placeholder="e.g. Allin-Khan", elem_id=f"{prefix}-asker")
    return since, until, department, answerer, asker, house


def _year_of(since: str, until: str) -> str | None:
    """The year the since/until fields span exactly, as a year facet's value."""
    since, until = (since or "").strip(), (until or "").strip()
    if len(since) == 10 and since.endswith("-01-01") and until == f"{since[:4]}-12-31":
        return since[:4]
    return None


# search ---------------------------------------------------------------------------------------------------


def search_tab(get: Callable[[], object], tab: gr.Tab | None = None) -> None:
    """The Search tab: a query, filters and sort; paged results with their whole answers; facets; downloads.
    When ``tab`` is given, opening it the first time lists every answer."""

    def run(query, since, until, department, answerer, asker, house, sort, page) -> tuple:
        try:
            filters = form_filters(since, until, department, answerer, house, asker)
            bot = get()
            how = SORTS.get(sort, "relevance")
            found: SearchPage = bot.search(query or "", filters=filters, sort=how, page=max(1, int(page or 1)))
            if found.page > found.pages:  # the filters narrowed the results below this page
                found = bot.search(query or "", filters=filters, sort=how, page=found.pages)
            documents = {r.doc_id: d for r in found.results if (d := bot.document(r.doc_id)) is not None}
        except Exception as exc:  # noqa: BLE001 - every failure becomes a notice in the results
            return (
                _problem(exc),
                "",
                1,
                gr.Button(interactive=False),
                gr.Button(interactive=False),
                *[gr.Radio(choices=[], value=None, visible=False) for _ in range(len(FACETS) + 1)],
            )
        chosen = {"department": department, "answerer": answerer, "asker": asker, "year": _year_of(since, until)}
        radios = []
        for name, _ in FACETS:
            counts = getattr(found.facets, name)
            values = {c.value for c in counts}
            value = chosen[name] if chosen[name] in values else None
            radios.append(gr.Radio(choices=render_research.facet_choices(counts), value=value, visible=bool(counts)))
        houses = found.facets.house
        house_value = house if house in {c.value for c in houses} else None
        radios.append(gr.Radio(choices=render_research.facet_choices(houses), value=house_value, visible=bool(houses)))
        return (
            render_research.results_html(found, documents),
            f'<div class="pq-page-summary">{render.inert(render_research.page_summary(found))}</div>',
            found.page,
            gr.Button(interactive=found.page > 1),
            gr.Button(interactive=found.page < found.pages),
            *radios,
        )

    exports = _ExportCache()

    def prepare_downloads(query, since, until, department, answerer, asker, house, sort) -> list:
        """The downloads of every result of the search (up to ``EXPORT_LIMIT``), written once per search: paging
        through its results reuses them."""
        try:
            filters = form_filters(since, until, department, answerer, house, asker)
        except ValueError:
            return _downloads(None, "")
        how = SORTS.get(sort, "relevance")
        key = ((query or "").strip(), filters.model_dump_json() if filters else "", how)
        paths = exports.get(key)
        if paths is None:
            from qa.export import export_search

            try:
                whole: SearchPage = get().search(query or "", filters=filters, sort=how, page_size=EXPORT_LIMIT)
            except Exception as exc:  # noqa: BLE001 - the results panel says what went wrong
                _problem(exc)
                return _downloads(None, "")
            if not whole.total:
                return _downloads(None, "")
            paths = [write_export(export_search(whole, fmt), "parlqa-search", fmt) for fmt, _ in FORMATS]
            exports.put(key, paths)
        return [gr.DownloadButton(value=path, interactive=True) for path in paths]

    with gr.Row(equal_height=True, elem_classes=["pq-query-row"]):
        query = gr.Textbox(
            show_label=False,
            placeholder='Search the answers: words, "a phrase", or a question number',
            lines=1,
            max_lines=1,
            scale=5,
            submit_btn="Search",
            elem_id="pq-search-query",
        )
        sort = gr.Dropdown(
            list(SORTS), value="Most relevant", show_label=False, scale=1, min_width=160, elem_id="pq-search-sort"
        )
    with gr.Accordion("Filters", open=False, elem_id="pq-search-filters"):
        since, until, department, answerer, asker, house = _filter_boxes("pq-search")
        clear = gr.Button("Clear filters", size="sm", variant="secondary", elem_id="pq-search-clear")
    page = gr.State(1)
    with gr.Row(equal_height=False):
        with gr.Column(scale=1, min_width=240, elem_id="pq-facets"):
            gr.HTML('<div class="pq-label">Narrow the results</div>', js_on_load=None)
            facets = [
                gr.Radio([], label=label, visible=False, elem_id=f"pq-facet-{name}", elem_classes=["pq-facet"])
                for name, label in FACETS
            ]
            facets.append(
                gr.Radio([], label="House", visible=False, elem_id="pq-facet-house", elem_classes=["pq-facet"])
            )
            clear_facets = gr.Button("Clear filters", size="sm", variant="secondary", elem_id="pq-facets-clear")
        with gr.Column(scale=3, min_width=420):
            with gr.Row(equal_height=True, elem_id="pq-search-bar"):
                summary = gr.HTML("", elem_id="pq-search-summary", js_on_load=None)
                prev_btn = gr.Button(
                    "‹ Previous", size="sm", interactive=False, scale=0, min_width=100, elem_id="pq-search-prev"
                )
                next_btn = gr.Button(
                    "Next ›", size="sm", interactive=False, scale=0, min_width=100, elem_id="pq-search-next"
                )
            results = gr.HTML(render_research.results_html(None), elem_id="pq-search-results", js_on_load=None)
            with gr.Row(elem_id="pq-search-downloads", elem_classes=["pq-downloads"]):
                downloads = _download_buttons("pq-search-export")

    fields = [since, until, department, answerer, asker, house]
    state = [query, *fields, sort]
    outputs = [results, summary, page, prev_btn, next_btn, *facets]
    options = {"concurrency_id": RESEARCH, "concurrency_limit": RESEARCH_CONCURRENCY, "api_visibility": "private"}
    quick = {"queue": False, "api_visibility": "private"}

    def first_page(*values):
        return run(*values, 1)

    def step(by: int):
        return lambda *values: run(*values[:-1], int(values[-1] or 1) + by)

    def searched(event) -> None:
        """After the results are shown, the downloads of the whole search."""
        event.then(prepare_downloads, state, downloads, **options)

    def new_search(event) -> None:
        """A new search: its downloads are withdrawn, the first page shown, then the downloads prepared."""
        withdrawn = event(lambda: _downloads(None, ""), None, downloads, **quick)
        searched(withdrawn.then(first_page, state, outputs, **options))

    new_search(query.submit)
    new_search(sort.input)
    searched(prev_btn.click(step(-1), [*state, page], outputs, **options))
    searched(next_btn.click(step(+1), [*state, page], outputs, **options))

    if tab is not None:
        loaded = gr.State(False)

        def listing(done, *values):
            if done:
                return True, *[gr.skip() for _ in outputs]
            return True, *first_page(*values)

        searched(tab.select(listing, [loaded, *state], [loaded, *outputs], **options))

    def narrowed(event, fn, inputs, targets) -> None:
        """A facet or filter button: it sets the filter fields, then the search runs again."""
        withdrawn = event(lambda *v: (*_downloads(None, ""), *fn(*v)), inputs, [*downloads, *targets], **quick)
        searched(withdrawn.then(first_page, state, outputs, **options))

    for facet, target in zip(facets[:3], (department, answerer, asker), strict=True):
        narrowed(facet.input, lambda v: (v or "",), [facet], [target])
    year_facet, house_facet = facets[3], facets[4]
    narrowed(year_facet.input, lambda y: (f"{y}-01-01", f"{y}-12-31") if y else ("", ""), [year_facet], [since, until])
    narrowed(house_facet.input, lambda h: (h or HOUSES[0],), [house_facet], [house])
    for button in (clear, clear_facets):
        narrowed(button.click, lambda: ("", "", "", "", "", HOUSES[0]), [], fields)


# timeline -------------------------------------------------------------------------------------------------


def timeline_tab(get: Callable[[], object], default_model: str) -> None:
    """The Timeline tab: a subject and filters; a chart of answers per month above the months' answers; an
    optional summary of how the position changed, from the model; downloads."""

    def build(subject, since, until, department, answerer, asker, house, summarise) -> tuple:
        try:
            filters = form_filters(since, until, department, answerer, house, asker)
            found: Timeline = get().timeline(subject or "", filters=filters, limit=TIMELINE_LIMIT)
        except Exception as exc:  # noqa: BLE001 - every failure becomes a notice
            return _problem(exc), False, *_downloads(None, "")
        pending = render_research.summary_html(None, pending=True) if summarise and found.shown else ""
        return render_research.timeline_html(found, pending), bool(pending), *_timeline_downloads(found)

    def summarise_it(subject, since, until, department, answerer, asker, house, summarise, wanted) -> tuple:
        if not wanted:
            return gr.skip(), *[gr.skip() for _ in FORMATS]
        try:
            filters = form_filters(since, until, department, answerer, house, asker)
            found: Timeline = get().timeline(
                subject or "", filters=filters, limit=TIMELINE_LIMIT, summary=True, model=default_model
            )
        except Exception as exc:  # noqa: BLE001 - every failure becomes a notice
            return _problem(exc), *[gr.skip() for _ in FORMATS]
        summary = render_research.summary_html(found.summary)
        return render_research.timeline_html(found, summary), *_timeline_downloads(found)

    with gr.Row(equal_height=True, elem_classes=["pq-query-row"]):
        subject = gr.Textbox(
            show_label=False,
            placeholder="A subject, e.g. early intervention",
            lines=1,
            max_lines=1,
            scale=5,
            submit_btn="Show timeline",
            elem_id="pq-timeline-subject",
        )
        summarise = gr.Checkbox(
            label="Summarise how the position changed (uses the model)",
            value=False,
            scale=2,
            elem_id="pq-timeline-summarise",
        )
    with gr.Accordion("Filters", open=False, elem_id="pq-timeline-filters"):
        fields = list(_filter_boxes("pq-timeline"))
    wanted = gr.State(False)  # whether the timeline shown waits for its summary
    timeline = gr.HTML(render_research.timeline_html(None), elem_id="pq-timeline", js_on_load=None)
    with gr.Row(elem_id="pq-timeline-downloads", elem_classes=["pq-downloads"]):
        downloads = _download_buttons("pq-timeline-export")

    inputs = [subject, *fields, summarise]
    subject.submit(
        build,
        inputs,
        [timeline, wanted, *downloads],
        concurrency_id=RESEARCH,
        concurrency_limit=RESEARCH_CONCURRENCY,
        api_visibility="private",
    ).then(
        summarise_it,
        [*inputs, wanted],
        [timeline, *downloads],
        concurrency_id=GENERATION,
        concurrency_limit=1,
        api_visibility="private",
        show_progress="hidden",
    )


def _timeline_downloads(found: Timeline) -> list:
    def export(fmt: str) -> str:
        from qa.export import export_timeline

        return export_timeline(found, fmt)

    return _downloads(export if found.months else None, "parlqa-timeline")


# the chat's last answer -----------------------------------------------------------------------------------


def chat_exports() -> tuple[list[gr.DownloadButton], gr.Textbox]:
    """The chat's downloads of its last answer and its box of quotations, one per cited source."""
    with gr.Row(elem_id="pq-chat-downloads", elem_classes=["pq-downloads"]):
        buttons = _download_buttons("pq-chat-export")
    quotes = gr.Textbox(
        label="Its sources as quotations, each with its full reference",
        lines=4,
        max_lines=16,
        interactive=False,
        buttons=["copy"],
        elem_id="pq-quotation",
    )
    return buttons, quotes


def answer_exports(answer: Answer | dict | None) -> tuple:
    """The downloads and quotations of ``answer`` (nothing when there is none)."""
    if not answer:
        return *_downloads(None, ""), ""
    answer = Answer.model_validate(answer)
    from qa.export import export_answer, quotation

    quotes = "\n\n".join(f"[{c.marker}] {quotation(c)}" for c in sorted(answer.citations, key=lambda c: c.marker))
    stem = f"parlqa-answer-{date.today():%Y%m%d}"
    return *_downloads(lambda fmt: export_answer(answer, fmt), stem), quotes
