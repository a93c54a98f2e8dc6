"""How closely the vector store's approximate (HNSW) search follows exact search over the same vectors."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

DEPTH = 10


@dataclass(frozen=True)
class AnnCheck:
    """Share of questions whose approximate top-1 chunk is the exact one, and mean overlap of the top ``DEPTH``."""

    questions: int
    top1: float
    overlap: float


def ann_check(client, collection: str, query_vectors: Sequence[Sequence[float]]) -> AnnCheck | None:
    """Compare Chroma's answers with a brute-force cosine search over every stored vector (None when empty)."""
    store = client.get_collection(collection)
    stored = store.get(include=["embeddings"])
    ids = list(stored["ids"])
    if not ids or not len(query_vectors):
        return None
    vectors = np.asarray(stored["embeddings"], dtype=np.float32)
    vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    queries = np.asarray(query_vectors, dtype=np.float32)
    depth = min(DEPTH, len(ids))
    exact = np.argsort(-(queries @ vectors.T), axis=1)[:, :depth]
    top1 = overlap = 0.0
    for row, query in zip(exact, queries, strict=True):
        found = store.query(query_embeddings=[query.tolist()], n_results=depth, include=[])["ids"][0]
        expected = [ids[i] for i in row]
        top1 += float(bool(found) and found[0] == expected[0])
        overlap += len(set(found) & set(expected)) / depth
    n = len(queries)
    return AnnCheck(n, top1 / n, overlap / n)
