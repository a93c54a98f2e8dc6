"""Incremental, crash-safe indexing: load → diff against the manifest → chunk → embed → Chroma → BM25."""

from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from filelock import FileLock, Timeout

from corpus import Document, LoadReport
from corpus.loader import default_corpus_files, iter_documents
from index.chunking import Chunk, Chunker
from index.embedding import QUANTIZATION_RECIPE, embeddings_for
from index.lexical import LexicalIndex
from index.manifest import Manifest
from index.store import ChunkStore
from parlqa.errors import IndexBusyError
from parlqa.settings import Settings

ProgressCallback = Callable[[str, int, int], None]  # (stage, done, total)


@dataclass
class IndexResult:
    """What one ``index`` run did."""

    report: LoadReport
    documents_seen: int = 0
    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    moved: int = 0  # of the unchanged: now read from another file
    chunks_embedded: int = 0
    chunks_deleted: int = 0
    repaired: int = 0
    bm25_rebuilt: bool = False
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed or self.repaired)


def settings_fingerprint(settings: Settings) -> str:
    """Anything that changes chunk texts or vectors: a change re-embeds everything."""
    s = settings
    key = (
        f"{s.embedding_model}|{s.embedding_backend}|{QUANTIZATION_RECIPE}|{s.embedding_max_tokens}"
        f"|{s.chunk_tokens}|{s.chunk_overlap}|{s.encoding}|v4"
    )
    return hashlib.sha1(key.encode()).hexdigest()[:12]


def index_lock(settings: Settings) -> FileLock:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return FileLock(str(settings.lock_path))


def index_counts(settings: Settings) -> dict[str, int]:
    """What the index holds now, from its manifest: {"documents": n, "passages": n}."""
    manifest = Manifest(settings.manifest_path)
    try:
        return {"documents": manifest.document_count(), "passages": manifest.chunk_count()}
    finally:
        manifest.close()


def ensure_index(settings: Settings) -> bool:
    """Index the default corpus when the index in ``settings.data_dir`` is empty; True when it did. For the entry
    points that may write (the chat, ``parlqa ask``); raises ``IndexBusyError`` while another process writes."""
    if index_counts(settings)["passages"]:
        return False
    indexer = Indexer(settings)
    try:
        indexer.index([])
    except IndexBusyError as exc:
        raise IndexBusyError(f"{exc}; the default corpus is being indexed") from exc
    finally:
        indexer.close()
    return True


