"""Question understanding on its own: members, departments, periods, latest, UIN, vocabulary and spelling, over a
small lexicon built from hand-made chunk metadata; then a search over a real index of a slice of the shared file."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date

import pytest

from qa.types import MemberMention
from qa.understanding import Lexicon, find_period, member_key, understand, without_departments
from qa.vocabulary import Entry, build_entries, defined_abbreviations

METADATA = [
    {"asker": "Mr Gregory Campbell", "answerer": "Darren Jones", "department": "Treasury",
     "addressed_to": "Chancellor of the Exchequer", "date_asked": "2025-07-04", "date_answered": "2025-07-09",
     "uin": "64983"},
    {"asker": "Max Wilkinson", "answerer": "Sarah Jones", "department": "Home Office",
     "addressed_to": "Secretary of State for the Home Department", "date_asked": "2026-02-05",
     "date_answered": "2026-02-11", "uin": "111247"},
    {"addressed_to": "Secretary of State for the Home Department"},  # a record with its texts only
    {"asker": "Sarah Jones", "department": "Home Office", "date_asked": "2024-03-02"},
    {"department": "Department for Education", "addressed_to": "Secretary of State for Education"},
]  # fmt: skip
TEXTS = ["you will receive the benefits and the services " * 3, "local services receive funding"] * 2
TEXTS += ["schools in the autumn " * 5]
ENTRIES = [
    Entry("DfE", "Department for Education", "department", "hand"),
    Entry("Home Office", "Home Office", "department", "hand"),
    Entry("SEND", "special educational needs and disabilities", "abbreviation", "hand"),
    Entry("EHCP", "education, health and care plan", "abbreviation", "hand"),
    Entry("children in care", "looked after children", "synonym", "hand"),
]


@pytest.fixture(scope="module")
def lexicon() -> Lexicon:
    return Lexicon.build(TEXTS, METADATA, ENTRIES)


@pytest.mark.unit
def test_member_names_lose_their_honorifics():
    assert member_key("Mr Gregory Campbell") == "gregory campbell"
    assert member_key("Sir John Hayes MP") == "john hayes"


@pytest.mark.unit
def test_members_and_their_roles(lexicon: Lexicon):
    asked = understand("Which minister answered gregory campbell's July 2025 question on Crown Estate rent?", lexicon)
    assert asked.members == (MemberMention(name="Mr Gregory Campbell", role="asker"),)
    answered = understand("What did Darren Jones say about the Crown Estate?", lexicon)
    assert answered.members == (MemberMention(name="Darren Jones", role="answerer"),)
    # Sarah Jones both asks and answers: the wording decides
    assert understand("questions answered by Sarah Jones", lexicon).members[0].role == "answerer"
    assert understand("Who replied to Sarah Jones on knife crime?", lexicon).members[0].role == "asker"
    assert understand("What about Sarah Jones?", lexicon).members[0].role == "member"
    assert understand("What did Jones say?", lexicon).members == ()


@pytest.mark.unit
def test_departments_with_short_names(lexicon: Lexicon):
    assert understand("the Home Office's answer on Opal", lexicon).departments == ("Home Office",)
    assert understand("What has DfE said about tutoring?", lexicon).departments == ("Department for Education",)
    assert understand("what did dfe say", lexicon).departments == ()  # a short alias only as written
    # a record with its texts only takes the department that answers its addressee
    assert lexicon.department_mask(["Home Office"]).tolist() == [False, True, True, True, False]


@pytest.mark.unit
def test_a_question_of_two_departments_asks_each_one(lexicon: Lexicon):
    question = "How much did DfE and the Home Office each spend on communications in 2023/24?"
    assert set(understand(question, lexicon).departments) == {"Department for Education", "Home Office"}
    assert without_departments(question, lexicon, "Home Office") == (
        "How much did the Home Office spend on communications in 2023/24?"
    )
    assert without_departments(question, lexicon, "Department for Education") == (
        "How much did DfE spend on communications in 2023/24?"
    )
    assert without_departments("What has DfE said about tutoring?", lexicon, "Department for Education") == (
        "What has DfE said about tutoring?"
    )


@pytest.mark.unit
@pytest.mark.parametrize(
    ("question", "since", "until", "label"),
    [
        ("answers in March 2024 on tutoring", date(2024, 3, 1), date(2024, 3, 31), "March 2024"),
        ("spending in 2024-25", date(2024, 4, 1), date(2025, 3, 31), "2024-25"),
        ("spending in 2023/24", date(2023, 4, 1), date(2024, 3, 31), "2023-24"),
        ("the paper published on 7 July 2025", date(2025, 7, 7), date(2025, 7, 7), "7 July 2025"),
        ("referrals in 2023", date(2023, 1, 1), date(2023, 12, 31), "2023"),
    ],
)
def test_periods(question: str, since: date, until: date, label: str):
    period = find_period(question)
    assert period is not None and (period.since, period.until, period.label) == (since, until, label)


@pytest.mark.unit
def test_no_period_in_amounts_or_plain_numbers():
    assert find_period("How much was the £2025 grant for 300 schools?") is None


@pytest.mark.unit
def test_record_dates_only_when_the_question_is_about_the_record(lexicon: Lexicon):
    assert understand("Who answered the March 2024 question on tutoring?", lexicon).record_dated
    assert not understand("How many children were in care in March 2024?", lexicon).record_dated


@pytest.mark.unit
def test_latest_and_uin(lexicon: Lexicon):
    u = understand("What is the latest figure given in answer to question 111247?", lexicon)
    assert u.latest and u.uin == "111247"
    assert lexicon.uin_mask("111247").tolist() == [False, True, False, False, False]
    assert not understand("How many schools were there?", lexicon).latest


@pytest.mark.unit
def test_abbreviations_and_synonyms_expand(lexicon: Lexicon):
    u = understand("How many EHCPs were issued for children in care?", lexicon)
    assert [(r.text, r.kind) for r in u.rewrites] == [("EHCPs", "abbreviation"), ("children in care", "synonym")]
    assert "education, health and care plan" in u.lexical_query and "looked after children" in u.lexical_query
    assert "EHCPs (education, health and care plan)" in u.dense_query
    assert understand("special educational needs and disabilities (SEND)", lexicon).rewrites == ()


@pytest.mark.unit
def test_misspelt_words_are_corrected_against_the_index(lexicon: Lexicon):
    u = understand("Who will recieve the benifits?", lexicon)
    assert [(r.text, r.becomes) for r in u.rewrites] == [("recieve", "receive"), ("benifits", "benefits")]
    assert u.corrected_query == "Who will receive the benefits?"
    assert understand("What did the Autum statement say?", lexicon).corrected_query.startswith("What did the autumn")
    # names, abbreviations and words the index holds are left alone
    assert understand("Did Max Wilkinson ask about SERVISES or services?", lexicon).rewrites == ()


@pytest.mark.unit
def test_understanding_can_be_switched_off(lexicon: Lexicon):
    u = understand("Did the Home Office recieve EHCPs in March 2024?", lexicon, False, False, False)
    assert u.is_empty() and u.lexical_query == u.dense_query == u.question


@pytest.mark.unit
def test_description_for_the_chat(lexicon: Lexicon):
    u = understand("What did the Home Office answer in March 2024 about SEND?", lexicon)
    assert u.describe().startswith("searching Home Office answers from March 2024")
    assert "SEND: special educational needs and disabilities" in u.describe()
    assert understand("plain words here", lexicon).describe() == ""


@pytest.mark.unit
def test_defined_abbreviations_are_found_in_text():
    text = (
        "Special Educational Needs and Disabilities (SEND) support; the Department for Levelling Up, Housing and "
        "Communities (DLUHC) said; see the report (Annex A) and children in care (LAC)."
    )
    found = dict(defined_abbreviations(text))
    assert found["SEND"] == "Special Educational Needs and Disabilities"
    assert found["DLUHC"] == "Department for Levelling Up, Housing and Communities"
    assert "LAC" not in found and "A" not in found
    entries = build_entries([text, text, text], min_count=3)
    assert {e.term for e in entries} == {"SEND", "DLUHC"} and all(e.count == 3 for e in entries)


def _indexed(lines: list[str], tmp_path):
    """An assistant over a real index (real embeddings, Chroma) of ``lines`` of the shared file."""
    from index.indexer import Indexer
    from parlqa.settings import Settings
    from qa.assistant import Assistant

    source = tmp_path / "slice.jsonl"
    source.write_text("".join(lines), encoding="utf-8")
    settings = Settings(data_dir=tmp_path / "index")
    indexer = Indexer(settings)
    try:
        indexer.index([source])
    finally:
        indexer.close()
    return Assistant(settings, auto_index=False)


@pytest.mark.slow
def test_understanding_finds_the_asked_record_in_a_real_index(tmp_path):
    """A slice of the shared file, indexed with real embeddings and Chroma: naming the asker and month ranks that
    member's record first, where the words alone do not."""
    from conftest import shared_sample_lines

    from qa.retriever import HybridRetriever

    lines = shared_sample_lines(400, step=20)
    records = [json.loads(line) for line in lines]
    askers = Counter((r.get("asker") or {}).get("name") for r in records)
    target = next(
        r
        for r in records
        if r.get("asker") and r.get("date_asked") and r.get("answer_text") and askers[r["asker"]["name"]] == 1
    )
    bot = _indexed(lines, tmp_path)
    settings = bot.settings
    month = date.fromisoformat(target["date_asked"]).strftime("%B %Y")
    question = f"What was {target['asker']['name']}'s {month} question about?"
    retriever: HybridRetriever = bot.retriever
    understood = retriever.understand(question)
    assert understood is not None and understood.members[0].name == target["asker"]["name"]
    assert retriever.search(question, k=3)[0].doc_id == target["id"]
    plain = HybridRetriever(
        settings=settings.with_overrides(understand_metadata=False),
        store=retriever.store,
        embeddings=retriever.embeddings,
    )
    assert plain.search(question, k=3)[0].doc_id != target["id"]


@pytest.mark.slow
def test_a_question_of_two_departments_finds_each_ones_answer(tmp_path):
    """Over a slice of the shared file with two departments' answers on their communications spending added: a
    question asking what each spent has both answers among its first three results."""
    import gzip

    from conftest import SHARED_DATA, shared_sample_lines

    lines = shared_sample_lines(300, step=40)
    wanted = {"ukparl-wq-commons-1725719", "ukparl-wq-commons-1725714"}
    rivals = {"ukparl-wq-commons-1750183", "ukparl-wq-commons-1778429", "ukparl-wq-commons-1887951"}
    with gzip.open(SHARED_DATA, "rt", encoding="utf-8") as handle:
        lines += [line for line in handle if json.loads(line)["id"] in wanted | rivals]
    if len({json.loads(line)["id"] for line in lines} & wanted) < 2:
        pytest.skip("the two communications answers are not in this copy of the shared file")
    bot = _indexed(lines, tmp_path)
    question = "How much did DESNZ and the Cabinet Office each spend on communications in 2023/24?"
    assert wanted <= {h.doc_id for h in bot.retriever.search(question, k=3)}
