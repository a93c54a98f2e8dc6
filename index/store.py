"""The ChromaDB collection: embedded (PersistentClient) by default, a Chroma server when a host is set."""

from __future__ import annotations

from collections.abc import Sequence

import chromadb
import numpy as np
from chromadb.api import ClientAPI
from chromadb.api.models.Collection import Collection
from chromadb.api.rust import RustBindingsAPI
from chromadb.config import Settings as ChromaSettings

from index.chunking import Chunk
from parlqa.settings import Settings

OWNER_KEY = "parlqa_index"
# What Chroma keeps beside each vector: the fields dense-side filters need, and what ties the vector to its
# document version. Texts and the rest of the metadata live in the manifest and the BM25 columns; leaving them
# out of Chroma (and its full-text index) makes writes about four times faster.
STORED_METADATA = (
    "doc_id",
    "content_hash",
    "kind",
    "house",
    "department",
    "answerer",
    "date_num",
    "date_lo",
    "date_hi",
)


class StoreUnavailableError(RuntimeError):
    """The Chroma store cannot be opened or reached."""


class StoreOwnedError(StoreUnavailableError):
    """The collection holds the chunks of another parlqa index (another data dir)."""


def make_client(settings: Settings) -> ClientAPI:
    """A Chroma client for ``settings``: HTTP when ``chroma_host`` is set, else on-disk in ``data_dir``."""
    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    try:
        if settings.chroma_host:
            return chromadb.HttpClient(host=settings.chroma_host, port=settings.chroma_port, settings=chroma_settings)
        settings.chroma_dir.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(settings.chroma_dir), settings=chroma_settings)
    except Exception as exc:  # chromadb raises ValueError/ConnectionError/its own errors
        where = f"{settings.chroma_host}:{settings.chroma_port}" if settings.chroma_host else settings.chroma_dir
        raise StoreUnavailableError(f"cannot open the Chroma store at {where}: {exc}") from exc


def store_location(settings: Settings) -> str:
    if settings.chroma_host:
        return f"chroma server http://{settings.chroma_host}:{settings.chroma_port} (collection {settings.collection})"
    return f"{settings.chroma_dir.resolve()} (collection {settings.collection})"


class ChunkStore:
    """Chunks with their embeddings and metadata in one Chroma collection (cosine space)."""

    def __init__(self, settings: Settings, client: ClientAPI | None = None):
        self.settings = settings
        self.client = client or make_client(settings)
        self.collection: Collection = self._open_collection()
        self._max_batch = max(1, min(self.client.get_max_batch_size(), 4096))

    def _open_collection(self) -> Collection:
        try:
            return self.client.get_or_create_collection(
                self.settings.collection,
                embedding_function=None,
                configuration={"hnsw": {"space": "cosine"}},
            )
        except Exception as exc:
            raise StoreUnavailableError(f"cannot open collection {self.settings.collection!r}: {exc}") from exc

    def reopen(self) -> None:
        """Read the collection as it is now, with what other processes wrote since it was opened.

        A server answers from its latest state; the collection is looked up again. The embedded client keeps the
        vector index in memory and never reads another process's writes into it, so its store is opened afresh
        (for every client of this process on this folder; a call in flight finishes on the old one).
        """
        server = getattr(self.client, "_server", None)
        if not self.settings.chroma_host and isinstance(server, RustBindingsAPI):
            server.start()
        self.collection = self._open_collection()

    def claim(self, index_id: str) -> None:
        """Mark the collection as the index ``index_id``'s; refuse one that another index writes.

        An index deletes the chunks its manifest does not know, so two data dirs sharing one collection (on one
        Chroma server) would delete each other's chunks.
        """
        metadata = dict(self.collection.metadata or {})
        owner = metadata.get(OWNER_KEY)
        if owner == index_id:
            return
        if owner is not None:
            raise StoreOwnedError(
                f"the collection at {store_location(self.settings)} belongs to another parlqa index (another data"
                " dir); give this one its own collection with PARLQA_COLLECTION, or share that index's data dir"
            )
        self.collection.modify(metadata={**metadata, OWNER_KEY: index_id})

    def upsert(self, chunks: Sequence[Chunk], embeddings: Sequence[Sequence[float]]) -> None:
        vectors = np.asarray(embeddings, dtype=np.float32)
        for start in range(0, len(chunks), self._max_batch):
            part = chunks[start : start + self._max_batch]
            self.collection.upsert(
                ids=[c.id for c in part],
                embeddings=vectors[start : start + self._max_batch],
                metadatas=[{k: c.metadata[k] for k in STORED_METADATA if k in c.metadata} for c in part],
            )

    def query(self, vector: Sequence[float], n: int, where: dict | None = None) -> list[tuple[str, float]]:
        """The ``n`` nearest chunk ids to ``vector`` under ``where``, with their cosine similarity, best first."""
        found = self.collection.query(
            query_embeddings=[np.asarray(vector, dtype=np.float32)], n_results=n, where=where, include=["distances"]
        )
        return [(i, 1.0 - float(d)) for i, d in zip(found["ids"][0], found["distances"][0], strict=True)]

    def embeddings_of(self, ids: Sequence[str]) -> dict[str, np.ndarray]:
        """The stored vectors of those of ``ids`` the collection holds."""
        ids = list(ids)
        found: dict[str, np.ndarray] = {}
        for start in range(0, len(ids), self._max_batch):
            got = self.collection.get(ids=ids[start : start + self._max_batch], include=["embeddings"])
            found.update(zip(got["ids"], np.asarray(got["embeddings"], dtype=np.float32), strict=True))
        return found

    def delete(self, ids: Sequence[str]) -> None:
        ids = list(ids)
        for start in range(0, len(ids), self._max_batch):
            self.collection.delete(ids=ids[start : start + self._max_batch])

    def all_ids(self) -> set[str]:
        ids: set[str] = set()
        page = 20_000
        offset = 0
        while True:
            batch = self.collection.get(include=[], limit=page, offset=offset)["ids"]
            ids.update(batch)
            if len(batch) < page:
                return ids
            offset += page

    def count(self) -> int:
        return self.collection.count()
