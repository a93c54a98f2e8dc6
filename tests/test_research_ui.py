"""The Search and Timeline tabs: rendering units (hostile corpus text stays text, marks land on the matched words),
then a real headless Chromium over the default corpus, and the chat's downloads of its last answer."""

from __future__ import annotations

import csv
import html
import io
import json
import os
from datetime import date
from pathlib import Path

import pytest
from fixtures.browser import chromium_context
from fixtures.processes import free_port

from qa.types import (
    AnswerSentence,
    ChartMark,
    Citation,
    DocumentRecord,
    FacetCount,
    MonthCount,
    SearchPage,
    SearchResult,
    Span,
    Timeline,
    TimelineEntry,
    TimelineMonth,
    TimelineSummary,
)
from ui import render_research as rr

REPO = Path(__file__).resolve().parents[1]
HOSTILE = '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2"> [l](javascript:alert(1))'


# rendering units -----------------------------------------------------------------------------------------


def _result(**fields) -> SearchResult:
    values = {
        "doc_id": "doc-1",
        "title": "Children: Protection",
        "kind": "written question",
        "house": "Commons",
        "asked_by": "Ann Asker",
        "asker_party": "Labour",
        "answered_by": "Ben Answerer",
        "department": "Department for Tests",
        "date_asked": date(2016, 12, 13),
        "date_answered": date(2016, 12, 21),
        "url": "https://questions-statements.parliament.uk/written-questions/detail/2016-12-13/57215",
        "snippet": "The fund gave £5 million to children's services.",
        "highlights": [Span(start=28, end=36)],
    }
    values.update(fields)
    return SearchResult(**values)


@pytest.mark.unit
def test_marked_escapes_around_and_inside_the_marks():
    text = "<b>children</b> & children"
    out = rr.marked(text, [Span(start=3, end=11), Span(start=18, end=26)])
    assert out == "&lt;b&gt;<mark>children</mark>&lt;/b&gt; &amp; <mark>children</mark>"
    hostile = "<script>x</script> fund"
    out = rr.marked(hostile, [Span(start=19, end=23)])
    assert "<script>" not in out and out.endswith("<mark>fund</mark>")


@pytest.mark.unit
def test_marked_skips_overlapping_and_out_of_range_spans():
    out = rr.marked(
        "abcdef", [Span(start=4, end=99), Span(start=0, end=2), Span(start=1, end=3), Span(start=9, end=12)]
    )
    assert out == "<mark>ab</mark>cd<mark>ef</mark>"
    assert rr.marked("plain", []) == "plain"


@pytest.mark.unit
def test_result_marks_the_matched_words_and_escapes_hostile_fields():
    out = rr.result_html(_result())
    assert "<mark>children</mark>&#39;s services" in out
    assert "<h4>Children&#58; Protection</h4>" in out
    assert "Ben Answerer" in out and "Department for Tests" in out and "21 December 2016" in out
    link = 'href="https://questions-statements.parliament.uk/written-questions/detail/2016-12-13/57215"'
    assert link in html.unescape(out) and 'target="_blank" rel="noopener noreferrer"' in out

    hostile = rr.result_html(
        _result(
            title=HOSTILE, asked_by=HOSTILE, snippet=HOSTILE, highlights=[Span(start=8, end=14)], url="javascript:x"
        )
    )
    assert "<script>" not in hostile and "<img" not in hostile and "onerror=" not in hostile
    assert "&lt;script&gt;" in hostile and "<mark>window</mark>" in hostile
    assert "href" not in hostile and "No official link" in hostile


@pytest.mark.unit
def test_full_answer_opens_with_link_and_licence():
    doc = DocumentRecord(
        doc_id="doc-1",
        title="T",
        question="To ask about <b>funds</b>.",
        answer="First paragraph <i>x</i>.\n\nSecond paragraph.",
        url="https://example.org/q/1",
        licence="Contains Parliamentary information licensed under the Open Parliament Licence v3.0.",
    )
    out = rr.result_html(_result(question="To ask about <b>funds</b>."), doc)
    full = out.split('<details class="pq-full">')[1]
    assert full.count("<p>") == 2 and "&lt;i&gt;x&lt;/i&gt;" in full
    assert "Open Parliament Licence" in full and 'href="https://example.org/q/1"' in html.unescape(full)
    assert "To ask about" not in full  # the card shows the question already
    assert "To ask about &lt;b&gt;funds&lt;/b&gt;" in out


