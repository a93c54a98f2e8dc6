"""The parser on each of the five default documents, field by field."""

from __future__ import annotations

from datetime import date

import pytest

from corpus import DocumentKind, House, load_documents
from corpus.text_layouts import parse_date, parse_member

pytestmark = pytest.mark.unit


@pytest.fixture(scope="module")
def docs():
    documents, report = load_documents()
    assert report.problems == [] and report.warnings == []
    return {d.id: d for d in documents}


def test_five_documents_with_file_names_as_ids(docs):
    assert sorted(docs) == [
        "000_73a33f3ed1e0367a",
        "001_49094da6f0fad395",
        "002_1bcd5c0d0d33053a",
        "003_9e97050b9c050637",
        "004_4d3d440a68fcc51d",
    ]


def test_000_question_sheet(docs):
    d = docs["000_73a33f3ed1e0367a"]
    assert d.kind == DocumentKind.WRITTEN_QUESTION
    assert d.title == "Children: Protection"
    assert d.date_asked == date(2016, 12, 13)
    assert (d.asker.name, d.asker.party) == ("Dr Rosena Allin-Khan", "Labour")
    assert (d.answerer.name, d.answerer.party) == ("Edward Timpson", "Conservative")
    assert d.date_answered == date(2016, 12, 21)
    assert d.question is None  # the layout holds no question text
    assert d.department is None and d.url is None  # unknown stays unknown
    assert d.answer.startswith("The Government’s statutory guidance Working Together")
    assert d.answer.endswith("over the next four years.")
    assert "Open Parliament Licence" not in d.answer
    assert "Answered by" not in d.answer


def test_001_lords_page(docs):
    d = docs["001_49094da6f0fad395"]
    assert d.title == "Children: Protection"
    assert d.date_asked == date(2018, 1, 17)
    assert d.date_answered == date(2018, 1, 31)
    assert d.answerer.name == "Lord Agnew of Oulton" and d.answerer.party is None
    assert d.department == "Department for Education"
    assert d.house == House.LORDS
    assert d.question.startswith("To ask Her Majesty's Government what action")
    assert d.asker is None
    assert not d.answer.rstrip().endswith("Reticulating Splines")
    assert "Portrait" not in d.answer and "View Source" not in d.title
    assert "nearly £5 million in targeted support for children in need" in d.answer


@pytest.mark.parametrize(
    ("doc_id", "title", "asked", "answered", "answerer"),
    [
        ("002_1bcd5c0d0d33053a", "Offences against Children", date(2015, 7, 6), date(2015, 7, 14), "Edward Timpson"),
        ("003_9e97050b9c050637", "Children: Social Services", date(2022, 3, 28), date(2022, 3, 31), "Will Quince"),
    ],
)
def test_commons_pages(docs, doc_id, title, asked, answered, answerer):
    d = docs[doc_id]
    assert (d.title, d.date_asked, d.date_answered, d.answerer.name) == (title, asked, answered, answerer)
    assert d.house == House.COMMONS
    assert d.department == "Department for Education"
    assert d.question.startswith("To ask the Secretary of State for Education")
    assert "Reticulating Splines" not in d.answer


def test_004_written_statement(docs):
    d = docs["004_4d3d440a68fcc51d"]
    assert d.kind == DocumentKind.WRITTEN_STATEMENT
    assert d.answerer.name == "Ed Balls"
    assert d.department == "Department for Children, Schools and Families"
    assert d.question is None and d.asker is None
    assert d.date_answered is None and d.date_asked is None  # the text gives no date
    assert "Local Social Work Improvement Fund of £23 million" in d.answer


def test_unrecognised_layout_is_a_plain_document_with_a_warning(tmp_path):
    path = tmp_path / "my_notes.txt"
    path.write_text("Some free text about adoption support.\nSecond line.", encoding="utf-8")
    docs, report = load_documents([path])
    assert len(docs) == 1 and docs[0].kind == DocumentKind.OTHER
    assert docs[0].title == "my notes"
    assert [w.path for w in report.warnings] == [str(path)]


def test_date_and_member_helpers():
    assert parse_date("This question was answered on 31st January 2018") == date(2018, 1, 31)
    assert parse_date("no date here") is None
    assert parse_member("Edward Timpson (Conservative)").party == "Conservative"
    assert parse_member("Lord Agnew of Oulton").party is None
