"""Translate ``Filters`` into a Chroma ``where`` clause and into a row mask over the lexical index."""

from __future__ import annotations

import numpy as np

from corpus.dates import date_num
from index.lexical import ChunkColumns
from qa.types import Filters

NO_MATCH = {"doc_id": {"$eq": "\x00no-such-document"}}


def matching_values(columns: ChunkColumns, field: str, needle: str) -> list[str]:
    """Distinct stored values of ``field`` that contain ``needle`` (case-insensitive), as stored."""
    needle = needle.strip().lower()
    return [value for value in columns.distinct(field) if needle in value.lower()]


def chroma_where(filters: Filters | None, columns: ChunkColumns) -> dict | None:
    """A Chroma ``where`` for ``filters``; substring filters are resolved to the exact stored values."""
    if filters is None or filters.is_empty():
        return None
    clauses: list[dict] = []
    # a dated record's day, or the month an undated one is filed under (date_lo–date_hi), overlaps the period
    if filters.since:
        since = date_num(filters.since)
        clauses.append({"$or": [{"date_num": {"$gte": since}}, {"date_hi": {"$gte": since}}]})
    if filters.until:
        until = date_num(filters.until)
        clauses.append({"$or": [{"date_num": {"$lte": until}}, {"date_lo": {"$lte": until}}]})
    for field in ("department", "answerer"):
        needle = getattr(filters, field)
        if needle:
            values = matching_values(columns, field, needle)
            if not values:
                return NO_MATCH
            clauses.append({field: {"$in": values}})
    if filters.asker:  # not stored beside the vectors: the documents it names
        needle = filters.asker.strip().lower()
        doc_ids = sorted({d for d, a in zip(columns.doc_ids, columns.fields["asker"], strict=True) if needle in a})
        if not doc_ids:
            return NO_MATCH
        clauses.append({"doc_id": {"$in": doc_ids}})
    if filters.house:
        clauses.append({"house": {"$eq": str(filters.house)}})
    if filters.kind:
        clauses.append({"kind": {"$eq": str(filters.kind)}})
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def lexical_mask(filters: Filters | None, columns: ChunkColumns) -> np.ndarray | None:
    """Rows of the lexical index that pass ``filters`` (None: all rows)."""
    if filters is None or filters.is_empty():
        return None
    mask = np.ones(len(columns), dtype=bool)
    if filters.since:
        mask &= columns.date_hi >= date_num(filters.since)
    if filters.until:
        mask &= (columns.date_lo <= date_num(filters.until)) & (columns.date_lo > 0)
    for field in ("department", "answerer", "asker"):
        needle = getattr(filters, field)
        if needle:
            needle = needle.strip().lower()
            mask &= np.array([needle in v for v in columns.fields[field]], dtype=bool)
    if filters.house:
        mask &= columns.fields["house"] == str(filters.house).lower()
    if filters.kind:
        mask &= columns.fields["kind"] == str(filters.kind).lower()
    return mask
