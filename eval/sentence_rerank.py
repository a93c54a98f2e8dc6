"""Try a second stage that reorders the first retrieved answers by their sentence most like the question: each
of the first ``depth`` results scores its fused score ÷ the best one + ``weight`` x its best sentence cosine.
Prints hit@5 and MRR (results, as ``parlqa eval`` counts them) for each depth and weight, fit and held-out
halves apart; the choice is made on the fit half. Nothing is written.

    python -m eval.sentence_rerank --set commons --set eval/sets/round4-commons.jsonl [--data-dir .parlqa/eval]
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from eval.corpora import DEFAULT_EVAL_DIR
from eval.dataset import load_pairs, set_name, split_halves
from eval.metrics import hit_at_k, reciprocal_rank
from eval.results import RANK_DEPTH, RANKED_DOCS

INDEX_OF_SET = {"default": "default-c256", "commons": "commons-full-c256"}
DEPTHS = (5, 10, 20)
WEIGHTS = (0.25, 0.5, 1.0, 2.0)


@dataclass
class Ranked:
    """One question's first results: their documents, fused scores and best sentence cosines."""

    half: str
    sources: list[str]
    results: list[list[str]]
    fused: np.ndarray
    best_sentence: np.ndarray


def _ranked(set_names: list[str], eval_dir: Path) -> tuple[list[Ranked], float]:
    """Every answerable question's first results, and the seconds spent embedding their sentences."""
    from qa.assistant import Assistant
    from qa.search import widen_hits

    out: list[Ranked] = []
    embedding = 0.0
    for name in set_names:
        pairs = load_pairs(name)
        halves = split_halves(pairs)
        bot = Assistant(data_dir=eval_dir / INDEX_OF_SET.get(set_name(name), f"{pairs[0].corpus}-c256"))
        for pair in pairs:
            if not pair.answerable:
                continue
            ranked = bot.retrieve(pair.question, k=RANK_DEPTH)
            hits = widen_hits(bot.documents.table(), ranked, bot.settings.whole_answer_chars)
            understood = bot.retriever.understand(pair.question)
            query = understood.dense_query if understood else pair.question
            vector = np.asarray(bot.embeddings.embed_query(query), dtype=np.float32)
            started = time.perf_counter()
            sentences = bot.sentence_vectors.sentences_of(hits)
            embedding += time.perf_counter() - started
            best = [max((float(s.vector @ vector) for s in found), default=0.0) for found in sentences]
            out.append(
                Ranked(
                    halves[pair.id],
                    pair.source_ids,
                    [[h.doc_id, *h.duplicates] for h in hits],
                    np.asarray([h.score for h in hits], dtype=np.float32),
                    np.asarray(best, dtype=np.float32),
                )
            )
    return out, embedding


def _reordered(row: Ranked, depth: int, weight: float) -> list[list[str]]:
    head = min(depth, len(row.results))
    if not head:
        return []
    fused = row.fused[:head] / max(float(row.fused[:head].max()), 1e-9)
    order = np.argsort(-(fused + weight * row.best_sentence[:head]), kind="stable")
    return [row.results[i] for i in order] + row.results[head:]


def _figures(rows: list[Ranked], depth: int | None, weight: float) -> tuple[float, float]:
    hits, ranks = [], []
    for row in rows:
        results = row.results if depth is None else _reordered(row, depth, weight)
        hits.append(hit_at_k(results, row.sources, 5))
        ranks.append(reciprocal_rank(results[:RANKED_DOCS], row.sources))
    return float(np.mean(hits)), float(np.mean(ranks))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m eval.sentence_rerank", description=__doc__.splitlines()[0])
    parser.add_argument("--set", action="append", required=True, help="A built-in set name or a .jsonl path.")
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_EVAL_DIR, help="Where evaluation indexes live.")
    args = parser.parse_args(argv)
    rows, embedding = _ranked(args.set, args.data_dir)
    print(f"{len(rows)} questions; sentence embedding {embedding / max(len(rows), 1):.2f} s a question (all results)")
    print("| depth | weight | fit hit@5 / MRR | held-out hit@5 / MRR |")
    print("|---|---|---|---|")
    halves = {h: [r for r in rows if r.half == h] for h in ("fit", "held-out")}
    plain = [_figures(halves[h], None, 0.0) for h in ("fit", "held-out")]
    print(f"| none | – | {plain[0][0]:.3f} / {plain[0][1]:.3f} | {plain[1][0]:.3f} / {plain[1][1]:.3f} |")
    for depth in DEPTHS:
        for weight in WEIGHTS:
            fit, held = (_figures(halves[h], depth, weight) for h in ("fit", "held-out"))
            print(f"| {depth} | {weight} | {fit[0]:.3f} / {fit[1]:.3f} | {held[0]:.3f} / {held[1]:.3f} |")


if __name__ == "__main__":
    main()
