"""Run the comparison grid: index each corpus per chunk size, answer (or only retrieve) every question under every
configuration, judge the answers, score them, and write the run file and the report."""

from __future__ import annotations

import gc
import itertools
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from eval.corpora import CorpusUnavailableError, prepare_index
from eval.dataset import EvalPair, load_pairs, set_name, split_halves
from eval.judge import Claim, Judge
from eval.metrics import dedupe, facts_found
from eval.options import EvalOptions, limit_pairs
from eval.progress import ProgressBar
from eval.results import RANK_DEPTH, RANKED_DOCS, ConfigResult, PairResult, RunConfig, answer_facts, by_kind, summarise
from eval.runs import write_run
from parlqa.memory import PeakRss
from parlqa.settings import Settings

Echo = Callable[[str], None]


def _validate(options: EvalOptions) -> None:
    from parlqa.settings import RETRIEVAL_MODES
    from qa.models import resolve_model

    bad = [m for m in options.retrievals if m not in RETRIEVAL_MODES]
    if bad:
        raise ValueError(f"retrieval must be one of {', '.join(RETRIEVAL_MODES)}, not {bad[0]!r}")
    served = Settings().llm_url is not None  # generation on a model server: only the judge is loaded here
    models = [] if options.retrieval_only or served else options.models
    for name in [*models, *([options.judge] if options.judge and not options.retrieval_only else [])]:
        resolve_model(name)


def _prepare(bot, pair: EvalPair, config: RunConfig):
    """The chain up to the model: retrieval, the prompt's sources and the refusal decision."""
    state = {"question": pair.question, "history": [], "k": config.k, "filters": None, "mode": config.retrieval}
    return bot.prepare.invoke(state)


def _retrieve_only(bot, pair: EvalPair, config: RunConfig, half: str | None) -> PairResult:
    started = time.perf_counter()
    prepared = _prepare(bot, pair, config)
    timings = {**prepared.timings, "total": time.perf_counter() - started}
    result = _base_result(bot, pair, config, _documents(prepared.hits), timings, half)
    result.best_similarity = prepared.best_similarity
    result.refused = prepared.refusal_reason is not None
    result.refusal_reason = prepared.refusal_reason
    result.context_facts = facts_found(pair.key_facts, prepared.sources)
    result.question_type = "metadata" if prepared.analysis and prepared.analysis.is_metadata else "content"
    result.refusal_signals = prepared.decision.signals.__dict__ if prepared.decision else None
    return result


def _answer(bot, pair: EvalPair, config: RunConfig, half: str | None) -> tuple[PairResult, list[Claim]]:
    answer = bot.ask(pair.question, k=config.k, model=config.model, mode=config.retrieval)
    result = _base_result(bot, pair, config, _documents(answer.hits), dict(answer.timings), half)
    signals = answer.refusal_signals or {}
    result.best_similarity = signals.get("best_similarity")
    result.refusal_signals = answer.refusal_signals
    result.question_type = answer.question_type
    result.context_facts = facts_found(pair.key_facts, answer.context)
    result.answer = answer.text
    result.refused = answer.refused
    result.refusal_reason = answer.refusal_reason
    result.cited = answer.cited_doc_ids()
    result.facts_found = answer_facts(result)
    by_marker = {c.marker: c.doc_id for c in answer.citations}
    result.sentences = [s.text for s in answer.sentences]
    result.sentence_citations = [[by_marker[m] for m in s.markers if m in by_marker] for s in answer.sentences]
    result.dropped = [s.text for s in answer.dropped]
    result.quoted = [s.quoted for s in answer.sentences]
    result.draft = answer.draft
    result.self_supported = [s.supported for s in answer.sentences]
    claims: list[Claim] = []
    if not answer.refused:
        everything = tuple(c.passage for c in answer.citations) or tuple(h.body for h in answer.hits)
        for sentence in answer.sentences:
            cited = tuple(c.passage for c in answer.citations if c.marker in sentence.markers)
            claims.append(Claim(sentence.text, cited or everything))
    return result, claims


def _baseline_answer(baseline, pair: EvalPair, config: RunConfig, half: str | None) -> PairResult:
    from qa.sentences import sentences as split

    answer = baseline.ask(pair.question)
    result = _pair_result(pair, half, answer.cited, answer.cited, answer.timings)
    result.answer = answer.text
    result.refused = answer.refused
    result.refusal_reason = "the model said it does not know" if answer.refused else None
    result.cited = answer.cited
    result.context_facts = facts_found(pair.key_facts, answer.context)
    result.facts_found = answer_facts(result)
    result.sentences = split(answer.text)
    result.sentence_citations = [answer.cited for _ in result.sentences]
    return result


