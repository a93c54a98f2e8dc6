"""The evaluation suite: metrics on hand-made cases, the set loader, subsets, scoring, the report, and an end-to-end
smoke run with the tiny model."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from eval import metrics
from eval.corpora import select_subset
from eval.dataset import DatasetError, EvalPair, load_pairs
from eval.judge import Claim, VerdictCache
from eval.options import limit_pairs, split_values
from eval.results import ConfigResult, PairResult, RunConfig, by_kind, strip_markers, summarise

# fact matching ----------------------------------------------------------------------------------------------------


@pytest.mark.unit
@pytest.mark.parametrize(
    ("fact", "answer", "expected"),
    [
        ("Edward Timpson", "It was answered by EDWARD TIMPSON.", True),
        ("2023-12-11", "Tom Pursglove answered on 11 December 2023.", True),
        ("2023-12-11", "answered on 11th Dec 2023", True),
        ("2023-12-11", "answered on December 11, 2023", True),
        ("2023-12-11", "answered on 12 November 2023", False),
        ("24 June", "announced on 24 June 2015", True),
        ("December 2016", "answered on 21 December 2016", True),
        ("2015", "on 24 June 2015", True),
        ("21 December 2016", "on 2016-12-21", True),
        ("£5 million", "a grant of £5m", True),
        ("£5m", "a grant of £5 million", True),
        ("£2.5 billion", "£2.5bn was spent", True),
        ("£5m", "£5.5 million", False),
        ("£5 million", "£50 million", False),
        ("5,000 records", "over 5000 records", True),
        ("4,000", "around 4000 social workers", True),
        ("53", "in 153 projects", False),
        ("53", "in 53.5 projects", False),
        ("53", "in 53 projects.", True),
        ("12 per cent", "rose by 12%", True),
        ("12%", "rose by 12 percent", True),
        ("Children's Commissioner", "the Children’s Commissioner said", True),
        ("Working Together", "working  together guidance", True),
        ("project", "53 projects", True),
        ("act", "the factory", False),
        ("", "anything", False),
    ],
)
def test_fact_present(fact: str, answer: str, expected: bool) -> None:
    assert metrics.fact_present(fact, answer) is expected


@pytest.mark.unit
def test_refusal_cause() -> None:
    from eval.results import refusal_cause

    assert refusal_cause("best passage similarity 0.21 is below 0.30") == "gate"
    assert refusal_cause("the passages do not mention Scottish") == "gate"
    assert refusal_cause("the model found no answer in the passages") == "model"
    assert refusal_cause("no sentence of the model's answer is supported by the passages") == "unsupported"
    assert refusal_cause(None) == "other"


@pytest.mark.unit
def test_strip_markers() -> None:
    assert strip_markers("It was 2013 [1]. It is funded [1, 2][3].") == "It was 2013. It is funded."


# retrieval --------------------------------------------------------------------------------------------------------


@pytest.mark.unit
def test_retrieval_metrics_on_documents() -> None:
    ranked = ["a", "a", "b", "c", "b", "d"]  # chunks → documents a, b, c, d
    relevant = ["c", "x"]
    assert metrics.dedupe(ranked) == ["a", "b", "c", "d"]
    assert metrics.hit_at_k(ranked, relevant, 2) == 0.0
    assert metrics.hit_at_k(ranked, relevant, 3) == 1.0
    assert metrics.recall_at_k(ranked, relevant, 5) == 0.5
    assert metrics.reciprocal_rank(ranked, relevant) == pytest.approx(1 / 3)
    assert metrics.reciprocal_rank(ranked, ["z"]) == 0.0
    # DCG = 1/log2(4); ideal for two relevant = 1 + 1/log2(3)
    assert metrics.ndcg_at_k(ranked, relevant, 10) == pytest.approx(0.5 / (1 + 1 / math.log2(3)))
    assert metrics.ndcg_at_k(["c", "x"], relevant, 10) == pytest.approx(1.0)
    assert metrics.ndcg_at_k(ranked, [], 10) == 0.0


@pytest.mark.unit
def test_an_answer_filed_under_several_questions_is_one_result() -> None:
    results = [["a", "a2", "a3", "a4", "a5"], ["a"], ["b"], ["c"]]  # a grouped answer, its second passage, b, c
    assert metrics.results_of(results) == [frozenset({"a", "a2", "a3", "a4", "a5"}), frozenset({"b"}), {"c"}]
    assert metrics.hit_at_k(results, ["c"], 3) == 1.0  # as documents, c would rank seventh
    assert metrics.hit_at_k(results, ["a4"], 1) == 1.0
    assert metrics.reciprocal_rank(results, ["b"]) == pytest.approx(1 / 2)
    assert metrics.recall_at_k(results, ["a2", "c", "z"], 2) == pytest.approx(1 / 3)


@pytest.mark.unit
def test_citation_metrics() -> None:
    assert metrics.citation_precision(["a", "b", "a"], ["a"]) == 0.5
    assert metrics.citation_precision([], ["a"]) is None
    assert metrics.citation_recall(["a", "b"], ["a", "c", "d", "e"]) == 0.25
    assert metrics.citation_recall([], ["a"]) == 0.0


@pytest.mark.unit
def test_aggregates() -> None:
    assert metrics.mean([1.0, None, 0.0]) == 0.5
    assert metrics.mean([None]) is None
    assert metrics.percentile([4.0, 1.0, 3.0, 2.0], 0.5) == 2.5
    assert metrics.percentile([], 0.5) is None
    assert metrics.rate([True, False, False, True]) == 0.5
    faith = metrics.faithfulness([[True, False], [], [True]])
    assert (faith.sentences, faith.supported, faith.answers, faith.fully_supported_answers) == (3, 2, 2, 1)
    assert faith.sentence_rate == pytest.approx(2 / 3)
    assert faith.answer_rate == 0.5


@pytest.mark.unit
def test_agreement_and_kappa() -> None:
    judge = [True, True, False, False, True, False]
    facts = [True, False, False, False, True, True]
    result = metrics.agreement(judge, facts)
    # observed 4/6; chance 0.5*0.5 + 0.5*0.5 = 0.5; kappa = (2/3 - 1/2) / (1/2) = 1/3
    assert result.n == 6
    assert result.observed == pytest.approx(2 / 3)
    assert result.kappa == pytest.approx(1 / 3)
    assert metrics.agreement([True, True], [True, True]).kappa is None
    assert metrics.agreement([], []).observed is None
    with pytest.raises(ValueError):
        metrics.agreement([True], [])


@pytest.mark.unit
def test_best_threshold() -> None:
    best = metrics.best_threshold([0.6, 0.7, 0.8], [0.2, 0.3, 0.65])
    assert best is not None
    assert best.threshold == pytest.approx(0.45)
    assert best.refused_unanswerable == pytest.approx(2 / 3)
    assert best.refused_answerable == 0.0
    assert best.balanced_accuracy == pytest.approx(5 / 6)
    assert metrics.best_threshold([0.5], []) is None


@pytest.mark.unit
def test_threshold_within_false_refusals() -> None:
    answerable = [0.5, 0.6, 0.7, 0.8]
    loose = metrics.threshold_within(answerable, [0.2, 0.55, 0.65], 0.25)  # one answerable may be refused
    assert loose is not None and loose.threshold == 0.6
    assert (loose.refused_unanswerable, loose.refused_answerable) == (pytest.approx(2 / 3), 0.25)
    strict = metrics.threshold_within(answerable, [0.2, 0.55, 0.65], 0.0)
    assert strict is not None and strict.threshold == 0.5 and strict.refused_answerable == 0.0
    assert metrics.threshold_within([], [0.1], 0.05) is None


# sets and subsets -------------------------------------------------------------------------------------------------


def _pair(**overrides) -> dict:
    base = {
        "id": "t-1",
        "question": "When was it set up?",
        "reference_answer": "In 2013.",
        "key_facts": ["2013"],
        "source_ids": ["doc"],
        "kind": "factoid",
        "corpus": "default",
    }
    return {**base, **overrides}


@pytest.mark.unit
def test_loader_names_file_and_line(tmp_path: Path) -> None:
    good = tmp_path / "good.jsonl"
    good.write_text(
        json.dumps(_pair())
        + "\n\n"
        + json.dumps(_pair(id="t-2", kind="unanswerable", key_facts=[], source_ids=[]))
        + "\n"
    )
    pairs = load_pairs(good)
    assert [p.id for p in pairs] == ["t-1", "t-2"]
    assert [p.answerable for p in pairs] == [True, False]
    cases = {
        "not json": "invalid JSON",
        json.dumps(_pair(kind="trivia")): "kind",
        json.dumps(_pair(key_facts=[])): "needs key_facts",
        json.dumps(_pair(kind="unanswerable")): "no key_facts",
        json.dumps(_pair(extra=1)): "extra",
        json.dumps(_pair(id="t-1")): "duplicate id",
    }
    for line, message in cases.items():
        bad = tmp_path / "bad.jsonl"
        bad.write_text(json.dumps(_pair()) + "\n" + line + "\n")
        with pytest.raises(DatasetError) as info:
            load_pairs(bad)
        text = str(info.value)
        assert text.startswith(f"{bad}:2: ") and message in text and "\n" not in text
    with pytest.raises(DatasetError, match="no such evaluation set"):
        load_pairs(tmp_path / "missing.jsonl")


@pytest.mark.unit
def test_limit_keeps_each_kinds_share() -> None:
    pairs = load_pairs("default")
    chosen = limit_pairs(pairs, 4)
    assert len(chosen) == 4
    assert sum(not p.answerable for p in chosen) == 1
    assert [p.id for p in chosen] == sorted(p.id for p in chosen)
    forty = limit_pairs(pairs, 40)
    assert len(forty) == 40 and {p.kind for p in forty} == {p.kind for p in pairs}
    for kind in {p.kind for p in pairs}:  # within one of the kind's share of the set
        share = 40 * sum(p.kind == kind for p in pairs) / len(pairs)
        assert abs(sum(p.kind == kind for p in forty) - share) <= 1
    assert limit_pairs(pairs, None) == pairs
    assert split_values(["a,b", "b", " c "]) == ["a", "b", "c"]


@pytest.mark.unit
def test_subset_selection_is_deterministic() -> None:
    records = [{"id": f"r-{i}", "topic": "other", "answer_text": "x"} for i in range(50)]
    records[7]["topic"] = "child_protection_social_care"
    records[9]["answer_text"] = ""
    first = select_subset(records, {"r-3"}, size=10)
    ids = [r["id"] for r in first]
    assert len(ids) == 10 and "r-3" in ids and "r-7" in ids and "r-9" not in ids
    assert ids == sorted(ids, key=lambda i: int(i.split("-")[1]))
    assert [r["id"] for r in select_subset(list(reversed(records)), {"r-3"}, size=10)] == ids


@pytest.mark.unit
def test_verdict_cache(tmp_path: Path) -> None:
    path = tmp_path / "judge.jsonl"
    cache = VerdictCache(path)
    cache.put("k1", True)
    cache.put("k2", False)
    path.write_text(path.read_text() + '{"key": "torn')
    again = VerdictCache(path)
    assert again.get("k1") is True and again.get("k2") is False and again.get("k3") is None
    assert Claim("s", ("p",)) == Claim("s", ("p",))


# scoring and report -----------------------------------------------------------------------------------------------


def _result(**values) -> PairResult:
    base = {"question": "q", "reference_answer": "r", "ranked": [], "context": []}
    return PairResult(**{**base, **values})


def _synthetic() -> list[PairResult]:
    return [
        _result(
            id="a",
            kind="factoid",
            key_facts=["x"],
            source_ids=["d1"],
            ranked=["d1", "d2"],
            context=["d1"],
            answer="x [1]",
            cited=["d1"],
            facts_found=[True],
            context_facts=[True],
            sentences=["x"],
            self_supported=[True],
            verdicts=[True],
            timings={"retrieve": 0.1, "total": 2.0, "first_token": 1.0},
        ),
        _result(
            id="b",
            kind="list",
            key_facts=["y", "z"],
            source_ids=["d2"],
            ranked=["d1", "d2"],
            context=["d1"],
            answer="y [1]. w [2].",
            cited=["d1", "d2"],
            facts_found=[True, False],
            context_facts=[True, True],
            sentences=["y", "w"],
            self_supported=[True, False],
            verdicts=[True, True],
            timings={"retrieve": 0.3, "total": 4.0, "first_token": 3.0},
        ),
        _result(
            id="c",
            kind="factoid",
            key_facts=["v"],
            source_ids=["d3"],
            ranked=["d1"],
            context=["d1"],
            refused=True,
            refusal_reason="the model found no answer in the passages",
            answer="no",
            facts_found=[False],
            context_facts=[False],
            timings={"retrieve": 0.2, "total": 0.2},
        ),
        _result(id="u1", kind="unanswerable", key_facts=[], source_ids=[], refused=True, timings={"total": 0.1}),
        _result(
            id="u2",
            kind="unanswerable",
            key_facts=[],
            source_ids=[],
            answer="made up [1]",
            cited=["d1"],
            sentences=["made up"],
            self_supported=[False],
            verdicts=[False],
            timings={"total": 3.0},
        ),
    ]


UNSUPPORTED = "no sentence of the model's answer is supported by the passages"


@pytest.mark.unit
def test_summarise_exact() -> None:
    m = summarise(_synthetic(), retrieval_only=False)
    assert (m["n"], m["answerable"], m["unanswerable"]) == (5, 3, 2)
    assert m["hit@5"] == pytest.approx(2 / 3)
    assert m["mrr"] == pytest.approx((1 + 0.5 + 0) / 3)
    assert m["context_recall"] == pytest.approx(1 / 3)
    assert m["key_fact_accuracy"] == pytest.approx(1 / 3)
    assert m["facts_in_context"] == pytest.approx(2 / 3)
    assert m["key_fact_recall"] == pytest.approx((1 + 0.5 + 0) / 3)
    assert m["citation_precision"] == pytest.approx((1 + 0.5) / 2)
    assert m["citation_recall"] == pytest.approx(1.0)
    assert m["refusal_rate"] == 0.5 and m["false_refusal_rate"] == pytest.approx(1 / 3)
    assert (m["refused_unanswerable"], m["refused_answerable"]) == (1, 1)
    causes = (m["refused_answerable_model"], m["refused_answerable_gate"], m["refused_answerable_unsupported"])
    assert causes == (1, 0, 0) and m["withheld_correct"] == 0
    withheld = _result(
        id="w",
        kind="factoid",
        key_facts=["2013"],
        source_ids=["d1"],
        refused=True,
        sentences=["In 2013."],
        refusal_reason=UNSUPPORTED,
    )
    assert summarise([withheld], retrieval_only=False)["withheld_correct"] == 1
    assert m["faithfulness"] == pytest.approx(3 / 4)  # a: 1/1, b: 2/2, u2: 0/1
    assert m["faithful_answers"] == pytest.approx(2 / 3)
    assert m["self_check_supported"] == pytest.approx(2 / 3)  # answered answerable: a and b
    # a: judge all yes, facts all → agree; b: judge all yes, facts missing → disagree
    assert m["judge_agreement"] == 0.5 and m["judge_agreement_n"] == 2
    assert m["p50_retrieve"] == pytest.approx(0.2) and m["p50_first_token"] == pytest.approx(2.0)
    kinds = by_kind(_synthetic())
    assert kinds["factoid"] == {
        "n": 2,
        "correct": 0.5,
        "key_facts": 0.5,
        "cite_p": None,
        "cite_r": 1.0,
        "refused": 0.5,
        "shown": 1,
        "withheld": 0,
    }
    assert kinds["unanswerable"] == {
        "n": 2,
        "correct": 0.5,
        "key_facts": None,
        "cite_p": None,
        "cite_r": None,
        "refused": 0.5,
        "shown": 1,
        "withheld": 0,
    }


@pytest.mark.unit
def test_report_from_run_files(tmp_path: Path) -> None:
    from eval.report import write_report

    pairs = _synthetic()
    for p in pairs:
        p.best_similarity = 0.7 if p.answerable else 0.2
    config = RunConfig(
        set="default", corpus="default", model="tiny", retrieval="hybrid", k=5, chunk_tokens=256, refusal_threshold=0.3
    )
    answers = ConfigResult(
        config=config,
        retrieval_only=False,
        judge="tiny",
        documents=5,
        peak_rss_mb=900.0,
        metrics=summarise(pairs, False),
        by_kind=by_kind(pairs),
        pairs=pairs,
    )
    sweep_config = config.model_copy(update={"model": None})
    sweep = ConfigResult(
        config=sweep_config,
        retrieval_only=True,
        documents=5,
        metrics=summarise(pairs, True),
        by_kind=by_kind(pairs),
        pairs=pairs,
    )
    (tmp_path / "runs").mkdir()
    for name, result in (("a", answers), ("b", sweep)):
        run = {"command": f"parlqa eval --name {name}", "finished": name, "results": [result.stored()]}
        (tmp_path / "runs" / f"{name}.json").write_text(json.dumps(run))
    (tmp_path / "notes.md").write_text("Use hybrid.")
    report = write_report(tmp_path).read_text()
    assert "`default/tiny/hybrid/k5/c256`" in report and "Use hybrid." in report
    row = "| default | hybrid | 256 | 5 | 0.700 / 0.700 / 0.700 | 0.200 / 0.200 / 0.200 | 0.450 (1.00 / 0.00) | 0.700"
    assert row in report
    assert "parlqa eval --name a" in report and "3 of 5 wrong" in report
    for chart in ("accuracy_by_kind.png", "latency.png", "similarity.png"):
        assert (tmp_path / chart).read_bytes()[:4] == b"\x89PNG"
    data = json.loads((tmp_path / "results.json").read_text())
    assert len(data["configurations"]) == 2 and data["calibration"][0]["best"]["threshold"] == 0.45


@pytest.mark.unit
def test_eval_pair_model_is_frozen() -> None:
    pair = EvalPair.model_validate(_pair())
    with pytest.raises(Exception):  # noqa: B017
        pair.id = "other"  # type: ignore[misc]


# end to end -------------------------------------------------------------------------------------------------------


def test_smoke_run_with_tiny(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from cli.main import app
    from qa.models import installed_presets

    if "tiny" not in installed_presets():
        pytest.skip("the tiny model preset is not installed")
    out = tmp_path / "report"
    args = [
        "eval",
        "--set",
        "default",
        "--model",
        "tiny",
        "--limit",
        "4",
        "--judge",
        "tiny",
        "--out",
        str(out),
        "--data-dir",
        str(tmp_path / "indexes"),
        "--name",
        "smoke",
    ]
    env = {"PARLQA_JUDGE_CACHE": str(tmp_path / "judge.jsonl")}
    result = CliRunner().invoke(app, args, env=env)
    assert result.exit_code == 0, result.output
    run = json.loads((out / "runs" / "smoke.json").read_text())
    [config] = run["results"]
    m, pairs = config["metrics"], config["pairs"]
    assert config["config"]["model"] == "tiny" and config["judge"] == "tiny"
    assert (m["n"], m["answerable"], m["unanswerable"]) == (4, 3, 1)
    for key, value in m.items():
        if key.startswith(
            ("p50_", "n", "answerable", "unanswerable", "judged", "refused_", "judge_agreement_n", "shown", "withheld")
        ):
            continue
        assert value is None or 0.0 <= value <= 1.0 or (key == "judge_kappa" and -1.0 <= value <= 1.0), key
    refused = [p for p in pairs if p["refused"]]
    assert m["refused_unanswerable"] + m["refused_answerable"] == len(refused)
    assert m["refusal_rate"] == m["refused_unanswerable"] / 1
    assert m["false_refusal_rate"] == pytest.approx(m["refused_answerable"] / 3)
    answered = [p for p in pairs if not p["refused"]]
    assert all(p["verdicts"] is not None and len(p["verdicts"]) == len(p["sentences"]) for p in answered)
    assert all(p["verdicts"] is None for p in refused)
    assert m["judged_sentences"] == sum(len(p["verdicts"]) for p in answered)
    assert all(p["ranked"] and p["timings"]["total"] > 0 for p in pairs)
    assert config["peak_rss_mb"] > 0 and config["documents"] == 5
    assert (tmp_path / "judge.jsonl").exists() or not m["judged_sentences"]
    report = (out / "report.md").read_text()
    assert "default/tiny/hybrid/k3/c256" in report
    for name in ("results.json", "accuracy_by_kind.png", "latency.png"):
        assert (out / name).stat().st_size > 0


def test_baseline_beside_parlqa_with_tiny(tmp_path: Path) -> None:
    """The plain LangChain recipe runs on the same questions in its own Chroma collection; the report sets it beside
    parlqa per half."""
    from typer.testing import CliRunner

    from cli.main import app
    from qa.models import installed_presets

    if "tiny" not in installed_presets():
        pytest.skip("the tiny model preset is not installed")
    out = tmp_path / "report"
    args = [
        "eval",
        "--set",
        "default",
        "--model",
        "tiny",
        "--limit",
        "4",
        "--judge",
        "none",
        "--out",
        str(out),
        "--data-dir",
        str(tmp_path / "indexes"),
        "--name",
        "both",
        "--system",
        "parlqa,baseline",
    ]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    run = json.loads((out / "runs" / "both.json").read_text())
    systems = {r["config"]["system"]: r for r in run["results"]}
    assert set(systems) == {"parlqa", "baseline"}
    baseline = systems["baseline"]
    assert [p["id"] for p in baseline["pairs"]] == [p["id"] for p in systems["parlqa"]["pairs"]]
    for pair in baseline["pairs"]:
        assert pair["half"] in ("fit", "held-out")
        assert len(pair["cited"]) <= 4 and all(docs == pair["cited"] for docs in pair["sentence_citations"])
    assert (tmp_path / "indexes" / "baseline-default").is_dir()
    report = (out / "report.md").read_text()
    assert "parlqa against the plain LangChain recipe" in report and "LangChain baseline" in report


@pytest.mark.unit
def test_facts_in_sources_filled_from_retrieval_twin() -> None:
    from eval.report import fill_facts_in_context

    config = RunConfig(
        set="s", corpus="default", model="m", retrieval="bm25", k=5, chunk_tokens=256, refusal_threshold=0.3
    )
    answer_pairs = [_result(id="a", kind="factoid", key_facts=["x"], source_ids=["d"])]
    twin_pairs = [
        _result(id=i, kind="factoid", key_facts=["x"], source_ids=["d"], context_facts=[ok])
        for i, ok in (("a", True), ("b", False))
    ]
    answers = ConfigResult(config=config, retrieval_only=False, metrics=summarise(answer_pairs, False))
    answers.pairs = answer_pairs
    twin = ConfigResult(config=config.model_copy(update={"model": None}), retrieval_only=True, pairs=twin_pairs)
    assert answers.metrics["facts_in_context"] is None
    fill_facts_in_context([answers], [twin])
    assert answers.metrics["facts_in_context"] == 1.0


def test_ann_check_matches_exact_search_on_a_small_store(tmp_path: Path) -> None:
    import chromadb
    import numpy as np
    from chromadb.config import Settings as ChromaSettings

    from eval.ann import ann_check

    settings = ChromaSettings(anonymized_telemetry=False)
    client = chromadb.PersistentClient(path=str(tmp_path / "chroma"), settings=settings)
    store = client.create_collection("vectors", configuration={"hnsw": {"space": "cosine"}})
    vectors = np.random.default_rng(0).normal(size=(60, 8)).astype(np.float32)
    store.add(ids=[f"v{i}" for i in range(60)], embeddings=vectors.tolist())
    check = ann_check(client, "vectors", vectors[:5].tolist())
    assert check is not None and check.questions == 5
    assert check.top1 == 1.0 and check.overlap == pytest.approx(1.0)
    assert ann_check(client, "vectors", []) is None


@pytest.mark.unit
def test_sentence_citations_and_headline_figures() -> None:
    from eval.compare import headline_figures, headline_table

    pairs = [
        _result(
            id="a",
            kind="factoid",
            half="held-out",
            key_facts=["x"],
            source_ids=["d1"],
            answer="x [1]. y [2].",
            cited=["d1", "d2"],
            facts_found=[True],
            sentences=["x", "y"],
            sentence_citations=[["d1"], ["d2"]],
            timings={"first_token": 1.0, "total": 2.0},
        ),
        _result(
            id="m",
            kind="who_when",
            half="held-out",
            key_facts=["Ann Lee"],
            source_ids=["d3"],
            answer="Ann Lee [1].",
            cited=["d3"],
            facts_found=[True],
            sentences=["Ann Lee"],
            sentence_citations=[["d3"]],
            timings={"first_token": 0.1, "total": 0.1},
        ),
        _result(
            id="n",
            kind="near_miss",
            half="held-out",
            key_facts=[],
            source_ids=[],
            refused=True,
            refusal_reason="no passage sentence states the asked fact",
            timings={"total": 0.1},
        ),
        _result(
            id="w",
            kind="factoid",
            half="held-out",
            key_facts=["v"],
            source_ids=["d1"],
            refused=True,
            refusal_reason="no sentence of the model's answer is stated by the passages",
            timings={"total": 3.0},
        ),
    ]
    figures = headline_figures(pairs)
    assert figures["key facts"] == pytest.approx(2 / 3)
    assert figures["cite P"] == pytest.approx(2 / 3)  # per sentence: d1 yes, d2 no, d3 yes
    assert figures["metadata"] == 1.0 and figures["near-miss refusal"] == 1.0
    assert figures["false refusal"] == pytest.approx(1 / 3)
    assert (figures["shown"], figures["withheld"]) == (2, 1)
    config = RunConfig(
        set="default", corpus="default", model="base", retrieval="hybrid", k=3, chunk_tokens=256, refusal_threshold=0.2
    )
    table = headline_table([ConfigResult(config=config, retrieval_only=False, pairs=pairs)])
    assert len(table) == 3 and "held-out" in table[2] and "1.00 ✓" in table[2]


@pytest.mark.unit
def test_baseline_page_text_names_who_and_when() -> None:
    from corpus import load_documents
    from eval.baseline import document_text

    doc = next(d for d in load_documents()[0] if d.id == "002_1bcd5c0d0d33053a")
    text = document_text(doc)
    assert "Edward Timpson" in text and "14 July 2015" in text and doc.answer in text


@pytest.mark.unit
def test_recheck_replays_the_stored_draft_or_rebuilds_it() -> None:
    from eval.recheck import Recheck, draft_of, summary
    from eval.results import PairResult

    base = {"id": "t-1", "kind": "factoid", "question": "When?", "key_facts": ["2013"], "source_ids": ["d"]}
    stored = PairResult(**base, ranked=[], context=[], draft="It began in 2013 [1].", answer="x", facts_found=[False])
    assert draft_of(stored) == "It began in 2013 [1]."
    rebuilt = PairResult(**base, ranked=[], context=[], refused=True, dropped=["It began in 2014."])
    assert draft_of(rebuilt) == "It began in 2014."
    assert draft_of(PairResult(**base, ranked=[], context=[], refused=True)) == "NOT_IN_CORPUS"
    miss = PairResult(**{**base, "id": "t-2", "kind": "near_miss", "key_facts": []}, ranked=[], context=[])
    rows = [Recheck(stored, False, "It began in 2013 [1]."), Recheck(miss, True, "refused")]
    figures = summary(rows)
    assert figures["key_facts_before"] == 0.0 and figures["key_facts_after"] == 1.0
    assert figures["refused_unanswerable_before"] == 0.0 and figures["refused_unanswerable_after"] == 1.0
