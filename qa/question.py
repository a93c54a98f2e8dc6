"""Question typing: what a question asks for (a record's metadata, or a fact of some kind) and what it names."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum

from qa.facts import MONTHS, financial_years_in, plain, split_after_abbreviations, years_in

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
        "whats",
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
    ADDRESSEE = "addressed_to"  # the office the question was put to ("the Secretary of State for Education")
    HOUSE = "house"  # the House it was asked in


class AnswerForm(StrEnum):
    """What shape a full answer has: one fact, every item of a list, or every reason given."""

    FACT = "fact"
    LIST = "list"
    REASONS = "reasons"


_REASONS = re.compile(
    r"^\s*(?:why\b|for what reasons?\b|how (?:is|are|does|do|will|would) (?:the )?(?:government|department|ministry)\b"
    r"|what (?:is|are|was|were) the (?:reasons?|purposes?|aims?|rationale)\b)",
    re.IGNORECASE,
)  # "why …", "how is the government tackling …"
_LIST = re.compile(
    r"\b(?:which|what|wich|who are|who were)\s+"
    r"(?!(?:happens|means|says|includes|contains|covers|requires|remains|applies|explains|shows)\b)"
    r"(?:\w+\s+){0,3}?(?!(?:is|was|has|does)\b)\w{3,}(?<!ss)(?<!us)(?<!is)"
    r"(?<!work)s\b(?!\s+(?:is|was|has|does)\b)|\b(?:list|name) (?:the|all|every)\b|\ball the\b|\beach of\b",
    re.IGNORECASE,
)  # "which NI ports have …", "what new evidence centres …", "who are the 3 partners", "list the …"
# but not "what happens to local authorities …"


def answer_form(question: str) -> AnswerForm:
    """Whether ``question`` asks for reasons ("why …", "how does …"), for a list ("which ports …") or one fact."""
    if _REASONS.search(question):
        return AnswerForm.REASONS
    if _LIST.search(question):
        return AnswerForm.LIST
    return AnswerForm.FACT


class FactKind(StrEnum):
    """The kind of fact a content question asks for, used to look for it beside the question's subject."""

    MONEY = "money"
    NUMBER = "number"
    DATE = "date"
    PERSON = "person"
    NAME = "name"  # "which areas …", "under which law …": a place, body or law the question does not name
    LINK = "link"  # "what web address did the answer give …": a web address the answer states
    OTHER = "other"


