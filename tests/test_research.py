"""Search, timelines and exports over the real index of the default corpus (real embeddings, real Chroma, real
BM25, the real tiny model) and over a sample of the shared Commons file."""

from __future__ import annotations

import csv
import io
import json

import pytest
from conftest import CORPUS_DIR, EIF_DOC, shared_sample_lines
from typer.testing import CliRunner

from corpus.loader import LoadReport, iter_documents
from qa.export import export_search, export_timeline
from qa.timeline import GOVERNMENT_CHANGE, months_between
from qa.types import (
    SearchPage,
    Span,
    Timeline,
)

OFFENCES_DOC = "002_1bcd5c0d0d33053a"


def _marked(text: str, spans: list[Span]) -> list[str]:
    return [text[s.start : s.end] for s in spans]


# the real index of the default corpus ---------------------------------------------------------------------------
def _corpus_answers() -> dict[str, str]:
    return {d.id: d.answer for d in iter_documents([CORPUS_DIR], LoadReport())}


def test_search_holds_every_word_and_counts_facets_over_all_results(assistant):
    found = assistant.search("social workers", page_size=1)
    assert found.total == 3 and len(found.results) == 1 and found.pages == 3
    everything = assistant.search("social workers", page_size=50)
    answers = _corpus_answers()
    for result in everything.results:
        text = (answers[result.doc_id] + (result.question or "") + result.title).lower()
        assert "social" in text and "worker" in text
        assert {"social", "workers"} & {m.lower() for m in _marked(result.snippet, result.highlights)}
    assert sum(f.count for f in found.facets.house) == 2  # the written statement has no house
    assert {f.value: f.count for f in found.facets.department} == {
        "Department for Education": 2,
        "Department for Children, Schools and Families": 1,
    }
    assert assistant.search("social workers zebra").total == 0


def test_search_sorts_and_pages(assistant):
    newest = assistant.search("", sort="newest", page_size=50).results
    dated = [r.dated for r in newest if r.dated]
    assert dated == sorted(dated, reverse=True) and newest[-1].dated is None  # undated last
    oldest = [r.dated for r in assistant.search("", sort="oldest", page_size=50).results if r.dated]
    assert oldest == sorted(oldest)
    pages = [assistant.search("children", sort="newest", page=p, page_size=2).results for p in (1, 2, 3)]
    ids = [r.doc_id for page in pages for r in page]
    assert len(ids) == len(set(ids)) == assistant.search("children").total
    with pytest.raises(ValueError, match="sort"):
        assistant.search("children", sort="best")
    with pytest.raises(ValueError, match="page_size"):
        assistant.search("children", page_size=0)


def test_phrases_and_filters(assistant):
    found = assistant.search('"Early Intervention Foundation"')
    assert [r.doc_id for r in found.results] == [EIF_DOC] and found.phrases == ["early intervention foundation"]
    assert _marked(found.results[0].snippet, found.results[0].highlights)[0].lower() == "early intervention foundation"
    assert assistant.search('"Foundation Early Intervention"').total == 0
    education = assistant.search("", {"department": "education"}, page_size=50)
    assert education.total == 3 and all(r.department == "Department for Education" for r in education.results)
    assert education.sort == "newest"  # a listing has no relevance
    timpson = assistant.search("", {"answerer": "Timpson", "until": "2015-12-31"})
    assert [r.doc_id for r in timpson.results] == [OFFENCES_DOC]
    assert assistant.search("", {"asker": "Allin-Khan"}).results[0].doc_id == EIF_DOC


def test_a_document_is_put_back_together_from_its_passages(assistant):
    answers = _corpus_answers()
    for doc_id, text in answers.items():
        record = assistant.document(doc_id)
        assert record is not None and " ".join(record.answer.split()) == " ".join(text.split())
    assert assistant.document("no-such-document") is None


def test_timeline_groups_by_month_oldest_first(assistant):
    timeline = assistant.timeline("children")
    months = [m.month for m in timeline.months]
    placed = sum(len(e.duplicates) + 1 for m in timeline.months for e in m.entries)
    assert months == sorted(months) and timeline.total == timeline.shown == placed
    assert timeline.undated == 1  # the written statement carries no date
    chart = [c.month for c in timeline.chart]
    assert chart == months_between(months[0], months[-1]) and sum(c.count for c in timeline.chart) == timeline.total
    for month in timeline.months:
        assert all(e.dated and f"{e.dated:%Y-%m}" == month.month for e in month.entries)
        assert all(e.quote and e.quote in _corpus_answers()[e.doc_id] for e in month.entries)
    assert timeline.marks == []  # 2015–2018: the July 2024 change is outside the range
    assert GOVERNMENT_CHANGE.month == "2024-07"
    limited = assistant.timeline("children", limit=1)
    assert limited.shown == 1 and limited.total == timeline.total
    with pytest.raises(ValueError, match="subject"):
        assistant.timeline("  ")