def _base_result(
    bot, pair: EvalPair, config: RunConfig, context: list[str], timings: dict, half: str | None = None
) -> PairResult:
    ranked = bot.retrieve(pair.question, k=RANK_DEPTH, mode=config.retrieval)
    result = _pair_result(pair, half, dedupe(_documents(ranked))[:RANKED_DOCS], dedupe(context), timings)
    result.ranked_results = _results(ranked)[:RANKED_DOCS]
    return result


def _documents(hits) -> list[str]:
    """The documents of ranked hits, each followed by the documents filed with the same answer text."""
    return [doc for h in hits for doc in (h.doc_id, *h.duplicates)]


def _results(hits) -> list[list[str]]:
    """The ranked hits as results, each its document, then the documents filed with the same answer text; a
    result already listed (a second passage of it) once."""
    out: list[list[str]] = []
    seen: set[str] = set()
    for hit in hits:
        docs = [hit.doc_id, *hit.duplicates]
        if not seen.issuperset(docs):
            out.append(docs)
            seen.update(docs)
    return out


def _pair_result(pair: EvalPair, half: str | None, ranked: list[str], context: list[str], timings: dict) -> PairResult:
    """A question's result before its answer is filled in: the pair's fields, its ranking and its timings."""
    return PairResult(
        id=pair.id,
        kind=pair.kind.value,
        half=half,
        question=pair.question,
        reference_answer=pair.reference_answer,
        key_facts=pair.key_facts,
        source_ids=pair.source_ids,
        ranked=ranked,
        context=context,
        timings={k: round(v, 4) for k, v in timings.items()},
    )


def _judge_all(judge: Judge, results: list[PairResult], claims: list[list[Claim]], bar: ProgressBar) -> None:
    """Judge every sentence, grouping those that share passages so the model reuses its prompt prefix."""
    todo = [(i, j, c) for i, group in enumerate(claims) for j, c in enumerate(group)]
    todo.sort(key=lambda item: (item[2].passages, item[0], item[1]))
    verdicts: dict[tuple[int, int], bool] = {}
    bar.start(f"judging with {judge.model_name}", len(todo))
    for i, j, claim in todo:
        verdicts[(i, j)] = judge.verdict(claim)
        bar.advance()
    for i, group in enumerate(claims):
        if not results[i].refused:
            results[i].verdicts = [verdicts[(i, j)] for j in range(len(group))]


def evaluate_config(
    bot,
    pairs: list[EvalPair],
    config: RunConfig,
    retrieval_only: bool,
    judge: Judge | None,
    bar: ProgressBar,
    documents: int = 0,
    halves: dict[str, str] | None = None,
    baseline=None,
) -> ConfigResult:
    """Run one configuration over ``pairs`` with an Assistant opened on the right index (or the baseline)."""
    started = time.perf_counter()
    results: list[PairResult] = []
    claims: list[list[Claim]] = []
    halves = halves or {}
    with PeakRss() as rss:
        if not retrieval_only:
            bot.warm_up(config.model)  # loaded outside the timed questions
        bar.start(config.label, len(pairs))
        for pair in pairs:
            half = halves.get(pair.id)
            if baseline is not None:
                results.append(_baseline_answer(baseline, pair, config, half))
                claims.append([])
            elif retrieval_only:
                results.append(_retrieve_only(bot, pair, config, half))
            else:
                result, pair_claims = _answer(bot, pair, config, half)
                results.append(result)
                claims.append(pair_claims)
            bar.advance()
    if judge is not None and not retrieval_only:
        _judge_all(judge, results, claims, bar)
    return ConfigResult(
        config=config,
        retrieval_only=retrieval_only,
        judge=None if retrieval_only or judge is None else judge.model_name,
        documents=documents,
        peak_rss_mb=rss.peak_mb,
        seconds=round(time.perf_counter() - started, 1),
        metrics=summarise(results, retrieval_only),
        by_kind=by_kind(results),
        pairs=results,
    )


def _ann_top1(bot, pairs: list[EvalPair]) -> float | None:
    """How often the index's approximate dense search finds the exact nearest chunk for the set's questions."""
    from eval.ann import ann_check

    vectors = bot.embeddings.embed_documents([p.question for p in pairs])
    check = ann_check(bot.client, bot.settings.collection, vectors)
    return None if check is None else round(check.top1, 4)


def _load_sets(options: EvalOptions) -> list[tuple[str, list[EvalPair]]]:
    loaded = []
    for name in options.sets:
        everything = load_pairs(name)
        halves = split_halves(everything)
        if options.half != "both":
            everything = [p for p in everything if halves[p.id] == options.half]
        pairs = limit_pairs(everything, options.limit)
        corpora = {p.corpus for p in pairs}
        if len(corpora) != 1:
            raise ValueError(f"set {name} mixes corpora ({', '.join(sorted(corpora))}); use one corpus per set")
        loaded.append((name, pairs))
    return loaded