_ANSWER_VERB = r"(?:answer(?:ed|s)?|repl(?:y|ied|ies)|respond(?:ed|s)?|response)"
_ASK_VERB = r"(?:ask(?:ed|s)?|table[ds]?|put|raised?|submit(?:ted)?)"
_ADDRESSED = r"(?:put|addressed|directed|sent|tabled|referred)"
_ASKER_VERB = (  # "who put the question?" asks for the asker; "who does it help to put plans into practice?" does not
    r"(?:(?:ask(?:ed|s)?|table[ds]?|raised?|submit(?:ted)?)\b"
    r"|put(?=\s+(?:down|(?:the|a|this|that|her|his)\s+(?:written\s+)?questions?|it)\b|\s*[?,]|\s*$))"
)
_QUALIFIED = r"(?:(?!(?:did|does|do|was|is|were|has|have|had)\b)[\w'’&-]+\s+){0,3}?"  # "which Defra minister"
_ANSWERER = re.compile(
    rf"\b(?:who|which {_QUALIFIED}(?:minister|member|secretary of state|lord|government minister)s?)\b[^?.]*?"
    rf"\b{_ANSWER_VERB}\b"
    rf"|\b{_ANSWER_VERB}\b[^?]*?\bby whom\b|\bwho (?:made|gave|issued) the (?:written )?(?:ministerial )?statement\b"
    rf"|\bwhich (?:minister|secretary of state)\b[^?.]*?\b(?:made|gave|issued)\b[^?.]*\bstatement\b"
    rf"|\b(?:who|which (?:minister|member|secretary of state|department)s?)\b[^?.]*?\b{_ADDRESSED}\s+to\b"
    rf"|\bto whom\b"
    rf"|^\s*(?:and\s+)?who was the (?:minister|secretary of state)\s*\??\s*$"  # "…, and who was the minister?"
    rf"|\bwhich (?:minister|secretary of state)\s+(?:said|told|stated|confirmed|announced)\b"
    rf"|\b(?:who|which (?:minister|member|secretary of state|government minister)s?)\b[^?.]*?"
    rf"\b(?:gave|give|gives|provided|provides|supplied|shared|stated|confirmed|said)\b\s+"
    rf"(?:(?:this|that|the|these|those)\s+)?(?:information|answer|figures?|update|reply|details?|data|this|that)\b",
    re.IGNORECASE,
)  # "who was the question on adoption put to?" and "which minister gave this information?" ask for the answerer
_ASKER = re.compile(
    rf"\bwho\b[^?.]*?\b{_ASKER_VERB}|\bwhich (?:mp|member|peer|lord|baroness)s?\b[^?.]*?\b{_ASK_VERB}\b"
    rf"|\basked by whom\b|\bwhose question\b",
    re.IGNORECASE,
)
_REPLIED_TO = re.compile(rf"\bwho(?:m)? did\b[^?.]*?\b{_ANSWER_VERB}\s+to\b", re.IGNORECASE)  # the asker
_PUT_TO = re.compile(rf"\b{_ADDRESSED}\s+to\s*(?:\?|$)|\bto whom\b", re.IGNORECASE)  # the answerer
_OFFICE_ASKED = r"(?:secretary of state|minister|department|office|government)"
_ADDRESSEE = re.compile(
    rf"\b{_ADDRESSED}\s+to\s+(?:which|what|whom)\b|\bto (?:which|what) {_OFFICE_ASKED}\b[^?]*?\b{_ADDRESSED}\b"
    rf"|\b(?:which|what) {_OFFICE_ASKED}\b[^?]*?\b{_ADDRESSED}\s+to\b",
    re.IGNORECASE,
)  # "put to which Secretary of State?", "to which minister was it directed?": the office, and who answered
_DEPARTMENT = re.compile(
    rf"\b(?:which|what|wich) (?:gov[a-z]*ment )?dep[a-z]*ments?\b"
    rf"(?:[^?.]*?\b(?:{_ANSWER_VERB}|{_ASK_VERB}|addressed|directed|to|handled|dealt|responsible)\b"
    rf"|\s+(?:was|is)\s+(?:it|that|this)\b)"
    rf"|\bto (?:which|what) (?:gov[a-z]*ment )?dep[a-z]*ment\b",  # "… asked, and to which department?"
    re.IGNORECASE,
)
_WHEN = re.compile(r"\bwhen\b|\b(?:what|which) (?:date|day)s?\b", re.IGNORECASE)
_WHEN_CLAUSE = re.compile(
    r"(?<=\w)\s+when (?:he|she|they|it|the (?:minister|department|government|secretary of state))\b", re.IGNORECASE
)  # "What post did Will Quince hold when he answered …?" asks for the post, not the date
_RECORD_ASK = r"(?:ask(?:ed|s)?|table[ds]?|submit(?:ted)?|(?:put|raised?)(?!\s+(?:out|up|forward|in place)))"
_WHEN_ASKED = re.compile(
    rf"\bwhen\b[^?.]*?\b{_RECORD_ASK}\b|\bdate\b[^?.]*?\b{_RECORD_ASK}\b", re.IGNORECASE
)  # "when was the question put?" asks the record's date; "when was the review to put out its report?" does not
_WHEN_ANSWERED = re.compile(
    rf"\b(?:when|dates?|days?)\b[^?.]*?\b{_ANSWER_VERB}\b|\b{_ANSWER_VERB}\b[^?.]*?\b(?:when|on what date|what date)\b",
    re.IGNORECASE,
)
_MONEY_CUE = re.compile(
    r"\bhow much\b(?!\s+(?:notice|time|longer|later|earlier|sooner|leave|detail|information|evidence|progress"
    r"|influence|say|data|land|space|food|water|energy|capacity)\b)"
    r"|\bwhat (?:was |is |were )?(?:the |its |their )?(?:annual |total )?"
    r"(?:budget|funding|amount|sum|cost|value|allocation)\b|\bhow (?:large|big)\b[^?]*\b"
    r"(?:budget|fund|grant|allocation)\b|\bwhat budget\b"
    r"|\bwhat (?:was|is|were)\b[^?]{0,60}?(?:'s|’s|\bits|\btheir)\s+(?:annual\s+|total\s+|yearly\s+)?"
    r"(?:budget|funding|allocation|grant)\b"  # "what was the Foundation's annual funding?"
    # "What did the Wood Review cost?"
    r"|\b(?:what|how much) (?:did|does|do|will|would) [^?]{1,80}?\b(?:cost|spend|pay|receive)\s*\??\s*$",
    re.IGNORECASE,
)  # asks for an amount; "cost and demand pressures" and "how much notice" do not
_NUMBER_CUE = re.compile(r"\bhow many\b|\bnumber of\b|\bwhat (?:proportion|percentage|share)\b|\bhow often\b", re.I)
_DATE_CUE = re.compile(
    r"^\s*when\b|\bwhen\s+(?:was|were|is|are|did|does|do|will|would|has|have|had|can|could|should|must)\b"
    r"|\bwhat year\b|\bwhich year\b|\bwhat date\b|\b(?:what|which) month\b|\bhow long ago\b"
    r"|\b(?:over|for|during) (?:what|which) (?:period|time ?frame|dates)\b",
    re.I,
)
_PERSON_CUE = re.compile(
    r"^\s*who\b(?!\s+(?:are|were|should|must|can|could|will|would|is responsible))"
    r"|\bwhich (?:person|official|chair|minister)\b|\bwho (?:chairs|leads|heads)\b",
    re.I,
)  # "who are the safeguarding partners?" asks for bodies, not a person
_NAME_CUE = re.compile(
    r"\b(?:which|wich)\s+(?:[a-z]+\s+)?(?:areas?|regions?|local authorit(?:y|ies)|councils?|organi[sz]ations?"
    r"|charit(?:y|ies)|laws?|acts?|legislation|countr(?:y|ies)|constabular(?:y|ies)|police forces?|towns?"
    r"|cit(?:y|ies)|count(?:y|ies)|nations?|prisons?|hospitals?|universit(?:y|ies))\b(?!\s+of\b)"
    r"|\b(?:what|which|wich)\s+(?:ministerial\s+(?:post|role|office|position|title)|post|job title|title)\b",
    re.I,
)  # asks for a named place, body, law or post
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
    year_ranges: tuple[tuple[int, int], ...] = ()  # "between 2010 and 2022", "since 2019": any year inside will do
    several_records: bool = False  # "which ministers have answered …": every matching record, not the best one
    content_question: str | None = None  # "How much …, and who answered it?": the part the model must answer
    part_kinds: tuple[FactKind, ...] = ()  # "Which body runs it, and when will it open?": each part's kind of fact
    form: AnswerForm = AnswerForm.FACT  # one fact, a list, or reasons: what a complete answer gives

    @property
    def given_names(self) -> frozenset[str]:
        """The question's names in plain lower case: what an answer of a name or person must not merely repeat."""
        return frozenset(plain(n) for n in self.names)

    @property
    def is_metadata(self) -> bool:
        return bool(self.asked_fields)

    def ranges_met(self, years: set[int]) -> bool:
        """Whether some year of ``years`` lies in each range of years the question allows."""
        return all(any(low <= y <= high for y in years) for low, high in self.year_ranges)


