"""Latency of hybrid retrieval (k = 8, with a filter; and k = 5 with question understanding, without a filter),
of the cited extract, and of the model's first token, over an existing index; peak memory of the process with
that index and the model loaded.

    .venv/bin/python bench/query_latency.py --data-dir DIR [--model base] [--questions 40] [--answers 10]
    .venv/bin/python bench/query_latency.py --data-dir DIR --retrieval-only    # no model: retrieval figures only

Settings not given come from the defaults (model, k, encoder), so the figures are what a user gets.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import eval_questions, peak_rss_mb, percentile, record  # noqa: E402

from qa.assistant import Assistant  # noqa: E402
from qa.types import Filters  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--model", default=None, help="preset or GGUF path; the settings' default when unset")
    parser.add_argument("--questions", type=int, default=40)
    parser.add_argument("--answers", type=int, default=10)
    parser.add_argument("--retrieval-only", action="store_true", help="load no model; retrieval figures only")
    args = parser.parse_args()

    overrides = {"model": args.model} if args.model else {}
    bot = Assistant(data_dir=args.data_dir, auto_index=False, **overrides)
    if not args.retrieval_only:
        bot.warm_up()  # as the chat does before it serves
    asked = eval_questions("commons", "default")[: args.questions]
    filters = Filters(since="2024-01-01")
    bot.retrieve(asked[0], k=8, filters=filters)  # warm caches (and the index's words, read once)
    bot.retriever.lexicon().words()
    retrieval, understood, understanding = [], [], []
    for q in asked:
        started = time.perf_counter()
        bot.retrieve(q, k=8, filters=filters)
        retrieval.append(time.perf_counter() - started)
        started = time.perf_counter()
        bot.retriever.understand(q)
        understanding.append(time.perf_counter() - started)
        started = time.perf_counter()
        bot.retrieve(q, k=5)
        understood.append(time.perf_counter() - started)

    extract, first_token, total = [], [], []
    for q in asked[: 0 if args.retrieval_only else args.answers]:
        started = time.perf_counter()
        for event in bot.stream(q):
            if event.type == "extract":
                extract.append(time.perf_counter() - started)
            elif event.type == "token" and len(first_token) < len(extract):
                first_token.append(time.perf_counter() - started)
            elif event.type == "answer":
                total.append(time.perf_counter() - started)

    def ms(values: list[float], q: float) -> float | None:
        return round(percentile(values, q) * 1000) if values else None

    payload = {
        "data_dir": str(args.data_dir),
        "chunks": len(bot.retriever.lexical().columns),
        "model": None if args.retrieval_only else bot.settings.model,
        "k": bot.settings.k,
        "retrieval_k8_filter_p50_ms": ms(retrieval, 0.5),
        "retrieval_k8_filter_p95_ms": ms(retrieval, 0.95),
        "retrieval_k5_understood_p50_ms": ms(understood, 0.5),
        "retrieval_k5_understood_p95_ms": ms(understood, 0.95),
        "understanding_p50_ms": ms(understanding, 0.5),
        "understanding_p95_ms": ms(understanding, 0.95),
        "extract_p50_ms": ms(extract, 0.5),
        "extract_max_ms": ms(extract, 1.0),
        "first_token_p50_ms": ms(first_token, 0.5),
        "total_p50_ms": ms(total, 0.5),
        "answered": len(first_token),
        "refused": len(total) - len(first_token),
        "peak_rss_mb": round(peak_rss_mb()),
        "mean_total_s": round(statistics.mean(total), 2) if total else None,
    }
    record("query_latency", payload)
    for key, value in payload.items():
        print(f"{key:>28}: {value}")


if __name__ == "__main__":
    main()
