"""Retrieval, answer, faithfulness and agreement metrics; every function is pure and works on plain values."""

from __future__ import annotations

import math
import re
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from qa.facts import MONTH_PATTERN, MONTHS

_DAY_MONTH_YEAR = re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?({MONTH_PATTERN})\.?,?\s+(\d{{4}})\b")
_MONTH_DAY_YEAR = re.compile(rf"\b({MONTH_PATTERN})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}})\b")
_MONEY = re.compile(r"£\s?(\d+(?:\.\d+)?)\s?(million|billion|mn|bn|m|b)(?![a-z])")
_PERCENT = re.compile(r"(\d)\s?(?:per\s?cent|%)")
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")


def _iso(day: str, month: str, year: str) -> str:
    d, m = int(day), MONTHS[month]
    return f"{year}-{m:02d}-{d:02d}" if 1 <= d <= 31 else f"{day} {month} {year}"


def normalise(text: str, dates: bool = True) -> str:
    """Lower case, plain quotes and dashes, one space; '£5m' as '£5 million', '5 per cent' as '5%', no thousands
    separators ('5,000' → '5000'); with ``dates``, full dates as ISO ('11 December 2023' → '2023-12-11')."""
    text = text.lower().replace("’", "'").replace("‘", "'").replace("“", '"').replace("”", '"')
    text = re.sub(r"[‐‑‒–—]", "-", text).replace("\u00a0", " ")
    text = re.sub(r"\s+", " ", text).strip()
    if dates:
        text = _DAY_MONTH_YEAR.sub(lambda m: _iso(m[1], m[2], m[3]), text)
        text = _MONTH_DAY_YEAR.sub(lambda m: _iso(m[2], m[1], m[3]), text)
    text = _MONEY.sub(lambda m: f"£{m[1]} {'billion' if m[2].startswith('b') else 'million'}", text)
    text = _PERCENT.sub(r"\1%", text)
    return _THOUSANDS.sub("", text)


def _contains(needle: str, haystack: str) -> bool:
    if not needle:
        return False
    left = r"(?<![0-9a-z])" if needle[0].isalnum() else ""
    right = r"(?![0-9]|[.,][0-9])" if needle[-1].isdigit() else ""
    return re.search(left + re.escape(needle) + right, haystack) is not None


def fact_present(fact: str, answer: str) -> bool:
    """Whether ``fact`` occurs in ``answer`` after ``normalise``, with full dates compared as ISO dates or as
    written (so '24 June' is in '24 June 2015'); a fact never matches inside a longer word or number ('53' is not
    in '153' or '53.5'), though a word may take a suffix ('project' is in 'projects')."""
    return any(_contains(normalise(fact, dates), normalise(answer, dates)) for dates in (True, False))


def facts_found(facts: Sequence[str], answer: str) -> list[bool]:
    return [fact_present(f, answer) for f in facts]


# retrieval ------------------------------------------------------------------------------------------------------
def dedupe(ids: Iterable[str]) -> list[str]:
    """Ids in first-seen order without repeats (ranked chunks → ranked documents)."""
    return list(dict.fromkeys(ids))


Ranked = Sequence[str | Sequence[str]]  # document ids, or results: a document with those filed with the same answer


def results_of(ranked: Ranked) -> list[frozenset[str]]:
    """The ranked results, each the set of its documents: a document id is a result of its own; a result already
    listed (every document of it seen before) is not counted again."""
    out: list[frozenset[str]] = []
    seen: set[str] = set()
    for item in ranked:
        docs = frozenset([item] if isinstance(item, str) else item)
        if docs and not docs <= seen:
            out.append(docs)
            seen |= docs
    return out


def hit_at_k(ranked: Ranked, relevant: Iterable[str], k: int) -> float:
    rel = set(relevant)
    return float(any(rel & docs for docs in results_of(ranked)[:k]))


def recall_at_k(ranked: Ranked, relevant: Iterable[str], k: int) -> float:
    rel = set(relevant)
    found = set().union(*results_of(ranked)[:k])
    return len(rel & found) / len(rel) if rel else 0.0


def reciprocal_rank(ranked: Ranked, relevant: Iterable[str]) -> float:
    rel = set(relevant)
    return next((1.0 / rank for rank, docs in enumerate(results_of(ranked), start=1) if rel & docs), 0.0)


def ndcg_at_k(ranked: Ranked, relevant: Iterable[str], k: int = 10) -> float:
    """Binary-gain nDCG over ranked results (a result is relevant when it holds a relevant document)."""
    rel = set(relevant)
    if not rel:
        return 0.0
    dcg = sum(1.0 / math.log2(rank + 1) for rank, docs in enumerate(results_of(ranked)[:k], start=1) if rel & docs)
    ideal = sum(1.0 / math.log2(rank + 1) for rank in range(1, min(len(rel), k) + 1))
    return dcg / ideal


