"""Typed results of an evaluation run, and their aggregation into per-configuration metrics."""

from __future__ import annotations

from collections import defaultdict
from typing import Literal

from pydantic import BaseModel, Field

from eval import metrics
from eval.metrics import facts_found
from parlqa.settings import RetrievalMode, Settings
from qa.markers import strip_markers

RANK_DEPTH = 20  # passages retrieved for the ranking metrics
RANKED_DOCS = 10  # documents kept from them, in rank order: MRR and nDCG are cut at 10
STAGES = ("retrieve", "extract", "first_token", "generate", "total")
DEFAULT_BACKEND = str(Settings.default_of("embedding_backend"))
DEFAULT_MAX_TOKENS = int(Settings.default_of("embedding_max_tokens"))
DEFAULT_CONTEXT_CHARS = int(Settings.default_of("context_chars"))


class RunConfig(BaseModel):
    """One point of the comparison grid."""

    system: Literal["parlqa", "baseline"] = Field("parlqa", description="parlqa, or the plain LangChain recipe.")
    set: str
    corpus: str
    model: str | None = Field(None, description="None for a retrieval-only run.")
    retrieval: RetrievalMode
    k: int
    chunk_tokens: int
    refusal_threshold: float
    embedding_backend: str | None = Field(None, description="The encoder backend; None in runs that did not record it.")
    embedding_max_tokens: int | None = Field(None, description="Word pieces the encoder read per chunk.")
    context_sentences: int | None = Field(None, description="Sentences kept from each passage (older runs).")
    context_chars: int | None = Field(None, description="Characters of source text shown to the model.")

    @property
    def label(self) -> str:
        if self.system == "baseline":
            return f"{self.set}/{self.model}/langchain-baseline"
        parts = [self.set, self.model or "retrieval", self.retrieval, f"k{self.k}", f"c{self.chunk_tokens}"]
        if self.embedding_backend not in (None, DEFAULT_BACKEND):
            parts.append(str(self.embedding_backend))
        if self.embedding_max_tokens not in (None, DEFAULT_MAX_TOKENS):
            parts.append(f"e{self.embedding_max_tokens}")
        if self.model and self.context_sentences is not None:
            parts.append(f"s{self.context_sentences}")
        if self.model and self.context_chars not in (None, DEFAULT_CONTEXT_CHARS):
            parts.append(f"x{self.context_chars}")
        return "/".join(parts)

    @property
    def key(self) -> tuple:
        return (
            self.system,
            self.set,
            self.model,
            self.retrieval,
            self.k,
            self.chunk_tokens,
            self.refusal_threshold,
            self.embedding_backend or DEFAULT_BACKEND,
            self.embedding_max_tokens or DEFAULT_MAX_TOKENS,
            self.context_sentences,
            self.context_chars or DEFAULT_CONTEXT_CHARS,
            self.corpus,
        )


class PairResult(BaseModel):
    """What happened to one question under one configuration."""

    id: str
    kind: str
    half: Literal["fit", "held-out"] | None = None
    question: str = ""
    reference_answer: str = ""
    key_facts: list[str]
    source_ids: list[str]
    ranked: list[str] = Field(description=f"The first {RANKED_DOCS} document ids of the top {RANK_DEPTH} passages.")
    ranked_results: list[list[str]] = Field(
        default_factory=list,
        description=f"The first {RANKED_DOCS} results of the top {RANK_DEPTH} passages, each its document and those "
        "filed with the same answer text (one result, as the user sees it); empty in runs that kept documents only.",
    )
    context: list[str] = Field(description="Document ids of the k passages given to the model, deduplicated.")
    best_similarity: float | None = None
    refused: bool = False
    refusal_reason: str | None = None
    answer: str | None = None
    cited: list[str] = Field(default_factory=list)
    facts_found: list[bool] = Field(default_factory=list)
    context_facts: list[bool] = Field(default_factory=list, description="Key facts found in the model's sources.")
    sentences: list[str] = Field(default_factory=list)
    sentence_citations: list[list[str]] = Field(
        default_factory=list, description="Per shown sentence, the document ids it cites."
    )
    dropped: list[str] = Field(default_factory=list, description="Sentences left out by the verifier.")
    quoted: list[bool] = Field(default_factory=list, description="Per shown sentence, whether it quotes its source.")
    draft: str | None = Field(None, description="The model's text before checking.")
    question_type: str | None = None
    refusal_signals: dict[str, float | int | bool | None] | None = None
    self_supported: list[bool] = Field(default_factory=list, description="The product's own support check.")
    verdicts: list[bool] | None = Field(None, description="The judge's verdict per sentence.")
    timings: dict[str, float] = Field(default_factory=dict)

    @property
    def answerable(self) -> bool:
        return self.kind not in ("unanswerable", "near_miss")

    @property
    def ranking(self) -> list[str] | list[list[str]]:
        """What the ranking metrics read: the results where the run kept them, else the documents."""
        return self.ranked_results or self.ranked

    @property
    def facts_ok(self) -> bool:
        return bool(self.facts_found) and all(self.facts_found)

    @property
    def correct(self) -> bool:
        """Answerable: every key fact stated; unanswerable: refused."""
        return self.facts_ok if self.answerable else self.refused


