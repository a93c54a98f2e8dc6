"""The source's own words in the answer: the quoted sentence behind a checked answer sentence where it says more
than the answer does, and the quoted sentence that takes the place of a draft sentence whose figure a source
states about the asked subject while the draft's wording around it does not hold."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from qa.context import LEADS_BACK, Passage, SourceSentence, is_table_row, reads_back
from qa.facts import Evidence, FactType, facts_of, stem, words_of
from qa.question import FactKind, QuestionAnalysis, question_parts, subject_terms
from qa.refusal import kind_present
from qa.types import AnswerSentence
from qa.verify import DECLINED, FIGURE_STEMS, Asked, PassageEvidence, SourceWindow, VerifiedSentence

MAX_QUOTES = 2  # quoted sentences added to one answer
MAX_QUOTE_CHARS = 600  # a longer source sentence is not quoted whole into the answer
SHORT_ANSWER_WORDS = 8  # an answer this short ("2013.") is always followed by the sentence that states it
SAME_WORDS = 0.8  # a quote sharing this much of its words with the answer sentence adds nothing
REPLACEMENT_DETAIL_SHARE = 0.75  # and this share of what the question asks the figure to be for
ANSWERS_SHARE = 0.5  # a kept sentence stating the asked kind of fact with this share of the subject answers it
EVIDENCE_SHARE = 0.9  # a source sentence this close to the question stands in for a draft that answers nothing
REPLACEMENT_SHARE = 0.6  # a replacing sentence (with the one before) holds this share of the question's subject
TABLE_NAMED_SHARE = 0.5  # a list answer naming this share of a cited table's rows (and two) is given the rest
MAX_TABLE_ROWS = 12  # rows of a table quoted to complete a list answer
PART_SHARE = 0.6  # a sentence answering a part no answer sentence answers holds this share of the part's words
FOLLOW_SHARE = 0.6  # the sentence after a backing one, holding this share of the question's subject, is quoted too


REASON_OWN_SHARE = 0.4  # a sentence giving a reason holds this share of the question's subject words itself
REASON_SHARE = 0.6  # and this share with the sentence before it ("National Highways is …. During 2022, the …")
REASON_MARKS = re.compile(
    r"\b(?:because|as such|therefore|so that|in order to|as a result|due to|owing to|given that|which is why|"
    r"the reason|in response to|responding to|designed to|aims? to|intended to)\b",
    re.I,
)  # the words that give a reason


_ASKED_TYPE = {FactKind.MONEY: FactType.MONEY, FactKind.NUMBER: FactType.NUMBER}


@dataclass(frozen=True)
class QuotePolicy:
    """When the answer quotes its sources: ``backing`` adds the sentence behind a checked answer sentence where
    it holds a fact the answer leaves out; ``replacing`` lets a source sentence stand in for a dropped one."""

    backing: bool = True
    replacing: bool = True
    replacement_share: float = REPLACEMENT_SHARE
    evidence_share: float = EVIDENCE_SHARE


def quoted_sentence(source: SourceSentence, marker: int) -> AnswerSentence:
    """A source sentence, word for word, as a sentence of the answer."""
    return AnswerSentence(
        text=f"“{source.quote.text.strip()}”", markers=[marker], supported=True, support=1.0, quoted=True
    )


def _adds_to(quote: str, answer: Evidence) -> bool:
    """Whether ``quote`` states a figure, date or name that the answer does not."""
    return any(not answer.has(f) for f in facts_of(quote) if f.type is not FactType.YEAR or f.value not in answer.years)


def _adds_figure(quote: str, answer: Evidence) -> bool:
    """Whether ``quote`` states a figure or date (not only a name) that the answer does not."""
    return any(f.type is not FactType.NAME and not answer.has(f) for f in facts_of(quote))


def _same_words(quote: str, sentence: str) -> bool:
    a, b = set(words_of(quote)), set(words_of(sentence))
    return bool(a) and len(a & b) >= SAME_WORDS * len(a)


def reasons_behind(source: SourceSentence, passage: Passage) -> list[SourceSentence]:
    """What a source sentence responds to: the sentence before one that opens "In response to that, …", where
    that is the source sentence or the one it follows on from ("This can be used …")."""
    starts = [s.quote.start for s in passage.sentences]
    if source.quote.start not in starts:
        return []
    i = starts.index(source.quote.start)
    for j in (i, i - 1):
        if j >= 1 and LEADS_BACK.match(passage.sentences[j].quote.text.strip()):
            return [passage.sentences[j - 1]]
    return []


def following(source: SourceSentence, passage: Passage) -> SourceSentence | None:
    """The passage sentence after ``source``, or None where it is the last one."""
    starts = [s.quote.start for s in passage.sentences]
    if source.quote.start not in starts:
        return None
    i = starts.index(source.quote.start) + 1
    return passage.sentences[i] if i < len(passage.sentences) else None


def follows_on(source: SourceSentence, passage: Passage | None, subject: Sequence[str]) -> SourceSentence | None:
    """The sentence after a backing one that goes on about the same thing: it reads back to it ("This includes
    the £69.9 million uplift …") or holds ``FOLLOW_SHARE`` of the question's ``subject`` words ("Capital
    expenditure on … roads in the North East … was 0.94% of …"). Table rows are left to the context."""
    after = following(source, passage) if passage is not None else None
    if after is None or len(after.quote.text) > MAX_QUOTE_CHARS or is_table_row(after.quote.text):
        return None
    text = after.quote.text.strip()
    if reads_back(text) or (subject and Evidence(text).term_share(subject) >= FOLLOW_SHARE):
        return after
    return None


def backing_quotes(
    kept: list[VerifiedSentence],
    passages: Sequence[Passage] = (),
    reasons: bool = False,
    subject: Sequence[str] = (),
) -> list[VerifiedSentence]:
    """The checked sentences, each followed by the source sentence behind it where that sentence holds a figure,
    date or name the answer leaves out (or the answer is a bare fact); at most ``MAX_QUOTES`` quotes in all.
    Where the question asks why (``reasons``), a source sentence the answer paraphrases leaving words out is
    quoted too, and so is what it responds to ("One of the issues … is the increase in demand … . As a first step
    in responding to that, …"). The sentence after the one behind the answer is quoted where it goes on about the
    question's ``subject`` with a figure or date (not only a name) the answer leaves out: the second part of a
    two-part answer ("£255.5 million … . This includes the £69.9 million uplift …")."""
    answer_text = " ".join(v.sentence.text for v in kept if not v.sentence.quoted)
    answer = Evidence(answer_text)
    short = len(answer_text.split()) < SHORT_ANSWER_WORDS
    by_marker = {p.marker: p for p in passages}
    out: list[VerifiedSentence] = []
    quoted: set[tuple[int, int]] = set()
    said = {(m, q.quote.start) for v in kept for m, qs in v.quotes.items() for q in qs if v.sentence.quoted}

    def add(source: SourceSentence, marker: int) -> None:
        quoted.add((marker, source.quote.start))
        out.append(VerifiedSentence(quoted_sentence(source, marker), {marker: [source]}))

    for verified in kept:
        out.append(verified)
        if verified.sentence.quoted or len(quoted) >= MAX_QUOTES:
            continue
        for marker in verified.sentence.markers:
            backing = [s for s in verified.quotes.get(marker, []) if len(s.quote.text) <= MAX_QUOTE_CHARS]
            sources = backing
            if reasons and marker in by_marker:
                sources = [r for s in sources for r in reasons_behind(s, by_marker[marker])] + sources
            added = False
            for source in sources:
                key = (marker, source.quote.start)
                if key in quoted or _same_words(source.quote.text, answer_text if reasons else verified.sentence.text):
                    continue
                if not (short or reasons or _adds_to(source.quote.text, answer)):
                    continue
                add(source, marker)
                added = True
                break
            if backing and not reasons and len(quoted) < MAX_QUOTES:
                after = follows_on(backing[-1], by_marker.get(marker), subject)
                told = Evidence(" ".join([answer_text, *(v.sentence.text for v in out if v.sentence.quoted)]))
                if (
                    after is not None
                    and (marker, after.quote.start) not in quoted | said
                    and after not in verified.quotes.get(marker, [])
                    and _adds_figure(after.quote.text, told)
                ):
                    add(after, marker)
                    added = True
            if added:
                break
    return out


def replacement(
    dropped: AnswerSentence,
    evidence: Sequence[PassageEvidence],
    question: QuestionAnalysis,
    policy: QuotePolicy,
    asked: Asked | None = None,
) -> VerifiedSentence | None:
    """The source sentence that states every figure and date of a dropped draft sentence about the asked subject:
    the sentence (or the one before it) names everything the question names, holds ``replacement_share`` of its
    subject words and nearly all of what the question asks the figure to be for, states the asked kind of fact,
    and any year or financial year the question sets. None when the dropped sentence states no figure or date, or
    no source sentence qualifies ("The Child Protection Taskforce was given £100 million" finds the Innovation
    Programme's £100 million, which does not name the Taskforce)."""
    if not policy.replacing or dropped.note == DECLINED or dropped.quoted:
        return None
    asked = asked or Asked.of(question.text)
    values = [f for f in facts_of(dropped.text) if f.type is not FactType.NAME and f.value not in asked.given]
    # the asked figure is what must match: "£33 million … between 2023 and 2025" is replaced by the sentence
    # stating the £33 million for the year asked about
    asked_type = _ASKED_TYPE.get(question.fact_kind)
    values = [f for f in values if f.type is asked_type] or values
    if not values:
        return None
    name_stems = {stem(w) for n in question.names for w in subject_terms(n)}
    detail = [t for t in question.subject_terms if stem(t) not in name_stems | FIGURE_STEMS]

    def score(window: SourceWindow, header: Evidence) -> float | None:
        if not all(window.evidence.has(f) for f in values):
            return None
        parts = [window.evidence] + ([window.before] if window.leans_on_before else [])
        if not all(any(e.has_name(n) for e in parts) for n in question.names):
            return None
        share = max(e.term_share(question.subject_terms) for e in parts)
        if share < policy.replacement_share or not asked.period_ok(window, header) or not asked.amount_ok(window):
            return None
        # "£100 million in 53 projects" is not "… in targeted support": what the figure is for, nearly all there
        # and a date is of what the question asks it of ("published" is not "commissioned")
        checked = len(detail) >= 2 or (asked.asks_date and bool(detail))
        if checked and max(e.term_share(detail) for e in parts) < REPLACEMENT_DETAIL_SHARE:
            return None
        return share

    return _best_quote(evidence, question, asked, score)


def _tables(passage: Passage) -> list[list[SourceSentence]]:
    """The passage's tables: each run of consecutive table rows, its heading row first."""
    tables: list[list[SourceSentence]] = []
    run: list[SourceSentence] = []
    for sentence in [*passage.sentences, None]:
        if sentence is not None and is_table_row(sentence.quote.text):
            run.append(sentence)
            continue
        if len(run) >= 3:
            tables.append(run)
        run = []
    return tables


def _row_label(row: SourceSentence) -> str:
    return row.quote.text.split(" | ", 1)[0].strip()


def missing_rows(kept: list[VerifiedSentence], passages: Sequence[Passage]) -> list[VerifiedSentence]:
    """The rows of a cited table that a list answer leaves out, quoted, where the answer names at least two and
    ``TABLE_NAMED_SHARE`` of its rows: "National Voices, …, Homeless Link, and the Race Equality Foundation" is
    followed by the table's "Maternity Consortium | £27,020.00". Heading and total rows are not items."""
    answer = " ".join(v.sentence.text for v in kept).casefold()
    cited = [m for v in kept if not v.sentence.quoted for m in v.sentence.markers]
    by_marker = {p.marker: p for p in passages}
    out: list[VerifiedSentence] = []
    for marker in dict.fromkeys(cited):
        for table in _tables(by_marker[marker]) if marker in by_marker else []:
            rows = [r for r in table[1:] if _row_label(r) and not _row_label(r).casefold().startswith("total")]
            named = [r for r in rows if _row_label(r).casefold() in answer]
            if len(named) < 2 or len(named) < TABLE_NAMED_SHARE * len(rows):
                continue
            for row in [r for r in rows if r not in named][:MAX_TABLE_ROWS]:
                out.append(VerifiedSentence(quoted_sentence(row, marker), {marker: [row]}))
        if out:
            break
    return out


def missing_parts(
    kept: list[VerifiedSentence], evidence: Sequence[PassageEvidence], question: QuestionAnalysis, asked: Asked
) -> list[VerifiedSentence]:
    """For each part of a two-part question asking a figure or date that no answer sentence states beside half of
    the part's words, the source sentence that does with ``PART_SHARE`` of them (and the part's names), quoted:
    "£46.59 billion … drawn" is followed by "… 12.97% of facilities had been repaid …"."""
    out: list[VerifiedSentence] = []
    for part in question_parts(question.text):
        if part.kind not in (FactKind.NUMBER, FactKind.MONEY, FactKind.DATE) or not part.terms:
            continue
        told = [v.sentence.text for v in [*kept, *out]]
        if any(
            kind_present(part.kind, t, stated=asked.given) and Evidence(t).term_share(part.terms) >= ANSWERS_SHARE
            for t in told
        ):
            continue
        names = [n for n in question.names if n.casefold() in part.text.casefold()]
        best: tuple[float, int, SourceSentence] | None = None
        for source, window, sentence in _quotable(evidence):
            if not kind_present(part.kind, sentence.quote.text, question.given_names, asked.given):
                continue
            texts = [window.evidence] + ([window.before] if window.leans_on_before and window.before else [])
            if not all(any(e.has_name(n) for e in texts) for n in names):
                continue
            if not asked.period_ok(window, source.windows[0].evidence):
                continue
            share = max(e.term_share(part.terms) for e in texts)
            if share >= PART_SHARE and (best is None or share > best[0]):
                best = (share, source.passage.marker, sentence)
        if best is not None and not any(_same_words(best[2].quote.text, t) for t in told):
            out.append(VerifiedSentence(quoted_sentence(best[2], best[1]), {best[1]: [best[2]]}))
    return out


def answers_question(kept: list[VerifiedSentence], question: QuestionAnalysis) -> bool:
    """Whether a kept sentence states the asked kind of figure or date beside half of the question's subject words
    ("101 Frontline participants" does not answer how many people registered for information)."""
    if question.fact_kind is FactKind.LINK:  # a web address is copied, not paraphrased
        return any(kind_present(FactKind.LINK, v.sentence.text) for v in kept)
    if question.fact_kind not in (FactKind.NUMBER, FactKind.MONEY, FactKind.DATE) or not question.subject_terms:
        return True
    for verified in kept:
        text = verified.sentence.text
        if (
            kind_present(question.fact_kind, text)
            and Evidence(text).term_share(question.subject_terms) >= ANSWERS_SHARE
        ):
            return True
    return False


def evidence_sentence(
    evidence: Sequence[PassageEvidence],
    question: QuestionAnalysis,
    policy: QuotePolicy = QuotePolicy(),
    asked: Asked | None = None,
) -> VerifiedSentence | None:
    """The source sentence that states the asked kind of figure or date with nearly all of the question's subject
    words and every name it gives (and its period), quoted; None when none is that close."""
    asked = asked or Asked.of(question.text)

    def score(window: SourceWindow, header: Evidence) -> float | None:
        if not all(window.evidence.has_name(n) for n in question.names):
            return None
        share = window.evidence.term_share(question.subject_terms)
        qualifies = share >= policy.evidence_share and asked.period_ok(window, header) and asked.amount_ok(window)
        return share if qualifies else None

    return _best_quote(evidence, question, asked, score)


def _best_quote(
    evidence: Sequence[PassageEvidence],
    question: QuestionAnalysis,
    asked: Asked,
    score: Callable[[SourceWindow, Evidence], float | None],
) -> VerifiedSentence | None:
    """The passage sentence of the asked kind of fact that ``score`` rates highest (None: it does not qualify),
    quoted and cited; None when no sentence qualifies. The question's own names and values are not that fact."""
    best: tuple[float, int, SourceSentence] | None = None
    given = question.given_names  # "Which areas were picked as Young Futures Hubs?"
    for source, window, sentence in _quotable(evidence):
        if not kind_present(question.fact_kind, sentence.quote.text, given, asked.given):
            continue
        share = score(window, source.windows[0].evidence)
        if share is not None and (best is None or share > best[0]):
            best = (share, source.passage.marker, sentence)
    if best is None:
        return None
    _, marker, sentence = best
    return VerifiedSentence(quoted_sentence(sentence, marker), {marker: [sentence]})


def _quotable(evidence: Sequence[PassageEvidence]) -> Iterator[tuple[PassageEvidence, SourceWindow, SourceSentence]]:
    """Every passage sentence short enough to quote whole, with its window and passage."""
    for source in evidence:
        for window in source.windows[1:]:
            if window.sentence is not None and len(window.sentence.quote.text) <= MAX_QUOTE_CHARS:
                yield source, window, window.sentence


def reason_sentence(evidence: Sequence[PassageEvidence], question: QuestionAnalysis) -> VerifiedSentence | None:
    """For a question asking why, the source sentence that gives a reason ("… and as such took the decision to
    not offer the £1500 non-consolidated payment") about the question's subject, quoted; None when none does."""
    best: tuple[float, float, int, SourceSentence] | None = None
    for source, window, sentence in _quotable(evidence):
        if not REASON_MARKS.search(sentence.quote.text):
            continue
        around = Evidence(f"{window.before.text if window.before else ''} {sentence.quote.text}")
        if not all(window.evidence.has_name(n) or around.has_name(n) for n in question.names):
            continue
        own = window.evidence.term_share(question.subject_terms)
        share = around.term_share(question.subject_terms)
        if own < REASON_OWN_SHARE or share < REASON_SHARE:
            continue
        if best is None or (share, own) > best[:2]:
            best = (share, own, source.passage.marker, sentence)
    if best is None:
        return None
    *_, marker, sentence = best
    return VerifiedSentence(quoted_sentence(sentence, marker), {marker: [sentence]})


def with_reason(kept: list[VerifiedSentence], reason: VerifiedSentence | None) -> list[VerifiedSentence]:
    """The answer with ``reason`` quoted after its first sentence (and that sentence's quote), unless the answer
    already says it."""
    if reason is None:
        return kept
    answer_text = " ".join(v.sentence.text for v in kept)
    if _same_words(reason.sentence.text, answer_text):
        return kept
    at = 1
    while at < len(kept) and kept[at].sentence.quoted:
        at += 1
    return [*kept[:at], reason, *kept[at:]]
