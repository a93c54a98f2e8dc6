"""Document search over the whole index: every matching answer, sorted and paged, with facet counts.

Unlike retrieval for an answer (a few passages, dense and lexical fused), search is exact and exhaustive, as
Parliament's own written-questions search is: a document matches when it holds every word of the query (stemmed,
in its question, answer or heading) and every quoted phrase; a query that is a question number finds that
question; an empty query lists everything the filters let through. Relevance is the BM25 score of the document's
best passage. Counts by department, answerer, asker, year and house cover the whole result set.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from index.lexical import LexicalIndex, stem_words, tokenize_words
from index.records import RecordMeta
from qa.filters import lexical_mask
from qa.sentences import split_sentences
from qa.types import (
    FACET_FIELDS,
    DocumentRecord,
    FacetCount,
    Facets,
    Filters,
    Hit,
    RecordFields,
    SearchPage,
    SearchResult,
    SearchSort,
    Span,
)

SORTS: tuple[SearchSort, ...] = ("relevance", "newest", "oldest")
MAX_PAGE_SIZE = 500  # one page of a search; an export asks for its pages one by one
FACET_LIMIT = 30  # values listed per facet (the largest); the rest are summed in no count
SNIPPET_CHARS = 300  # longest snippet: about two lines of the results list
_QUOTED = re.compile(r"\"([^\"]+)\"|“([^”]+)”")
_UIN = re.compile(r"^\s*(?:uin\s*:?\s*)?((?:hl)?\s?\d{1,7})\s*$", re.IGNORECASE)
WORD = re.compile(r"\w+(?:['’]\w+)?")
_SPACE = re.compile(r"\s+")


def fold(text: str) -> str:
    """Lower case, one kind of apostrophe, single spaces: how phrases are compared."""
    return _SPACE.sub(" ", text.lower().replace("’", "'").replace("‘", "'")).strip()


@dataclass(frozen=True)
class ParsedQuery:
    """A search query read into its free words, its quoted phrases and a question number."""

    words: str
    phrases: tuple[str, ...] = ()
    uin: str | None = None

    @classmethod
    def of(cls, query: str) -> ParsedQuery:
        query = (query or "").strip()
        uin = _UIN.match(query)
        if uin:
            return cls(words=query, uin=uin.group(1).replace(" ", "").upper())
        phrases = tuple(fold(a or b) for a, b in _QUOTED.findall(query) if (a or b).strip())
        return cls(words=" ".join(_QUOTED.sub(" ", query).split()), phrases=phrases)

    @property
    def is_empty(self) -> bool:
        return not (self.words or self.phrases or self.uin)


def _sort_date(metadata: dict) -> int:
    """YYYYMMDD of a record for sorting and by-month grouping: its day, or the 1st of the month it is filed under."""
    return int(metadata.get("date_num", 0)) or int(metadata.get("date_lo", 0))


@dataclass
class DocumentTable:
    """The documents of one version of the lexical index: each passage's document, and per-document fields."""

    lexical: LexicalIndex
    doc_ids: list[str]
    chunk_doc: np.ndarray  # passage row → document number
    rows: list[list[int]]  # document number → its passage rows, in reading order
    date_num: np.ndarray  # document number → YYYYMMDD: its day, or the 1st of the month it is filed under (0: none)
    facet_values: dict[str, list[str]]  # field → distinct values ('' first when some documents lack it)
    facet_codes: dict[str, np.ndarray]  # field → document number → index into facet_values[field]
    by_uin: dict[str, list[int]]
    by_id: dict[str, int] = field(default_factory=dict)

    @classmethod
    def build(cls, lexical: LexicalIndex) -> DocumentTable:
        cols = lexical.columns
        order: dict[str, int] = {}
        chunk_doc = np.empty(len(cols), dtype=np.int64)
        for row, doc_id in enumerate(cols.doc_ids):
            chunk_doc[row] = order.setdefault(doc_id, len(order))
        rows: list[list[int]] = [[] for _ in order]
        for row, doc in enumerate(chunk_doc):
            rows[doc].append(row)
        for doc_rows in rows:
            doc_rows.sort(key=lambda r: int(cols.metadata[r].get("ordinal", 0)))
        first = [doc_rows[0] for doc_rows in rows]
        meta = [cols.metadata[r] for r in first]
        values = {
            "department": [str(m.get("department") or "") for m in meta],
            "answerer": [str(m.get("answerer") or "") for m in meta],
            "asker": [str(m.get("asker") or "") for m in meta],
            "year": [str(_sort_date(m) // 10000 or "") for m in meta],
            "house": [str(m.get("house") or "") for m in meta],
        }
        facet_values, facet_codes = {}, {}
        for name in FACET_FIELDS:
            distinct, codes = np.unique(np.array(values[name], dtype=object), return_inverse=True)
            facet_values[name] = [str(v) for v in distinct]
            facet_codes[name] = codes.astype(np.int64)
        by_uin: dict[str, list[int]] = {}
        for doc, m in enumerate(meta):
            if m.get("uin"):
                by_uin.setdefault(str(m["uin"]).replace(" ", "").upper(), []).append(doc)
        return cls(
            lexical=lexical,
            doc_ids=list(order),
            chunk_doc=chunk_doc,
            rows=rows,
            date_num=np.array([_sort_date(m) for m in meta], dtype=np.int64),
            facet_values=facet_values,
            facet_codes=facet_codes,
            by_uin=by_uin,
            by_id=order,
        )

    def __len__(self) -> int:
        return len(self.doc_ids)

    def metadata(self, doc: int) -> dict:
        return self.lexical.columns.metadata[self.rows[doc][0]]

    def stored(self, row: int) -> RecordMeta:
        """The typed fields of passage ``row``."""
        return RecordMeta.from_metadata(self.lexical.columns.metadata[row])

    def fields(self, doc: int) -> RecordMeta:
        """The typed fields of document ``doc`` (as its first passage holds them)."""
        return self.stored(self.rows[doc][0])

    def documents_with(self, rows: np.ndarray) -> np.ndarray:
        """A document mask: the documents any of ``rows`` (a passage mask) belongs to."""
        out = np.zeros(len(self), dtype=bool)
        out[self.chunk_doc[rows]] = True
        return out

    def question_of(self, doc: int) -> str | None:
        """The question as its first passage carries it (shortened, with "…", for a long answer)."""
        row = self.rows[doc][0]
        prefix = self.lexical.columns.texts[row][: self.stored(row).header_chars]
        asked = prefix.split("\n", 1)[1] if "\n" in prefix else ""
        return asked.removeprefix("Q: ").removesuffix("A: ").strip() or None

    def first_hit(self, doc_id: str) -> Hit | None:
        """Document ``doc_id``'s first passage (the one carrying its question) as a retrieval hit."""
        doc = self.by_id.get(doc_id)
        if doc is None:
            return None
        row = self.rows[doc][0]
        cols = self.lexical.columns
        metadata = dict(cols.metadata[row])
        return Hit(chunk_id=cols.ids[row], doc_id=doc_id, score=0.0, text=cols.texts[row], metadata=metadata)

    def _stitched(self, rows: list[int]) -> tuple[int, str]:
        """Where the passages ``rows`` (consecutive, in reading order) begin in the answer text, and their text put
        back together (overlaps once)."""
        cols = self.lexical.columns
        first = self.stored(rows[0]).body_start
        answer = ""
        for row in rows:
            stored = self.stored(row)
            start = stored.body_start - first
            body = cols.texts[row][stored.header_chars :]
            if start > len(answer):
                gap = start - len(answer)
                answer += "\n" * gap if gap >= 2 else " "
            answer = answer[:start] + body if start < len(answer) else answer + body
        return first, answer

    def widened(self, hit: Hit, max_chars: int) -> Hit:
        """``hit`` as its whole answer when that is at most ``max_chars`` long, else as its passage with the
        passages either side: the sentences around the one retrieved, for the model and the checks."""
        doc = self.by_id.get(hit.doc_id)
        row = self.lexical.columns.row_of(hit.chunk_id)
        if doc is None or row is None or len(self.rows[doc]) == 1:
            return hit
        rows = self.rows[doc]
        start, body = self._stitched(rows)
        if len(body) > max_chars:
            at = rows.index(row)
            rows = rows[max(0, at - 1) : at + 2]
            start, body = self._stitched(rows)
        if len(rows) == 1:
            return hit
        first = self.stored(rows[0])
        header = self.lexical.columns.texts[rows[0]][: first.header_chars]
        metadata = {**self.lexical.columns.metadata[rows[0]], "body_start": start, "header_chars": len(header)}
        chunk_id = f"{self.lexical.columns.ids[rows[0]]}+{len(rows)}"
        return hit.model_copy(update={"chunk_id": chunk_id, "text": header + body, "metadata": metadata})

    def record(self, doc: int) -> DocumentRecord:
        """The whole document: the answer put back together from its passages."""
        _, answer = self._stitched(self.rows[doc])
        fields = self.fields(doc)
        return DocumentRecord(
            **RecordFields.fields_of_record(fields),
            question=self.question_of(doc),
            answer=answer,
            source=fields.source,
        )


def widen_hits(table: DocumentTable, hits: list[Hit], max_chars: int) -> list[Hit]:
    """Each retrieved document once, in rank order, as its whole answer (or its passage with those either side):
    a second passage of a document already listed joins the first."""
    out: list[Hit] = []
    seen: set[str] = set()
    for hit in hits:
        if hit.doc_id in seen:
            continue
        seen.add(hit.doc_id)
        out.append(table.widened(hit, max_chars))
    return out


@dataclass
class Matches:
    """The documents a query matches (a document mask), with each document's relevance."""

    table: DocumentTable
    matched: np.ndarray
    scores: np.ndarray
    stems: frozenset[str]
    parsed: ParsedQuery
    passages_with: dict[str, int] = field(default_factory=dict)  # stem → how many passages hold it

    @property
    def total(self) -> int:
        return int(self.matched.sum())

    def ordered(self, sort: SearchSort) -> np.ndarray:
        """Document numbers of the matches in ``sort`` order; undated documents last when sorting by date."""
        docs = np.flatnonzero(self.matched)
        dates = self.table.date_num[docs]
        undated = dates == 0
        if sort == "newest":
            keys = (-self.scores[docs], -dates, undated)
        elif sort == "oldest":
            keys = (-self.scores[docs], dates, undated)
        else:
            keys = (-dates, -self.scores[docs])
        return docs[np.lexsort(keys)]

    def facets(self) -> Facets:
        counts = {}
        for name in FACET_FIELDS:
            values = self.table.facet_values[name]
            tally = np.bincount(self.table.facet_codes[name][self.matched], minlength=len(values))
            found = [FacetCount(value=values[i], count=int(tally[i])) for i in np.flatnonzero(tally) if values[i]]
            if name == "year":
                found.sort(key=lambda f: f.value, reverse=True)
            else:
                found.sort(key=lambda f: (-f.count, f.value))
            counts[name] = found[:FACET_LIMIT]
        return Facets(**counts)

    @cached_property
    def passage_scores(self) -> np.ndarray:
        """BM25 of every passage for the query's words (computed once per search)."""
        return self.table.lexical.retriever.get_scores(sorted(self.stems))

    def best_row(self, doc: int) -> int:
        """The document's passage that best matches the query (its first when nothing scores)."""
        rows = self.table.rows[doc]
        if not self.stems or len(rows) == 1:
            return rows[0]
        scores = self.passage_scores
        return max(rows, key=lambda r: (scores[r], -r))


def match(table: DocumentTable, query: str, filters: Filters | None = None) -> Matches:
    """Every document of ``table`` that passes ``filters`` and holds all of the query's words and phrases."""
    parsed = ParsedQuery.of(query)
    lexical = table.lexical
    row_mask = lexical_mask(filters, lexical.columns)
    allowed = np.ones(len(table), dtype=bool) if row_mask is None else table.documents_with(row_mask)
    scores = np.zeros(len(table), dtype=np.float64)
    if parsed.uin is not None:
        numbered = np.zeros(len(table), dtype=bool)
        numbered[table.by_uin.get(parsed.uin, [])] = True
        if numbered.any():
            return Matches(table, allowed & numbered, scores, frozenset(), parsed)
        parsed = ParsedQuery(words=parsed.words)  # not a question number of this index: search its words
    stems = frozenset(tokenize_words(" ".join([parsed.words, *parsed.phrases])))
    if not stems and not parsed.phrases:
        return Matches(table, allowed, scores, stems, parsed)
    matched = allowed.copy()
    retriever = lexical.retriever
    vocab = getattr(retriever, "vocab_dict", None) or {}
    passages_with: dict[str, int] = {}
    for stem in stems:
        present = retriever.get_scores([stem]) > 0 if stem in vocab else np.zeros(len(lexical.columns), dtype=bool)
        passages_with[stem] = int(present.sum())
        matched &= table.documents_with(present)
    found = Matches(table, matched, scores, stems, parsed, passages_with)
    if stems and matched.any():
        np.maximum.at(scores, table.chunk_doc, found.passage_scores)
    if parsed.phrases and matched.any():
        cols = lexical.columns
        for doc in np.flatnonzero(matched):
            texts = [fold(cols.texts[r]) for r in table.rows[doc]]
            if not all(any(p in t for t in texts) for p in parsed.phrases):
                matched[doc] = False
    return found


def snippet(text: str, stems: frozenset[str], phrases: tuple[str, ...]) -> tuple[str, list[Span], int]:
    """The sentence of ``text`` holding most of the query's words (cut to ``SNIPPET_CHARS``), their spans, and
    how many of the words and phrases it holds."""
    spans = split_sentences(text) or [(0, len(text))]

    def hits(start: int, end: int) -> int:
        piece = text[start:end]
        found = {s for s in stem_words(WORD.findall(piece.lower())) if s in stems}
        return len(found) + 2 * sum(p in fold(piece) for p in phrases)

    start, end = max(spans, key=lambda span: (hits(*span), -span[0]))
    held = hits(start, end)
    marks = _marks(text[start:end], stems, phrases)
    if end - start > SNIPPET_CHARS:  # a long sentence: the part around its first marked word
        first = marks[0].start if marks else 0
        lead = max(0, min(first - SNIPPET_CHARS // 4, end - start - SNIPPET_CHARS))
        cut_start, cut_end = start + lead, start + lead + SNIPPET_CHARS
        if cut_start > start:  # whole words only
            cut_start = text.find(" ", cut_start, cut_end) + 1 or cut_start
        space = text.rfind(" ", cut_start, cut_end)
        start, end = cut_start, space if cut_end < end and space > cut_start else cut_end
    piece = text[start:end]
    prefix = "…" if start > 0 else ""
    suffix = "…" if end < len(text) and not piece.rstrip().endswith((".", "!", "?", ":")) else ""
    shown = prefix + piece + suffix
    return shown, _marks(shown, stems, phrases), held


def _marks(text: str, stems: frozenset[str], phrases: tuple[str, ...]) -> list[Span]:
    """Spans of ``text``'s words whose stem is one of ``stems``, and of the phrases, merged and in order."""
    found: list[tuple[int, int]] = []
    if stems:
        words = list(WORD.finditer(text))
        for word, stem in zip(words, stem_words([w.group().lower() for w in words]), strict=True):
            if stem in stems:
                found.append(word.span())
    lowered = text.lower().replace("’", "'").replace("‘", "'")
    for phrase in phrases:
        pattern = re.compile(r"\s+".join(re.escape(w) for w in phrase.split()))
        found += [m.span() for m in pattern.finditer(lowered)]
    merged: list[list[int]] = []
    for start, end in sorted(found):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [Span(start=s, end=e) for s, e in merged]


class DocumentSearch:
    """Search, listing and whole documents over the index as it is now (a table per index version)."""

    def __init__(self, lexical: Callable[[], LexicalIndex]):
        self._lexical = lexical
        self._lock = threading.Lock()
        self._table: DocumentTable | None = None

    def table(self) -> DocumentTable:
        lexical = self._lexical()
        with self._lock:
            if self._table is None or self._table.lexical is not lexical:
                self._table = DocumentTable.build(lexical)
            return self._table

    def search(
        self,
        query: str = "",
        filters: Filters | None = None,
        sort: SearchSort = "relevance",
        page: int = 1,
        page_size: int = 20,
    ) -> SearchPage:
        if sort not in SORTS:
            raise ValueError(f"sort must be one of {', '.join(SORTS)}, not {sort!r}")
        if page < 1:
            raise ValueError(f"page must be 1 or more, not {page}")
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise ValueError(f"page_size must be from 1 to {MAX_PAGE_SIZE}, not {page_size}")
        found = match(self.table(), query, filters)
        if found.parsed.is_empty and sort == "relevance":
            sort = "newest"  # a listing has no relevance
        docs = found.ordered(sort)[(page - 1) * page_size : page * page_size]
        return SearchPage(
            query=query,
            filters=filters,
            sort=sort,
            page=page,
            page_size=page_size,
            total=found.total,
            facets=found.facets(),
            results=[self._result(found, int(doc)) for doc in docs],
            phrases=list(found.parsed.phrases),
            uin=found.parsed.uin,
        )

    def _result(self, found: Matches, doc: int) -> SearchResult:
        table = found.table
        row = found.best_row(doc)
        cols = table.lexical.columns
        body = cols.texts[row][table.stored(row).header_chars :]
        text, marks, held = snippet(body, found.stems, found.parsed.phrases)
        asked = table.question_of(doc)
        if asked and (found.stems or found.parsed.phrases):  # the question, when it holds more of the words
            from_question = snippet(asked, found.stems, found.parsed.phrases)
            if from_question[2] > held:
                text, marks, held = from_question
        return SearchResult(
            **RecordFields.fields_of_record(table.fields(doc)),
            question=asked,
            snippet=text,
            highlights=marks,
            score=float(found.scores[doc]),
        )

    def document(self, doc_id: str) -> DocumentRecord | None:
        """The whole document ``doc_id`` as indexed, or None when the index does not hold it."""
        table = self.table()
        doc = table.by_id.get(doc_id)
        return None if doc is None else table.record(doc)
