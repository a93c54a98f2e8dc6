"""The learned reranker's own logic: its features, its ordering and its fit (no index, no model)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from qa.rerank import FEATURES, WEIGHTS_FILE, LearnedReranker, QuestionCues, features, fit_logistic
from qa.types import Hit

pytestmark = pytest.mark.unit


def hit(doc: str, body: str, score: float, **meta) -> Hit:
    header = f"{meta.pop('title', 'Children: Protection')}\n"
    return Hit(
        chunk_id=f"{doc}:000",
        doc_id=doc,
        score=score,
        dense_score=meta.pop("dense", None),
        lexical_score=meta.pop("lexical", None),
        text=header + body,
        metadata={"header_chars": len(header), **meta},
    )


SUFFOLK = hit("suffolk", "Suffolk Constabulary will gain 74 officers in 2025-26.", 0.03, dense=0.5, lexical=9.0)
ESSEX = hit("essex", "Essex Police will gain 74 officers.", 0.04, dense=0.6, lexical=12.0, answerer="Diana Johnson")


def test_features_read_the_question_specifics_and_scores():
    cues = QuestionCues.of("How many officers will Suffolk Constabulary gain?")
    rows = features([ESSEX, SUFFOLK], cues)
    assert rows.shape == (2, len(FEATURES))
    column = dict(zip(FEATURES, rows.T, strict=True))
    assert list(column["inverse_rank"]) == [1.0, 0.5]
    assert list(column["specifics"]) == [0.0, 1.0]  # only Suffolk's text names Suffolk Constabulary
    assert column["lexical_share"][0] == 1.0 and column["dense_missing"][1] == 0.0
    assert column["text_terms"][1] > column["text_terms"][0]


def test_the_learned_order_follows_the_weights():
    specific_only = LearnedReranker(
        weights=tuple(1.0 if f == "specifics" else 0.0 for f in FEATURES),
        means=(0.0,) * len(FEATURES),
        scales=(1.0,) * len(FEATURES),
    )
    cues = QuestionCues.of("How many officers will Suffolk Constabulary gain?")
    assert [h.doc_id for h in specific_only.rerank([ESSEX, SUFFOLK], cues)] == ["suffolk", "essex"]
    rank_only = LearnedReranker(
        weights=tuple(1.0 if f == "inverse_rank" else 0.0 for f in FEATURES),
        means=(0.0,) * len(FEATURES),
        scales=(1.0,) * len(FEATURES),
    )
    assert [h.doc_id for h in rank_only.rerank([ESSEX, SUFFOLK], cues)] == ["essex", "suffolk"]


def test_the_fit_separates_a_feature_that_marks_the_sources():
    rng = np.random.default_rng(0)
    rows = rng.normal(size=(400, 3))
    labels = (rows[:, 1] > 0.5).astype(float)
    w, means, scales, bias = fit_logistic(rows, labels)
    assert abs(w[1]) > 3 * max(abs(w[0]), abs(w[2]))
    assert means.shape == (3,) and (scales > 0).all() and isinstance(bias, float)


def test_the_shipped_weights_match_the_features():
    data = json.loads(WEIGHTS_FILE.read_text())
    assert data["features"] == list(FEATURES) and len(data["weights"]) == len(FEATURES)
    assert LearnedReranker.load().window == data["window"]


def test_a_month_named_without_its_year_is_the_latest_before_the_answer():
    from datetime import date

    from qa.facts import bare_months

    text = "In November, the department published its plans; on 5 December the Bill followed. By May we will report."
    assert bare_months(text, date(2025, 1, 13)) == {"2024-11", "2024-12"}  # "By May" looks ahead: not read
    assert bare_months("In July 2023 it began.", date(2025, 1, 13)) == set()  # its year is given


def test_a_record_covering_the_asked_year_by_a_bare_month_counts_as_naming_it():
    from qa.retriever import prefer_specific

    question = "What policy paper did DfE publish in November 2024?"
    later = hit(
        "later", "In November, the department published 'Keeping children safe'.", 0.5, date_answered="2025-01-13"
    )
    other = hit("other", "Our plans for 2024 were set out.", 0.6, date_answered="2023-03-01")
    earlier = hit("earlier", "In November, the department published guidance.", 0.55, date_answered="2023-12-01")
    ranked = prefer_specific([other, earlier, later], question, weight=3.0)
    assert [h.doc_id for h in ranked] == ["other", "later", "earlier"]