_SEVERAL = re.compile(
    r"\b(?:which|what|wich|list (?:the|all)?|name the|all the) ?(?:government )?"
    r"(?:ministers|members|mps|peers|secretaries of state|departments)\b"
    r"|\bwho (?:have|has) (?:answered|replied|responded|asked|tabled)\b[^?]*\bquestions\b"
    r"|\b(?:which|what) dates\b",
    re.IGNORECASE,
)  # asks about every record that matches, not one
_PARTY = re.compile(r"\b(?:what|which|wich) (?:political )?party\b", re.IGNORECASE)
_MINISTER = re.compile(rf"\bminister\b|\b{_ANSWER_VERB}\b", re.IGNORECASE)


_DUTY_TO_ANSWER = re.compile(
    rf"\b(?:(?:have|has|had|need|needs|needed|due|expected|required|going) to|must|will|would|should|shall)"
    rf"(?:\s+(?:the|a|it|they|he|she|we|government|minister|ministers|department|secretary|of|state)){{0,3}}"
    rf"\s+{_ANSWER_VERB}\b",
    re.IGNORECASE,
)  # "by what date did the department have to respond to the Lords report?" asks about content, not the record


_WHEN_SAID = re.compile(
    r"\bwhen (?:does|did|do)\b[^?.,]{1,60}?\b(?:say|state|report|claim|suggest)s?\b[^?]*", re.IGNORECASE
)  # "when does he say the guidance had been revised?" asks what the answer says, not the record's date
_HOUSE = re.compile(
    r"\b(?:which|what|wich) house\b(?!\s+of\b)|\bin the (?:lords|commons) or (?:in )?the (?:lords|commons)\b",
    re.IGNORECASE,
)  # "in which House was it asked?", "was it asked in the Lords or the Commons?"


