"""Checkable facts in text: amounts of money, numbers, dates and names, normalised so that '£5m' is '£5 million',
'14th July 2015' is '14 July 2015' and 'DfE' is the Department for Education."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from functools import lru_cache

import Stemmer

from index.records import RecordMeta

MONTHS = {
    name: number
    for number, names in enumerate(
        [("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"), ("may",), ("june", "jun"),
         ("july", "jul"), ("august", "aug"), ("september", "sep", "sept"), ("october", "oct"),
         ("november", "nov"), ("december", "dec")],
        start=1,
    )
    for name in names
}  # fmt: skip
MONTH_PATTERN = "|".join(sorted(MONTHS, key=len, reverse=True))  # longest first: "sept" before "sep"
_ORDINAL = r"(?:st|nd|rd|th)?"
_DAY_MONTH_YEAR = re.compile(
    rf"\b(\d{{1,2}}){_ORDINAL}\s+(?:of\s+)?({MONTH_PATTERN})\.?,?\s+(\d{{4}})\b", re.IGNORECASE
)
_MONTH_DAY_YEAR = re.compile(rf"\b({MONTH_PATTERN})\.?\s+(\d{{1,2}}){_ORDINAL},?\s+(\d{{4}})\b", re.IGNORECASE)
_ISO_DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_MONTH_YEAR = re.compile(rf"\b({MONTH_PATTERN})\.?\s+(\d{{4}})\b", re.IGNORECASE)
_MONEY = re.compile(
    r"£\s?(\d[\d,]*(?:\.\d+)?)(?:\s?(billion|million|thousand|bn|mn|m|b|k)(?![a-z])(?<!\s[mbk]))?(?![a-z])",
    re.IGNORECASE,
)  # "£5m", "£5 million"; a letter standing apart is no scale ("£194,605.36 b) Total …" is a list's next item)
_NUMBER = re.compile(r"(?<![\w.£-])(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?(?![\d])")
_YEAR = re.compile(r"\b(19\d{2}|20\d{2})(?:\s?[-/–]\s?(\d{2,4}))?\b")
_NAME = re.compile(r"\b[A-Z][\w'’\-]*(?:\s+(?:(?:of|for|and|the|on|in)\s+)*[A-Z][\w'’\-]*)*")
_ABBREVIATION_DEFINED = re.compile(
    r"([A-Z][\w'’\-]*(?:\s+(?:[A-Z][\w'’\-]*|of|for|and|the|on|in))+)\s+\(([A-Z][A-Za-z]{1,9})\)"
)
_SCALE = {"billion": 1e9, "bn": 1e9, "b": 1e9, "million": 1e6, "mn": 1e6, "m": 1e6, "thousand": 1e3, "k": 1e3}

# Common short names of UK government bodies; a document's own "(ABC)" definitions are added per passage.
ALIASES = {
    "dfe": "department for education",
    "dwp": "department for work and pensions",
    "dhsc": "department of health and social care",
    "doh": "department of health",
    "dh": "department of health",
    "moj": "ministry of justice",
    "mod": "ministry of defence",
    "ho": "home office",
    "mhclg": "ministry of housing, communities and local government",
    "dclg": "department for communities and local government",
    "dluhc": "department for levelling up, housing and communities",
    "dcms": "department for culture, media and sport",
    "dft": "department for transport",
    "fcdo": "foreign, commonwealth and development office",
    "hmrc": "hm revenue and customs",
    "hmt": "hm treasury",
    "desnz": "department for energy security and net zero",
    "dsit": "department for science, innovation and technology",
    "defra": "department for environment, food and rural affairs",
    "dbt": "department for business and trade",
    "nhs": "national health service",
    "send": "special educational needs and disabilities",
    "ehcp": "education, health and care plan",
    "camhs": "child and adolescent mental health services",
    "lga": "local government association",
    "ai": "artificial intelligence",
    "raac": "reinforced autoclaved aerated concrete",
    "ofsted": "office for standards in education",
    "cps": "crown prosecution service",
    "sen": "special educational needs",
}
NAME_STOPWORDS = frozenset(
    [
        "the",
        "a",
        "an",
        "this",
        "that",
        "these",
        "those",
        "it",
        "its",
        "in",
        "on",
        "at",
        "for",
        "of",
        "to",
        "by",
        "and",
        "or",
        "but",
        "if",
        "as",
        "from",
        "with",
        "we",
        "our",
        "they",
        "their",
        "he",
        "she",
        "his",
        "her",
        "i",
        "you",
        "there",
        "here",
        "however",
        "also",
        "yes",
        "no",
        "since",
        "after",
        "before",
        "during",
        "until",
        "while",
        "when",
        "where",
        "which",
        "who",
        "what",
        "how",
        "why",
        "all",
        "some",
        "any",
        "each",
        "every",
        "many",
        "most",
        "more",
        "further",
        "other",
        "such",
    ]
)


class FactType(StrEnum):
    MONEY = "money"
    NUMBER = "number"
    DATE = "date"
    MONTH = "month"
    YEAR = "year"
    NAME = "name"


@dataclass(frozen=True)
class Fact:
    """One checkable fact: its type, a normalised value to compare, and the words as written."""

    type: FactType
    value: str
    text: str


def plain(text: str) -> str:
    """Lower case with plain quotes, dashes and single spaces."""
    text = text.lower().replace("’", "'").replace("‘", "'").replace("“", '"').replace("”", '"')
    text = re.sub(r"[‐‑‒–—]", "-", text).replace("\u00a0", " ")
    return re.sub(r"\s+", " ", text).strip()


def _amount(number: str, scale: str | None) -> str:
    value = float(number.replace(",", "")) * _SCALE.get((scale or "").lower(), 1.0)
    return f"{value:.0f}" if value >= 100 else f"{value:g}"


def _iso(year: str, month: int, day: str) -> str | None:
    d = int(day)
    return f"{int(year):04d}-{month:02d}-{d:02d}" if 1 <= d <= 31 else None


def dates_in(text: str) -> set[str]:
    """Full dates in ``text`` as ISO strings."""
    found = {_iso(m[3], MONTHS[m[2].lower()], m[1]) for m in _DAY_MONTH_YEAR.finditer(text)}
    found |= {_iso(m[3], MONTHS[m[1].lower()], m[2]) for m in _MONTH_DAY_YEAR.finditer(text)}
    found |= {f"{m[1]}-{m[2]}-{m[3]}" for m in _ISO_DATE.finditer(text)}
    return {d for d in found if d}


_DAY_MONTH = re.compile(rf"\b(\d{{1,2}}){_ORDINAL}\s+(?:of\s+)?({MONTH_PATTERN})\b", re.IGNORECASE)


def day_months_in(text: str) -> set[str]:
    """'MM-DD' for every day named with its month, with or without a year."""
    return {f"{MONTHS[m[2].lower()]:02d}-{int(m[1]):02d}" for m in _DAY_MONTH.finditer(text) if 1 <= int(m[1]) <= 31}


def months_in(text: str) -> set[str]:
    """'YYYY-MM' for every month named with its year, and for every full date."""
    found = {f"{int(m[2]):04d}-{MONTHS[m[1].lower()]:02d}" for m in _MONTH_YEAR.finditer(text)}
    return found | {d[:7] for d in dates_in(text)}


_SHORT_FINANCIAL_YEAR = re.compile(
    r"\b(?:FY|financial year)\s?(\d{2})\s?[-/–]\s?(\d{2})\b", re.IGNORECASE
)  # "FY 23/24"


def _short_financial_years(text: str) -> list[tuple[int, int]]:
    """(start, end) years of financial years written with two digits each: "FY 23/24" → (2023, 2024)."""
    return [
        (2000 + int(m[1]), 2000 + int(m[2]))
        for m in _SHORT_FINANCIAL_YEAR.finditer(text)
        if (int(m[1]) + 1) % 100 == int(m[2])
    ]


def years_in(text: str) -> list[int]:
    """Years (1900–2099) named in ``text``, financial years like '2024-25' or 'FY 24/25' giving both."""
    years: list[int] = [y for pair in _short_financial_years(text) for y in pair]
    for m in _YEAR.finditer(text):
        years.append(int(m[1]))
        if m[2]:
            tail = m[2][-2:]
            years.append(int(m[1][:2] + tail) if len(m[2]) <= 2 else int(m[2]))
    return years


SEASONS = frozenset(["spring", "summer", "autumn", "winter"])
_RELATIVE_YEAR = re.compile(
    rf"\b(?:(?:in|by|from|since|until|of)\s+)?(?:({MONTH_PATTERN})\s+)?(this|last|next)\s+year\b", re.IGNORECASE
)
_RELATIVE_SEASON = re.compile(r"\b(this|last|next)\s+(spring|summer|autumn|winter)\b", re.IGNORECASE)
_RELATIVE_OFFSET = {"this": 0, "last": -1, "next": 1}


def resolve_relative_years(text: str, year: int | None) -> str:
    """``text`` with "April this year", "last year" and "next year" given the year they mean in a record of
    ``year`` ("In April this year" in an answer of 2016 → "In April 2016 (this year)"), for fact look-ups."""
    if not year:
        return text

    def resolved(m: re.Match) -> str:
        value = year + _RELATIVE_OFFSET[m[2].lower()]
        lead = m.group()[: m.start(1) - m.start()] if m[1] else m.group()[: m.start(2) - m.start()]
        return f"{lead}{m[1] + ' ' if m[1] else ''}{value} ({m[2]} year)"

    def season(m: re.Match) -> str:
        return f"{m[2]} {year + _RELATIVE_OFFSET[m[1].lower()]} ({m[1]} {m[2]})"

    return _RELATIVE_SEASON.sub(season, _RELATIVE_YEAR.sub(resolved, text))


_FULL_MONTHS = "|".join(name for name, number in MONTHS.items() if len(name) > 3 or name == "may")
_BARE_MONTH = re.compile(
    rf"\b(?:in|since|during|throughout|early|late|mid|end of|\d{{1,2}}{_ORDINAL})[\s-]+"
    rf"({_FULL_MONTHS})\b(?!\.?,?\s+(?:\d{{1,2}}{_ORDINAL},?\s+)?\d{{4}})",
    re.IGNORECASE,
)  # "In November, the department published …": a month named without its year


def bare_months(text: str, given: date | None) -> set[str]:
    """'YYYY-MM' for each month ``text`` names without a year ("In November", "on 5 December"), read as the latest
    such month up to ``given``, the record's date: "In November" of a January 2025 answer is November 2024."""
    if given is None:
        return set()
    out = set()
    for m in _BARE_MONTH.finditer(text):
        month = MONTHS[m[1].lower()]
        out.add(f"{given.year - (month > given.month):04d}-{month:02d}")
    return out


