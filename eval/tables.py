"""The report's Markdown tables: headline figures, the retrieval sweep, refusal causes and failures."""

from __future__ import annotations

from eval.results import DEFAULT_BACKEND, ConfigResult

FAILURES_SHOWN = 20


def number_cell(value, digits: int = 3) -> str:
    if value is None:
        return "–"
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return f"{value:.{digits}f}"


def seconds_cell(value) -> str:
    return "–" if value is None else f"{value:.2f} s"


def markdown_table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    return lines + ["| " + " | ".join(r) + " |" for r in rows]


def report_order(r: ConfigResult) -> tuple:
    c = r.config
    return (c.set, c.model or "", c.retrieval, c.k, c.chunk_tokens, backend_label(r) != DEFAULT_BACKEND)


def backend_label(r: ConfigResult) -> str:
    return r.config.embedding_backend or DEFAULT_BACKEND


def default_encoder_only(results: list[ConfigResult]) -> list[ConfigResult]:
    return [r for r in results if backend_label(r) == DEFAULT_BACKEND]


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
    for r in sorted(results, key=report_order):
        m = r.metrics
        agree = f"{number_cell(m.get('judge_agreement'))} ({number_cell(m.get('judge_kappa'), 2)})"
        rows.append(
            [
                f"`{r.config.label}`",
                number_cell(m["n"]),
                number_cell(m["hit@5"]),
                number_cell(m["recall@5"]),
                number_cell(m["mrr"]),
                number_cell(m["ndcg@10"]),
                number_cell(m.get("facts_in_context")),
                number_cell(m.get("key_fact_accuracy")),
                number_cell(m.get("citation_precision")),
                number_cell(m.get("citation_recall")),
                number_cell(m["refusal_rate"]),
                number_cell(m["false_refusal_rate"]),
                number_cell(m.get("faithfulness")),
                agree,
                seconds_cell(m["p50_retrieve"]),
                seconds_cell(m["p50_extract"]),
                seconds_cell(m["p50_first_token"]),
                seconds_cell(m["p50_total"]),
                f"{r.peak_rss_mb:.0f} MB" if r.peak_rss_mb else "–",
            ]
        )
    return markdown_table(header, rows)


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
    for r in sorted(results, key=report_order):
        c, m = r.config, r.metrics
        rows.append(
            [
                c.set,
                c.retrieval,
                str(c.k),
                str(c.chunk_tokens),
                backend_label(r),
                number_cell(m["hit@5"]),
                number_cell(m["recall@5"]),
                number_cell(m["mrr"]),
                number_cell(m["ndcg@10"]),
                number_cell(m["context_recall"]),
                number_cell(m.get("facts_in_context")),
                number_cell(m["refusal_rate"]),
                number_cell(m["false_refusal_rate"]),
                number_cell(r.ann_top1),
                seconds_cell(m["p50_retrieve"]),
            ]
        )
    return markdown_table(header, rows)


def refusal_causes(results: list[ConfigResult]) -> list[str]:
    causes = ["gate", "model", "unsupported", "other"]
    rows = []
    for r in sorted(results, key=report_order):
        m = r.metrics
        counts = [m.get("answerable"), m.get("refused_answerable")]
        counts += [m.get(f"refused_answerable_{c}") for c in causes] + [m.get("withheld_correct")]
        rows.append([f"`{r.config.label}`", *(number_cell(v) for v in counts)])
    return markdown_table(["configuration", "answerable", "refused", *causes, "withheld yet correct"], rows)


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
    for r in sorted(results, key=report_order):
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
