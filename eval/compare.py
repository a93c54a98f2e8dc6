"""parlqa beside the plain LangChain recipe: per set, half and question kind, from the same run's answers."""

from __future__ import annotations

from eval import metrics
from eval.metrics import facts_found
from eval.results import ConfigResult, PairResult, kind_metrics, refusal_cause, strip_markers

KIND_ORDER = ("factoid", "list", "why_how", "multi_document", "who_when", "unanswerable", "near_miss")
KIND_LABELS = {
    "who_when": "metadata",
    "near_miss": "near-miss unanswerable",
    "why_how": "why/how",
    "multi_document": "multi-doc",
    "unanswerable": "far unanswerable",
}
HALVES = ("fit", "held-out")
TARGETS = {
    "key facts": 0.85,
    "cite P": 0.95,
    "metadata": 0.95,
    "near-miss refusal": 0.85,
    "false refusal": 0.05,
    "p50 first token": 3.0,
    "p50 total": 5.0,
}


def _number(value) -> str:
    return "–" if value is None else f"{value:.2f}"


def headline_figures(pairs: list[PairResult]) -> dict[str, float | int | None]:
    """The figures the targets are stated in, over ``pairs``."""
    answerable = [p for p in pairs if p.answerable]
    answered = [p for p in answerable if not p.refused]
    near = [p for p in pairs if p.kind == "near_miss"]
    far = [p for p in pairs if p.kind == "unanswerable"]
    meta = [p for p in pairs if p.kind == "who_when"]
    first = [p.timings["first_token"] for p in pairs if "first_token" in p.timings]
    total = [p.timings["total"] for p in pairs if "total" in p.timings]
    return {
        "n": len(pairs),
        "key facts": metrics.mean(float(p.facts_ok) for p in answerable),
        "cite P": metrics.mean(
            metrics.citation_precision(docs, p.source_ids) for p in answered for docs in p.sentence_citations
        ),
        "cite R": metrics.mean(metrics.citation_recall(p.cited, p.source_ids) for p in answered),
        "metadata": metrics.mean(float(p.facts_ok) for p in meta),
        "near-miss refusal": metrics.rate(p.refused for p in near),
        "far refusal": metrics.rate(p.refused for p in far),
        "false refusal": metrics.rate(p.refused for p in answerable),
        "shown": sum(not p.refused for p in pairs),
        "withheld": sum(refusal_cause(p.refusal_reason) == "unsupported" for p in pairs),
        "p50 first token": metrics.percentile(first, 0.5),
        "p50 total": metrics.percentile(total, 0.5),
    }


def _met(name: str, value) -> str:
    if value is None or name not in TARGETS:
        return ""
    target = TARGETS[name]
    lower_is_better = name in ("false refusal", "p50 first token", "p50 total")
    ok = value <= target if lower_is_better else value >= target
    return " ✓" if ok else ""


def headline_table(results: list[ConfigResult]) -> list[str]:
    """One row per set, system and half, with the targeted figures (✓: target met)."""
    columns = [
        "n",
        "key facts",
        "cite P",
        "cite R",
        "metadata",
        "near-miss refusal",
        "far refusal",
        "false refusal",
        "shown",
        "withheld",
        "p50 first token",
        "p50 total",
    ]
    lines = ["| set | system | half | " + " | ".join(columns) + " |", "|" + "---|" * (len(columns) + 3)]

    def row(label: str, r: ConfigResult, half: str, pairs: list[PairResult]) -> str:
        figures = headline_figures(pairs)
        cells = []
        for c in columns:
            v = figures[c]
            text = (
                str(v) if isinstance(v, int) else _number(v) + (" s" if c.startswith("p50") and v is not None else "")
            )
            cells.append(text + _met(c, v))
        return f"| {r.config.set} | {label} | {half} | " + " | ".join(cells) + " |"

    ordered = sorted(results, key=lambda r: (r.config.set, r.config.system != "parlqa"))
    for r in ordered:
        for half in HALVES:
            pairs = [p for p in r.pairs if p.half == half]
            if pairs:
                lines.append(row(_system(r), r, half, pairs))
        if r.config.system != "baseline":
            continue
        # where the baseline answered a stated subset, parlqa on exactly those questions too
        asked = {p.id for p in r.pairs}
        for other in ordered:
            if other.config.system == "parlqa" and other.config.set == r.config.set:
                same = [p for p in other.pairs if p.id in asked]
                if 0 < len(same) < len([p for p in other.pairs if p.half in {q.half for q in r.pairs}]):
                    lines.append(
                        row(f"{_system(other)}, the baseline's {len(same)} questions", other, "held-out", same)
                    )
    return lines