_HOW_LONG = re.compile(
    rf"\bhow (?:long|many (?:days|weeks|months)|quickly|soon)\b(?=[^?]*\b(?:question|reply|answer(?:ed)?)\b)"
    rf"[^?]*\b(?:{_ANSWER_VERB}|wait(?:ed)?)\b",
    re.IGNORECASE,
)  # "how long did she wait for a reply to her question?": both of the record's dates


def _metadata_fields(question: str) -> tuple[AskedField, ...]:
    """The record's fields ``question`` asks for: those the whole question asks, then any more a part of it asks
    ("Which MP asked …, and who answered?": the asker and the answerer)."""
    found = _fields_asked(question)
    parts = _CLAUSE_BREAK.split(question)
    if len(parts) < 2 or not found:
        return found
    more = [f for part in parts for f in _fields_asked(part)]
    return tuple(dict.fromkeys([*found, *more]))


def _fields_asked(question: str) -> tuple[AskedField, ...]:
    question = _WHEN_SAID.sub(" ", _DUTY_TO_ANSWER.sub(" ", question))
    if _HOW_LONG.search(question):
        return (AskedField.DATE_ASKED, AskedField.DATE_ANSWERED)
    found: list[AskedField] = []
    if _PARTY.search(question):
        asked = re.search(rf"\b{_ASK_VERB}\b", question, re.IGNORECASE)
        return (AskedField.ASKER_PARTY if asked or not _MINISTER.search(question) else AskedField.ANSWERER_PARTY,)
    if _REPLIED_TO.search(question):  # "who did the minister reply to about school meals?"
        return (AskedField.ASKER,)
    if _ANSWERER.search(question):
        found.append(AskedField.ANSWERER)
    if _PUT_TO.search(question) or _ADDRESSEE.search(question):  # "who was the question on adoption put to?"
        put_to = [AskedField.ADDRESSEE, *(f for f in found if f is not AskedField.ANSWERER), AskedField.ANSWERER]
        if _DEPARTMENT.search(question):  # "which department was it put to?"
            put_to.append(AskedField.DEPARTMENT)
        return (*put_to, *((AskedField.DATE_ANSWERED,) if _WHEN.search(question) else ()))
    ask_first = re.search(rf"\bwho\b\W+(?:\w+\W+){{0,2}}?{_ASK_VERB}\b", question, re.IGNORECASE)
    if ask_first:  # "Who put the question … that Edward Timpson answered?" asks for the asker
        found = [f for f in found if f is not AskedField.ANSWERER]
    if _ASKER.search(question) and (
        ask_first or not re.search(rf"\bwho\b[^?.]*?\b{_ANSWER_VERB}\b", question, re.IGNORECASE)
    ):
        found.append(AskedField.ASKER)
    if _DEPARTMENT.search(question):
        found.append(AskedField.DEPARTMENT)
    if _HOUSE.search(question):
        found.append(AskedField.HOUSE)
    if _WHEN.search(_WHEN_CLAUSE.sub(" ", question)):
        asked, answered = _WHEN_ASKED.search(question), _WHEN_ANSWERED.search(question)
        if asked:  # "on what date was the question answered in December 2016 … asked?": give both dates
            found.append(AskedField.DATE_ASKED)
        if answered or (found and not asked):
            found.append(AskedField.DATE_ANSWERED)
    return tuple(found)


