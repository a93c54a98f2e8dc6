"""Question understanding before retrieval: the members, departments, period, "latest" and UIN a question names,
the abbreviations and synonyms it uses (from the domain vocabulary) and its misspelt words, corrected against the
index's own words. ``understand`` returns an ``Understanding``; the retriever turns it into extra rankings and a
rewritten query."""

from __future__ import annotations

import calendar
import re
import threading
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

import numpy as np

from corpus.dates import date_num, parse_date
from qa.facts import MONTH_PATTERN, MONTHS
from qa.types import MemberMention, Rewrite, Understanding
from qa.vocabulary import Entry, load_vocabulary

_DAY_MONTH_YEAR = re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+({MONTH_PATTERN})\.?,?\s+(20\d\d)\b", re.I)
_MONTH_YEAR = re.compile(rf"\b({MONTH_PATTERN})\.?,?\s+(20\d\d)\b", re.I)
_FINANCIAL_YEAR = re.compile(r"\b(20\d\d)\s?[-/–]\s?(?:20)?(\d\d)\b")
_YEAR = re.compile(r"(?<![\d/£$.,-])\b(20[0-4]\d)\b(?![/-]\d)")
_LATEST = re.compile(r"\b(?:latest|most recent|newest|current(?:ly)?|up[- ]to[- ]date|so far|to date)\b", re.I)
_RECORD_CUE = re.compile(
    r"\b(?:question|questions|answer|answers|answered|asked|repl(?:y|ied|ies)|tabled|responded|statement|"
    r"wrote|told)\b",
    re.I,
)
_UIN = re.compile(r"\b(?:UIN|PQ|WPQ|question(?:\s+(?:number|no\.?))?)\s*#?\s*(\d{3,7})\b", re.I)
_HONORIFIC = re.compile(
    r"^(?:the\s+)?(?:rt\.?\s+hon\.?\s+)?(?:mr|mrs|ms|miss|mx|dr|sir|dame|lord|lady|baroness|professor|prof)\.?\s+",
    re.I,
)
_WORD = re.compile(r"[a-z][a-z'’\-]*[a-z]|[a-z]")
_QUESTION_WORD = re.compile(r"[A-Za-z][A-Za-z0-9&'’\-]*")
_ASKER_BEFORE = re.compile(
    r"(?:asked by|question from|questions from|replied to|reply to|answered|answer to|answering|respond(?:ed)? to|"
    r"wrote to|told)\s+$",
    re.I,
)
_ANSWERER_BEFORE = re.compile(r"(?:answered by|replied by|reply from|minister|secretary|statement by)\s+$", re.I)
_ASKER_AFTER = re.compile(r"^(?:'s|’s)?\s+(?:\w+\s+){0,3}?(?:question|asked|tabled)", re.I)
_ANSWERER_AFTER = re.compile(r"^\s+(?:answered|replied|said|told|wrote)", re.I)
SPELLING_MIN_COUNT = 5  # a correction must be a word the index holds at least this often
UNKNOWN_MAX_COUNT = 1  # a word the index holds at most this often may be a misspelling


def member_key(name: str) -> str:
    """A member's name without honorifics, lower case: 'Mr Gregory Campbell' → 'gregory campbell'."""
    bare = _HONORIFIC.sub("", name.strip())
    bare = re.sub(r"\s+(?:MP|KC|QC|CBE|OBE|MBE)$", "", bare, flags=re.I)
    return " ".join(bare.lower().replace("’", "'").split())


def _alias_pattern(alias: str) -> re.Pattern[str]:
    """Short capitalised aliases ('MoD', 'DfE') match only as written; longer ones in any case."""
    flags = 0 if (len(alias) <= 5 and " " not in alias and alias.lower() != "defra") else re.I
    return re.compile(rf"(?<![\w-]){re.escape(alias)}(?:'s|’s)?(?![\w-])", flags)