def record_periods(text: str, record: RecordMeta) -> tuple[set[int], set[str]]:
    """The years and 'YYYY-MM' months a record covers: those its text names (relative ones, and months named
    without a year, resolved against its own date) and those of its question's and answer's dates."""
    text = resolve_relative_years(text, record.given_year)  # "in April this year" of a 2016 answer
    years, months = set(years_in(text)), months_in(text) | bare_months(text, record.dated)
    dated_years, dated_months = record.dated_months()
    return years | {int(m[:4]) for m in months} | dated_years, months | dated_months


_FINANCIAL_YEAR = re.compile(r"\b(20\d{2})\s?(?:[-/–]|to)\s?(?:20)?(\d{2})\b")


_APRIL_TO_MARCH = re.compile(
    r"\b(?:1(?:st)?\s+)?April\s+(20\d{2})\s+(?:to|and|until|[-–])\s+(?:31(?:st)?\s+)?March\s+(20\d{2})\b"
    r"|\byear (?:ending|ended|to)\s+(?:31(?:st)?\s+)?March\s+(20\d{2})\b",
    re.IGNORECASE,
)  # "1 April 2022 to 31 March 2023" and "the year ending March 2023" are the financial year 2022-23


def financial_years_in(text: str) -> set[str]:
    """Financial or academic years as 'YYYY-YY' ('2023/24', '2023-2024', '2023 to 2024', 'FY 23/24', '1 April
    2023 to 31 March 2024', 'the year ending March 2024' → '2023-24')."""
    out = {f"{start}-{end % 100:02d}" for start, end in _short_financial_years(text)}
    for m in _FINANCIAL_YEAR.finditer(text):
        if (int(m[1]) + 1) % 100 == int(m[2]):
            out.add(f"{m[1]}-{m[2]}")
    for m in _APRIL_TO_MARCH.finditer(text):
        end = int(m[3] or m[2])
        if m[3] or int(m[1]) + 1 == end:
            out.add(f"{end - 1}-{end % 100:02d}")
    return out