def run(options: EvalOptions, progress: Any | None = None, echo: Echo = print) -> list[ConfigResult]:
    """Every configuration of ``options``; a set whose corpus is missing is skipped with a message."""
    from qa.assistant import Assistant
    from qa.llm import unload_models

    _validate(options)
    bar = ProgressBar(progress)
    judge = Judge(options.judge, options.judge_cache) if options.judge and not options.retrieval_only else None
    models: list[str | None] = [None] if options.retrieval_only else list(options.models)
    out: list[ConfigResult] = []
    for name, pairs in _load_sets(options):
        corpus = pairs[0].corpus
        halves = split_halves(load_pairs(name))
        required = {s for p in load_pairs(name) for s in p.source_ids}
        index_corpus = "commons-full" if corpus == "commons" and options.commons_index == "full" else corpus
        for chunk in options.chunk_tokens:
            bar.start(f"indexing {index_corpus} at {chunk} tokens", 1)
            try:
                index = prepare_index(index_corpus, chunk, options.eval_dir, required, progress=bar.indexing)
            except CorpusUnavailableError as exc:
                echo(f"skipping set {name}: {exc}")
                break
            settings = index.settings
            if options.refusal_threshold is not None:
                settings = settings.with_overrides(refusal_threshold=options.refusal_threshold)
            bot = Assistant(settings, auto_index=False)
            ann = _ann_top1(bot, pairs) if options.retrieval_only else None
            grid = itertools.product(models, options.retrievals, options.ks) if "parlqa" in options.systems else []
            for model, retrieval, k in grid:
                config = RunConfig(
                    set=set_name(name),
                    corpus=index_corpus,
                    model=model,
                    retrieval=retrieval,
                    k=k,
                    chunk_tokens=chunk,
                    refusal_threshold=settings.refusal_threshold,
                    embedding_backend=settings.embedding_backend,
                    embedding_max_tokens=settings.embedding_max_tokens,
                    context_chars=settings.context_chars,
                )
                result = evaluate_config(
                    bot, pairs, config, options.retrieval_only, judge, bar, index.documents, halves
                )
                result.ann_top1 = ann
                out.append(result)
                echo(_line(result))
                if not options.retrieval_only:
                    unload_models()
            if "baseline" in options.systems and not options.retrieval_only:
                out += _run_baseline(bot, name, corpus, pairs, models, options, bar, halves, echo, required)
            del bot
            gc.collect()
    return out


def _run_baseline(bot, name, corpus, pairs, models, options, bar, halves, echo, required) -> list[ConfigResult]:
    """The LangChain tutorial recipe over its own index of the corpus (commons: the fixed subset)."""
    from eval.baseline import BaselineRAG
    from eval.corpora import corpus_paths

    paths = corpus_paths(corpus, options.eval_dir, required)
    results = []
    for model in models:
        config = RunConfig(
            system="baseline",
            set=set_name(name),
            corpus=corpus,
            model=model,
            retrieval="dense",
            k=4,
            chunk_tokens=0,
            refusal_threshold=0.0,
        )
        bar.start(f"indexing {corpus} for the baseline", 1)
        baseline = BaselineRAG(paths, options.eval_dir / f"baseline-{corpus}", bot.embeddings, bot.chat_model(model))
        result = evaluate_config(bot, pairs, config, False, None, bar, baseline.documents, halves, baseline=baseline)
        results.append(result)
        echo(_line(result))
    return results


def _number(value: float | int | None) -> str:
    return "–" if value is None else f"{value:.3f}" if isinstance(value, float) else str(value)


def _line(result: ConfigResult) -> str:
    m = result.metrics
    keys = ["hit@5", "mrr", "ndcg@10", "context_recall", "refusal_rate", "false_refusal_rate"]
    if not result.retrieval_only:
        keys += ["key_fact_accuracy", "citation_precision", "faithfulness", "judge_agreement", "p50_total"]
    return f"{result.config.label}: " + ", ".join(f"{k}={_number(m.get(k))}" for k in keys)


def evaluate(options: EvalOptions, progress: Any | None = None, echo: Echo = print) -> list[ConfigResult]:
    """Run the grid, save its run file and rewrite the report from every run file under ``options.out``."""
    from eval.report import write_report

    started = datetime.now(UTC)
    results = run(options, progress, echo)
    if not results:
        echo("nothing was evaluated")
        return results
    write_run(options, results, started)
    report = write_report(options.out)
    echo(f"report written to {report}")
    return results