@pytest.mark.unit
def test_results_page_summary_and_facets():
    page = SearchPage(query="x", page=2, page_size=20, total=273)
    assert rr.page_summary(page) == "page 2 of 14 · 273 answers"
    assert rr.page_summary(SearchPage(query="x", total=1)) == "page 1 of 1 · 1 answer"
    assert rr.page_summary(SearchPage(query="x")) == "No answers match."
    assert "No answers match this search" in rr.results_html(SearchPage(query="x"))
    assert rr.facet_choices([FacetCount(value="<b>Dept</b>", count=1234)]) == [("<b>Dept</b> (1,234)", "<b>Dept</b>")]
    quoted = rr.results_html(SearchPage(query='"a <b>"', total=1, phrases=["a <b>"], results=[_result()]))
    assert "“a &lt;b&gt;”" in quoted


def _timeline(first: str = "2024-05", months: int = 4, label: str = "Change of government, 5 July 2024") -> Timeline:
    year, month = (int(x) for x in first.split("-"))
    keys = [f"{year + (month - 1 + i) // 12}-{(month - 1 + i) % 12 + 1:02d}" for i in range(months)]
    entry = TimelineEntry(
        doc_id="doc-1",
        title=HOSTILE,
        answered_by="Ben <Answerer>",
        department="Department for Tests",
        date_answered=date(year, month, 9),
        url="https://example.org/q/1",
        quote="We said <script>x</script> then.",
    )
    return Timeline(
        query="fund",
        total=2,
        shown=2,
        undated=1,
        months=[
            TimelineMonth(month=keys[0], label=rr.month_label(keys[0]), entries=[entry]),
            TimelineMonth(month=keys[-1], label=rr.month_label(keys[-1]), entries=[entry]),
        ],
        chart=[MonthCount(month=k, count=1 if k in (keys[0], keys[-1]) else 0) for k in keys],
        marks=[ChartMark(month="2024-07", label=label)],
    )


@pytest.mark.unit
def test_chart_draws_every_month_and_the_change_of_government():
    timeline = _timeline()
    svg = html.unescape(rr.chart_svg(timeline.chart, timeline.marks))
    assert svg.count('<rect class="pq-bar"') == 4
    assert '<g class="pq-mark" data-month="2024-07">' in svg and "Change of government, 5 July 2024" in svg
    assert "<title>May 2024: 1 answer</title>" in svg and "<title>June 2024: 0 answers</title>" in svg
    assert ">Jul 2024</text>" in svg  # a short range labels every month
    hostile = rr.chart_svg(timeline.chart, [ChartMark(month="2024-07", label=HOSTILE)])
    assert "<script>" not in hostile and "<img" not in hostile
    earlier = _timeline("2015-01", 30)
    assert 'class="pq-mark"' not in rr.chart_svg(earlier.chart, earlier.marks)  # the range does not span it
    ticks = rr.chart_svg(earlier.chart)
    assert ">2016</text>" in ticks and ">2017</text>" in ticks and ">Feb 2015</text>" not in ticks


@pytest.mark.unit
def test_timeline_lists_months_with_escaped_quotes():
    out = rr.timeline_html(_timeline())
    assert "<script>" not in out and "<img" not in out
    out = html.unescape(out)
    assert out.index("<svg") < out.index('class="pq-month"')  # the chart above the list
    assert out.count('<section class="pq-month"') == 2 and "May 2024" in out and "August 2024" in out
    assert "9 May 2024" in out and "Ben <Answerer>" in out
    assert "“We said <script>x</script> then.”" in out  # as text, once unescaped
    assert "1 answer without a date left off" in out
    assert "No dated answers" in rr.timeline_html(Timeline(query="x", undated=2))


@pytest.mark.unit
def test_summary_cites_its_own_source_cards():
    citation = Citation(
        marker=1,
        doc_id="doc-1",
        title="<b>T</b>",
        answered_by="Ben Answerer",
        date_answered=date(2024, 5, 9),
        passage="Before. We said it. After.",
        quote="We said it.",
    )
    summary = TimelineSummary(
        text="The position changed [1].",
        sentences=[AnswerSentence(text="The position <em>changed</em>.", markers=[1])],
        citations=[citation],
        model="tiny",
    )
    out = rr.summary_html(summary)
    assert 'href="#tl-source-1"' in out and 'id="tl-source-1"' in out and 'id="source-1"' not in out
    assert "&lt;em&gt;changed&lt;/em&gt;" in out and "&lt;b&gt;T&lt;/b&gt;" in out
    assert "pq-refusal" in rr.summary_html(TimelineSummary(refused=True))
    assert rr.summary_html(None) == "" and "Summarising" in rr.summary_html(None, pending=True)
    placed = rr.timeline_html(_timeline(), out)
    assert placed.index("<svg") < placed.index('class="pq-summary"') < placed.index('class="pq-month"')


