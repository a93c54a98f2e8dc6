"""Metadata questions (who asked, who answered, when, which department) answered from the record's own fields,
with its citation and no model tokens, once retrieval has found a record that matches the question."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from qa.context import Passage
from qa.facts import Evidence, months_in, years_in
from qa.question import AskedField, QuestionAnalysis

_LABELS = {
    AskedField.ASKER: "who asked it",
    AskedField.ANSWERER: "who answered it",
    AskedField.DATE_ANSWERED: "when it was answered",
    AskedField.DATE_ASKED: "when it was asked",
    AskedField.DEPARTMENT: "which department answered it",
    AskedField.ASKER_PARTY: "the asking member's party",
    AskedField.ANSWERER_PARTY: "the answering minister's party",
}


@dataclass(frozen=True)
class MetadataAnswer:
    """The sentence stating the asked fields, the passage it cites, and any asked field the record lacks."""

    text: str
    passage: Passage
    missing: tuple[AskedField, ...]


def _nice(value: str | None) -> str | None:
    try:
        d = date.fromisoformat(value) if value else None
    except ValueError:
        return value
    return f"{d.day} {d:%B %Y}" if d else None


def matches(question: QuestionAnalysis, passage: Passage) -> bool:
    """Whether the record can be the one asked about: the years, months and names of the question are in its
    fields or text."""
    meta = passage.hit.metadata
    dates = [str(meta.get(k)) for k in ("date_asked", "date_answered") if meta.get(k)]
    years = {int(d[:4]) for d in dates} | set(years_in(passage.hit.text))
    months = {d[:7] for d in dates} | months_in(passage.hit.text)
    if any(y not in years for y in question.years):
        return False
    if any(f"{y:04d}-{m:02d}" not in months for y, m in question.months):
        return False
    evidence = Evidence(f"{passage.metadata_line()}\n{passage.hit.text}")
    # a long answer's other chunks may hold some of the names: half of them must be in this one
    return not question.names or sum(evidence.has_name(n) for n in question.names) >= len(question.names) / 2


def answer_metadata(question: QuestionAnalysis, passages: list[Passage]) -> MetadataAnswer | None:
    """The asked fields of the best-ranked record that matches the question; None when no record matches or the
    record holds none of the asked fields."""
    passage = next((p for p in passages if matches(question, p)), None)
    if passage is None:
        return None
    meta = passage.hit.metadata
    statement = meta.get("kind") == "written statement"
    values = {
        AskedField.ASKER: meta.get("asker"),
        AskedField.ANSWERER: meta.get("answerer"),
        AskedField.DEPARTMENT: meta.get("department"),
        AskedField.DATE_ANSWERED: _nice(meta.get("date_answered")),
        AskedField.DATE_ASKED: _nice(meta.get("date_asked")),
        AskedField.ASKER_PARTY: meta.get("asker_party"),
        AskedField.ANSWERER_PARTY: meta.get("answerer_party"),
    }
    asked = question.asked_fields
    missing = tuple(f for f in asked if not values[f])
    if len(missing) == len(asked):
        return None
    subject = "The statement" if statement else "The question"
    title = passage.hit.title
    parts: list[str] = []
    for party, person, role in (
        (AskedField.ASKER_PARTY, AskedField.ASKER, "asked"),
        (AskedField.ANSWERER_PARTY, AskedField.ANSWERER, "answered"),
    ):
        if party in asked and values[party]:
            who = f" ({values[person]})" if values[person] else ""
            parts.append(f"was {role} by a member of the {values[party]} party{who}")
    if values[AskedField.ASKER] and AskedField.ASKER in asked:
        asked_on = f" on {values[AskedField.DATE_ASKED]}" if AskedField.DATE_ASKED in asked else ""
        parts.append(f"was asked by {values[AskedField.ASKER]}{asked_on}")
    elif values[AskedField.DATE_ASKED] and AskedField.DATE_ASKED in asked:
        parts.append(f"was asked on {values[AskedField.DATE_ASKED]}")
    answer_bits: list[str] = []
    if AskedField.ANSWERER in asked and values[AskedField.ANSWERER]:
        answer_bits.append(f"by {values[AskedField.ANSWERER]}")
    if AskedField.DEPARTMENT in asked and values[AskedField.DEPARTMENT]:
        answer_bits.append(f"for the {values[AskedField.DEPARTMENT]}".replace("the the ", "the "))
    if AskedField.DATE_ANSWERED in asked and values[AskedField.DATE_ANSWERED]:
        answer_bits.append(f"on {values[AskedField.DATE_ANSWERED]}")
    if answer_bits:
        verb = "was made" if statement else "was answered"
        parts.append(f"{verb} {' '.join(answer_bits)}")
    text = f"{subject} “{title}” {' and '.join(parts)} [{passage.marker}]."
    if missing:
        text += f" The record does not say {' or '.join(_LABELS[f] for f in missing)}."
    return MetadataAnswer(text=text, passage=passage, missing=missing)
