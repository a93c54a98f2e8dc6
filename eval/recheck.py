"""Re-check the model drafts a run file stored with today's retrieval, refusal gate, verification and quoting, with
no model call: what a change to the checking does to key facts and refusals, in seconds rather than a model run.

    python -m eval.recheck docs/eval/runs/answers-default-heldout.json [--data-dir .parlqa/eval] [--show]
        [--corpus default] [--list-half fit]

The summary is given for each half; pairs are listed only from ``--list-half`` (the fit half unless told), so
that the held-out half is scored and not read.

Drafts are replayed word for word; a run written before drafts were stored has its draft rebuilt from the shown
and dropped sentences. Retrieval runs again, so a change to retrieval changes the passages a draft is checked
against (its source numbers may then point elsewhere).
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from pathlib import Path

from eval.corpora import DEFAULT_EVAL_DIR, prepare_index
from eval.metrics import facts_found
from eval.results import PairResult
from qa.markers import strip_markers
from qa.prompts import REFUSAL_SENTINEL


@dataclass
class Recheck:
    """One pair before (as the run recorded it) and after re-checking its draft."""

    pair: PairResult
    refused: bool
    answer: str

    @property
    def facts_before(self) -> bool | None:
        return (not self.pair.refused and self.pair.facts_ok) if self.pair.answerable else None

    @property
    def facts_after(self) -> bool | None:
        if not self.pair.answerable:
            return None
        return not self.refused and all(facts_found(self.pair.key_facts, strip_markers(self.answer)))


def draft_of(pair: PairResult) -> str:
    """The stored draft, or one rebuilt from what the run shows of it."""
    if pair.draft is not None:
        return pair.draft
    if pair.refused:
        return " ".join(pair.dropped) or REFUSAL_SENTINEL
    return " ".join([pair.answer or "", *pair.dropped]).strip()


def recheck(run_file: Path, eval_dir: Path = DEFAULT_EVAL_DIR, corpora: set[str] | None = None) -> list[Recheck]:
    """Every parlqa pair of ``run_file`` (over ``corpora``, all unless given), its draft checked again over the
    run's own evaluation index."""
    from langchain_core.language_models.fake_chat_models import FakeListChatModel

    from qa.assistant import Assistant

    data = json.loads(run_file.read_text())
    out: list[Recheck] = []
    for result in data["results"]:
        config = result["config"]
        if config.get("system", "parlqa") != "parlqa" or result.get("retrieval_only"):
            continue
        if corpora is not None and config["corpus"] not in corpora:
            continue
        built = prepare_index(config["corpus"], config["chunk_tokens"], eval_dir)  # a no-op where it is built
        assistant = Assistant(built.settings, retrieval=config["retrieval"])
        for raw in result["pairs"]:
            pair = PairResult.model_validate(raw)
            name = "recorded-draft"
            assistant._models[name] = FakeListChatModel(responses=[draft_of(pair)])
            answer = assistant.ask(pair.question, k=config["k"], model=name)
            out.append(Recheck(pair, answer.refused, answer.text))
    return out


def summary(rows: list[Recheck]) -> dict[str, float | int | None]:
    """Key facts over the answerable pairs and refusal over the unanswerable ones, before and after."""
    answerable = [r for r in rows if r.pair.answerable]
    unanswerable = [r for r in rows if not r.pair.answerable]

    def share(flags: list[bool]) -> float | None:
        return round(sum(flags) / len(flags), 3) if flags else None

    return {
        "answerable": len(answerable),
        "unanswerable": len(unanswerable),
        "key_facts_before": share([bool(r.facts_before) for r in answerable]),
        "key_facts_after": share([bool(r.facts_after) for r in answerable]),
        "refused_unanswerable_before": share([r.pair.refused for r in unanswerable]),
        "refused_unanswerable_after": share([r.refused for r in unanswerable]),
        "false_refusal_before": share([r.pair.refused for r in answerable]),
        "false_refusal_after": share([r.refused for r in answerable]),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m eval.recheck", description=__doc__.splitlines()[0])
    parser.add_argument("run_file", type=Path)
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_EVAL_DIR, help="Where evaluation indexes live.")
    parser.add_argument("--show", action="store_true", help="Print every listed pair, not only those that changed.")
    parser.add_argument("--corpus", action="append", help="Only runs over this corpus (repeatable).")
    parser.add_argument("--list-half", default="fit", help="The half whose pairs are printed (fit, held-out, all).")
    args = parser.parse_args(argv)
    if not args.run_file.is_file():
        parser.exit(2, f"{args.run_file}: no such run file\n")
    rows = recheck(args.run_file, args.data_dir, set(args.corpus) if args.corpus else None)
    for row in rows:
        if args.list_half != "all" and row.pair.half != args.list_half:
            continue
        before = row.facts_before if row.pair.answerable else row.pair.refused
        after = row.facts_after if row.pair.answerable else row.refused
        if args.show or before != after:
            print(f"{row.pair.id} {row.pair.kind}: {before} → {after} | {row.pair.question}")
            print(f"    {row.answer[:300]}")
    halves = sorted({r.pair.half or "all" for r in rows})
    print(json.dumps({h: summary([r for r in rows if (r.pair.half or "all") == h]) for h in halves}, indent=1))


if __name__ == "__main__":
    main()
