"""parlqa's own logic with stand-ins for the embedder and the model (tests/fakes.py): settings, conversation
history, condensing follow-ups, context building, citations and the composed answer, and the index fingerprint."""

from __future__ import annotations

import numpy as np
import pytest
from fakes import HashEmbeddings, ScriptedChatModel
from pydantic import ValidationError

from parlqa.settings import Settings
from qa.citations import make_citation, parse_markers
from qa.condense import (
    HISTORY_TURNS,
    MAX_REWRITE_WORDS,
    REWRITE_TOKENS,
    TURN_CHARS,
    condense,
    normalise_history,
)
from qa.context import Passage, SentenceVectors, SourceSentence, build_passages, instant_extract, sources_text
from qa.sentences import split_sentences
from qa.types import AnswerSentence, Hit, Quote
from qa.verify import VerifiedSentence

pytestmark = pytest.mark.unit

EIF_BODY = (
    "The Early Intervention Foundation (EIF) was set up by the government in 2013. It is funded by the "
    "Department for Education, the Department for Work and Pensions and the Department of Health."
)
EIF_QUESTION = "When was the Early Intervention Foundation set up?"


def hit(n: int, body: str, **meta) -> Hit:
    header = f"Children: Protection {n}\n"
    return Hit(
        chunk_id=f"d{n}:000:x",
        doc_id=f"d{n}",
        score=1.0 / n,
        text=header + body,
        metadata={"title": f"Children: Protection {n}", "header_chars": len(header), "body_start": 10, **meta},
    )


def passage(marker: int, body: str, **meta) -> Passage:
    h = hit(marker, body, **meta)
    sentences = [
        SourceSentence(Quote(text=body[s:e], start=h.body_start + s, end=h.body_start + e), np.zeros(2))
        for s, e in split_sentences(body)
    ]
    return Passage(marker=marker, hit=h, sentences=sentences, kept=sentences[:1])


# settings ---------------------------------------------------------------------------------------------------------


def test_settings_bounds_are_checked():
    for bad in ({"k": 0}, {"k": 51}, {"chunk_tokens": 8}, {"temperature": -1}, {"refusal_colocation": 2}):
        with pytest.raises(ValidationError):
            Settings(**bad)
    assert Settings(k=5).k == 5


def test_settings_come_from_parlqa_variables(monkeypatch, tmp_path):
    monkeypatch.setenv("PARLQA_K", "7")
    monkeypatch.setenv("PARLQA_DATA_DIR", str(tmp_path))
    settings = Settings()
    assert (settings.k, settings.data_dir) == (7, tmp_path)
    assert settings.manifest_path == tmp_path / "manifest.sqlite3" and settings.lock_path.parent == tmp_path
    assert Settings(k=2).k == 2  # a keyword beats the environment
    monkeypatch.setenv("PARLQA_K", "0")
    with pytest.raises(ValidationError):
        Settings()


def test_overrides_are_checked_like_any_other_value(tmp_path):
    base = Settings(data_dir=tmp_path, k=4)
    assert base.with_overrides(model="tiny").k == 4 and base.with_overrides() is base
    assert base.with_overrides(llm_url="http://127.0.0.1:8080/v1/").llm_url == "http://127.0.0.1:8080/v1"
    with pytest.raises(ValidationError, match="greater than or equal to 1"):
        base.with_overrides(k=0)
    with pytest.raises(ValidationError):
        base.with_overrides(retrieval="sparse")
    with pytest.raises(ValueError, match="unknown setting"):
        base.with_overrides(top_k=3)


def test_an_assistant_refuses_bad_overrides_before_opening_anything(tmp_path):
    from qa.assistant import Assistant

    with pytest.raises(ValidationError, match="k"):
        Assistant(Settings(data_dir=tmp_path / "never"), auto_index=False, k=0)
    with pytest.raises(ValidationError):
        Assistant(data_dir=tmp_path / "never", k=0)
    assert not (tmp_path / "never").exists()


