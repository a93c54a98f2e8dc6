"""Sentence splitting with character offsets, tuned for parliamentary prose (£ figures, abbreviations, lists)."""

from __future__ import annotations

import re

_ABBREVIATIONS = {
    "e.g",
    "i.e",
    "etc",
    "mr",
    "mrs",
    "ms",
    "dr",
    "no",
    "nos",
    "hon",
    "rt",
    "st",
    "vol",
    "para",
    "cf",
    "approx",
}
_BOUNDARY = re.compile(r"(?<=[.!?])[\"'”’)\]]*\s+(?=[\"'“‘(\[]?[A-Z0-9£•\-–])|\n+")


def split_sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) offsets of the sentences of ``text``, whitespace trimmed; never empty for non-blank text."""
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _BOUNDARY.finditer(text):
        end = match.start()
        candidate = text[start:end]
        words = candidate.rstrip(".!?;:\"'”’)]").rsplit(None, 1)  # none when the sentence is only punctuation
        last_word = words[-1].lower() if words else ""
        if match.group().strip("\n") and last_word in _ABBREVIATIONS:
            continue
        if len(candidate.strip()) < 3 and "\n" not in match.group():
            continue
        spans.append((start, end))
        start = match.end()
    spans.append((start, len(text)))
    out = []
    for s, e in spans:
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if e > s:
            out.append((s, e))
    return out


def sentences(text: str) -> list[str]:
    return [text[s:e] for s, e in split_sentences(text)]
