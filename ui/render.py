"""HTML and plain text for the chat: escaped corpus text, linked [n] markers, source cards and notices.

Every string that comes from the corpus, the model or the user goes through ``inert`` before it is put in
HTML: it is escaped with ``html.escape`` and the characters Markdown acts on become numeric entities, so
scripts, raw tags, links and images in that text show as text. Chat messages are single HTML blocks with no
blank lines, so the chat's Markdown renderer leaves them as they are.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from urllib.parse import urlsplit

from corpus.dates import long_date
from qa.markers import MARKER, place_markers
from qa.prompts import DRAFT_LABEL, DROPPED_NOTE, EXTRACT_HEADING, QUOTED_NOTE, REFUSAL_MESSAGE, UNSUPPORTED_NOTE
from qa.types import Answer, AnswerSentence, Citation, ExtractSentence

_MARKDOWN = str.maketrans({c: f"&#{ord(c)};" for c in "\"'[]()!*_`#|~\\{}$^=+-:"})
UNSUPPORTED_LABEL = f"⚠ {UNSUPPORTED_NOTE}"
QUOTED_LABEL = QUOTED_NOTE
CONTEXT_CHARS = 320


def inert(text: object) -> str:
    """``text`` as HTML that displays literally, in plain HTML and inside Markdown alike."""
    return html.escape(str(text), quote=False).translate(_MARKDOWN)


def inline(text: object) -> str:
    """``inert`` text on one line of HTML (line breaks become ``<br>``; a chat message must not hold blank lines)."""
    return "<br>".join(inert(line) for line in str(text).strip().splitlines() if line.strip())


def safe_url(url: str | None) -> str | None:
    """``url`` when it is a plain http(s) address, else None (no javascript:, data: or relative links)."""
    if not url:
        return None
    parts = urlsplit(url.strip())
    return url.strip() if parts.scheme in ("http", "https") and parts.netloc else None


def marker_link(marker: int, known: Iterable[int] | None = None, prefix: str = "source") -> str:
    """``[n]`` as a link to source card n (plain text when there is no such card); ``prefix``: the cards' ids."""
    if known is not None and marker not in set(known):
        return f"&#91;{marker}&#93;"
    return f'<a class="pq-cite" href="#{prefix}-{marker}" title="Show source {marker}">&#91;{marker}&#93;</a>'


def linkify(text: str, known: Iterable[int]) -> str:
    """Escaped ``text`` with its ``[n]`` markers turned into links to the source cards."""
    known = set(known)
    parts, last = [], 0
    for match in MARKER.finditer(text):
        if not match.group(1).isdigit():
            continue  # "[1, 2]" in a draft stays as it is written
        parts.append(inline(text[last : match.start()]) if text[last : match.start()].strip() else " ")
        parts.append(marker_link(int(match.group(1)), known))
        last = match.end()
    parts.append(inline(text[last:]) if text[last:].strip() else "")
    return "".join(parts).strip()


def _sentence_html(sentence: AnswerSentence, known: set[int]) -> str:
    html_text = place_markers(sentence.text, sentence.markers, lambda m: marker_link(m, known), inline)
    if sentence.quoted:
        return f'<span class="pq-quote" title="{QUOTED_LABEL}">{html_text}</span>'
    if sentence.supported:
        return html_text
    return (
        f'<span class="pq-unsupported" title="{UNSUPPORTED_LABEL}">{html_text}</span>'
        f' <span class="pq-flag" title="{UNSUPPORTED_LABEL}">{UNSUPPORTED_LABEL}</span>'
    )


def extract_html(extract: Sequence[ExtractSentence], known: Iterable[int], collapsed: bool = False) -> str:
    """The instant extract: verbatim source sentences, each with its marker, under "From the sources:"."""
    known = set(known)
    items = "".join(f"<li>{inline(e.text)} {marker_link(e.marker, known)}</li>" for e in extract)
    body = f'<ul class="pq-extract-list">{items}</ul>'
    if collapsed:
        return f'<details class="pq-extract"><summary>{EXTRACT_HEADING}</summary>{body}</details>'
    return f'<div class="pq-extract"><div class="pq-label">{EXTRACT_HEADING}</div>{body}</div>'


def streaming_html(extract: Sequence[ExtractSentence], known: Iterable[int], partial: str) -> str:
    """The message while the model writes: the extract, then the answer so far."""
    parts = [extract_html(extract, known)] if extract else []
    writing = linkify(partial, known) if partial.strip() else '<span class="pq-muted">Writing the answer…</span>'
    label = DRAFT_LABEL  # every sentence is verified before the answer is shown
    parts.append(f'<div class="pq-answer pq-writing pq-draft"><div class="pq-label">{label}</div>{writing}</div>')
    return f'<div class="pq-msg">{"".join(parts)}</div>'


