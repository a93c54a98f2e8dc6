"""Hybrid retrieval: dense (Chroma) and lexical (BM25) candidates fused by reciprocal rank fusion (or first joined
by a weighted sum of their scaled scores)."""

from __future__ import annotations

import math
import re
import threading
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document as LCDocument
from langchain_core.embeddings import Embeddings
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict, PrivateAttr

from index.freshness import LiveIndex
from index.lexical import ChunkColumns, LexicalIndex
from index.store import ChunkStore
from parlqa.settings import RETRIEVAL_MODES, RetrievalMode, Settings
from qa.facts import record_periods
from qa.filters import NO_MATCH, chroma_where, lexical_mask
from qa.rerank import LearnedReranker, QuestionCues, specifics_of, specifics_share, text_words
from qa.types import Filters, Hit, Understanding
from qa.understanding import Lexicon, understand, without_departments

POSTFILTER_MARGIN = 2  # neighbours fetched per expected match when filtering after an unfiltered search
POSTFILTER_MAX_FETCH = 2000  # beyond this, Chroma's own filtered search is the faster one
SPECIFIC_WEIGHT = 3.0  # the ranking of the records matching everything the question names counts more than the
# joined dense and BM25 ranking (2): the one record of the named member in the named month must not merely tie with
# the record first in the joined ranking and in the month's


@dataclass
class SearchReport:
    """What a search saw besides its results: the best cosine among all its dense candidates (a score-fused
    ranking may rank a lexical match above the passage nearest the question)."""

    best_dense: float | None = None


FINANCIAL_YEAR_LABEL = re.compile(r"\d{4}-\d{2}")  # "2024-25"
FINANCIAL_YEAR_AFTER_DAYS = 365  # answers about a financial year are looked for until a year after it ends
EACH_DEPARTMENT_DEPTH = 5  # results of each department's own search read for its best answer


def reciprocal_rank_fusion(
    rankings: Sequence[Sequence[str]], k: int = 60, weights: Sequence[float] | None = None
) -> dict[str, float]:
    """Σ weight / (k + rank) over the rankings each id appears in (ranks from 1; weights 1 unless given)."""
    scores: dict[str, float] = defaultdict(float)
    for i, ranking in enumerate(rankings):
        weight = weights[i] if weights is not None else 1.0
        for rank, item in enumerate(ranking, start=1):
            scores[item] += weight / (k + rank)
    return dict(scores)


def convex_fusion(dense: Sequence[Hit], sparse: Sequence[Hit], dense_weight: float) -> list[Hit]:
    """One ranking of the dense and BM25 candidates by ``dense_weight`` x cosine + (1 - ``dense_weight``) x BM25
    ÷ the best BM25 (each scaled from its theoretical minimum, 0); a candidate missing from one list takes that
    list's lowest (it scored below its cut). Each hit keeps both raw scores where known."""
    dense_of = {h.chunk_id: max(h.dense_score or 0.0, 0.0) for h in dense}
    top = max((h.lexical_score or 0.0 for h in sparse), default=0.0) or 1.0
    lexical_of = {h.chunk_id: (h.lexical_score or 0.0) / top for h in sparse}
    dense_floor = min(dense_of.values(), default=0.0)
    lexical_floor = min(lexical_of.values(), default=0.0)
    hits: dict[str, Hit] = {}
    for hit in [*dense, *sparse]:
        seen = hits.get(hit.chunk_id)
        if seen is None:
            hits[hit.chunk_id] = hit
        else:
            update = {
                "dense_score": seen.dense_score if seen.dense_score is not None else hit.dense_score,
                "lexical_score": seen.lexical_score if seen.lexical_score is not None else hit.lexical_score,
            }
            hits[hit.chunk_id] = seen.model_copy(update=update)
    scored = [
        (dense_weight * dense_of.get(i, dense_floor) + (1 - dense_weight) * lexical_of.get(i, lexical_floor), n, h)
        for n, (i, h) in enumerate(hits.items())
    ]
    scored.sort(key=lambda x: (-x[0], x[1]))
    return [h.model_copy(update={"score": s}) for s, _, h in scored]