RETRIEVAL_ONLY_OMITS = {
    "question",
    "reference_answer",
    "answer",
    "cited",
    "facts_found",
    "sentences",
    "self_supported",
    "verdicts",
}


class ConfigResult(BaseModel):
    """A configuration, its per-question results and its metrics."""

    config: RunConfig
    retrieval_only: bool
    judge: str | None = None
    documents: int = 0
    peak_rss_mb: float | None = None
    ann_top1: float | None = Field(None, description="Share of questions whose approximate top-1 chunk is exact.")
    seconds: float = 0.0
    metrics: dict[str, float | int | None] = Field(default_factory=dict)
    by_kind: dict[str, dict[str, float | int | None]] = Field(default_factory=dict)
    pairs: list[PairResult] = Field(default_factory=list)

    def stored(self) -> dict:
        """JSON for a run file; retrieval-only questions keep just what their metrics need."""
        if not self.retrieval_only:
            return self.model_dump(mode="json")
        return self.model_dump(mode="json", exclude={"pairs": {"__all__": RETRIEVAL_ONLY_OMITS}})


REFUSAL_CAUSES = {
    "gate": ("best passage similarity", "the passages do not", "no passage matched", "no passage sentence"),
    "model": ("the model found no answer",),
    "unsupported": ("no sentence of the model's answer",),
    "metadata": ("no retrieved record matches",),
}


def refusal_cause(reason: str | None) -> str:
    """gate (before the model), model (it said the sources hold no answer), unsupported (its answer was withheld)
    or other."""
    text = (reason or "").lower()
    return next((cause for cause, starts in REFUSAL_CAUSES.items() if text.startswith(starts)), "other")


def answer_facts(pair: PairResult) -> list[bool]:
    """Which key facts the shown answer states (none for a refusal); markers are ignored."""
    return facts_found(pair.key_facts, "" if pair.refused else strip_markers(pair.answer or ""))


def _ranking(pairs: list[PairResult]) -> dict[str, float | None]:
    answerable = [p for p in pairs if p.answerable]
    return {
        "hit@5": metrics.mean(metrics.hit_at_k(p.ranking, p.source_ids, 5) for p in answerable),
        "recall@5": metrics.mean(metrics.recall_at_k(p.ranking, p.source_ids, 5) for p in answerable),
        "mrr": metrics.mean(metrics.reciprocal_rank(p.ranking[:RANKED_DOCS], p.source_ids) for p in answerable),
        "ndcg@10": metrics.mean(metrics.ndcg_at_k(p.ranking, p.source_ids, 10) for p in answerable),
        "context_recall": metrics.mean(
            metrics.recall_at_k(p.context, p.source_ids, len(p.context) or 1) for p in answerable
        ),
        "facts_in_context": metrics.mean(float(all(p.context_facts)) for p in answerable if p.context_facts),
    }