@dataclass
class Lexicon:
    """What understanding reads from the index: member names, departments, the vocabulary and the index's words,
    with per-chunk arrays for the masks that turn understanding into extra rankings."""

    members: dict[str, str]  # member_key → the name as stored
    askers: frozenset[str]
    answerers: frozenset[str]
    departments: list[tuple[re.Pattern[str], str]]  # alias pattern → department as stored
    abbreviations: dict[str, str]
    department_aliases: frozenset[str]
    synonyms: list[tuple[re.Pattern[str], str, str]]  # pattern, phrase, meaning
    texts: Sequence[str] = ()
    stems: frozenset[str] = frozenset()  # the BM25 index's terms
    row_asker: np.ndarray = field(default_factory=lambda: np.array([], dtype=object))
    row_answerer: np.ndarray = field(default_factory=lambda: np.array([], dtype=object))
    row_department: np.ndarray = field(default_factory=lambda: np.array([], dtype=object))
    row_dates: tuple[np.ndarray, np.ndarray] = (np.zeros(0, np.int64), np.zeros(0, np.int64))  # asked, answered
    row_uin: np.ndarray = field(default_factory=lambda: np.array([], dtype=object))
    row_body: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # answer-text key per chunk
    body_docs: dict[int, tuple[str, ...]] = field(default_factory=dict)  # key → documents that share it
    _words: Counter[str] | None = None
    _choices: list[str] | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def build(
        cls,
        texts: Sequence[str],
        metadata: Sequence[dict],
        entries: Iterable[Entry] | None = None,
        stems: Iterable[str] = (),
    ) -> Lexicon:
        """From chunk texts and metadata (the lexical index's columns), vocabulary entries and the BM25 terms."""
        entries = list(load_vocabulary() if entries is None else entries)
        askers = {str(m["asker"]) for m in metadata if m.get("asker")}
        answerers = {str(m["answerer"]) for m in metadata if m.get("answerer")}
        members: dict[str, str] = {}
        for name in sorted(askers | answerers):
            key = member_key(name)
            if len(key.split()) >= 2:
                members.setdefault(key, name)
        stored = sorted({str(m["department"]) for m in metadata if m.get("department")})
        by_addressee = _department_of_addressee(metadata)
        row_department = np.array(
            [str(m.get("department") or by_addressee.get(str(m.get("addressed_to") or ""), "")) for m in metadata],
            dtype=object,
        )
        aliases: dict[str, str] = {d: d for d in stored}
        abbreviations: dict[str, str] = {}
        synonyms: list[tuple[re.Pattern[str], str, str]] = []
        for e in entries:
            if e.kind == "department":
                if e.meaning in stored or not stored:
                    aliases.setdefault(e.term, e.meaning)
            elif e.kind == "abbreviation":
                short_and_rare = e.source == "corpus" and len(e.term) <= 2 and e.count < 10
                if not short_and_rare and e.term not in abbreviations and sum(c.isupper() for c in e.term) >= 2:
                    abbreviations[e.term] = e.meaning
            elif e.kind == "synonym":
                synonyms.append((re.compile(rf"\b{re.escape(e.term)}\b", re.I), e.term, e.meaning))
        departments = [(_alias_pattern(a), d) for a, d in sorted(aliases.items(), key=lambda x: -len(x[0]))]

        def column(key: str) -> np.ndarray:
            return np.array([str(m.get(key) or "") for m in metadata], dtype=object)

        def dates(key: str) -> np.ndarray:
            return np.array([date_num(parse_date(m.get(key))) for m in metadata], dtype=np.int64)

        row_body, body_docs = _bodies(texts, metadata)
        return cls(
            members=members,
            askers=frozenset(askers),
            answerers=frozenset(answerers),
            departments=departments,
            abbreviations=abbreviations,
            department_aliases=frozenset(aliases),
            synonyms=synonyms,
            texts=texts,
            stems=frozenset(stems),
            row_asker=column("asker"),
            row_answerer=column("answerer"),
            row_department=row_department,
            row_dates=(dates("date_asked"), dates("date_answered")),
            row_uin=column("uin"),
            row_body=row_body,
            body_docs=body_docs,
        )

    # the index's words, for spelling ---------------------------------------------------------------
    def words(self) -> Counter[str]:
        """Lower-case words of every chunk and their counts (counted once, on first use)."""
        with self._lock:
            if self._words is None:
                counts: Counter[str] = Counter()
                step = 2000
                for start in range(0, len(self.texts), step):
                    counts.update(_WORD.findall("\n".join(self.texts[start : start + step]).lower()))
                self._words = counts
                self._choices = [w for w, n in counts.items() if n >= SPELLING_MIN_COUNT and "'" not in w]
            return self._words

    def correct(self, word: str) -> str | None:
        """The index's word nearest to an unknown ``word`` (edit distance 1, or 2 from 7 letters; ties to the more
        frequent), or None when ``word`` is known or nothing is near."""
        from rapidfuzz import process
        from rapidfuzz.distance import OSA

        counts = self.words()
        if len(word) < 4 or counts.get(word, 0) > UNKNOWN_MAX_COUNT or not word.isalpha():
            return None
        if self.stems and _stem(word) in self.stems:  # another form of a word the index holds
            return None
        limit = 1 if len(word) < 7 else 2
        found = process.extract(word, self._choices or [], scorer=OSA.distance, score_cutoff=limit, limit=20)
        if not found:
            return None
        best = min(found, key=lambda f: (f[1], -counts[f[0]], f[0]))
        # a word cut short by more than its last letter may be a stem the user meant ("fund" for "funding")
        return None if best[0].startswith(word) and len(best[0]) > len(word) + 1 else best[0]

    # masks ------------------------------------------------------------------------------------------
    def member_mask(self, member: MemberMention) -> np.ndarray:
        mask = np.zeros(len(self.row_asker), dtype=bool)
        if member.role in ("asker", "member"):
            mask |= self.row_asker == member.name
        if member.role in ("answerer", "member"):
            mask |= self.row_answerer == member.name
        return mask

    def department_mask(self, departments: Sequence[str]) -> np.ndarray:
        return np.isin(self.row_department, list(departments))

    def date_mask(self, since: date, until: date, slack_days: int = 0) -> np.ndarray:
        low = date_num(date.fromordinal(since.toordinal() - slack_days))
        high = date_num(date.fromordinal(until.toordinal() + slack_days))
        asked, answered = self.row_dates
        return ((asked >= low) & (asked <= high)) | ((answered >= low) & (answered <= high))

    def uin_mask(self, uin: str) -> np.ndarray:
        return self.row_uin == uin

    def duplicates(self, row: int) -> tuple[str, ...]:
        """The documents whose chunk at this position has the same answer text (itself included)."""
        return self.body_docs.get(int(self.row_body[row]), ()) if len(self.row_body) > row else ()