_LINK_CUE = re.compile(  # "link" in lower case: "the North Sea Link interconnector" is a name
    r"\b(?:(?i:web\s?)?(?-i:links?)|(?i:web\s?(?:address|page|site)(?:es|s)?|websites?|urls?|online address(?:es)?))\b"
    r"(?!\s+(?i:between|with)\b)"  # "is there a link between poverty and neglect?" asks no web address
)
LINK_WORDS = frozenset(
    ["web", "link", "links", "address", "addresses", "website", "websites", "url", "urls", "webpage"]
)
URL = re.compile(r"(?i:https?://|www\.)[^\s<>()\]]+[^\s<>()\].,;:!?’'\"]")  # "www.gov.uk/…", "https://…"


def _fact_kind(question: str) -> FactKind:
    if _LINK_CUE.search(question):
        return FactKind.LINK
    if _NUMBER_CUE.search(question):
        return FactKind.NUMBER
    if _MONEY_CUE.search(question):
        return FactKind.MONEY
    if _DATE_CUE.search(question):
        return FactKind.DATE
    if _PERSON_CUE.search(question):
        return FactKind.PERSON
    if _NAME_CUE.search(question):
        return FactKind.NAME
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
                run[-1] = re.sub(r"-[a-z][\w-]*$", "", run[-1])  # "AI-generated" names AI
                for part in split_after_abbreviations(run):  # "DWP and the Home Office": two names
                    names.append(" ".join(part).replace("’s", "").removesuffix("'s").strip("'’‘“”\""))
            run = []
    return tuple(dict.fromkeys(n for n in names if n))


def months_in(question: str) -> tuple[tuple[int, int], ...]:
    """(year, month) pairs named together: "in February 2026" → ((2026, 2),)."""
    pattern = re.compile(rf"\b({'|'.join(MONTHS)})\.?\s+(\d{{4}})\b", re.IGNORECASE)
    return tuple(dict.fromkeys((int(m[2]), MONTHS[m[1].lower()]) for m in pattern.finditer(question)))


_YEAR_SPAN = re.compile(
    r"\b(?:between|from)\s+((?:19|20)\d{2})\s+(?:and|to|until)\s+((?:19|20)\d{2})\b"
    r"|\b(since|after|before|until|up to|prior to)\s+((?:19|20)\d{2})\b",
    re.IGNORECASE,
)
OPEN_RANGE_YEARS = (1900, 2099)  # the ends of an open range such as "since 2019"


def year_ranges(question: str) -> tuple[tuple[int, int], ...]:
    """Spans of years the question allows rather than names: "between 2010 and 2022" → (2010, 2022), "since
    2019" → (2019, 2099), "before 2010" → (1900, 2010)."""
    spans = []
    for m in _YEAR_SPAN.finditer(question):
        if m[1]:
            low, high = sorted((int(m[1]), int(m[2])))
            if high - low > 1 or not financial_years_in(m.group()):  # "from 2023 to 2024" is a financial year
                spans.append((low, high))
            continue
        year, word = int(m[4]), m[3].lower()  # the named year itself is kept: "continue after 2024" is said in 2024
        spans.append((year, OPEN_RANGE_YEARS[1]) if word in ("since", "after") else (OPEN_RANGE_YEARS[0], year))
    return tuple(dict.fromkeys(spans))


def subject_terms(text: str) -> tuple[str, ...]:
    """Lower-case content words of ``text`` without question, stop and answer-vocabulary words."""
    words = [w.lower().replace("’", "'").removesuffix("'s") for w in _WORD.findall(text)]
    return tuple(dict.fromkeys(w for w in words if len(w) > 2 and w not in GENERIC_WORDS and w not in MONTHS))


_CLAUSE_BREAK = re.compile(r",?\s+and\s+(?=(?:who|whom|which|when|what|how|on what|where|why)\b)", re.IGNORECASE)
_BARE_WH = re.compile(r"\s*(?:when|who|on what date)\b\s*(?:,|\?|$)", re.IGNORECASE)  # "…, and when, to the …"
MIN_CONTENT_TERMS = 2  # "…, and when?" asks nothing more of the sources than the record's date


