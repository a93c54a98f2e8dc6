"""Metadata questions (who asked, who answered, when, which department) answered from the record's own fields,
with its citation and no model tokens, once retrieval has found a record that matches the question."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from corpus.dates import long_date
from corpus.types import DocumentKind
from qa.context import Passage
from qa.facts import Evidence, record_periods
from qa.markers import place_markers
from qa.question import AskedField, QuestionAnalysis
from qa.types import Hit

_LABELS = {
    AskedField.ASKER: "who asked it",
    AskedField.ANSWERER: "who answered it",
    AskedField.DATE_ANSWERED: "when it was answered",
    AskedField.DATE_ASKED: "when it was asked",
    AskedField.DEPARTMENT: "which department answered it",
    AskedField.ASKER_PARTY: "the asking member's party",
    AskedField.ANSWERER_PARTY: "the answering minister's party",
    AskedField.ADDRESSEE: "whom it was put to",
    AskedField.HOUSE: "which House it was asked in",
}
_TO_ASK = re.compile(
    r"^\s*(?:Q:\s*)?To ask (?:the )?(?:((?:Her|His) Majesty's Government)\b|([^,\n]{4,90}?),)",
    re.IGNORECASE | re.MULTILINE,
)  # "To ask the Secretary of State for Education, …": the office a question was put to


_OFFICE = (
    r"(?:Secretary of State|Parliamentary Under[- ]Secretary of State|Minister|Chancellor|Attorney General"
    r"|Solicitor General|Leader of the House)(?: (?:for|of|to|without)\b[^().;:\n]{1,80}?)?"
)  # "the Secretary of State for Children, Schools and Families"


_DATE_OF = {AskedField.ANSWERER: AskedField.DATE_ANSWERED, AskedField.ASKER: AskedField.DATE_ASKED}
SEVERAL_RECORDS_SHOWN = 6  # "which ministers have answered …": the best-ranked matching records listed, one each
STATES_MARGIN = 0.25  # a later record is the one asked about when one of its sentences holds this much more of
# the question's subject words than any of the first record's ("which minister said the safeguarding partners
# should publish a threshold document?" is about the record that says so, not the best-ranked one)


@dataclass(frozen=True)
class MetadataAnswer:
    """The sentences stating the asked fields, the passages they cite (one per record), and any asked field the
    records lack."""

    text: str
    passages: tuple[Passage, ...]
    missing: tuple[AskedField, ...]
    sentences: tuple[str, ...] = ()  # one per record, without its [n] marker

    @property
    def passage(self) -> Passage:
        return self.passages[0]


def matches(question: QuestionAnalysis, passage: Passage) -> bool:
    """Whether the record can be the one asked about: the years, months and names of the question are in its
    fields or text."""
    years, months = record_periods(passage.hit.text, passage.hit.record)
    if any(y not in years for y in question.years):
        return False
    if any(f"{y:04d}-{m:02d}" not in months for y, m in question.months):
        return False
    if not question.ranges_met(years):
        return False
    evidence = Evidence(f"{passage.metadata_line()}\n{passage.hit.text}")
    # a long answer's other chunks may hold some of the names: half of them must be in this one
    return not question.names or sum(evidence.has_name(n) for n in question.names) >= len(question.names) / 2


def statement_share(question: QuestionAnalysis, passage: Passage) -> float:
    """The largest share of the question's subject words in the record's fields (title, question, who asked and
    answered: "rosena allin-khan's question on child protection"), alone or with one sentence of its answer."""
    terms = question.subject_terms
    if not terms:
        return 0.0
    hit = passage.hit
    header = f"{passage.metadata_line()}\n{hit.text[: hit.record.header_chars]}"
    parts = [header, *(f"{header}\n{s.quote.text}" for s in passage.sentences)]
    return max(Evidence(part).term_share(terms) for part in parts)


def _states_most(question: QuestionAnalysis, matching: list[Passage]) -> Passage:
    """The best-ranked matching record, unless a later one states the question's words by ``STATES_MARGIN``
    more."""
    shares = [statement_share(question, p) for p in matching]
    best = max(range(len(matching)), key=lambda i: (shares[i], -i))
    return matching[best] if shares[best] - shares[0] >= STATES_MARGIN else matching[0]


def _one_date_each(question: QuestionAnalysis) -> list[QuestionAnalysis]:
    """ "The July 2015 question and the December 2016 question": one analysis per month (or year) named, for
    questions about several records; empty when the question names fewer than two."""
    if len(question.months) >= 2:
        return [replace(question, months=(m,), years=(m[0],)) for m in question.months]
    if len(question.years) >= 2 and not question.months:
        return [replace(question, years=(y,)) for y in question.years]
    return []


def _records(question: QuestionAnalysis, passages: list[Passage]) -> list[Passage]:
    """The records the question asks about: every matching one (once each) for "which ministers have answered
    …", one per month or year named for "the July 2015 and the December 2016 question", else the best match."""
    if question.several_records:
        chosen: dict[str, Passage] = {}
        for passage in passages:
            if passage.hit.doc_id not in chosen and matches(question, passage):
                chosen[passage.hit.doc_id] = passage
        return list(chosen.values())[:SEVERAL_RECORDS_SHOWN]
    matching = [p for p in passages if matches(question, p)]
    if matching:
        return [_states_most(question, matching)]
    found = [next((p for p in passages if matches(each, p)), None) for each in _one_date_each(question)]
    if found and all(found) and len({p.hit.doc_id for p in found if p}) == len(found):
        return [p for p in found if p]
    return []


