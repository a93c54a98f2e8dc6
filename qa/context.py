"""Turn retrieved passages into the prompt's context: the sentences most likely to answer, with the sentence that
names their subject, within one budget of characters (the prompt's size sets the first token's latency)."""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np
from langchain_core.embeddings import Embeddings

from corpus.dates import long_date
from qa.facts import Evidence, department_of_office, facts_of, record_periods
from qa.prompts import SOURCE_LINE
from qa.question import AnswerForm, QuestionAnalysis
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
        record = self.hit.record
        parts = [p for p in (record.department, long_date(record.dated)) if p]
        if record.answerer:
            parts.insert(0, record.answerer)
        return f"{self.hit.title} ({', '.join(parts)})" if parts else self.hit.title

    def prompt_line(self) -> str:
        parts = [s.quote.text for s in self.kept]
        text = "".join(  # rows of a table stay apart: "2022 | 1115; 2023 | 1118"
            (("; " if is_table_row(before) and is_table_row(part) else " ") if i else "") + part
            for i, (before, part) in enumerate(zip(["", *parts], parts, strict=False))
        )
        return SOURCE_LINE.format(marker=self.marker, label=self.label, text=text)

    def paragraph_break_before(self, index: int) -> bool:
        """Whether a new paragraph of the answer starts at sentence ``index``."""
        body, start = self.hit.body, self.hit.body_start
        gap = body[self.sentences[index - 1].quote.end - start : self.sentences[index].quote.start - start]
        return "\n" in gap

    def metadata_line(self) -> str:
        """The record's fields as one line of text, for checking names and dates against them."""
        record = self.hit.record
        parts = [self.hit.title]
        for value, label in (
            (record.asker, "Asked by"),
            (record.answerer, "Answered by"),
            (record.department, "Department:"),
            (long_date(record.date_asked), "asked on"),
            (long_date(record.date_answered), "answered on"),
        ):
            if value:
                parts.append(f"{label} {value}")
        office = None if record.department else department_of_office(record.addressed_to)
        if office:  # a record without its department field was put to the office that heads one
            parts.append(f"Put to the {record.addressed_to} ({office})")
        return ". ".join(parts) + "."


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


_ANAPHOR = re.compile(
    r"^(?:it|its|this|these|that|those|they|their|such|the (?:programme|fund|scheme|review|taskforce|board))\b", re.I
)
LEADS_BACK = re.compile(
    r"^[^.;:]{0,60}?\b(?:to|of|for|on|with|from|by|after|despite) (?:that|this|these|those|them)\s*,", re.I
)  # "As a first step in responding to that, we are announcing …": what it responds to is the sentence before
TERM_WEIGHT = 0.5  # a sentence holding all the question's subject words gains this much over its cosine
KIND_WEIGHT = 0.2  # and this much for stating a fact of the asked kind (an amount for "how much", ...)
LIST_ITEMS = 12  # items of a list kept after its opening sentence ("…, which are:")
RANK_WEIGHT = 0.05  # per rank, so that near-equal sentences come from the better passage
PERIOD_WEIGHT = 0.3  # lost by every sentence of a record outside the years or months the question names


INTRODUCTION_CHARS = 60  # a sentence this short that states no fact introduces what follows it
TABLE_ROWS = 24  # rows of a table kept for a question asking for a list


def is_table_row(text: str) -> bool:
    """Whether a sentence is a row of a table, as answers give them: "Birmingham | 149 | Closing"."""
    return " | " in text


def reads_back(text: str) -> bool:
    """Whether a sentence continues the one before it ("Those performing well …", "It was set up …")."""
    return bool(_ANAPHOR.match(text))


def introduces(text: str) -> bool:
    """Whether a sentence only introduces the rest of its paragraph: "A great deal has been achieved."."""
    return len(text) <= INTRODUCTION_CHARS and not facts_of(text) and text.rstrip().endswith(".")


def in_period(question: QuestionAnalysis, passage: Passage) -> bool:
    """Whether the record covers every year and month the question names, by its dates or its text ("In the 2022
    answer, …" is not about a 2015 one)."""
    if not question.years and not question.months:
        return True
    years, months = record_periods(passage.hit.text, passage.hit.record)
    return all(y in years for y in question.years) and all(f"{y:04d}-{m:02d}" in months for y, m in question.months)


def sentence_scores(passages: list[Passage], question: QuestionAnalysis | None) -> dict[tuple[int, int], float]:
    """(marker, sentence index) → how likely the sentence answers: cosine with the question, the share of the
    question's subject words it holds, and whether it states a fact of the asked kind."""
    from qa.refusal import kind_present

    scores = {}
    for rank, p in enumerate(passages):
        outside = question is not None and not in_period(question, p)
        for i, sentence in enumerate(p.sentences):
            score = sentence.relevance - RANK_WEIGHT * rank - PERIOD_WEIGHT * outside
            if question is not None:
                score += TERM_WEIGHT * Evidence(sentence.quote.text).term_share(question.subject_terms)
                score += KIND_WEIGHT * kind_present(question.fact_kind, sentence.quote.text)
            scores[(p.marker, i)] = score
    return scores