# citations ------------------------------------------------------------------------------------------------------
def citation_precision(cited: Sequence[str], sources: Iterable[str]) -> float | None:
    """Share of cited documents that are sources; None when nothing is cited."""
    docs = dedupe(cited)
    return sum(d in set(sources) for d in docs) / len(docs) if docs else None


def citation_recall(cited: Sequence[str], sources: Iterable[str]) -> float:
    return recall_at_k(cited, sources, len(set(cited)) or 1)


# aggregation ----------------------------------------------------------------------------------------------------
def mean(values: Iterable[float | None]) -> float | None:
    kept = [float(v) for v in values if v is not None]
    return sum(kept) / len(kept) if kept else None


def percentile(values: Sequence[float], q: float) -> float | None:
    """The ``q`` quantile (0–1) by linear interpolation; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q
    low, high = math.floor(pos), math.ceil(pos)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def rate(flags: Iterable[bool]) -> float | None:
    items = list(flags)
    return sum(items) / len(items) if items else None


@dataclass(frozen=True)
class Faithfulness:
    """Judge verdicts pooled over answers: sentence-level share and share of wholly supported answers."""

    sentences: int
    supported: int
    answers: int
    fully_supported_answers: int

    @property
    def sentence_rate(self) -> float | None:
        return self.supported / self.sentences if self.sentences else None

    @property
    def answer_rate(self) -> float | None:
        return self.fully_supported_answers / self.answers if self.answers else None


def faithfulness(verdicts: Iterable[Sequence[bool]]) -> Faithfulness:
    """``verdicts`` holds, per answer, one verdict per judged sentence; answers with none are left out."""
    judged = [list(v) for v in verdicts if v]
    return Faithfulness(
        sentences=sum(len(v) for v in judged),
        supported=sum(sum(v) for v in judged),
        answers=len(judged),
        fully_supported_answers=sum(all(v) for v in judged),
    )


@dataclass(frozen=True)
class Agreement:
    """How often two yes/no raters agree, and Cohen's kappa (None when chance agreement is total)."""

    n: int
    observed: float | None
    kappa: float | None


def agreement(a: Sequence[bool], b: Sequence[bool]) -> Agreement:
    if len(a) != len(b):
        raise ValueError("the two raters must rate the same items")
    n = len(a)
    if n == 0:
        return Agreement(0, None, None)
    observed = sum(x == y for x, y in zip(a, b, strict=True)) / n
    pa, pb = sum(a) / n, sum(b) / n
    chance = pa * pb + (1 - pa) * (1 - pb)
    kappa = None if math.isclose(chance, 1.0) else (observed - chance) / (1 - chance)
    return Agreement(n, observed, kappa)


# refusal-threshold calibration ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Threshold:
    """The similarity cut that best separates answerable (keep) from unanswerable (refuse) questions."""

    threshold: float
    balanced_accuracy: float
    refused_unanswerable: float
    refused_answerable: float


def best_threshold(answerable: Sequence[float], unanswerable: Sequence[float]) -> Threshold | None:
    """Maximise balanced accuracy of "refuse when similarity < t" over midpoints between observed values;
    ties go to the lowest such threshold (fewest false refusals)."""
    if not answerable or not unanswerable:
        return None
    values = sorted(set(answerable) | set(unanswerable))
    candidates = [values[0] - 1e-6] + [(x + y) / 2 for x, y in zip(values, values[1:], strict=False)]
    candidates.append(values[-1] + 1e-6)
    best: Threshold | None = None
    for t in candidates:
        refused_u = sum(v < t for v in unanswerable) / len(unanswerable)
        refused_a = sum(v < t for v in answerable) / len(answerable)
        score = (refused_u + (1 - refused_a)) / 2
        if best is None or score > best.balanced_accuracy + 1e-12:
            best = Threshold(round(t, 4), score, refused_u, refused_a)
    return best


def threshold_within(answerable: Sequence[float], unanswerable: Sequence[float], max_false: float) -> Threshold | None:
    """The highest "refuse when similarity < t" cut that refuses at most ``max_false`` of answerable questions."""
    if not answerable or not unanswerable:
        return None
    ordered = sorted(answerable)
    allowed = math.floor(max_false * len(ordered) + 1e-9)  # answerable questions that may fall below t
    t = ordered[allowed] if allowed < len(ordered) else ordered[-1] + 1e-6
    refused_u = sum(v < t for v in unanswerable) / len(unanswerable)
    refused_a = sum(v < t for v in answerable) / len(answerable)
    return Threshold(math.floor(t * 1e4) / 1e4, (refused_u + 1 - refused_a) / 2, refused_u, refused_a)


def summary(values: Sequence[float]) -> dict[str, float | int | None]:
    """min, quartiles and max of ``values``."""
    return {
        "n": len(values),
        "min": min(values) if values else None,
        "p25": percentile(values, 0.25),
        "median": statistics.median(values) if values else None,
        "p75": percentile(values, 0.75),
        "max": max(values) if values else None,
    }
