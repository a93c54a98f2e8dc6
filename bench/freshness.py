"""Retrieval latency with the index freshness check, against without it, over an existing index; and the cost of
one check.

    .venv/bin/python bench/freshness.py --data-dir DIR [--questions 40] [--rounds 5]

Three intervals over one assistant, interleaved question by question: never (the version read once, as a reader
that never sees a new index), the default (``index_check_interval``, 1 s) and 0 (a check on every search).
Retrieval is hybrid, k = 8, filter ``since 2024-01-01``, as in ``query_latency.py``.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
import timeit
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import eval_questions, percentile, record  # noqa: E402

from index.freshness import GenerationWatch  # noqa: E402
from qa.assistant import Assistant  # noqa: E402
from qa.types import Filters  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--questions", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    bot = Assistant(data_dir=args.data_dir, auto_index=False)
    live = bot.retriever.live
    default = bot.settings.index_check_interval
    intervals = {"never": math.inf, f"every {default:g} s": default, "every search": 0.0}
    watches = {name: GenerationWatch(bot.settings, interval) for name, interval in intervals.items()}
    asked = eval_questions("commons", "default")[: args.questions]
    filters = Filters(since="2024-01-01")
    bot.retrieve(asked[0], k=8, filters=filters)  # warm caches
    times: dict[str, list[float]] = {name: [] for name in intervals}
    for round_ in range(args.rounds):
        for i, q in enumerate(asked):
            names = list(intervals)
            shift = (i + round_) % len(names)
            for name in names[shift:] + names[:shift]:  # each interval first as often as the others
                live.watch = watches[name]  # each interval keeps its own clock
                started = time.perf_counter()
                bot.retrieve(q, k=8, filters=filters)
                times[name].append(time.perf_counter() - started)

    checks = {name: watch.reads for name, watch in watches.items()}
    n = 20_000
    check_us = timeit.timeit(GenerationWatch(bot.settings).read, number=n) / n * 1e6
    live.watch = GenerationWatch(bot.settings)
    live.lexical()
    cached_us = timeit.timeit(live.lexical, number=n) / n * 1e6

    def ms(values: list[float], q: float) -> float:
        return round(percentile(values, q) * 1000, 2)

    payload = {
        "data_dir": str(args.data_dir),
        "chunks": len(live.lexical().columns),
        "searches_per_interval": len(asked) * args.rounds,
        "retrieval_k8_filter_ms": {
            name: {"p50": ms(values, 0.5), "p95": ms(values, 0.95), "checks": checks[name]}
            for name, values in times.items()
        },
        "check_us": round(check_us, 1),  # one read of the version: SQLite query, stat, 64 bytes of BM25 columns
        "lexical_between_checks_us": round(cached_us, 2),
        "store_reopened": live.reopened,
    }
    record("freshness", payload)
    for key, value in payload.items():
        print(f"{key:>26}: {value}")


if __name__ == "__main__":
    main()
