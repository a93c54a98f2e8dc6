"""Our own answering logic on small fixed inputs: question typing, fact checks, verification, refusal, metadata."""

from __future__ import annotations

import numpy as np
import pytest

from qa.context import Passage, SourceSentence
from qa.facts import Evidence, FactType, department_of_office, facts_of, names_addressee
from qa.metadata import answer_metadata
from qa.question import AskedField, FactKind, analyse
from qa.quotes import (
    QuotePolicy,
    answers_question,
    backing_quotes,
    evidence_sentence,
    missing_parts,
    missing_rows,
    reason_sentence,
    replacement,
    with_reason,
)
from qa.refusal import RefusalThresholds, decide, kind_present, signals, subject_beside_fact
from qa.sentences import split_sentences
from qa.types import AnswerSentence, Hit, Quote
from qa.verify import DECLINED, OPENS_NOTHING, PassageEvidence, declines, verify

pytestmark = pytest.mark.unit

LOOSE = RefusalThresholds(similarity=0.3, name_coverage=0.5, colocation=0.5)


def evidence_of(*passages: Passage) -> list[PassageEvidence]:
    return [PassageEvidence.of(p) for p in passages]


def passage(marker: int, body: str, **meta) -> Passage:
    """A numbered passage over ``body`` with fields in ``meta`` (no embeddings needed)."""
    header = f"{meta.get('title', 'Children: Protection')}\n"
    hit = Hit(
        chunk_id=f"d{marker}:000:x",
        doc_id=meta.pop("doc_id", f"d{marker}"),
        score=1.0,
        dense_score=0.6,
        text=header + body,
        metadata={"title": "Children: Protection", "header_chars": len(header), "body_start": 0, **meta},
    )
    sentences = [
        SourceSentence(Quote(text=body[s:e], start=s, end=e), np.zeros(2, dtype=np.float32))
        for s, e in split_sentences(body)
    ]
    return Passage(marker=marker, hit=hit, sentences=sentences, kept=sentences)


EIF = passage(
    1,
    "The Early Intervention Foundation (EIF) was set up by the government in 2013. It is funded by the "
    "Department for Education, the Department for Work and Pensions and the Department of Health.",
    answerer="Edward Timpson",
    department="Department for Education",
    date_answered="2016-12-21",
    date_asked="2016-12-13",
    asker="Dr Rosena Allin-Khan",
)
INNOVATION = passage(
    2,
    "Through the Innovation Programme we have invested over £100 million in 53 projects. "
    "The Child Protection Taskforce will oversee the reforms.",
)


# facts ----------------------------------------------------------------------------------------------------------
def test_facts_are_normalised_for_comparison():
    evidence = Evidence("In 2013 it cost £5 million. Answered on 14th July 2015. It reached 50,000 people.")
    for text in ("It cost £5m in 2013.", "It was answered on 14 July 2015.", "It reached 50000 people."):
        assert all(evidence.has(f) for f in facts_of(text)), text
    assert not Evidence("It cost £5 million.").has(facts_of("It cost £50 million.")[0])
    kinds = {f.type for f in facts_of("Edward Timpson said £200m went to 53 projects in May 2016.")}
    assert {FactType.NAME, FactType.MONEY, FactType.NUMBER, FactType.MONTH} <= kinds


def test_a_letter_standing_after_an_amount_is_not_its_scale():
    listed = Evidence("a) Total purchases in 2022 = 1,767 with a value of £194,605.36 b) Total purchases = 2,672")
    assert all(listed.has(f) for f in facts_of("They made 1,767 purchases in 2022, worth £194,605.36."))
    assert Evidence("It cost £5m (£2.5bn in all).").has(facts_of("It cost £5 million.")[0])


def test_a_record_without_its_department_is_checked_against_the_office_it_was_put_to():
    put = passage(1, "Total purchases in 2022 = 1,767.", addressed_to="Secretary of State for Work and Pensions")
    assert "Department for Work and Pensions" in put.metadata_line()
    checked = verify([("The DWP made 1,767 purchases in 2022.", [1])], [put])
    assert checked.kept and not checked.dropped


def test_aliases_and_defined_abbreviations():
    evidence = Evidence("The Early Intervention Foundation (EIF) is funded by the Department for Education.")
    assert evidence.has_name("DfE")
    assert evidence.has_name("EIF")
    assert not evidence.has_name("Home Office")


# verification ---------------------------------------------------------------------------------------------------
def test_supported_sentence_is_kept_with_its_quote():
    result = verify([("The Early Intervention Foundation was set up in 2013.", [1])], [EIF, INNOVATION])
    assert [v.sentence.markers for v in result.kept] == [[1]] and not result.dropped
    assert "2013" in result.kept[0].quotes[1][0].quote.text


def test_alias_in_the_answer_is_supported():
    result = verify([("The EIF is funded by the DfE.", [1])], [EIF])
    assert result.kept and not result.dropped


def test_wrong_citation_is_re_cited_to_the_passage_that_states_it():
    result = verify([("The programme invested over £100 million in 53 projects.", [1])], [EIF, INNOVATION])
    assert [v.sentence.markers for v in result.kept] == [[2]]


def test_number_found_only_beside_another_subject_is_dropped():
    # £100 million is in passage 2, but about the Innovation Programme, not the Taskforce
    result = verify([("The Child Protection Taskforce was given £100 million.", [2])], [EIF, INNOVATION])
    assert not result.kept
    assert result.dropped and "100000000" in (result.dropped[0].note or "")


def test_one_bad_sentence_is_dropped_and_the_rest_kept():
    sentences = [("The Early Intervention Foundation was set up in 2013.", [1]), ("It cost £7 million.", [1])]
    result = verify(sentences, [EIF, INNOVATION])
    assert [v.sentence.text for v in result.kept] == ["The Early Intervention Foundation was set up in 2013."]
    assert [d.text for d in result.dropped] == ["It cost £7 million."]


def test_number_in_another_passage_only():
    result = verify([("There were 53 projects in the Innovation Programme.", [1])], [EIF, INNOVATION])
    assert [v.sentence.markers for v in result.kept] == [[2]]
    result = verify([("There were 53 projects.", [1])], [EIF])
    assert not result.kept


# question typing ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("question", "fields"),
    [
        ("Which minister answered the Offences against Children question, and on what date?",
         {AskedField.ANSWERER, AskedField.DATE_ANSWERED}),
        ("Who asked the question about early help in December 2016?", {AskedField.ASKER}),
        ("when did the goverment answer the question on kinship care?", {AskedField.DATE_ANSWERED}),
        ("Which department responded to the question on youth clubs?", {AskedField.DEPARTMENT}),
        ("When was the Early Intervention Foundation set up?", set()),
        ("Who chairs the Child Safeguarding Practice Review Panel?", set()),
        ("What ministerial post did Will Quince hold when he answered the question on family support?", set()),
        ("Which minister replied when the question on adoption was asked?",
         {AskedField.ANSWERER, AskedField.DATE_ASKED, AskedField.DATE_ANSWERED}),
        ("which defra minister replied to shaun davies about fly-tipping, and on what date?",
         {AskedField.ANSWERER, AskedField.DATE_ANSWERED}),
        ("Which programme did the minister say had answered the need?", set()),
        ("In Edward Timpson's December 2016 reply, when does he say the guidance had been revised?", set()),
        ("Which department answered the question on referrals, and in which House was it asked?",
         {AskedField.DEPARTMENT, AskedField.HOUSE}),
        ("was the question on kinship care asked in the Lords or the Commons?", {AskedField.HOUSE}),
        ("Which House of Commons committee reported on kinship care?", set()),
    ],
)  # fmt: skip
def test_metadata_questions_are_recognised(question, fields):
    assert set(analyse(question).asked_fields) == fields


def test_constraints_are_found():
    q = analyse("How much did the Child Protection Taskforce spend in March 2019?")
    assert q.fact_kind is FactKind.MONEY
    assert "Child Protection Taskforce" in q.names
    assert q.years == (2019,) and q.months == ((2019, 3),)


def test_what_a_thing_cost_asks_for_an_amount_of_that_thing():
    asked = "What did the Wood Review cost?"
    question = analyse(asked)
    assert question.fact_kind is FactKind.MONEY
    review = passage(1, "The new arrangements are based on the findings of the Wood Review, published in May 2016.")
    spending = passage(2, "The 2015 Spending Review made available more than £200 billion to councils.")
    checked = verify([("The Wood Review cost £200 billion.", [2])], [review, spending], asked)
    assert checked.kept  # the amount is in the cited passage ...
    assert not subject_beside_fact(checked, question, (FactKind.MONEY,))  # ... but not said of the Wood Review


