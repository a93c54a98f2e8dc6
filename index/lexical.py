"""The lexical side of the index: a bm25s BM25 index over chunk texts, with the chunks' filterable metadata."""

from __future__ import annotations

import json
import logging
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

import bm25s
import numpy as np
import Stemmer

from index.manifest import StoredChunk
from parlqa.files import atomic_replace_dir

FILTER_FIELDS = ("department", "answerer", "house", "kind", "asker")
logging.getLogger("bm25s").setLevel(logging.NOTSET)  # bm25s sets DEBUG on import; follow the application's level


@lru_cache(maxsize=1)
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("english")


def tokenize(texts: list[str]):
    return bm25s.tokenize(texts, stopwords="en", stemmer=_stemmer(), show_progress=False)


def tokenize_words(text: str) -> list[str]:
    """The index's terms for ``text``: its words less stop words, stemmed, as BM25 reads them."""
    return bm25s.tokenize([text], stopwords="en", stemmer=_stemmer(), return_ids=False, show_progress=False)[0]


def stem_words(words: list[str]) -> list[str]:
    """Each (lower-case) word's stem, as the index stems it."""
    return _stemmer().stemWords(words)


@dataclass
class ChunkColumns:
    """Per-chunk arrays, aligned with the BM25 index rows, for fast metadata filters."""

    ids: list[str]
    doc_ids: list[str]
    texts: list[str]
    date_num: np.ndarray  # YYYYMMDD, 0 when unknown
    fields: dict[str, np.ndarray]  # FILTER_FIELDS → lower-cased strings ('' when unknown)
    metadata: list[dict]

    def __len__(self) -> int:
        return len(self.ids)

    @cached_property
    def _rows(self) -> dict[str, int]:
        return {chunk_id: row for row, chunk_id in enumerate(self.ids)}

    @cached_property
    def _distinct(self) -> dict[str, list[str]]:
        return {}

    def row_of(self, chunk_id: str) -> int | None:
        """The row of a chunk id (index built once), None when the chunk is not in these columns."""
        return self._rows.get(chunk_id)

    def distinct(self, field: str) -> list[str]:
        """Distinct stored values of a metadata field, computed once."""
        if field not in self._distinct:
            self._distinct[field] = sorted({str(m[field]) for m in self.metadata if m.get(field)})
        return self._distinct[field]


class LexicalIndex:
    """BM25 over chunk texts; rebuilt from the manifest whenever the manifest's generation moves."""

    def __init__(self, retriever: bm25s.BM25, columns: ChunkColumns, generation: int):
        self.retriever = retriever
        self.columns = columns
        self.generation = generation

    @classmethod
    def build(cls, chunks: Iterable[StoredChunk], generation: int) -> LexicalIndex:
        chunks = list(chunks)
        columns = ChunkColumns(
            ids=[c.id for c in chunks],
            doc_ids=[c.doc_id for c in chunks],
            texts=[c.text for c in chunks],
            date_num=np.array([int(c.metadata.get("date_num", 0)) for c in chunks], dtype=np.int64),
            fields={
                f: np.array([str(c.metadata.get(f, "")).lower() for c in chunks], dtype=object) for f in FILTER_FIELDS
            },
            metadata=[c.metadata for c in chunks],
        )
        retriever = bm25s.BM25()
        if chunks:
            retriever.index(tokenize(columns.texts), show_progress=False)
        return cls(retriever, columns, generation)

    def save(self, directory: Path) -> None:
        """Write to a temporary folder, then swap it in, so a reader or a crash never sees half an index."""

        def fill(tmp: Path) -> None:
            if len(self.columns):
                self.retriever.save(tmp, show_progress=False)
            payload = {
                "generation": self.generation,
                "ids": self.columns.ids,
                "doc_ids": self.columns.doc_ids,
                "texts": self.columns.texts,
                "metadata": self.columns.metadata,
            }
            (tmp / "columns.json").write_text(json.dumps(payload), encoding="utf-8")

        atomic_replace_dir(directory, fill)

    @staticmethod
    def remove_leftovers(directory: Path) -> int:
        """Delete the temporary and old folders a ``save`` killed part-way left beside ``directory``.

        Only for the one writer (the indexer, under its lock): another writer's folders would go too.
        """
        leftovers = [p for kind in ("tmp", "old") for p in directory.parent.glob(f"{directory.name}.{kind}-*")]
        for path in leftovers:
            shutil.rmtree(path, ignore_errors=True)
        return len(leftovers)

    @classmethod
    def load(cls, directory: Path) -> LexicalIndex | None:
        columns_file = directory / "columns.json"
        if not columns_file.exists():
            return None
        payload = json.loads(columns_file.read_text(encoding="utf-8"))
        metadata = payload["metadata"]
        columns = ChunkColumns(
            ids=payload["ids"],
            doc_ids=payload["doc_ids"],
            texts=payload["texts"],
            date_num=np.array([int(m.get("date_num", 0)) for m in metadata], dtype=np.int64),
            fields={f: np.array([str(m.get(f, "")).lower() for m in metadata], dtype=object) for f in FILTER_FIELDS},
            metadata=metadata,
        )
        retriever = bm25s.BM25.load(directory, show_progress=False) if columns.ids else bm25s.BM25()
        return cls(retriever, columns, int(payload["generation"]))

    @staticmethod
    def stored_generation(directory: Path) -> int | None:
        columns_file = directory / "columns.json"
        if not columns_file.exists():
            return None
        with columns_file.open("r", encoding="utf-8") as handle:
            head = handle.read(64)
        try:
            return int(head.split('"generation":', 1)[1].split(",", 1)[0])
        except (IndexError, ValueError):
            return None

    def search(self, query: str, k: int, mask: np.ndarray | None = None) -> list[tuple[int, float]]:
        """Top ``k`` (row, score) for ``query`` among rows where ``mask`` is true; scores > 0 only."""
        n = len(self.columns)
        if n == 0 or not query.strip():
            return []
        tokens = tokenize([query])
        if not tokens.vocab or all(len(ids) == 0 for ids in tokens.ids):
            return []
        weight = None if mask is None else mask.astype(np.float32)
        k = min(k, n if mask is None else int(mask.sum()))
        if k <= 0:
            return []
        rows, scores = self.retriever.retrieve(tokens, k=k, show_progress=False, weight_mask=weight, n_threads=0)
        return [(int(r), float(s)) for r, s in zip(rows[0], scores[0], strict=True) if s > 0]
