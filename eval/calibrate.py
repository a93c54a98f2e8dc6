"""Fit the refusal decision's thresholds on the fit half of the eval sets (never on the held-out half).

The refusal signals of every fit-half question are computed once, without the model; then every combination of
candidate thresholds is scored, and the one refusing the most unanswerable questions while refusing at most
``MAX_FALSE_REFUSAL`` of the answerable ones is kept (ties: fewer false refusals, then lower thresholds).
"""

from __future__ import annotations

import itertools
import json
from dataclasses import asdict, dataclass
from typing import Any

from eval.corpora import prepare_index
from eval.dataset import load_pairs, split_halves
from qa.refusal import RefusalSignals, RefusalThresholds, decide

MAX_FALSE_REFUSAL = 0.05
SIMILARITY_GRID = [round(0.20 + 0.02 * i, 2) for i in range(11)]
COVERAGE_GRID = [0.0, 0.34, 0.5, 0.67, 1.0]
COLOCATION_GRID = [round(0.05 * i, 2) for i in range(0, 17)]


@dataclass(frozen=True)
class Observed:
    set: str
    id: str
    answerable: bool
    metadata: bool
    signals: RefusalSignals


@dataclass(frozen=True)
class Fit:
    thresholds: RefusalThresholds
    refused_unanswerable: float
    refused_answerable: float
    n_answerable: int
    n_unanswerable: int


def score(observed: list[Observed], thresholds: RefusalThresholds) -> tuple[float, float]:
    """(share of unanswerable refused, share of answerable refused) under ``thresholds``."""
    answerable = [o for o in observed if o.answerable]
    unanswerable = [o for o in observed if not o.answerable]
    refused = {o.id: decide(o.signals, thresholds, o.metadata).refuse for o in observed}
    u = sum(refused[o.id] for o in unanswerable) / max(1, len(unanswerable))
    a = sum(refused[o.id] for o in answerable) / max(1, len(answerable))
    return u, a


def best_fit(observed: list[Observed], max_false: float = MAX_FALSE_REFUSAL) -> Fit:
    best: tuple | None = None
    for sim, cov, col in itertools.product(SIMILARITY_GRID, COVERAGE_GRID, COLOCATION_GRID):
        thresholds = RefusalThresholds(sim, cov, col)
        u, a = score(observed, thresholds)
        if a > max_false + 1e-9:
            continue
        key = (u, -a, -col, -sim, -cov)
        if best is None or key > best[0]:
            best = (key, thresholds, u, a)
    if best is None:
        raise ValueError("no thresholds keep false refusals within the limit")
    n_a = sum(o.answerable for o in observed)
    return Fit(best[1], best[2], best[3], n_a, len(observed) - n_a)


def observe(options, bar=None) -> list[Observed]:
    """Refusal signals for the fit half of every set in ``options``, computed without the model."""
    from qa.assistant import Assistant

    observed: list[Observed] = []
    for name in options.sets:
        pairs = load_pairs(name)
        halves = split_halves(pairs)
        fit_pairs = [p for p in pairs if halves[p.id] == "fit"]
        corpus = fit_pairs[0].corpus
        corpus = "commons-full" if corpus == "commons" and options.commons_index == "full" else corpus
        required = {s for p in pairs for s in p.source_ids}
        index = prepare_index(corpus, options.chunk_tokens[0], options.eval_dir, required)
        bot = Assistant(index.settings, auto_index=False)
        if bar is not None:
            bar.start(f"refusal signals, {name} (fit half)", len(fit_pairs))
        for pair in fit_pairs:
            state = {"question": pair.question, "history": [], "k": options.ks[0], "filters": None, "mode": None}
            prepared = bot.prepare.invoke(state)
            metadata = bool(prepared.analysis and prepared.analysis.is_metadata)
            observed.append(Observed(name, pair.id, pair.answerable, metadata, prepared.decision.signals))
            if bar is not None:
                bar.advance()
    return observed


def fit_refusal(options, progress: Any | None = None, echo=print) -> Fit:
    """Fit on the fit half, print the thresholds, and write them to ``<out>/refusal-fit.json``."""
    from eval.progress import ProgressBar

    observed = observe(options, ProgressBar(progress))
    fit = best_fit(observed)
    record = {
        "sets": options.sets,
        "half": "fit",
        "max_false_refusal": MAX_FALSE_REFUSAL,
        **asdict(fit),
        "per_set": {
            name: dict(
                zip(
                    ("refused_unanswerable", "refused_answerable"),
                    score([o for o in observed if o.set == name], fit.thresholds),
                    strict=True,
                )
            )
            for name in options.sets
        },
        "signals": [
            {"set": o.set, "id": o.id, "answerable": o.answerable, "metadata": o.metadata, **asdict(o.signals)}
            for o in observed
        ],
    }
    options.out.mkdir(parents=True, exist_ok=True)
    (options.out / "refusal-fit.json").write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    t = fit.thresholds
    echo(
        f"fitted on {fit.n_answerable} answerable and {fit.n_unanswerable} unanswerable fit-half questions: "
        f"PARLQA_REFUSAL_THRESHOLD={t.similarity} PARLQA_REFUSAL_NAME_COVERAGE={t.name_coverage} "
        f"PARLQA_REFUSAL_COLOCATION={t.colocation} (refuses {fit.refused_unanswerable:.2f} of unanswerable, "
        f"{fit.refused_answerable:.2f} of answerable)"
    )
    return fit
