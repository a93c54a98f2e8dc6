"""The refusal decision, made before any model call from what retrieval found: are the question's constraints
(names, years, months) in the passages, and does one passage sentence state a fact of the asked kind beside the
asked subject? Thresholds are fitted by ``parlqa eval --fit-refusal`` on the fitting half of the eval sets."""

from __future__ import annotations

import re
from dataclasses import dataclass

from index.records import RecordMeta
from qa.facts import (
    Evidence,
    FactType,
    dates_in,
    day_months_in,
    facts_of,
    financial_years_in,
    money_in,
    names_addressee,
    names_in,
    numbers_in,
    person_names_in,
    plain,
    record_periods,
    years_in,
)
from qa.question import URL, FactKind, QuestionAnalysis
from qa.types import Hit
from qa.verify import NATIONAL_NAMES, Verification


@dataclass(frozen=True)
class RefusalSignals:
    """Everything the decision looks at, kept on the answer so that it can be explained and fitted."""

    best_similarity: float | None
    name_coverage: float | None  # share of the question's names found in the passages (None: it names none)
    dates_found: bool  # every year and month the question names is in a passage's text or dates
    colocation: float  # best share of subject terms in one passage sentence stating a fact of the asked kind
    passages: int


@dataclass(frozen=True)
class RefusalThresholds:
    similarity: float
    name_coverage: float
    colocation: float


@dataclass(frozen=True)
class RefusalDecision:
    refuse: bool
    reason: str
    signals: RefusalSignals


_SPAN = re.compile(r"\b(?:\d+|a|one|two|three|four|six|twelve)\s+(?:days?|weeks?|months?|years?)\b", re.IGNORECASE)


_MONEY_TEXT = re.compile(r"£\s?\d[\d,.]*(?:\s?(?:m|bn|k|million|billion|thousand)\b)?", re.IGNORECASE)
_LABEL_NUMBER = re.compile(
    r"\b(?:type|round|phase|stage|level|year|tier|band|wave|step|part|section|article|schedule|clause|key stage)"
    r"\s+\d{1,2}\b",
    re.IGNORECASE,
)  # "type 2 diabetes", "Key Stage 2": a label, not a count
_REFERS_BACK = re.compile(r"\s*(?:It|They|This|These|He|She)\b")  # "It is due to open this Spring."
_COUNT_WORD = re.compile(r"\b(?:one|two|three|four|five|six|seven|eight|nine|ten|twelve|twenty|hundred)\b", re.I)
_SEASON = re.compile(r"\b(?:spring|summer|autumn|winter)\b", re.IGNORECASE)  # "due this Spring"


def kind_present(
    kind: FactKind, text: str, given: frozenset[str] = frozenset(), stated: frozenset[str] = frozenset()
) -> bool:
    """Whether ``text`` states a fact of the asked kind; for a name, one that is not among the question's own
    (``given``, plain lower case); for a figure or date, one other than the values the question states
    (``stated``: "how much of the £23 million went to London?" is not answered by "the £23 million went to
    London")."""
    if stated and kind in (FactKind.MONEY, FactKind.NUMBER, FactKind.DATE):
        own = [f for f in facts_of(text) if f.type is not FactType.NAME]
        if own and all(f.value in stated for f in own):
            return False
    match kind:
        case FactKind.MONEY:
            return bool(money_in(text)) or bool(re.search(r"\b\d[\d,.]*\s?(?:million|billion)\b", text))
        case FactKind.NUMBER:  # a count, not a year, an amount of money or a label ("type 2"; "£5 million")
            counted = _LABEL_NUMBER.sub(" ", _MONEY_TEXT.sub(" ", text))
            return bool(numbers_in(re.sub(r"\b(?:19|20)\d{2}\b", " ", counted))) or bool(_COUNT_WORD.search(counted))
        case FactKind.DATE:  # "from 25 July", "after 28 days": a date, a day of a month or a span of time
            return bool(
                years_in(text) or dates_in(text) or day_months_in(text) or _SPAN.search(text) or _SEASON.search(text)
            )
        case FactKind.PERSON:  # "Who was the Chief Social Worker?" is not answered by "the Chief Social Worker"
            return any(plain(n) not in given for n in person_names_in(text))
        case FactKind.NAME:
            return any(plain(n) not in given for n in names_in(text))
        case FactKind.LINK:
            return bool(URL.search(text))
    return True


