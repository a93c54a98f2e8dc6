"""Latency of document search with facet counts (and of timelines without a summary) over an existing index.

    .venv/bin/python bench/search_latency.py --data-dir .parlqa/eval/commons-full-c256 [--rounds 5]

Each round runs every query of ``QUERIES`` (words, phrases, a question number, filtered and empty listings, each
sort) and every subject of ``SUBJECTS`` as a timeline. The first call builds the document table of the index
version (once per version, reported apart); the figures are of the calls after it, as a running chat serves them.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import peak_rss_mb, percentile, record  # noqa: E402

from qa.assistant import Assistant  # noqa: E402
from qa.types import Filters  # noqa: E402

QUERIES: list[tuple[str, Filters | None, str]] = [
    ("kinship care", Filters(since="2024-07-05"), "newest"),
    ("kinship care", None, "relevance"),
    ('"Adoption and Special Guardianship Support Fund"', None, "relevance"),
    ("safeguarding", None, "relevance"),
    ("school", None, "newest"),  # a common word: a large result set
    ("children social care", Filters(department="Education"), "relevance"),
    ("", Filters(department="Home Office", since="2026-03-01", until="2026-03-31"), "newest"),
    ("", None, "newest"),  # everything
    ("asylum accommodation hotels", None, "oldest"),
    ('"special educational needs" funding', Filters(since="2025-01-01"), "relevance"),
    ("", Filters(answerer="Phillipson"), "newest"),
    ("", Filters(asker="Maskell"), "newest"),
]
SUBJECTS = ["Adoption and Special Guardianship Support Fund", "kinship care", "free school meals"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    bot = Assistant(data_dir=args.data_dir, auto_index=False)
    started = time.perf_counter()
    documents = len(bot.documents.table())
    build = time.perf_counter() - started
    uin = next((r.uin for r in bot.search("", page_size=50).results if r.uin), None)
    queries = [*QUERIES, *([(uin, None, "relevance")] if uin else [])]
    searches, timelines, totals = [], [], {}
    for _ in range(args.rounds):
        for query, filters, sort in queries:
            started = time.perf_counter()
            found = bot.search(query, filters, sort=sort, page_size=20)
            searches.append(time.perf_counter() - started)
            named = filters.model_dump(mode="json", exclude_none=True) if filters else ""
            totals[f"{query} {named}".strip()] = found.total
        for subject in SUBJECTS:
            started = time.perf_counter()
            bot.timeline(subject)
            timelines.append(time.perf_counter() - started)
    result = {
        "documents": documents,
        "table_build_s": round(build, 3),
        "searches": len(searches),
        "search_p50_ms": round(1000 * statistics.median(searches), 1),
        "search_p95_ms": round(1000 * percentile(searches, 0.95), 1),
        "search_max_ms": round(1000 * max(searches), 1),
        "timeline_p50_ms": round(1000 * statistics.median(timelines), 1),
        "timeline_p95_ms": round(1000 * percentile(timelines, 0.95), 1),
        "peak_rss_mb": round(peak_rss_mb()),
        "totals": totals,
    }
    for key, value in result.items():
        print(f"{key}: {value}")
    record("search_latency", {"data_dir": str(args.data_dir), **result})


if __name__ == "__main__":
    main()
