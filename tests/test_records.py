"""The typed record of a chunk's stored fields, and the one date format, date number and marker placement."""

from __future__ import annotations

from datetime import date

import pytest

from corpus import load_documents
from corpus.dates import date_num, long_date, month_label, parse_date
from index.chunking import Chunker, chunk_metadata
from index.records import RecordMeta
from qa.markers import MARKER, marker_numbers, place_markers, strip_markers
from qa.types import Hit, RecordFields

pytestmark = pytest.mark.unit


def test_dates_read_stored_and_shown_one_way() -> None:
    assert parse_date("2016-12-21") == date(2016, 12, 21) and parse_date("21/12/2016") is None
    assert parse_date(None) is None and parse_date(date(2016, 12, 21)) == date(2016, 12, 21)
    assert date_num(date(2016, 12, 1)) == 20161201 and date_num(None) == 0
    assert long_date(date(2016, 12, 1)) == "1 December 2016" and long_date(None, "undated") == "undated"
    assert month_label("2024-07") == "July 2024" and month_label("2024-07", short=True) == "Jul 2024"
    assert month_label("later") == "later"


def test_record_of_every_document_keeps_the_stored_format() -> None:
    for doc in load_documents()[0]:
        stored = chunk_metadata(doc)
        record = RecordMeta.from_metadata(stored)
        assert record.stored() == stored and list(record.stored()) == list(stored)
        assert record.doc_id == doc.id and record.date_answered == doc.date_answered
        assert record.date_num == date_num(doc.effective_date)


def test_a_hit_reads_its_record_once_and_anew_for_other_metadata() -> None:
    doc = next(d for d in load_documents()[0] if d.id == "002_1bcd5c0d0d33053a")
    chunk = Chunker().chunk(doc)[0]
    hit = Hit(chunk_id=chunk.id, doc_id=doc.id, score=1.0, text=chunk.text, metadata=chunk.metadata)
    assert hit.record is hit.record and hit.record.answerer == "Edward Timpson"
    assert hit.body == chunk.body and hit.title == doc.display_title
    assert hit.model_copy(update={"score": 2.0}) == hit.model_copy(update={"score": 2.0})
    assert "_record" not in hit.model_dump()
    other = hit.model_copy(update={"metadata": {**chunk.metadata, "answerer": "Someone Else"}})
    assert other.record.answerer == "Someone Else" and hit.record.answerer == "Edward Timpson"
    fields = RecordFields(**RecordFields.fields_of(chunk.metadata))
    assert fields.answered_by == "Edward Timpson" and fields.date_label() == hit.record.date_label()


def test_a_record_tolerates_what_it_does_not_know() -> None:
    record = RecordMeta.from_metadata({"doc_id": "x", "date_asked": "soon", "header_chars": None, "score": 0.5})
    assert record.date_asked is None and record.header_chars == 0 and record.date_label() == "undated"
    assert RecordMeta(doc_id="y", month_filed="2024-07").date_label() == "July 2024 (month filed)"


def test_markers_are_found_removed_and_placed_one_way() -> None:
    found = [marker_numbers(m) for m in MARKER.finditer("It rose [1]. It fell [2, 3][4].")]
    assert found == [[1], [2, 3], [4]]
    assert strip_markers("It rose [1]. It fell [2; 3].") == "It rose. It fell."
    assert place_markers("It rose by 5%.", [1, 2]) == "It rose by 5% [1][2]."
    assert place_markers("Did it rise? ", []) == "Did it rise?" and place_markers("No stop", [3]) == "No stop [3]"
    html = place_markers("It rose!", [1], lambda n: f"<a>{n}</a>", lambda s: s.replace("!", "&#33;"))
    assert html == "It rose <a>1</a>&#33;"