SPECIFIC_WINDOW = 30  # candidates the question's years, numbers and names may reorder


def prefer_specific(ranked: list[Hit], question: str, weight: float, window: int = SPECIFIC_WINDOW) -> list[Hit]:
    """Among the first ``window`` hits, each gains ``weight`` times the share of the question's specifics (see
    ``specifics_of``) its text holds; a name counts when all its words are there, a year when the record covers it
    (a January 2025 answer's "In November" is November 2024)."""
    wanted = specifics_of(question)
    if not wanted or len(ranked) < 2:
        return ranked
    head, tail = ranked[:window], ranked[window:]
    asks_year = any(len(s) == 1 and re.fullmatch(r"(?:19|20)\d{2}", s[0]) for s in wanted)
    scored = []
    for i, hit in enumerate(head):
        years = {str(y) for y in record_periods(hit.text, hit.record)[0]} if asks_year else set()
        share = specifics_share(text_words(hit.text) | years, wanted)
        scored.append((hit.score * (1 + weight * share), i, hit))
    scored.sort(key=lambda x: (-x[0], x[1]))
    return [h.model_copy(update={"score": s}) for s, _, h in scored] + tail


def record_window(understood: Understanding) -> tuple[date, date, int] | None:
    """The dates a record asked about by its period may carry, and the days of slack either side: a month or a
    day gains 45 (the answer may come weeks after the question), a financial year the year after it (its
    figures are given once it has ended)."""
    if not (understood.record_dated and understood.since and understood.until):
        return None
    days = (understood.until - understood.since).days
    slack = 45 if days < 40 else 0
    until = understood.until
    if understood.period and FINANCIAL_YEAR_LABEL.fullmatch(understood.period):
        until += timedelta(days=FINANCIAL_YEAR_AFTER_DAYS)
    return understood.since, until, slack


def cap_per_document(hits: Sequence[Hit], k: int, per_doc: int) -> list[Hit]:
    """The first ``k`` hits, at most ``per_doc`` of them from any one document."""
    taken: list[Hit] = []
    counts: dict[str, int] = defaultdict(int)
    for hit in hits:
        if counts[hit.doc_id] >= per_doc:
            continue
        counts[hit.doc_id] += 1
        taken.append(hit)
        if len(taken) == k:
            break
    return taken


