"""The evaluation report: ``results.json``, ``report.md`` and PNG charts, rebuilt from every run file in
``<out>/runs``; a hand-written ``<out>/notes.md``, when present, is included as the chosen defaults."""

from __future__ import annotations

import json
from pathlib import Path

from eval.charts import chart_accuracy, chart_latency, chart_similarity
from eval.compare import comparison_section
from eval.corpora import SUBSET_SIZE, SUBSET_TOPIC
from eval.results import ConfigResult
from eval.runs import fill_facts_in_context, load_runs
from eval.tables import failures, headline, refusal_causes, report_order, retrieval_table
from eval.thresholds import MAX_FALSE_REFUSAL, REFERENCE_CHUNK, calibration, calibration_groups, threshold_curve


def _corpora_note(results: list[ConfigResult]) -> list[str]:
    docs: dict[str, int] = {}
    for r in results:  # the baseline's own index does not count the corpus's documents
        docs[r.config.corpus] = max(docs.get(r.config.corpus, 0), r.documents)
    lines = []
    if "default" in docs:
        lines.append(f"- **default**: the {docs['default']} documents shipped in `corpus/documents/`.")
    if "commons-full" in docs:
        lines.append(
            f"- **commons-full**: the whole shared file `written_questions_commons_2023_2026.jsonl.gz` "
            f"({docs['commons-full']:,} documents indexed)."
        )
    if "commons" in docs:
        lines.append(
            f"- **commons**: a fixed subset of the shared file `written_questions_commons_2023_2026.jsonl.gz` "
            f"({docs['commons']:,} documents indexed): every source of a commons pair, every `{SUBSET_TOPIC}` record, "
            f"then records with answer text in sha1(id) order up to {SUBSET_SIZE:,}. **Commons numbers are over this "
            "subset, not over all 49,201 records.**"
        )
    return lines


DEFINITIONS = """- Retrieval metrics use document ids, deduplicated in rank order, from the top 20 passages; they cover
  answerable questions only. *context recall@k*: share of source documents among the k passages the model sees.
  *facts in sources*: share of answerable questions whose every key fact is in the text the model is shown (the
  passages' labels and the sentences kept from them), the ceiling for key-fact accuracy. *ANN top-1 exact*: share
  of questions whose nearest chunk from the vector store's approximate search is the exact nearest one (a health
  check of the index).
- *key facts*: share of answerable questions whose answer states every key fact (case-insensitive; dates, '£5m',
  'per cent' and thousands separators normalised). *cite P/R*: cited documents that are sources / sources cited,
  over answered answerable questions.
- *refusal*: share of unanswerable questions refused; *false refusal*: share of answerable questions refused.
  In retrieval-only runs both come from the refusal gate alone.
- *faithfulness*: share of answer sentences the judge model finds supported by the passages they cite.
  *judge agree (κ)*: over answered answerable questions, how often "every sentence supported" equals "every key
  fact present", with Cohen's kappa.
- Latency: medians per question on the machine that ran it; *first token* counts from the question, over those
  that reached the model; *total* covers every question, refusals included. *peak RSS*: the evaluation process's
  resident memory while answering (the judge excluded); it includes the open index and whatever earlier
  configurations of the same run left allocated, so compare it within one run."""


def write_report(out: Path) -> Path:
    """Rebuild ``results.json``, the charts and ``report.md`` under ``out``; returns the report's path."""
    results, runs = load_runs(out)
    answers = [r for r in results if not r.retrieval_only]
    sweep = [r for r in results if r.retrieval_only]
    fill_facts_in_context(answers, sweep)
    cal_lines, cal_records = calibration(sweep) if sweep else ([], [])
    (out / "results.json").write_text(
        json.dumps(
            {
                "configurations": [
                    r.model_dump(mode="json", exclude={"pairs"} if r.retrieval_only else None)
                    for r in sorted(results, key=report_order)
                ],
                "calibration": cal_records,
                "runs": [{k: v for k, v in run.items() if k != "results"} for run in runs],
            },
            indent=1,
            ensure_ascii=False,
        )
        + "\n",
        encoding="utf-8",
    )
    lines = ["# parlqa evaluation", "", "Corpora:", "", *_corpora_note(results), ""]
    lines += comparison_section(answers)
    notes = out / "notes.md"
    if notes.is_file():
        lines += ["## Chosen defaults", "", notes.read_text(encoding="utf-8").strip(), ""]
    if answers:
        chart_accuracy(answers, out / "accuracy_by_kind.png")
        chart_latency(answers, out / "latency.png")
        lines += ["## Headline: answer runs", "", *headline(answers), "", DEFINITIONS, ""]
        judges = sorted({r.judge for r in answers if r.judge})
        lines += [f"Judge model: {', '.join(judges) if judges else 'none'}.", ""]
        lines += [
            "Refusals of answerable questions by cause: *gate* (similarity or name check, before the model), "
            "*model* (it replied that the sources hold no answer), *unsupported* (no sentence of its answer "
            "matched a source, so the answer was withheld); *withheld yet correct*: withheld answers whose "
            "sentences stated every key fact.",
            "",
            *refusal_causes(answers),
            "",
        ]
        lines += ["![key-fact accuracy by kind](accuracy_by_kind.png)", "", "![latency](latency.png)", ""]
    if sweep:
        lines += ["## Retrieval sweep (no model)", "", *retrieval_table(sweep), ""]
        lines += [
            "## Refusal threshold calibration",
            "",
            "Best dense cosine similarity among the k passages (what the refusal gate compares with "
            "`refusal_threshold`), answerable against unanswerable questions; the best threshold maximises "
            "balanced accuracy of refusing below it; the second cut is the highest that refuses at most "
            f"{MAX_FALSE_REFUSAL:.0%} of answerable questions. The gate's name check is not part of this.",
            "",
            *cal_lines,
            "",
        ]
        groups = calibration_groups(sweep)
        key = min(groups, key=lambda g: (g[0] != "pooled", g[1] != "hybrid", g[2] != REFERENCE_CHUNK, g))
        record = next(c for c in cal_records if (c["set"], c["retrieval"], c["chunk_tokens"]) == key)
        cuts = {name: record[name]["threshold"] for name in ("best", "within_false_refusal") if record[name]}
        chart_similarity(groups, key, cuts, out / "similarity.png")
        curve = threshold_curve(groups)
        if curve:
            lines += [
                f"Share refused by the similarity cut alone at chunk size {REFERENCE_CHUNK} (unanswerable / "
                "answerable):",
                "",
                *curve,
                "",
            ]
        lines += ["![similarity](similarity.png)", ""]
    if answers:
        lines += [
            "## Failures",
            "",
            "Answerable questions missing a key fact, and unanswerable ones not refused.",
            *failures(answers),
            "",
        ]
    lines += ["## Reproduce", "", "```sh"]
    lines += [run["command"] for run in runs if run.get("command")] + ["```", ""]
    path = out / "report.md"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path
