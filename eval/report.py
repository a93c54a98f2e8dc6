"""The evaluation report: ``results.json``, ``report.md`` and PNG charts, rebuilt from every run file in
``<out>/runs``; a hand-written ``<out>/notes.md``, when present, is included as the chosen defaults."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import asdict
from pathlib import Path

from eval.compare import comparison_section
from eval.corpora import SUBSET_SIZE, SUBSET_TOPIC
from eval.metrics import best_threshold, mean, summary, threshold_within
from eval.results import DEFAULT_BACKEND, ConfigResult, answer_facts, by_kind, summarise

KINDS = ("factoid", "who_when", "list", "why_how", "multi_document", "unanswerable", "near_miss")
LATENCY_STAGES = ("retrieve", "extract", "first_token", "total")
REFERENCE_K = 5
FAILURES_SHOWN = 20
MAX_FALSE_REFUSAL = 0.05
REFERENCE_CHUNK = 256


def load_runs(out: Path) -> tuple[list[ConfigResult], list[dict]]:
    """Every configuration from ``<out>/runs/*.json``, rescored; a configuration run twice keeps its latest result."""
    runs = []
    for path in sorted((out / "runs").glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        data["file"] = path.name
        runs.append(data)
    runs.sort(key=lambda r: r.get("finished", ""))
    latest: dict[tuple, ConfigResult] = {}
    for data in runs:
        for item in data["results"]:
            result = ConfigResult.model_validate(item)
            # answers are rescored from their stored text, so every run is scored by the same code
            if not result.retrieval_only:
                for pair in result.pairs:
                    pair.facts_found = answer_facts(pair)
            result.metrics = summarise(result.pairs, result.retrieval_only)
            result.by_kind = by_kind(result.pairs)
            latest[(result.retrieval_only, *result.config.key)] = result
    return list(latest.values()), runs


def _number(value, digits: int = 3) -> str:
    if value is None:
        return "–"
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return f"{value:.{digits}f}"


def _seconds(value) -> str:
    return "–" if value is None else f"{value:.2f} s"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    return lines + ["| " + " | ".join(r) + " |" for r in rows]


def _sort_key(r: ConfigResult) -> tuple:
    c = r.config
    return (c.set, c.model or "", c.retrieval, c.k, c.chunk_tokens, _backend(r) != DEFAULT_BACKEND)


def _backend(r: ConfigResult) -> str:
    return r.config.embedding_backend or DEFAULT_BACKEND


def _default_encoder(results: list[ConfigResult]) -> list[ConfigResult]:
    return [r for r in results if _backend(r) == DEFAULT_BACKEND]


def fill_facts_in_context(answers: list[ConfigResult], sweep: list[ConfigResult]) -> None:
    """An answer run without the facts-in-sources diagnostic takes it from the retrieval-only run of the same
    set, retrieval, k and chunk size, over the same questions (retrieval does not depend on the model)."""
    by_key = {(r.config.set, r.config.retrieval, r.config.k, r.config.chunk_tokens, _backend(r)): r for r in sweep}
    for result in answers:
        c = result.config
        twin = by_key.get((c.set, c.retrieval, c.k, c.chunk_tokens, _backend(result)))
        if result.metrics.get("facts_in_context") is not None or twin is None:
            continue
        wanted = {p.id for p in result.pairs if p.answerable}
        found = [all(p.context_facts) for p in twin.pairs if p.id in wanted and p.context_facts]
        if len(found) == len(wanted):
            result.metrics["facts_in_context"] = mean(float(f) for f in found)


def headline(results: list[ConfigResult]) -> list[str]:
    header = [
        "configuration",
        "n",
        "hit@5",
        "recall@5",
        "MRR@10",
        "nDCG@10",
        "facts in sources",
        "key facts",
        "cite P",
        "cite R",
        "refusal",
        "false refusal",
        "faithfulness",
        "judge agree (κ)",
        "p50 retrieve",
        "p50 extract",
        "p50 first token",
        "p50 total",
        "peak RSS",
    ]
    rows = []
    for r in sorted(results, key=_sort_key):
        m = r.metrics
        agree = f"{_number(m.get('judge_agreement'))} ({_number(m.get('judge_kappa'), 2)})"
        rows.append(
            [
                f"`{r.config.label}`",
                _number(m["n"]),
                _number(m["hit@5"]),
                _number(m["recall@5"]),
                _number(m["mrr"]),
                _number(m["ndcg@10"]),
                _number(m.get("facts_in_context")),
                _number(m.get("key_fact_accuracy")),
                _number(m.get("citation_precision")),
                _number(m.get("citation_recall")),
                _number(m["refusal_rate"]),
                _number(m["false_refusal_rate"]),
                _number(m.get("faithfulness")),
                agree,
                _seconds(m["p50_retrieve"]),
                _seconds(m["p50_extract"]),
                _seconds(m["p50_first_token"]),
                _seconds(m["p50_total"]),
                f"{r.peak_rss_mb:.0f} MB" if r.peak_rss_mb else "–",
            ]
        )
    return _table(header, rows)


def retrieval_table(results: list[ConfigResult]) -> list[str]:
    header = [
        "set",
        "retrieval",
        "k",
        "chunk",
        "encoder",
        "hit@5",
        "recall@5",
        "MRR@10",
        "nDCG@10",
        "context recall@k",
        "facts in sources",
        "gate refusal",
        "gate false refusal",
        "ANN top-1 exact",
        "p50 retrieve",
    ]
    rows = []
    for r in sorted(results, key=_sort_key):
        c, m = r.config, r.metrics
        rows.append(
            [
                c.set,
                c.retrieval,
                str(c.k),
                str(c.chunk_tokens),
                _backend(r),
                _number(m["hit@5"]),
                _number(m["recall@5"]),
                _number(m["mrr"]),
                _number(m["ndcg@10"]),
                _number(m["context_recall"]),
                _number(m.get("facts_in_context")),
                _number(m["refusal_rate"]),
                _number(m["false_refusal_rate"]),
                _number(r.ann_top1),
                _seconds(m["p50_retrieve"]),
            ]
        )
    return _table(header, rows)


def refusal_causes(results: list[ConfigResult]) -> list[str]:
    causes = ["gate", "model", "unsupported", "other"]
    rows = []
    for r in sorted(results, key=_sort_key):
        m = r.metrics
        counts = [m.get("answerable"), m.get("refused_answerable")]
        counts += [m.get(f"refused_answerable_{c}") for c in causes] + [m.get("withheld_correct")]
        rows.append([f"`{r.config.label}`", *(_number(v) for v in counts)])
    return _table(["configuration", "answerable", "refused", *causes, "withheld yet correct"], rows)


def _calibration_groups(results: list[ConfigResult]) -> dict[tuple, list[ConfigResult]]:
    """Retrieval-only results at k=5 (else the smallest k) per (retrieval, chunk), for each set and pooled; the
    default encoder only."""
    chosen: dict[tuple, ConfigResult] = {}
    for r in _default_encoder(results):
        c = r.config
        key = (c.set, c.retrieval, c.chunk_tokens)
        old = chosen.get(key)
        if old is None or (c.k == REFERENCE_K) or (old.config.k != REFERENCE_K and c.k < old.config.k):
            chosen[key] = r
    groups: dict[tuple, list[ConfigResult]] = defaultdict(list)
    for (set_, retrieval, chunk), r in sorted(chosen.items()):
        groups[(set_, retrieval, chunk)].append(r)
        groups[("pooled", retrieval, chunk)].append(r)
    if len({k[0] for k in chosen}) < 2:
        groups = {k: v for k, v in groups.items() if k[0] != "pooled"}
    return groups


def _similarities(items: list[ConfigResult]) -> tuple[list[float], list[float]]:
    pairs = [p for r in items for p in r.pairs if p.best_similarity is not None]
    return [p.best_similarity for p in pairs if p.answerable], [p.best_similarity for p in pairs if not p.answerable]


def _threshold_cell(t) -> str:
    if t is None:
        return "–"
    return f"{t.threshold:.3f} ({t.refused_unanswerable:.2f} / {t.refused_answerable:.2f})"


def calibration(results: list[ConfigResult]) -> tuple[list[str], list[dict]]:
    header = [
        "set",
        "retrieval",
        "chunk",
        "k",
        "answerable: min / p25 / median",
        "unanswerable: median / p75 / max",
        "best balanced cut (refuses U / A)",
        f"cut refusing ≤{MAX_FALSE_REFUSAL:.0%} of answerable (U / A)",
    ]
    rows, records = [], []
    groups = _calibration_groups(results)
    for set_, retrieval, chunk in sorted(groups, key=lambda g: (g[1], g[2], g[0] == "pooled", g[0])):
        items = groups[(set_, retrieval, chunk)]
        yes, no = _similarities(items)
        best, safe = best_threshold(yes, no), threshold_within(yes, no, MAX_FALSE_REFUSAL)
        a, u = summary(yes), summary(no)
        k = items[0].config.k
        records.append(
            {
                "set": set_,
                "retrieval": retrieval,
                "chunk_tokens": chunk,
                "k": k,
                "answerable": a,
                "unanswerable": u,
                "best": None if best is None else asdict(best),
                "within_false_refusal": None if safe is None else asdict(safe),
            }
        )
        rows.append(
            [
                set_,
                retrieval,
                str(chunk),
                str(k),
                f"{_number(a['min'])} / {_number(a['p25'])} / {_number(a['median'])}",
                f"{_number(u['median'])} / {_number(u['p75'])} / {_number(u['max'])}",
                _threshold_cell(best),
                _threshold_cell(safe),
            ]
        )
    return _table(header, rows), records


CURVE_CUTS = (0.25, 0.30, 0.35, 0.40, 0.45, 0.50, 0.55, 0.60)


def _below(values: list[float], cut: float) -> float:
    return sum(v < cut for v in values) / len(values)


def threshold_curve(groups: dict[tuple, list[ConfigResult]]) -> list[str]:
    """Per retrieval mode at the reference chunk size: the share refused at each cut, unanswerable / answerable."""
    rows = []
    for key in sorted(g for g in groups if g[2] == REFERENCE_CHUNK):
        yes, no = _similarities(groups[key])
        if yes and no:
            cells = [f"{_below(no, t):.2f} / {_below(yes, t):.2f}" for t in CURVE_CUTS]
            rows.append([key[0], key[1], *cells])
    return _table(["set", "retrieval", *(f"< {t:.2f}" for t in CURVE_CUTS)], rows) if rows else []


def _failure(p) -> list[str]:
    missing = [f for f, ok in zip(p.key_facts, p.facts_found, strict=False) if not ok]
    expected = p.reference_answer + (f" (missing: {', '.join(missing)})" if missing else "")
    answer = (p.answer or "").replace("\n", " ")
    answer = answer if len(answer) <= 300 else answer[:300] + "…"
    if p.refused:
        answer = f"{answer} — refused: {p.refusal_reason}"
    return [
        f"- **{p.id}** ({p.kind}) {p.question}",
        f"  - expected: {expected}",
        f"  - answer: {answer}",
        f"  - cited: {', '.join(p.cited) or '–'}; sources: {', '.join(p.source_ids) or '–'}",
        f"  - retrieved: {', '.join(p.ranked[:5]) or '–'}",
    ]


def failures(results: list[ConfigResult]) -> list[str]:
    lines: list[str] = []
    for r in sorted(results, key=_sort_key):
        wrong = [p for p in r.pairs if not p.correct]
        lines += [
            "",
            f"<details><summary><code>{r.config.label}</code>: {len(wrong)} of {len(r.pairs)} wrong</summary>",
            "",
        ]
        for p in wrong[:FAILURES_SHOWN]:
            lines += _failure(p)
        if len(wrong) > FAILURES_SHOWN:
            lines.append(f"- … and {len(wrong) - FAILURES_SHOWN} more in `results.json`")
        lines += ["", "</details>"]
    return lines


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def chart_accuracy(results: list[ConfigResult], path: Path) -> None:
    plt = _plt()
    kinds = [k for k in KINDS if any(k in r.by_kind for r in results)]
    fig, ax = plt.subplots(figsize=(max(7, 1.6 * len(kinds)), 4.5))
    width = 0.8 / max(1, len(results))
    for i, r in enumerate(sorted(results, key=_sort_key)):
        values = [r.by_kind.get(k, {}).get("correct") or 0.0 for k in kinds]
        ax.bar([x + i * width for x in range(len(kinds))], values, width, label=r.config.label)
    ax.set_xticks([x + width * (len(results) - 1) / 2 for x in range(len(kinds))], kinds)
    ax.set_ylim(0, 1)
    ax.set_ylabel("share correct")
    ax.set_title("Key-fact accuracy by question kind (unanswerable: share refused)")
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def chart_latency(results: list[ConfigResult], path: Path) -> None:
    plt = _plt()
    ordered = sorted(results, key=_sort_key)
    fig, ax = plt.subplots(figsize=(9, 1.0 + 0.55 * len(ordered) * 1.4))
    height = 0.8 / len(LATENCY_STAGES)
    for j, stage in enumerate(LATENCY_STAGES):
        values = [max(r.metrics.get(f"p50_{stage}") or 0.0, 1e-4) for r in ordered]
        ax.barh([i + j * height for i in range(len(ordered))], values, height, label=stage)
    ax.set_yticks(
        [i + height * (len(LATENCY_STAGES) - 1) / 2 for i in range(len(ordered))],
        [r.config.label for r in ordered],
        fontsize=8,
    )
    ax.set_xscale("log")
    ax.set_xlabel("median seconds per question (log scale)")
    ax.set_title("Latency per stage")
    ax.invert_yaxis()
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def chart_similarity(groups: dict[tuple, list[ConfigResult]], key: tuple, cuts: dict[str, float], path: Path) -> None:
    plt = _plt()
    yes, no = _similarities(groups[key])
    fig, ax = plt.subplots(figsize=(7, 4))
    bins = [i / 40 for i in range(41)]
    ax.hist(yes, bins=bins, alpha=0.6, label=f"answerable ({len(yes)})")
    ax.hist(no, bins=bins, alpha=0.6, label=f"unanswerable ({len(no)})")
    names = {"best": "best balanced cut", "within_false_refusal": f"cut refusing ≤{MAX_FALSE_REFUSAL:.0%} answerable"}
    for (name, cut), style in zip(cuts.items(), ("--", ":"), strict=False):
        ax.axvline(cut, color="black", linestyle=style, label=f"{names[name]} {cut:.3f}")
    ax.set_xlabel("best dense cosine similarity among the k passages")
    ax.set_ylabel("questions")
    ax.set_title(f"Refusal gate calibration ({key[0]}, {key[1]}, chunk {key[2]})")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _corpora_note(results: list[ConfigResult]) -> list[str]:
    docs: dict[str, int] = {}
    for r in results:  # the baseline's own index does not count the corpus's documents
        docs[r.config.corpus] = max(docs.get(r.config.corpus, 0), r.documents)
    lines = []
    if "default" in docs:
        lines.append(f"- **default**: the {docs['default']} documents shipped in `corpus/documents/`.")
    if "commons-full" in docs:
        lines.append(
            f"- **commons-full**: the whole shared file `written_questions_commons_2023_2026.jsonl.gz` "
            f"({docs['commons-full']:,} documents indexed)."
        )
    if "commons" in docs:
        lines.append(
            f"- **commons**: a fixed subset of the shared file `written_questions_commons_2023_2026.jsonl.gz` "
            f"({docs['commons']:,} documents indexed): every source of a commons pair, every `{SUBSET_TOPIC}` record, "
            f"then records with answer text in sha1(id) order up to {SUBSET_SIZE:,}. **Commons numbers are over this "
            "subset, not over all 49,201 records.**"
        )
    return lines


DEFINITIONS = """- Retrieval metrics use document ids, deduplicated in rank order, from the top 20 passages; they cover
  answerable questions only. *context recall@k*: share of source documents among the k passages the model sees.
  *facts in sources*: share of answerable questions whose every key fact is in the text the model is shown (the
  passages' labels and the sentences kept from them), the ceiling for key-fact accuracy. *ANN top-1 exact*: share
  of questions whose nearest chunk from the vector store's approximate search is the exact nearest one (a health
  check of the index).
- *key facts*: share of answerable questions whose answer states every key fact (case-insensitive; dates, '£5m',
  'per cent' and thousands separators normalised). *cite P/R*: cited documents that are sources / sources cited,
  over answered answerable questions.
- *refusal*: share of unanswerable questions refused; *false refusal*: share of answerable questions refused.
  In retrieval-only runs both come from the refusal gate alone.
- *faithfulness*: share of answer sentences the judge model finds supported by the passages they cite.
  *judge agree (κ)*: over answered answerable questions, how often "every sentence supported" equals "every key
  fact present", with Cohen's kappa.
- Latency: medians per question on the machine that ran it; *first token* counts from the question, over those
  that reached the model; *total* covers every question, refusals included. *peak RSS*: the evaluation process's
  resident memory while answering (the judge excluded); it includes the open index and whatever earlier
  configurations of the same run left allocated, so compare it within one run."""


def write_report(out: Path) -> Path:
    """Rebuild ``results.json``, the charts and ``report.md`` under ``out``; returns the report's path."""
    results, runs = load_runs(out)
    answers = [r for r in results if not r.retrieval_only]
    sweep = [r for r in results if r.retrieval_only]
    fill_facts_in_context(answers, sweep)
    cal_lines, cal_records = calibration(sweep) if sweep else ([], [])
    (out / "results.json").write_text(
        json.dumps(
            {
                "configurations": [
                    r.model_dump(mode="json", exclude={"pairs"} if r.retrieval_only else None)
                    for r in sorted(results, key=_sort_key)
                ],
                "calibration": cal_records,
                "runs": [{k: v for k, v in run.items() if k != "results"} for run in runs],
            },
            indent=1,
            ensure_ascii=False,
        )
        + "\n",
        encoding="utf-8",
    )
    lines = ["# parlqa evaluation", "", "Corpora:", "", *_corpora_note(results), ""]
    lines += comparison_section(answers)
    notes = out / "notes.md"
    if notes.is_file():
        lines += ["## Chosen defaults", "", notes.read_text(encoding="utf-8").strip(), ""]
    if answers:
        chart_accuracy(answers, out / "accuracy_by_kind.png")
        chart_latency(answers, out / "latency.png")
        lines += ["## Headline: answer runs", "", *headline(answers), "", DEFINITIONS, ""]
        judges = sorted({r.judge for r in answers if r.judge})
        lines += [f"Judge model: {', '.join(judges) if judges else 'none'}.", ""]
        lines += [
            "Refusals of answerable questions by cause: *gate* (similarity or name check, before the model), "
            "*model* (it replied that the sources hold no answer), *unsupported* (no sentence of its answer "
            "matched a source, so the answer was withheld); *withheld yet correct*: withheld answers whose "
            "sentences stated every key fact.",
            "",
            *refusal_causes(answers),
            "",
        ]
        lines += ["![key-fact accuracy by kind](accuracy_by_kind.png)", "", "![latency](latency.png)", ""]
    if sweep:
        lines += ["## Retrieval sweep (no model)", "", *retrieval_table(sweep), ""]
        lines += [
            "## Refusal threshold calibration",
            "",
            "Best dense cosine similarity among the k passages (what the refusal gate compares with "
            "`refusal_threshold`), answerable against unanswerable questions; the best threshold maximises "
            "balanced accuracy of refusing below it; the second cut is the highest that refuses at most "
            f"{MAX_FALSE_REFUSAL:.0%} of answerable questions. The gate's name check is not part of this.",
            "",
            *cal_lines,
            "",
        ]
        groups = _calibration_groups(sweep)
        key = min(groups, key=lambda g: (g[0] != "pooled", g[1] != "hybrid", g[2] != REFERENCE_CHUNK, g))
        record = next(c for c in cal_records if (c["set"], c["retrieval"], c["chunk_tokens"]) == key)
        cuts = {name: record[name]["threshold"] for name in ("best", "within_false_refusal") if record[name]}
        chart_similarity(groups, key, cuts, out / "similarity.png")
        curve = threshold_curve(groups)
        if curve:
            lines += [
                f"Share refused by the similarity cut alone at chunk size {REFERENCE_CHUNK} (unanswerable / "
                "answerable):",
                "",
                *curve,
                "",
            ]
        lines += ["![similarity](similarity.png)", ""]
    if answers:
        lines += [
            "## Failures",
            "",
            "Answerable questions missing a key fact, and unanswerable ones not refused.",
            *failures(answers),
            "",
        ]
    lines += ["## Reproduce", "", "```sh"]
    lines += [run["command"] for run in runs if run.get("command")] + ["```", ""]
    path = out / "report.md"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path