# refusal --------------------------------------------------------------------------------------------------------
def test_refusal_needs_the_fact_beside_the_subject():
    hits = [EIF.hit, INNOVATION.hit]
    budget = analyse("What budget was the Child Protection Taskforce given?")
    assert decide(signals(budget, hits, 0.6), LOOSE).refuse
    founded = analyse("When was the Early Intervention Foundation set up?")
    assert not decide(signals(founded, hits, 0.6), LOOSE).refuse


def test_refusal_checks_years_names_and_similarity():
    hits = [EIF.hit]
    assert decide(
        signals(analyse("When was the Early Intervention Foundation set up in 2019?"), hits, 0.6), LOOSE
    ).refuse
    assert decide(signals(analyse("What does the Scottish Reporter Administration fund?"), hits, 0.6), LOOSE).refuse
    assert decide(signals(analyse("When was the Early Intervention Foundation set up?"), hits, 0.1), LOOSE).refuse
    assert decide(signals(analyse("anything at all"), [], None), LOOSE).refuse


def test_two_bodies_named_together_are_two_names_and_an_addressed_office_names_its_department():
    question = analyse("How many card purchases did DWP and the Home Office each make in 2022 (DfE figures)?")
    assert question.names == ("DWP", "Home Office", "DfE")
    assert analyse("What did the Department for Culture, Media and Sport say?").names[-1] == "Media and Sport"
    put = passage(
        1,
        "The Department for Work and Pensions made 120 card purchases in 2022. The Home Office made 80.",
        addressed_to="Secretary of State for Education",
    )
    assert decide(signals(question, [put.hit], 0.6), LOOSE).signals.name_coverage == 1.0
    unaddressed = passage(
        2, "The Department for Work and Pensions made 120 card purchases in 2022. The Home Office made 80."
    )
    assert decide(signals(question, [unaddressed.hit], 0.6), LOOSE).signals.name_coverage == pytest.approx(2 / 3)


# metadata answers -----------------------------------------------------------------------------------------------
def test_metadata_answer_comes_from_the_record():
    found = answer_metadata(analyse("Which minister replied to the December 2016 question, and when?"), [EIF])
    assert found is not None and found.passage is EIF
    assert "Edward Timpson" in found.text and "21 December 2016" in found.text and "[1]" in found.text


def test_metadata_answer_gives_the_office_the_record_states():
    statement = passage(
        3,
        "My right honourable friend the Secretary of State for Children, Schools and Families (Ed Balls) has made "
        "the following Written Ministerial Statement. We are publishing the response to Lord Laming today.",
        title="Lord Laming: One Year On",
        answerer="Ed Balls",
        date_answered="2010-03-16",
    )
    found = answer_metadata(analyse("Who made the statement on the response to Lord Laming: One Year On?"), [statement])
    assert found is not None and "Ed Balls (Secretary of State for Children, Schools and Families)" in found.text
    plain = answer_metadata(analyse("Which minister replied to the December 2016 question?"), [EIF])
    assert plain is not None and "Edward Timpson on" in plain.text  # the record's text gives him no office


def test_metadata_answer_gives_the_house_the_question_was_asked_in():
    lords = passage(
        4,
        "The LGA estimates that there are 1,770 referrals a day.",
        house="Lords",
        department="Department for Education",
        date_answered="2018-01-31",
    )
    question = analyse("Which department answered the question on referrals, and in which House?")
    found = answer_metadata(question, [lords])
    assert found is not None and "asked in the House of Lords" in found.text
    assert "for the Department for Education" in found.text and not found.missing
    silent = passage(5, "The LGA estimates that there are 1,770 referrals a day.", date_answered="2018-01-31")
    lacking = answer_metadata(analyse("In which House was the question on referrals asked, and when?"), [silent])
    assert lacking is not None and "does not say which House it was asked in" in lacking.text


def test_metadata_answer_refuses_a_record_from_another_month():
    assert answer_metadata(analyse("Who answered the March 2019 question on early help?"), [EIF]) is None


def test_metadata_answer_says_what_the_record_lacks():
    found = answer_metadata(
        analyse("Who asked the question on the Innovation Programme, and who answered?"), [INNOVATION]
    )
    assert found is None  # the record has neither field


def test_what_the_question_states_is_not_checked_again():
    question = "How many projects had the Innovation Programme funded by the end of 2016?"
    dated = passage(2, INNOVATION.hit.body, date_answered="2016-12-21")  # the record's date gives the year
    sentence = [("The Innovation Programme had funded 53 projects by the end of 2016.", [2])]
    assert verify(sentence, [EIF, dated], question).kept
    assert not verify(sentence, [EIF, INNOVATION], question).kept  # nothing says the 53 were by 2016
    undated = [("The Innovation Programme had funded 53 projects in 2019.", [2])]
    assert not verify(undated, [EIF, dated]).kept  # a year that is neither the record's nor in its text


def test_a_figure_for_another_period_is_dropped():
    ice = passage(3, "The ICE investigated 784 cases in 2023/24. In 2022/23 it investigated 650 cases.")
    kept = verify(
        [("The ICE investigated 784 cases.", [3])], [ice], "How many cases did the ICE investigate in 2023/24?"
    )
    assert kept.kept
    wrong = verify(
        [("The ICE investigated 784 cases.", [3])], [ice], "How many cases did the ICE investigate in 2024/25?"
    )
    assert not wrong.kept and wrong.dropped


def test_a_sentence_that_only_repeats_the_question_is_dropped():
    question = "What new police plan was commissioned to improve child protection capability?"
    result = verify(
        [("A new police plan was commissioned to improve child protection capability.", [1])], [EIF], question
    )
    assert not result.kept and result.dropped[0].note == "it only repeats the question"


def test_a_day_and_month_take_the_records_year():
    taskforce = passage(
        4, "On 24 June the Prime Minister announced a new Child Protection Taskforce.", date_answered="2015-07-14"
    )
    assert verify(
        [("The Prime Minister announced the Child Protection Taskforce on 24 June 2015.", [4])], [taskforce]
    ).kept
    assert not verify(
        [("The Prime Minister announced the Child Protection Taskforce on 24 June 2016.", [4])], [taskforce]
    ).kept


def test_who_put_the_question_asks_for_the_asker():
    q = analyse("Who put the question about early help services that Edward Timpson answered in December 2016?")
    assert q.asked_fields == (AskedField.ASKER,)


def test_office_holders_count_as_people():
    from qa.refusal import kind_present

    assert kind_present(FactKind.PERSON, "It is chaired by the Secretary of State for Education.")
    assert kind_present(FactKind.PERSON, "Sir Roger Singleton was appointed.")
    assert not kind_present(FactKind.PERSON, "It is funded by the Department for Education.")


def test_a_sentence_saying_the_sources_do_not_answer_is_dropped():
    sentences = [
        ("The Early Intervention Foundation was set up in 2013.", [1]),
        ("The sources do not mention its budget.", [1]),
    ]
    result = verify(sentences, [EIF])
    assert [v.sentence.text for v in result.kept] == [sentences[0][0]]
    assert result.dropped[0].note == DECLINED
    # an answer's own negative statement is an answer, not a decline
    assert not declines("The Department does not hold this information centrally.")
    assert declines("This is not mentioned in the sources.")


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("Who chairs the Child Protection Taskforce?", FactKind.PERSON),
        ("Who was the government's first chief adviser on the safety of children?", FactKind.PERSON),
        ("Who are the three safeguarding partners?", FactKind.OTHER),
        ("Who should report concerns about a child?", FactKind.OTHER),
    ],
)
def test_who_asks_for_a_person_only_when_one_is_meant(question, kind):
    assert analyse(question).fact_kind is kind


def test_a_when_question_needs_the_date_stated_not_the_records_own():
    trust = passage(
        3,
        "Where performance is poor, such as Doncaster, we have put in place new trust arrangements.",
        date_answered="2015-07-14",
    )
    asked = "When did the Doncaster children's services trust start operating?"
    assert not verify([("The Doncaster trust started operating in 2015.", [3])], [trust], asked).kept
    assert verify(
        [("The Doncaster trust started operating in 2015.", [3])], [trust], "What is the Doncaster trust?"
    ).kept


