"""Helpers shared by the benchmark scripts: the shared Commons file, subsets of it, peak memory."""

from __future__ import annotations

import gzip
import itertools
import json
import platform
from pathlib import Path

from parlqa.memory import peak_rss_mb, process_memory_mb

__all__ = ["eval_questions", "machine", "peak_rss_mb", "process_memory_mb", "record", "require_shared", "write_subset"]

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data" / "written_questions_commons_2023_2026.jsonl.gz"
RESULTS = REPO / "bench" / "results"


def require_shared() -> Path:
    if not SHARED.exists():
        raise SystemExit(f"the shared Commons file is not at {SHARED}")
    return SHARED


def write_subset(n: int, target: Path) -> Path:
    """The first ``n`` records of the shared file (ordered by question id) as a JSONL file."""
    with gzip.open(require_shared(), "rt", encoding="utf-8") as src, target.open("w", encoding="utf-8") as dst:
        for line in itertools.islice(src, n):
            dst.write(line)
    return target


def eval_questions(*sets: str) -> list[str]:
    """The questions of the named evaluation sets (default, commons), in order."""
    from eval.dataset import load_pairs

    return [pair.question for name in sets for pair in load_pairs(name)]


def machine() -> str:
    import os

    return f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"


def percentile(values: list[float], q: float) -> float:
    """The nearest-rank ``q`` quantile (0–1) of ``values``."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def record(name: str, payload: dict) -> None:
    """Append one result line to bench/results/<name>.jsonl."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    with (RESULTS / f"{name}.jsonl").open("a", encoding="utf-8") as handle:
        handle.write(json.dumps({"machine": machine(), **payload}) + "\n")
