"""Turn retrieved passages into a small prompt context: the sentences most relevant to the question."""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import date

import numpy as np
from langchain_core.embeddings import Embeddings

from qa.prompts import SOURCE_LINE
from qa.sentences import split_sentences
from qa.types import ExtractSentence, Hit, Quote


@dataclass
class SourceSentence:
    quote: Quote  # offsets in the document's answer text
    vector: np.ndarray
    relevance: float = 0.0


@dataclass
class Passage:
    """A numbered source of the prompt: its hit, its sentences and those kept for the model."""

    marker: int
    hit: Hit
    sentences: list[SourceSentence]
    kept: list[SourceSentence] = field(default_factory=list)

    @property
    def label(self) -> str:
        meta = self.hit.metadata
        parts = [
            p for p in (meta.get("department"), _nice_date(meta.get("date_answered") or meta.get("date_asked"))) if p
        ]
        who = meta.get("answerer")
        if who:
            parts.insert(0, who)
        return f"{self.hit.title} ({', '.join(parts)})" if parts else self.hit.title

    def prompt_line(self) -> str:
        text = " ".join(s.quote.text for s in self.kept)
        return SOURCE_LINE.format(marker=self.marker, label=self.label, text=text)


def _nice_date(value: str | None) -> str | None:
    if not value:
        return None
    try:
        d = date.fromisoformat(value)
    except ValueError:
        return value
    return f"{d.day} {d:%B %Y}"


class SentenceVectors:
    """Sentence embeddings of passages, cached by chunk id (passages recur across questions)."""

    def __init__(self, embeddings: Embeddings, capacity: int = 4096):
        self.embeddings = embeddings
        self.capacity = capacity
        self._cache: OrderedDict[str, list[SourceSentence]] = OrderedDict()
        self._lock = threading.Lock()

    def sentences_of(self, hits: list[Hit]) -> list[list[SourceSentence]]:
        missing: list[tuple[Hit, list[tuple[int, int]]]] = []
        with self._lock:
            for hit in hits:
                if hit.chunk_id not in self._cache:
                    missing.append((hit, split_sentences(hit.body)))
        if missing:
            texts = [hit.body[s:e] for hit, spans in missing for s, e in spans]
            vectors = np.asarray(self.embeddings.embed_documents(texts), dtype=np.float32) if texts else None
            i = 0
            with self._lock:
                for hit, spans in missing:
                    items = []
                    for s, e in spans:
                        quote = Quote(text=hit.body[s:e], start=hit.body_start + s, end=hit.body_start + e)
                        items.append(SourceSentence(quote=quote, vector=vectors[i]))
                        i += 1
                    self._cache[hit.chunk_id] = items
                    while len(self._cache) > self.capacity:
                        self._cache.popitem(last=False)
        with self._lock:
            return [[SourceSentence(s.quote, s.vector) for s in self._cache[h.chunk_id]] for h in hits]


def build_passages(
    query_vector: list[float], hits: list[Hit], vectors: SentenceVectors, per_passage: int
) -> list[Passage]:
    """Number the hits [1]..[n] and keep each one's ``per_passage`` most relevant sentences, in text order."""
    q = np.asarray(query_vector, dtype=np.float32)
    passages = []
    for marker, (hit, sentences) in enumerate(zip(hits, vectors.sentences_of(hits), strict=True), start=1):
        for s in sentences:
            s.relevance = float(s.vector @ q)
        best = sorted(sentences, key=lambda s: s.relevance, reverse=True)[:per_passage]
        kept = sorted(best, key=lambda s: s.quote.start)
        passages.append(Passage(marker=marker, hit=hit, sentences=sentences, kept=kept))
    return passages


def instant_extract(passages: list[Passage], limit: int = 3, min_relevance: float = 0.3) -> list[ExtractSentence]:
    """The sentences most relevant to the question across all passages, each with its source number."""
    ranked = sorted(
        ((s.relevance, p.marker, s.quote.text) for p in passages for s in p.kept),
        key=lambda item: item[0],
        reverse=True,
    )
    chosen = [item for item in ranked if item[0] >= min_relevance][:limit] or ranked[:1]
    return [ExtractSentence(text=text, marker=marker) for _, marker, text in chosen]