def _bodies(texts: Sequence[str], metadata: Sequence[dict]) -> tuple[np.ndarray, dict[int, tuple[str, ...]]]:
    """A key per chunk for its answer text (whitespace folded) and position, and the documents sharing each key
    that more than one document has."""
    keys = np.zeros(len(texts), dtype=np.int64)
    docs: dict[int, list[str]] = {}
    for row, (text, meta) in enumerate(zip(texts, metadata, strict=True)):
        body = " ".join(text[int(meta.get("header_chars", 0)) :].split())
        key = hash((body, meta.get("ordinal", 0))) if len(body) >= 40 else row - len(texts)  # short: never shared
        keys[row] = key
        doc = str(meta.get("doc_id", ""))
        group = docs.setdefault(key, [])
        if doc not in group:
            group.append(doc)
    return keys, {key: tuple(group) for key, group in docs.items() if len(group) > 1}


def _stem(word: str) -> str:
    from index.lexical import _stemmer

    return _stemmer().stemWord(word)


def _department_of_addressee(metadata: Sequence[dict]) -> dict[str, str]:
    """The department that most often answers questions put to each addressee ('Secretary of State for the
    Home Department' → 'Home Office'), learnt from the records that have both."""
    counts: dict[str, Counter[str]] = {}
    for m in metadata:
        to, department = m.get("addressed_to"), m.get("department")
        if to and department:
            counts.setdefault(str(to), Counter())[str(department)] += 1
    return {to: c.most_common(1)[0][0] for to, c in counts.items()}