def test_caches_and_login_come_from_parlqa_variables(monkeypatch, tmp_path):
    for name in ("PARLQA_MODEL_CACHE", "PARLQA_JUDGE_CACHE", "PARLQA_UI_USER", "PARLQA_UI_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings()
    assert settings.model_cache_dir.name == "models" and settings.judge_cache_path.name == "judge.jsonl"
    assert settings.ui_user is None and settings.ui_password is None
    monkeypatch.setenv("PARLQA_MODEL_CACHE", str(tmp_path / "models"))
    monkeypatch.setenv("PARLQA_JUDGE_CACHE", str(tmp_path / "judge.jsonl"))
    monkeypatch.setenv("PARLQA_UI_USER", "reader")
    monkeypatch.setenv("PARLQA_UI_PASSWORD", "secret")
    settings = Settings()
    assert settings.model_cache_dir == tmp_path / "models" and settings.judge_cache_path == tmp_path / "judge.jsonl"
    assert settings.ui_user == "reader" and settings.ui_password.get_secret_value() == "secret"
    assert "secret" not in repr(settings)


def test_eval_grid_defaults_follow_the_settings(monkeypatch):
    from eval.options import EvalOptions

    monkeypatch.setenv("PARLQA_K", "4")
    monkeypatch.setenv("PARLQA_MODEL", "tiny")
    options = EvalOptions()
    assert (options.models, options.ks, options.retrievals) == (["tiny"], [4], [Settings().retrieval])
    assert EvalOptions(ks=[2]).ks == [2]


# history and condensing -------------------------------------------------------------------------------------------


def test_history_from_messages_blocks_and_pairs():
    messages = [
        {"role": "user", "content": "Who funds it?"},
        {"role": "assistant", "content": [{"type": "text", "text": "The DfE"}, "does [1]."]},
        {"role": "assistant", "content": ""},
        {"content": "no role"},
    ]
    assert normalise_history(messages) == [
        ("user", "Who funds it?"),
        ("assistant", "The DfE does [1]."),
        ("user", "no role"),
    ]
    assert normalise_history([("first", "answer"), ["second", None], ("", "orphan"), ("too", "many", "items")]) == [
        ("user", "first"),
        ("assistant", "answer"),
        ("user", "second"),
        ("assistant", "orphan"),
    ]
    assert normalise_history(None) == [] and normalise_history([]) == []


def test_condense_without_earlier_questions_keeps_the_question_and_calls_no_model():
    model = ScriptedChatModel(responses=["never"])
    assert condense("Who funds it?", [("assistant", "Hello")], model) == "Who funds it?"
    assert model.prompts == []


def test_condense_takes_a_rewrite_on_the_subject():
    turns = [("user", EIF_QUESTION), ("assistant", "In 2013 [1].")]
    model = ScriptedChatModel(responses=["Which departments fund the Early Intervention Foundation?\nextra line"])
    assert condense("Which departments fund it?", turns, model) == (
        "Which departments fund the Early Intervention Foundation?"
    )
    assert model.bound[-1]["max_tokens"] == REWRITE_TOKENS


def test_condense_shows_the_model_only_the_last_turns_cut_short():
    long_answer = "x" * (TURN_CHARS + 50)
    turns = [("user", f"question {i} about foundations") for i in range(HISTORY_TURNS)] + [("assistant", long_answer)]
    model = ScriptedChatModel(responses=["What about the question about foundations?"])
    condense("And the next?", turns, model)
    prompt = model.prompts[-1][-1].content
    assert "question 0 " not in prompt and f"question {HISTORY_TURNS - 1}" in prompt
    assert "x" * TURN_CHARS in prompt and "x" * (TURN_CHARS + 1) not in prompt


@pytest.mark.parametrize(
    "rewrite",
    [
        "Funds?",  # too short to be a question
        " ".join(["foundation"] * (MAX_REWRITE_WORDS + 1)),  # an answer, not a rewrite
        "What is the weather like in Paris today?",  # off the conversation's subject
    ],
)
def test_condense_falls_back_to_the_previous_question(rewrite):
    turns = [("user", EIF_QUESTION), ("assistant", "In 2013 [1].")]
    assert condense("Who funds it?", turns, ScriptedChatModel(responses=[rewrite])) == f"{EIF_QUESTION} Who funds it?"


def test_condense_keeps_the_previous_subject_beside_a_rewrite_that_drops_it():
    turns = [("user", EIF_QUESTION)]
    rewrite = "Which departments fund it today?"  # shares "fund" with the question, nothing with the previous one
    standalone = condense("Which departments fund it?", turns, ScriptedChatModel(responses=[rewrite]))
    assert standalone == f"{rewrite} ({EIF_QUESTION})"
    assert condense("Who funds it?", turns, None) == f"{EIF_QUESTION} Who funds it?"


# context ----------------------------------------------------------------------------------------------------------


def test_build_passages_numbers_hits_and_keeps_the_relevant_sentences_within_the_budget():
    embeddings = HashEmbeddings()
    vectors = SentenceVectors(embeddings)
    hits = [hit(1, EIF_BODY, answerer="Edward Timpson"), hit(2, "Tractors are green. Fields are wide.")]
    query = embeddings.embed_query("early intervention foundation set up government 2013")
    passages = build_passages(query, hits, vectors, budget_chars=90)
    assert [p.marker for p in passages] == [1, 2]
    kept = [s.quote.text for p in passages for s in p.kept]
    assert kept == [EIF_BODY.split(". ")[0] + "."]  # the budget holds one sentence: the one on the subject
    assert passages[0].sentences[0].quote.start == 10  # offsets are into the answer text, past the header
    text = sources_text(passages)
    assert text.startswith("[1]") and "Edward Timpson" in text and "Tractors" not in text
    assert [e.marker for e in instant_extract(passages)] == [1]

    build_passages(query, hits, vectors, budget_chars=2000)
    assert len(embeddings.calls) == 1  # sentence vectors are cached by chunk id


def test_a_whole_short_context_fits_and_the_best_passage_comes_last():
    embeddings = HashEmbeddings()
    hits = [hit(1, EIF_BODY), hit(2, "The foundation publishes reviews.")]
    passages = build_passages(embeddings.embed_query("foundation"), hits, SentenceVectors(embeddings), 2000)
    assert all(p.kept == p.sentences for p in passages)
    assert sources_text(passages).splitlines()[-1].startswith("[1]")


@pytest.mark.parametrize(
    ("body", "question", "kept"),
    [
        (  # the sentence it responds to
            "Tractors are green and fields are wide in every county. Demand for social care has risen sharply. As a "
            "first step in responding to that, we are announcing a new Improvement Fund of £23 million.",
            "why was the new Improvement Fund of £23 million announced",
            ["Demand", "As"],
        ),
        (  # the next sentence, which reads back to it
            "Local authorities rated inadequate by Ofsted receive comprehensive support from the department. Those "
            "performing well are supported to share best practice. Ofsted inspects tractors and fields in England.",
            "what support do local authorities rated inadequate by ofsted receive",
            ["Local", "Those"],
        ),
    ],
)
def test_a_chosen_sentence_brings_the_sentence_it_leans_on_or_that_leans_on_it(body, question, kept):
    embeddings = HashEmbeddings()
    query = embeddings.embed_query(question)
    (only,) = build_passages(query, [hit(1, body)], SentenceVectors(embeddings), budget_chars=160)
    assert [s.quote.text.split()[0] for s in only.kept] == kept


def test_a_chosen_sentence_opening_a_list_brings_its_items():
    embeddings = HashEmbeddings()
    body = (
        "Diagnostic centres offering FibroScan testing are:\n- Ely CDC in Ely;\n- Poole CDC in Poole; and\n"
        "- Woking CDC in Woking.\nTractors are green and fields are wide in every county of England."
    )
    query = embeddings.embed_query("which diagnostic centres offer fibroscan testing")
    (only,) = build_passages(query, [hit(1, body)], SentenceVectors(embeddings), budget_chars=120)
    kept = [s.quote.text for s in only.kept]
    assert kept[0].endswith("are:") and [k.split()[1] for k in kept[1:]] == ["Ely", "Poole", "Woking"]


OFFICES = (
    "Ministers keep every departmental estate decision under close review with partners across government.\n"
    "Office | Status | Staff\nBelfast | Remaining open | 21\nBirmingham | Closing | 149\nExeter | Closing | 26\n"
    "Leeds | Remaining open | 300\n\nAll staff affected by these changes will be supported throughout by managers."
)


@pytest.mark.parametrize(
    ("question", "budget", "rows"),
    [
        ("Which offices are closing?", 140, ["Office", "Belfast", "Birmingham", "Exeter", "Leeds"]),  # the table
        ("How many staff does the Exeter office have?", 60, ["Office", "Exeter"]),  # the row and what its columns are
    ],
)
def test_a_chosen_table_row_brings_the_table_heading_and_for_a_list_the_table(question, budget, rows):
    from qa.question import analyse

    embeddings = HashEmbeddings()
    query = embeddings.embed_query(question)
    (only,) = build_passages(
        query, [hit(1, OFFICES)], SentenceVectors(embeddings), budget_chars=budget, question=analyse(question)
    )
    assert [s.quote.text.split()[0] for s in only.kept] == rows
    assert "Office | Status | Staff; " in only.prompt_line()  # rows stay apart in the prompt


def test_a_chosen_sentence_introducing_its_paragraph_brings_the_rest_of_it():
    embeddings = HashEmbeddings()
    body = (
        "Achievements this year are many.\nA great deal has been achieved. Over 50,000 people registered to become "
        "social workers. The Action on Health Visiting Programme raised the profession's profile.\nTractors are "
        "green and fields are wide in every county of England."
    )
    query = embeddings.embed_query("what has been achieved")
    (only,) = build_passages(query, [hit(1, body)], SentenceVectors(embeddings), budget_chars=180)
    kept = [s.quote.text.split()[0] for s in only.kept]
    assert kept[-3:] == ["A", "Over", "The"] and "Tractors" not in kept  # its paragraph, not the next one


# citations and composition ----------------------------------------------------------------------------------------


def test_citation_carries_the_record_fields_and_the_quoted_sentences():
    p = passage(2, EIF_BODY, answerer="Edward Timpson", date_answered="2016-12-21", date_asked="not a date")
    citation = make_citation(2, p, [p.sentences[1], p.sentences[0]])
    assert (citation.marker, citation.doc_id, citation.answered_by) == (2, "d2", "Edward Timpson")
    assert str(citation.date_answered) == "2016-12-21" and citation.date_asked is None
    assert [q.start for q in citation.quotes] == sorted(q.start for q in citation.quotes)  # in text order
    assert citation.quote == " ".join(s.quote.text for s in p.sentences)
    assert make_citation(2, p, None).quote == p.sentences[0].quote.text  # no support: the first kept sentence


def test_compose_puts_markers_before_the_full_stop_and_cites_each_source_once():
    from qa.assistant import compose

    one, two = passage(1, EIF_BODY), passage(2, "The Foundation reviews programmes. It publishes guidance.")
    verified = [
        VerifiedSentence(AnswerSentence(text="It was set up in 2013.", markers=[1]), {1: [one.sentences[0]]}),
        VerifiedSentence(
            AnswerSentence(text="It is funded by three departments", markers=[1, 2]),
            {1: [one.sentences[1], one.sentences[0]], 2: [two.sentences[0]]},
        ),
        VerifiedSentence(AnswerSentence(text="Nothing cited.", markers=[]), {}),
    ]
    text, citations = compose(verified, [one, two])
    assert text == "It was set up in 2013 [1]. It is funded by three departments [1][2]. Nothing cited."
    assert [c.marker for c in citations] == [1, 2]
    assert [q.start for q in citations[0].quotes] == [one.sentences[0].quote.start, one.sentences[1].quote.start]
    assert citations[1].quote == "The Foundation reviews programmes."


def test_markers_are_parsed_per_sentence():
    clean, sentences = parse_markers("It was 2013 [1]. Funded by the DfE [2, 9].", n_sources=2)
    assert clean == "It was 2013. Funded by the DfE."
    assert sentences == [("It was 2013.", [1]), ("Funded by the DfE.", [2])]


# index fingerprint ------------------------------------------------------------------------------------------------


def test_index_fingerprint_changes_only_with_what_changes_chunks_or_vectors(tmp_path):
    from index.indexer import settings_fingerprint

    base = Settings(data_dir=tmp_path)
    same = settings_fingerprint(base)
    assert len(same) == 12 and settings_fingerprint(Settings(data_dir=tmp_path)) == same
    for unrelated in ({"k": 9}, {"model": "tiny"}, {"retrieval": "bm25"}, {"data_dir": tmp_path / "other"}):
        assert settings_fingerprint(Settings(**{"data_dir": tmp_path, **unrelated})) == same, unrelated
    changes = (
        {"chunk_tokens": 128},
        {"chunk_overlap": 16},
        {"embedding_backend": "onnx"},
        {"embedding_max_tokens": 256},
        {"embedding_model": "/models/other"},
    )
    prints = {settings_fingerprint(Settings(data_dir=tmp_path, **change)) for change in changes}
    assert len(prints) == len(changes) and same not in prints


def test_a_sentence_of_punctuation_alone_is_split_without_error():
    text = "Item one.\n. Next item."
    assert [text[s:e] for s, e in split_sentences(text)] == ["Item one.", ". Next item."]