def _values(passage: Passage) -> dict[AskedField, str | None]:
    record = passage.hit.record
    return {
        AskedField.ASKER: record.asker,
        AskedField.ANSWERER: record.answerer,
        AskedField.DEPARTMENT: record.department,
        AskedField.DATE_ANSWERED: long_date(record.date_answered) or None,
        AskedField.DATE_ASKED: long_date(record.date_asked) or None,
        AskedField.ASKER_PARTY: record.asker_party,
        AskedField.ANSWERER_PARTY: record.answerer_party,
        AskedField.ADDRESSEE: record.addressed_to or _addressee_of(passage),
        AskedField.HOUSE: f"House of {record.house}" if record.house else None,
    }


def _addressee_of(passage: Passage) -> str | None:
    """The office a question was put to, read from its own wording ("To ask the Secretary of State for Education,
    …"), for a record that does not hold it as a field."""
    found = _TO_ASK.search(passage.hit.text[: passage.hit.record.header_chars])
    return (found[1] or found[2]).strip() if found else None


def office_of(name: str, text: str) -> str | None:
    """The office ``text`` gives ``name`` ("the Secretary of State for Children, Schools and Families (Ed Balls)",
    "Ed Balls, Secretary of State for …,"), or None when it gives none."""
    who = re.escape(name)
    found = re.search(rf"\bthe ({_OFFICE})\s*\((?:the )?(?:Rt\.? Hon\.? )?{who}(?: MP)?\)", text) or re.search(
        rf"\b{who}(?: MP)?,\s+(?:the )?({_OFFICE})(?=[,.;)])", text
    )
    return found[1].strip() if found else None


