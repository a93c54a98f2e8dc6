"""Second-stage ranking by learned weights over what retrieval already knows of each candidate: its fused rank,
dense and BM25 scores, how much of the question its text and header hold, the question's specifics (years,
numbers, names) and whether its member, department and date match what the question names. The weights are a
logistic regression fitted on the eval's fit half (``python -m eval.fit_rerank``) and shipped as data."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from qa.types import Hit, Understanding

WEIGHTS_FILE = Path(__file__).resolve().parent / "data" / "rerank_weights.json"
RERANK_WINDOW = 30  # candidates the learned weights reorder
FEATURES = (
    "inverse_rank",
    "fused_share",
    "dense",
    "dense_missing",
    "lexical_share",
    "lexical_missing",
    "specifics",
    "text_terms",
    "header_terms",
    "member",
    "department",
    "in_period",
)
_WORD = re.compile(r"[a-z0-9]+")
_NUMBER = re.compile(r"\b\d[\d,]*(?:\.\d+)?\b")


def specifics_of(question: str) -> list[tuple[str, ...]]:
    """What tells one near-identical answer from another: the question's years and other numbers, and the words
    of each name it gives ("Adoption and Special Guardianship Support Fund", "2015")."""
    from qa.question import analyse

    analysis = analyse(question)
    numbers = [(m.group().replace(",", ""),) for m in _NUMBER.finditer(question)]
    names = [
        tuple(w for w in _WORD.findall(name.lower()) if len(w) > 2 and w not in ("and", "the", "for"))
        for name in analysis.names
        if " " in name or sum(c.isupper() for c in name) < 2  # "DfE", "NRM": abbreviations the vocabulary expands
    ]
    return list(dict.fromkeys(s for s in numbers + names if s))


def text_words(text: str) -> set[str]:
    """Lower-case words and numbers of ``text``, thousands separators dropped ("1,040" → "1040")."""
    return set(_WORD.findall(text.lower().replace(",", "")))


def specifics_share(words: set[str], wanted: Sequence[tuple[str, ...]]) -> float:
    """The share of ``wanted`` specifics that ``words`` hold; a name counts when all its words are there."""
    return sum(all(w in words for w in s) for s in wanted) / len(wanted) if wanted else 0.0


@dataclass(frozen=True)
class QuestionCues:
    """What of the question a candidate is scored against: its content words, its specifics and what the
    question understanding read (members, departments, period)."""

    terms: frozenset[str]
    specifics: tuple[tuple[str, ...], ...]
    members: tuple[str, ...] = ()
    departments: tuple[str, ...] = ()
    since: int = 0  # YYYYMMDD, 0: none
    until: int = 0

    @classmethod
    def of(cls, question: str, understood: Understanding | None = None) -> QuestionCues:
        from qa.question import subject_terms

        specifics = tuple(specifics_of(question))
        terms = frozenset(_prefix(w) for w in subject_terms(question))
        if understood is None:
            return cls(terms, specifics)

        def day(value) -> int:
            return int(value.strftime("%Y%m%d")) if value else 0

        return cls(
            terms,
            specifics,
            tuple(m.name.lower() for m in understood.members),
            tuple(d.lower() for d in understood.departments),
            day(understood.since),
            day(understood.until),
        )


def _prefix(word: str) -> str:
    """A crude stem that needs no stemmer: the first six letters ("councils", "council" → "counci")."""
    return word[:6]


def features(hits: Sequence[Hit], cues: QuestionCues) -> np.ndarray:
    """One row of ``FEATURES`` per hit, in ranked order."""
    top_score = max((h.score for h in hits), default=0.0) or 1.0
    lexical = [h.lexical_score for h in hits if h.lexical_score is not None]
    top_lexical = max(lexical, default=0.0) or 1.0

    def share(held: set[str]) -> float:
        return len(cues.terms & held) / len(cues.terms) if cues.terms else 0.0

    rows = []
    for rank, hit in enumerate(hits, start=1):
        record = hit.record
        words = text_words(hit.text)
        stems = {_prefix(w) for w in words}
        header_stems = {_prefix(w) for w in text_words(hit.text[: record.header_chars])}
        specifics = specifics_share(words, cues.specifics)
        people = " ".join(v or "" for v in (record.asker, record.answerer)).lower()
        date = record.date_num or 0
        rows.append(
            [
                1.0 / rank,
                hit.score / top_score,
                hit.dense_score or 0.0,
                float(hit.dense_score is None),
                (hit.lexical_score or 0.0) / top_lexical,
                float(hit.lexical_score is None),
                specifics,
                share(stems),
                share(header_stems),
                float(any(m in people for m in cues.members)),
                float(bool(record.department) and (record.department or "").lower() in cues.departments),
                float(bool(cues.since and date) and cues.since <= date <= (cues.until or cues.since)),
            ]
        )
    return np.asarray(rows, dtype=np.float64).reshape(len(rows), len(FEATURES))


@dataclass(frozen=True)
class LearnedReranker:
    """A linear score over ``FEATURES`` (standardised by the fit's means and scales) that reorders the first
    ``window`` candidates."""

    weights: tuple[float, ...]
    means: tuple[float, ...]
    scales: tuple[float, ...]
    bias: float = 0.0
    window: int = RERANK_WINDOW

    @classmethod
    def load(cls, path: Path = WEIGHTS_FILE) -> LearnedReranker:
        data = json.loads(path.read_text(encoding="utf-8"))
        if tuple(data["features"]) != FEATURES:
            raise ValueError(f"{path}: weights are for features {data['features']}, not {list(FEATURES)}")
        return cls(tuple(data["weights"]), tuple(data["means"]), tuple(data["scales"]), data["bias"], data["window"])

    def scores(self, rows: np.ndarray) -> np.ndarray:
        standard = (rows - np.asarray(self.means)) / np.asarray(self.scales)
        return standard @ np.asarray(self.weights) + self.bias

    def rerank(self, ranked: list[Hit], cues: QuestionCues) -> list[Hit]:
        """The first ``window`` hits in the order of their learned score (ties keep their rank), then the rest."""
        if len(ranked) < 2:
            return ranked
        head, tail = ranked[: self.window], ranked[self.window :]
        scores = self.scores(features(head, cues))
        order = sorted(range(len(head)), key=lambda i: (-scores[i], i))
        return [head[i].model_copy(update={"score": 1.0 / (1.0 + math.exp(-scores[i]))}) for i in order] + tail


def fit_logistic(
    rows: np.ndarray, labels: np.ndarray, l2: float = 1.0, steps: int = 3000, rate: float = 0.1
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """Weights, means, scales and bias of an L2-regularised logistic regression by gradient descent (the classes
    weighted to balance)."""
    means = rows.mean(axis=0)
    scales = rows.std(axis=0)
    scales[scales == 0] = 1.0
    x = (rows - means) / scales
    positive = max(labels.sum(), 1.0)
    sample = np.where(labels > 0, len(labels) / (2 * positive), len(labels) / (2 * max(len(labels) - positive, 1.0)))
    w = np.zeros(x.shape[1])
    b = 0.0
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-(x @ w + b)))
        error = (p - labels) * sample
        w -= rate * (x.T @ error / len(labels) + l2 * w / len(labels))
        b -= rate * error.mean()
    return w, means, scales, float(b)
