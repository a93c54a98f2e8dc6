"""Search, timelines and exports: small fixed inputs for our own logic, then the real index of the default corpus
(real embeddings, real Chroma, real BM25) and a sample of the shared Commons file."""

from __future__ import annotations

import csv
import io
import json
from datetime import date

import pytest
from conftest import CORPUS_DIR, EIF_DOC, shared_sample_lines
from langchain_core.embeddings import DeterministicFakeEmbedding
from langchain_core.language_models.fake_chat_models import FakeListChatModel
from typer.testing import CliRunner

from corpus.loader import LoadReport, iter_documents
from corpus.types import OPEN_PARLIAMENT_LICENCE
from qa.context import SentenceVectors
from qa.export import export_answer, export_search, export_timeline, md_escape, quotation
from qa.search import ParsedQuery, snippet
from qa.timeline import GOVERNMENT_CHANGE, months_between, summarise, summary_entries
from qa.types import (
    Answer,
    Citation,
    Hit,
    SearchPage,
    SearchResult,
    Span,
    Timeline,
    TimelineEntry,
    TimelineMonth,
)

OFFENCES_DOC = "002_1bcd5c0d0d33053a"


def _marked(text: str, spans: list[Span]) -> list[str]:
    return [text[s.start : s.end] for s in spans]


# our own logic, on small fixed inputs ---------------------------------------------------------------------------
def test_query_reading():
    assert ParsedQuery.of('kinship "special guardianship" care') == ParsedQuery(
        words="kinship care", phrases=("special guardianship",)
    )
    assert ParsedQuery.of("“Support Fund”").phrases == ("support fund",)
    assert ParsedQuery.of("HL1234").uin == "HL1234"
    assert ParsedQuery.of(" uin: 98765 ").uin == "98765"
    assert ParsedQuery.of("98765 children").uin is None
    assert ParsedQuery.of("   ").is_empty


def test_snippet_marks_the_query_words_by_stem():
    text = "The fund opened in 2015. Kinship carers were supported by the funding, as were adopters. It closed."
    shown, marks, held = snippet(text, frozenset({"kinship", "carer", "fund"}), ())
    assert shown.startswith("…Kinship carers") and shown.endswith("…")
    assert _marked(shown, marks) == ["Kinship", "carers", "funding"]
    assert held == 3
    shown, marks, _ = snippet(text, frozenset(), ("kinship carers were",))
    assert _marked(shown, marks) == ["Kinship carers were"]


def test_a_long_sentence_is_cut_around_its_first_match_on_word_boundaries():
    text = " ".join(["word"] * 150) + " kinship " + " ".join(["more"] * 150) + "."
    shown, marks, _ = snippet(text, frozenset({"kinship"}), ())
    assert len(shown) <= 302 and shown.startswith("…word ") and shown.endswith("more…")
    assert _marked(shown, marks) == ["kinship"]


def test_months_between_spans_years():
    assert months_between("2024-11", "2025-02") == ["2024-11", "2024-12", "2025-01", "2025-02"]
    assert months_between("2025-03", "2025-03") == ["2025-03"]


def _entry(doc: str, day: date, score: float, quote: str = "", **fields) -> TimelineEntry:
    return TimelineEntry(doc_id=doc, title=doc, date_answered=day, score=score, quote=quote, **fields)


def test_summary_sources_are_spread_over_the_range():
    entries = [_entry(f"d{i}", date(2024, 1 + i % 12, 1), score=float(i % 3)) for i in range(12)]
    timeline = Timeline(query="x", months=[TimelineMonth(month="m", label="m", entries=entries)])
    chosen = summary_entries(timeline, 4)
    assert len(chosen) == 4
    positions = [entries.index(e) for e in chosen]
    assert positions == sorted(positions) and positions[0] < 3 and positions[-1] >= 9


HOSTILE = 'Fund <script>alert(1)</script> [click](http://evil) | *bold* "quoted", commas'


def _hostile_page() -> SearchPage:
    result = SearchResult(
        doc_id="doc-1",
        title=HOSTILE,
        question="What, if anything, is planned?\nA second line.",
        asked_by="A Member",
        answered_by="A Minister",
        department="Department for Education",
        date_asked=date(2025, 1, 2),
        date_answered=date(2025, 1, 9),
        url="https://questions-statements.parliament.uk/written-questions/detail/2025-01-02/1/",
        snippet=HOSTILE,
        highlights=[Span(start=0, end=4)],
        licence=OPEN_PARLIAMENT_LICENCE,
    )
    return SearchPage(query="fund", total=1, results=[result])