@pytest.mark.unit
def test_answer_exports_and_quotations():
    from test_ui import _answer

    from ui import research

    *buttons, quotes = research.answer_exports(_answer("What did the fund give?"))
    assert quotes.startswith("[1] “The fund gave £5 million.” — Ben Answerer")
    paths = [b.value["path"] for b in buttons]
    assert [Path(p).suffix for p in paths] == [".csv", ".json", ".md"]
    rows = list(csv.DictReader(io.StringIO(Path(paths[0]).read_text(encoding="utf-8"))))
    assert rows[0]["quote"] == "The fund gave £5 million." and rows[0]["licence"]
    assert json.loads(Path(paths[1]).read_text(encoding="utf-8"))["citations"][0]["marker"] == 1
    *empty, none = research.answer_exports(None)
    assert none == "" and all(b.value is None and b.interactive is False for b in empty)


@pytest.mark.unit
def test_year_facet_reads_back_from_the_dates():
    from ui.research import _year_of

    assert _year_of("2016-01-01", "2016-12-31") == "2016"
    assert _year_of("2016-01-01", "2017-12-31") is None and _year_of("", "") is None


# the tabs in a real Chromium -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def chromium(tmp_path_factory):
    with chromium_context(tmp_path_factory.mktemp("chromium-research"), accept_downloads=True) as context:
        yield context


@pytest.fixture(scope="module")
def research_app(default_settings):
    from ui.app import launch

    demo = launch(default_settings, port=free_port(), block=False, quiet=True)
    yield demo.local_url
    demo.close()


def _open_tab(chromium, url: str, name: str):
    page = chromium.new_page()
    page.goto(url)
    page.wait_for_selector("#pq-status .pq-status-ok", timeout=60_000)
    page.get_by_role("tab", name=name).click()
    return page


def _summary_is(page, text: str) -> None:
    page.wait_for_function(
        "t => (document.querySelector('#pq-search-summary')?.innerText || '').includes(t)", arg=text, timeout=30_000
    )


def _downloaded(page, selector: str) -> str:
    with page.expect_download(timeout=30_000) as info:
        page.locator(selector).click()
    return Path(info.value.path()).read_text(encoding="utf-8")


def _shot(page, name: str, tmp_path: Path) -> Path:
    """docs/<name> when PARLQA_SCREENSHOT is set (refreshing the README's pictures), else a temporary file."""
    folder = REPO / "docs" if os.environ.get("PARLQA_SCREENSHOT") else tmp_path
    path = folder / name
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000
    return path


@pytest.mark.browser
def test_search_tab_narrows_opens_and_downloads(chromium, research_app, tmp_path):
    page = _open_tab(chromium, research_app, "Search")
    results = page.locator("#pq-search-results .pq-result")
    _summary_is(page, "page 1 of 1 · 5 answers")  # opening the tab lists every answer
    assert results.count() == 5

    box = page.locator("#pq-search-query textarea, #pq-search-query input").first
    box.fill("children")
    box.press("Enter")
    page.wait_for_selector("#pq-search-results mark", timeout=30_000)
    _summary_is(page, "5 answers")
    assert all(m.lower().startswith("children") for m in page.locator("#pq-search-results mark").all_inner_texts())

    first = results.first
    first.locator(".pq-full summary").click()
    full = first.locator(".pq-doc")
    assert full.is_visible() and "Open Parliament Licence" in full.inner_text()
    assert len(full.locator(".pq-doc-answer").inner_text()) > len(first.locator(".pq-snippet").inner_text())
    shot = _shot(page, "search.png", tmp_path)

    page.locator("#pq-facet-answerer").get_by_text("Edward Timpson (2)").click()
    _summary_is(page, "2 answers")
    assert results.count() == 2 and all("Edward Timpson" in t for t in results.all_inner_texts())
    page.locator("#pq-search-filters").get_by_text("Filters").first.click()
    assert page.locator("#pq-search-ans textarea, #pq-search-ans input").first.input_value() == "Edward Timpson"

    page.locator("#pq-facet-year").get_by_text("2016 (1)").click()
    _summary_is(page, "1 answer")
    assert "21 December 2016" in results.first.inner_text()
    assert page.locator("#pq-search-since textarea, #pq-search-since input").first.input_value() == "2016-01-01"
    rows = list(csv.DictReader(io.StringIO(_downloaded(page, "#pq-search-export-csv"))))
    assert [r["date_answered"] for r in rows] == ["2016-12-21"] and rows[0]["licence"]

    page.locator("#pq-facets-clear").click()
    _summary_is(page, "5 answers")
    exported = json.loads(_downloaded(page, "#pq-search-export-json"))
    assert exported["total"] == 5 and len(exported["results"]) == 5
    assert "## Children" in _downloaded(page, "#pq-search-export-md")

    box.fill('"no such phrase anywhere"')
    box.press("Enter")
    _summary_is(page, "No answers match.")
    assert page.locator("#pq-search-results .pq-empty").count() == 1
    page.close()
    print(f"\nscreenshot: {shot}")


