"""Citations: parse [n] markers, drop those that point nowhere, and build each numbered source's citation."""

from __future__ import annotations

import re

from qa.context import Passage, SourceSentence
from qa.markers import MARKER, marker_numbers, place_markers, strip_markers
from qa.sentences import split_sentences
from qa.types import Citation, Quote
from qa.verify import VerifiedSentence


def parse_markers(text: str, n_sources: int) -> tuple[str, list[tuple[str, list[int]]]]:
    """Split ``text`` into sentences with the markers each carries; markers outside 1..n_sources are dropped.

    Returns the text without markers and a list of (sentence, markers) pairs.
    """
    out: list[tuple[str, list[int]]] = []
    for start, end in split_sentences(text):
        sentence = text[start:end]
        markers: list[int] = []
        for match in MARKER.finditer(sentence):
            for n in marker_numbers(match):
                if 1 <= n <= n_sources and n not in markers:
                    markers.append(n)
        clean = strip_markers(sentence).strip()
        clean = re.sub(r"\s+([.,;:!?])", r"\1", clean)
        if clean:
            out.append((clean, markers))
        elif out:  # a marker standing alone after a full stop belongs to the sentence before it
            out[-1] = (out[-1][0], out[-1][1] + [m for m in markers if m not in out[-1][1]])
    # punctuation left alone once markers are removed joins the sentence before it
    merged: list[tuple[str, list[int]]] = []
    for sentence, markers in out:
        if merged and not re.search(r"[A-Za-z0-9]", sentence):
            merged[-1] = (merged[-1][0], merged[-1][1] + [m for m in markers if m not in merged[-1][1]])
        else:
            merged.append((sentence, markers))
    return " ".join(s for s, _ in merged), merged


def make_citation(marker: int, passage: Passage, supporting: list[SourceSentence] | None) -> Citation:
    """A Citation numbered ``marker`` for ``passage``, quoting the sentences that support the answer."""
    record = passage.hit.record
    quoted = sorted(supporting or passage.kept[:1] or passage.sentences[:1], key=lambda s: s.quote.start)
    return Citation(
        marker=marker,
        doc_id=passage.hit.doc_id,
        title=passage.hit.title,
        kind=record.kind,
        house=record.house,
        asked_by=record.asker,
        answered_by=record.answerer,
        answerer_party=record.answerer_party,
        department=record.department,
        date_asked=record.date_asked,
        date_answered=record.date_answered,
        url=record.url,
        source=record.source,
        passage=passage.hit.body,
        passage_start=passage.hit.body_start,
        quote=" ".join(s.quote.text for s in quoted),
        quotes=[Quote(**s.quote.model_dump()) for s in quoted],
        score=passage.hit.score,
        duplicates=list(passage.hit.duplicates),
    )


def compose(sentences: list[VerifiedSentence], passages: list[Passage]) -> tuple[str, list[Citation]]:
    """The answer text with its [n] markers (n = source number), and one citation per cited source quoting the
    sentences that support the answer."""
    by_marker = {p.marker: p for p in passages}
    support: dict[int, list[SourceSentence]] = {}
    for verified in sentences:
        for marker, quotes in verified.quotes.items():
            chosen = support.setdefault(marker, [])
            chosen.extend(q for q in quotes if all(q.quote.start != c.quote.start for c in chosen))
    cited = sorted({m for v in sentences for m in v.sentence.markers})
    citations = [make_citation(m, by_marker[m], support.get(m) or None) for m in cited]
    return " ".join(place_markers(_ended(v.sentence.text), v.sentence.markers) for v in sentences), citations


def _ended(text: str) -> str:
    """A sentence of the answer with its full stop: "The Protection of Children in England." for a bare title."""
    text = text.rstrip()
    return text if not text or text[-1] in ".!?”\"'):" else f"{text}."
