"""Question typing: what a question asks for (a record's metadata, or a fact of some kind) and what it names."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum

from qa.facts import MONTHS, financial_years_in, years_in

_WORD = re.compile(r"[A-Za-z][A-Za-z'’\-]+")
GENERIC_WORDS = frozenset(
    [
        "the",
        "a",
        "an",
        "and",
        "or",
        "of",
        "to",
        "in",
        "on",
        "for",
        "what",
        "when",
        "who",
        "whom",
        "which",
        "how",
        "why",
        "did",
        "does",
        "do",
        "is",
        "are",
        "was",
        "were",
        "has",
        "have",
        "had",
        "be",
        "been",
        "by",
        "with",
        "from",
        "at",
        "as",
        "about",
        "any",
        "this",
        "that",
        "these",
        "those",
        "it",
        "its",
        "their",
        "there",
        "than",
        "then",
        "into",
        "over",
        "under",
        "much",
        "many",
        "government",
        "uk",
        "mp",
        "mps",
        "minister",
        "ministers",
        "department",
        "departments",
        "secretary",
        "state",
        "parliament",
        "house",
        "commons",
        "lords",
        "i",
        "tell",
        "me",
        "please",
        "say",
        "said",
        "says",
        "give",
        "given",
        "get",
        "got",
        "can",
        "could",
        "would",
        "should",
        "will",
        "shall",
        "may",
        "might",
        "must",
        "also",
        "written",
        "question",
        "questions",
        "answer",
        "answered",
        "answers",
        "reply",
        "replied",
        "respond",
        "responded",
        "response",
        "date",
        "hon",
        "member",
        "members",
        "lord",
        "lady",
        "baroness",
        "sir",
    ]
)  # words that name no subject: question words, stop words and the vocabulary of every written answer


class AskedField(StrEnum):
    """A field of the record itself that a metadata question asks for."""

    ASKER = "asker"
    ANSWERER = "answerer"
    DATE_ANSWERED = "date_answered"
    DATE_ASKED = "date_asked"
    DEPARTMENT = "department"
    ASKER_PARTY = "asker_party"
    ANSWERER_PARTY = "answerer_party"


class FactKind(StrEnum):
    """The kind of fact a content question asks for, used to look for it beside the question's subject."""

    MONEY = "money"
    NUMBER = "number"
    DATE = "date"
    PERSON = "person"
    OTHER = "other"


_ANSWER_VERB = r"(?:answer(?:ed|s)?|repl(?:y|ied|ies)|respond(?:ed|s)?|response)"
_ASK_VERB = r"(?:ask(?:ed|s)?|table[ds]?|put|raised?|submit(?:ted)?)"
_ANSWERER = re.compile(
    rf"\b(?:who|which (?:minister|member|secretary of state|lord|government minister))\b[^?.]*?\b{_ANSWER_VERB}\b"
    rf"|\banswered by whom\b|\bwho (?:made|gave|issued) the (?:written )?(?:ministerial )?statement\b"
    rf"|\bwhich (?:minister|secretary of state)\b[^?.]*?\b(?:made|gave|issued)\b[^?.]*\bstatement\b",
    re.IGNORECASE,
)
_ASKER = re.compile(
    rf"\bwho\b[^?.]*?\b{_ASK_VERB}\b|\bwhich (?:mp|member|peer|lord|baroness)\b[^?.]*?\b{_ASK_VERB}\b"
    rf"|\basked by whom\b|\bwhose question\b",
    re.IGNORECASE,
)
_DEPARTMENT = re.compile(
    rf"\b(?:which|what|wich) (?:gov[a-z]*ment )?dep[a-z]*ment\b"
    rf"[^?.]*?\b(?:{_ANSWER_VERB}|{_ASK_VERB}|addressed|directed|to)\b",
    re.IGNORECASE,
)
_WHEN = re.compile(r"\bwhen\b|\bon what date\b|\bwhat date\b|\bwhich date\b|\bwhat day\b", re.IGNORECASE)
_WHEN_ASKED = re.compile(rf"\bwhen\b[^?.]*?\b{_ASK_VERB}\b|\bdate\b[^?.]*?\b{_ASK_VERB}\b", re.IGNORECASE)
_BOTH_DATES = re.compile(rf"\bwhen\b[^?]*\b{_ASK_VERB}\b[^?]*\bwhen\b[^?]*\b{_ANSWER_VERB}\b", re.IGNORECASE)
_WHEN_ANSWERED = re.compile(
    rf"\b(?:when|date)\b[^?.]*?\b{_ANSWER_VERB}\b|\b{_ANSWER_VERB}\b[^?.]*?\b(?:when|on what date|what date)\b",
    re.IGNORECASE,
)
_MONEY_CUE = re.compile(
    r"\bhow much\b|\bwhat (?:was |is |were )?(?:the |its |their )?(?:annual |total )?"
    r"(?:budget|funding|amount|sum|cost|value|allocation)\b|\bhow (?:large|big)\b[^?]*\b"
    r"(?:budget|fund|grant|allocation)\b|\bwhat budget\b",
    re.IGNORECASE,
)  # asks for an amount; "cost and demand pressures" does not
_NUMBER_CUE = re.compile(r"\bhow many\b|\bnumber of\b|\bwhat (?:proportion|percentage|share)\b|\bhow often\b", re.I)
_DATE_CUE = re.compile(r"\bwhen\b|\bwhat year\b|\bwhich year\b|\bwhat date\b|\bin what month\b|\bhow long ago\b", re.I)
_PERSON_CUE = re.compile(
    r"^\s*who\b(?!\s+(?:are|were|should|must|can|could|will|would|is responsible))"
    r"|\bwhich (?:person|official|chair|minister)\b|\bwho (?:chairs|leads|heads)\b",
    re.I,
)  # "who are the safeguarding partners?" asks for bodies, not a person
_QUOTED = re.compile(r"(?:(?<=\s)|^)[‘'“\"]([^’'”\"]{3,80})[’'”\"](?=[\s?.,;:!]|$)")
_NAME_RUN = re.compile(r"\b(?:[A-Z][\w'’\-]*|of|for|and|the|on)(?:\s+(?:[A-Z][\w'’\-]*|of|for|and|the|on))*")


