"""Parse the plain-text layouts of parliamentary written answers and statements into Documents."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

from corpus.types import Document, DocumentKind, House, Member

log = logging.getLogger(__name__)

_DATE = re.compile(r"(\d{1,2})(?:st|nd|rd|th)?\s+([A-Z][a-z]+)\s+(\d{4})")
_MEMBER = re.compile(r"^(?P<name>.+?)\s*\((?P<party>[^()]+)\)\s*$")
_PEERAGE = re.compile(r"^(Lord|Baroness|Earl|Viscount|Countess|Marquess|Duke|The Lord|The Earl)\b")
_NOISE = (
    re.compile(r"^Reticulating Splines\s*$"),
    re.compile(r"^Contains Parliamentary information licensed under the Open Parliament Licence"),
)


def parse_date(text: str) -> date | None:
    """'13 December 2016' or '31st January 2018' → a date; None when there is none."""
    match = _DATE.search(text)
    if not match:
        return None
    day, month, year = match.groups()
    try:
        return datetime.strptime(f"{day} {month} {year}", "%d %B %Y").date()
    except ValueError:
        return None


def parse_member(text: str) -> Member | None:
    """'Edward Timpson (Conservative)' → Member(name, party)."""
    text = text.strip()
    if not text:
        return None
    match = _MEMBER.match(text)
    if match:
        return Member(name=match["name"].strip(), party=match["party"].strip())
    return Member(name=text)


def infer_house(question: str | None, *members: Member | None) -> House | None:
    """Lords when a peer or 'To ask Her/His Majesty's Government' shows it; Commons for a Secretary of State."""
    if question and re.search(r"To ask (Her|His) Majesty's Government", question):
        return House.LORDS
    if any(m is not None and _PEERAGE.match(m.name) for m in members):
        return House.LORDS
    if question and re.search(r"To ask the (Secretary of State|Minister|Chancellor|Prime Minister)", question):
        return House.COMMONS
    return None


def _clean_lines(text: str) -> list[str]:
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    return [line for line in lines if not any(p.match(line.strip()) for p in _NOISE)]


def _paragraphs(lines: list[str]) -> str:
    """Join answer lines: blank lines and line breaks both separate paragraphs."""
    return "\n\n".join(line.strip() for line in lines if line.strip())


def _index(lines: list[str], predicate: Callable[[str], bool], start: int = 0) -> int | None:
    for i in range(start, len(lines)):
        if predicate(lines[i].strip()):
            return i
    return None


def parse_question_sheet(doc_id: str, text: str) -> Document | None:
    """Layout of '000_…': PARLIAMENTARY WRITTEN QUESTION / Title (date) / Asked by / Answer / Answered by."""
    lines = [line for line in _clean_lines(text) if line.strip()]
    if not lines or lines[0].strip().upper() != "PARLIAMENTARY WRITTEN QUESTION":
        return None
    heading = lines[1].strip() if len(lines) > 1 else ""
    title_match = re.match(r"^(?P<title>.+?)\s*\((?P<date>[^()]*\d{4})\)\s*$", heading)
    title = title_match["title"] if title_match else heading or None
    asked = parse_date(title_match["date"]) if title_match else None
    asked_by = _index(lines, lambda s: s.lower() == "asked by:")
    answer_at = _index(lines, lambda s: s.lower() == "answer")
    answered_by = _index(lines, lambda s: s.lower() == "answered by:")
    if answer_at is None or answered_by is None:
        return None
    asker = parse_member(lines[asked_by + 1]) if asked_by is not None and asked_by + 1 < answer_at else None
    answerer = parse_member(lines[answered_by + 1]) if answered_by + 1 < len(lines) else None
    answered = parse_date(" ".join(lines[answered_by + 2 : answered_by + 3]))
    question_lines = [s for s in lines[2:answer_at] if s.strip().lower() not in ("question asked",)]
    question_lines = question_lines[: (asked_by - 2)] if asked_by is not None else question_lines
    question = _paragraphs([s for s in question_lines if s.strip().lower() != "asked by:"]) or None
    return Document(
        id=doc_id,
        kind=DocumentKind.WRITTEN_QUESTION,
        title=title,
        house=infer_house(question, asker, answerer),
        date_asked=asked,
        asker=asker,
        question=question,
        answerer=answerer,
        date_answered=answered,
        answer=_paragraphs(lines[answer_at + 1 : answered_by]),
    )