def select_context(
    passages: list[Passage], question: QuestionAnalysis | None, budget_chars: int, neighbours: int = 0
) -> None:
    """Choose the sentences the model sees, within ``budget_chars`` in all: the best-scoring sentences, each with
    the sentence before it when it opens with "It", "This", … (its subject is there), and the ``neighbours``
    best each with the next sentence of its paragraph, as is every sentence whose next one reads back to it ("Those
    performing well …"); a whole short answer when it fits. Sets each passage's ``kept`` in text order."""
    scores = sentence_scores(passages, question)
    by_marker = {p.marker: p for p in passages}
    chosen: set[tuple[int, int]] = set()
    used = 0

    def take(key: tuple[int, int]) -> bool:
        nonlocal used
        cost = len(by_marker[key[0]].sentences[key[1]].quote.text) + 1
        if key in chosen or (used + cost > budget_chars and chosen):
            return False
        chosen.add(key)
        used += cost
        return True

    seeds = 0
    for key in sorted(scores, key=scores.get, reverse=True):
        if used >= budget_chars:
            break
        if not take(key):
            continue
        seeds += 1
        sentences = by_marker[key[0]].sentences
        follows = key[1] + 1
        if (
            follows < len(sentences)
            and not by_marker[key[0]].paragraph_break_before(follows)
            and (seeds <= neighbours or reads_back(sentences[follows].quote.text))
        ):
            take((key[0], follows))  # "… rated inadequate receive support." "Those performing well share …"
        if key[1] > 0 and (reads_back(sentences[key[1]].quote.text) or LEADS_BACK.match(sentences[key[1]].quote.text)):
            take((key[0], key[1] - 1))
        if sentences[key[1]].quote.text.rstrip().endswith(":"):  # "… eight CDCs offer it, which are:" and its items
            for item in range(key[1] + 1, min(len(sentences), key[1] + 1 + LIST_ITEMS)):
                if not take((key[0], item)) or sentences[item].quote.text.rstrip().endswith((".", "?", ":")):
                    break
        elif introduces(sentences[key[1]].quote.text):  # "A great deal has been achieved." and what was
            passage = by_marker[key[0]]
            for item in range(key[1] + 1, min(len(sentences), key[1] + 1 + LIST_ITEMS)):
                if passage.paragraph_break_before(item) or not take((key[0], item)):
                    break
        table_rows(by_marker[key[0]], key[1], question, take)
    for p in passages:
        p.kept = [s for i, s in enumerate(p.sentences) if (p.marker, i) in chosen]


def table_rows(passage: Passage, index: int, question: QuestionAnalysis | None, take) -> None:
    """A chosen row of a table brings the table's first row (what its columns hold); a list question's chosen row,
    or a chosen sentence that a table follows ("The following table shows …"), brings the table's rows."""
    sentences = passage.sentences
    row = is_table_row(sentences[index].quote.text)
    if row:
        first = index
        while first > 0 and is_table_row(sentences[first - 1].quote.text):
            first -= 1
        take((passage.marker, first))
    else:
        first = index + 1
        if first >= len(sentences) or not is_table_row(sentences[first].quote.text):
            return
    if row and (question is None or question.form is not AnswerForm.LIST):
        return
    for item in range(first, min(len(sentences), first + TABLE_ROWS)):
        if not is_table_row(sentences[item].quote.text) or not take((passage.marker, item)):
            break


def build_passages(
    query_vector: list[float],
    hits: list[Hit],
    vectors: SentenceVectors,
    budget_chars: int,
    question: QuestionAnalysis | None = None,
    neighbours: int = 0,
) -> list[Passage]:
    """Number the hits [1]..[n], score their sentences for the question and keep the best within the budget."""
    q = np.asarray(query_vector, dtype=np.float32)
    passages = []
    for marker, (hit, sentences) in enumerate(zip(hits, vectors.sentences_of(hits), strict=True), start=1):
        for s in sentences:
            s.relevance = float(s.vector @ q)
        passages.append(Passage(marker=marker, hit=hit, sentences=sentences))
    select_context(passages, question, budget_chars, neighbours)
    return passages


def sources_text(passages: list[Passage]) -> str:
    """The prompt's sources, the best passage last so that it sits next to the question."""
    return "\n".join(p.prompt_line() for p in reversed(passages) if p.kept)


def instant_extract(passages: list[Passage], limit: int = 3, min_relevance: float = 0.3) -> list[ExtractSentence]:
    """The sentences most relevant to the question across all passages, each with its source number."""
    ranked = sorted(
        ((s.relevance, p.marker, s.quote.text) for p in passages for s in p.kept),
        key=lambda item: item[0],
        reverse=True,
    )
    chosen = [item for item in ranked if item[0] >= min_relevance][:limit] or ranked[:1]
    return [ExtractSentence(text=text, marker=marker) for _, marker, text in chosen]
