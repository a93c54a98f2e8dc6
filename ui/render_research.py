"""HTML for the Search and Timeline tabs: result cards, whole answers, facets, the month chart and the timeline.

Corpus text is never trusted HTML: every title, name, snippet, quote and answer goes through ``render.inert``
(escaped, with Markdown's characters as entities), and links only through ``render.safe_url``. The matched words
of a snippet are wrapped in ``<mark>`` from their offsets, the text around and inside them escaped.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

from corpus.dates import long_date, month_label
from qa.types import (
    ChartMark,
    DocumentRecord,
    FacetCount,
    MonthCount,
    RecordFields,
    SearchPage,
    SearchResult,
    Span,
    Timeline,
    TimelineEntry,
    TimelineSummary,
)
from ui.render import dropped_html, inert, marker_link, safe_url, source_card

SUMMARY_PREFIX = "tl-source"  # the ids of the timeline summary's source cards, apart from the chat's
CHART_HEIGHT = 150  # pixels of the bars' area
CHART_MAX_BAR = 28  # widest bar
CHART_WIDTH = 900  # the drawing's width in its own units (it scales to the panel)


# pieces ---------------------------------------------------------------------------------------------------


def marked(text: str, spans: Iterable[Span]) -> str:
    """``text`` escaped, with each span of it in ``<mark>``; spans out of range or overlapping are skipped."""
    out, last = [], 0
    for span in sorted(spans, key=lambda s: (s.start, s.end)):
        start, end = max(span.start, 0), min(span.end, len(text))
        if start < last or start >= end:
            continue
        out.append(inert(text[last:start]))
        out.append(f"<mark>{inert(text[start:end])}</mark>")
        last = end
    out.append(inert(text[last:]))
    return "".join(out)


def plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def _person(name: str | None, party: str | None) -> str:
    if not name:
        return ""
    return inert(name) + (f' <span class="pq-muted">({inert(party)})</span>' if party else "")


def _field(label: str, value_html: str) -> str:
    return f"<dt>{label}</dt><dd>{value_html}</dd>" if value_html else ""


def record_fields_html(record: RecordFields) -> str:
    """Who asked and answered, the department, the dates and the question number, as a definition list."""
    fields = "".join(
        (
            _field("Asked by", _person(record.asked_by, record.asker_party)),
            _field("Answered by", _person(record.answered_by, record.answerer_party)),
            _field("Department", inert(record.department or "")),
            _field("Asked", inert(long_date(record.date_asked))),
            _field("Answered", inert(long_date(record.date_answered))),
            _field(
                "Filed under",
                inert(month_label(record.month_filed)) if record.month_filed and not record.dated else "",
            ),
            _field("Number", inert(record.uin or "")),
        )
    )
    return f'<dl class="pq-fields">{fields}</dl>' if fields else ""


def _tags(record: RecordFields) -> str:
    tags = "".join(f'<span class="pq-tag">{inert(t)}</span>' for t in (record.kind, record.house) if t)
    return f'<div class="pq-tags">{tags}</div>' if tags else ""


def official_link(url: str | None, text: str = "Read it on the official site ↗") -> str:
    """A link that opens the record on Parliament's site in a new tab, or a note that the record has none."""
    safe = safe_url(url)
    if not safe:
        return '<span class="pq-muted pq-nolink">No official link in this record.</span>'
    return f'<a class="pq-link" href="{inert(safe)}" target="_blank" rel="noopener noreferrer">{inert(text)}</a>'


def _paragraphs(text: str) -> str:
    return "".join(f"<p>{inert(line.strip())}</p>" for line in (text or "").splitlines() if line.strip())


