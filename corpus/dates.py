"""Dates as the project reads, stores and shows them: ISO strings in, YYYYMMDD integers stored, '21 December 2016'
shown."""

from __future__ import annotations

from datetime import date


def parse_date(value: object) -> date | None:
    """An ISO date ('2016-12-21', or a date itself); None for anything else."""
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def date_num(value: date | None) -> int:
    """YYYYMMDD as an integer, sortable and filterable where dates cannot be stored (0: no date)."""
    return value.year * 10000 + value.month * 100 + value.day if value else 0


def long_date(value: date | None, default: str = "") -> str:
    """'21 December 2016'; ``default`` when there is no date."""
    return f"{value.day} {value:%B %Y}" if value else default


def month_label(month: str, short: bool = False) -> str:
    """'2024-07' → 'July 2024' ('Jul 2024' when short); anything else as it is."""
    try:
        year, number = (int(x) for x in month.split("-"))
        first = date(year, number, 1)
    except ValueError:
        return month
    return f"{first:%b %Y}" if short else f"{first:%B %Y}"
