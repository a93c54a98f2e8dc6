"""Search, timelines and exports: our own logic on small fixed inputs, with stand-in embeddings and chat model."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from langchain_core.embeddings import DeterministicFakeEmbedding
from langchain_core.language_models.fake_chat_models import FakeListChatModel

from corpus.types import OPEN_PARLIAMENT_LICENCE
from qa.context import SentenceVectors
from qa.export import export_answer, export_search, md_escape, quotation
from qa.search import ParsedQuery, snippet
from qa.timeline import months_between, summarise, summary_entries
from qa.types import (
    Answer,
    Citation,
    Hit,
    RecordFields,
    SearchPage,
    SearchResult,
    Span,
    Timeline,
    TimelineEntry,
    TimelineMonth,
)

pytestmark = pytest.mark.unit


def _marked(text: str, spans: list[Span]) -> list[str]:
    return [text[s.start : s.end] for s in spans]


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
    assert shown == "…Kinship carers were supported by the funding, as were adopters."  # a whole sentence: no "…" after
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


def test_a_record_filed_under_a_month_passes_the_filters_its_month_overlaps():
    import numpy as np

    from index.lexical import FILTER_FIELDS, ChunkColumns
    from qa.filters import chroma_where, lexical_mask
    from qa.types import Filters

    metadata = [{"date_num": 20240710}, {"month_filed": "2024-07", "date_lo": 20240701, "date_hi": 20240731}, {}]
    columns = ChunkColumns(
        ids=["a", "b", "c"],
        doc_ids=["a", "b", "c"],
        texts=["t"] * 3,
        date_num=np.array([m.get("date_num", 0) for m in metadata]),
        fields={f: np.array([""] * 3, dtype=object) for f in FILTER_FIELDS},
        metadata=metadata,
    )
    assert lexical_mask(Filters(since=date(2024, 7, 5)), columns).tolist() == [True, True, False]
    assert lexical_mask(Filters(until=date(2024, 7, 5)), columns).tolist() == [False, True, False]
    assert lexical_mask(Filters(since=date(2024, 8, 1)), columns).tolist() == [False, False, False]
    assert chroma_where(Filters(until=date(2024, 7, 5)), columns) == {
        "$or": [{"date_num": {"$lte": 20240705}}, {"date_lo": {"$lte": 20240705}}]
    }
    record = RecordFields(doc_id="b", title="b", month_filed="2024-07")
    assert record.date_label() == "July 2024 (month filed)"
    assert RecordFields(doc_id="a", title="a", date_answered=date(2024, 7, 10)).date_label() == "10 July 2024"


def test_an_undated_shared_record_keeps_the_month_it_is_filed_under():
    from corpus.jsonl_loader import RecordError, record_to_document

    base = {"id": "ukparl-wq-commons-1", "house": "Commons", "answer_text": "An answer.", "date_asked_month": "2024-07"}
    assert record_to_document(base, "x.jsonl").month_filed == "2024-07"
    dated = record_to_document({**base, "date_asked": "2024-07-03"}, "x.jsonl")
    assert dated.month_filed is None and dated.date_asked == date(2024, 7, 3)
    api = "https://questions-statements-api.parliament.uk/api/writtenquestions/questions/1"
    assert record_to_document({**base, "api_url": api}, "x.jsonl").url == api  # the only link such a record has
    with pytest.raises(RecordError, match="date_asked_month"):
        record_to_document({**base, "date_asked_month": "July"}, "x.jsonl")


def test_one_answer_given_to_several_questions_is_one_timeline_entry():
    import numpy as np

    from index.lexical import LexicalIndex
    from index.manifest import StoredChunk
    from qa.search import DocumentTable
    from qa.timeline import build_timeline

    def chunk(doc: str, day: int, text: str) -> StoredChunk:
        meta = {"doc_id": doc, "title": "Fund", "date_num": day, "date_answered": f"{day // 10000}-07-0{day % 10}"}
        return StoredChunk(id=f"{doc}:0", doc_id=doc, text=f"Fund\n{text}", metadata={**meta, "header_chars": 5})

    same = "The fund will give £50 million in 2025."
    chunks = [chunk("a", 20250701, same), chunk("b", 20250702, same), chunk("c", 20250703, "The fund is open.")]
    table = DocumentTable.build(LexicalIndex.build(chunks, generation=1))
    timeline = build_timeline(table, "fund")
    (month,) = timeline.months
    assert [(e.doc_id, e.duplicates) for e in month.entries] == [("a", ["b"]), ("c", [])]
    assert timeline.shown == 3 and np.array_equal(table.date_num, [20250701, 20250702, 20250703])


def test_a_retrieved_passage_is_widened_to_its_whole_answer_or_its_neighbours():
    from index.lexical import LexicalIndex
    from index.manifest import StoredChunk
    from qa.search import DocumentTable, widen_hits
    from qa.types import Hit

    answer = "One was set up. Two came later. Three was the last. Four was dropped."
    parts = [(0, "One was set up. Two"), (16, "Two came later."), (32, "Three was the last.")]
    parts.append((52, "Four was dropped."))

    def chunk(doc: str, ordinal: int, start: int, body: str) -> StoredChunk:
        meta = {"doc_id": doc, "title": "Fund", "ordinal": ordinal, "body_start": start, "header_chars": 5}
        return StoredChunk(id=f"{doc}:{ordinal}", doc_id=doc, text=f"Fund\n{body}", metadata=meta)

    chunks = [chunk("a", i, s, b) for i, (s, b) in enumerate(parts)] + [chunk("b", 0, 0, "Alone.")]
    table = DocumentTable.build(LexicalIndex.build(chunks, generation=1))

    def hit(chunk_id: str) -> Hit:
        stored = next(c for c in chunks if c.id == chunk_id)
        return Hit(chunk_id=chunk_id, doc_id=stored.doc_id, score=1.0, text=stored.text, metadata=stored.metadata)

    whole = table.widened(hit("a:2"), max_chars=500)
    assert whole.body == answer and whole.body_start == 0 and whole.record.title == "Fund"
    near = table.widened(hit("a:0"), max_chars=40)  # too long whole: the passage and the next
    assert near.body == "One was set up. Two came later." and near.body_start == 0
    middle = table.widened(hit("a:2"), max_chars=40)
    assert middle.body == answer[16:] and middle.body_start == 16
    assert answer[middle.body_start : middle.body_start + len(middle.body)] == middle.body
    assert table.widened(hit("b:0"), max_chars=500) == hit("b:0")  # one passage: as retrieved
    merged = widen_hits(table, [hit("a:1"), hit("b:0"), hit("a:3")], max_chars=500)
    assert [h.doc_id for h in merged] == ["a", "b"] and merged[0].body == answer
