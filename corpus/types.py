"""Domain types of the corpus: a parliamentary document and the people in it."""

from __future__ import annotations

import hashlib
import json
from datetime import date
from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

OPEN_PARLIAMENT_LICENCE = "Contains Parliamentary information licensed under the Open Parliament Licence v3.0."
MYSOCIETY_SOURCE = "written_questions_commons"  # the shared Commons file, republished by mySociety
MYSOCIETY_ATTRIBUTION = "UK Parliament / mySociety (CC-BY-4.0)."


def licence_of(source: str | None) -> str:
    """The attribution a reuse of a record read from ``source`` must carry."""
    if source and MYSOCIETY_SOURCE in source:
        return f"{OPEN_PARLIAMENT_LICENCE} {MYSOCIETY_ATTRIBUTION}"
    return OPEN_PARLIAMENT_LICENCE


class DocumentKind(StrEnum):
    WRITTEN_QUESTION = "written question"
    WRITTEN_STATEMENT = "written statement"
    OTHER = "document"


class House(StrEnum):
    COMMONS = "Commons"
    LORDS = "Lords"


class Member(BaseModel):
    """A member of either House, as named in the source."""

    model_config = ConfigDict(frozen=True)

    name: str
    party: str | None = None
    mnis_id: int | None = None

    def label(self) -> str:
        return f"{self.name} ({self.party})" if self.party else self.name


LATER_FIELDS = ("month_filed",)


class Document(BaseModel):
    """One written question with its answer, or one written statement. Unknown fields stay None."""

    model_config = ConfigDict(frozen=True)

    id: str
    kind: DocumentKind
    title: str | None = None
    house: House | None = None
    date_asked: date | None = None
    asker: Member | None = None
    department: str | None = None
    addressed_to: str | None = None
    question: str | None = None
    answerer: Member | None = None
    date_answered: date | None = None
    month_filed: str | None = Field(
        None, pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="'2024-07': the month an undated record is filed under."
    )
    answer: str
    source_path: str | None = None
    url: str | None = None
    uin: str | None = None
    licence: str = OPEN_PARLIAMENT_LICENCE

    @property
    def effective_date(self) -> date | None:
        """The date the text was given (answered), else the date asked."""
        return self.date_answered or self.date_asked

    @property
    def display_title(self) -> str:
        """The title, or the opening of the question when the source gives none."""
        if self.title:
            return self.title
        text = (self.question or self.answer).strip()
        return text if len(text) <= 80 else text[:77].rstrip() + "..."

    def content_hash(self) -> str:
        """A short hash of everything that reaches the index, so any edit is seen."""
        # fields added later count only when set, so that documents without them keep the hash they had
        later = {name for name in LATER_FIELDS if getattr(self, name) is None}
        payload = json.dumps(self.model_dump(mode="json", exclude={"source_path", *later}), sort_keys=True)
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]

    def source_name(self) -> str:
        return Path(self.source_path).name if self.source_path else self.id