@pytest.mark.browser
def test_timeline_tab_shows_chart_and_months(chromium, research_app, tmp_path):
    page = _open_tab(chromium, research_app, "Timeline")
    box = page.locator("#pq-timeline-subject textarea, #pq-timeline-subject input").first
    box.fill("children")
    box.press("Enter")
    page.wait_for_selector("#pq-timeline .pq-month", timeout=30_000)
    months = page.locator("#pq-timeline .pq-month h3").all_inner_texts()
    assert [m.split(" answer")[0].rsplit(" ", 1)[0] for m in months] == [
        "July 2015",
        "December 2016",
        "January 2018",
        "March 2022",
    ]
    bars = page.locator("#pq-timeline svg rect.pq-bar")
    assert bars.count() == 81  # every month from July 2015 to March 2022
    assert page.locator("#pq-timeline svg").bounding_box()["height"] > 100
    assert page.locator("#pq-timeline svg .pq-mark").count() == 0  # the range ends before July 2024
    entry = page.locator("#pq-timeline .pq-entry").nth(1)
    assert "21 December 2016" in entry.inner_text() and "Edward Timpson" in entry.inner_text()
    assert entry.locator(".pq-quote").inner_text().startswith("“")
    timeline = Timeline.model_validate_json(_downloaded(page, "#pq-timeline-export-json"))
    assert [m.month for m in timeline.months] == ["2015-07", "2016-12", "2018-01", "2022-03"]

    page.locator("#pq-timeline-summarise").get_by_text("Summarise").click()
    box.press("Enter")
    page.wait_for_selector("#pq-timeline .pq-summary .pq-answer, #pq-timeline .pq-summary .pq-refusal", timeout=300_000)
    summary = page.locator("#pq-timeline .pq-summary")
    assert page.locator("#pq-timeline svg").count() == 1 and page.locator("#pq-timeline .pq-month").count() == 4
    if summary.locator(".pq-refusal").count() == 0:  # the tiny model may write nothing the answers state
        marker = summary.locator("a.pq-cite").first
        card = page.locator(f"#pq-timeline {marker.get_attribute('href')}")
        assert not card.is_visible()  # the cited answers are folded away until a marker is clicked
        marker.click()
        card.wait_for(state="visible", timeout=5_000)
        assert card.locator("mark").count() >= 1
        page.locator("#pq-timeline .pq-summary-sources > summary").click()  # fold them again for the picture
    shot = _shot(page, "timeline.png", tmp_path)
    print(f"\nscreenshot: {shot}")
    page.close()


@pytest.mark.browser
def test_chat_downloads_and_quotes_the_last_answer(chromium, tmp_path):
    from test_ui import ScriptedAssistant

    from parlqa.settings import Settings
    from ui.app import launch

    fake = ScriptedAssistant(Settings(data_dir=tmp_path, model="tiny"))
    demo = launch(assistant=fake, port=free_port(), block=False, quiet=True)
    try:
        page = chromium.new_page()
        page.goto(demo.local_url)
        page.wait_for_selector("#pq-status .pq-status-ok", timeout=60_000)
        box = page.locator("#pq-question textarea")
        box.fill("What did the fund give?")
        box.press("Enter")
        page.wait_for_selector("#pq-chat [data-testid=bot] .pq-meta", timeout=60_000)
        page.locator("#pq-export").get_by_text("Download or quote the last answer").click()
        quotes = page.locator("#pq-quotation textarea")
        page.wait_for_function("() => document.querySelector('#pq-quotation textarea')?.value.length > 0")
        assert quotes.input_value().startswith("[1] “The fund gave £5 million.” — Ben Answerer")
        assert "https://example.org/q/1" in quotes.input_value()
        text = _downloaded(page, "#pq-chat-export-md")
        assert text.startswith("# What did the fund give?") and "Ben Answerer" in text
        page.locator("#pq-clear").click()
        page.wait_for_function("() => document.querySelector('#pq-quotation textarea')?.value === ''")
        page.close()
    finally:
        demo.close()