class HybridRetriever(BaseRetriever):
    """A LangChain retriever over the parlqa index; ``search`` returns typed ``Hit``s."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    settings: Settings
    store: ChunkStore
    embeddings: Embeddings
    mode: RetrievalMode = "hybrid"  # the retrieval mode; Settings.retrieval
    k: int = 5
    filters: Filters | None = None

    _live: LiveIndex | None = PrivateAttr(default=None)
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)
    _lexicons: dict[int, Lexicon] = PrivateAttr(default_factory=dict)
    _reranker: LearnedReranker | None = PrivateAttr(default=None)

    @property
    def live(self) -> LiveIndex:
        """The BM25 index and the store, following the index from one search to the next (no restart needed)."""
        with self._lock:
            if self._live is None:
                self._live = LiveIndex(self.settings, self.store)
            return self._live

    def lexical(self) -> LexicalIndex:
        """The BM25 index at the index's latest version (checked at most every ``index_check_interval`` s)."""
        return self.live.lexical()

    def lexicon(self) -> Lexicon:
        """Member names, departments, vocabulary and words of the index at its latest version (built once each)."""
        lexical = self.lexical()
        with self._lock:
            found = self._lexicons.get(id(lexical))
            if found is None:
                cols = lexical.columns
                stems = getattr(lexical.retriever, "vocab_dict", None) or {}
                found = Lexicon.build(cols.texts, cols.metadata, stems=stems.keys())
                self._lexicons = {id(lexical): found}
            return found

    def understand(self, query: str) -> Understanding | None:
        """What ``query`` names and how to search for its words; None when every understanding setting is off."""
        s = self.settings
        if not (s.understand_metadata or s.expand_vocabulary or s.correct_spelling):
            return None
        return understand(query, self.lexicon(), s.understand_metadata, s.expand_vocabulary, s.correct_spelling)

    def reranker(self) -> LearnedReranker:
        """The learned second-stage weights (loaded once)."""
        with self._lock:
            if self._reranker is None:
                self._reranker = LearnedReranker.load()
            return self._reranker

    def search(
        self,
        query: str,
        k: int | None = None,
        filters: Filters | None = None,
        mode: RetrievalMode | None = None,
        query_embedding: list[float] | None = None,
        understanding: Understanding | None = None,
        report: SearchReport | None = None,
    ) -> list[Hit]:
        """The top ``k`` passages for ``query`` under ``filters``, best first; what the question names (see
        ``understand``, read here unless given) adds rankings of the records that match it. ``report``, when
        given, is filled in."""
        k = k or self.k
        mode = mode or self.mode
        understood = understanding if understanding is not None else self.understand(query)
        ranked = self.candidates(query, k, filters, mode, query_embedding, understood)
        if report is not None:
            report.best_dense = max((h.dense_score for h in ranked if h.dense_score is not None), default=None)
        corrected = understood.corrected_query if understood else query
        if self.settings.rerank and mode != "dense":
            ranked = self.reranker().rerank(ranked, QuestionCues.of(corrected, understood))
        elif self.settings.specific_weight and mode != "dense":
            ranked = prefer_specific(ranked, corrected, self.settings.specific_weight)
        if self.settings.group_duplicates:
            ranked = self._group_duplicates(self.lexical(), ranked)
        if understood is not None and len(understood.departments) > 1 and self.settings.each_department:
            ranked = self._each_department(ranked, query, understood.departments, k, filters, mode)
        return cap_per_document(ranked, k, self.settings.max_chunks_per_doc)

    def candidates(
        self,
        query: str,
        k: int,
        filters: Filters | None,
        mode: RetrievalMode,
        query_embedding: list[float] | None,
        understood: Understanding | None,
    ) -> list[Hit]:
        """Every fused candidate for ``query``, best first, before the second stage and duplicate grouping."""
        if mode not in RETRIEVAL_MODES:
            raise ValueError(f"retrieval mode must be one of {', '.join(RETRIEVAL_MODES)}, not {mode!r}")
        filters = filters if filters is not None else self.filters
        lexical = self.lexical()
        mask = lexical_mask(filters, lexical.columns)
        if mask is not None and not mask.any():
            return []
        n = max(self.settings.candidates, k * self.settings.max_chunks_per_doc * 2)
        dense: list[Hit] = []
        sparse: list[Hit] = []
        corrected = understood.corrected_query if understood else query
        lexical_query = understood.lexical_query if understood else query
        if mode in ("dense", "hybrid"):
            vector = query_embedding or self.embeddings.embed_query(understood.dense_query if understood else query)
            dense = self._dense(lexical, vector, n, filters, mask)
        if mode in ("bm25", "hybrid"):
            sparse = self._sparse(lexical, corrected, n, mask)
        if mode == "dense":
            ranked = dense
        else:
            extra = self._understood(lexical, understood, lexical_query, dense, n, mask) if understood else []
            if lexical_query != corrected:  # the meanings of the abbreviations: a ranking of its own
                extra.insert(0, (self._sparse(lexical, lexical_query, n, mask), 1.0))
            if mode == "hybrid" and self.settings.score_weight > 0 and dense and sparse:
                base = [(convex_fusion(dense, sparse, self.settings.score_weight), 2.0)]
            else:
                base = [(r, 1.0) for r in ([dense, sparse] if mode == "hybrid" else [sparse])]
            weighted = [(r, w) for r, w in base + extra if r]
            if len(weighted) == 1 and not extra:
                ranked = weighted[0][0]
            else:
                ranked = self._fuse([r for r, _ in weighted], [w for _, w in weighted])
        if understood is not None and understood.latest:
            ranked = self._prefer_recent(ranked)
        return ranked

    def _each_department(
        self,
        ranked: list[Hit],
        query: str,
        departments: Sequence[str],
        k: int,
        filters: Filters | None,
        mode: RetrievalMode,
    ) -> list[Hit]:
        """A question naming several departments ("How much did DESNZ and the Cabinet Office each spend …?")
        has each department's best answer first, in the order the full ranking gives them, then the rest."""
        lexicon = self.lexicon()
        cols = self.lexical().columns
        position = {h.doc_id: i for i, h in reversed(list(enumerate(ranked)))}
        firsts: dict[str, Hit] = {}
        for department in departments:
            mask = lexicon.department_mask([department])
            asked = without_departments(query, lexicon, department)
            alone = self.understand(asked)
            if alone is None or len(alone.departments) > 1:  # still names another (a misspelt name corrected)
                continue
            for hit in self.search(asked, max(k, EACH_DEPARTMENT_DEPTH), filters, mode, understanding=alone):
                row = cols.row_of(hit.chunk_id)
                if row is not None and mask[row]:
                    firsts.setdefault(hit.doc_id, hit)
                    break
        head = sorted(firsts.values(), key=lambda h: position.get(h.doc_id, len(ranked)))
        return head + [h for h in ranked if h.doc_id not in firsts]

    def _group_duplicates(self, lexical: LexicalIndex, ranked: list[Hit]) -> list[Hit]:
        """One hit per answer text: the best-ranked document's, listing the other documents filed with it."""
        lexicon = self.lexicon()
        cols = lexical.columns
        out: list[Hit] = []
        shown: set[str] = set()
        covered: set[str] = set()
        for hit in ranked:
            if hit.doc_id in covered and hit.doc_id not in shown:
                continue  # already listed as another result's duplicate
            row = cols.row_of(hit.chunk_id)
            others = [d for d in (lexicon.duplicates(row) if row is not None else ()) if d != hit.doc_id]
            shown.add(hit.doc_id)
            covered.update(others)
            out.append(hit.model_copy(update={"duplicates": others}) if others else hit)
        return out

    def _understood(
        self,
        lexical: LexicalIndex,
        understood: Understanding,
        query: str,
        dense: list[Hit],
        n: int,
        mask: np.ndarray | None,
    ) -> list[tuple[list[Hit], float]]:
        """Rankings of the records that match what the question names: for each member, the departments, the
        record's period and the UIN, and for all of them together (counted twice: the most specific); BM25
        within each, and the dense hits in it."""
        lexicon = self.lexicon()
        masks: list[np.ndarray] = [lexicon.member_mask(m) for m in understood.members]
        if understood.departments:
            masks.append(lexicon.department_mask(understood.departments))
        window = record_window(understood)
        if window is not None:
            masks.append(lexicon.date_mask(*window))
        if understood.uin:
            masks.append(lexicon.uin_mask(understood.uin))
        masks = [m for m in masks if m.any()]
        weights = [1.0] * len(masks)
        if len(masks) > 1:
            masks.insert(0, np.logical_and.reduce(masks))
            weights.insert(0, SPECIFIC_WEIGHT)
        rankings = []
        for constraint, weight in zip(masks, weights, strict=True):
            allowed = constraint if mask is None else constraint & mask
            if not allowed.any():
                continue
            cols = lexical.columns
            matching = [h for h in dense if (row := cols.row_of(h.chunk_id)) is not None and allowed[row]]
            rankings.append((matching + self._sparse(lexical, query, n, allowed), weight))
        return rankings

    def _prefer_recent(self, ranked: list[Hit], window: int = 20) -> list[Hit]:
        """Among the first ``window`` hits, a newer record gains up to ``latest_weight`` of its score."""
        head, tail = ranked[:window], ranked[window:]
        dates = [h.record.date_num for h in head]
        known = [d for d in dates if d]
        if len(known) < 2:
            return ranked
        low, high = min(known), max(known)
        span = max(high - low, 1)
        weight = self.settings.latest_weight
        scored = [
            (h.score * (1 + weight * ((d - low) / span if d else 0.0)), i, h)
            for i, (h, d) in enumerate(zip(head, dates, strict=True))
        ]
        scored.sort(key=lambda x: (-x[0], x[1]))
        return [h.model_copy(update={"score": s}) for s, _, h in scored] + tail

    def _dense(
        self, lexical: LexicalIndex, vector: list[float], n: int, filters: Filters | None, mask: np.ndarray | None
    ) -> list[Hit]:
        """Nearest chunks from Chroma, their texts and metadata from the columns (a chunk indexed after the
        columns were loaded is left out until the next generation)."""
        cols = lexical.columns
        found = self.store.query(vector, n) if mask is None else self._dense_filtered(cols, vector, n, filters, mask)
        hits = []
        for chunk_id, similarity in found:
            row = cols.row_of(chunk_id)
            if row is None:
                continue
            hits.append(
                Hit(
                    chunk_id=chunk_id,
                    doc_id=cols.doc_ids[row],
                    score=similarity,
                    dense_score=similarity,
                    text=cols.texts[row],
                    metadata=dict(cols.metadata[row]),
                )
            )
        return hits

    def _dense_filtered(
        self, cols: ChunkColumns, vector: list[float], n: int, filters: Filters | None, mask: np.ndarray
    ) -> list[tuple[str, float]]:
        """A broad filter searches unfiltered and keeps what passes: Chroma's metadata pre-filter costs ~70 ms
        at 68k chunks, an unfiltered search for 2,000 neighbours ~10 ms. A narrow one lets Chroma filter."""
        allowed = int(mask.sum())
        fetch = math.ceil(n * len(cols) / allowed * POSTFILTER_MARGIN)
        if fetch <= POSTFILTER_MAX_FETCH:
            kept = []
            for chunk_id, similarity in self.store.query(vector, fetch):
                row = cols.row_of(chunk_id)
                if row is not None and mask[row]:
                    kept.append((chunk_id, similarity))
            if len(kept) >= min(n, allowed):
                return kept[:n]
        where = chroma_where(filters, cols)
        return [] if where == NO_MATCH else self.store.query(vector, n, where)

    def _sparse(self, lexical: LexicalIndex, query: str, n: int, mask: np.ndarray | None) -> list[Hit]:
        cols = lexical.columns
        return [
            Hit(
                chunk_id=cols.ids[row],
                doc_id=cols.doc_ids[row],
                score=score,
                lexical_score=score,
                text=cols.texts[row],
                metadata=dict(cols.metadata[row]),
            )
            for row, score in lexical.search(query, n, mask)
        ]

    def _fuse(self, rankings: Sequence[list[Hit]], weights: Sequence[float] | None = None) -> list[Hit]:
        """Reciprocal rank fusion of the rankings; a hit keeps its dense and its lexical score where known."""
        fused = reciprocal_rank_fusion(
            [list(dict.fromkeys(h.chunk_id for h in r)) for r in rankings], self.settings.rrf_k, weights
        )
        by_id: dict[str, Hit] = {}
        for ranking in rankings:
            for hit in ranking:
                previous = by_id.get(hit.chunk_id)
                if previous is None:
                    by_id[hit.chunk_id] = hit
                    continue
                dense, lexical = previous.dense_score, previous.lexical_score
                update = {
                    "dense_score": hit.dense_score if dense is None else dense,
                    "lexical_score": hit.lexical_score if lexical is None else lexical,
                }
                by_id[hit.chunk_id] = previous.model_copy(update=update)
        ranked = sorted(by_id.values(), key=lambda h: fused[h.chunk_id], reverse=True)
        return [h.model_copy(update={"score": fused[h.chunk_id]}) for h in ranked]

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun, **kwargs: Any
    ) -> list[LCDocument]:
        return [
            LCDocument(
                id=h.chunk_id,
                page_content=h.text,
                metadata={**h.metadata, "score": h.score, "dense_score": h.dense_score},
            )
            for h in self.search(query, **kwargs)
        ]
