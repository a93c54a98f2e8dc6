"""Counts of what the index holds: documents and chunks by kind, house, department and year."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from index.embedding import embedding_model_label
from index.manifest import Manifest
from index.store import store_location
from parlqa.settings import Settings

BREAKDOWNS = ("kind", "house", "department", "year")


@dataclass
class IndexStats:
    documents: int
    chunks: int
    store: str
    embedding_model: str
    chunk_tokens: int
    by: dict[str, list[tuple[str, int, int]]] = field(default_factory=dict)  # field → (value, docs, chunks)


def collect_stats(settings: Settings, top: int = 15) -> IndexStats:
    """Read counts from the manifest (no model is loaded)."""
    manifest = Manifest(settings.manifest_path)
    try:
        doc_counts = {name: Counter() for name in BREAKDOWNS}
        chunk_counts = {name: Counter() for name in BREAKDOWNS}
        for ordinal, *values in manifest.chunk_fields(BREAKDOWNS):
            for name, value in zip(BREAKDOWNS, values, strict=True):
                label = str(value) if value not in (None, "") else "(unknown)"
                chunk_counts[name][label] += 1
                if ordinal == 0:
                    doc_counts[name][label] += 1
        by = {
            name: [(value, docs, chunk_counts[name][value]) for value, docs in doc_counts[name].most_common(top)]
            for name in BREAKDOWNS
        }
        return IndexStats(
            documents=manifest.document_count(),
            chunks=manifest.chunk_count(),
            store=store_location(settings),
            embedding_model=embedding_model_label(manifest.get_meta("embedding_model") or settings.embedding_model),
            chunk_tokens=settings.chunk_tokens,
            by=by,
        )
    finally:
        manifest.close()