def _answers(pairs: list[PairResult]) -> dict[str, float | int | None]:
    answerable = [p for p in pairs if p.answerable]
    unanswerable = [p for p in pairs if not p.answerable]
    answered = [p for p in answerable if not p.refused]
    refused = [p for p in answerable if p.refused]
    faith = metrics.faithfulness(p.verdicts or [] for p in pairs if not p.refused)
    rated = [p for p in answered if p.verdicts]
    agree = metrics.agreement([all(p.verdicts or []) for p in rated], [p.facts_ok for p in rated])
    return {
        "key_fact_accuracy": metrics.mean(float(p.facts_ok) for p in answerable),
        "key_fact_recall": metrics.mean(sum(p.facts_found) / len(p.facts_found) for p in answerable if p.facts_found),
        "citation_precision": metrics.mean(metrics.citation_precision(p.cited, p.source_ids) for p in answered),
        "citation_recall": metrics.mean(metrics.citation_recall(p.cited, p.source_ids) for p in answered),
        "sentence_citation_precision": metrics.mean(
            metrics.citation_precision(docs, p.source_ids) for p in answered for docs in p.sentence_citations
        ),
        "shown": sum(not p.refused for p in pairs),
        "withheld": sum(refusal_cause(p.refusal_reason) == "unsupported" for p in pairs),
        "faithfulness": faith.sentence_rate,
        "faithful_answers": faith.answer_rate,
        "judged_sentences": faith.sentences,
        "self_check_supported": metrics.rate(s for p in answered for s in p.self_supported),
        "judge_agreement": agree.observed,
        "judge_kappa": agree.kappa,
        "judge_agreement_n": agree.n,
        "refused_unanswerable": sum(p.refused for p in unanswerable),
        "refused_answerable": sum(p.refused for p in answerable),
        **{
            f"refused_answerable_{cause}": sum(refusal_cause(p.refusal_reason) == cause for p in refused)
            for cause in [*REFUSAL_CAUSES, "other"]
        },
        "withheld_correct": sum(
            refusal_cause(p.refusal_reason) == "unsupported" and all(facts_found(p.key_facts, " ".join(p.sentences)))
            for p in refused
        ),
    }


def summarise(pairs: list[PairResult], retrieval_only: bool) -> dict[str, float | int | None]:
    """Every headline metric of one configuration (refusals come from the gate alone in retrieval-only runs)."""
    answerable = [p for p in pairs if p.answerable]
    unanswerable = [p for p in pairs if not p.answerable]
    out: dict[str, float | int | None] = {
        "n": len(pairs),
        "answerable": len(answerable),
        "unanswerable": len(unanswerable),
        **_ranking(pairs),
        "refusal_rate": metrics.rate(p.refused for p in unanswerable),
        "false_refusal_rate": metrics.rate(p.refused for p in answerable),
    }
    if not retrieval_only:
        out.update(_answers(pairs))
    for stage in STAGES:
        values = [p.timings[stage] for p in pairs if stage in p.timings]
        out[f"p50_{stage}"] = metrics.percentile(values, 0.5)
    return out


def by_kind(pairs: list[PairResult]) -> dict[str, dict[str, float | int | None]]:
    """Per question kind: count and share correct (key facts, or a refusal for unanswerables)."""
    groups: dict[str, list[PairResult]] = defaultdict(list)
    for p in pairs:
        groups[p.kind].append(p)
    return {kind: kind_metrics(v) for kind, v in groups.items()}


def kind_metrics(pairs: list[PairResult]) -> dict[str, float | int | None]:
    """One kind's count, share correct, key facts, sentence citation precision, citation recall, refusals and how
    many answers were shown or withheld."""
    answered = [p for p in pairs if p.answerable and not p.refused]
    return {
        "n": len(pairs),
        "correct": metrics.rate(p.correct for p in pairs),
        "key_facts": metrics.mean(float(p.facts_ok) for p in pairs if p.answerable),
        "cite_p": metrics.mean(
            metrics.citation_precision(docs, p.source_ids) for p in answered for docs in p.sentence_citations
        ),
        "cite_r": metrics.mean(metrics.citation_recall(p.cited, p.source_ids) for p in answered),
        "refused": metrics.rate(p.refused for p in pairs),
        "shown": sum(not p.refused for p in pairs),
        "withheld": sum(refusal_cause(p.refusal_reason) == "unsupported" for p in pairs),
    }
