"""Fit the learned reranker's weights on the fit half of the eval sets (never the held-out half) and write them to
``qa/data/rerank_weights.json``; the held-out figures come from ``parlqa eval --retrieval-only`` afterwards.

    python -m eval.fit_rerank --set commons --set default [--data-dir .parlqa/eval] [--dry-run]

Every answerable fit-half question is searched over its set's evaluation index (the whole Commons file for
``commons``); each of the first candidates is one row of features, labelled by whether it is a source of the
question. A balanced, L2-regularised logistic regression over the rows gives the weights.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from eval.corpora import DEFAULT_EVAL_DIR
from eval.dataset import load_pairs, set_name, split_halves
from eval.metrics import hit_at_k, reciprocal_rank
from qa.rerank import FEATURES, RERANK_WINDOW, WEIGHTS_FILE, LearnedReranker, QuestionCues, features, fit_logistic

INDEX_OF_SET = {"default": "default-c256", "commons": "commons-full-c256"}


def _rows(set_names: list[str], eval_dir: Path) -> tuple[list[np.ndarray], list[np.ndarray], list[dict]]:
    """Per fit-half question: the candidates' feature rows, their labels, and what scoring them needs."""
    from qa.assistant import Assistant

    rows, labels, questions = [], [], []
    for name in set_names:
        pairs = load_pairs(name)
        halves = split_halves(pairs)
        data_dir = eval_dir / INDEX_OF_SET.get(set_name(name), f"{pairs[0].corpus}-c256")
        bot = Assistant(data_dir=data_dir, chunk_tokens=256, rerank=False)
        retriever = bot.retriever
        for pair in pairs:
            if not pair.answerable or halves[pair.id] != "fit":
                continue
            understood = retriever.understand(pair.question)
            ranked = retriever.candidates(pair.question, bot.settings.k, None, "hybrid", None, understood)
            head = ranked[:RERANK_WINDOW]
            if not head:
                continue
            corrected = understood.corrected_query if understood else pair.question
            cues = QuestionCues.of(corrected, understood)
            rows.append(features(head, cues))
            labels.append(np.asarray([float(h.doc_id in pair.source_ids) for h in head]))
            questions.append({"set": set_name(name), "ids": [h.doc_id for h in head], "sources": pair.source_ids})
    return rows, labels, questions


def _ranking(order: list[int], ids: list[str]) -> list[str]:
    return [ids[i] for i in order]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m eval.fit_rerank", description=__doc__.splitlines()[0])
    parser.add_argument("--set", action="append", dest="sets", help="default, commons or a .jsonl path")
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_EVAL_DIR)
    parser.add_argument("--l2", type=float, default=1.0)
    parser.add_argument("--dry-run", action="store_true", help="Print the fit-half figures; write nothing.")
    args = parser.parse_args(argv)
    rows, labels, questions = _rows(args.sets or ["commons", "default"], args.data_dir)
    w, means, scales, bias = fit_logistic(np.vstack(rows), np.concatenate(labels), l2=args.l2)
    model = LearnedReranker(tuple(w), tuple(means), tuple(scales), bias)
    before = {"hit@5": [], "mrr": []}
    after = {"hit@5": [], "mrr": []}
    for x, q in zip(rows, questions, strict=True):
        plain = q["ids"]
        scores = model.scores(x)
        reranked = _ranking(sorted(range(len(plain)), key=lambda i: (-scores[i], i)), plain)
        for ranking, into in ((plain, before), (reranked, after)):
            into["hit@5"].append(hit_at_k(ranking, q["sources"], 5))
            into["mrr"].append(reciprocal_rank(ranking, q["sources"]))
    print(f"fit half: {len(rows)} questions, {sum(len(r) for r in rows)} candidates")
    for label, figures in (("fused order", before), ("learned order", after)):
        print(f"  {label}: hit@5 {np.mean(figures['hit@5']):.3f}  MRR {np.mean(figures['mrr']):.3f}")
    print("  weights: " + ", ".join(f"{f} {v:+.2f}" for f, v in zip(FEATURES, w, strict=True)))
    if args.dry_run:
        return
    WEIGHTS_FILE.parent.mkdir(parents=True, exist_ok=True)
    WEIGHTS_FILE.write_text(
        json.dumps(
            {
                "features": list(FEATURES),
                "weights": [round(v, 6) for v in w],
                "means": [round(v, 6) for v in means],
                "scales": [round(v, 6) for v in scales],
                "bias": round(bias, 6),
                "window": RERANK_WINDOW,
                "fitted_on": "fit half of " + ", ".join(args.sets or ["commons", "default"]),
                "l2": args.l2,
            },
            indent=1,
        )
        + "\n",
        encoding="utf-8",
    )
    print(f"wrote {WEIGHTS_FILE}")


if __name__ == "__main__":
    main()