_UNITS = "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen"
_TEENS = "seventeen eighteen nineteen twenty"
NUMBER_WORDS = {w: str(i) for i, w in enumerate(f"{_UNITS} {_TEENS}".split(" "))} | {
    "thirty": "30",
    "forty": "40",
    "fifty": "50",
    "hundred": "100",
}
_NUMBER_WORD = re.compile(
    r"\b(?:two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen"
    r"|eighteen|nineteen|twenty|thirty|forty|fifty)\b(?![- ](?:year|month|week|day)s?[- ]old)",
    re.IGNORECASE,
)  # "four times" states 4 as surely as "4 times" ("one" is left out: "one of the", "one-to-one")
MONEY_AS_NUMBER_MIN = 10_000  # "£100 million" may be written "100 million"; "£101" is not "101 participants"


def money_in(text: str) -> set[str]:
    return {_amount(m[1], m[2]) for m in _MONEY.finditer(text)}


def numbers_in(text: str) -> set[str]:
    """Every number in ``text`` (money included), without thousands separators; '5 million' also as 5000000."""
    out = {m[1].replace(",", "") + (f".{m[2]}" if m[2] else "") for m in _NUMBER.finditer(text)}
    for m in re.finditer(r"(\d[\d,]*(?:\.\d+)?)\s?(billion|million|thousand)\b", text, re.IGNORECASE):
        out.add(_amount(m[1], m[2]))
    out |= {NUMBER_WORDS[m[0].lower()] for m in _NUMBER_WORD.finditer(text)}
    return out | money_in(text)


