"""What an evaluation run covers: the grid of sets, models, retrieval modes, k and chunk sizes, and how
the command line's repeated and comma-separated values become it."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from eval.corpora import DEFAULT_EVAL_DIR
from eval.dataset import EvalPair
from parlqa.settings import Settings


class EvalOptions(BaseModel):
    """What to evaluate: every combination of the listed values is one configuration."""

    sets: list[str] = Field(default_factory=lambda: ["default"])
    # by default, what parlqa itself runs with (PARLQA_MODEL, PARLQA_RETRIEVAL, PARLQA_K, PARLQA_CHUNK_TOKENS)
    models: list[str] = Field(default_factory=lambda: [Settings().model])
    retrievals: list[str] = Field(default_factory=lambda: [Settings().retrieval])
    ks: list[int] = Field(default_factory=lambda: [Settings().k])
    chunk_tokens: list[int] = Field(default_factory=lambda: [Settings().chunk_tokens])
    refusal_threshold: float | None = None
    limit: int | None = Field(None, ge=1)
    judge: str | None = "small"
    retrieval_only: bool = False
    systems: list[Literal["parlqa", "baseline"]] = Field(
        default_factory=lambda: ["parlqa"], description="parlqa and/or the plain LangChain RAG recipe."
    )
    half: Literal["fit", "held-out", "both"] = "both"
    commons_index: Literal["full", "subset"] = Field(
        "full", description="Answer commons questions over the whole shared file, or over the fixed subset."
    )
    out: Path = Path("docs/eval")
    eval_dir: Path = DEFAULT_EVAL_DIR
    judge_cache: Path | None = None
    name: str | None = None
    command: str = ""


def split_values(values: Iterable[str] | None) -> list[str]:
    """Repeated and comma-separated option values, in order, without repeats."""
    out: list[str] = []
    for value in values or []:
        out.extend(v.strip() for v in str(value).split(",") if v.strip() and v.strip() not in out)
    return out


def limit_pairs(pairs: Sequence[EvalPair], limit: int | None) -> list[EvalPair]:
    """``limit`` pairs with each kind's share of the set (largest remainders, at least one of every kind while the
    limit allows), the first of each kind in file order; the pairs keep the file's order."""
    if limit is None or limit >= len(pairs):
        return list(pairs)
    by_kind: dict[str, list[EvalPair]] = {}
    for p in pairs:
        by_kind.setdefault(p.kind, []).append(p)
    exact = {kind: limit * len(group) / len(pairs) for kind, group in by_kind.items()}
    quota = {kind: min(len(by_kind[kind]), max(1, int(share))) for kind, share in exact.items()}
    while sum(quota.values()) > limit:  # more kinds than the limit: the smallest shares give way
        smallest = min((k for k in quota if quota[k]), key=lambda k: exact[k])
        quota[smallest] -= 1
    for kind in sorted(exact, key=lambda k: exact[k] - int(exact[k]), reverse=True):
        if sum(quota.values()) >= limit:
            break
        if quota[kind] < len(by_kind[kind]):
            quota[kind] += 1
    chosen = {p.id for kind, group in by_kind.items() for p in group[: quota[kind]]}
    return [p for p in pairs if p.id in chosen]