@dataclass(frozen=True)
class QuestionAnalysis:
    """What a question asks for and the constraints an answer must meet."""

    text: str
    asked_fields: tuple[AskedField, ...] = ()
    fact_kind: FactKind = FactKind.OTHER
    names: tuple[str, ...] = ()  # capitalised or quoted names the question is about, e.g. "Child Protection Taskforce"
    subject_terms: tuple[str, ...] = ()  # content words, lower case, names included
    years: tuple[int, ...] = ()
    months: tuple[tuple[int, int], ...] = field(default=())  # (year, month) pairs named together
    financial_years: tuple[str, ...] = ()  # '2023-24': a period the answer's text must name, not a record date

    @property
    def is_metadata(self) -> bool:
        return bool(self.asked_fields)


_PARTY = re.compile(r"\b(?:what|which|wich) (?:political )?party\b", re.IGNORECASE)
_MINISTER = re.compile(rf"\bminister\b|\b{_ANSWER_VERB}\b", re.IGNORECASE)


def _metadata_fields(question: str) -> tuple[AskedField, ...]:
    found: list[AskedField] = []
    if _PARTY.search(question):
        asked = re.search(rf"\b{_ASK_VERB}\b", question, re.IGNORECASE)
        return (AskedField.ASKER_PARTY if asked or not _MINISTER.search(question) else AskedField.ANSWERER_PARTY,)
    if _ANSWERER.search(question):
        found.append(AskedField.ANSWERER)
    ask_first = re.search(rf"\bwho\b\W+(?:\w+\W+){{0,2}}?{_ASK_VERB}\b", question, re.IGNORECASE)
    if ask_first:  # "Who put the question … that Edward Timpson answered?" asks for the asker
        found = [f for f in found if f is not AskedField.ANSWERER]
    if _ASKER.search(question) and (
        ask_first or not re.search(rf"\bwho\b[^?.]*?\b{_ANSWER_VERB}\b", question, re.IGNORECASE)
    ):
        found.append(AskedField.ASKER)
    if _DEPARTMENT.search(question):
        found.append(AskedField.DEPARTMENT)
    if _WHEN.search(question):
        if _WHEN_ASKED.search(question) and (not _WHEN_ANSWERED.search(question) or _BOTH_DATES.search(question)):
            found.append(AskedField.DATE_ASKED)
            if _BOTH_DATES.search(question):
                found.append(AskedField.DATE_ANSWERED)
        elif _WHEN_ANSWERED.search(question) or found:
            found.append(AskedField.DATE_ANSWERED)
    return tuple(found)


def _fact_kind(question: str) -> FactKind:
    if _NUMBER_CUE.search(question):
        return FactKind.NUMBER
    if _MONEY_CUE.search(question):
        return FactKind.MONEY
    if _DATE_CUE.search(question):
        return FactKind.DATE
    if _PERSON_CUE.search(question):
        return FactKind.PERSON
    return FactKind.OTHER


def _names(question: str) -> tuple[str, ...]:
    """Runs of capitalised words after the first word, and quoted titles: the proper names asked about. A run is
    cut at months and at words every answer uses ('Commons', 'Minister'); possessive endings are dropped."""
    names = [m.group(1).strip() for m in _QUOTED.finditer(question)]
    first = _WORD.search(question)
    start = first.end() if first else 0
    for match in _NAME_RUN.finditer(question, start):
        run: list[str] = []
        for word in [*match.group().split(), ""]:
            bare = word.lower().replace("’", "'").removesuffix("'s")
            if word and bare not in GENERIC_WORDS - {"of", "for", "and", "the", "on"} and bare not in MONTHS:
                run.append(word)
                continue
            while run and run[0][0].islower():
                run.pop(0)
            while run and run[-1][0].islower():
                run.pop()
            if run:
                names.append(" ".join(run).replace("’s", "").removesuffix("'s").strip("'’‘“”\""))
            run = []
    return tuple(dict.fromkeys(n for n in names if n))


def _months(question: str) -> tuple[tuple[int, int], ...]:
    pattern = re.compile(rf"\b({'|'.join(MONTHS)})\.?\s+(\d{{4}})\b", re.IGNORECASE)
    return tuple(dict.fromkeys((int(m[2]), MONTHS[m[1].lower()]) for m in pattern.finditer(question)))


def subject_terms(text: str) -> tuple[str, ...]:
    """Lower-case content words of ``text`` without question, stop and answer-vocabulary words."""
    words = [w.lower().replace("’", "'").removesuffix("'s") for w in _WORD.findall(text)]
    return tuple(dict.fromkeys(w for w in words if len(w) > 2 and w not in GENERIC_WORDS and w not in MONTHS))


def analyse(question: str) -> QuestionAnalysis:
    """Type ``question`` and pull out the names, years and months an answer must match."""
    text = question.strip()
    return QuestionAnalysis(
        text=text,
        asked_fields=_metadata_fields(text),
        fact_kind=_fact_kind(text),
        names=_names(text),
        subject_terms=subject_terms(text),
        years=tuple(dict.fromkeys(years_in(text))),
        months=_months(text),
        financial_years=tuple(sorted(financial_years_in(text))),
    )
