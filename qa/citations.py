"""Citations: parse [n] markers, drop those that point nowhere, attribute and check every answer sentence."""

from __future__ import annotations

import re
from datetime import date

import numpy as np
from langchain_core.embeddings import Embeddings

from qa.context import Passage, SourceSentence
from qa.sentences import split_sentences
from qa.types import AnswerSentence, Citation, Quote

MARKER = re.compile(r"\s*\[(\d+(?:\s*[,;]\s*\d+)*)\]")
# "[1, 2]" and "[1][2]" both cite two sources; "(1)" or "Source 1" are not markers.


def parse_markers(text: str, n_sources: int) -> tuple[str, list[tuple[str, list[int]]]]:
    """Split ``text`` into sentences with the markers each carries; markers outside 1..n_sources are dropped.

    Returns the text without markers and a list of (sentence, markers) pairs.
    """
    out: list[tuple[str, list[int]]] = []
    for start, end in split_sentences(text):
        sentence = text[start:end]
        markers: list[int] = []
        for match in MARKER.finditer(sentence):
            for number in re.split(r"\s*[,;]\s*", match.group(1)):
                n = int(number)
                if 1 <= n <= n_sources and n not in markers:
                    markers.append(n)
        clean = MARKER.sub("", sentence).strip()
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


def attribute(
    sentences: list[tuple[str, list[int]]],
    passages: list[Passage],
    embeddings: Embeddings,
    threshold: float,
) -> tuple[list[AnswerSentence], dict[int, list[SourceSentence]]]:
    """Check each answer sentence against the source sentences of what it cites (all sources when it cites
    nothing); uncited sentences take the marker of their best match when that match clears ``threshold``.

    Returns the checked sentences and, per marker, the source sentences that support the answer.
    """
    if not sentences:
        return [], {}
    by_marker = {p.marker: p for p in passages}
    vectors = np.asarray(embeddings.embed_documents([s for s, _ in sentences]), dtype=np.float32)
    checked: list[AnswerSentence] = []
    support: dict[int, list[SourceSentence]] = {}
    for (text, markers), vector in zip(sentences, vectors, strict=True):
        pool = [(m, s) for m in (markers or list(by_marker)) for s in by_marker[m].sentences]
        best_marker, best_sentence, best_score = None, None, -1.0
        for marker, source in pool:
            score = float(source.vector @ vector)
            if score > best_score:
                best_marker, best_sentence, best_score = marker, source, score
        supported = best_score >= threshold
        if not markers and supported and best_marker is not None:
            markers = [best_marker]
        if supported and best_sentence is not None and best_marker is not None:
            chosen = support.setdefault(best_marker, [])
            if all(s.quote.start != best_sentence.quote.start for s in chosen):
                chosen.append(best_sentence)
        checked.append(AnswerSentence(text=text, markers=markers, supported=supported, support=round(best_score, 4)))
    return checked, support


def _date(value) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def make_citation(marker: int, passage: Passage, supporting: list[SourceSentence] | None) -> Citation:
    """A Citation numbered ``marker`` for ``passage``, quoting the sentences that support the answer."""
    meta = passage.hit.metadata
    quoted = sorted(supporting or passage.kept[:1] or passage.sentences[:1], key=lambda s: s.quote.start)
    return Citation(
        marker=marker,
        doc_id=passage.hit.doc_id,
        title=passage.hit.title,
        kind=meta.get("kind"),
        house=meta.get("house"),
        asked_by=meta.get("asker"),
        answered_by=meta.get("answerer"),
        department=meta.get("department"),
        date_asked=_date(meta.get("date_asked")),
        date_answered=_date(meta.get("date_answered")),
        url=meta.get("url"),
        source=meta.get("source"),
        passage=passage.hit.body,
        passage_start=passage.hit.body_start,
        quote=" ".join(s.quote.text for s in quoted),
        quotes=[Quote(**s.quote.model_dump()) for s in quoted],
        score=passage.hit.score,
    )