def test_number_words_and_amounts_are_facts():
    assert not verify([("The Taskforce meets four times a year.", [2])], [INNOVATION]).kept
    assert not verify([("The government gave £53 to the programme.", [2])], [INNOVATION]).kept
    assert verify([("The Innovation Programme invested over £100 million in 53 projects.", [2])], [INNOVATION]).kept


def test_a_supported_opening_clause_is_kept_and_the_rest_dropped():
    text = (
        "The Early Intervention Foundation was set up in 2013, and has been part of the Early Years Strategy "
        "since 2013."
    )
    result = verify([(text, [1])], [EIF])
    assert [v.sentence.text for v in result.kept] == ["The Early Intervention Foundation was set up in 2013."]
    assert [d.text for d in result.dropped] == ["and has been part of the Early Years Strategy since 2013."]


def test_a_figure_must_be_stated_for_what_the_answer_says_it_is_for():
    programme = passage(
        4,
        "Over the last two years the Government has invested over £100 million in 53 projects through the "
        "Children's Social Care Innovation Programme. Through the programme the government is investing nearly "
        "£5 million in targeted support for children in need.",
    )
    wrong = "The government is investing £100 million in targeted support for children in need."
    right = "The government is investing nearly £5 million in targeted support for children in need."
    assert not verify([(wrong, [4])], [programme]).kept
    assert verify([(right, [4])], [programme]).kept


# dates given relatively, year ranges, several records, mixed questions -------------------------------------
def test_a_month_of_this_year_is_the_records_year():
    dated = passage(
        2, "In April this year we committed a further £200m over the next four years.", date_answered="2016-12-21"
    )
    question = analyse("How much did the government commit in April 2016 to support innovation?")
    assert signals(question, [dated.hit], 0.6).dates_found
    assert verify([("In April 2016 the government committed a further £200m.", [2])], [dated], question.text).kept
    assert not verify([("In April 2017 the government committed a further £200m.", [2])], [dated]).kept


def test_a_range_of_years_is_met_by_any_year_inside_it():
    question = analyse("Which guidance have ministers cited between 2010 and 2022 on working together?")
    assert question.year_ranges == ((2010, 2022),) and not question.years
    assert signals(question, [EIF.hit], 0.6).dates_found  # a 2016 record
    assert not signals(analyse("Which guidance was cited between 2018 and 2022?"), [EIF.hit], 0.6).dates_found
    assert analyse("Will the programme continue after 2024?").year_ranges == ((2024, 2099),)
    assert analyse("What was spent from 2023 to 2024?").financial_years == ("2023-24",)


def test_putting_out_a_report_is_not_asking_a_question():
    assert not analyse("As of March 2022, when was the review meant to put out its full report?").is_metadata
    assert analyse("When was the question on adoption tabled?").asked_fields == (AskedField.DATE_ASKED,)


def july_2015(body: str, doc_id: str) -> Passage:
    """A second record, Edward Timpson's answer of 14 July 2015, as passage [2]."""
    return passage(2, body, answerer="Edward Timpson", date_answered="2015-07-14", doc_id=doc_id)


def test_a_question_naming_two_records_is_answered_from_both():
    older = july_2015("Children are protected by local safeguarding boards.", "older")
    question = analyse("Which minister answered both the July 2015 question and the December 2016 question?")
    found = answer_metadata(question, [EIF, older])
    assert found is not None and {p.hit.doc_id for p in found.passages} == {"d1", "older"}
    assert found.text.count("Edward Timpson") == 2 and "[1]" in found.text and "[2]" in found.text
    assert (
        answer_metadata(analyse("Which minister answered the July 2015 and the May 2019 question?"), [EIF, older])
        is None
    )


def test_who_said_it_is_answered_from_the_record_that_says_it():
    statement = passage(
        1,
        "Local Safeguarding Children Boards will publish practice guidance. Keeping children safe is our priority.",
        answerer="Ed Balls",
        doc_id="statement",
    )
    said = passage(
        2,
        "In each local area, the safeguarding partners should publish a threshold document.",
        answerer="Will Quince",
        date_answered="2022-03-31",
        doc_id="said",
    )
    question = analyse(
        "Which minister said every local area's safeguarding partners should publish a threshold document?"
    )
    found = answer_metadata(question, [statement, said])
    assert found is not None and found.passage.hit.doc_id == "said" and "Will Quince" in found.text
    close = passage(
        3, "The safeguarding partners in each local area publish a document.", answerer="Ed Balls", doc_id="close"
    )
    assert answer_metadata(question, [close, said]).passage.hit.doc_id == "close"  # near enough: rank decides


def test_who_asked_picks_the_record_whatever_the_case_of_the_name():
    later = july_2015("Child protection is a priority, and child protection reforms are under way.", "later")
    question = analyse("which minister replied to rosena allin-khan's question on child protection, and on what date?")
    found = answer_metadata(question, [EIF, later])
    assert found is not None and found.passage.hit.doc_id == "d1"  # the asker is a field of the record
    assert "21 December 2016" in found.text


def test_which_ministers_lists_every_matching_record_once():
    other = passage(2, "Ministers replied.", answerer="Will Quince", date_answered="2022-03-22", doc_id="other")
    again = passage(3, "More of the first answer.", answerer="Edward Timpson", date_answered="2016-12-21", doc_id="d1")
    question = analyse("Which ministers have replied to these child protection questions?")
    assert question.several_records
    found = answer_metadata(question, [EIF, other, again])
    assert found is not None and [p.hit.doc_id for p in found.passages] == ["d1", "other"]
    assert "Will Quince" in found.text and "22 March 2022" in found.text


def test_a_mixed_question_separates_content_from_the_records_fields():
    question = analyse("How much will the new fund for travel costs provide each year, and who answered the question?")
    assert question.asked_fields == (AskedField.ANSWERER,)
    assert question.content_question == "How much will the new fund for travel costs provide each year?"
    assert (
        analyse("Which minister answered the Offences against Children question, and on what date?").content_question
        is None
    )


@pytest.mark.parametrize(
    ("question", "fields"),
    [
        ("Who was the question on adoption put to?", (AskedField.ADDRESSEE, AskedField.ANSWERER)),
        ("To whom was the question on SEND addressed?", (AskedField.ADDRESSEE, AskedField.ANSWERER)),
        ("Who did the minister reply to about school meals?", (AskedField.ASKER,)),
        ("Who put the question on adoption to the minister?", (AskedField.ASKER,)),
        ("Which department handled the question on care leavers?", (AskedField.DEPARTMENT,)),
        ("On which day was the question on kinship care answered?", (AskedField.DATE_ANSWERED,)),
        ("Who replied, and when, to the question on social workers?", (AskedField.ANSWERER, AskedField.DATE_ANSWERED)),
    ],
)
def test_how_users_ask_for_a_records_fields(question, fields):
    analysis = analyse(question)
    assert analysis.asked_fields == fields and analysis.content_question is None


def test_names_end_before_a_month_and_seasons_are_dated_by_the_record():
    from qa.facts import names_in, resolve_relative_years

    assert names_in("The Review published its Case for Change in June 2021.") == ["Review", "Case for Change"]
    assert "Spring 2022" in resolve_relative_years("The full report is due to be published this Spring.", 2022)
    assert resolve_relative_years("Revised last year.", None) == "Revised last year."
    review = passage(3, "The Review published its Case for Change in June 2021.", date_answered="2022-03-31")
    question = "When did the Independent Review of Children's Social Care publish its Case for Change?"
    answer = [("The Independent Review of Children's Social Care published its Case for Change in June 2021.", [3])]
    assert verify(answer, [review], question).kept
    assert not verify([("It published its Case for Change in May 2021.", [3])], [review], question).kept


def test_financial_years_spelt_out_and_spans_of_time():
    from qa.facts import financial_years_in
    from qa.refusal import kind_present

    assert financial_years_in("In the period 1 April 2022 to 31 March 2023, 294 separations") == {"2022-23"}
    assert financial_years_in("in the year ending March 2024") == {"2023-24"}
    assert financial_years_in("total spend was £2,988,971.49 in FY 23/24") == {"2023-24"}
    assert financial_years_in("scored 23/24 in the test") == set()
    assert financial_years_in("from April 2022 to March 2024") == set()
    assert kind_present(FactKind.DATE, "The duties will be fully in force from 25 July.")
    assert kind_present(FactKind.DATE, "They may leave after 28 days, giving 14 days' notice.")
    assert not kind_present(FactKind.DATE, "They may leave at any point.")
    assert analyse("How much notice is needed?").fact_kind is not FactKind.MONEY
    assert analyse("How much of the £200m went to councils?").fact_kind is FactKind.MONEY
    assert analyse("Is AI-generated abuse imagery illegal?").names == ("AI",)