def content_question(question: str) -> str | None:
    """The clauses of a mixed question that ask about the answer's content, not the record's fields: "How much
    will the fund provide, and who answered the question about it?" → "How much will the fund provide?"."""
    clauses = _CLAUSE_BREAK.split(question.strip())
    if len(clauses) < 2:
        return None
    content = [c.strip(" ,?") for c in clauses if not _metadata_fields(c) and not _BARE_WH.match(c)]
    if not content or len(content) == len(clauses):
        return None
    text = " and ".join(content) + "?"
    return text if len(subject_terms(text)) >= MIN_CONTENT_TERMS else None


_QUESTION_WORD_TYPOS = {
    "wen": "when",
    "whn": "when",
    "wehn": "when",
    "wat": "what",
    "wht": "what",
    "waht": "what",
    "hw": "how",
    "hwo": "how",
    "wich": "which",
    "whcih": "which",
    "whihc": "which",
    "meny": "many",
    "mutch": "much",
    "muc": "much",
    "hoo": "who",
}  # the question words that type a question, as informal questions misspell them
_TYPO_WORD = re.compile(rf"\b(?:{'|'.join(_QUESTION_WORD_TYPOS)})\b", re.IGNORECASE)


def mend_question_words(question: str) -> str:
    """``question`` with its misspelt question words mended ("wen did …" → "when did …"): the words that say
    what kind of fact is asked, which a spelling check against the index's terms does not know."""

    def mended(m: re.Match) -> str:
        word = m.group()
        if m.start() and word[0].isupper():  # a name ("the Wen report"), not a question word
            return word
        return _QUESTION_WORD_TYPOS[word.lower()]

    return _TYPO_WORD.sub(mended, question)


def _subject_of(question: str) -> tuple[str, ...]:
    """The question's subject words, less the words that ask for a web address ("the web link for …")."""
    terms = subject_terms(question)
    return tuple(t for t in terms if t not in LINK_WORDS) if _LINK_CUE.search(question) else terms


@dataclass(frozen=True)
class QuestionPart:
    """One clause of a question asking two things ("How much did businesses draw …, and what share had been
    repaid …?"): its words, the kind of fact it asks for and its subject words."""

    text: str
    kind: FactKind
    terms: tuple[str, ...]


def question_parts(question: str) -> tuple[QuestionPart, ...]:
    """The clauses of a question asking two or more things, each typed; empty for a question asking one."""
    clauses = [c.strip(" ,?") for c in _CLAUSE_BREAK.split(mend_question_words(question.strip()))]
    clauses = [c for c in clauses if c]
    if len(clauses) < 2:
        return ()
    return tuple(QuestionPart(c, _fact_kind(c), _subject_of(c)) for c in clauses)


def analyse(question: str) -> QuestionAnalysis:
    """Type ``question`` and pull out the names, years and months an answer must match."""
    text = mend_question_words(question.strip())
    spans = year_ranges(text)
    ends = {int(y) for m in _YEAR_SPAN.finditer(text) for y in m.groups() if y and y.isdigit()} if spans else set()
    fields = _metadata_fields(text)
    content = content_question(text) if fields else None
    if content:  # "On what date did the inquiry close, and which minister gave this information?": the date is content
        clauses = [c for c in _CLAUSE_BREAK.split(text) if _metadata_fields(c) or _BARE_WH.match(c)]
        fields = _metadata_fields(", and ".join(clauses)) or fields
    return QuestionAnalysis(
        text=text,
        asked_fields=fields,
        several_records=bool(fields) and bool(_SEVERAL.search(text)),
        content_question=content,
        fact_kind=_fact_kind(text),
        part_kinds=tuple(dict.fromkeys(_fact_kind(c) for c in _CLAUSE_BREAK.split(text))),
        form=answer_form(text),
        names=_names(text),
        subject_terms=_subject_of(text),
        years=tuple(dict.fromkeys(y for y in years_in(text) if y not in ends)),
        year_ranges=spans,
        months=months_in(text),
        financial_years=tuple(sorted(financial_years_in(text))),
    )
