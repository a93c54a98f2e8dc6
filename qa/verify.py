"""Verification: every number, date, amount and name of an answer sentence must be stated by the source it cites,
beside the sentence's subject. A sentence that fails is re-cited to a source that supports it, or dropped."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from qa.context import Passage, SourceSentence
from qa.facts import (
    Evidence,
    Fact,
    FactType,
    facts_of,
    financial_years_in,
    names_addressee,
    names_in,
    plain,
    resolve_relative_years,
    stem,
)
from qa.markers import strip_markers
from qa.question import FactKind, analyse, months_in, subject_terms
from qa.types import AnswerSentence

_ROUND = re.compile(r"\b(round|phase|tranche|wave|cohort|stage|window)\s+(\d{1,2}|one|two|three|four|five|six)\b", re.I)
_ORDINAL = {"one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6"}


_PERCENT = re.compile(r"(\d+(?:\.\d+)?)\s*(?:%|per ?cent\b)", re.IGNORECASE)


def _percentages_in(text: str) -> set[str]:
    return {m[1] for m in _PERCENT.finditer(text)}


def rounds_in(text: str) -> frozenset[tuple[str, str]]:
    """Numbered parts of a programme a text names: "Round 2 of the Levelling Up Fund" → {("round", "2")}."""
    return frozenset((m[1].lower(), _ORDINAL.get(m[2].lower(), m[2])) for m in _ROUND.finditer(text))


_EVENT_YEAR = re.compile(
    r"\b(?:announced|published|launched|introduced|unveiled|set up|made|issued|released)\s+(?:in|on|from)\s+"
    r"(?:(?:early|late|mid|the)\s+)?(?:[a-z]+\s+)?(\d{4})\b",
    re.IGNORECASE,
)  # a year that dates the thing asked about, not the period its figure is for
TABLE_CELL = "|"  # answers' tables are kept as rows of cells
NATIONAL_NAMES = frozenset(
    ["uk", "united kingdom", "britain", "great britain", "government", "hm government", "england"]
)  # what the departments answering for England need not name ("England's first secure school")
MIN_TERM_OVERLAP = 0.5  # a sentence with no checkable fact needs half its content words in the source
MIN_LABEL_PART = 10  # characters of a source's label a copied fragment must have to be recognised
DECLINES = re.compile(
    r"\b(?:the|these|provided|given)\s+(?:\w+\s+)?(?:sources?|context|passages?|documents?|texts?)\b[^.]*?"
    r"\b(?:do(?:es)? not|don't|doesn't|did not|cannot|can't|fails? to)\b"
    r"|\b(?:sources?|context|passages?)\b[^.]*?\bno (?:information|mention|details?)\b"
    r"|\bnot (?:mentioned|specified|stated|provided|given) in the (?:sources?|context|passages?)\b"
    r"|\bI (?:do not|don't) know\b",
    re.IGNORECASE,
)  # the model saying the sources lack the answer, in its own words rather than the refusal sentinel
DECLINED = "it says the sources do not answer"
OPENS_NOTHING = "it opens a list that the answer does not give"
CLAUSE_BREAK = re.compile(r",\s+(?=(?:and|but|while|whereas|which|although)\b)|;\s+")
MIN_CLAUSE_WORDS = 4  # a kept opening clause must be a statement, not "In 2013"
MIN_DETAIL_TERMS = 2  # an answer's figure stated with fewer words of its own is checked by its names alone
DETAIL_SHARE = 0.5
# a figure's sentence may hold this much less of what the question asks the figure for than the best source
# sentence stating a figure of that kind: "£100 million … ways of supporting children who need help" (2 of 3)
# does not answer for "targeted support for children in need" beside "nearly £5 million in targeted support …"
# (only for a question asking one thing: "how much did X and Y each spend" asks two figures of two subjects)
RIVAL_MARGIN = 0.2
_SEVERAL_PARTS = re.compile(r"\b(?:and|each|both|respectively|versus|vs)\b", re.IGNORECASE)
RIVAL_MIN_DETAIL = 3  # with fewer detail words the question leaves the figure's subject to its names
NAME_DETAIL_SHARE = 1 / 3  # a sentence stating only names must find a third of what it says of them beside them
_FIGURE_VERBS = (
    "government department invest fund funding spend spent provide allocate commit receive give gave make made"
)
_FIGURE_HEDGES = (
    "also including include total over nearly around about approximately million billion thousand per cent extra "
    "additional available"
)
# the words every figure comes with: they say nothing of what it is for
FIGURE_STEMS = frozenset(stem(w) for w in f"{_FIGURE_VERBS} {_FIGURE_HEDGES}".split(" "))


def declines(text: str) -> bool:
    """Whether an answer sentence says the sources do not answer ("The sources do not mention its budget.")."""
    return bool(DECLINES.search(text))


_REFERS_BACK = re.compile(r"\s*(?:It|Its|This|These|That|They|Their|He|She)\b")
_POINTS_BACK = re.compile(r"\b(?:this|these|such)\s+[a-z]", re.IGNORECASE)  # "… for this pilot launched on …"


@dataclass
class SourceWindow:
    """A source sentence, and the sentence before it, as evidence for a fact stated about a subject: the fact must
    be in the sentence itself, its subject there too or, when the sentence names nothing itself ("It was set up in
    2013."), in the sentence before."""

    sentence: SourceSentence | None  # None for the passage's metadata header
    evidence: Evidence
    before: Evidence | None = None

    def names_subject(self, names: list[Fact], terms: list[str]) -> bool:
        leans = self.reads_back or self.table_row  # a row's subject is its table's: its heading and question
        if names:
            if any(_anchored(n, self.evidence) for n in names):
                return True
            return leans and any(_anchored(n, self.before) for n in names)
        if not terms:
            return True
        if self.evidence.term_share(terms) > 0:
            return True
        return leans and self.before.term_share(terms) > 0

    @property
    def table_row(self) -> bool:
        """Whether the sentence is a row of a table ("i. Adoption | 8,369 | 7,091"), read with what the table is
        of: the sentence introducing it, its first row and the record's question."""
        return self.before is not None and self.sentence is not None and TABLE_CELL in self.sentence.quote.text

    def detail_share(self, detail: Sequence[str]) -> float:
        """The share of ``detail`` that the sentence, or the one it follows, holds."""
        if not detail:
            return 1.0
        parts = [e for e in (self.evidence, self.before) if e is not None]  # the sentence and the one it follows
        return sum(any(e.has_term(t) for e in parts) for t in detail) / len(detail)

    @property
    def reads_back(self) -> bool:
        """Whether the sentence is about what the one before names: it names nothing itself, or opens with "It",
        "This", "They" … ("It implements Lord Laming's recommendations and …" is about the guidance before)."""
        if self.before is None:
            return False
        return not self.own_names or (self.sentence is not None and bool(_REFERS_BACK.match(self.sentence.quote.text)))

    @property
    def leans_on_before(self) -> bool:
        """Whether the sentence may be read with the one before for its subject: it reads back, or points back
        ("… for this pilot launched on …"). "We have also invested £100 million in the Innovation Programme"
        names its own subject, so it is not about the centre of expertise the sentence before names."""
        if self.before is None:
            return False
        return (
            self.reads_back
            or self.table_row
            or (self.sentence is not None and bool(_POINTS_BACK.search(self.sentence.quote.text)))
        )

    def states_what(self, detail: list[str], minimum: int = MIN_DETAIL_TERMS) -> bool:
        """A figure's sentence must share half of what the answer says it is for, beyond the names ("£100
        million in 53 projects" of a programme is not "£100 million in targeted support" of it); ``minimum``
        words are needed for the check to apply."""
        return len(detail) < minimum or self.detail_share(detail) >= DETAIL_SHARE

    @property
    def own_names(self) -> bool:
        return self.sentence is not None and bool(names_in(self.sentence.quote.text))


REFERENCE_CHAIN = 2  # sentences read back past one that refers back itself ("It …" after "This is …")


def _sentence_before(texts: list[str], i: int) -> str:
    """The sentence before ``texts[i]``, with those before it while it only refers back naming nothing: "We publish
    Working Together today. This is the statutory guidance. It takes account of a consultation …"."""
    j = i - 1
    text = texts[j]
    while j > 0 and i - j <= REFERENCE_CHAIN and _REFERS_BACK.match(texts[j]) and not names_in(texts[j]):
        j -= 1
        text = f"{texts[j]} {text}"
    return text


@dataclass
class PassageEvidence:
    """A passage's sentences (and its metadata header) as normalised evidence."""

    passage: Passage
    whole: Evidence
    windows: list[SourceWindow] = field(default_factory=list)
    question: Evidence | None = None  # the record's own question: the period its answer's figures are for

    @classmethod
    def of(cls, passage: Passage) -> PassageEvidence:
        header = passage.metadata_line()
        year = passage.hit.record.given_year
        texts = [resolve_relative_years(s.quote.text, year) for s in passage.sentences]  # "April this year"
        whole = Evidence(f"{header}\n{' '.join(texts)}")
        windows = [SourceWindow(None, Evidence(header))]
        intro: str | None = None  # "The average annual cost per place is:" stays before each item of its list
        asked = passage.hit.text[: passage.hit.record.header_chars]  # the record's question: what a table is of
        head: str | None = None  # a table's first row ("| 2022/23 | 2023/24 | 2024/25"): what its columns are
        for i, sentence in enumerate(passage.sentences):
            row = TABLE_CELL in texts[i]
            before = Evidence(intro) if intro else (Evidence(_sentence_before(texts, i)) if i else None)
            if row and head is not None:  # "James Paget … | £360,455 | £181,287 | £154,043" of its table
                before = Evidence(" ".join(t for t in (intro, head, asked) if t))
            head = (head or texts[i]) if row else None
            windows.append(SourceWindow(sentence, Evidence(texts[i]), before))
            if texts[i].rstrip().endswith(":"):
                intro = texts[i]
            elif intro is not None and texts[i].rstrip().endswith((".", "!", "?")):
                intro = None
        for window in windows:
            for evidence in (window.evidence, window.before):
                if evidence is not None:
                    evidence.aliases.update(whole.aliases)
                    evidence.record_years = windows[0].evidence.years
        return cls(passage, whole, windows, Evidence(asked) if asked else None)


@dataclass
class Check:
    """The outcome of checking one sentence against one passage."""

    supported: bool
    missing: list[Fact]
    quotes: list[SourceSentence]
    overlap: float
    restates: bool = False  # the sentence only repeats the question
    apart: str | None = None  # the name the sentence says something of that no source sentence says of it


def _said_of(claimed: list[Fact], terms: list[str], source: PassageEvidence) -> bool:
    """Whether a source sentence (with the one before) names one of the answer's own names beside a third of
    what the answer says of it: "the Action on Health Visiting programme raised the profile of health visiting"
    does not support "the Early Intervention Foundation raised the profile of health visiting"."""
    name_stems = {stem(w) for n in claimed for w in subject_terms(n.text)}
    detail = [t for t in terms if stem(t) not in name_stems | FIGURE_STEMS]
    if len(detail) < MIN_DETAIL_TERMS:
        return True
    # the record itself ("the statement"), or a name of the passage that a sentence naming nothing refers back to
    # ("The report also pays tribute to …")
    passage_names = any(_anchored(n, source.whole) for n in claimed)
    for window in source.windows[1:]:
        parts = [window.evidence] + ([window.before] if window.before is not None else [])
        refers_back = passage_names and not window.own_names
        if not refers_back and not any(_anchored(n, e) for n in claimed for e in parts):
            continue
        if sum(any(e.has_term(t) for e in parts) for t in detail) >= NAME_DETAIL_SHARE * len(detail):
            return True
    return False


def _anchored(name: Fact, evidence: Evidence) -> bool:
    """The name, an alias of it, or at least half of its words ('the programme' for 'the Children's Social Care
    Innovation Programme' is not enough; 'Social Care Innovation Programme' is)."""
    if evidence.has(name):
        return True
    words = [w for w in subject_terms(name.text) if not w.isdigit()]
    return bool(words) and evidence.term_share(words) >= 0.5


@dataclass(frozen=True)
class Asked:
    """What the question itself states: values that are not the answer's claims, and the periods (years,
    financial years) an answer's figure must be stated for."""

    given: frozenset[str] = frozenset()
    years: frozenset[str] = frozenset()
    financial_years: frozenset[str] = frozenset()
    stems: frozenset[str] = frozenset()  # of the question's content words
    asks_date: bool = False  # "When did …?": a date must be stated about the subject, not be the record's own
    subject: str | None = None  # the first name the question gives, other than an abbreviation or the UK itself
    asks_person: bool = False  # "Who was the Chief Social Worker …?": the person must be named in the answer's text
    months: frozenset[tuple[int, int]] = frozenset()  # (year, month): "in February 2026"
    rounds: frozenset[tuple[str, str]] = frozenset()  # ("round", "3"): a numbered part of a programme
    amounts: tuple[Fact, ...] = ()  # "the further £200m", "with 100% take-up": what an answer's figure is of
    detail: tuple[str, ...] = ()  # the question's words beyond names and figure words: what a figure is asked for
    # (fact type, the best share of ``detail`` that a source sentence stating a figure of that type holds)
    rival_shares: tuple[tuple[FactType, float], ...] = ()
    single: bool = True  # the question asks one thing (no "and", "each", "both", "respectively")

    def with_rivals(self, evidence: list[PassageEvidence]) -> Asked:
        """These constraints, with the best share of the question's detail words that any source sentence
        stating a number or an amount holds beside it."""
        if len(self.detail) < RIVAL_MIN_DETAIL or not self.single:
            return self
        best: dict[FactType, float] = {}
        for source in evidence:
            for window in source.windows[1:]:
                share = window.detail_share(self.detail)
                for fact in facts_of(window.sentence.quote.text):
                    if fact.type in (FactType.NUMBER, FactType.MONEY) and fact.value not in self.given:
                        best[fact.type] = max(best.get(fact.type, 0.0), share)
        return replace(self, rival_shares=tuple(best.items()))

    def rival_ok(self, window: SourceWindow, fact: Fact) -> bool:
        """A figure stated beside fewer of the question's detail words than another source's figure of its kind
        is of something else ("£100 million … ways of supporting children who need help" against "nearly £5
        million in targeted support for children in need")."""
        best = dict(self.rival_shares).get(fact.type)
        return best is None or window.detail_share(self.detail) >= best - RIVAL_MARGIN

    @classmethod
    def of(cls, question: str) -> Asked:
        if not question:
            return cls()
        fys = financial_years_in(question)
        analysis = analyse(question)
        years = {str(y) for y in analysis.years} - {y for fy in fys for y in (fy[:4], fy[:2] + fy[5:])}
        dating = {m[1] for m in _EVENT_YEAR.finditer(question)}  # "the AI tools announced in October 2023"
        years -= dating
        stems = frozenset(stem(t) for t in subject_terms(question))
        asks_date = analysis.fact_kind is FactKind.DATE and not analysis.is_metadata
        subject = next(
            (plain(n) for n in analysis.names if not n.isupper() and plain(n) not in NATIONAL_NAMES and " " in n), None
        )
        given = frozenset(f.value for f in facts_of(question))
        asks_person = analysis.fact_kind is FactKind.PERSON and not analysis.is_metadata
        months = frozenset(m for m in analysis.months if str(m[0]) not in dating)
        amounts = tuple(
            f for f in facts_of(question) if f.type is FactType.MONEY or f.value in _percentages_in(question)
        )
        name_stems = {stem(w) for n in analysis.names for w in subject_terms(n)}
        detail = tuple(t for t in subject_terms(question) if stem(t) not in name_stems | FIGURE_STEMS)
        return cls(
            given,
            frozenset(years),
            frozenset(fys),
            stems,
            asks_date,
            subject,
            asks_person,
            months,
            rounds_in(question),
            amounts,
            detail,
            single=not _SEVERAL_PARTS.search(question),
        )

    def amount_ok(self, window: SourceWindow) -> bool:
        """A figure asked of a stated amount ("how many projects will the further £200m fund?") must be stated
        beside that amount, not beside another ("£100 million in 53 projects")."""
        parts = [e for e in (window.evidence, window.before) if e is not None]
        return not self.amounts or any(e.has(a) for a in self.amounts for e in parts)

    def period_ok(self, window: SourceWindow, header: Evidence, question: Evidence | None = None) -> bool:
        """A figure asked for a period must be stated for it: the financial year in its sentence (or the one
        before), a plain year there or in the record's dates. A sentence that names no year of its own answers for
        the one the record's question names ("… in 2025-26?" → "… to be 1,040")."""
        texts = [window.evidence] + ([window.before] if window.before is not None else [])
        stated_fys = {fy for e in texts for fy in financial_years_in(e.text)}
        from_question = question is not None and bool(self.financial_years & financial_years_in(question.text))
        undated = not stated_fys and not any(e.years for e in texts)
        if self.financial_years and not self.financial_years & stated_fys and not (undated and from_question):
            return False
        # "in January 2026" is not the February 2026 asked for; "Round 2" is not round 3
        stated = {m for e in texts for m in months_in(e.text)}
        if self.months and any(y in {m[0] for m in self.months} for y, _ in stated) and not self.months & stated:
            return False
        numbered = {r for e in texts for r in rounds_in(e.text)}
        if any(label == asked[0] for label, _ in numbered for asked in self.rounds) and not self.rounds & numbered:
            return False
        if not self.years or any(self.years & e.years for e in [*texts, header]):
            return True
        return question is not None and bool(self.years & question.years) and not any(e.years for e in texts)


def check_sentence(
    text: str, source: PassageEvidence, asked: Asked | None = None, context: list[Evidence] | None = None
) -> Check:
    """Whether ``source`` states every fact of ``text``, each one in a sentence that also names the subject (and
    the period the question asks about). Facts the question itself states are not the answer's claims."""
    asked = asked or Asked()
    given = asked.given
    everything = facts_of(text)
    names = [f for f in everything if f.type is FactType.NAME]  # anchors, even those the question gave
    # every name's words, the answering department's too, are names rather than what a figure is for
    all_name_stems = {stem(w) for n in names for w in subject_terms(n.text)}
    record = source.passage.hit.record
    answering = Evidence(" ".join(v or "" for v in (record.department, record.answerer)))
    # the answering department is what "the department" and "we" of its answer are: it needs no naming again
    names = [n for n in names if not (answering.has_name(n.text) or names_addressee(n.text, record.addressed_to))]
    asked_names = [n for n in names if n.value in given]
    if asked_names:  # "The Taskforce was given £100 million": the figure must be stated about the Taskforce
        names = asked_names
    specific = [n for n in asked_names if n.value == asked.subject] if len(asked_names) > 1 else []
    facts = [f for f in everything if f.value not in given]
    values = [f for f in facts if f.type is not FactType.NAME]
    terms = [t for t in subject_terms(text) if not t.isdigit()]
    detail = [t for t in terms if stem(t) not in all_name_stems | FIGURE_STEMS]  # what a figure is for
    # the asked words of the sentence, whether or not a source uses them: a table's bare figures mean what its
    # heading and question say ("agency nurses"), and a date is of what the question asks ("commissioned")
    asked_words = [t for t in detail if stem(t) in asked.stems]
    # only words some source uses can tie a figure to another subject ("the second phase" for "a further £200m")
    detail = [t for t in detail if any(e.has_term(t) for e in context or [source.whole])]
    # of those, the words the question asks the figure to be for ("targeted support"), not framing copied from
    # another sentence ("over the last two years")
    asked_detail = [t for t in detail if stem(t) in asked.stems]
    missing = [f for f in facts if not source.whole.has(f)]
    overlap = source.whole.term_share(terms)
    quotes: list[SourceSentence] = []
    for fact in values:
        if fact in missing:
            continue
        # the fact must sit beside the sentence's subject: one of its names, or else one of its content words
        header = source.windows[0]
        dated = fact.type in (FactType.DATE, FactType.MONTH, FactType.YEAR)
        if dated and not asked.asks_date and header.evidence.has(fact):
            continue  # the record's own date ("answered on 21 December 2016") is about the record as a whole
        windows = source.windows[1:] if dated and asked.asks_date else source.windows  # the record's date is not
        beside = [w for w in windows if w.evidence.has(fact) and w.names_subject(names, terms)]  # the subject's
        if fact.type in (FactType.NUMBER, FactType.MONEY):
            beside = [
                w
                for w in beside
                if asked.period_ok(w, source.windows[0].evidence, source.question)
                and asked.amount_ok(w)
                and w.states_what(detail)
                and w.states_what(asked_detail)
                and asked.rival_ok(w, fact)
                and (w.sentence is None or TABLE_CELL not in w.sentence.quote.text or w.states_what(asked_words))
            ]
            # "74 officers for Suffolk Constabulary" needs a passage that names Suffolk, not only the grant the
            # question names after it
            beside = beside if all(_anchored(n, source.whole) for n in specific) else []
        elif dated and asked.asks_date:  # "24 June" of the Taskforce is not when the police plan was published
            beside = [w for w in beside if w.states_what(asked_words, minimum=1)]  # "published", not "commissioned"
        if not beside:
            missing.append(fact)
            continue
        best = max(beside, key=lambda w: w.evidence.term_share(terms))
        if best.sentence is not None and best.sentence not in quotes:
            quotes.append(best.sentence)
    if not values and not (set(map(stem, terms)) - asked.stems):
        return Check(False, [], [], overlap, restates=True)  # nothing the question did not already say
    claimed = [f for f in everything if f.type is FactType.NAME and f.value not in given]
    if asked.asks_person:  # the record's answerer is who replied, not who holds the post asked about
        body = [w.evidence for w in source.windows[1:]]
        unnamed = [n for n in claimed if not any(_anchored(n, e) for e in body)]
        if unnamed:
            return Check(False, unnamed, [], overlap, apart=unnamed[0].text)
    if not values and claimed and not _said_of(claimed, terms, source):
        return Check(False, [], [], overlap, apart=claimed[0].text)  # "The EIF raised the profile of health visiting"
    if not values:
        scored = [(w, w.evidence.term_share(terms)) for w in source.windows if w.sentence is not None]
        best_window, best_overlap = max(scored, key=lambda item: item[1], default=(None, 0.0))
        if best_window is not None and best_overlap > 0:
            quotes.append(best_window.sentence)
        if not names and overlap < MIN_TERM_OVERLAP:
            return Check(False, missing, quotes, overlap)
    return Check(not missing, missing, sorted(quotes, key=lambda s: s.quote.start), overlap)


@dataclass
class VerifiedSentence:
    """An answer sentence after checking: the sources it ends up citing and the quotes that support it."""

    sentence: AnswerSentence
    quotes: dict[int, list[SourceSentence]]


@dataclass
class Verification:
    """The sentences kept (each supported by what it cites) and those dropped, with what their sources lack."""

    kept: list[VerifiedSentence]
    dropped: list[AnswerSentence]
    evidence: list[PassageEvidence] = field(default_factory=list)  # the passages as checked, in marker order
    asked: Asked = field(default_factory=Asked)


def strip_copied_labels(sentences: list[tuple[str, list[int]]], passages: list[Passage]) -> list[tuple[str, list[int]]]:
    """Drop a source's label that a small model copied before its sentence ("Children: Protection (Edward
    Timpson, 21 December 2016): In 2013 …" → "In 2013 …")."""
    labels = sorted({p.label for p in passages}, key=len, reverse=True)
    out = []
    for text, markers in sentences:
        if len(text) >= MIN_LABEL_PART and any(label.startswith(text.rstrip(" ,.")) for label in labels):
            continue  # "Children: Protection (Edward Timpson," — a label cut off, not a sentence
        for label in labels:
            if text.startswith(label):
                text = text[len(label) :].lstrip(" :")
                break
        if text:
            out.append((text[:1].upper() + text[1:], markers))
    return out


def _verify_sentence(
    text: str, markers: list[int], evidence: dict[int, PassageEvidence], given: Asked
) -> VerifiedSentence | AnswerSentence:
    """One sentence checked against what it cites, re-cited to a passage that supports it when those do not;
    the kept sentence, or the dropped one with what its sources lack."""
    cited = [m for m in markers if m in evidence]
    context = [e.whole for e in evidence.values()]
    checks = {m: check_sentence(text, evidence[m], given, context) for m in cited}
    good = [m for m in cited if checks[m].supported]
    if not good:
        others = {m: check_sentence(text, evidence[m], given, context) for m in evidence if m not in cited}
        supported = [m for m, c in others.items() if c.supported]
        if supported:
            best = max(supported, key=lambda m: (others[m].overlap, -m))
            good, checks = [best], {**checks, best: others[best]}
    if good:
        sentence = AnswerSentence(text=text, markers=good, supported=True, support=max(checks[m].overlap for m in good))
        return VerifiedSentence(sentence, {m: checks[m].quotes for m in good})
    lacking = sorted({f.text for m in cited for f in checks[m].missing}) if cited else []
    note = f"the sources do not state {', '.join(lacking)}" if lacking else "no source states it"
    if cited and all(checks[m].restates for m in cited):
        note = "it only repeats the question"
    elif cited and all(checks[m].apart for m in cited):
        note = f"no source says this of {checks[cited[0]].apart}"
    return AnswerSentence(text=text, markers=cited, supported=False, support=0.0, note=note)


def _verified_by_parts(
    text: str, clauses: list[str], markers: list[int], evidence: dict[int, PassageEvidence], given: Asked
) -> VerifiedSentence | None:
    """A sentence of several figures kept whole when each of its clauses, checked alone, is supported: each
    figure is then read with its own words, not with those of the other clause."""
    values = [f for f in facts_of(text) if f.type is not FactType.NAME and f.value not in given.given]
    if len(clauses) < 2 or not values or any(len(c.split()) < MIN_CLAUSE_WORDS for c in clauses):
        return None
    parts = [_verify_sentence(c.strip(" ,;.") + ".", markers, evidence, given) for c in clauses]
    if not all(isinstance(p, VerifiedSentence) for p in parts):
        return None
    cited = list(dict.fromkeys(m for p in parts for m in p.sentence.markers))
    quotes: dict[int, list[SourceSentence]] = {}
    for part in parts:
        for marker, found in part.quotes.items():
            quotes.setdefault(marker, []).extend(q for q in found if q not in quotes.get(marker, []))
    support = min(p.sentence.support for p in parts)
    return VerifiedSentence(AnswerSentence(text=text, markers=cited, supported=True, support=support), quotes)


def verify(sentences: list[tuple[str, list[int]]], passages: list[Passage], question: str = "") -> Verification:
    """Check each (sentence, markers) pair; re-cite a sentence its sources do not support to the passage that
    does; when none does, keep its opening clauses that a source states and drop the rest, or drop it whole.
    Years, names and figures the question states are not checked again: the question's constraints are the
    refusal decision's to check."""
    evidence = {p.marker: PassageEvidence.of(p) for p in passages}
    given = Asked.of(question).with_rivals(list(evidence.values()))
    sentences = strip_copied_labels(sentences, passages)
    kept: list[VerifiedSentence] = []
    dropped: list[AnswerSentence] = []
    for text, markers in sentences:
        if declines(text):
            dropped.append(AnswerSentence(text=text, markers=markers, supported=False, support=0.0, note=DECLINED))
            continue
        outcome = _verify_sentence(text, markers, evidence, given)
        if isinstance(outcome, VerifiedSentence):
            kept.append(outcome)
            continue
        clauses = CLAUSE_BREAK.split(text)
        whole = _verified_by_parts(text, clauses, markers, evidence, given)
        if whole is not None:  # "1,040 schools will lose relief, and the average increase is £308": each part
            kept.append(whole)
            continue
        for end in range(len(clauses) - 1, 0, -1):
            # "It was set up in 2013, and has been part of the Early Years strategy": keep what the sources state
            head = clauses[:end]
            trimmed = _verify_sentence(", ".join(head).rstrip(" ,.") + ".", markers, evidence, given)
            if isinstance(trimmed, VerifiedSentence) and len(head[0].split()) >= MIN_CLAUSE_WORDS:
                kept.append(trimmed)
                rest = text[len(", ".join(head)) :].lstrip(" ,;")
                dropped.append(outcome.model_copy(update={"text": rest}))
                break
        else:
            dropped.append(outcome)
    while kept and strip_markers(kept[-1].sentence.text).rstrip().endswith(":"):
        # "The CDCs offering it are:" with nothing after it states nothing
        opening = kept.pop().sentence
        dropped.append(opening.model_copy(update={"supported": False, "note": OPENS_NOTHING}))
    return Verification(kept, dropped, list(evidence.values()), given)