# reading the question ---------------------------------------------------------------------------------
def find_members(question: str, lexicon: Lexicon) -> list[MemberMention]:
    """Members named in full (honorifics optional, any case), longest names first, with their role."""
    tokens = [(m.start(), m.end(), m.group()) for m in _QUESTION_WORD.finditer(question)]
    words = [t[2].lower().replace("’", "'").removesuffix("'s") for t in tokens]
    found: list[MemberMention] = []
    used: set[int] = set()
    for n in (4, 3, 2):
        for i in range(len(words) - n + 1):
            if any(j in used for j in range(i, i + n)):
                continue
            name = lexicon.members.get(" ".join(words[i : i + n]))
            if name is None:
                continue
            used.update(range(i, i + n))
            start, end = tokens[i][0], tokens[i + n - 1][1]
            found.append(MemberMention(name=name, role=_role(question, start, end, name, lexicon)))
    order = {m.name: question.lower().find(member_key(m.name).split()[0]) for m in found}
    return sorted(dict.fromkeys(found), key=lambda m: order[m.name])


def _role(question: str, start: int, end: int, name: str, lexicon: Lexicon) -> str:
    asks, answers = name in lexicon.askers, name in lexicon.answerers
    before = _HONORIFIC.sub("", question[max(0, start - 40) : start].rstrip() + " ")
    before = re.sub(r"(?:mr|mrs|ms|miss|dr|sir|dame)\.?\s+$", "", before, flags=re.I)
    after = question[end : end + 40]
    if _ANSWERER_BEFORE.search(before) or _ANSWERER_AFTER.search(after):
        context = "answerer"
    elif _ASKER_BEFORE.search(before) or _ASKER_AFTER.search(after):
        context = "asker"
    else:
        context = None
    if asks and not answers:
        return "asker"
    if answers and not asks:
        return "answerer"
    return context or "member"


def _department_mentions(question: str, lexicon: Lexicon) -> list[tuple[tuple[int, int], str]]:
    """Each department's name or short name in ``question``, longest first, none overlapping another."""
    mentions: list[tuple[tuple[int, int], str]] = []
    for pattern, department in lexicon.departments:
        for match in pattern.finditer(question):
            if not any(s < match.end() and match.start() < e for (s, e), _ in mentions):
                mentions.append((match.span(), department))
    return mentions


def find_departments(question: str, lexicon: Lexicon) -> list[str]:
    return list(dict.fromkeys(d for _, d in _department_mentions(question, lexicon)))


def without_departments(question: str, lexicon: Lexicon, keep: str) -> str:
    """The question with every department but ``keep`` taken out: what it asks of that one department
    ("How much did DESNZ and the Cabinet Office each spend …" → "How much did DESNZ spend …")."""
    spans = [span for span, department in _department_mentions(question, lexicon) if department != keep]
    for start, end in sorted(spans, reverse=True):
        before, after = question[:start], question[end:]
        joined = _JOIN_BEFORE.search(before)
        if joined:
            before = before[: joined.start()]
        else:
            after = _JOIN_AFTER.sub("", after, count=1)
            before = _THE_BEFORE.sub("", before)
        question = f"{before} {after}"
    if spans:  # "… each spend": each of the departments the question named
        question = _EACH.sub("", question)
    return re.sub(r"\s+([?,.;])", r"\1", re.sub(r"\s{2,}", " ", question)).strip()


_JOIN_BEFORE = re.compile(r"\s*(?:,\s*(?:and|or)?|\band\b|\bor\b|&)\s*(?:the\s+)?$", re.I)
_JOIN_AFTER = re.compile(r"^\s*(?:,\s*(?:and|or)?|and|or|&)\s+", re.I)
_THE_BEFORE = re.compile(r"\bthe\s+$", re.I)
_EACH = re.compile(r"\b(?:each|both)\b\s*", re.I)


@dataclass(frozen=True)
class Period:
    since: date
    until: date
    label: str


