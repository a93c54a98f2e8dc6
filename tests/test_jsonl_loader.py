"""The JSON Lines loader on real records of the shared Commons file, and on broken lines."""

from __future__ import annotations

import json
from datetime import date

import pytest
from conftest import shared_sample_lines

from corpus import House, load_documents
from corpus.jsonl_loader import RecordError, record_to_document

pytestmark = pytest.mark.unit


def test_shared_sample_maps_every_field(tmp_path):
    lines = shared_sample_lines(2000, step=20)
    path = tmp_path / "sample.jsonl"
    path.write_text("".join(lines), encoding="utf-8")
    docs, report = load_documents([path])
    assert report.problems == [] and len(docs) == len({json.loads(line)["id"] for line in lines})
    records = {json.loads(line)["id"]: json.loads(line) for line in lines}
    for doc in docs:
        record = records[doc.id]
        assert doc.house == House.COMMONS
        assert doc.answer == record["answer_text"].strip()
        assert doc.title == (record["title"] or None)
        assert doc.department == record["answering_body"]
        if record["answerer"] and record["answerer"]["name"]:
            assert doc.answerer.name == record["answerer"]["name"]
        else:
            assert doc.answerer is None
        if record["date_answered"]:
            assert doc.date_answered == date.fromisoformat(record["date_answered"])
        else:
            assert doc.date_answered is None
        if record["url"]:
            assert doc.url == record["url"]
    complete = [d for d in docs if records[d.id]["metadata_level"] == "complete"]
    assert complete and all(d.date_asked and d.date_answered and d.url for d in complete)
    named = [d for d in complete if (records[d.id]["asker"] or {}).get("name")]
    assert named and all(d.asker.name == records[d.id]["asker"]["name"] for d in named)


def test_url_is_built_from_date_and_uin_when_absent():
    doc = record_to_document(
        {"id": "x-1", "answer_text": "Yes.", "date_asked": "2024-01-05", "uin": "123", "house": "Commons"}, "f"
    )
    assert doc.url == "https://questions-statements.parliament.uk/written-questions/detail/2024-01-05/123"


def test_bad_records_are_named_and_skipped(tmp_path):
    path = tmp_path / "mixed.jsonl"
    good = {"id": "ok-1", "answer_text": "The answer.", "house": "Commons"}
    path.write_text(
        "\n".join(
            [
                json.dumps(good),
                "{not json",
                json.dumps([1, 2]),
                json.dumps({"id": "no-answer"}),
                json.dumps({"id": "bad-date", "answer_text": "x", "date_asked": "yesterday"}),
                json.dumps({"id": "bad-type", "answer_text": 5}),
            ]
        ),
        encoding="utf-8",
    )
    docs, report = load_documents([path])
    assert [d.id for d in docs] == ["ok-1"]
    assert len(report.warnings) == 1 and "5 bad record(s) skipped" in report.warnings[0].reason
    assert "line 2: invalid JSON" in report.warnings[0].reason


def test_record_errors_name_the_field():
    for record, field in (
        ({"id": "a"}, "answer_text"),
        ({"id": "a", "answer_text": "x", "date_answered": "13/01/2024"}, "date_answered"),
        ({"id": "a", "answer_text": "x", "asker": 7}, "asker"),
        ({"id": "a", "answer_text": "x", "house": "Senate"}, "house"),
    ):
        try:
            record_to_document(record, "f")
        except RecordError as exc:
            assert field in str(exc)
        else:
            raise AssertionError(f"{record} should fail on {field}")