def test_the_answering_department_needs_no_naming_in_each_sentence():
    dfe = passage(
        4,
        "To support social workers, the department funds professional development for around 4,000 social "
        "workers each year.",
        department="Department for Education",
    )
    question = "How many social workers does the Department for Education fund professional development for?"
    sentence = [("The Department for Education funds professional development for around 4,000 social workers.", [4])]
    assert verify(sentence, [dfe], question).kept
    other = passage(4, dfe.hit.body, department="Home Office")
    assert not verify(sentence, [other], question).kept


def test_list_items_keep_their_introduction():
    costs = passage(
        5,
        "The average annual cost per place is:\nSecure Children's Home: £299,459.47\n"
        "Secure Training Centre: £305,892.40",
    )
    sentence = [
        (
            "The average annual cost per place is £299,459.47 in a Secure Children's Home and £305,892.40 in a "
            "Secure Training Centre.",
            [5],
        )
    ]
    assert verify(sentence, [costs], "What is the average annual cost per place?").kept


# the source's own words -----------------------------------------------------------------------------------------
def test_a_bare_answer_is_followed_by_the_sentence_that_states_it():
    checked = verify([("2013.", [1])], [EIF], "When was the Early Intervention Foundation set up?")
    quoted = backing_quotes(checked.kept)
    assert [s.sentence.text for s in quoted] == [
        "2013.",
        "“The Early Intervention Foundation (EIF) was set up by the government in 2013.”",
    ]
    assert quoted[1].sentence.quoted and quoted[1].sentence.markers == [1]


FUND = passage(
    3,
    "One of the issues identified in his report is the increase in demand that many children's services are "
    "experiencing. As a first step in responding to that, today we are announcing a new Local Social Work "
    "Improvement Fund of £23 million. This can be used flexibly by local authorities to put in place local "
    "solutions which help to reduce pressure at the front line.",
)


def test_a_why_answer_quotes_what_its_source_responds_to():
    draft = [("The fund was brought in to help local authorities reduce pressure at the front line.", [3])]
    checked = verify(draft, [FUND], "Why was the Local Social Work Improvement Fund brought in?")
    assert checked.kept
    quoted = [v.sentence.text for v in backing_quotes(checked.kept, [FUND], reasons=True)]
    assert quoted[1] == (
        "“One of the issues identified in his report is the increase in demand that many children's services are "
        "experiencing.”"
    )
    assert len(backing_quotes(checked.kept, [FUND], reasons=False)) == 1  # a fact question is not told why


def test_a_why_answer_quotes_the_source_sentence_it_paraphrases_leaving_words_out():
    guidance = passage(
        4, "Providing help early, before issues and problems escalate, is more effective than reacting later."
    )
    draft = [("The guidance stresses early help because it is more effective than reacting later.", [4])]
    checked = verify(draft, [guidance], "Why does the guidance stress early help?")
    quoted = [v.sentence.text for v in backing_quotes(checked.kept, [guidance], reasons=True)]
    assert quoted[1].startswith("“Providing help early, before issues and problems escalate")
    assert len(backing_quotes(checked.kept, [guidance], reasons=False)) == 1


def test_a_why_answer_quotes_the_source_sentence_that_gives_the_reason():
    highways = passage(
        5,
        "National Highways is responsible for setting pay awards that are affordable. During 2022, the "
        "organisation awarded a larger pay deal compared to the core Civil Service and as such took the decision "
        "to not offer the £1500 non-consolidated payment.",
    )
    other = passage(6, "National Highways operates under different terms to the Civil Service.")
    question = analyse("why did national highways not pay its staff the £1,500 one-off civil service payment?")
    reason = reason_sentence(evidence_of(other, highways), question)
    assert reason is not None and reason.sentence.markers == [5]
    assert "as such took the decision" in reason.sentence.text
    draft = verify([("National Highways operates under different terms to the Civil Service.", [6])], [other])
    answer = [v.sentence.text for v in with_reason(draft.kept, reason)]
    assert len(answer) == 2 and answer[1] == reason.sentence.text
    assert with_reason([*draft.kept, reason], reason) == [*draft.kept, reason]  # said once
    assert reason_sentence(evidence_of(other), question) is None  # no sentence there gives a reason


def test_a_quote_is_added_only_where_it_says_more_than_the_answer():
    full = verify([("The Early Intervention Foundation was set up by the government in 2013.", [1])], [EIF])
    assert [v.sentence.quoted for v in backing_quotes(full.kept)] == [False]
    projects = verify([("The Innovation Programme funded 53 projects.", [2])], [INNOVATION])
    quoted = backing_quotes(projects.kept)
    said = "“Through the Innovation Programme we have invested over £100 million in 53 projects.”"
    assert quoted[-1].sentence.text == said


GRANT = passage(
    7,
    "The Government has allocated £255.5 million through the Rough Sleeping Prevention and Recovery Grant this "
    "year. This includes the £69.9 million uplift that we announced on 10 October 2025. Local authorities can use "
    "this money flexibly to prevent and reduce rough sleeping. In 2019 there were 4,266 people sleeping rough.",
    date_answered="2025-11-20",
)


def checked_draft(question: str, sentence: str, source: Passage):
    """The question analysed, and a one-sentence draft citing ``source`` checked against it (and kept)."""
    analysis = analyse(question)
    checked = verify([(sentence, [source.marker])], [source], analysis.text)
    assert checked.kept
    return analysis, checked


def test_a_question_about_each_of_two_bodies_is_answered_by_each_ones_own_record():
    cabinet = passage(
        1, "Communications total spend was £2,988,971.49 in FY 23/24.", department="Cabinet Office", doc_id="co"
    )
    energy = passage(
        2,
        "For the financial year 2023/24 the department spent £7.6m on communications.",
        department="Department for Energy Security and Net Zero",
        doc_id="desnz",
    )
    question = analyse("How much did DESNZ and the Cabinet Office each spend on communications in 2023/24?")
    draft = [
        ("The Cabinet Office spent £2,988,971.49 on communications in 2023/24.", [1]),
        ("DESNZ spent £7.6m on communications in 2023/24.", [2]),
    ]
    checked = verify(draft, [cabinet, energy], question.text)
    assert len(checked.kept) == 2
    assert subject_beside_fact(checked, question, (FactKind.MONEY,))
    one = analyse("How much did DESNZ spend on communications with the Cabinet Office in 2023/24?")
    alone = verify(draft[:1], [cabinet], one.text)
    assert not alone.kept or not subject_beside_fact(alone, one, (FactKind.MONEY,))  # one subject: DESNZ's


def test_the_second_part_of_a_two_part_answer_is_quoted_from_the_sentence_after():
    question, checked = checked_draft(
        "whats the total rough sleeping prevention and recovery grant for this year after the uplift goverment "
        "announced in october 2025?",
        "The total Rough Sleeping Prevention and Recovery Grant this year is £255.5 million.",
        GRANT,
    )
    texts = [v.sentence.text for v in backing_quotes(checked.kept, [GRANT], subject=question.subject_terms)]
    assert texts[-1] == "“This includes the £69.9 million uplift that we announced on 10 October 2025.”"
    assert texts[1].startswith("“The Government has allocated £255.5 million")


def test_the_sentence_after_is_quoted_only_where_it_goes_on_about_the_subject_with_a_figure():
    question = analyse("How many people sleep rough, and how can local authorities use the grant money?")
    draft = [("Local authorities can use the grant money flexibly to prevent and reduce rough sleeping.", [7])]
    checked = verify(draft, [GRANT], question.text)
    assert checked.kept
    texts = [v.sentence.text for v in backing_quotes(checked.kept, [GRANT], subject=["grant", "money"])]
    assert not any("4,266" in t for t in texts)  # a figure, but neither reading back nor about the subject
    roads = passage(
        8,
        "In 2023/24, capital expenditure on national and local roads was £284m in the North East of England. "
        "Capital expenditure on national and local roads in the North East of England was 0.94% of total "
        "Department for Transport expenditure.",
    )
    question = analyse("What was DfT's capital spending on national and local roads in the North East in 2023/24?")
    draft = [("Capital expenditure on roads in the North East was £284m in 2023/24.", [8])]
    checked = verify(draft, [roads], question.text)
    texts = [v.sentence.text for v in backing_quotes(checked.kept, [roads], subject=question.subject_terms)]
    assert any("0.94%" in t for t in texts)  # the same subject, a figure the answer leaves out
    assert not any("0.94%" in t for t in (v.sentence.text for v in backing_quotes(checked.kept, [roads])))