def defined_aliases(text: str) -> dict[str, str]:
    """Abbreviations a text defines, e.g. 'Early Intervention Foundation (EIF)' → {'eif': 'early intervention…'}."""
    return {m[2].lower(): plain(m[1]) for m in _ABBREVIATION_DEFINED.finditer(text)}


def names_in(sentence: str) -> list[str]:
    """Capitalised names in ``sentence``: runs of capitalised words (with 'of', 'for', … inside), leaving out a
    sentence-initial common word and words that only start the sentence."""
    names = []
    for m in _NAME.finditer(sentence):
        words = m.group().split()
        opening = m.start() == 0 and words[0].lower() not in NAME_STOPWORDS  # "Funding…", not "The Doncaster…"
        while words and words[0].lower() in NAME_STOPWORDS:
            words.pop(0)
        if not words:
            continue
        if opening and len(words) == 1 and not words[0].isupper():
            continue  # a single capitalised word opening the sentence is most likely an ordinary word
        cut = next((i for i, w in enumerate(words) if w.lower().strip(".,") in MONTHS or w.lower() in SEASONS), None)
        if cut is not None:  # "the Case for Change in June 2021": the name ends before the month
            words = words[:cut]
            while words and words[-1].lower() in NAME_STOPWORDS:
                words.pop()
        for part in split_after_abbreviations(words):
            name = " ".join(part)
            if name and not name.isdigit():
                names.append(name)
    return names


def split_after_abbreviations(words: list[str]) -> list[list[str]]:
    """ "DWP and the Home Office" is two names: an abbreviation does not run on into "and" ("Culture, Media and
    Sport" does)."""
    parts, current = [], []
    for i, word in enumerate(words):
        if word.lower() == "and" and current and re.fullmatch(r"[A-Z]{2,}s?", current[-1]) and i + 1 < len(words):
            parts.append(current)
            current = []
            continue
        if not current and word.lower() in NAME_STOPWORDS:
            continue
        current.append(word)
    return [*parts, current] if current else parts


