"""The refusal gate: decide, before any model call, that the corpus does not hold an answer."""

from __future__ import annotations

import re
from dataclasses import dataclass

from qa.types import Hit

_WORD = re.compile(r"[A-Za-z][A-Za-z'’\-]+")
_GENERIC = {
    "the", "a", "an", "and", "or", "of", "to", "in", "on", "for", "what", "when", "who", "which", "how", "why",
    "did", "does", "do", "is", "are", "was", "were", "has", "have", "government", "uk", "mp", "minister",
    "department", "secretary", "state", "parliament", "house", "commons", "lords", "i", "tell", "me", "please",
}  # fmt: skip


def _stem(word: str) -> str:
    word = word.lower().replace("’", "'")
    word = re.sub(r"'s$", "", word)
    return word[:-1] if word.endswith("s") and len(word) > 4 else word


def named_terms(question: str) -> list[str]:
    """Capitalised words that are not the first word: the names a question is about."""
    words = _WORD.findall(question)
    return [w for w in words[1:] if w[0].isupper() and w.lower() not in _GENERIC]


@dataclass(frozen=True)
class GateDecision:
    refuse: bool
    reason: str
    best_similarity: float | None
    name_coverage: float | None


def decide(question: str, hits: list[Hit], best_similarity: float | None, threshold: float) -> GateDecision:
    """Refuse when nothing was retrieved, when the best passage is less similar than ``threshold``, or when
    most of the names the question is about appear in none of the retrieved passages."""
    if not hits:
        return GateDecision(True, "no passage matched the question and filters", best_similarity, None)
    if best_similarity is not None and best_similarity < threshold:
        return GateDecision(
            True, f"best passage similarity {best_similarity:.2f} is below {threshold:.2f}", best_similarity, None
        )
    names = named_terms(question)
    coverage = None
    if len(names) >= 2:
        text = " ".join(h.text for h in hits).lower().replace("’", "'")
        found = [n for n in names if _stem(n) in text]
        coverage = len(found) / len(names)
        if coverage < 0.5:
            missing = ", ".join(n for n in names if n not in found)
            return GateDecision(True, f"the passages do not mention {missing}", best_similarity, coverage)
    return GateDecision(False, "", best_similarity, coverage)