CHARITIES = passage(
    9,
    "National Voices, Friends, Families and Travellers, Homeless Link, and the Race Equality Foundation, carried "
    "out these engagement sessions. The following table shows the funding each charity received:\n\n"
    "Charity | Funding received\nNational Voices | £21,070.00\nFriends, Families and Travellers | £14,998.00\n"
    "Homeless Link | £6,673.00\nRace Equality Foundation | £11,550.00\nMaternity Consortium | £27,020.00\n"
    "Total | £81,311.00",
)


def test_a_list_answer_is_given_the_rows_of_its_table_it_leaves_out():
    draft = [
        ("National Voices, Friends, Families and Travellers, Homeless Link, and the Race Equality Foundation.", [9])
    ]
    checked = verify(draft, [CHARITIES], "Which charities got money from the supplementary fund?")
    assert checked.kept
    rows = missing_rows(checked.kept, [CHARITIES])
    assert [r.sentence.text for r in rows] == ["“Maternity Consortium | £27,020.00”"]
    assert rows[0].sentence.quoted and rows[0].sentence.markers == [9]
    one = verify([("National Voices received £21,070.00.", [9])], [CHARITIES], "Which charities got money?")
    assert one.kept and missing_rows(one.kept, [CHARITIES]) == []  # one row named is not a list of the table


LOANS = passage(
    10,
    "Under the Bounce Back Loan Scheme, businesses drew down £46.59 billion in loans. Lenders report on the "
    "scheme every quarter. By September 2024, 12.97% of the scheme's facilities had been repaid in full.",
    date_answered="2024-11-05",
)


def test_the_part_of_a_two_part_question_no_answer_sentence_states_is_quoted():
    question, checked = checked_draft(
        "How much did businesses draw under the Bounce Back Loan Scheme, and what share of facilities had been "
        "repaid by September 2024?",
        "Businesses drew £46.59 billion under the Bounce Back Loan Scheme.",
        LOANS,
    )
    draft = [("Businesses drew £46.59 billion under the Bounce Back Loan Scheme.", [10])]
    added = missing_parts(checked.kept, checked.evidence, question, checked.asked)
    assert [v.sentence.text for v in added] == [
        "“By September 2024, 12.97% of the scheme's facilities had been repaid in full.”"
    ]
    both = verify([*draft, ("By September 2024, 12.97% of facilities had been repaid.", [10])], [LOANS], question.text)
    assert missing_parts(both.kept, both.evidence, question, both.asked) == []  # both parts answered
    one = analyse("How much did businesses draw under the Bounce Back Loan Scheme?")
    assert missing_parts(checked.kept, checked.evidence, one, checked.asked) == []  # a question of one part


def test_a_dropped_figure_gives_way_to_the_source_sentence_that_states_it_of_the_subject():
    question = analyse("How much has the Innovation Programme invested, and in how many projects?")
    draft = [("The Secretary of State invested £100 million in 53 projects.", [2])]
    dropped = verify(draft, [INNOVATION], question.text)
    assert not dropped.kept
    found = replacement(dropped.dropped[0], evidence_of(EIF, INNOVATION), question, QuotePolicy())
    assert found is not None and found.sentence.markers == [2] and found.sentence.quoted
    assert "£100 million in 53 projects" in found.sentence.text


def test_no_source_sentence_replaces_a_figure_stated_of_another_subject():
    question = analyse("What budget was the Child Protection Taskforce given?")
    checked = verify([("The Child Protection Taskforce was given £100 million.", [2])], [INNOVATION], question.text)
    assert not checked.kept
    assert replacement(checked.dropped[0], evidence_of(EIF, INNOVATION), question, QuotePolicy()) is None
    assert replacement(checked.dropped[0], checked.evidence, question, QuotePolicy(replacing=False)) is None


def test_a_minister_giving_information_is_the_answerer_and_a_dated_clause_stays_content():
    question = analyse("On what date did the inquiry formally close, and which minister gave this information?")
    assert question.asked_fields == (AskedField.ANSWERER,)
    assert question.content_question == "On what date did the inquiry formally close?"


def test_a_long_name_may_be_spelt_one_letter_away():
    source = Evidence("The guidance builds on responses from experts such as the NSPCC and Barnado’s.")
    assert source.has_name("NSPCC and Barnardo’s")
    assert not source.has_name("NSPCC and Oxfam")


def test_a_figure_for_the_asked_body_needs_a_passage_that_names_it():
    essex = passage(
        1,
        "The Neighbourhood Policing Grant funds more officers. Based on their funding allocation, the projected "
        "growth for neighbourhood officers in Essex Police over 2025/26 will be 74 (FTE) police officers.",
    )
    question = "How many officers is Suffolk Constabulary projected to gain from the Neighbourhood Policing Grant?"
    answer = "Suffolk Constabulary is projected to gain 74 officers from the Neighbourhood Policing Grant."
    assert not verify([(answer, [1])], [essex], question).kept
    assert verify([(answer.replace("Suffolk Constabulary", "Essex Police"), [1])], [essex], question).kept


def test_which_areas_asks_for_a_name_the_question_does_not_give():
    assert analyse("Which eight areas were picked as the early adopter Young Futures Hubs?").fact_kind is FactKind.NAME
    assert analyse("What areas of work was the Taskforce set up to lead?").fact_kind is FactKind.OTHER
    given = frozenset({"young futures hubs"})
    assert not kind_present(FactKind.NAME, "The eight Young Futures Hubs areas were announced later.", given)
    assert kind_present(FactKind.NAME, "The eight areas include Barnsley and Cornwall.", given)


def test_when_inside_a_clause_does_not_ask_for_a_date_and_a_season_is_one():
    assert analyse("what document do they publish setting out when families get help?").fact_kind is FactKind.OTHER
    assert analyse("as of march 22 when was the review meant to report?").fact_kind is FactKind.DATE
    assert kind_present(FactKind.DATE, "The full report is due to be published this Spring.")


def test_a_person_asked_about_must_be_named_in_the_answers_text_not_only_as_its_answerer():
    question = "Who was the Chief Social Worker who introduced the knowledge and skills statement?"
    answer = "The Chief Social Worker who introduced the knowledge and skills statement was Edward Timpson."
    statement = passage(
        1, "The Chief Social Worker introduced the knowledge and skills statement.", answerer="Edward Timpson"
    )
    assert not verify([(answer, [1])], [statement], question).kept
    named = passage(1, "Isabelle Trowler, the Chief Social Worker, introduced the knowledge and skills statement.")
    assert verify([(answer.replace("Edward Timpson", "Isabelle Trowler"), [1])], [named], question).kept


def test_a_draft_that_answers_another_figure_gives_way_to_the_sentence_that_answers():
    campaign = passage(
        1,
        "We have introduced Frontline and Step Up to Social Work. 101 Frontline participants are training in 18 "
        "local authorities. Over 50,000 people have registered for information on how to become a social worker.",
    )
    question = analyse("How many people registered for information on becoming a social worker?")
    checked = verify([("101 Frontline participants are training in 18 local authorities.", [1])], [campaign])
    assert checked.kept and not answers_question(checked.kept, question)
    found = evidence_sentence(checked.evidence, question)
    assert found is not None and "50,000 people have registered" in found.sentence.text and found.sentence.quoted
    near_miss = analyse("How many people actually became social workers after the national recruitment campaign?")
    assert evidence_sentence(checked.evidence, near_miss) is None