def facts_of(sentence: str) -> list[Fact]:
    """The checkable facts of an answer sentence: money, other numbers, dates, months, years and names."""
    facts: list[Fact] = []
    dates = dates_in(sentence)
    facts += [Fact(FactType.DATE, d, d) for d in sorted(dates)]
    date_years = {d[:4] for d in dates}
    month_years = {m for m in months_in(sentence) if not any(d.startswith(m) for d in dates)}
    facts += [Fact(FactType.MONTH, m, m) for m in sorted(month_years)]
    money = money_in(sentence)
    facts += [Fact(FactType.MONEY, v, v) for v in sorted(money)]
    stripped = _MONEY.sub(" ", _DAY_MONTH_YEAR.sub(" ", _MONTH_DAY_YEAR.sub(" ", sentence)))
    stripped = _MONTH_YEAR.sub(" ", stripped)
    for m in _YEAR.finditer(stripped):
        if m[1] not in date_years:
            facts.append(Fact(FactType.YEAR, m[1], m.group()))
    years = {m.group() for m in _YEAR.finditer(stripped)}
    no_years = _YEAR.sub(" ", stripped)
    facts += [Fact(FactType.NUMBER, v, v) for v in sorted(numbers_in(no_years) - money - years)]
    facts += [Fact(FactType.NAME, plain(n), n) for n in dict.fromkeys(names_in(sentence))]
    return facts


@dataclass
class Evidence:
    """Normalised text of a passage (its metadata header included) for fact look-ups."""

    text: str

    def __post_init__(self) -> None:
        self.plain = plain(self.text)
        self.dates = dates_in(self.text)
        self.day_months = day_months_in(self.text)
        self.record_years: set[str] = set()  # the years of the record's own dates, for "on 24 June" in its text
        self.months = months_in(self.text)
        self.years = {str(y) for y in years_in(self.text)} | {d[:4] for d in self.dates}
        self.numbers = numbers_in(self.text)
        self.money = money_in(self.text)
        self.aliases = {**ALIASES, **defined_aliases(self.text)}
        self.words = set(re.findall(r"[a-z0-9][a-z0-9'\-]*", self.plain))
        self.stems = {stem(w) for w in words_of(self.plain)}
        for short in set(_ABBREVIATION.findall(self.text)):  # "the ICTG service": the vocabulary's meaning of ICTG
            meaning = _abbreviations().get(short.lower())
            if meaning and short.lower() not in self.aliases:
                self.aliases[short.lower()] = meaning
                self.stems |= {stem(w) for w in words_of(meaning)}

    def has_term(self, term: str) -> bool:
        """Whether a word of the question is here: the same stem, or (for longer words) a spelling one or two
        letters away ('goverment', 'inovation')."""
        root = stem(term)
        if root in self.stems:
            return True
        if len(root) < 6:
            return False
        return bool(difflib.get_close_matches(root, self.stems, n=1, cutoff=0.85))

    def term_share(self, terms: Iterable[str]) -> float:
        """Share of ``terms`` found here (1.0 for none)."""
        terms = list(terms)
        return sum(self.has_term(t) for t in terms) / len(terms) if terms else 1.0

    def has(self, fact: Fact) -> bool:
        match fact.type:
            case FactType.DATE:
                # "On 24 June" in a record of 2015 states 24 June 2015
                year = fact.value[:4]
                day_month = fact.value[5:] in self.day_months
                return fact.value in self.dates or (day_month and year in self.years | self.record_years)
            case FactType.MONTH:
                return fact.value in self.months
            case FactType.YEAR:
                return fact.value in self.years
            case FactType.MONEY:
                return fact.value in self.money or (
                    fact.value in self.numbers and float(fact.value) >= MONEY_AS_NUMBER_MIN
                )
            case FactType.NUMBER:
                return fact.value in self.numbers
            case FactType.NAME:
                return self.has_name(fact.value)
        return False

    def has_name(self, name: str) -> bool:
        """The name as written, an alias of it, or every significant word of it, with plural/possessive endings."""
        name = plain(name)
        if _contains_phrase(self.plain, name):
            return True
        bare = name.removesuffix("'s")
        for expanded in (
            self.aliases.get(name),
            self.aliases.get(bare),
            _short_names().get(bare),
        ):  # "the MoD" is the Ministry of Defence
            if expanded and _contains_phrase(self.plain, expanded):
                return True
        reverse = [short for short, full in self.aliases.items() if full == name]
        if any(re.search(rf"\b{re.escape(short)}\b", self.plain) for short in reverse):
            return True
        words = [w.removesuffix("'s") for w in re.findall(r"[a-z0-9][a-z0-9'\-]*", name)]
        significant = [w for w in words if w not in NAME_STOPWORDS and len(w) > 2]
        return bool(significant) and all(_word_in(w, self.words) for w in significant)