def understood_html(answer: Answer) -> str:
    """What was read from the question before the search ('searching Home Office answers from March 2024')."""
    text = answer.understood.describe() if answer.understood else ""
    if not text:
        return ""
    return f'<div class="pq-understood pq-muted" role="note">{inline(text[:1].upper() + text[1:])}</div>'


def answer_html(answer: Answer, known: Iterable[int], model: str | None = None) -> str:
    """The finished message: what was understood of the question, then the answer with linked markers and flagged
    unsupported sentences, or a refusal."""
    known = set(known)
    understood = understood_html(answer)
    if answer.refused:
        notice = refusal_html(answer.refusal_reason, answer.text)
        if not answer.extract and not understood:
            return notice
        extract = extract_html(answer.extract, known) if answer.extract else ""
        return f'<div class="pq-msg">{understood}{notice}{extract}</div>'

    if answer.sentences:
        body = " ".join(_sentence_html(s, known) for s in answer.sentences)
    else:
        body = linkify(answer.text, known)
    parts = [understood, f'<div class="pq-answer">{body}</div>']
    if answer.extract:
        parts.append(extract_html(answer.extract, known, collapsed=True))
    if answer.dropped:
        parts.append(dropped_html(answer.dropped))
    meta = [inert(model or answer.model or "")]
    if "total" in answer.timings:
        meta.append(f"{answer.timings['total']:.1f} s")
    parts.append(f'<div class="pq-meta">{" · ".join(m for m in meta if m)}</div>')
    return f'<div class="pq-msg">{"".join(parts)}</div>'


def dropped_html(dropped: Sequence[AnswerSentence]) -> str:
    """The draft's sentences that no source states, escaped, each with what its sources lack."""
    items = "".join(
        f'<li><span class="pq-unsupported" title="{UNSUPPORTED_LABEL}">{inline(s.text)}</span>'
        + (f' <span class="pq-muted">({inline(s.note)})</span>' if s.note else "")
        + "</li>"
        for s in dropped
    )
    n = len(dropped)
    summary = f'<span class="pq-flag">{inert(DROPPED_NOTE)}</span> ({n} sentence{"s" if n > 1 else ""})'
    return f'<details class="pq-dropped"><summary>{summary}</summary><ul>{items}</ul></details>'


def refusal_html(reason: str | None = None, message: str = REFUSAL_MESSAGE) -> str:
    why = f'<div class="pq-muted">{inline(reason[:1].upper() + reason[1:])}.</div>' if reason else ""
    return (
        f'<div class="pq-notice pq-refusal" role="status"><strong>No answer found.</strong> '
        f"{inert(message)}{why}"
        f'<div class="pq-muted">Try other words, or widen the filters.</div></div>'
    )


def error_html(message: str, advice: str) -> str:
    return (
        f'<div class="pq-notice pq-error" role="alert"><strong>Could not answer:</strong> {inline(message)}'
        f'<div class="pq-muted">{inline(advice)}</div></div>'
    )


def pending_html(text: str = "Searching the sources…") -> str:
    return f'<div class="pq-msg"><span class="pq-muted">{inert(text)}</span></div>'


# sources panel ----------------------------------------------------------------------------------------


def _cut(text: str, at: int, forward: bool) -> int:
    """A word boundary near ``at`` (moving towards the quote), clamped to the text."""
    if at <= 0:
        return 0
    if at >= len(text):
        return len(text)
    if forward:
        space = text.find(" ", at)
        return len(text) if space < 0 else space + 1
    space = text.rfind(" ", 0, at)
    return 0 if space < 0 else space


def _highlighted_passage(citation: Citation) -> str:
    """The passage around the supporting quote(s), escaped, with the quote(s) in <mark>."""
    passage = citation.passage
    spans: list[tuple[int, int]] = []
    for quote in citation.quotes:
        start, end = quote.start - citation.passage_start, quote.end - citation.passage_start
        if not (0 <= start < end <= len(passage) and passage[start:end] == quote.text):
            start = passage.find(quote.text)
            end = start + len(quote.text)
        if start >= 0 and quote.text:
            spans.append((start, end))
    if not spans and citation.quote and citation.quote in passage:
        start = passage.find(citation.quote)
        spans.append((start, start + len(citation.quote)))
    spans = sorted(spans)
    lo = min(_cut(passage, spans[0][0] - CONTEXT_CHARS, forward=True), spans[0][0]) if spans else 0
    hi = max(_cut(passage, spans[-1][1] + CONTEXT_CHARS, forward=False), spans[-1][1]) if spans else len(passage)
    out, last = ["… " if lo > 0 else ""], lo
    for start, end in spans:
        if start < last:
            continue
        out.append(inert(passage[last:start]))
        out.append(f"<mark>{inert(passage[start:end])}</mark>")
        last = end
    out.append(inert(passage[last:hi]) + (" …" if hi < len(passage) else ""))
    text = "".join(out)
    if not spans and citation.quote:
        text = f"<mark>{inert(citation.quote)}</mark><br><br>{text}"
    return text


