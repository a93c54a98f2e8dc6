"""Refusal threshold calibration for the report: best-passage similarities of answerable against unanswerable
questions, the best cut and the share each cut refuses."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict

from eval.metrics import best_threshold, summary, threshold_within
from eval.results import ConfigResult
from eval.tables import default_encoder_only, markdown_table, number_cell

REFERENCE_K = 5
REFERENCE_CHUNK = 256
MAX_FALSE_REFUSAL = 0.05


def calibration_groups(results: list[ConfigResult]) -> dict[tuple, list[ConfigResult]]:
    """Retrieval-only results at k=5 (else the smallest k) per (retrieval, chunk), for each set and pooled; the
    default encoder only."""
    chosen: dict[tuple, ConfigResult] = {}
    for r in default_encoder_only(results):
        c = r.config
        key = (c.set, c.retrieval, c.chunk_tokens)
        old = chosen.get(key)
        if old is None or (c.k == REFERENCE_K) or (old.config.k != REFERENCE_K and c.k < old.config.k):
            chosen[key] = r
    groups: dict[tuple, list[ConfigResult]] = defaultdict(list)
    for (set_, retrieval, chunk), r in sorted(chosen.items()):
        groups[(set_, retrieval, chunk)].append(r)
        groups[("pooled", retrieval, chunk)].append(r)
    if len({k[0] for k in chosen}) < 2:
        groups = {k: v for k, v in groups.items() if k[0] != "pooled"}
    return groups


def similarities(items: list[ConfigResult]) -> tuple[list[float], list[float]]:
    pairs = [p for r in items for p in r.pairs if p.best_similarity is not None]
    return [p.best_similarity for p in pairs if p.answerable], [p.best_similarity for p in pairs if not p.answerable]


def _threshold_cell(t) -> str:
    if t is None:
        return "–"
    return f"{t.threshold:.3f} ({t.refused_unanswerable:.2f} / {t.refused_answerable:.2f})"


def calibration(results: list[ConfigResult]) -> tuple[list[str], list[dict]]:
    header = [
        "set",
        "retrieval",
        "chunk",
        "k",
        "answerable: min / p25 / median",
        "unanswerable: median / p75 / max",
        "best balanced cut (refuses U / A)",
        f"cut refusing ≤{MAX_FALSE_REFUSAL:.0%} of answerable (U / A)",
    ]
    rows, records = [], []
    groups = calibration_groups(results)
    for set_, retrieval, chunk in sorted(groups, key=lambda g: (g[1], g[2], g[0] == "pooled", g[0])):
        items = groups[(set_, retrieval, chunk)]
        yes, no = similarities(items)
        best, safe = best_threshold(yes, no), threshold_within(yes, no, MAX_FALSE_REFUSAL)
        a, u = summary(yes), summary(no)
        k = items[0].config.k
        records.append(
            {
                "set": set_,
                "retrieval": retrieval,
                "chunk_tokens": chunk,
                "k": k,
                "answerable": a,
                "unanswerable": u,
                "best": None if best is None else asdict(best),
                "within_false_refusal": None if safe is None else asdict(safe),
            }
        )
        rows.append(
            [
                set_,
                retrieval,
                str(chunk),
                str(k),
                f"{number_cell(a['min'])} / {number_cell(a['p25'])} / {number_cell(a['median'])}",
                f"{number_cell(u['median'])} / {number_cell(u['p75'])} / {number_cell(u['max'])}",
                _threshold_cell(best),
                _threshold_cell(safe),
            ]
        )
    return markdown_table(header, rows), records


CURVE_CUTS = (0.25, 0.30, 0.35, 0.40, 0.45, 0.50, 0.55, 0.60)


def _below(values: list[float], cut: float) -> float:
    return sum(v < cut for v in values) / len(values)


def threshold_curve(groups: dict[tuple, list[ConfigResult]]) -> list[str]:
    """Per retrieval mode at the reference chunk size: the share refused at each cut, unanswerable / answerable."""
    rows = []
    for key in sorted(g for g in groups if g[2] == REFERENCE_CHUNK):
        yes, no = similarities(groups[key])
        if yes and no:
            cells = [f"{_below(no, t):.2f} / {_below(yes, t):.2f}" for t in CURVE_CUTS]
            rows.append([key[0], key[1], *cells])
    return markdown_table(["set", "retrieval", *(f"< {t:.2f}" for t in CURVE_CUTS)], rows) if rows else []