def parse_question_page(doc_id: str, text: str) -> Document | None:
    """Layout of '001_…'–'003_…': the written-question web page copied as text."""
    lines = _clean_lines(text)
    asked_at = _index(lines, lambda s: bool(re.match(r"^\(asked on .+\)", s)))
    answered_by = _index(lines, lambda s: s.lower() == "answered by")
    if asked_at is None or answered_by is None:
        return None
    answered_on = _index(lines, lambda s: s.startswith("This question was answered on"), answered_by)
    if answered_on is None:
        return None
    title = _paragraphs(lines[:asked_at]) or None
    to_dept = _index(lines, lambda s: s.startswith("Question to the"), asked_at)
    department = None
    question_start = asked_at + 1
    if to_dept is not None and to_dept < answered_by:
        department = re.sub(r"^Question to the\s+", "", lines[to_dept].strip()).rstrip(":").strip()
        question_start = to_dept + 1
    names = [s.strip() for s in lines[answered_by + 1 : answered_on] if s.strip()]
    names = [s for s in names if not s.endswith(" Portrait")]
    answerer = parse_member(names[-1]) if names else None
    question = _paragraphs(lines[question_start:answered_by]) or None
    return Document(
        id=doc_id,
        kind=DocumentKind.WRITTEN_QUESTION,
        title=title,
        house=infer_house(question, answerer),
        date_asked=parse_date(lines[asked_at]),
        department=department,
        question=question,
        answerer=answerer,
        date_answered=parse_date(lines[answered_on]),
        answer=_paragraphs(lines[answered_on + 1 :]),
    )


_STATEMENT_MAKER = re.compile(
    r"Secretary of State for (?P<brief>[A-Z][A-Za-z ,]+?) \((?P<name>[A-Z][^()]+)\) has made the following"
    r" Written Ministerial Statement"
)


def parse_statement(doc_id: str, text: str) -> Document | None:
    """Layout of '004_…': 'Statement' then a written ministerial statement naming its minister."""
    lines = [line for line in _clean_lines(text) if line.strip()]
    if not lines or lines[0].strip().lower() != "statement":
        return None
    body = _paragraphs(lines[1:])
    maker = _STATEMENT_MAKER.search(body)
    answerer = Member(name=maker["name"].strip()) if maker else None
    department = f"Department for {maker['brief'].strip()}" if maker else None
    title = f"Written Ministerial Statement by {answerer.name}" if answerer else "Written Ministerial Statement"
    return Document(
        id=doc_id,
        kind=DocumentKind.WRITTEN_STATEMENT,
        title=title,
        department=department,
        answerer=answerer,
        answer=body,
    )


LAYOUT_PARSERS = (parse_question_sheet, parse_question_page, parse_statement)


def parse_text_document(path: Path, text: str) -> tuple[Document, bool]:
    """Parse one file's text; returns (document, recognised). Unrecognised text becomes a plain document."""
    doc_id = path.stem
    for parser in LAYOUT_PARSERS:
        doc = parser(doc_id, text)
        if doc is not None and doc.answer.strip():
            return doc.model_copy(update={"source_path": str(path)}), True
    body = _paragraphs(_clean_lines(text))
    plain = Document(
        id=doc_id,
        kind=DocumentKind.OTHER,
        title=path.stem.replace("_", " ").strip() or path.name,
        answer=body,
        source_path=str(path),
    )
    return plain, False
