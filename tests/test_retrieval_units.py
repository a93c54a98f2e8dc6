"""Our own logic around the parts: citation parsing, reciprocal rank fusion, filters, and sentence splitting."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from index.lexical import ChunkColumns
from qa.citations import parse_markers
from qa.filters import NO_MATCH, chroma_where, lexical_mask
from qa.retriever import cap_per_document, convex_fusion, reciprocal_rank_fusion, record_window
from qa.sentences import sentences
from qa.types import Filters, Hit


@pytest.mark.unit
def test_markers_pointing_nowhere_are_dropped():
    text, parsed = parse_markers("It began in 2013 [1][7]. Funding came from four departments [2, 9]. Odd [0].", 3)
    assert parsed == [
        ("It began in 2013.", [1]),
        ("Funding came from four departments.", [2]),
        ("Odd.", []),
    ]
    assert "[" not in text


@pytest.mark.unit
def test_trailing_marker_after_full_stop_belongs_to_the_sentence():
    _, parsed = parse_markers("The fund is worth £23 million. [2]", 2)
    assert parsed == [("The fund is worth £23 million.", [2])]


@pytest.mark.unit
def test_rrf_scores():
    scores = reciprocal_rank_fusion([["a", "b", "c"], ["c", "a"]], k=60)
    assert scores["a"] == pytest.approx(1 / 61 + 1 / 62)
    assert scores["c"] == pytest.approx(1 / 63 + 1 / 61)
    assert scores["b"] == pytest.approx(1 / 62)
    assert sorted(scores, key=scores.get, reverse=True) == ["a", "c", "b"]


@pytest.mark.unit
def test_a_large_bm25_lead_survives_score_fusion_where_rank_fusion_loses_it():
    def scored(doc: str, dense: float | None = None, lexical: float | None = None) -> Hit:
        return Hit(chunk_id=doc, doc_id=doc, score=1.0, text="t", metadata={}, dense_score=dense, lexical_score=lexical)

    dense = [scored("b", dense=0.62), scored("c", dense=0.61), scored("d", dense=0.60), scored("a", dense=0.58)]
    sparse = [scored("a", lexical=4.9), scored("b", lexical=2.7), scored("c", lexical=2.6), scored("e", lexical=1.0)]
    by_rank = reciprocal_rank_fusion([[h.chunk_id for h in dense], [h.chunk_id for h in sparse]])
    assert max(by_rank, key=by_rank.get) == "b"  # second in BM25 by a wide margin, first by rank
    joined = convex_fusion(dense, sparse, 0.5)
    assert joined[0].chunk_id == "a"
    assert (joined[0].dense_score, joined[0].lexical_score) == (0.58, 4.9)  # both raw scores kept
    assert {h.chunk_id for h in joined} == {"a", "b", "c", "d", "e"}
    assert [h.chunk_id for h in convex_fusion(dense, sparse, 1.0)][:3] == ["b", "c", "d"]  # dense alone


@pytest.mark.unit
def test_a_financial_year_asks_for_records_until_a_year_after_it_ends():
    from qa.types import Understanding

    def window(question: str, since: date, until: date, period: str):
        return record_window(
            Understanding(question=question, since=since, until=until, period=period, record_dated=True)
        )

    ended = window("Who asked about ETS revenue in 2024-25?", date(2024, 4, 1), date(2025, 3, 31), "2024-25")
    assert ended == (date(2024, 4, 1), date(2026, 3, 31), 0)
    month = window("Who asked in March 2024?", date(2024, 3, 1), date(2024, 3, 31), "March 2024")
    assert month == (date(2024, 3, 1), date(2024, 3, 31), 45)
    assert record_window(Understanding(question="What is spent?")) is None


def _hit(doc: str, n: int) -> Hit:
    return Hit(chunk_id=f"{doc}:{n}", doc_id=doc, score=1.0, text="t", metadata={})


@pytest.mark.unit
def test_one_document_cannot_fill_every_slot():
    hits = [_hit("a", i) for i in range(5)] + [_hit("b", 0), _hit("c", 0)]
    assert [h.chunk_id for h in cap_per_document(hits, 4, 2)] == ["a:0", "a:1", "b:0", "c:0"]


@pytest.fixture
def columns() -> ChunkColumns:
    metadata = [
        {"department": "Department for Education", "answerer": "Will Quince", "house": "Commons", "date_num": 20220331},
        {"department": "Home Office", "answerer": "Tom Pursglove", "house": "Commons", "date_num": 20231211},
        {
            "department": "Department for Education",
            "answerer": "Lord Agnew of Oulton",
            "house": "Lords",
            "date_num": 20180131,
        },
        {"kind": "written statement"},
    ]
    for m in metadata:
        m.setdefault("kind", "written question")
    fields = ("department", "answerer", "house", "kind", "asker")
    return ChunkColumns(
        ids=[str(i) for i in range(4)],
        doc_ids=[str(i) for i in range(4)],
        texts=["t"] * 4,
        date_num=np.array([m.get("date_num", 0) for m in metadata]),
        fields={f: np.array([str(m.get(f, "")).lower() for m in metadata], dtype=object) for f in fields},
        metadata=metadata,
    )


@pytest.mark.unit
def test_filters_on_both_sides_agree(columns):
    f = Filters(since=date(2020, 1, 1), department="education")
    assert lexical_mask(f, columns).tolist() == [True, False, False, False]
    assert chroma_where(f, columns) == {
        "$and": [
            {"$or": [{"date_num": {"$gte": 20200101}}, {"date_hi": {"$gte": 20200101}}]},
            {"department": {"$in": ["Department for Education"]}},
        ]
    }
    assert lexical_mask(Filters(house="Lords"), columns).tolist() == [False, False, True, False]
    assert lexical_mask(Filters(until=date(2019, 1, 1)), columns).tolist() == [False, False, True, False]
    assert lexical_mask(Filters(answerer="pursglove"), columns).tolist() == [False, True, False, False]
    assert chroma_where(Filters(answerer="nobody"), columns) == NO_MATCH
    assert chroma_where(Filters(), columns) is None and lexical_mask(None, columns) is None


def test_real_retrieval_honours_filters(assistant):
    lords = assistant.retrieve("children at risk", k=5, filters={"house": "Lords"})
    assert lords and {h.doc_id for h in lords} == {"001_49094da6f0fad395"}
    recent = assistant.retrieve("children social care", k=8, filters={"since": "2018-01-01"})
    assert recent and all(h.metadata["date_num"] >= 20180101 for h in recent)
    for mode in ("dense", "bm25", "hybrid"):
        dcsf = assistant.retrieve("social work", k=3, filters={"department": "children, schools"}, mode=mode)
        assert dcsf and {h.doc_id for h in dcsf} == {"004_4d3d440a68fcc51d"}


@pytest.mark.unit
def test_sentence_splitting_keeps_figures_and_abbreviations():
    assert sentences("It cost £5.5 million, e.g. for Mr. Smith. Dr Jones agreed.\n\nA new paragraph") == [
        "It cost £5.5 million, e.g. for Mr. Smith.",
        "Dr Jones agreed.",
        "A new paragraph",
    ]
