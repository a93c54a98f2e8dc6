"""Run files: ``<out>/runs/<name>.json`` written once per run; read back, every configuration rescored with the
current metrics, the latest run of each configuration kept."""

from __future__ import annotations

import hashlib
import json
import os
from datetime import UTC, datetime
from pathlib import Path

from eval.metrics import mean
from eval.options import EvalOptions
from eval.results import ConfigResult, answer_facts, by_kind, summarise
from eval.tables import backend_label
from parlqa.files import atomic_write_text


def load_runs(out: Path) -> tuple[list[ConfigResult], list[dict]]:
    """Every configuration from ``<out>/runs/*.json``, rescored; a configuration run twice keeps its latest result."""
    runs = []
    for path in sorted((out / "runs").glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        data["file"] = path.name
        runs.append(data)
    runs.sort(key=lambda r: r.get("finished", ""))
    latest: dict[tuple, ConfigResult] = {}
    for data in runs:
        for item in data["results"]:
            result = ConfigResult.model_validate(item)
            # answers are rescored from their stored text, so every run is scored by the same code
            if not result.retrieval_only:
                for pair in result.pairs:
                    pair.facts_found = answer_facts(pair)
            result.metrics = summarise(result.pairs, result.retrieval_only)
            result.by_kind = by_kind(result.pairs)
            latest[(result.retrieval_only, *result.config.key)] = result
    return list(latest.values()), runs


def fill_facts_in_context(answers: list[ConfigResult], sweep: list[ConfigResult]) -> None:
    """An answer run without the facts-in-sources diagnostic takes it from the retrieval-only run of the same
    set, retrieval, k and chunk size, over the same questions (retrieval does not depend on the model)."""
    by_key = {(r.config.set, r.config.retrieval, r.config.k, r.config.chunk_tokens, backend_label(r)): r for r in sweep}
    for result in answers:
        c = result.config
        twin = by_key.get((c.set, c.retrieval, c.k, c.chunk_tokens, backend_label(result)))
        if result.metrics.get("facts_in_context") is not None or twin is None:
            continue
        wanted = {p.id for p in result.pairs if p.answerable}
        found = [all(p.context_facts) for p in twin.pairs if p.id in wanted and p.context_facts]
        if len(found) == len(wanted):
            result.metrics["facts_in_context"] = mean(float(f) for f in found)


def run_name(options: EvalOptions) -> str:
    """A stable file name for this grid, so rerunning the same command replaces its own results."""
    if options.name:
        return options.name
    grid = json.dumps(
        [
            options.sets,
            options.models,
            options.retrievals,
            options.ks,
            options.chunk_tokens,
            options.limit,
            options.judge,
            options.retrieval_only,
            options.refusal_threshold,
        ]
    )
    prefix = "retrieval" if options.retrieval_only else "answers"
    return f"{prefix}-{hashlib.sha1(grid.encode()).hexdigest()[:10]}"


def write_run(options: EvalOptions, results: list[ConfigResult], started: datetime) -> Path:
    """``<out>/runs/<name>.json``: the command, when and where it ran, and every configuration's results."""
    runs = options.out / "runs"
    runs.mkdir(parents=True, exist_ok=True)
    path = runs / f"{run_name(options)}.json"
    payload = {
        "command": options.command,
        "started": started.isoformat(timespec="seconds"),
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        "cpus": os.cpu_count(),
        "judge": options.judge,
        "limit": options.limit,
        "results": [r.stored() for r in results],
    }
    atomic_write_text(path, json.dumps(payload, ensure_ascii=False, separators=(",", ":")) + "\n")
    return path