def document_html(document: DocumentRecord, shown_question: str | None = None) -> str:
    """A whole record: the question asked (unless it is ``shown_question``, shown already), the full answer, its
    official link and its licence."""
    parts = []
    if document.question and document.question != shown_question:
        asked = _paragraphs(document.question)
        parts.append(f'<div class="pq-label">Question</div><div class="pq-doc-question">{asked}</div>')
    answer = _paragraphs(document.answer)
    parts.append(f'<div class="pq-label">Answer</div><div class="pq-doc-answer">{answer}</div>')
    parts.append(f'<div class="pq-doc-foot">{official_link(document.url)}')
    if document.licence:
        parts.append(f' <span class="pq-muted pq-licence">{inert(document.licence)}</span>')
    parts.append("</div>")
    return f'<div class="pq-doc" data-doc-id="{inert(document.doc_id)}">{"".join(parts)}</div>'


# search ---------------------------------------------------------------------------------------------------


def page_summary(page: SearchPage) -> str:
    """'page 2 of 14 · 273 answers' (or that nothing matched)."""
    if not page.total:
        return "No answers match."
    return f"page {page.page} of {page.pages} · {plural(page.total, 'answer')}"


def result_html(result: SearchResult, document: DocumentRecord | None = None) -> str:
    """One result: title, tags, who asked and answered, the date, the snippet with its matched words marked, and
    the whole answer with its official link behind a click."""
    when = result.date_label() if result.dated or result.month_filed else ""
    dated = f'<span class="pq-date">{inert(when)}</span>' if when else ""
    snippet = marked(result.snippet, result.highlights)
    asked = (
        f'<div class="pq-asked"><span class="pq-label">Question</span> {inert(result.question)}</div>'
        if result.question
        else ""
    )
    full = (
        '<details class="pq-full"><summary>Read the full answer</summary>'
        f"{document_html(document, result.question)}</details>"
        if document is not None
        else f'<div class="pq-doc-foot">{official_link(result.url)}</div>'
    )
    return (
        f'<article class="pq-card pq-result" data-doc-id="{inert(result.doc_id)}">'
        f"<header><h4>{inert(result.title)}</h4>"
        f"{dated}</header>"
        f"{_tags(result)}{record_fields_html(result)}{asked}"
        f'<blockquote class="pq-snippet">{snippet}</blockquote>{full}</article>'
    )


def results_html(page: SearchPage | None, documents: dict[str, DocumentRecord] | None = None) -> str:
    """The results of a search page (``documents``: the whole records by id, opened from each result)."""
    if page is None:
        return (
            '<div class="pq-results"><p class="pq-muted">Search every answer in the index: all the words must '
            "appear; put phrases in &quot;quotes&quot;; a question number finds that question. An empty search "
            "lists every answer, newest first.</p></div>"
        )
    documents = documents or {}
    if not page.results:
        what = "No answers match this search." if page.total == 0 else "No answers on this page."
        what += " Try fewer words or wider filters."
        return f'<div class="pq-results"><p class="pq-muted pq-empty">{what}</p></div>'
    notes = []
    if page.uin:
        notes.append(f"Question number {inert(page.uin)}.")
    if page.phrases:
        notes.append("Phrases: " + ", ".join(f"“{inert(p)}”" for p in page.phrases) + ".")
    note = f'<p class="pq-muted pq-search-note">{" ".join(notes)}</p>' if notes else ""
    cards = "".join(result_html(r, documents.get(r.doc_id)) for r in page.results)
    return f'<div class="pq-results">{note}{cards}</div>'


def facet_choices(counts: Sequence[FacetCount]) -> list[tuple[str, str]]:
    """A facet's values as (label, value) choices, 'Department for Education (3)'."""
    return [(f"{c.value} ({c.count:,})", c.value) for c in counts]


# timeline -------------------------------------------------------------------------------------------------