_ABBREVIATION = re.compile(r"\b([A-Z][A-Z]{1,7})s?\b")


@lru_cache(maxsize=1)
def _abbreviations() -> dict[str, str]:
    """The domain vocabulary's abbreviations, lower case → plain meaning ('ictg' → 'independent child …')."""
    from qa.vocabulary import load_vocabulary

    return {e.term.lower(): plain(e.meaning) for e in load_vocabulary() if e.kind == "abbreviation"}


@lru_cache(maxsize=1)
def _short_names() -> dict[str, str]:
    """Abbreviations and departments' short names of the vocabulary, plain → plain meaning ('mod' → 'ministry of
    defence')."""
    from qa.vocabulary import load_vocabulary

    return {
        plain(e.term): plain(e.meaning)
        for e in load_vocabulary()
        if e.kind in ("abbreviation", "department") and plain(e.term) != plain(e.meaning)
    }


# words a department's name and its head's portfolio may differ by: "Ministry of Defence" / "for Defence",
# "Home Office" / "for the Home Department", "Foreign, Commonwealth and Development Office" / "… Affairs"
_NAME_WORDS = frozenset(["and", "the", "of", "for", "department", "ministry", "office", "affairs", "hm"])

# offices that head a department without naming a portfolio
OFFICE_BODIES = {
    "chancellor of the exchequer": "HM Treasury",
    "minister of state, foreign, commonwealth and development office": "Foreign, Commonwealth and Development Office",
    "deputy foreign secretary": "Foreign, Commonwealth and Development Office",
    "attorney general": "Attorney General's Office",
    "solicitor general": "Attorney General's Office",
}


def _content_words(name: str) -> frozenset[str]:
    return frozenset(w for w in words_of(name) if w not in _NAME_WORDS)


@lru_cache(maxsize=1)
def _departments_by_words() -> dict[frozenset[str], str]:
    """The vocabulary's department names, by the words that tell them apart ({'defence'} → 'Ministry of
    Defence')."""
    from qa.vocabulary import load_vocabulary

    return {_content_words(e.meaning): e.meaning for e in load_vocabulary() if e.kind == "department"}


def department_of_office(addressed_to: str | None) -> str | None:
    """The department an office heads, named as the vocabulary names it: "Secretary of State for Work and Pensions"
    → "Department for Work and Pensions", "Secretary of State for the Home Department" → "Home Office", "Chancellor
    of the Exchequer" → "HM Treasury"; None for an office that heads none ("Leader of the House", a Member)."""
    office = re.split(r",\s*(?:to ask|pursuant)\b", (addressed_to or "").strip(), maxsplit=1, flags=re.I)[0]
    office = re.sub(r"^the\s+", "", office, flags=re.I)
    if office.lower() in OFFICE_BODIES:
        return OFFICE_BODIES[office.lower()]
    found = re.match(r"^(?:secretary of state|minister(?: of state)?)\s+for\s+(?:the\s+)?(.+)$", office, re.I)
    if found is None:
        return None
    portfolio = found[1].strip()
    return _departments_by_words().get(_content_words(portfolio), f"Department for {portfolio}")


