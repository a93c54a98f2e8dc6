"""The [n] markers an answer cites its sources with: how they are found, removed and placed in a sentence."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

MARKER = re.compile(r"\s*\[(\d+(?:\s*[,;]\s*\d+)*)\]")
# "[1, 2]" and "[1][2]" both cite two sources; "(1)" or "Source 1" are not markers.
_SEPARATOR = re.compile(r"\s*[,;]\s*")


def marker_numbers(match: re.Match[str]) -> list[int]:
    """The source numbers of one ``MARKER`` match: [2] for "[2]", [1, 2] for "[1, 2]"."""
    return [int(number) for number in _SEPARATOR.split(match.group(1))]


def strip_markers(text: str) -> str:
    """``text`` without its markers (and the spaces before them)."""
    return MARKER.sub("", text)


def place_markers(
    text: str,
    markers: Iterable[int],
    marker: Callable[[int], str] = lambda n: f"[{n}]",
    escape: Callable[[str], str] = lambda s: s,
) -> str:
    """``text`` with its markers before the final full stop (or ! or ?): 'It rose by 5% [1][2].'; ``marker`` writes
    one marker, ``escape`` the sentence's own text (both for HTML)."""
    text = text.rstrip()
    end = text[-1] if text and text[-1] in ".!?" else ""
    tail = "".join(marker(n) for n in markers)
    return f"{escape(text[:-1] if end else text)}{' ' + tail if tail else ''}{escape(end) if end else ''}"
