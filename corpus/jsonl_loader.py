"""Map Parliament written-question API records (JSON Lines, optionally gzipped) to Documents."""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from corpus.text_layouts import infer_house
from corpus.types import Document, DocumentKind, House, Member

OFFICIAL_URL = "https://questions-statements.parliament.uk/written-questions/detail/{date}/{uin}"


class RecordError(ValueError):
    """A JSON Lines record that cannot become a Document."""


def _member(value: Any, field: str) -> Member | None:
    if value is None:
        return None
    if isinstance(value, str):
        return Member(name=value) if value.strip() else None
    if not isinstance(value, dict):
        raise RecordError(f"field '{field}' should be an object with a name, got {type(value).__name__}")
    name = value.get("name")
    if not name:
        return None
    party = value.get("party")
    if not isinstance(name, str) or (party and not isinstance(party, str)):
        raise RecordError(f"field '{field}' should name a member in text")
    mnis = value.get("mnis_id")
    return Member(name=name, party=party or None, mnis_id=mnis if isinstance(mnis, int) else None)


def _date(value: Any, field: str) -> date | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise RecordError(f"field '{field}' is not an ISO date: {value!r}")
    try:
        return date.fromisoformat(value[:10])
    except ValueError as exc:
        raise RecordError(f"field '{field}' is not an ISO date: {value!r}") from exc


def _text(record: dict, field: str, required: bool = False) -> str | None:
    value = record.get(field)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise RecordError(f"field '{field}' is missing or empty")
        return None
    if not isinstance(value, str):
        raise RecordError(f"field '{field}' should be text, got {type(value).__name__}")
    return value.strip()


def record_to_document(record: Any, source: str) -> Document:
    """One API record → Document; raises RecordError naming the field at fault."""
    if not isinstance(record, dict):
        raise RecordError(f"line is a JSON {type(record).__name__}, not an object")
    doc_id = record.get("id")
    if doc_id is None and record.get("question_id") is not None:
        chamber = str(record.get("house") or "commons").lower()
        doc_id = f"ukparl-wq-{chamber}-{_key(record['question_id'], 'question_id')}"
    if doc_id is None or not str(doc_id).strip():
        raise RecordError("field 'id' is missing")
    doc_id = _key(doc_id, "id")
    answer = _text(record, "answer_text", required=True)
    question = _text(record, "question_text")
    asker = _member(record.get("asker"), "asker")
    answerer = _member(record.get("answerer"), "answerer")
    house_value = record.get("house")
    try:
        house = House(house_value) if house_value else infer_house(question, asker, answerer)
    except ValueError as exc:
        raise RecordError(f"field 'house' should be Commons or Lords, got {house_value!r}") from exc
    asked = _date(record.get("date_asked"), "date_asked")
    answered = _date(record.get("date_answered"), "date_answered")
    uin = record.get("uin")
    uin = _key(uin, "uin") if uin not in (None, "") else None
    url = _text(record, "url")
    if url is None and asked and uin:
        url = OFFICIAL_URL.format(date=asked.isoformat(), uin=uin)
    if url is None:  # no page known: the question's record in Parliament's API, which is as official
        url = _text(record, "api_url")
    try:
        doc = Document(
            id=doc_id,
            kind=DocumentKind.WRITTEN_QUESTION,
            title=_text(record, "title"),
            house=house,
            date_asked=asked,
            asker=asker,
            department=_text(record, "answering_body"),
            addressed_to=_text(record, "addressed_to"),
            question=question,
            answerer=answerer,
            date_answered=answered,
            month_filed=_month(record.get("date_asked_month"), "date_asked_month") if not (asked or answered) else None,
            answer=answer,
            source_path=source,
            url=url,
            uin=uin,
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        raise RecordError(f"field '{'.'.join(map(str, first['loc']))}': {first['msg']}") from exc
    _check_unicode(doc)
    return doc


def _month(value: Any, field: str) -> str | None:
    """A 'YYYY-MM' month, or None when absent."""
    if value in (None, ""):
        return None
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", value.strip()):
        raise RecordError(f"field '{field}' should be a month as YYYY-MM, got {value!r}")
    return value.strip()


def _key(value: Any, field: str) -> str:
    """An id-like field as text: a string or a whole number (not a boolean)."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise RecordError(f"field '{field}' should be text or a whole number, got {type(value).__name__}")
    return str(value)


def _check_unicode(doc: Document) -> None:
    """Reject text holding lone surrogates (JSON escapes such as \\ud800): they cannot be stored or embedded."""
    for name, value in doc.model_dump().items():
        for text in value.values() if isinstance(value, dict) else (value,):
            if isinstance(text, str):
                try:
                    text.encode("utf-8")
                except UnicodeEncodeError as exc:
                    raise RecordError(f"field '{name}' is not valid Unicode (lone surrogate)") from exc


def open_text(path: Path):
    """Open a .jsonl or .jsonl.gz file as UTF-8 text."""
    if path.name.endswith(".gz"):
        return gzip.open(path, "rt", encoding="utf-8")
    return path.open("r", encoding="utf-8")


def iter_jsonl_documents(path: Path) -> Iterator[tuple[int, Document | RecordError]]:
    """Yield (line number, Document or the error for that line); blank lines are skipped."""
    with open_text(path) as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                yield number, RecordError(f"invalid JSON ({exc.msg})")
                continue
            except RecursionError:
                yield number, RecordError("invalid JSON (nested too deeply)")
                continue
            except ValueError:  # an integer literal longer than Python converts
                yield number, RecordError("invalid JSON (number too long)")
                continue
            try:
                yield number, record_to_document(record, str(path))
            except RecordError as exc:
                yield number, exc