def test_a_question_asking_for_a_web_address_is_answered_by_the_sentence_that_gives_it():
    question = analyse("whats the web link for the PM's announcement of the new child protection taskforce?")
    assert question.fact_kind is FactKind.LINK and "link" not in question.subject_terms
    assert analyse("Is there a link between poverty and neglect?").fact_kind is not FactKind.LINK
    assert analyse("How much came through the North Sea Link in 2023?").fact_kind is not FactKind.LINK
    taskforce = passage(
        1,
        "On 24 June the Prime Minister announced a new Child Protection Taskforce. The Prime Minister’s "
        "announcement can be found online here: www.gov.uk/government/news/pm-announces-new-taskforce-to-transform"
        "-child-protection. The Taskforce will lead work to extend and accelerate reforms.",
    )
    checked = verify([("The Prime Minister announced a new Child Protection Taskforce.", [1])], [taskforce])
    assert checked.kept and not answers_question(checked.kept, question)  # no address in the answer
    found = evidence_sentence(checked.evidence, question)
    assert found is not None and "www.gov.uk/government/news/pm-announces" in found.sentence.text
    assert kind_present(FactKind.LINK, "See https://www.gov.uk/guidance.") and not kind_present(FactKind.LINK, "gov")
    assert kind_present(FactKind.LINK, "Www.gov.uk/government/news")  # as a sentence starts


def test_each_part_of_a_two_part_question_keeps_its_kind_of_fact():
    two = analyse("Which organisation is running England's first secure school, and when was it expected to open?")
    assert two.part_kinds == (FactKind.NAME, FactKind.DATE)
    assert analyse("When was the Early Intervention Foundation set up?").part_kinds == (FactKind.DATE,)


def test_a_figure_the_question_states_does_not_answer_it():
    stated = frozenset({"23000000"})
    assert not kind_present(FactKind.MONEY, "The £23 million fund was allocated to London councils.", stated=stated)
    assert kind_present(FactKind.MONEY, "London councils got £5 million of the £23 million fund.", stated=stated)


def test_a_figure_for_another_month_or_round_is_not_the_asked_one():
    satisfaction = passage(1, "In January 2026, victims had a call satisfaction of 92%.")
    question = "What was victims' call satisfaction with Report Fraud in February 2026?"
    assert not verify([("Call satisfaction was 92%.", [1])], [satisfaction], question).kept
    assert verify([("Call satisfaction was 92%.", [1])], [satisfaction], question.replace("February", "January")).kept
    fund = passage(1, "Shrewsbury secured £18.7 million through Round 2 of the Levelling Up Fund.")
    question = "How much Levelling Up Fund round 3 money did Shrewsbury get?"
    assert not verify([("Shrewsbury got £18.7 million.", [1])], [fund], question).kept
    assert verify([("Shrewsbury got £18.7 million.", [1])], [fund], question.replace("round 3", "round two")).kept


def test_a_table_row_is_read_with_its_heading_and_the_record_question():
    header = "Q: To ask, how much the Trust spent on external consultants in each of the last three years.\nA: "
    table = passage(
        1,
        "The following table shows the amount spent by the Trust:\n| 2022/23 | 2023/24 | 2024/25\n"
        "James Paget Trust | £360,455 | £181,287 | £154,043",
        title=header.rstrip(),
    )
    question = "How much did James Paget Trust spend on external consultants in 2024/25?"
    answer = "James Paget Trust spent £154,043 on external consultants in 2024/25."
    assert verify([(answer, [1])], [table], question).kept
    nurses = question.replace("external consultants", "agency nurses")
    assert not verify([(answer.replace("external consultants", "agency nurses"), [1])], [table], nurses).kept


def test_a_table_row_naming_its_own_labels_is_read_with_the_table_it_belongs_to():
    table = passage(
        1,
        "Number of applications approved in the 2024/25 financial year with therapy costs by placement type:\n"
        "Placement type | Less than £3,000 | Between £3,000 and £5,000\n"
        "i. Adoption (Domestic and Inter Country) | 8,369 | 7,091\nii. Special Guardianship Order | 2,179 | 1,895",
    )
    question = "How many applications for adopted children with therapy costs under £3,000 were approved in 2024/25?"
    answer = "8,369 applications were approved in the 2024/25 financial year with therapy costs under £3,000."
    result = verify([(answer, [1])], [table], question)
    assert result.kept and result.kept[0].quotes[1][0].quote.text.startswith("i. Adoption")
    assert not verify([(answer.replace("8,369", "8,639"), [1])], [table], question).kept


def test_a_clause_naming_who_and_a_clause_giving_when_are_each_checked_alone():
    school = passage(
        1,
        "Our first secure school is on course to open by Spring 2024. The provider, Oasis Restore Charitable "
        "Trust, is continuing to develop the operating model for the secure school.",
    )
    question = "Which organisation is running England's first secure school, and when was it expected to open?"
    who = "Oasis Restore Charitable Trust is running England's first secure school."
    answer = who.rstrip(".") + ", and it is expected to open by Spring 2024."
    result = verify([(answer, [1])], [school], question)
    assert [s.sentence.text for s in result.kept] == [answer]
    wrong = verify([(answer.replace("2024", "2025"), [1])], [school], question)
    assert [s.sentence.text for s in wrong.kept] == [
        "Oasis Restore Charitable Trust is running England's first secure school."
    ]
    assert subject_beside_fact(result, analyse(question), (FactKind.NAME, FactKind.DATE))  # "England's" is no subject


def test_an_amount_is_checked_against_the_question_as_corrected():
    playgrounds = passage(
        1, "At Autumn Budget 2025, the government announced £18 million for up to 200 children's playgrounds."
    )
    answer = [("The £18 million announced at the Autumn Budget will pay for up to 200 playgrounds.", [1])]
    misspelt = "How many childrens playgrounds will the £18 milion anounced at the Autum Budget pay for?"
    assert not verify(answer, [playgrounds], misspelt).kept  # "£18 milion" read as £18: no 200 is stated beside £18
    corrected = "How many childrens playgrounds will the £18 million announced at the autumn Budget pay for?"
    assert verify(answer, [playgrounds], corrected).kept  # what the assistant checks against


def test_a_department_short_name_is_the_department():
    assert Evidence("Ministry of Defence James Cartlidge").has_name("MoD's")


@pytest.mark.parametrize(
    ("question", "fields"),
    [
        (
            "how long did rosena allin-khan have to wait for a reply to her question?",
            (AskedField.DATE_ASKED, AskedField.DATE_ANSWERED),
        ),
        ("how long will councils have to respond to the consultation?", ()),
        ("When was the question on housing answered, and by whom?", (AskedField.ANSWERER, AskedField.DATE_ANSWERED)),
        ("Which MP asked the FCDO about aid costs, and who answered?", (AskedField.ANSWERER, AskedField.ASKER)),
        ("who replied to justin madders, and which department was it?", (AskedField.ANSWERER, AskedField.DEPARTMENT)),
        ("who does the foundation help to put programmes into practice?", ()),
        ("Who put the question on adoption?", (AskedField.ASKER,)),
        (
            "Which department answered the question on swimming, and who was the minister?",
            (AskedField.DEPARTMENT, AskedField.ANSWERER),
        ),
        ("Which minister said in March 2022 that the review's report was due that spring?", (AskedField.ANSWERER,)),
        ("On which dates did Edward Timpson answer questions on child protection?", (AskedField.DATE_ANSWERED,)),
        ("Who was the minister for children in 2016?", ()),
    ],
)
def test_the_record_fields_each_part_of_a_question_asks_for(question, fields):
    assert analyse(question).asked_fields == fields


def test_how_long_a_reply_took_is_answered_with_both_dates_and_the_days_between():
    found = answer_metadata(analyse("How long did she wait for a reply to her question?"), [EIF])
    assert found is not None
    assert "13 December 2016" in found.text and "21 December 2016" in found.text and "8 days later" in found.text


def test_a_figure_may_take_its_words_from_its_sentence_and_the_one_before():
    cohort = passage(
        1,
        "The lessons of the first cohort will inform future practice. The first participants will be apportioned "
        "at 20 each for the Royal Navy and Royal Air Force with the Army offering the remainder (110). The scheme "
        "will add places later.",
    )
    question = "For the first cohort of the Foundation Year scheme, how many places does the Army offer?"
    answer = "The Army offers 110 places for the first cohort of the scheme."
    assert verify([(answer, [1])], [cohort], question).kept


def test_a_year_that_dates_the_thing_asked_about_does_not_bind_the_figure():
    trusts = passage(1, "Funding to deploy AI for lung cancer has so far been provided to 63 of the 66 trusts.")
    question = "How many trusts have received funding for the AI lung cancer tools announced in October 2023?"
    assert verify([("Funding has been provided to 63 of the 66 trusts.", [1])], [trusts], question).kept
    assert not verify(
        [("Funding has been provided to 63 of the 66 trusts.", [1])],
        [trusts],
        "How many trusts had funding for AI lung cancer tools in 2023?",
    ).kept