def _sentence(asked: tuple[AskedField, ...], passage: Passage, values: dict[AskedField, str | None]) -> str:
    statement = passage.hit.record.kind == DocumentKind.WRITTEN_STATEMENT
    subject = "The statement" if statement else "The question"
    parts: list[str] = []
    for party, person, role in (
        (AskedField.ASKER_PARTY, AskedField.ASKER, "asked"),
        (AskedField.ANSWERER_PARTY, AskedField.ANSWERER, "answered"),
    ):
        if party in asked and values[party]:
            who = f" ({values[person]})" if values[person] else ""
            parts.append(f"was {role} by a member of the {values[party]} party{who}")
    if AskedField.ADDRESSEE in asked and values[AskedField.ADDRESSEE]:
        office = str(values[AskedField.ADDRESSEE])
        parts.append(f"was put to {office if office.lower().startswith(('the ', 'her ', 'his ')) else 'the ' + office}")
    house = f" in the {values[AskedField.HOUSE]}" if AskedField.HOUSE in asked and values[AskedField.HOUSE] else ""
    if values[AskedField.ASKER] and AskedField.ASKER in asked:
        asked_on = f" on {values[AskedField.DATE_ASKED]}" if AskedField.DATE_ASKED in asked else ""
        party = values[AskedField.ASKER_PARTY] if AskedField.ASKER_PARTY not in asked else None
        parts.append(f"was asked by {values[AskedField.ASKER]}{f' ({party})' if party else ''}{house}{asked_on}")
    elif values[AskedField.DATE_ASKED] and AskedField.DATE_ASKED in asked:
        parts.append(f"was asked{house} on {values[AskedField.DATE_ASKED]}")
    elif house:
        parts.append(f"was asked{house}")
    answer_bits: list[str] = []
    if AskedField.ANSWERER in asked and values[AskedField.ANSWERER]:
        office = office_of(str(values[AskedField.ANSWERER]), passage.hit.text)  # as the record's own text gives it
        answer_bits.append(f"by {values[AskedField.ANSWERER]}{f' ({office})' if office else ''}")
    if AskedField.DEPARTMENT in asked and values[AskedField.DEPARTMENT]:
        answer_bits.append(f"for the {values[AskedField.DEPARTMENT]}".replace("the the ", "the "))
    if AskedField.DATE_ANSWERED in asked and values[AskedField.DATE_ANSWERED]:
        answer_bits.append(f"on {values[AskedField.DATE_ANSWERED]}")
        record = passage.hit.record
        if AskedField.DATE_ASKED in asked and record.date_asked and record.date_answered >= record.date_asked:
            days = (record.date_answered - record.date_asked).days  # "how long did she wait for a reply?"
            answer_bits.append(f"({days} day{'' if days == 1 else 's'} later)")
    if answer_bits:
        verb = "was made" if statement else "was answered"
        parts.append(f"{verb} {' '.join(answer_bits)}")
    return f"{subject} “{passage.hit.title}” {' and '.join(parts)}."


def answer_metadata(question: QuestionAnalysis, passages: list[Passage]) -> MetadataAnswer | None:
    """The asked fields of the record (or records) the question is about, one sentence each; None when no record
    matches or the records hold none of the asked fields."""
    asked = question.asked_fields
    records = [(p, _values(p)) for p in _records(question, passages)]
    records = [(p, v) for p, v in records if any(v[f] for f in asked)]
    if not records:
        return None
    missing = tuple(f for f in asked if not all(v[f] for _, v in records))
    shown = (*asked, *(_DATE_OF[f] for f in asked if f in _DATE_OF))  # who answered, and when: so it can be checked
    plain = [_sentence(tuple(dict.fromkeys(shown)), p, v) for p, v in records]
    text = " ".join(place_markers(t, [p.marker]) for t, (p, _) in zip(plain, records, strict=True))
    if missing:
        record = "The record does" if len(records) == 1 else "Not every record does"
        text += f" {record} not say {' or '.join(_LABELS[f] for f in missing)}."
    return MetadataAnswer(
        text=text,
        passages=tuple(p for p, _ in records),
        missing=missing,
        sentences=tuple(plain),
    )


def closest_of_group(question: QuestionAnalysis, passage: Passage, siblings: list[Hit]) -> Passage:
    """Of a grouped answer (one text filed under several questions), the record whose own question and title
    share most of the question's words: each was asked by its member and may be answered on its own date."""
    if not siblings or not question.subject_terms:
        return passage

    def share(hit: Hit) -> float:
        return Evidence(hit.text[: hit.record.header_chars]).term_share(question.subject_terms)

    chosen, best = passage, share(passage.hit)
    for sibling in siblings:
        score = share(sibling)
        if score <= best:
            continue
        others = [d for d in [passage.hit.doc_id, *passage.hit.duplicates] if d != sibling.doc_id]
        candidate = replace(passage, hit=sibling.model_copy(update={"score": passage.hit.score, "duplicates": others}))
        if matches(question, candidate):
            chosen, best = candidate, score
    return chosen
