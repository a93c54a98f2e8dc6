"""The report's PNG charts: key-fact accuracy by kind, latency by stage, and similarity distributions."""

from __future__ import annotations

from pathlib import Path

from eval.results import ConfigResult
from eval.tables import report_order
from eval.thresholds import MAX_FALSE_REFUSAL, similarities

KINDS = ("factoid", "who_when", "list", "why_how", "multi_document", "unanswerable", "near_miss")
LATENCY_STAGES = ("retrieve", "extract", "first_token", "total")


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
    for i, r in enumerate(sorted(results, key=report_order)):
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
    ordered = sorted(results, key=report_order)
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
    yes, no = similarities(groups[key])
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
