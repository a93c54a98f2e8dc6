"""What has been said about a subject over time: the matching answers by month, a chart, and a checked summary.

The answers are those the document search matches (every word of the subject, every quoted phrase), the most
relevant ``limit`` of them; each is shown with the sentence of it that best matches the subject. The chart counts
every dated match per month. The optional summary is written by the model from a handful of dated quotes spread
over the range and goes through the same verifier as the chat's answers: a sentence no cited quote states is
dropped.
"""

from __future__ import annotations

import math
import re

import numpy as np
from langchain_core.language_models import BaseChatModel
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate

from corpus.dates import long_date, month_label
from index.lexical import stem_words
from qa import prompts
from qa.citations import compose, parse_markers
from qa.context import Passage, SentenceVectors
from qa.search import WORD, DocumentTable, Matches, fold, match
from qa.sentences import split_sentences
from qa.types import (
    ChartMark,
    Filters,
    Hit,
    MonthCount,
    RecordFields,
    Timeline,
    TimelineEntry,
    TimelineMonth,
    TimelineSummary,
)
from qa.verify import VerifiedSentence, verify

GOVERNMENT_CHANGE = ChartMark(month="2024-07", label="Change of government, 5 July 2024")
MARKS = (GOVERNMENT_CHANGE,)
DEFAULT_LIMIT = 200  # answers placed on a timeline; the chart counts every match
SUMMARY_SOURCES = 6  # dated quotes the summary is written from: enough to show a change, short enough for 1.5B
SUMMARY_MAX_TOKENS = 220  # 2–4 sentences
SUMMARY_MAX_SENTENCES = 4
_YEAR = re.compile(r"\b(?:19|20)\d\d\b")
_REFERRAL = re.compile(
    r"^(?:I (?:would )?refer|The information requested|Please (?:see|refer)|My (?:right )?hon\. Friend|"
    r"The hon\. Member|Information on|I meet|Ministers and officials)",
    re.IGNORECASE,
)  # quotes that point elsewhere or say who met whom: they tell a summary nothing of the position
SUMMARY_TEMPLATE = ChatPromptTemplate.from_messages(
    [("system", prompts.TIMELINE_SUMMARY_SYSTEM_PROMPT), ("human", prompts.TIMELINE_SUMMARY_USER_PROMPT)]
)


def month_key(date_num: int) -> str:
    return f"{date_num // 10000:04d}-{date_num // 100 % 100:02d}"


def months_between(first: str, last: str) -> list[str]:
    """Every month key from ``first`` to ``last``, both included."""
    year, month = map(int, first.split("-"))
    out = []
    while f"{year:04d}-{month:02d}" <= last:
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def _idf(found: Matches) -> dict[str, float]:
    """How rare each query term is among the passages (BM25's idf): rare words choose the quoted sentence."""
    n = max(1, len(found.table.lexical.columns))
    return {s: math.log(1 + n / max(1, found.passages_with.get(s, 0))) for s in found.stems}


def best_sentence(text: str, weights: dict[str, float], phrases: tuple[str, ...]) -> tuple[int, int, float]:
    """The sentence of ``text`` (offsets) holding the rarest of the query's words; the first when none do."""
    best = (0, 0, -1.0)
    for start, end in split_sentences(text):
        piece = text[start:end]
        stems = set(stem_words(WORD.findall(piece.lower())))
        score = sum(w for s, w in weights.items() if s in stems) + sum(2.0 for p in phrases if p in fold(piece))
        if score > best[2]:
            best = (start, end, score)
    return best if best[2] >= 0 else (0, len(text), 0.0)


def build_timeline(
    table: DocumentTable, query: str, filters: Filters | None = None, limit: int = DEFAULT_LIMIT
) -> Timeline:
    """The dated answers matching ``query`` by month, oldest first, with the chart of all of them."""
    if limit < 1:
        raise ValueError(f"limit must be 1 or more, not {limit}")
    found = match(table, query, filters)
    docs = np.flatnonzero(found.matched)
    dated = docs[table.date_num[docs] > 0]
    ranked = dated[np.lexsort((-table.date_num[dated], -found.scores[dated]))][:limit]
    weights = _idf(found)
    entries: dict[str, list[TimelineEntry]] = {}
    for doc in sorted(ranked.tolist(), key=lambda d: (table.date_num[d], table.doc_ids[d])):
        record = table.record(doc)
        start, end, relevance = best_sentence(record.answer, weights, found.parsed.phrases)
        entry = TimelineEntry(
            **RecordFields.fields_of_record(table.fields(doc)),
            question=record.question,
            quote=record.answer[start:end],
            quote_start=start,
            score=float(found.scores[doc]),
            relevance=0.0 if _REFERRAL.match(record.answer[start:end]) else relevance,
        )
        month = entries.setdefault(month_key(int(table.date_num[doc])), [])
        same = next((e for e in month if e.quote == entry.quote and entry.quote), None)
        if same is not None:  # one answer given to several questions: one entry, listing the others
            same.duplicates.append(entry.doc_id)
            continue
        month.append(entry)
    counts: dict[str, int] = {}
    for value in table.date_num[dated]:
        key = month_key(int(value))
        counts[key] = counts.get(key, 0) + 1
    chart = []
    if counts:
        chart = [MonthCount(month=m, count=counts.get(m, 0)) for m in months_between(min(counts), max(counts))]
    first, last = (chart[0].month, chart[-1].month) if chart else ("", "")
    return Timeline(
        query=query,
        filters=filters,
        total=len(dated),
        shown=len(ranked),
        undated=len(docs) - len(dated),
        months=[TimelineMonth(month=m, label=month_label(m), entries=entries[m]) for m in sorted(entries)],
        chart=chart,
        marks=[mark for mark in MARKS if first and first < mark.month <= last],
    )