class Indexer:
    """Keeps Chroma, BM25 and the manifest in step with a set of corpus paths."""

    def __init__(self, settings: Settings, store: ChunkStore | None = None):
        self.settings = settings
        self.manifest = Manifest(settings.manifest_path)
        try:
            self.store = store or ChunkStore(settings)
            self.store.claim(self._index_id())
        except BaseException:
            self.manifest.close()
            raise
        self.chunker = Chunker(settings.chunk_tokens, settings.chunk_overlap, settings.encoding)
        self._embeddings = None

    @property
    def embeddings(self):
        if self._embeddings is None:
            self._embeddings = embeddings_for(self.settings)
        return self._embeddings

    def close(self) -> None:
        self.manifest.close()

    def _index_id(self) -> str:
        """This index's identity, made once and kept in the manifest."""
        index_id = self.manifest.get_meta("index_id")
        if index_id is None:
            index_id = uuid.uuid4().hex
            self.manifest.set_meta("index_id", index_id)
        return index_id

    # public -----------------------------------------------------------------------------------------
    def index(
        self,
        paths: Sequence[Path] | None = None,
        progress: ProgressCallback | None = None,
        batch_documents: int = 2048,
    ) -> IndexResult:
        """Bring the index in line with ``paths`` (the default corpus when empty)."""
        lock = index_lock(self.settings)
        try:
            lock.acquire(timeout=0)
        except Timeout as exc:
            raise IndexBusyError(
                f"the index in {self.settings.data_dir} is being written by another process; try again when it ends"
            ) from exc
        try:
            return self._index(list(paths) if paths else default_corpus_files(), progress, batch_documents)
        finally:
            lock.release()

    # steps ------------------------------------------------------------------------------------------
    def _index(self, paths: list[Path], progress: ProgressCallback | None, batch_documents: int) -> IndexResult:
        timer = time.perf_counter
        result = IndexResult(report=LoadReport())
        t0 = timer()
        self._check_fingerprint()
        result.repaired = self.reconcile()
        result.seconds["reconcile"] = timer() - t0

        t0 = timer()
        known = self.manifest.document_hashes()
        pending: dict[str, tuple[Document, str]] = {}
        moved: dict[str, tuple[str | None, str | None]] = {}  # unchanged documents now read from another file
        seen: set[str] = set()
        for doc in iter_documents(paths, result.report):
            seen.add(doc.id)
            digest = doc.content_hash()
            previous = known.get(doc.id)
            if previous is not None and previous[0] == digest:
                pending.pop(doc.id, None)
                moved.pop(doc.id, None)
                if _source(doc) != previous[1]:
                    moved[doc.id] = (_source(doc), doc.source_path)
                continue
            moved.pop(doc.id, None)
            pending[doc.id] = (doc, "updated" if previous else "added")
        if moved:
            # so that deleting the file later removes them; their texts and vectors are unchanged
            self.manifest.set_sources(moved)
        result.moved = len(moved)
        result.documents_seen = len(seen)
        result.unchanged = len(seen) - len(pending)
        result.seconds["load"] = timer() - t0

        removed = self._removed_ids(paths, result.report, known, seen)
        todo = list(pending.values())
        t_embed = t_chunk = t_store = 0.0
        for start in range(0, len(todo), batch_documents):
            batch = todo[start : start + batch_documents]
            t0 = timer()
            chunks: list[Chunk] = [c for doc, _ in batch for c in self.chunker.chunk(doc)]
            t_chunk += timer() - t0
            t0 = timer()
            vectors = self.embeddings.embed_documents([c.dense_text for c in chunks]) if chunks else []
            t_embed += timer() - t0
            t0 = timer()
            result.chunks_deleted += self._write(batch, chunks, vectors)
            t_store += timer() - t0
            result.chunks_embedded += len(chunks)
            for _, status in batch:
                setattr(result, status, getattr(result, status) + 1)
            if progress:
                progress("embed", min(start + batch_documents, len(todo)), len(todo))
        result.seconds.update(chunk=t_chunk, embed=t_embed, store=t_store)

        if removed:
            t0 = timer()
            stale = self.manifest.chunk_ids_of(removed)
            self.store.delete(stale)
            self.manifest.delete_documents(removed)
            result.removed = len(removed)
            result.chunks_deleted += len(stale)
            result.seconds["remove"] = timer() - t0

        t0 = timer()
        result.bm25_rebuilt = self.sync_lexical()
        result.seconds["bm25"] = timer() - t0
        return result

    def _write(self, batch: list[tuple[Document, str]], chunks: list[Chunk], vectors) -> int:
        """Chroma first (upsert is idempotent), then the manifest in one transaction, then stale chunks."""
        doc_ids = [doc.id for doc, _ in batch]
        old = set(self.manifest.chunk_ids_of(doc_ids))
        if chunks:
            self.store.upsert(chunks, vectors)
        self.manifest.replace_documents([(doc.id, _source(doc), doc.content_hash()) for doc, _ in batch], chunks)
        stale = old - {c.id for c in chunks}
        if stale:
            self.store.delete(sorted(stale))
        return len(stale)

    def _removed_ids(
        self, paths: list[Path], report: LoadReport, known: dict[str, tuple[str, str | None]], seen: set[str]
    ) -> list[str]:
        """Indexed documents whose source lies under a path read now, that were not seen this time.

        Documents from files that failed to load this time are kept: a bad file never loses indexed work.
        """
        scopes = [str(p.resolve()) for p in paths if p.exists()]
        failed = {str(Path(problem.path).resolve()) for problem in report.problems}
        removed = []
        for doc_id, (_, source) in known.items():
            if doc_id in seen or not source or source in failed:
                continue
            if any(source == scope or source.startswith(scope.rstrip("/") + "/") for scope in scopes):
                removed.append(doc_id)
        return removed

    def _check_fingerprint(self) -> None:
        fingerprint = settings_fingerprint(self.settings)
        stored = self.manifest.get_meta("fingerprint")
        if stored is not None and stored != fingerprint:
            # Chunking or embedding settings changed: every stored vector is stale.
            self.store.delete(sorted(self.store.all_ids()))
            self.manifest.delete_documents(list(self.manifest.document_hashes()))
        self.manifest.set_meta("fingerprint", fingerprint)
        self.manifest.set_meta("embedding_model", self.settings.embedding_model)

    def reconcile(self) -> int:
        """Repair what an interrupted run left: drop Chroma chunks the manifest lacks, and forget
        documents whose chunks are missing from Chroma so they are embedded again. Returns documents repaired."""
        in_store = self.store.all_ids()
        in_manifest = self.manifest.chunk_ids()
        extra = in_store - in_manifest
        if extra:
            self.store.delete(sorted(extra))
        missing = in_manifest - in_store
        broken = self.manifest.docs_of_chunks(missing) if missing else set()
        if broken:
            self.manifest.delete_documents(sorted(broken))
        return len(broken)

    def sync_lexical(self) -> bool:
        """Rebuild the BM25 index when it lags the manifest. Returns whether it was rebuilt."""
        LexicalIndex.remove_leftovers(self.settings.bm25_dir)
        generation = self.manifest.generation
        if LexicalIndex.stored_generation(self.settings.bm25_dir) == generation:
            return False
        LexicalIndex.build(self.manifest.iter_chunks(), generation).save(self.settings.bm25_dir)
        return True


def _source(doc: Document) -> str | None:
    """The document's file as the manifest records it (resolved)."""
    return str(Path(doc.source_path).resolve()) if doc.source_path else None


def index_paths(
    paths: Iterable[Path] | None = None, settings: Settings | None = None, progress: ProgressCallback | None = None
) -> IndexResult:
    """Convenience: index ``paths`` with ``settings`` (defaults from the environment)."""
    indexer = Indexer(settings or Settings())
    try:
        return indexer.index(list(paths or []), progress)
    finally:
        indexer.close()