def chart_svg(chart: Sequence[MonthCount], marks: Sequence[ChartMark] = ()) -> str:
    """Answers per month as an SVG bar chart, every month a bar, with the marks (a change of government) drawn
    as dashed lines where the months span them."""
    if not chart:
        return '<div class="pq-chart pq-muted">No dated answers to chart.</div>'
    n, top = len(chart), max(c.count for c in chart) or 1
    left, right, head, foot = 34, 8, 18, 34
    inner = CHART_WIDTH - left - right
    step = inner / n
    bar = min(CHART_MAX_BAR, max(step * 0.8, 1.0))
    base = head + CHART_HEIGHT
    index = {c.month: i for i, c in enumerate(chart)}
    parts = [
        f'<line class="pq-axis" x1="{left}" y1="{base}" x2="{CHART_WIDTH - right}" y2="{base}"/>',
        f'<text class="pq-tick" x="{left - 6}" y="{head + 4}" text-anchor="end">{top}</text>',
        f'<text class="pq-tick" x="{left - 6}" y="{base}" text-anchor="end">0</text>',
    ]
    ticks = _ticks([c.month for c in chart], gap=math.ceil(60 / step))
    for i, c in enumerate(chart):
        x = left + i * step + (step - bar) / 2
        h = CHART_HEIGHT * c.count / top
        label = month_label(c.month)
        parts.append(
            f'<rect class="pq-bar" data-month="{inert(c.month)}" x="{x:.1f}" y="{base - h:.1f}" width="{bar:.1f}" '
            f'height="{h:.1f}"><title>{inert(label)}: {plural(c.count, "answer")}</title></rect>'
        )
        if i in ticks:
            cx = left + i * step + step / 2
            parts.append(
                f'<text class="pq-tick" x="{cx:.1f}" y="{base + 14}" text-anchor="middle">{inert(ticks[i])}</text>'
            )
    for mark in marks:
        if mark.month not in index:
            continue
        x = left + index[mark.month] * step
        anchor = "end" if index[mark.month] > n * 0.6 else "start"
        dx = -4 if anchor == "end" else 4
        parts.append(
            f'<g class="pq-mark" data-month="{inert(mark.month)}">'
            f'<line x1="{x:.1f}" y1="{head - 6}" x2="{x:.1f}" y2="{base + 20}"/>'
            f'<text x="{x + dx:.1f}" y="{head - 6 + 10}" text-anchor="{anchor}">{inert(mark.label)}</text></g>'
        )
    first, last = month_label(chart[0].month), month_label(chart[-1].month)
    total = sum(c.count for c in chart)
    title = f"Answers per month, {first} to {last}: {plural(total, 'answer')}"
    return (
        f'<figure class="pq-chart"><svg viewBox="0 0 {CHART_WIDTH} {base + foot}" role="img" '
        f'aria-label="{inert(title)}" preserveAspectRatio="xMidYMid meet"><title>{inert(title)}</title>'
        f'{"".join(parts)}</svg><figcaption class="pq-muted">{inert(title)}</figcaption></figure>'
    )


def _ticks(months: Sequence[str], gap: int = 1, most: int = 14) -> dict[int, str]:
    """Which bars get a label under the axis, and what: every month for a short range ('Jul 2024'), else the
    Januaries as years ('2024'), every second or fifth year when there are many; the first bar too, with its month,
    when the first label is ``gap`` bars or more from it."""
    n = len(months)
    if n <= most:
        return {i: month_label(m, short=True) for i, m in enumerate(months)}
    januaries = [i for i, m in enumerate(months) if m.endswith("-01")]
    every = next((k for k in (1, 2, 5, 10, 20, 50) if len(januaries) / k <= most), 100)
    ticks = {i: months[i][:4] for i in januaries if int(months[i][:4]) % every == 0}
    if not ticks or min(ticks) >= gap:
        ticks[0] = month_label(months[0], short=True)
    return ticks