def _field(label: str, value: object) -> str:
    return f"<dt>{label}</dt><dd>{inert(value)}</dd>" if value else ""


def source_card(citation: Citation, extract_only: bool = False, id_prefix: str = "source") -> str:
    """One citation as a card: what it is, who asked and answered, when, a link, and the quote in context
    (``id_prefix``: the start of the card's id, which its [n] markers link to)."""
    c = citation
    tags = "".join(f'<span class="pq-tag">{inert(t)}</span>' for t in (c.kind, c.house) if t)
    if extract_only:
        tags += (
            '<span class="pq-tag pq-tag-extract" title="Quoted in the extract, not cited by the answer">extract</span>'
        )
    fields = "".join(
        (
            _field("Asked by", c.asked_by),
            _field("Answered by", c.answered_by),
            _field("Department", c.department),
            _field("Asked", long_date(c.date_asked)),
            _field("Answered", long_date(c.date_answered)),
        )
    )
    url = safe_url(c.url)
    link = (
        f'<a class="pq-link" href="{inert(url)}" target="_blank" rel="noopener noreferrer">'
        "Read it on the official site ↗</a>"
        if url
        else ""
    )
    return (
        f'<article class="pq-card" id="{id_prefix}-{c.marker}" data-doc-id="{inert(c.doc_id)}">'
        f'<header><span class="pq-num">{c.marker}</span><h4>{inert(c.title)}</h4></header>'
        f'<div class="pq-tags">{tags}</div>'
        f'<dl class="pq-fields">{fields}</dl>'
        f'<blockquote class="pq-passage">{_highlighted_passage(c)}</blockquote>'
        f"{link}</article>"
    )


def sources_html(citations: Sequence[Citation], note: str | None = None, cited: Iterable[int] | None = None) -> str:
    """The sources panel: one card per citation, in marker order (``cited``: the markers the answer uses)."""
    head = '<div class="pq-sources-head">Sources</div>'
    if not citations:
        text = note or "The sources of an answer appear here, with the quoted words highlighted."
        return f'<div class="pq-sources">{head}<p class="pq-muted">{inert(text)}</p></div>'
    used = None if cited is None else set(cited)
    ordered = sorted(citations, key=lambda c: c.marker)
    cards = "".join(source_card(c, extract_only=used is not None and c.marker not in used) for c in ordered)
    return f'<div class="pq-sources">{head}{cards}</div>'


def merge_citations(primary: Sequence[Citation], extra: Sequence[Citation]) -> list[Citation]:
    """``primary`` plus those of ``extra`` with a marker not in it, in marker order."""
    by_marker = {c.marker: c for c in extra}
    by_marker.update({c.marker: c for c in primary})
    return [by_marker[m] for m in sorted(by_marker)]


# plain text ------------------------------------------------------------------------------------------


def reference_line(c: Citation) -> str:
    what = ", ".join(str(x) for x in (c.kind, c.house) if x)
    parts = [f"[{c.marker}] {c.title}" + (f" ({what})" if what else "")]
    if c.asked_by:
        parts.append(f"asked by {c.asked_by}" + (f" on {long_date(c.date_asked)}" if c.date_asked else ""))
    if c.answered_by:
        by = c.answered_by + (f", {c.department}" if c.department else "")
        parts.append(f"answered by {by}" + (f" on {long_date(c.date_answered)}" if c.date_answered else ""))
    elif c.department:
        parts.append(c.department)
    if safe_url(c.url):
        parts.append(str(c.url))
    return "; ".join(parts)


def plain_answer(answer: Answer, citations: Sequence[Citation]) -> str:
    """The answer with its [n] markers and a reference list, as plain text for copying."""
    if answer.refused:
        return answer.text
    refs = "\n".join(reference_line(c) for c in sorted(citations, key=lambda c: c.marker))
    return f"{answer.text}\n\nReferences\n{refs}" if refs else answer.text
