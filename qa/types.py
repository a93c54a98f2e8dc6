"""Typed results of the question-answering layer: filters, hits, citations, answers and stream events."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from corpus.types import DocumentKind, House


class Filters(BaseModel):
    """Metadata filters, applied to both the dense and the lexical side of retrieval."""

    model_config = ConfigDict(frozen=True)

    since: date | None = None
    until: date | None = None
    department: str | None = Field(None, description="Case-insensitive substring of the answering department.")
    answerer: str | None = Field(None, description="Case-insensitive substring of the answering member's name.")
    house: House | None = None
    kind: DocumentKind | None = None

    def is_empty(self) -> bool:
        return not any(v not in (None, "") for v in self.model_dump().values())


class Hit(BaseModel):
    """One retrieved passage."""

    chunk_id: str
    doc_id: str
    score: float = Field(description="Fused score (reciprocal rank fusion, or the single retriever's score).")
    dense_score: float | None = Field(None, description="Cosine similarity to the question, when known.")
    lexical_score: float | None = None
    text: str
    metadata: dict

    @property
    def body(self) -> str:
        """The passage without its header: a slice of the document's answer text."""
        return self.text[int(self.metadata.get("header_chars", 0)) :]

    @property
    def body_start(self) -> int:
        return int(self.metadata.get("body_start", 0))

    @property
    def title(self) -> str:
        return str(self.metadata.get("title", self.doc_id))


class Quote(BaseModel):
    """A sentence of the source answer, with its character offsets in that answer's text."""

    text: str
    start: int
    end: int


class Citation(BaseModel):
    """A numbered source of an answer: who said it, when, where to read it, and the supporting words."""

    marker: int
    doc_id: str
    title: str
    kind: str | None = None
    house: str | None = None
    asked_by: str | None = None
    answered_by: str | None = None
    department: str | None = None
    date_asked: date | None = None
    date_answered: date | None = None
    url: str | None = None
    source: str | None = None
    passage: str = Field(description="The passage the quote comes from.")
    quote: str = Field(description="The supporting sentence(s), verbatim.")
    quotes: list[Quote] = Field(default_factory=list)
    passage_start: int = Field(0, description="Offset of the passage in the source answer text.")
    score: float = 0.0


class AnswerSentence(BaseModel):
    """A sentence of the answer with the sources it cites and whether a source sentence supports it."""

    text: str
    markers: list[int] = Field(default_factory=list)
    supported: bool = True
    support: float = Field(0.0, description="Share of the sentence's content words found in the cited source.")
    note: str | None = Field(None, description="Why a dropped sentence was dropped.")


class ExtractSentence(BaseModel):
    text: str
    marker: int


class Answer(BaseModel):
    """A cited answer, or a refusal."""

    question: str
    standalone_question: str
    text: str
    refused: bool = False
    refusal_reason: str | None = None
    citations: list[Citation] = Field(default_factory=list)
    sentences: list[AnswerSentence] = Field(default_factory=list)
    dropped: list[AnswerSentence] = Field(
        default_factory=list, description="Sentences of the draft left out because no source states them."
    )
    extract: list[ExtractSentence] = Field(default_factory=list)
    hits: list[Hit] = Field(default_factory=list)
    context: str = Field("", description="The sources as the model was shown them.")
    question_type: Literal["metadata", "content", "mixed"] = "content"
    refusal_signals: dict[str, float | int | bool | None] | None = Field(
        None, description="What the refusal decision looked at (see qa.refusal.RefusalSignals)."
    )
    model: str | None = None
    timings: dict[str, float] = Field(default_factory=dict, description="Seconds per stage.")

    @property
    def unsupported(self) -> list[AnswerSentence]:
        """The draft's sentences that were left out."""
        return self.dropped

    def cited_doc_ids(self) -> list[str]:
        return list(dict.fromkeys(c.doc_id for c in self.citations))


class StreamEvent(BaseModel):
    """What ``Assistant.stream`` yields: the extract first, then tokens, then the final answer."""

    type: Literal["extract", "token", "answer"]
    text: str = ""
    extract: list[ExtractSentence] = Field(default_factory=list)
    citations: list[Citation] = Field(default_factory=list)
    answer: Answer | None = None
