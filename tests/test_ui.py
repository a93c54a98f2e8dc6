"""The Gradio chat: HTML rendering units, then a real headless Chromium against the served page.

The browser tests run twice over: against a scripted assistant (fast: follow-ups, filters, errors, flags) and
against the real one with the tiny model over the default corpus plus a hostile document.
"""

from __future__ import annotations

import os
import shutil
import time
from datetime import date
from pathlib import Path

import pytest
from fixtures.browser import chromium_context
from fixtures.processes import free_port

from parlqa.settings import Settings
from qa.models import ModelNotInstalledError
from qa.prompts import DROPPED_NOTE
from qa.types import Answer, AnswerSentence, Citation, ExtractSentence, Filters, Quote, StreamEvent
from ui import render
from ui.forms import form_filters, json_filters

REPO = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "ui_fixtures"
EIF_QUESTION = "When was the Early Intervention Foundation set up?"
SCOTTISH_QUESTION = "What is the annual budget of the Scottish Children's Reporter Administration?"
HOSTILE_QUESTION = "How much did the Hostile Test Fund give to test councils?"
BOT = "#pq-chat [data-testid=bot]"


# rendering units -----------------------------------------------------------------------------------------


@pytest.mark.unit
def test_inert_escapes_html_and_markdown():
    out = render.inert('<script>x</script> ![i](http://h/i.png) [l](javascript:alert(1)) "q" `c` *e*')
    for raw in '<>[]()!`*"':
        assert raw not in out
    assert "&lt;script&gt;" in out


@pytest.mark.unit
def test_linkify_links_known_markers_only():
    out = render.linkify("Set up in 2013 [1]. Not here [7].", known=[1])
    assert '<a class="pq-cite" href="#source-1"' in out
    assert "#source-7" not in out and "&#91;7&#93;" in out


@pytest.mark.unit
def test_unsupported_sentence_is_flagged():
    answer = _answer("Q", supported=(True, False))
    out = render.answer_html(answer, known=[1])
    assert out.count('class="pq-unsupported"') == 1
    assert render.UNSUPPORTED_LABEL in out and "⚠" in out


@pytest.mark.unit
def test_source_card_escapes_highlights_and_links_safely():
    card = render.source_card(_citation(title="<b>T</b>", url="https://example.org/q?a=1&b=2"))
    assert 'id="source-1"' in card and "&lt;b&gt;" in card
    assert "<mark>The fund gave £5 million.</mark>" in card
    assert 'target="_blank" rel="noopener noreferrer"' in card
    assert "javascript" not in render.source_card(_citation(url="javascript:alert(1)"))


@pytest.mark.unit
def test_plain_answer_lists_references():
    text = render.plain_answer(_answer("Q"), [_citation()])
    assert text.startswith("The fund gave £5 million [1].")
    assert "References\n[1] Fake title (written question, Commons); asked by Ann Asker on 2 January 2020" in text
    assert "https://example.org/q/1" in text


@pytest.mark.unit
def test_form_filters_validate_dates():
    assert form_filters("", "", "", "", "Any") is None
    f = form_filters("2016-01-01", "2016-12-31", " Education ", "", "Lords")
    assert f == Filters(since=date(2016, 1, 1), until=date(2016, 12, 31), department="Education", house="Lords")
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        form_filters("13/12/2016", "", "", "", "Any")
    with pytest.raises(ValueError, match="not a real date"):
        form_filters("2016-02-30", "", "", "", "Any")
    with pytest.raises(ValueError, match="after"):
        form_filters("2017-01-01", "2016-01-01", "", "", "Any")
    assert json_filters('{"house": "Commons"}') == Filters(house="Commons")
    with pytest.raises(ValueError):
        json_filters("[1]")


def test_login_needs_both_variables(monkeypatch):
    from ui.app import _auth

    monkeypatch.delenv("PARLQA_UI_USER", raising=False)
    monkeypatch.delenv("PARLQA_UI_PASSWORD", raising=False)
    assert _auth() is None
    monkeypatch.setenv("PARLQA_UI_USER", "reader")
    with pytest.raises(ValueError):
        _auth()
    monkeypatch.setenv("PARLQA_UI_PASSWORD", "secret")
    assert _auth() == ("reader", "secret")


@pytest.mark.unit
def test_chat_command_is_registered():
    from typer.testing import CliRunner

    from cli.main import app

    result = CliRunner().invoke(app, ["chat", "--help"], env={"COLUMNS": "160", "NO_COLOR": "1"})
    assert result.exit_code == 0
    for option in ("--host", "--port", "--share", "--model", "--k", "--data-dir", "127.0.0.1"):
        assert option in result.output


