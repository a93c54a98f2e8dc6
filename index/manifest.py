"""The index manifest (SQLite): which documents are indexed, with what hash, as which chunks.

It is the record of truth for incremental and crash-safe indexing: Chroma and BM25 are brought into
agreement with it, never the other way round.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from index.chunking import Chunk

IN_BATCH = 500  # values per IN (...) list, well under SQLite's variable limit


def _in_batches(values: Iterable[str]) -> Iterator[tuple[str, list[str]]]:
    """(placeholders, values) pairs of at most ``IN_BATCH`` values each."""
    values = list(values)
    for start in range(0, len(values), IN_BATCH):
        part = values[start : start + IN_BATCH]
        yield ",".join("?" * len(part)), part


SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    doc_id TEXT PRIMARY KEY,
    source TEXT,
    content_hash TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS chunks (
    chunk_id TEXT PRIMARY KEY,
    doc_id TEXT NOT NULL,
    ordinal INTEGER NOT NULL,
    text TEXT NOT NULL,
    metadata TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_doc ON chunks(doc_id);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


@dataclass(frozen=True)
class StoredChunk:
    id: str
    doc_id: str
    text: str
    metadata: dict


class Manifest:
    """Documents and chunks as last committed to the index."""

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.db = sqlite3.connect(path, timeout=30, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(SCHEMA)

    def close(self) -> None:
        self.db.close()

    # meta -------------------------------------------------------------------------------------------
    def get_meta(self, key: str, default: str | None = None) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else default

    def set_meta(self, key: str, value: str) -> None:
        with self.db:
            self.db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, value))

    @property
    def generation(self) -> int:
        return int(self.get_meta("generation", "0") or 0)

    # documents --------------------------------------------------------------------------------------
    def document_hashes(self) -> dict[str, tuple[str, str | None]]:
        """doc_id → (content_hash, source)."""
        return {d: (h, s) for d, h, s in self.db.execute("SELECT doc_id, content_hash, source FROM documents")}

    def document_count(self) -> int:
        return self.db.execute("SELECT COUNT(*) FROM documents").fetchone()[0]

    def chunk_ids(self) -> set[str]:
        return {row[0] for row in self.db.execute("SELECT chunk_id FROM chunks")}

    def _rows_in(self, sql: str, values: Iterable[str]) -> Iterator[tuple]:
        """Rows of ``sql`` (one ``IN ({marks})`` in it) over all ``values``, in batches SQLite accepts."""
        for marks, part in _in_batches(values):
            yield from self.db.execute(sql.format(marks=marks), part)

    def chunk_ids_of(self, doc_ids: Iterable[str]) -> list[str]:
        return [r[0] for r in self._rows_in("SELECT chunk_id FROM chunks WHERE doc_id IN ({marks})", doc_ids)]

    def docs_of_chunks(self, chunk_ids: Iterable[str]) -> set[str]:
        return {r[0] for r in self._rows_in("SELECT doc_id FROM chunks WHERE chunk_id IN ({marks})", chunk_ids)}

    def replace_documents(self, docs: Iterable[tuple[str, str | None, str]], chunks: Iterable[Chunk]) -> None:
        """Atomically set (doc_id, source, hash) rows and their chunks, dropping their old chunks."""
        docs = list(docs)
        with self.db:
            for marks, part in _in_batches(d[0] for d in docs):
                self.db.execute(f"DELETE FROM chunks WHERE doc_id IN ({marks})", part)
            self.db.executemany("INSERT OR REPLACE INTO documents(doc_id, source, content_hash) VALUES (?,?,?)", docs)
            self.db.executemany(
                "INSERT OR REPLACE INTO chunks(chunk_id, doc_id, ordinal, text, metadata) VALUES (?,?,?,?,?)",
                ((c.id, c.doc_id, c.ordinal, c.text, json.dumps(c.metadata)) for c in chunks),
            )
            self._bump()

    def set_sources(self, sources: dict[str, tuple[str | None, str | None]]) -> None:
        """Record the file each document is now read from: doc_id → (resolved path, for the documents row; path as
        read, for its chunks' metadata). Texts and vectors are unchanged; a new generation, so readers cite the new
        file."""
        with self.db:
            self.db.executemany(
                "UPDATE documents SET source = ? WHERE doc_id = ?", [(r, d) for d, (r, _) in sources.items()]
            )
            sql = "SELECT chunk_id, doc_id, metadata FROM chunks WHERE doc_id IN ({marks})"
            rows = list(self._rows_in(sql, sources))
            self.db.executemany(
                "UPDATE chunks SET metadata = ? WHERE chunk_id = ?",
                [(json.dumps({**json.loads(meta), "source": sources[doc_id][1]}), cid) for cid, doc_id, meta in rows],
            )
            self._bump()

    def delete_documents(self, doc_ids: Iterable[str]) -> None:
        doc_ids = list(doc_ids)
        with self.db:
            for marks, part in _in_batches(doc_ids):
                self.db.execute(f"DELETE FROM chunks WHERE doc_id IN ({marks})", part)
                self.db.execute(f"DELETE FROM documents WHERE doc_id IN ({marks})", part)
            self._bump()

    def _bump(self) -> None:
        self.db.execute(
            "INSERT INTO meta(key, value) VALUES ('generation', '1') "
            "ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1"
        )

    def iter_chunks(self) -> Iterator[StoredChunk]:
        for cid, doc_id, text, meta in self.db.execute(
            "SELECT chunk_id, doc_id, text, metadata FROM chunks ORDER BY doc_id, ordinal"
        ):
            yield StoredChunk(cid, doc_id, text, json.loads(meta))

    def chunk_count(self) -> int:
        return self.db.execute("SELECT COUNT(*) FROM chunks").fetchone()[0]

    def chunk_fields(self, names: Sequence[str]) -> Iterator[tuple]:
        """(ordinal, value of each named metadata field, ...) for every chunk; a missing field is None."""
        if not all(name.isidentifier() for name in names):
            raise ValueError(f"bad metadata field name in {names!r}")
        columns = "".join(f", json_extract(metadata, '$.{name}')" for name in names)
        yield from self.db.execute(f"SELECT ordinal{columns} FROM chunks")