def names_addressee(name: str, addressed_to: str | None) -> bool:
    """Whether ``name`` is the department of the office a question was put to: "MoD" (the Ministry of Defence)
    for "the Secretary of State for Defence", "DWP" for "the Secretary of State for Work and Pensions"."""
    department = department_of_office(addressed_to)
    if department is None:
        return False
    bare = plain(name).removesuffix("'s")
    named = words_of(_short_names().get(bare, bare))
    wanted = _content_words(department)
    return bool(wanted) and all(w in named for w in wanted)


@lru_cache(maxsize=1)
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("english")


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """The English Snowball stem of a lower-case word, without a possessive ending."""
    return _stemmer().stemWord(word.removesuffix("'s").removesuffix("s'"))


def words_of(text: str) -> list[str]:
    """Lower-case words of ``text``, split at hyphens and slashes too ('data-research' → 'data', 'research')."""
    return [w.removesuffix("'s") for w in re.findall(r"[a-z0-9]+(?:'[a-z]+)?", plain(text))]


ORGANISATION_WORDS = frozenset(
    [
        "department",
        "office",
        "ministry",
        "foundation",
        "programme",
        "program",
        "review",
        "council",
        "trust",
        "board",
        "fund",
        "centre",
        "center",
        "service",
        "services",
        "act",
        "bill",
        "agency",
        "commission",
        "committee",
        "panel",
        "taskforce",
        "force",
        "government",
        "authority",
        "authorities",
        "unit",
        "inquiry",
        "strategy",
        "plan",
        "scheme",
        "network",
        "partnership",
        "association",
        "institute",
        "college",
        "university",
        "school",
        "schools",
        "hospital",
        "nhs",
        "police",
        "court",
        "report",
        "guidance",
        "framework",
        "initiative",
        "project",
        "group",
        "team",
        "house",
        "parliament",
    ]
)


_OFFICE = re.compile(r"(?:Prime |Chief |Deputy )?(?:Minister|Secretary|Chief|Commissioner|Director|Chair)\b")


def person_names_in(text: str) -> list[str]:
    """Names that look like people: two to four capitalised words, none of them an organisation's word, a name
    after a title (Lord Laming, Sir Roger Singleton, Dr Smith), or an office (the Secretary of State for …)."""
    people = []
    for name in names_in(text):
        words = name.split()
        if (
            re.match(r"(?:Mr|Mrs|Ms|Dr|Sir|Dame|Lord|Lady|Baroness|Professor)\b", name)
            and len(words) >= 2
            or _OFFICE.match(
                name
            )  # an office holder: "the Secretary of State for Education", "the Chief Social Worker"
            or (
                2 <= len(words) <= 4
                and all(w[0].isupper() for w in words)
                and not any(w.lower().strip("'’s") in ORGANISATION_WORDS for w in words)
            )
        ):
            people.append(name)
    return people


def _contains_phrase(haystack: str, needle: str) -> bool:
    return re.search(rf"(?<![a-z0-9]){re.escape(needle)}", haystack) is not None


NAME_SPELLING_MIN = 7  # a name's word this long may be one letter away from the source's ("Barnardo's", "Barnado's")


def _word_in(word: str, words: set[str]) -> bool:
    stem = word.rstrip("s")
    if any(w == word or w.rstrip("s") == stem or w.removesuffix("'s") == word for w in words):
        return True
    if len(stem) < NAME_SPELLING_MIN:
        return False
    near = [w for w in words if abs(len(w.rstrip("s")) - len(stem)) <= 1 and w[:1] == stem[:1]]
    return any(_one_edit(stem, w.removesuffix("'s").rstrip("s")) for w in near)


def _one_edit(a: str, b: str) -> bool:
    """Whether ``a`` and ``b`` differ by at most one inserted, deleted or changed letter."""
    if a == b:
        return True
    if len(a) > len(b):
        a, b = b, a
    if len(b) - len(a) > 1:
        return False
    i = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), len(a))
    return a[i + (len(a) == len(b)) :] == b[i + 1 :]
