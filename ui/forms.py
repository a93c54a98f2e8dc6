"""The filter form's values as ``Filters``, with messages that say what to fix."""

from __future__ import annotations

import json
import re
from datetime import date

from pydantic import ValidationError

from qa.types import Filters

ANY_HOUSE = "Any"
HOUSES = (ANY_HOUSE, "Commons", "Lords")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def parse_day(value: str | None, label: str) -> date | None:
    """'2016-12-31' → a date; '' → None; anything else → ValueError naming the field."""
    text = (value or "").strip()
    if not text:
        return None
    if not _ISO_DATE.match(text):
        raise ValueError(f"the '{label}' date must be written YYYY-MM-DD, e.g. 2016-12-31 (got '{text[:40]}')")
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"the '{label}' date {text} is not a real date") from None


def form_filters(
    since: str | None,
    until: str | None,
    department: str | None,
    answerer: str | None,
    house: str | None,
    asker: str | None = None,
) -> Filters | None:
    """Filters from the form, or None when every field is empty."""
    first, last = parse_day(since, "since"), parse_day(until, "until")
    if first and last and first > last:
        raise ValueError(f"the 'since' date ({first}) is after the 'until' date ({last})")
    filters = Filters(
        since=first,
        until=last,
        department=(department or "").strip() or None,
        answerer=(answerer or "").strip() or None,
        asker=(asker or "").strip() or None,
        house=None if house in (None, "", ANY_HOUSE) else house,
    )
    return None if filters.is_empty() else filters


def json_filters(text: str | None) -> Filters | None:
    """Filters from a JSON object such as ``{"since": "2016-01-01", "house": "Commons"}``."""
    if not (text or "").strip():
        return None
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"filters must be a JSON object: {exc}") from None
    if not isinstance(value, dict):
        raise ValueError('filters must be a JSON object, e.g. {"house": "Commons"}')
    try:
        filters = Filters(**value)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise ValueError(f"bad filters: {problems}") from None
    return None if filters.is_empty() else filters