def _record_fields(record: RecordMeta) -> str:
    """The record's own names: who asked, who answered and the answering department."""
    return " ".join(v or "" for v in (record.asker, record.answerer, record.department))


def _dates_found(question: QuestionAnalysis, hits: list[Hit], texts: list[str]) -> bool:
    years: set[int] = set()
    months: set[str] = set()
    undated = any(not h.record.dated for h in hits)
    for hit, text in zip(hits, texts, strict=True):
        covered = record_periods(text, hit.record)
        years |= covered[0]
        months |= covered[1]
    if any(y not in years for y in question.years) and not undated:
        return False  # (a record without dates may be of the year asked; the verifier checks its figures' period)
    if not undated and not question.ranges_met(years):
        return False
    if question.financial_years:
        named = set().union(*(financial_years_in(t) for t in texts))
        if not set(question.financial_years) <= named:
            return False
    return all(f"{y:04d}-{m:02d}" in months for y, m in question.months)


def signals(question: QuestionAnalysis, hits: list[Hit], best_similarity: float | None) -> RefusalSignals:
    """The decision's inputs for ``question`` over the retrieved ``hits``."""
    texts = [h.text for h in hits]
    fields = [_record_fields(h.record) for h in hits]
    whole = Evidence("\n".join([*texts, *fields]))
    coverage = None
    if question.names:  # "(DfE figures)" is met by a question put to the Secretary of State for Education
        found = [
            whole.has_name(n) or any(names_addressee(n, h.record.addressed_to) for h in hits) for n in question.names
        ]
        coverage = sum(found) / len(question.names)
    best = 0.0
    for hit in hits:
        sentences = re.split(r"(?<=[.!?])\s+|\n+", hit.body)
        for i, sentence in enumerate(sentences):
            window = " ".join(sentences[max(0, i - 1) : i + 1])
            if not kind_present(question.fact_kind, sentence):
                continue
            best = max(best, Evidence(window).term_share(question.subject_terms))
    return RefusalSignals(
        best_similarity=best_similarity,
        name_coverage=coverage,
        dates_found=_dates_found(question, hits, texts),
        colocation=round(best, 4),
        passages=len(hits),
    )


def decide(signals: RefusalSignals, thresholds: RefusalThresholds, metadata: bool = False) -> RefusalDecision:
    """Refuse when nothing was retrieved, when the best passage is not similar enough, when a year, month or name
    of the question is in no passage, or (for a question of content) when no sentence states the asked kind of
    fact beside enough of the question's subject."""
    s = signals
    if not s.passages:
        return RefusalDecision(True, "no passage matched the question and filters", s)
    if s.best_similarity is not None and s.best_similarity < thresholds.similarity:
        reason = f"best passage similarity {s.best_similarity:.2f} is below {thresholds.similarity:.2f}"
        return RefusalDecision(True, reason, s)
    if not s.dates_found:
        return RefusalDecision(True, "the passages do not cover the year or month asked about", s)
    if s.name_coverage is not None and s.name_coverage < thresholds.name_coverage:
        return RefusalDecision(True, "the passages do not mention what the question names", s)
    if not metadata and s.colocation < thresholds.colocation:
        reason = f"no passage sentence states the asked fact about the question's subject ({s.colocation:.2f})"
        return RefusalDecision(True, reason, s)
    return RefusalDecision(False, "", s)


# the kinds of fact an answer must state beside the asked subject
CO_LOCATED_KINDS = frozenset({FactKind.DATE, FactKind.PERSON, FactKind.NUMBER, FactKind.MONEY})


