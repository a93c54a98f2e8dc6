"""Typed results of the question-answering layer: filters, hits, citations, answers and stream events."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from corpus.types import DocumentKind, House, licence_of
from index.records import Dated, RecordMeta


class Filters(BaseModel):
    """Metadata filters, applied to both the dense and the lexical side of retrieval."""

    model_config = ConfigDict(frozen=True)

    since: date | None = None
    until: date | None = None
    department: str | None = Field(None, description="Case-insensitive substring of the answering department.")
    answerer: str | None = Field(None, description="Case-insensitive substring of the answering member's name.")
    asker: str | None = Field(None, description="Case-insensitive substring of the asking member's name.")
    house: House | None = None
    kind: DocumentKind | None = None

    def is_empty(self) -> bool:
        return not any(v not in (None, "") for v in self.model_dump().values())


class MemberMention(BaseModel):
    """A member the question names, as the index spells the name, and whether they asked or answered."""

    model_config = ConfigDict(frozen=True)

    name: str
    role: Literal["asker", "answerer", "member"] = "member"


class Rewrite(BaseModel):
    """A word or phrase of the question and what retrieval also searched for: its meaning, or its spelling."""

    model_config = ConfigDict(frozen=True)

    text: str
    becomes: str
    kind: Literal["abbreviation", "synonym", "spelling"]


class Understanding(BaseModel):
    """What was read from a question before retrieval, and how it changed the search."""

    model_config = ConfigDict(frozen=True)

    question: str
    members: tuple[MemberMention, ...] = ()
    departments: tuple[str, ...] = Field((), description="Answering departments, as the index names them.")
    since: date | None = Field(None, description="First day of the period the question names (record dates).")
    until: date | None = None
    period: str | None = Field(None, description="The period as the question puts it: 'March 2024', '2024-25'.")
    record_dated: bool = Field(False, description="Whether the period dates the record itself (asked or answered).")
    latest: bool = Field(False, description="The question asks for the latest or current figure.")
    uin: str | None = None
    rewrites: tuple[Rewrite, ...] = ()
    corrected_query: str = Field("", description="The question with its misspelt words corrected.")
    lexical_query: str = Field("", description="The corrected question with the meanings of its abbreviations.")
    dense_query: str = Field("", description="What the encoder read.")

    def is_empty(self) -> bool:
        return not (self.members or self.departments or self.period or self.latest or self.uin or self.rewrites)

    def describe(self) -> str:
        """'searching Home Office answers from March 2024 · SEND: special educational needs and disabilities'."""
        if self.is_empty():
            return ""
        who = " and ".join(self.departments)
        parts = [f"searching {who + ' ' if who else ''}answers"]
        for member in self.members:
            role = {"asker": "asked by", "answerer": "answered by", "member": "involving"}[member.role]
            parts[0] += f" {role} {member.name}"
        if self.period:
            parts[0] += f" from {self.period}"
        if self.latest:
            parts[0] += ", latest first"
        if self.uin:
            parts[0] += f", question {self.uin}"
        parts += [
            f"“{r.text}” read as “{r.becomes}”" if r.kind == "spelling" else f"{r.text}: {r.becomes}"
            for r in self.rewrites
        ]
        return " · ".join(parts)


class Hit(BaseModel):
    """One retrieved passage."""

    chunk_id: str
    doc_id: str
    score: float = Field(description="Fused score (reciprocal rank fusion, or the single retriever's score).")
    dense_score: float | None = Field(None, description="Cosine similarity to the question, when known.")
    lexical_score: float | None = None
    text: str
    metadata: dict
    duplicates: list[str] = Field(
        default_factory=list, description="Other documents filed with the same answer text (grouped questions)."
    )

    @property
    def record(self) -> RecordMeta:
        """The passage's stored fields, typed: read from ``metadata`` once, and again for a copy given other metadata.
        (Kept in ``__dict__`` beside the fields, as ``functools.cached_property`` would, so that equality, dumps
        and the stored JSON see only ``metadata``.)"""
        cached = self.__dict__.get("_record")
        if cached is None or cached[0] is not self.metadata:
            cached = self.__dict__["_record"] = (self.metadata, RecordMeta.from_metadata(self.metadata))
        return cached[1]

    @property
    def body(self) -> str:
        """The passage without its header: a slice of the document's answer text."""
        return self.text[self.record.header_chars :]

    @property
    def body_start(self) -> int:
        return self.record.body_start

    @property
    def title(self) -> str:
        title = self.record.title
        return self.doc_id if title is None else title


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
    answerer_party: str | None = None
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
    duplicates: list[str] = Field(
        default_factory=list, description="Other questions answered with the same text, by document id."
    )


class AnswerSentence(BaseModel):
    """A sentence of the answer with the sources it cites and whether a source sentence supports it."""

    text: str
    markers: list[int] = Field(default_factory=list)
    supported: bool = True
    support: float = Field(0.0, description="Share of the sentence's content words found in the cited source.")
    note: str | None = Field(None, description="Why a dropped sentence was dropped.")
    quoted: bool = Field(False, description="The sentence is the cited source's own, word for word.")


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
    draft: str | None = Field(None, description="The model's text before its sentences were checked.")
    question_type: Literal["metadata", "content", "mixed"] = "content"
    understood: Understanding | None = Field(None, description="What was read from the question before retrieval.")
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


# research tools: search, documents, timelines ----------------------------------------------------------------