def find_period(question: str) -> Period | None:
    """The first day, month, financial year or year the question names."""
    if m := _DAY_MONTH_YEAR.search(question):
        day, month, year = int(m[1]), MONTHS[m[2].lower()], int(m[3])
        if 1 <= day <= calendar.monthrange(year, month)[1]:
            when = date(year, month, day)
            return Period(when, when, f"{day} {calendar.month_name[month]} {year}")
    if m := _MONTH_YEAR.search(question):
        month, year = MONTHS[m[1].lower()], int(m[2])
        last = calendar.monthrange(year, month)[1]
        return Period(date(year, month, 1), date(year, month, last), f"{calendar.month_name[month]} {year}")
    for m in _FINANCIAL_YEAR.finditer(question):
        first = int(m[1])
        if (first + 1) % 100 == int(m[2]):
            return Period(date(first, 4, 1), date(first + 1, 3, 31), f"{first}-{m[2]}")
    if m := _YEAR.search(question):
        year = int(m[1])
        return Period(date(year, 1, 1), date(year, 12, 31), str(year))
    return None


def find_rewrites(
    question: str, lexicon: Lexicon, skip: Iterable[str] = (), vocabulary: bool = True, spelling: bool = True
) -> list[Rewrite]:
    """Abbreviations and synonyms the vocabulary knows, then words the index does not hold, corrected."""
    rewrites: list[Rewrite] = []
    lower = question.lower()
    skipped = {w for name in skip for w in member_key(name).split()}
    for token in dict.fromkeys(_QUESTION_WORD.findall(question)):
        bare = token.removesuffix("'s").removesuffix("’s")
        skipped |= {bare.lower()} if sum(c.isupper() for c in bare) >= 2 else set()  # an abbreviation: not a typo
        if bare in lexicon.department_aliases or not vocabulary:
            continue
        meaning = lexicon.abbreviations.get(bare)
        if meaning is None and bare.endswith("s"):
            meaning = lexicon.abbreviations.get(bare[:-1])
        if meaning and meaning.lower() not in lower:
            rewrites.append(Rewrite(text=bare, becomes=meaning, kind="abbreviation"))
    for pattern, phrase, meaning in lexicon.synonyms if vocabulary else ():
        if pattern.search(question) and meaning.lower() not in lower:
            rewrites.append(Rewrite(text=phrase, becomes=meaning, kind="synonym"))
    known = {r.text.lower() for r in rewrites}
    for word in dict.fromkeys(_WORD.findall(lower)) if spelling else ():
        bare = word.removesuffix("'s").removesuffix("’s").strip("'’-")
        if bare in skipped or bare in known or any(bare in r.becomes.lower().split() for r in rewrites):
            continue
        fixed = lexicon.correct(bare)
        if fixed and fixed != bare:
            rewrites.append(Rewrite(text=bare, becomes=fixed, kind="spelling"))
    return rewrites


def understand(
    question: str, lexicon: Lexicon, metadata: bool = True, vocabulary: bool = True, spelling: bool = True
) -> Understanding:
    """Read ``question``: who, which department, when, latest, UIN (``metadata``), its abbreviations and
    synonyms (``vocabulary``) and misspelt words (``spelling``), and how to search for its words."""
    text = " ".join(question.split())
    members = find_members(text, lexicon) if metadata else []
    departments = find_departments(text, lexicon) if metadata else []
    period = find_period(text) if metadata else None
    uin_match = _UIN.search(text) if metadata else None
    rewrites = find_rewrites(text, lexicon, [m.name for m in members], vocabulary, spelling)
    corrected = text
    for r in rewrites:
        if r.kind == "spelling":
            corrected = re.sub(rf"\b{re.escape(r.text)}\b", r.becomes, corrected, count=1, flags=re.I)
    dense = corrected
    for r in rewrites:
        if r.kind != "spelling":
            pattern = re.compile(rf"\b{re.escape(r.text)}\b", re.I)
            dense = pattern.sub(lambda m, r=r: f"{m.group()} ({r.becomes})", dense, count=1)
    meanings = [r.becomes for r in rewrites if r.kind != "spelling"]
    return Understanding(
        question=text,
        members=tuple(members),
        departments=tuple(departments),
        since=period.since if period else None,
        until=period.until if period else None,
        period=period.label if period else None,
        record_dated=bool(period and (members or _RECORD_CUE.search(text))),
        latest=metadata and bool(_LATEST.search(text)),
        uin=uin_match.group(1) if uin_match else None,
        rewrites=tuple(rewrites),
        corrected_query=corrected,
        lexical_query=" ".join([corrected, *meanings]),
        dense_query=dense,
    )