def test_timeline_summary_cites_only_its_answers(assistant):
    timeline = assistant.timeline("children social care", summary=True)
    summary = timeline.summary
    assert summary is not None and summary.model == "tiny"
    on_timeline = {e.doc_id for m in timeline.months for e in m.entries}
    assert {c.doc_id for c in summary.citations} <= on_timeline
    assert all(s.markers for s in summary.sentences)
    assert bool(summary.text) != summary.refused


def test_exports_of_real_results_round_trip(assistant):
    page = assistant.search("children", page_size=50)
    rows = list(csv.DictReader(io.StringIO(export_search(page, "csv"))))
    assert [r["doc_id"] for r in rows] == [r.doc_id for r in page.results]
    assert all(r["licence"].startswith("Contains Parliamentary information") for r in rows)
    assert SearchPage.model_validate_json(export_search(page, "json")) == page
    timeline = assistant.timeline("children")
    assert Timeline.model_validate_json(export_timeline(timeline, "json")) == timeline
    rows = list(csv.DictReader(io.StringIO(export_timeline(timeline, "csv"))))
    assert len(rows) == sum(len(m.entries) for m in timeline.months)
    assert {r["month"] for r in rows} == {m.month for m in timeline.months}
    assert "## July 2015" in export_timeline(timeline, "md")


def test_the_search_and_timeline_commands(default_settings):
    from cli.main import app

    runner = CliRunner()
    data = ["--data-dir", str(default_settings.data_dir)]
    shown = runner.invoke(app, ["search", "social workers", "--format", "json", "--sort", "newest", *data])
    assert shown.exit_code == 0, shown.output
    payload = json.loads(shown.stdout)
    assert payload["total"] == 3 and set(payload) >= {"total", "facets", "results"}
    first = payload["results"][0]
    assert set(first) >= {"doc_id", "title", "asked_by", "answered_by", "department", "date_asked", "date_answered"}
    assert set(first) >= {"url", "snippet"}
    rows = list(
        csv.DictReader(io.StringIO(runner.invoke(app, ["search", "social workers", "--format", "csv", *data]).stdout))
    )
    assert len(rows) == 3
    table = runner.invoke(app, ["search", "social workers", *data])
    assert table.exit_code == 0 and "Offences against Children" in table.stdout
    bad = runner.invoke(app, ["search", "x", "--since", "2016-13-01", *data])
    assert bad.exit_code == 1 and "--since" in bad.stderr and "Traceback" not in bad.output
    bad = runner.invoke(app, ["search", "x", "--format", "xlsx", *data])
    assert bad.exit_code == 1 and "--format" in bad.stderr
    timeline = runner.invoke(app, ["timeline", "children", *data])
    assert timeline.exit_code == 0 and "July 2015" in timeline.stdout and "Edward Timpson" in timeline.stdout


# a sample of the shared Commons file ----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def commons_sample(tmp_path_factory):
    from index.indexer import Indexer
    from parlqa.settings import Settings
    from qa.assistant import Assistant

    lines = [line for line in shared_sample_lines(3000, step=15) if json.loads(line)["metadata_level"] == "complete"]
    folder = tmp_path_factory.mktemp("commons-sample")
    (folder / "sample.jsonl").write_text("".join(lines[:120]), encoding="utf-8")
    settings = Settings(data_dir=folder / "index", model="tiny")
    indexer = Indexer(settings)
    try:
        indexer.index([folder / "sample.jsonl"])
    finally:
        indexer.close()
    return Assistant(settings, auto_index=False), [json.loads(line) for line in lines[:120]]


@pytest.mark.slow
def test_shared_file_search_by_uin_department_and_year(commons_sample):
    bot, records = commons_sample
    record = next(r for r in records if r.get("uin"))
    found = bot.search(str(record["uin"]))
    assert found.uin == str(record["uin"]).upper() and [r.doc_id for r in found.results] == [record["id"]]
    department = records[0]["answering_body"]
    listing = bot.search("", {"department": department}, page_size=200)
    assert listing.total == sum(r["answering_body"] == department for r in records)
    year = max(r["date_answered"][:4] for r in records if r.get("date_answered"))
    in_year = bot.search("", {"since": f"{year}-01-01", "until": f"{year}-12-31"})
    assert {f.value for f in in_year.facets.year} == {year}
    everything = bot.search("", page_size=1)
    assert everything.total == len(records) and sum(f.count for f in everything.facets.house) == len(records)
    word = record["title"].split(":")[0].split()[0]
    assert all(word.lower()[:4] in (r.title + (r.question or "") + r.snippet).lower() for r in bot.search(word).results)