def test_a_sentence_of_two_figures_is_checked_clause_by_clause():
    schools = passage(
        1,
        "Taken together, the Government expects the number of private schools that will lose business rates "
        "charitable relief to be 1,040. Schools for disabled pupils are exempt. Analysis also shows the average "
        "increase per pupil in 2025-26 is £308.",
    )
    question = "How many private schools will lose charitable relief, and what is the average increase per pupil?"
    answer = (
        "The government expects 1,040 private schools to lose business rates charitable relief, and the average "
        "increase per pupil in 2025-26 is £308."
    )
    result = verify([(answer, [1])], [schools], question)
    assert [s.sentence.text for s in result.kept] == [answer]


def test_which_dates_asks_about_every_matching_record():
    assert analyse("On which dates did Edward Timpson answer questions on child protection?").several_records


def test_a_sentence_naming_no_year_answers_for_its_record_questions_period():
    asked = "To ask the Chancellor, how many private schools will lose charitable rate relief in 2025-26?"
    body = "The Government expects the number of private schools that will lose charitable relief to be 1,040."
    question = "How many private schools will lose charitable relief in 2025-26?"
    answer = [("1,040 private schools will lose charitable relief.", [1])]
    assert verify(answer, [passage(1, body, title=asked)], question).kept
    assert not verify(answer, [passage(1, body, title="Private Education: Business Rates")], question).kept
    dated = "Latest figures in February 2023 show that 1,040 private schools will lose charitable relief."
    assert not verify(answer, [passage(1, dated, title=asked)], question).kept  # its own year is not the one asked


def test_the_asked_subject_and_the_asked_kind_of_fact_share_a_source_sentence():
    from qa.refusal import subject_beside_fact

    question = "When was the What Works Centre for children's social care due to open?"
    answer = [("The What Works Centre for children's social care is due to open this Spring.", [1])]
    elsewhere = passage(
        1,
        "The What Works Centre for children's social care will improve practice. Separately, the Review's full "
        "report is due to be published this Spring.",
    )
    checked = verify(answer, [elsewhere], question)
    assert checked.kept  # every word of it is in the passage …
    assert not subject_beside_fact(checked, analyse(question), (FactKind.DATE,))  # … but not in one sentence
    beside = passage(1, "The What Works Centre for children's social care is due to open this Spring.")
    assert subject_beside_fact(verify(answer, [beside], question), analyse(question), (FactKind.DATE,))
    follows = passage(1, "We funded the What Works Centre for children's social care. It is due to open this Spring.")
    assert subject_beside_fact(verify(answer, [follows], question), analyse(question), (FactKind.DATE,))


def test_a_sentence_naming_its_own_subject_is_not_read_with_the_one_before():
    from qa.refusal import subject_beside_fact

    question = "What budget was the new national centre of expertise on child sexual abuse given?"
    body = (
        "We are establishing a new national centre of expertise on child sexual abuse. We have also invested around "
        "£100 million in the Children's Social Care Innovation Programme."
    )
    answer = [("Around £100 million was invested in the Children's Social Care Innovation Programme.", [1])]
    checked = verify(answer, [passage(1, body)], question)
    assert checked.kept  # the amount is in the source …
    assert not subject_beside_fact(checked, analyse(question), (FactKind.MONEY,))  # … but of another programme
    drafted = AnswerSentence(text="The national centre of expertise was given £100 million.", markers=[1])
    assert replacement(drafted, evidence_of(passage(1, body)), analyse(question), QuotePolicy()) is None
    pilot = "We are funding a national centre of expertise on child sexual abuse. This centre received £5 million."
    funded = verify([("The centre received £5 million.", [1])], [passage(1, pilot)], question)
    assert funded.kept and subject_beside_fact(funded, analyse(question), (FactKind.MONEY,))


def test_amounts_months_and_counts_are_read_as_their_kinds():
    assert analyse("What was the Early Intervention Foundation's annual funding from government?").fact_kind is (
        FactKind.MONEY
    )
    assert analyse("In which month was the practitioner guide to be published?").fact_kind is FactKind.DATE
    assert not kind_present(FactKind.NUMBER, "We are investing nearly £5 million through the £200 million fund.")
    assert kind_present(FactKind.NUMBER, "The £5 million went to 12 local authorities.")
    assert not kind_present(FactKind.NUMBER, "The programme supports those at high risk of type 2 diabetes.")
    given = frozenset(["chief social worker for children and families"])
    office = "The Chief Social Worker for Children and Families introduced the statement."
    assert not kind_present(FactKind.PERSON, office, given)  # the question's own office is not who holds it
    assert kind_present(FactKind.PERSON, "Isabelle Trowler, the Chief Social Worker, introduced it.", given)


def test_the_department_a_question_was_put_to_is_the_answering_body():
    assert names_addressee("MoD", "Secretary of State for Defence")
    assert names_addressee("Treasury", "Chancellor of the Exchequer")  # an office naming no portfolio
    assert names_addressee("DfE", "Secretary of State for Education, To ask the Secretary of State for Education")
    assert names_addressee("Home Office", "Secretary of State for the Home Department")
    assert names_addressee("DWP", "Secretary of State for Work and Pensions")
    assert not names_addressee("MoD", "Secretary of State for Education")
    beehive = passage(
        1,
        "As part of Project Beehive, the Royal Navy has ordered 20 uncrewed surface vessels under a contract worth "
        "£12.3 million.",
        addressed_to="Secretary of State for Defence",  # a record without its department's name
    )
    question = "how many uncrewed boats has the MoD ordered under project beehive and what's the contract worth"
    answer = [("The MoD has ordered 20 uncrewed surface vessels under Project Beehive, worth £12.3 million.", [1])]
    assert verify(answer, [beehive], question).kept


def test_a_figure_asked_of_a_stated_amount_must_be_stated_beside_it():
    question = "How many projects will the further £200m for the Innovation Programme fund?"
    answer = [("The further £200m for the Innovation Programme will fund 53 projects.", [2])]
    checked = verify(answer, [INNOVATION], question)
    assert not checked.kept
    analysis = analyse(question)
    assert replacement(checked.dropped[0], checked.evidence, analysis, QuotePolicy(), checked.asked) is None
    stated = passage(2, "The further £200m will fund 40 more projects through the Innovation Programme.")
    beside = [("The further £200m for the Innovation Programme will fund 40 projects.", [2])]
    assert verify(beside, [stated], question).kept


def test_a_date_is_checked_against_what_the_question_asks_it_of():
    wood = passage(1, "The new arrangements are based on the findings of the Wood Review, published in May 2016.")
    commissioned = verify(
        [("The Wood Review was commissioned in May 2016.", [1])], [wood], "When was the Wood Review commissioned?"
    )
    assert not commissioned.kept
    assert (
        replacement(
            commissioned.dropped[0],
            commissioned.evidence,
            analyse("When was the Wood Review commissioned?"),
            QuotePolicy(),
            commissioned.asked,
        )
        is None
    )
    published = verify(
        [("The Wood Review was published in May 2016.", [1])], [wood], "When was the Wood Review published?"
    )
    assert published.kept


def test_a_question_naming_nothing_needs_its_words_beside_the_asked_fact():
    from qa.refusal import subject_beside_fact

    question = "what year was the doncaster children's services trust set up?"
    other = passage(1, "The statutory guidance, revised in 2015, is clear about preventative services.")
    checked = verify([("It was revised in 2015.", [1])], [other], question)
    assert checked.kept  # its year is in the source …
    assert not subject_beside_fact(checked, analyse(question), (FactKind.DATE,))  # … but not of the trust
    trust = passage(1, "The Doncaster Children's Services Trust was set up in 2014.")
    found = verify([("The trust was set up in 2014.", [1])], [trust], question)
    assert found.kept and subject_beside_fact(found, analyse(question), (FactKind.DATE,))


def test_which_department_and_the_askers_party():
    question = "When was the question on families' access to support asked, and to which department?"
    assert AskedField.DEPARTMENT in analyse(question).asked_fields
    assert analyse("Over what period did the consultation run?").fact_kind is FactKind.DATE
    record = passage(1, "Some answer.", asker="Dr Rosena Allin-Khan", asker_party="Labour", date_asked="2016-12-13")
    found = answer_metadata(analyse("Who asked the question on children's protection?"), [record])
    assert found is not None and "Dr Rosena Allin-Khan (Labour)" in found.text