def timeline_entry_html(entry: TimelineEntry) -> str:
    """One dated answer: the date, who answered, the quoted sentence and its link."""
    who = _person(entry.answered_by, entry.answerer_party) or '<span class="pq-muted">Answerer not recorded</span>'
    dept = f' <span class="pq-muted">· {inert(entry.department)}</span>' if entry.department else ""
    quote = f'<blockquote class="pq-quote">“{inert(entry.quote)}”</blockquote>' if entry.quote else ""
    link = f'<div class="pq-entry-link">{official_link(entry.url)}</div>' if safe_url(entry.url) else ""
    n = len(entry.duplicates)
    also = (
        f'<div class="pq-muted pq-also">The same answer was given to {n} other question{"s" if n > 1 else ""} this'
        " month.</div>"
        if n
        else ""
    )
    return (
        f'<li class="pq-entry" data-doc-id="{inert(entry.doc_id)}">'
        f'<div class="pq-entry-head"><span class="pq-date">{inert(entry.date_label())}</span> '
        f'<span class="pq-who">{who}</span>{dept}</div>'
        f'<div class="pq-entry-title">{inert(entry.title)}</div>{quote}'
        f"{also}{link}</li>"
    )


def timeline_html(timeline: Timeline | None, summary: str = "") -> str:
    """The chart of answers per month, then ``summary`` (the HTML of ``summary_html``), then the months, each with
    its answers, oldest first."""
    if timeline is None:
        return (
            '<div class="pq-timeline"><p class="pq-muted">Enter a subject to see how the answers about it '
            "run month by month.</p></div>"
        )
    if not timeline.months:
        extra = f" ({plural(timeline.undated, 'matching answer')} without a date.)" if timeline.undated else ""
        text = f"No dated answers match this subject.{extra}"
        return f'<div class="pq-timeline"><p class="pq-muted pq-empty">{text}</p></div>'
    head = f"{plural(timeline.total, 'dated answer')}"
    if timeline.shown < timeline.total:
        head += f", the {timeline.shown:,} most relevant shown"
    if timeline.undated:
        head += f" · {plural(timeline.undated, 'answer')} without a date left off"
    months = "".join(
        f'<section class="pq-month" data-month="{inert(m.month)}"><h3>{inert(m.label)} '
        f'<span class="pq-muted">{plural(len(m.entries), "answer")}</span></h3>'
        f'<ol class="pq-entries">{"".join(timeline_entry_html(e) for e in m.entries)}</ol></section>'
        for m in timeline.months
    )
    return (
        f'<div class="pq-timeline"><p class="pq-muted pq-timeline-head">{head}</p>'
        f"{chart_svg(timeline.chart, timeline.marks)}{summary}{months}</div>"
    )


def summary_html(summary: TimelineSummary | None, pending: bool = False) -> str:
    """How the position changed: each sentence with its [n] markers, then the dated answers it cites."""
    if pending:
        return '<div class="pq-summary"><span class="pq-muted">Summarising how the position changed…</span></div>'
    if summary is None:
        return ""
    if summary.refused or not (summary.sentences or summary.text):
        return (
            '<div class="pq-summary"><div class="pq-notice pq-refusal" role="status"><strong>No summary.</strong> '
            "The answers found do not state how the position changed.</div></div>"
        )
    known = {c.marker for c in summary.citations}
    if summary.sentences:
        body = " ".join(_summary_sentence(s.text, s.markers, known) for s in summary.sentences if s.supported)
    else:
        body = inert(summary.text)
    dropped = dropped_html(summary.dropped) if summary.dropped else ""
    cards = "".join(source_card(c, id_prefix=SUMMARY_PREFIX) for c in sorted(summary.citations, key=lambda c: c.marker))
    model = f'<div class="pq-meta">{inert(summary.model)}</div>' if summary.model else ""
    return (
        f'<div class="pq-summary"><div class="pq-label">How the position changed</div>'
        f'<div class="pq-answer">{body}</div>{dropped}{model}'
        f'<details class="pq-summary-sources"><summary>The answers it cites ({len(summary.citations)})</summary>'
        f"{cards}</details></div>"
    )


def _summary_sentence(text: str, markers: Sequence[int], known: set[int]) -> str:
    text = text.rstrip()
    end = text[-1] if text and text[-1] in ".!?" else ""
    body = inert(text[:-1] if end else text)
    tail = "".join(marker_link(m, known, prefix=SUMMARY_PREFIX) for m in markers)
    return f"{body}{' ' + tail if tail else ''}{inert(end)}"