# a scripted assistant ------------------------------------------------------------------------------------


def _citation(title: str = "Fake title", url: str | None = "https://example.org/q/1") -> Citation:
    passage = "Before it. The fund gave £5 million. After it."
    return Citation(
        marker=1,
        doc_id="fake-1",
        title=title,
        kind="written question",
        house="Commons",
        asked_by="Ann Asker",
        answered_by="Ben Answerer",
        department="Department for Tests",
        date_asked=date(2020, 1, 2),
        date_answered=date(2020, 1, 9),
        url=url,
        passage=passage,
        quote="The fund gave £5 million.",
        quotes=[Quote(text="The fund gave £5 million.", start=111, end=136)],
        passage_start=100,
    )


def _answer(question: str, supported: tuple[bool, ...] = (True,)) -> Answer:
    texts = ["The fund gave £5 million.", "It was painted blue."]
    sentences = [AnswerSentence(text=t, markers=[1], supported=s) for t, s in zip(texts, supported, strict=False)]
    shown = [s for s in sentences if s.supported]
    dropped = [s.model_copy(update={"note": "the sources do not state blue"}) for s in sentences if not s.supported]
    return Answer(
        question=question,
        standalone_question=question,
        text=" ".join(f"{s.text[:-1]} [1]." for s in shown),
        citations=[_citation()],
        sentences=shown,
        dropped=dropped,
        extract=[ExtractSentence(text="The fund gave £5 million.", marker=1)],
        model="scripted",
        timings={"total": 0.1},
    )