def test_csv_export_round_trips_with_the_csv_module():
    page = _hostile_page()
    rows = list(csv.DictReader(io.StringIO(export_search(page, "csv"))))
    assert len(rows) == 1
    for column in ("doc_id", "title", "asked_by", "answered_by", "department", "date_asked", "date_answered", "url"):
        value = getattr(page.results[0], column)
        assert rows[0][column] == (value.isoformat() if isinstance(value, date) else value)
    assert rows[0]["snippet"] == HOSTILE and rows[0]["question"].endswith("A second line.")
    assert rows[0]["licence"] == OPEN_PARLIAMENT_LICENCE


def test_json_export_validates_against_the_records():
    page = _hostile_page()
    assert SearchPage.model_validate_json(export_search(page, "json")) == page


def test_markdown_export_escapes_corpus_text():
    text = export_search(_hostile_page(), "md")
    assert "<script>" not in text and "[click](http://evil)" not in text and "*bold*" not in text
    assert "\\<script\\>" in text and "\\[click\\]" in text
    assert "<https://questions-statements.parliament.uk/written-questions/detail/2025-01-02/1/>" in text
    assert md_escape("a\nb") == "a b"
    with pytest.raises(ValueError, match="export format"):
        export_search(_hostile_page(), "xlsx")


def _citation(**fields) -> Citation:
    values = {
        "marker": 1,
        "doc_id": "d",
        "title": "Children: Protection",
        "kind": "written question",
        "answered_by": "Edward Timpson",
        "answerer_party": "Conservative",
        "date_answered": date(2016, 12, 21),
        "url": "https://example.org/q/1",
        "passage": "p",
        "quote": "The guidance is\n crystal clear.",
    }
    return Citation(**{**values, **fields})


def test_quotation_carries_the_full_reference():
    assert quotation(_citation()) == (
        "“The guidance is crystal clear.” — Edward Timpson (Conservative), answer to a written question, "
        "21 December 2016, https://example.org/q/1"
    )
    statement = quotation(_citation(kind="written statement", answerer_party=None, url=None))
    assert statement.endswith("Edward Timpson, written ministerial statement, 21 December 2016, Children: Protection")


def test_answer_export_has_a_row_per_citation():
    answer = Answer(question="Who?", standalone_question="Who?", text="He did [1].", citations=[_citation()])
    rows = list(csv.DictReader(io.StringIO(export_answer(answer, "csv"))))
    assert [r["question_asked"] for r in rows] == ["Who?"] and rows[0]["quote"] == "The guidance is\n crystal clear."
    assert Answer.model_validate_json(export_answer(answer, "json")).citations[0].answerer_party == "Conservative"
    assert "Edward Timpson (Conservative), answer to a written question" in export_answer(answer, "md")


def _hit(doc: str, text: str, day: str) -> Hit:
    meta = {"doc_id": doc, "title": doc, "answerer": "A Minister", "date_answered": day, "header_chars": 0}
    return Hit(chunk_id=f"{doc}:0", doc_id=doc, score=1.0, text=text, metadata=meta)


def test_summary_keeps_only_sentences_its_cited_quotes_state():
    texts = ["The fund gave £5,000 per child in 2024.", "The fund now gives £3,000 per child, from April 2025."]
    hits = [_hit("a", texts[0], "2024-05-01"), _hit("b", texts[1], "2025-05-01")]
    entries = [_entry("a", date(2024, 5, 1), 1.0, texts[0]), _entry("b", date(2025, 5, 1), 1.0, texts[1])]
    scripted = FakeListChatModel(
        responses=["In 2024 the fund gave £5,000 per child [1]. In 2025 it gave £9,000 per child to every family [2]."]
    )
    summary = summarise("the fund", entries, hits, SentenceVectors(DeterministicFakeEmbedding(size=16)), scripted, "x")
    assert not summary.refused
    assert "£5,000" in summary.text and "£9,000" not in summary.text
    assert [d.text for d in summary.dropped] == ["In 2025 it gave £9,000 per child to every family."]
    assert [c.doc_id for c in summary.citations] == ["a"]


def test_a_summary_the_model_declines_is_a_refusal():
    hits = [_hit("a", "Nothing here.", "2024-05-01")]
    entries = [_entry("a", date(2024, 5, 1), 1.0, "Nothing here.")]
    scripted = FakeListChatModel(responses=["NOT_IN_CORPUS"])
    summary = summarise("x", entries, hits, SentenceVectors(DeterministicFakeEmbedding(size=16)), scripted, "x")
    assert summary.refused and not summary.text


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
    assert months == sorted(months) and timeline.total == sum(len(m.entries) for m in timeline.months)
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
    assert len(rows) == timeline.shown and {r["month"] for r in rows} == {m.month for m in timeline.months}
    assert "## July 2015" in export_timeline(timeline, "md")


def test_the_search_and_timeline_commands(default_settings):
    from parlqa.cli import app

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