SearchSort = Literal["relevance", "newest", "oldest"]
FACET_FIELDS = ("department", "answerer", "asker", "year", "house")


class RecordFields(Dated, BaseModel):
    """Who asked, who answered, when and where to read it: one record's fields as the index holds them."""

    doc_id: str
    title: str
    kind: str | None = None
    house: str | None = None
    uin: str | None = None
    asked_by: str | None = None
    asker_party: str | None = None
    answered_by: str | None = None
    answerer_party: str | None = None
    department: str | None = None
    date_asked: date | None = None
    date_answered: date | None = None
    url: str | None = None
    month_filed: str | None = Field(None, description="'2024-07': the month an undated record is filed under.")
    question: str | None = Field(None, description="The question asked (shortened, ending '…', for long ones).")
    licence: str = Field("", description="The attribution a reuse must carry.")

    @classmethod
    def fields_of(cls, metadata: dict) -> dict:
        """The keyword arguments of this record for a chunk's stored metadata."""
        return cls.fields_of_record(RecordMeta.from_metadata(metadata))

    @classmethod
    def fields_of_record(cls, record: RecordMeta) -> dict:
        """The keyword arguments of this record for a chunk's stored fields."""
        return {
            "doc_id": record.doc_id,
            "title": record.title or record.doc_id,
            "kind": record.kind,
            "house": record.house,
            "uin": record.uin,
            "asked_by": record.asker,
            "asker_party": record.asker_party,
            "answered_by": record.answerer,
            "answerer_party": record.answerer_party,
            "department": record.department,
            "date_asked": record.date_asked,
            "date_answered": record.date_answered,
            "url": record.url,
            "month_filed": record.month_filed,
            "licence": licence_of(record.source),
        }


class Span(BaseModel):
    """Character offsets ``[start, end)`` in a text."""

    model_config = ConfigDict(frozen=True)

    start: int
    end: int


class SearchResult(RecordFields):
    """One matching document: its fields and a snippet of its answer with the matched words marked."""

    snippet: str = ""
    highlights: list[Span] = Field(default_factory=list, description="The matched words, as offsets in the snippet.")
    score: float = Field(0.0, description="BM25 relevance of the document's best passage (0 for a listing).")


class FacetCount(BaseModel):
    value: str
    count: int


class Facets(BaseModel):
    """Counts of the whole result set (not only the page) by field, largest first (years newest first)."""

    department: list[FacetCount] = Field(default_factory=list)
    answerer: list[FacetCount] = Field(default_factory=list)
    asker: list[FacetCount] = Field(default_factory=list)
    year: list[FacetCount] = Field(default_factory=list)
    house: list[FacetCount] = Field(default_factory=list)


class SearchPage(BaseModel):
    """One page of the documents matching a search, with the total and the facets of all of them."""

    query: str
    filters: Filters | None = None
    sort: SearchSort = "relevance"
    page: int = 1
    page_size: int = 20
    total: int = 0
    facets: Facets = Field(default_factory=Facets)
    results: list[SearchResult] = Field(default_factory=list)
    phrases: list[str] = Field(default_factory=list, description="The quoted phrases every result contains.")
    uin: str | None = Field(None, description="The question number the query was read as, when it was one.")

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


class DocumentRecord(RecordFields):
    """A whole document as indexed: its fields, question and answer text."""

    answer: str = ""
    source: str | None = None


class TimelineEntry(RecordFields):
    """One dated answer on a timeline, with the sentence of it that best matches the subject."""

    quote: str = Field("", description="The answer's sentence that best matches the subject, verbatim.")
    quote_start: int = Field(0, description="Offset of the quote in the answer text.")
    score: float = Field(0.0, description="BM25 relevance of the answer's best passage.")
    relevance: float = Field(0.0, description="How much of the subject the quote holds (0: it points elsewhere).")
    duplicates: list[str] = Field(
        default_factory=list, description="Other answers of the month in the same words (grouped questions), by id."
    )


class TimelineMonth(BaseModel):
    """The answers of one calendar month, oldest first."""

    month: str = Field(description="'2024-07'")
    label: str = Field(description="'July 2024'")
    entries: list[TimelineEntry] = Field(default_factory=list)


class MonthCount(BaseModel):
    month: str
    count: int


class ChartMark(BaseModel):
    """An event drawn on the chart, such as a change of government."""

    month: str
    label: str


class TimelineSummary(BaseModel):
    """How the position changed, in a few sentences, each citing the dated answers it rests on (verified)."""

    text: str = ""
    sentences: list[AnswerSentence] = Field(default_factory=list)
    citations: list[Citation] = Field(default_factory=list)
    dropped: list[AnswerSentence] = Field(default_factory=list)
    refused: bool = False
    model: str | None = None


class Timeline(BaseModel):
    """The answers about a subject grouped by month, oldest month first, with a chart of answers per month."""

    query: str
    filters: Filters | None = None
    total: int = Field(0, description="Matching documents with a date (a day, or the month they are filed under).")
    shown: int = Field(0, description="Of those, the most relevant ones placed on the timeline.")
    undated: int = Field(0, description="Matching documents without a date, left off the timeline.")
    months: list[TimelineMonth] = Field(default_factory=list)
    chart: list[MonthCount] = Field(
        default_factory=list, description="Answers per month, every month from the first to the last."
    )
    marks: list[ChartMark] = Field(default_factory=list)
    summary: TimelineSummary | None = None