class ScriptedAssistant:
    """Stands in for ``Assistant``: records each call and streams a fixed, partly unsupported answer."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.calls: list[dict] = []

    def index_busy(self) -> bool:
        return False

    def chat_model(self, name=None):
        return None

    def warm_up(self, model=None):
        self.warmed_up = model

    def stream(self, question, history=None, filters=None, k=None, model=None):
        self.calls.append({"question": question, "history": list(history or []), "filters": filters, "k": k})
        if "broken" in question:
            raise ModelNotInstalledError("the model 'nope' is not installed; run: bash scripts/install_models.sh nope")
        yield StreamEvent(
            type="extract",
            extract=[ExtractSentence(text="The fund gave £5 million.", marker=1)],
            citations=[_citation()],
        )
        for token in ("The fund ", "gave £5 million [1]. ", "It was painted blue [1]."):
            time.sleep(0.05)
            yield StreamEvent(type="token", text=token)
        yield StreamEvent(type="answer", answer=_answer(question, supported=(True, False)))

    def ask(self, question, **kwargs):
        return _answer(question)


# browser plumbing ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    with chromium_context(tmp_path_factory.mktemp("chromium-profile")) as context:
        yield context


def _open(browser, url: str):
    page = browser.new_page()
    page.hosts = set()
    page.on("request", lambda r: page.hosts.add(r.url.split("/")[2]))
    page.goto(url)
    page.wait_for_selector("#pq-status .pq-status-ok", timeout=60_000)
    return page


def _ask(page, question: str, timeout_ms: int = 240_000):
    """Type ``question``, press Enter and wait for the finished reply; returns its locator."""
    n = page.locator(BOT).count() + 1
    box = page.locator("#pq-question textarea")
    box.fill(question)
    box.press("Enter")
    page.wait_for_function(
        "([sel, n]) => { const b = document.querySelectorAll(sel);"
        " return b.length >= n && b[n - 1].querySelector('.pq-meta, .pq-notice'); }",
        arg=[BOT, n],
        timeout=timeout_ms,
    )
    return page.locator(BOT).nth(n - 1)


# scripted assistant in the browser ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def scripted_app(tmp_path_factory):
    from ui.app import launch

    fake = ScriptedAssistant(Settings(data_dir=tmp_path_factory.mktemp("scripted"), model="tiny"))
    demo = launch(assistant=fake, port=free_port(), block=False, quiet=True)
    assert demo.server_name == "127.0.0.1"
    yield demo.local_url, fake
    demo.close()


def test_login_is_required_when_configured(tmp_path, monkeypatch):
    import urllib.error
    import urllib.request
    from urllib.parse import urlencode

    from ui.app import launch

    def status(url: str, form: dict | None = None) -> int:
        data = urlencode(form).encode() if form else None
        try:
            with urllib.request.urlopen(urllib.request.Request(url, data=data)) as response:
                return response.status
        except urllib.error.HTTPError as exc:
            return exc.code

    monkeypatch.setenv("PARLQA_UI_USER", "reader")
    monkeypatch.setenv("PARLQA_UI_PASSWORD", "secret")
    fake = ScriptedAssistant(Settings(data_dir=tmp_path, model="tiny"))
    demo = launch(assistant=fake, port=free_port(), block=False, quiet=True)
    try:
        assert status(demo.local_url + "config") == 401
        assert status(demo.local_url + "login", {"username": "reader", "password": "wrong"}) >= 400
        assert status(demo.local_url + "login", {"username": "reader", "password": "secret"}) == 200
    finally:
        demo.close()


@pytest.mark.browser
def test_follow_up_sends_history_and_flags_unsupported(browser, scripted_app):
    url, fake = scripted_app
    page = _open(browser, url)
    first = _ask(page, "What did the fund give?")
    assert "£5 million" in first.locator(".pq-answer").inner_text()
    assert "painted blue" not in first.locator(".pq-answer").inner_text()  # a sentence no source states is left out
    flag = first.locator(".pq-flag")
    assert flag.count() == 1 and flag.inner_text() == DROPPED_NOTE
    first.locator(".pq-dropped summary").click()
    left_out = first.locator(".pq-unsupported")
    assert left_out.get_attribute("title") == render.UNSUPPORTED_LABEL and "painted blue" in left_out.inner_text()
    card = page.locator("#pq-sources #source-1")
    assert "Fake title" in card.inner_text() and "9 January 2020" in card.inner_text()
    assert card.locator("mark").inner_text() == "The fund gave £5 million."
    link = card.locator("a.pq-link")
    assert link.get_attribute("target") == "_blank" and link.get_attribute("rel") == "noopener noreferrer"

    first.locator("a.pq-cite").first.click()
    page.wait_for_function("document.getElementById('source-1').classList.contains('pq-flash')", timeout=5000)

    _ask(page, "And when?")
    history = fake.calls[-1]["history"]
    assert [m["role"] for m in history] == ["user", "assistant"]
    assert history[0]["content"] == "What did the fund give?" and "£5 million [1]" in history[1]["content"]

    page.locator("#pq-copy").get_by_text("Copy answer with references").click()
    copy_text = page.locator("#pq-copy-text textarea").input_value()
    assert "References" in copy_text and "[1] Fake title" in copy_text

    page.locator("#pq-clear").click()
    page.wait_for_function(f"document.querySelectorAll('{BOT}').length === 0", timeout=10_000)
    _ask(page, "Fresh start?")
    assert fake.calls[-1]["history"] == []
    assert page.hosts <= {url.split("/")[2]}, f"requests left the machine: {page.hosts}"
    page.close()


@pytest.mark.browser
def test_filters_apply_and_bad_dates_explain_themselves(browser, scripted_app):
    url, fake = scripted_app
    page = _open(browser, url)
    page.locator("#pq-filters").get_by_text("Filters and model").click()
    page.locator("#pq-since textarea, #pq-since input").first.fill("13/12/2016")
    reply = _ask(page, "Anything?")
    assert reply.locator(".pq-error").count() == 1 and "YYYY-MM-DD" in reply.inner_text()

    page.locator("#pq-since textarea, #pq-since input").first.fill("2016-01-01")
    page.get_by_label("Department contains").fill("Education")
    page.get_by_label("Lords").check()
    _ask(page, "Anything now?")
    assert fake.calls[-1]["filters"] == Filters(since=date(2016, 1, 1), department="Education", house="Lords")

    reply = _ask(page, "This one is broken")
    assert reply.locator(".pq-error").count() == 1
    assert "not installed" in reply.inner_text() and "pick another one" in reply.inner_text()
    page.close()


# the real assistant in the browser -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def real_app(tmp_path_factory):
    from index.indexer import Indexer
    from ui.app import launch

    corpus = tmp_path_factory.mktemp("corpus")
    for path in sorted((REPO / "corpus" / "documents").glob("*.txt")):
        shutil.copy(path, corpus / path.name)
    shutil.copy(FIXTURES / "hostile_test_fund.txt", corpus / "hostile_test_fund.txt")
    settings = Settings(data_dir=tmp_path_factory.mktemp("ui-index"), model="tiny", max_new_tokens=96)
    indexer = Indexer(settings)
    try:
        result = indexer.index(sorted(corpus.glob("*.txt")))
    finally:
        indexer.close()
    assert result.documents_seen == 6
    demo = launch(settings, port=free_port(), block=False, quiet=True)
    yield demo.local_url
    demo.close()


@pytest.mark.browser
def test_answer_streams_extract_then_cited_answer(browser, real_app, tmp_path):
    page = _open(browser, real_app)
    box = page.locator("#pq-question textarea")
    box.fill(EIF_QUESTION)
    started = time.perf_counter()
    box.press("Enter")
    extract = page.locator(f"{BOT} div.pq-extract")
    extract.wait_for(timeout=60_000)
    first_text = time.perf_counter() - started
    assert "From the sources:" in extract.text_content() and "2013" in extract.text_content()
    page.wait_for_selector(f"{BOT} .pq-meta, {BOT} .pq-notice", timeout=240_000)
    finished = time.perf_counter() - started
    print(f"\nfirst visible text {first_text:.1f} s, finished answer {finished:.1f} s")

    reply = page.locator(BOT).last
    assert "2013" in reply.text_content()  # the answer, or the quoted extract beside a refusal of the draft
    assert reply.locator("a.pq-cite").count() >= 1
    cards = page.locator("#pq-sources .pq-card")
    eif = cards.filter(has_text="21 December 2016")
    assert eif.count() >= 1 and "Children: Protection" in eif.first.inner_text()
    assert "2013" in eif.first.locator("mark").first.inner_text() or "2013" in eif.first.inner_text()
    marker = reply.locator("a.pq-cite").first
    target = marker.get_attribute("href")
    assert page.locator(f"#pq-sources {target}").count() == 1
    marker.click()
    time.sleep(0.8)
    assert page.locator(target).is_visible()
    # PARLQA_SCREENSHOT=docs/chat.png refreshes the README's picture; a plain run leaves the checkout as it is
    shot = Path(os.environ.get("PARLQA_SCREENSHOT") or tmp_path / "chat.png")
    page.screenshot(path=str(shot))
    assert shot.stat().st_size > 10_000
    assert page.hosts <= {real_app.split("/")[2]}, f"requests left the machine: {page.hosts}"
    page.close()


@pytest.mark.browser
def test_refusal_looks_like_a_refusal(browser, real_app):
    page = _open(browser, real_app)
    reply = _ask(page, SCOTTISH_QUESTION)
    notice = reply.locator(".pq-refusal")
    assert notice.count() == 1
    assert "The corpus does not contain an answer to this question." in notice.inner_text()
    assert page.locator("#pq-sources .pq-card").count() == 0
    page.close()


@pytest.mark.browser
def test_hostile_document_stays_inert(browser, real_app):
    page = _open(browser, real_app)
    reply = _ask(page, HOSTILE_QUESTION)
    assert page.evaluate("typeof window.__pwned") == "undefined"
    images = page.evaluate("[...document.images].map(i => i.getAttribute('src') || '')")
    assert not [src for src in images if "127.0.0.1:1" in src]
    assert page.locator("a[href^='javascript']").count() == 0
    assert page.evaluate("[...document.scripts].filter(s => s.text.includes('__pwned')).length") == 0
    card = page.locator("#pq-sources .pq-card[data-doc-id='hostile_test_fund']")
    assert card.count() == 1
    assert "<script>window.__pwned=1</script>" in card.inner_text()
    assert "![x](http://127.0.0.1:1/x.png)" in card.inner_text()
    assert "7 million" in reply.text_content()
    page.close()


@pytest.mark.browser
def test_gradio_client_ask(real_app):
    from gradio_client import Client
    from gradio_client.exceptions import AppError

    client = Client(real_app, verbose=False)
    result = client.predict(EIF_QUESTION, "", 3, "tiny", "", api_name="/ask")
    assert set(result) >= {"text", "refused", "citations", "sentences", "timings"}
    # the tiny model's draft is shown when the verifier finds it stated, else the closest passages are cited
    assert result["citations"] and (result["refused"] or "2013" in result["text"])
    first = result["citations"][0]
    assert {"marker", "doc_id", "title", "quote", "date_answered"} <= set(first)
    assert any(c["title"] == "Children: Protection" for c in result["citations"])
    refusal = client.predict(SCOTTISH_QUESTION, '{"house": "Commons"}', 0, "", "", api_name="/ask")
    assert refusal["refused"] is True
    with pytest.raises(AppError, match="since"):
        client.predict(EIF_QUESTION, '{"since": "yesterday"}', 0, "", "", api_name="/ask")


@pytest.mark.unit
def test_the_streamed_draft_is_marked_unchecked_and_escaped():
    from ui import render

    html = render.streaming_html([], [], "The fund was <b>£5m</b> [1]")
    assert "Draft: being checked against the sources" in html and "pq-draft" in html
    assert "<b>" not in html and "&lt;b&gt;" in html