def test_a_grouped_answer_is_given_the_fields_of_the_record_the_question_is_about():
    from qa.metadata import closest_of_group

    answer = "The retirement of HMS Albion and Bulwark will not impact the operational programme."
    shown = passage(
        1,
        answer,
        title="To ask the Secretary of State for Defence, what the cost of keeping HMS Albion and HMS Bulwark is.",
        asker="David Reed",
        answerer="Luke Pollard",
        date_answered="2024-12-05",
    )
    sibling = passage(
        1,
        answer,
        title="To ask the Secretary of State for Defence, what the impact of retiring HMS Albion and HMS Bulwark "
        "is on the training and readiness of personnel.",
        doc_id="d-sibling",
        asker="David Reed",
        answerer="Luke Pollard",
        date_answered="2024-12-13",
    ).hit
    shown.hit = shown.hit.model_copy(update={"duplicates": ["d-sibling"]})
    question = analyse(
        "Who answered David Reed's question on retiring HMS Albion and its impact on training, and when?"
    )
    chosen = closest_of_group(question, shown, [sibling])
    assert chosen.hit.doc_id == "d-sibling" and chosen.hit.duplicates == ["d1"]
    found = answer_metadata(question, [chosen])
    assert found is not None and "13 December 2024" in found.text
    cost = analyse("Who answered David Reed's question on the cost of keeping HMS Albion and HMS Bulwark?")
    assert closest_of_group(cost, shown, [sibling]) is shown


def test_whom_a_question_was_put_to_comes_from_its_wording():
    question = analyse("The 2015 question on offences against children was put to which Secretary of State?")
    assert question.asked_fields[:2] == (AskedField.ADDRESSEE, AskedField.ANSWERER)
    assert AskedField.DEPARTMENT in analyse("Which department was the question on adoption put to?").asked_fields
    record = passage(
        1,
        "We are taking a robust approach.",
        title="Offences against Children\nQ: To ask the Secretary of State for Education, what steps she is taking.",
        answerer="Edward Timpson",
        date_answered="2015-07-14",
    )
    found = answer_metadata(question, [record])
    assert found is not None
    assert "was put to the Secretary of State for Education" in found.text and "Edward Timpson" in found.text
    stored = passage(
        1,
        "Weeton Barracks has been occupied since 2024.",
        title="Weeton Barracks",
        answerer="Luke Pollard",
        addressed_to="Secretary of State for Defence",
    )
    found = answer_metadata(analyse("Who was the question on Weeton Barracks put to?"), [stored])
    assert found is not None and "the Secretary of State for Defence" in found.text


def test_questions_asking_for_lists_or_reasons_tell_the_model_to_give_them_all():
    from qa.assistant import _with_form_hint
    from qa.question import AnswerForm

    assert analyse("which NI ports have the windsor framework SPS inspection facilities?").form is AnswerForm.LIST
    assert analyse("What new evidence centres did the govt say it was setting up?").form is AnswerForm.LIST
    assert analyse("why was the Local Social Work Improvement Fund brought in?").form is AnswerForm.REASONS
    assert analyse("what happens to local authorities that are doing well?").form is AnswerForm.FACT
    assert analyse("How is the government tackling failure in children's services?").form is AnswerForm.REASONS
    for one in (
        "When was the Early Intervention Foundation set up?",
        "who is the director of the what works centre?",
        "How did the investment change between 2015 and 2016?",
        "How much was spent in 2023/24?",
    ):
        assert analyse(one).form is AnswerForm.FACT, one
    question = "why was the fund brought in?"
    assert _with_form_hint(question, analyse(question), True).endswith("(Give every reason that the sources give.)")
    assert _with_form_hint(question, analyse(question), False) == question


def test_a_sentence_referring_back_is_read_with_the_sentences_it_refers_to():
    statement = passage(
        4,
        "We are also publishing today a revised version of Working Together to Safeguard Children. This is the "
        "statutory guidance used by all those who work with children. It implements Lord Laming's recommendations "
        "and takes account of a consultation "
        "exercise that ran from December 2009 to February 2010. Keeping children safe is our highest priority.",
    )
    from qa.refusal import subject_beside_fact

    question = "Over what period did the consultation on the revised Working Together guidance run?"
    draft = [
        ("The consultation on the revised Working Together guidance ran from December 2009 to February 2010.", [4])
    ]
    checked = verify(draft, [statement], question)
    assert checked.kept and subject_beside_fact(checked, analyse(question), (FactKind.DATE,))
    elsewhere = passage(
        5,
        "We are also publishing today a revised version of Working Together to Safeguard Children. The NSPCC "
        "welcomed the plans. A separate consultation exercise ran from December 2009 to February 2010.",
    )
    assert not verify(draft, [elsewhere], question).kept  # not said of Working Together


def test_an_answer_ending_on_the_opening_of_a_list_states_nothing():
    centres = passage(
        1,
        "In spring 2024 eight diagnostic centres were offering FibroScan testing, which are:\n- Ely CDC in Ely;\n"
        "- Poole CDC in Poole.",
    )
    opening = ("Eight diagnostic centres were offering FibroScan testing in spring 2024, which are:", [1])
    checked = verify([opening], [centres], "Which centres offer testing?")
    assert not checked.kept and checked.dropped[0].note == OPENS_NOTHING
    listed = [opening, ("They are Ely CDC and Poole CDC.", [1])]
    assert len(verify(listed, [centres], "Which centres offer testing?").kept) == 2


def test_a_dropped_figure_gives_way_to_the_sentence_stating_it_for_the_year_asked():
    from qa.quotes import QuotePolicy, replacement

    question = "How much extra funding was made available for the Rural England Prosperity Fund in 2025-26?"
    fund = passage(
        1,
        "The Department announced on 4th March that it would be providing an additional £33 million for the Rural "
        "England Prosperity Fund in financial year 2025-26. Funding allocations are set by business planning.",
    )
    draft = [("The Rural England Prosperity Fund provided an extra £33 million between 2023 and 2025.", [1])]
    checked = verify(draft, [fund], question)
    assert not checked.kept  # the years are not the source's
    found = replacement(checked.dropped[0], checked.evidence, analyse(question), QuotePolicy(), checked.asked)
    assert found is not None and "2025-26" in found.sentence.text and found.sentence.quoted
    other_year = passage(1, fund.hit.body.replace("2025-26", "2024-25"))
    checked = verify(draft, [other_year], question)
    assert replacement(checked.dropped[0], checked.evidence, analyse(question), QuotePolicy(), checked.asked) is None


def test_misspelt_question_words_still_type_the_question():
    assert analyse("wen did hampshire take over the isle of wights childrens servises?").fact_kind is FactKind.DATE
    assert analyse("hw meny people registered?").fact_kind is FactKind.NUMBER
    assert analyse("wich minister answered it?").is_metadata
    assert "Wen report" in analyse("What did the Wen report find?").text


def test_a_figure_beside_less_of_the_asked_subject_than_another_sources_figure_is_of_something_else():
    question = "How much did the Innovation Programme invest in targeted support for children in need?"
    targeted = passage(
        1,
        "Through the £200 million Innovation Programme, the government is investing nearly £5 million in targeted "
        "support for children in need, testing new approaches.",
    )
    broad = passage(
        2,
        "We have also invested around £100 million in the Innovation Programme to develop and spread more "
        "effective ways of supporting children who need help from social care services.",
    )
    wrong = [("The Innovation Programme invested around £100 million in targeted support for children in need.", [2])]
    assert verify(wrong, [broad], question).kept  # alone, its words are there …
    assert not verify(wrong, [targeted, broad], question).kept  # … but another source states the asked figure
    right = [("The programme is investing nearly £5 million in targeted support for children in need.", [1])]
    assert verify(right, [targeted, broad], question).kept


@pytest.mark.parametrize(
    ("office", "department"),
    [
        ("Secretary of State for Work and Pensions", "Department for Work and Pensions"),
        ("Secretary of State for the Home Department", "Home Office"),
        ("Secretary of State for Defence, To ask the Secretary of State for Defence", "Ministry of Defence"),
        ("Minister for the Cabinet Office", "Cabinet Office"),
        ("Chancellor of the Exchequer", "HM Treasury"),
        ("Leader of the House", None),
        ("hon. Member for Battersea", None),
    ],
)
def test_the_department_an_office_heads_is_named_as_government_names_it(office, department):
    assert department_of_office(office) == department
