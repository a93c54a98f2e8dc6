"""The indexes the evaluation runs against: the five default documents, and a fixed 5,000-record subset of the
shared Commons file (every source of a commons pair, every ``child_protection_social_care`` record, then a
deterministic sample of the rest ordered by the sha1 of their ids)."""

from __future__ import annotations

import gzip
import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from corpus.loader import default_corpus_files
from parlqa.files import atomic_file, atomic_write_text
from parlqa.settings import Settings

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_FILE = REPO_ROOT.parent / "shared" / "data" / "written_questions_commons_2023_2026.jsonl.gz"
DEFAULT_EVAL_DIR = Path(".parlqa") / "eval"
SUBSET_SIZE = 5000
SUBSET_TOPIC = "child_protection_social_care"
SUBSET_NAME = f"commons-subset-{SUBSET_SIZE}.jsonl"

Progress = Callable[[str, int, int], None]


class CorpusUnavailableError(RuntimeError):
    """The documents a set needs are not on this machine."""


@dataclass(frozen=True)
class CorpusIndex:
    """An index ready to query: its settings (data dir, chunk size) and the documents it holds."""

    corpus: str
    chunk_tokens: int
    settings: Settings
    documents: int


def _sample_key(doc_id: str) -> str:
    return hashlib.sha1(doc_id.encode("utf-8")).hexdigest()


def select_subset(records: Iterable[dict], required: set[str], size: int = SUBSET_SIZE) -> list[dict]:
    """Required ids and topic records first, then others by sha1 of their id, up to ``size``; file order kept.
    Records without answer text are not indexable and are never sampled."""
    chosen: dict[str, dict] = {}
    others: list[tuple[str, dict]] = []
    for record in records:
        doc_id = str(record.get("id"))
        if doc_id in required or record.get("topic") == SUBSET_TOPIC:
            chosen[doc_id] = record
        elif (record.get("answer_text") or "").strip():
            others.append((_sample_key(doc_id), record))
    others.sort(key=lambda item: item[0])
    for _, record in others[: max(0, size - len(chosen))]:
        chosen[str(record["id"])] = record
    order = {doc_id: i for i, doc_id in enumerate(sorted(chosen, key=_id_order))}
    return sorted(chosen.values(), key=lambda r: order[str(r["id"])])


def _id_order(doc_id: str) -> tuple[int, str]:
    tail = doc_id.rsplit("-", 1)[-1]
    return (int(tail), doc_id) if tail.isdigit() else (0, doc_id)


def write_commons_subset(eval_dir: Path, required: set[str], source: Path = SHARED_FILE) -> Path:
    """Write the subset once (reused while its required ids are unchanged) and return its path."""
    if not source.is_file():
        raise CorpusUnavailableError(f"the commons set needs {source}, which is not on this machine")
    target = eval_dir / SUBSET_NAME
    stamp = target.with_suffix(".ids")
    signature = hashlib.sha1("\n".join(sorted(required)).encode()).hexdigest()
    if target.is_file() and stamp.is_file() and stamp.read_text().strip() == signature:
        return target
    with gzip.open(source, "rt", encoding="utf-8") as handle:
        subset = select_subset((json.loads(line) for line in handle if line.strip()), required)
    missing = required - {str(r["id"]) for r in subset}
    if missing:
        raise CorpusUnavailableError(f"{len(missing)} source ids are not in {source}, e.g. {sorted(missing)[0]}")
    eval_dir.mkdir(parents=True, exist_ok=True)
    with atomic_file(target, "w", encoding="utf-8") as out:
        for record in subset:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    atomic_write_text(stamp, signature + "\n")
    return target


def corpus_paths(corpus: str, eval_dir: Path, required: set[str]) -> list[Path]:
    """The files a corpus is indexed from."""
    if corpus == "default":
        return default_corpus_files()
    if corpus == "commons":
        return [write_commons_subset(eval_dir, required)]
    if corpus == "commons-full":
        if not SHARED_FILE.is_file():
            raise CorpusUnavailableError(f"the commons set needs {SHARED_FILE}, which is not on this machine")
        return [SHARED_FILE]
    raise CorpusUnavailableError(f"no evaluation corpus named {corpus!r} (use default, commons or commons-full)")


def prepare_index(
    corpus: str,
    chunk_tokens: int,
    eval_dir: Path,
    required: set[str] | None = None,
    base: Settings | None = None,
    progress: Progress | None = None,
) -> CorpusIndex:
    """Index ``corpus`` at ``chunk_tokens`` into ``<eval_dir>/<corpus>-c<chunk_tokens>`` (incremental).

    With a Chroma server configured the vectors go to the server, in a collection of their own.
    """
    from index.indexer import Indexer

    paths = corpus_paths(corpus, eval_dir, required or set())
    base = base or Settings()
    update: dict = {"data_dir": eval_dir / f"{corpus}-c{chunk_tokens}", "chunk_tokens": chunk_tokens}
    if base.chroma_host:
        update["collection"] = f"{base.collection}-eval-{corpus}-c{chunk_tokens}"
    settings = base.with_overrides(**update)
    indexer = Indexer(settings)
    try:
        result = indexer.index(paths, progress)
        documents = indexer.manifest.document_count()
    finally:
        indexer.close()
    if result.report.problems:
        raise CorpusUnavailableError(f"indexing {corpus} failed: {result.report.problems[0]}")
    return CorpusIndex(corpus, chunk_tokens, settings, documents)