MIN_SUBJECT_SHARE = 1 / 3  # of a question's words, for one naming nothing, beside the asked kind of fact


def kinds_checked(kinds: tuple[FactKind, ...]) -> bool:
    """Whether an answer to a question of these kinds must state its fact beside the asked subject."""
    return any(k in CO_LOCATED_KINDS for k in kinds) and FactKind.OTHER not in kinds


def subject_beside_fact(
    checked: Verification,
    analysis: QuestionAnalysis,
    kinds: tuple[FactKind, ...],
    stated: frozenset[str] = frozenset(),
) -> bool:
    """Whether the asked subject and a fact of an asked kind share an evidence sentence: a source sentence that a
    kept sentence rests on (or an "It …" sentence naming nothing itself that follows it) states the kind of fact
    and names one of the question's names, or follows a sentence that does. "When was the What Works Centre due to
    open?" is not answered by the Review's report being "due this Spring". True when the question names nothing
    beyond the records' own fields, or, for a question about each of several subjects, one of them is the record's
    own department or member; or when no kept sentence rests on a source sentence."""
    given = analysis.given_names
    by_marker = {e.passage.marker: e for e in checked.evidence}
    rests_on_quotes = False
    for verified in checked.kept:
        for marker, quotes in verified.quotes.items():
            source = by_marker.get(marker)
            if source is None or not quotes:
                continue
            record = source.passage.hit.record
            fields = Evidence(_record_fields(record))
            subjects = [n for n in analysis.names if plain(n).removesuffix("'s") not in NATIONAL_NAMES]
            names = [n for n in subjects if not (fields.has_name(n) or names_addressee(n, record.addressed_to))]
            if analysis.names and not names:
                return True  # it names only the records' own askers, answerers or departments
            if not checked.asked.single and len(names) < len(subjects):
                return True  # "How much did DESNZ and the Cabinet Office each spend …?": a record of one of them
            rests_on_quotes = True
            windows = source.windows[1:]
            for i, window in enumerate(windows):
                # a quoted sentence, or one naming nothing itself that follows it ("It is due to open this Spring.")
                quoted = window.sentence in quotes
                follows = i and windows[i - 1].sentence in quotes and _REFERS_BACK.match(window.sentence.quote.text)
                if not quoted and not (follows and not window.own_names):
                    continue
                if not any(kind_present(k, window.sentence.quote.text, given, stated) for k in kinds):
                    continue
                # "… for this pilot launched on …" is read with the sentence before it
                # (a sentence naming its own subject, "We have also invested £100 million in the Innovation
                # Programme", is not read as about what the sentence before it names)
                before = [window.before] if window.leans_on_before else []
                parts = [window.evidence, *before]
                if any(e.has_name(n) for n in names for e in parts):
                    return True
                # a question naming nothing ("what year was the doncaster trust set up?") by its own words
                if not names and max(e.term_share(analysis.subject_terms) for e in parts) >= MIN_SUBJECT_SHARE:
                    return True
    return not rests_on_quotes


def name_from_text(checked: Verification, analysis: QuestionAnalysis) -> bool:
    """Whether a kept sentence gives a name the question does not, stated by its source's answer text and not only
    by the record's title or fields: "What post did Will Quince hold?" is not answered by the record's title
    ("Children: Social Services")."""
    by_marker = {e.passage.marker: e for e in checked.evidence}
    asked = Evidence(" ".join(analysis.names))
    for verified in checked.kept:
        for marker in verified.sentence.markers:
            source = by_marker.get(marker)
            if source is None:
                continue
            title = source.passage.hit.title
            sentence = verified.sentence.text.replace(title, " ") if len(title) >= 8 else verified.sentence.text
            new = [n for n in names_in(sentence) if plain(n) not in analysis.given_names and not asked.has_name(n)]
            text = Evidence(" ".join(s.quote.text for s in source.passage.sentences))
            if any(text.has_name(n) for n in new):
                return True
    return False
