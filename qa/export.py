"""What a user found, as CSV, JSON or Markdown: search results, timelines and chat answers, each with its source.

Every row or entry carries the question, the answer text or quote, who asked, who answered, the department, the
dates, the official link and the licence attribution. JSON is the records' own schema (``SearchPage``,
``Timeline``, ``Answer``), so it validates back into them. Markdown escapes corpus text, so that a title cannot
become a link or a heading.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Literal

from corpus.dates import long_date
from corpus.types import OPEN_PARLIAMENT_LICENCE, licence_of
from qa.types import Answer, Citation, RecordFields, SearchPage, Timeline

ExportFormat = Literal["csv", "json", "md"]
FORMATS: tuple[ExportFormat, ...] = ("csv", "json", "md")
RECORD_COLUMNS = (
    "doc_id",
    "title",
    "question",
    "asked_by",
    "answered_by",
    "department",
    "date_asked",
    "date_answered",
    "month_filed",
    "url",
)
SEARCH_COLUMNS = (*RECORD_COLUMNS, "snippet", "licence")
TIMELINE_COLUMNS = ("month", *RECORD_COLUMNS, "quote", "duplicates", "licence")
ANSWER_COLUMNS = ("question_asked", "answer", "marker", *RECORD_COLUMNS[:2], "quote", *RECORD_COLUMNS[3:], "licence")
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>|~])")  # what can start markup inside a line we begin
_KIND_LABEL = {"written statement": "written ministerial statement", "written question": "answer to a written question"}


def _check(fmt: str) -> ExportFormat:
    if fmt not in FORMATS:
        raise ValueError(f"export format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    return fmt  # type: ignore[return-value]


def md_escape(text: str | None) -> str:
    """Corpus text as literal Markdown: its special characters escaped, its line breaks as spaces."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join((text or "").split()))


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def to_csv(rows: Iterable[dict], columns: Sequence[str]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(columns), extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({c: _cell(row.get(c)) for c in columns})
    return out.getvalue()


def _byline(record: RecordFields | Citation) -> str:
    parts = []
    if record.asked_by:
        parts.append(f"asked by {md_escape(record.asked_by)}")
    if record.answered_by:
        parts.append(f"answered by {md_escape(record.answered_by)}")
    if record.department:
        parts.append(md_escape(record.department))
    parts.append(
        record.date_label()
        if isinstance(record, RecordFields)
        else long_date(record.date_answered or record.date_asked, "undated")
    )
    return " · ".join(parts)


def _md_link(url: str | None) -> str:
    return f"<{url}>" if url and url.startswith(("http://", "https://")) and ">" not in url else ""


def _licences(records: Iterable[RecordFields | Citation]) -> str:
    found = [getattr(r, "licence", "") or licence_of(getattr(r, "source", None)) for r in records]
    return " ".join(dict.fromkeys(found)) or OPEN_PARLIAMENT_LICENCE


# search -------------------------------------------------------------------------------------------------------
def export_search(page: SearchPage, fmt: str) -> str:
    """One page of search results: one row or entry per answer."""
    fmt = _check(fmt)
    if fmt == "json":
        return page.model_dump_json(indent=2)
    if fmt == "csv":
        return to_csv((r.model_dump() for r in page.results), SEARCH_COLUMNS)
    lines = [f"# Search: {md_escape(page.query) or 'all answers'}", ""]
    shown = f"{(page.page - 1) * page.page_size + 1}–{(page.page - 1) * page.page_size + len(page.results)}"
    lines += [f"{page.total} answers; {shown if page.results else 'none'} shown, sorted by {page.sort}.", ""]
    for result in page.results:
        lines += [f"## {md_escape(result.title)}", "", f"*{_byline(result)}*", ""]
        if result.question:
            lines += [f"**Question:** {md_escape(result.question)}", ""]
        if result.snippet and result.snippet.strip("…") not in (result.question or ""):
            lines += [f"> {md_escape(result.snippet)}", ""]
        link = _md_link(result.url)
        lines += [f"Source: {link or md_escape(result.doc_id)}", ""]
    lines.append(f"*{_licences(page.results)}*")
    return "\n".join(lines) + "\n"


# timeline -----------------------------------------------------------------------------------------------------
def export_timeline(timeline: Timeline, fmt: str) -> str:
    """A timeline: one row or entry per dated answer, oldest first, with its quoted sentence."""
    fmt = _check(fmt)
    if fmt == "json":
        return timeline.model_dump_json(indent=2)
    if fmt == "csv":
        rows = (
            {"month": m.month, **e.model_dump(), "duplicates": " ".join(e.duplicates)}
            for m in timeline.months
            for e in m.entries
        )
        return to_csv(rows, TIMELINE_COLUMNS)
    lines = [f"# Timeline: {md_escape(timeline.query)}", ""]
    lines += [f"{timeline.total} dated answers, {timeline.shown} shown; {timeline.undated} undated left out.", ""]
    for mark in timeline.marks:
        lines += [f"*{md_escape(mark.label)}*", ""]
    if timeline.summary and timeline.summary.text:
        lines += ["## How the position changed", "", md_escape(timeline.summary.text), ""]
        lines += [f"- \\[{c.marker}\\] {_reference(c, markdown=True)}" for c in timeline.summary.citations] + [""]
    for month in timeline.months:
        lines += [f"## {month.label}", ""]
        for e in month.entries:
            link = _md_link(e.url)
            lines.append(f"- **{e.date_label()}**, {_byline(e)}: “{md_escape(e.quote)}” {link}".rstrip())
        lines.append("")
    entries = [e for m in timeline.months for e in m.entries]
    lines.append(f"*{_licences(entries)}*")
    return "\n".join(lines) + "\n"


# chat answers -------------------------------------------------------------------------------------------------
def _who(citation: Citation) -> str:
    if citation.answered_by:
        return (
            f"{citation.answered_by} ({citation.answerer_party})" if citation.answerer_party else citation.answered_by
        )
    return citation.department or "UK Parliament"


def _reference(citation: Citation, markdown: bool = False) -> str:
    """'Edward Timpson (Conservative), answer to a written question, 21 December 2016, <link>'."""
    escape = md_escape if markdown else (lambda text: text)
    kind = _KIND_LABEL.get(citation.kind or "", "parliamentary record")
    parts = [escape(_who(citation)), kind, long_date(citation.date_answered or citation.date_asked, "undated")]
    if citation.url:
        parts.append(_md_link(citation.url) if markdown else citation.url)
    elif citation.title:
        parts.append(escape(citation.title))
    return ", ".join(p for p in parts if p)


def quotation(citation: Citation, markdown: bool = False) -> str:
    """The cited sentence as a quotation with its full reference, ready to paste."""
    quote = " ".join(citation.quote.split())
    return f"“{md_escape(quote) if markdown else quote}” — {_reference(citation, markdown)}"


def export_answer(answer: Answer, fmt: str) -> str:
    """A chat answer: the answer text, then one row or entry per cited source with its quote."""
    fmt = _check(fmt)
    if fmt == "json":
        return answer.model_dump_json(indent=2, exclude={"hits", "context"})
    if fmt == "csv":
        base = {"question_asked": answer.question, "answer": answer.text}
        rows = [{**base, **c.model_dump(), "licence": licence_of(c.source)} for c in answer.citations] or [
            {**base, "licence": OPEN_PARLIAMENT_LICENCE}
        ]
        return to_csv(rows, ANSWER_COLUMNS)
    lines = [f"# {md_escape(answer.question)}", "", md_escape(answer.text), ""]
    if answer.citations:
        lines += ["## Sources", ""]
        lines += [f"{c.marker}. {quotation(c, markdown=True)}" for c in answer.citations] + [""]
    lines.append(f"*{_licences(answer.citations)}*")
    return "\n".join(lines) + "\n"
