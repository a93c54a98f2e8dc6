"""Incremental indexing into a real Chroma and BM25: nothing re-embedded twice, edits and deletions followed."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import pytest
from conftest import CORPUS_DIR, EIF_DOC
from fixtures.index_runs import run_parlqa

from index.indexer import Indexer
from index.lexical import LexicalIndex
from index.manifest import Manifest
from parlqa.settings import Settings


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(data_dir=tmp_path / "data")


def _run(settings: Settings, paths: list[Path]):
    indexer = Indexer(settings)
    try:
        return indexer.index(paths), indexer.store.all_ids(), indexer.manifest.chunk_ids()
    finally:
        indexer.close()


def _bm25_ids(settings: Settings) -> list[str]:
    return LexicalIndex.load(settings.bm25_dir).columns.ids


def test_incremental_index_edit_and_delete(settings, corpus_copy):
    first, chroma_ids, manifest_ids = _run(settings, [corpus_copy])
    assert (first.added, first.chunks_embedded) == (5, len(chroma_ids))
    assert chroma_ids == manifest_ids == set(_bm25_ids(settings))

    again, chroma_again, _ = _run(settings, [corpus_copy])
    assert (again.added, again.updated, again.removed, again.chunks_embedded) == (0, 0, 0, 0)
    assert again.unchanged == 5 and not again.bm25_rebuilt and chroma_again == chroma_ids

    edited = corpus_copy / "003_9e97050b9c050637.txt"
    edited.write_text(edited.read_text(encoding="utf-8") + "\nA new closing sentence about kinship carers.\n")
    after_edit, chroma_edit, _ = _run(settings, [corpus_copy])
    assert (after_edit.updated, after_edit.added, after_edit.unchanged) == (1, 0, 4)
    changed = chroma_edit ^ chroma_ids
    assert changed and all(i.startswith("003_") for i in changed)
    assert after_edit.chunks_embedded == len([i for i in chroma_edit if i.startswith("003_")])

    (corpus_copy / "002_1bcd5c0d0d33053a.txt").unlink()
    after_delete, chroma_delete, manifest_delete = _run(settings, [corpus_copy])
    assert after_delete.removed == 1 and after_delete.chunks_embedded == 0
    assert not any(i.startswith("002_") for i in chroma_delete)
    bm25_ids = _bm25_ids(settings)
    assert not any(i.startswith("002_") for i in bm25_ids)
    assert chroma_delete == manifest_delete == set(bm25_ids)
    assert max(Counter(bm25_ids).values()) == 1


def test_bad_files_are_reported_and_nothing_indexed_is_lost(settings, corpus_copy):
    _run(settings, [corpus_copy])
    good = corpus_copy / "000_73a33f3ed1e0367a.txt"
    good.write_bytes(b"\xff\xfe\x00binary\x00junk")  # an indexed file turns bad
    (corpus_copy / "empty.txt").write_text("")
    (corpus_copy / "latin1.txt").write_bytes("caf\xe9 au lait".encode("latin-1"))
    (corpus_copy / "broken.jsonl").write_text("{oops\n")
    result, chroma_ids, _ = _run(settings, [corpus_copy])
    reasons = {Path(p.path).name: p.reason for p in result.report.problems}
    assert set(reasons) == {"000_73a33f3ed1e0367a.txt", "empty.txt", "latin1.txt", "broken.jsonl"}
    assert "binary" in reasons["000_73a33f3ed1e0367a.txt"] and "empty" in reasons["empty.txt"]
    assert "UTF-8" in reasons["latin1.txt"] and "invalid JSON" in reasons["broken.jsonl"]
    assert result.removed == 0 and any(i.startswith(f"{EIF_DOC}:") for i in chroma_ids)


def test_interrupted_run_is_repaired(settings, corpus_copy):
    _run(settings, [corpus_copy])
    indexer = Indexer(settings)
    try:
        # as if a run died between the Chroma write and the manifest commit, and another mid-delete
        indexer.store.collection.upsert(ids=["ghost:000:x"], embeddings=[[0.0] * 384], documents=["ghost"])
        victim = sorted(i for i in indexer.manifest.chunk_ids() if i.startswith("004_"))[0]
        indexer.store.delete([victim])
    finally:
        indexer.close()
    result, chroma_ids, manifest_ids = _run(settings, [corpus_copy])
    assert result.repaired == 1 and result.updated + result.added == 1
    assert "ghost:000:x" not in chroma_ids and victim in chroma_ids
    assert chroma_ids == manifest_ids == set(_bm25_ids(settings))


def test_changing_chunk_size_reembeds_everything(settings, corpus_copy):
    first, ids_256, _ = _run(settings, [corpus_copy])
    smaller = settings.with_overrides(chunk_tokens=128)
    second, ids_128, manifest_ids = _run(smaller, [corpus_copy])
    assert second.added == 5 and ids_128 == manifest_ids and not (ids_128 & ids_256)


def test_busy_index_is_refused(settings, corpus_copy):
    from filelock import FileLock

    from index.indexer import IndexBusyError

    settings.data_dir.mkdir(parents=True)
    with FileLock(str(settings.lock_path)), pytest.raises(IndexBusyError, match="being written"):
        _run(settings, [corpus_copy])


def test_dense_query_ranks_the_eif_answer_first(default_settings):
    from index.embedding import embeddings_for
    from index.store import ChunkStore

    s = default_settings
    vector = embeddings_for(s).embed_query("When was the Early Intervention Foundation set up?")
    result = ChunkStore(s).collection.query(query_embeddings=[vector], n_results=3, include=["metadatas"])
    assert result["metadatas"][0][0]["doc_id"] == EIF_DOC
    manifest = Manifest(s.manifest_path)
    assert manifest.document_count() == 5
    manifest.close()


def test_moving_the_documents_into_a_folder_keeps_their_ids(tmp_path):
    """The shipped layout moved from ``corpus/*.txt`` to ``corpus/documents/``: nothing removed or added."""
    root = tmp_path / "corpus"
    root.mkdir()
    for path in sorted(CORPUS_DIR.glob("*.txt")):
        shutil.copy(path, root / path.name)
    (root / "__init__.py").write_text('"""A package beside its documents."""\n')
    data_dir = tmp_path / "data"
    first = run_parlqa("index", str(root), data_dir=data_dir)
    assert first.returncode == 0 and "5 added" in first.stdout, first.stderr[-2000:]
    assert "1 program files passed over" in first.stdout

    (root / "documents").mkdir()
    for path in sorted(root.glob("*.txt")):
        path.rename(root / "documents" / path.name)
    (root / "__pycache__").mkdir()
    (root / "__pycache__" / "loader.cpython-311.pyc").write_bytes(b"\x00\x01compiled")
    again = run_parlqa("index", str(root), data_dir=data_dir)
    assert again.returncode == 0, again.stderr[-2000:]
    assert "0 added, 0 updated, 0 removed, 5 unchanged (5 read from a new file); 0 chunks embedded" in again.stdout
    assert "0 files skipped; 2 program files passed over" in again.stdout and "skipped:" not in again.stderr

    manifest = Manifest(data_dir / "manifest.sqlite3")
    try:
        sources = {source for _, source in manifest.document_hashes().values()}
        cited = {c.metadata["source"] for c in manifest.iter_chunks()}
    finally:
        manifest.close()
    assert {Path(s).parent for s in sources} == {(root / "documents").resolve()}
    assert {Path(s).parent for s in cited} == {root / "documents"}  # citations name the file where it is now
    assert set(LexicalIndex.load(data_dir / "bm25").columns.ids) == {c.id for c in _chunks(data_dir)}


def _chunks(data_dir: Path):
    manifest = Manifest(data_dir / "manifest.sqlite3")
    try:
        return list(manifest.iter_chunks())
    finally:
        manifest.close()


def test_the_shipped_folders_index_without_skipping(tmp_path):
    """``parlqa index corpus/documents`` and ``parlqa index corpus`` (the package folder) both exit 0."""
    data_dir = tmp_path / "data"
    documents = run_parlqa("index", str(CORPUS_DIR), data_dir=data_dir)
    assert documents.returncode == 0, documents.stderr[-2000:]
    assert "5 documents read from 5 files: 5 added" in documents.stdout and "0 files skipped." in documents.stdout
    package = run_parlqa("index", str(CORPUS_DIR.parent), data_dir=data_dir)
    assert package.returncode == 0 and "skipped:" not in package.stderr, package.stderr[-2000:]
    assert "0 added, 0 updated, 0 removed, 5 unchanged; 0 chunks embedded" in package.stdout
    assert "0 files skipped; " in package.stdout and "program files passed over" in package.stdout
