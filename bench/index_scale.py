"""Index N answers of the shared Commons file from empty, then re-index with nothing changed, and time the
raw encoder alone on the same chunk texts.

    .venv/bin/python bench/index_scale.py --docs 5000 [--backend torch|onnx-int8] [--no-raw]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import peak_rss_mb, record, write_subset  # noqa: E402

from parlqa.offline import configure_environment  # noqa: E402

configure_environment()

from corpus.loader import LoadReport, iter_documents  # noqa: E402
from index.chunking import Chunker  # noqa: E402
from index.embedding import embeddings_for  # noqa: E402
from index.indexer import Indexer  # noqa: E402
from parlqa.settings import Settings  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=5000)
    parser.add_argument("--backend", default="onnx-int8")
    parser.add_argument("--max-tokens", type=int, default=192, help="word pieces the encoder reads per chunk")
    parser.add_argument("--chunk-tokens", type=int, default=256)
    parser.add_argument("--no-raw", action="store_true", help="skip the raw encoder timing")
    parser.add_argument("--keep", type=Path, help="keep the index in this folder")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="parlqa-bench-"))
    data_dir = args.keep or work / "data"
    if data_dir.exists():
        shutil.rmtree(data_dir)
    source = write_subset(args.docs, work / "subset.jsonl")
    settings = Settings(
        data_dir=data_dir,
        embedding_backend=args.backend,
        embedding_max_tokens=args.max_tokens,
        chunk_tokens=args.chunk_tokens,
    )
    embeddings_for(settings)  # warm

    indexer = Indexer(settings)
    started = time.perf_counter()
    result = indexer.index([source])
    total = time.perf_counter() - started
    started = time.perf_counter()
    again = indexer.index([source])
    reindex = time.perf_counter() - started
    indexer.close()
    assert again.chunks_embedded == 0 and not again.changed

    raw = None
    if not args.no_raw:
        chunker = Chunker(settings.chunk_tokens, settings.chunk_overlap, settings.encoding)
        texts = [c.dense_text for d in iter_documents([source], LoadReport()) for c in chunker.chunk(d)]
        embeddings = embeddings_for(settings)
        started = time.perf_counter()
        for start in range(0, len(texts), 2048):
            embeddings.embed_documents(texts[start : start + 2048])
        raw = time.perf_counter() - started

    payload = {
        "docs": result.documents_seen,
        "chunks": result.chunks_embedded,
        "backend": args.backend,
        "max_tokens": args.max_tokens,
        "chunk_tokens": args.chunk_tokens,
        "index_s": round(total, 1),
        "stages_s": {k: round(v, 2) for k, v in result.seconds.items()},
        "raw_encoder_s": round(raw, 1) if raw else None,
        "ratio_to_encoder": round(total / raw, 3) if raw else None,
        "reindex_unchanged_s": round(reindex, 2),
        "chunks_per_s": round(result.chunks_embedded / total, 1),
        "peak_rss_mb": round(peak_rss_mb()),
    }
    record("index_scale", payload)
    for key, value in payload.items():
        print(f"{key:>22}: {value}")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
