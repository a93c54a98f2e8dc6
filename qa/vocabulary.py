"""The domain vocabulary: abbreviations, synonyms and department short names of UK government, shipped as data
(``qa/data/vocabulary.tsv``), and the builder that finds the abbreviations answers define in a JSON Lines export.

    python -m qa.vocabulary build ANSWERS.jsonl.gz [--out qa/data/vocabulary.tsv] [--min-count 3]

Rows of kind ``hand`` (``qa/data/vocabulary-hand.tsv``) are kept as written; the ``corpus`` rows are rebuilt.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

DATA_DIR = Path(__file__).resolve().parent / "data"
VOCABULARY_FILE = DATA_DIR / "vocabulary.tsv"
HAND_FILE = DATA_DIR / "vocabulary-hand.tsv"
FIELDS = ("term", "meaning", "kind", "source", "count")
Kind = Literal["abbreviation", "synonym", "department"]

_DEFINED = re.compile(r"((?:[A-Za-z][\w'’\-]*[ ,]+){1,10})\(([A-Z][A-Za-z]{1,7})\)")
_SMALL = frozenset({"and", "of", "for", "the", "in", "on", "to", "with", "a", "an", "at", "by", "&"})


@dataclass(frozen=True)
class Entry:
    """One row: ``term`` (an abbreviation, or a phrase) means ``meaning``."""

    term: str
    meaning: str
    kind: Kind
    source: Literal["corpus", "hand"]
    count: int = 0


def _initials_match(words: list[str], abbreviation: str) -> list[str] | None:
    """The shortest tail of ``words`` whose initials (small words optional) spell ``abbreviation``."""
    letters = abbreviation.lower()
    for start in range(len(words) - 1, -1, -1):
        tail = words[start:]
        if tail[0].lower() in _SMALL:
            continue
        if _spells(tail, letters):
            return tail
    return None


def _spells(words: list[str], letters: str) -> bool:
    """Whether the words' initials spell ``letters``; a small word may be skipped or count, a word may give two
    letters ('ChildLine'), a letter may come from a hyphenated part."""
    if not letters:
        return not words or all(w.lower() in _SMALL for w in words)
    if not words:
        return False
    word, rest = words[0], words[1:]
    lower = word.lower()
    if lower in _SMALL and _spells(rest, letters):
        return True
    if not lower or lower[0] != letters[0]:
        return False
    parts = [p for p in re.split(r"[-’']", word) if p]
    for used in range(1, min(len(parts), len(letters)) + 1):
        if all(parts[i][:1].lower() == letters[i] for i in range(used)) and _spells(rest, letters[used:]):
            return True
    return False


def defined_abbreviations(text: str) -> Iterator[tuple[str, str]]:
    """(abbreviation, meaning) for each 'special educational needs and disabilities (SEND)' in ``text``."""
    for match in _DEFINED.finditer(text):
        abbreviation = match.group(2)
        if abbreviation.lower() == abbreviation or len(abbreviation) < 2:
            continue
        spans = [(m.start(), m.group()) for m in re.finditer(r"[^ ,]+", match.group(1))][-12:]
        tail = _initials_match([w for _, w in spans], abbreviation)
        if tail:
            start = spans[len(spans) - len(tail)][0]
            yield abbreviation, match.group(1)[start:].strip(" ,").replace("’", "'")


def build_entries(texts: Iterable[str], min_count: int = 3) -> list[Entry]:
    """The corpus's abbreviations defined at least ``min_count`` times, each with its most frequent meaning."""
    meanings: dict[str, Counter[str]] = defaultdict(Counter)
    for text in texts:
        for abbreviation, meaning in defined_abbreviations(text):
            meanings[abbreviation][meaning.lower()] += 1
    entries = []
    for abbreviation, counts in sorted(meanings.items()):
        meaning, count = counts.most_common(1)[0]
        if count >= min_count:
            entries.append(Entry(abbreviation, meaning, "abbreviation", "corpus", count))
    return entries


def read_entries(path: Path) -> list[Entry]:
    """Rows of a vocabulary TSV (header: term, meaning, kind, source, count)."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = csv.DictReader(handle, delimiter="\t")
        return [
            Entry(r["term"], r["meaning"], r["kind"], r["source"], int(r.get("count") or 0))  # type: ignore[arg-type]
            for r in rows
            if r.get("term") and r.get("meaning")
        ]


def write_entries(entries: Iterable[Entry], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter="\t", lineterminator="\n")
        writer.writerow(FIELDS)
        for e in entries:
            writer.writerow([e.term, e.meaning, e.kind, e.source, e.count])


@lru_cache(maxsize=4)
def load_vocabulary(path: Path = VOCABULARY_FILE) -> tuple[Entry, ...]:
    """The shipped vocabulary (hand rows first), read once."""
    return tuple(read_entries(path)) if path.is_file() else ()


def _records(path: Path) -> Iterator[str]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                record = json.loads(line)
                yield "\n".join(str(record.get(k) or "") for k in ("question_text", "answer_text"))


def rebuild(source: Path, out: Path = VOCABULARY_FILE, hand: Path = HAND_FILE, min_count: int = 3) -> list[Entry]:
    """Hand rows, then the corpus's defined abbreviations that no hand row already gives."""
    hand_entries = read_entries(hand) if hand.is_file() else []
    taken = {(e.term, e.kind) for e in hand_entries}
    corpus = [e for e in build_entries(_records(source), min_count) if (e.term, e.kind) not in taken]
    entries = hand_entries + corpus
    write_entries(entries, out)
    return entries


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Rebuild the domain vocabulary from a JSON Lines export.")
    sub = parser.add_subparsers(dest="command", required=True)
    build = sub.add_parser("build")
    build.add_argument("source", type=Path)
    build.add_argument("--out", type=Path, default=VOCABULARY_FILE)
    build.add_argument("--min-count", type=int, default=3)
    args = parser.parse_args(argv)
    if not args.source.is_file():
        raise SystemExit(f"{args.source}: no such file")
    entries = rebuild(args.source, args.out, min_count=args.min_count)
    print(f"{len(entries)} entries written to {args.out}")


if __name__ == "__main__":
    main()
