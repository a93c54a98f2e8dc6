"""One record's stored fields, typed: what the index keeps beside each chunk of a document (a plain JSON dict in
the manifest, the BM25 columns and Chroma), read back as dates, numbers and names."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict

from corpus.dates import date_num, long_date, month_label, parse_date
from corpus.types import Document


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _number(value: Any) -> int:
    try:
        return int(value) if value not in (None, "") else 0
    except (TypeError, ValueError):
        return 0


Text = Annotated[str | None, BeforeValidator(_text)]
Number = Annotated[int, BeforeValidator(_number)]
Day = Annotated[date | None, BeforeValidator(parse_date)]


class Dated:
    """When a record was given: a mixin for the models with ``date_asked``, ``date_answered`` and ``month_filed``."""

    @property
    def dated(self) -> date | None:
        """The answer's date, else the question's."""
        return self.date_answered or self.date_asked  # type: ignore[attr-defined]

    @property
    def month(self) -> str | None:
        """'2024-07': the month of its date, else the month it is filed under."""
        when = self.dated
        return f"{when.year:04d}-{when.month:02d}" if when else self.month_filed  # type: ignore[attr-defined]

    def date_label(self) -> str:
        """'21 December 2016'; 'July 2024 (month filed)' for a record known only by its month; else 'undated'."""
        if self.dated:
            return long_date(self.dated)
        month = self.month_filed  # type: ignore[attr-defined]
        return f"{month_label(month)} (month filed)" if month else "undated"


# the optional fields of a stored record, in the order they are stored
OPTIONAL_FIELDS = (
    "house",
    "department",
    "addressed_to",
    "asker",
    "asker_party",
    "answerer",
    "answerer_party",
    "date_asked",
    "date_answered",
    "url",
    "uin",
    "source",
)


class RecordMeta(Dated, BaseModel):
    """A chunk's stored fields: the document's (who asked and answered, when, where to read it) and the chunk's
    own place in it. Missing fields stay None (numbers 0); fields the record does not know are ignored."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    doc_id: str = ""
    kind: Text = None
    title: Text = None
    house: Text = None
    uin: Text = None
    asker: Text = None
    asker_party: Text = None
    answerer: Text = None
    answerer_party: Text = None
    department: Text = None
    addressed_to: Text = None
    date_asked: Day = None
    date_answered: Day = None
    month_filed: Text = None
    url: Text = None
    source: Text = None
    content_hash: Text = None
    # the chunk's place in its document
    ordinal: Number = 0
    header_chars: Number = 0
    body_start: Number = 0
    # dates as sortable integers (YYYYMMDD, 0: unknown): the record's day, or the month it is filed under
    date_num: Number = 0
    date_lo: Number = 0
    date_hi: Number = 0
    year: int | None = None

    @classmethod
    def from_metadata(cls, metadata: dict) -> RecordMeta:
        """The record of a chunk's stored metadata."""
        return cls.model_validate(metadata)

    @classmethod
    def of_document(cls, doc: Document) -> RecordMeta:
        """The fields of ``doc`` as the index stores them (its chunks add their place)."""
        when = doc.effective_date
        fields: dict[str, Any] = {}
        if when:
            fields.update(date_num=date_num(when), year=when.year)
        elif doc.month_filed:  # a day somewhere in that month: date filters keep it where the month overlaps them
            year, month = map(int, doc.month_filed.split("-"))
            first = date_num(date(year, month, 1))
            fields.update(month_filed=doc.month_filed, date_lo=first, date_hi=first + 30, year=year)
        return cls(
            doc_id=doc.id,
            kind=str(doc.kind),
            title=doc.display_title,
            content_hash=doc.content_hash(),
            house=str(doc.house) if doc.house else None,
            department=doc.department,
            addressed_to=doc.addressed_to,
            asker=doc.asker.name if doc.asker else None,
            asker_party=doc.asker.party if doc.asker else None,
            answerer=doc.answerer.name if doc.answerer else None,
            answerer_party=doc.answerer.party if doc.answerer else None,
            date_asked=doc.date_asked,
            date_answered=doc.date_answered,
            url=doc.url,
            uin=doc.uin,
            source=doc.source_path,
            **fields,
        )

    def stored(self) -> dict[str, str | int | float | bool]:
        """The document's fields as Chroma accepts them: no None values, dates as ISO strings and as integers."""
        meta: dict[str, str | int | float | bool] = {
            "doc_id": self.doc_id,
            "kind": self.kind or "",
            "title": self.title or "",
            "content_hash": self.content_hash or "",
        }
        for name in OPTIONAL_FIELDS:
            value = getattr(self, name)
            if value:
                meta[name] = value.isoformat() if isinstance(value, date) else value
        if self.date_num:
            meta.update(date_num=self.date_num, year=self.year or self.date_num // 10000)
        elif self.month_filed:
            meta.update(month_filed=self.month_filed, date_lo=self.date_lo, date_hi=self.date_hi)
            meta["year"] = self.year or self.date_lo // 10000
        return meta

    @property
    def given_year(self) -> int | None:
        """The year of the answer (or, failing that, the question), for dates its text gives relatively."""
        return self.dated.year if self.dated else None

    def dated_months(self) -> tuple[set[int], set[str]]:
        """The years and 'YYYY-MM' months of the question's and the answer's dates."""
        days = [d for d in (self.date_asked, self.date_answered) if d]
        return {d.year for d in days}, {f"{d.year:04d}-{d.month:02d}" for d in days}