def _system(r: ConfigResult) -> str:
    if r.config.system == "baseline":
        return "LangChain baseline"
    return f"parlqa ({r.config.model}, k={r.config.k})"


def kind_table(results: list[ConfigResult], half: str) -> list[str]:
    """Per kind: key facts / sentence citation precision / citation recall / refused / shown / withheld."""
    header = ["set", "system", "kind", "n", "key facts", "cite P", "cite R", "refused", "shown", "withheld"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for r in sorted(results, key=lambda r: (r.config.set, r.config.system != "parlqa")):
        pairs = [p for p in r.pairs if p.half == half]
        for kind in KIND_ORDER:
            group = [p for p in pairs if p.kind == kind]
            if not group:
                continue
            m = kind_metrics(group)
            lines.append(
                f"| {r.config.set} | {_system(r)} | {KIND_LABELS.get(kind, kind)} | {m['n']} | "
                f"{_number(m['key_facts'])} | {_number(m['cite_p'])} | {_number(m['cite_r'])} | "
                f"{_number(m['refused'])} | {m['shown']} | {m['withheld']} |"
            )
    return lines


def verifier_table(results: list[ConfigResult]) -> list[str]:
    """What the verifier changed, from the same answers: the draft (every sentence the model wrote) against what
    was shown, per set and half."""
    header = [
        "set",
        "half",
        "answerable: key facts shown",
        "key facts in the draft",
        "sentences dropped",
        "answers withheld whole",
        "near-miss refused",
        "near-miss refused without the verifier",
    ]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for r in sorted(results, key=lambda r: r.config.set):
        if r.config.system != "parlqa":
            continue
        for half in HALVES:
            pairs = [p for p in r.pairs if p.half == half]
            if not pairs:
                continue
            answerable = [p for p in pairs if p.answerable]
            near = [p for p in pairs if p.kind == "near_miss"]
            draft = [
                all(facts_found(p.key_facts, strip_markers(" ".join([*p.sentences, *p.dropped])))) for p in answerable
            ]
            dropped = sum(len(p.dropped) for p in pairs)
            withheld = sum(refusal_cause(p.refusal_reason) == "unsupported" for p in pairs)
            unverified = [p.refused and refusal_cause(p.refusal_reason) != "unsupported" for p in near]
            lines.append(
                f"| {r.config.set} | {half} | {_number(metrics.mean(float(p.facts_ok) for p in answerable))} | "
                f"{_number(metrics.mean(float(d) for d in draft))} | {dropped} | {withheld} | "
                f"{_number(metrics.rate(p.refused for p in near))} | {_number(metrics.rate(unverified))} |"
            )
    return lines


def comparison_section(results: list[ConfigResult]) -> list[str]:
    """The report's section comparing parlqa with the baseline, when the run holds both."""
    runs = [r for r in results if not r.retrieval_only and any(p.half for p in r.pairs)]
    if not any(r.config.system == "baseline" for r in runs):
        return []
    lines = [
        "## parlqa against the plain LangChain recipe",
        "",
        "Same questions, same model, same embedder, same run. Thresholds are fitted on the *fit* half only "
        "(`parlqa eval --fit-refusal`); the *held-out* half is what the targets are read on. ✓ marks a "
        f"target met ({', '.join(f'{k} {v}' for k, v in TARGETS.items())}).",
        "",
        *headline_table(runs),
        "",
    ]
    for half in HALVES:
        lines += [f"### Per kind, {half} half", "", *kind_table(runs, half), ""]
    lines += [
        "### What the verifier does",
        "",
        "The draft is every sentence the model wrote; the verifier keeps a sentence only when the source it "
        "cites (or another retrieved one) states its numbers, dates, amounts and names beside its subject.",
        "",
        *verifier_table(runs),
        "",
    ]
    return lines