def summary_entries(timeline: Timeline, n: int = SUMMARY_SOURCES) -> list[TimelineEntry]:
    """Up to ``n`` entries spread over the timeline: the most relevant of each of ``n`` equal stretches of it,
    oldest first, so that the summary sees the start, the end and what lies between."""
    entries = [e for month in timeline.months for e in month.entries]
    if len(entries) <= n:
        return entries
    bounds = np.linspace(0, len(entries), n + 1).astype(int)
    best = [
        max(entries[a:b], key=lambda e: (e.relevance, e.score)) for a, b in zip(bounds[:-1], bounds[1:], strict=True)
    ]
    return [e for e in best if e.relevance > 0] or best


def entry_hit(table: DocumentTable, entry: TimelineEntry) -> Hit:
    """The passage of ``entry``'s document that holds its quote, as a retrieval hit."""
    cols = table.lexical.columns
    rows = table.rows[table.by_id[entry.doc_id]]
    row = rows[0]
    for candidate in rows:
        if table.stored(candidate).body_start <= entry.quote_start:
            row = candidate
    return Hit(
        chunk_id=cols.ids[row],
        doc_id=entry.doc_id,
        score=entry.score,
        text=cols.texts[row],
        metadata=dict(cols.metadata[row]),
    )


def summarise(
    subject: str,
    entries: list[TimelineEntry],
    hits: list[Hit],
    vectors: SentenceVectors,
    model: BaseChatModel,
    model_name: str,
) -> TimelineSummary:
    """2–4 sentences on how the position on ``subject`` changed, each citing the dated quotes it rests on;
    sentences the cited quotes do not state are dropped, as in the chat."""
    passages = []
    for marker, (entry, hit, sentences) in enumerate(zip(entries, hits, vectors.sentences_of(hits), strict=True), 1):
        kept = [s for s in sentences if s.quote.start <= entry.quote_start < s.quote.end + 1] or sentences[:1]
        passages.append(Passage(marker=marker, hit=hit, sentences=sentences, kept=kept))
    if not passages:
        return TimelineSummary(refused=True, model=model_name)
    sources = "\n".join(
        prompts.TIMELINE_SOURCE_LINE.format(
            marker=p.marker,
            when=long_date(e.dated, "undated"),
            who=e.answered_by or e.department or "the government",
            text=" ".join(s.quote.text for s in p.kept),
        )
        for p, e in zip(passages, entries, strict=True)
    )
    chain = SUMMARY_TEMPLATE | model.bind(max_tokens=SUMMARY_MAX_TOKENS) | StrOutputParser()
    text = chain.invoke({"subject": subject, "sources": sources}).strip()
    if not text or prompts.REFUSAL_SENTINEL in text.upper().replace(" ", "_"):
        return TimelineSummary(refused=True, model=model_name)
    _, parsed = parse_markers(text, len(passages))
    checked = verify(parsed, passages, subject)
    if not checked.kept:
        return TimelineSummary(refused=True, dropped=checked.dropped, model=model_name)
    kept = [_dated(v, entries) for v in checked.kept[:SUMMARY_MAX_SENTENCES]]
    summary_text, citations = compose(kept, passages)
    return TimelineSummary(
        text=summary_text,
        sentences=[v.sentence for v in kept],
        citations=citations,
        dropped=checked.dropped
        + [
            v.sentence.model_copy(update={"note": "beyond four sentences"})
            for v in checked.kept[SUMMARY_MAX_SENTENCES:]
        ],
        model=model_name,
    )


def _dated(verified: VerifiedSentence, entries: list[TimelineEntry]) -> VerifiedSentence:
    """The sentence opened with the month of the first answer it cites, unless it names a year itself: a summary
    of change reads as a dated sequence."""
    text = verified.sentence.text
    cited = [entries[m - 1] for m in verified.sentence.markers if 0 < m <= len(entries)]
    month = next((e.month for e in cited if e.month), None)
    if month is None or _YEAR.search(text):
        return verified
    opened = f"In {month_label(month)}, {text[:1].lower() + text[1:] if text[1:2].islower() else text}"
    return VerifiedSentence(sentence=verified.sentence.model_copy(update={"text": opened}), quotes=verified.quotes)
