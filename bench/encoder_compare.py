"""Compare the torch and int8 ONNX all-MiniLM-L6-v2 encoders on the same chunk texts: speed and agreement.

.venv/bin/python bench/encoder_compare.py [--texts 400] [--rounds 2]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import record, write_subset  # noqa: E402

from parlqa.offline import configure_environment  # noqa: E402

configure_environment()

from corpus.loader import LoadReport, iter_documents  # noqa: E402
from index.chunking import Chunker  # noqa: E402
from index.embedding import load_embeddings  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    source = write_subset(args.texts, Path(tempfile.mkdtemp()) / "subset.jsonl")
    chunker = Chunker()
    texts = [c.text for d in iter_documents([source], LoadReport()) for c in chunker.chunk(d)][: args.texts]
    encoders = {b: load_embeddings("packaged:all-MiniLM-L6-v2", b, 64) for b in ("torch", "onnx-int8")}
    seconds = {b: [] for b in encoders}
    vectors = {}
    for _ in range(args.rounds):  # interleaved, so both see the same machine load
        for backend, encoder in encoders.items():
            started = time.perf_counter()
            vectors[backend] = np.asarray(encoder.embed_documents(texts))
            seconds[backend].append(time.perf_counter() - started)
    cosine = np.sum(vectors["torch"] * vectors["onnx-int8"], axis=1)
    torch_rank = np.argsort(-(vectors["torch"] @ vectors["torch"][:20].T), axis=0)[:10]
    onnx_rank = np.argsort(-(vectors["onnx-int8"] @ vectors["onnx-int8"][:20].T), axis=0)[:10]
    overlap = np.mean([len(set(torch_rank[:, i]) & set(onnx_rank[:, i])) / 10 for i in range(20)])
    payload = {
        "texts": len(texts),
        "torch_texts_per_s": round(len(texts) / min(seconds["torch"]), 1),
        "onnx_int8_texts_per_s": round(len(texts) / min(seconds["onnx-int8"]), 1),
        "speedup": round(min(seconds["torch"]) / min(seconds["onnx-int8"]), 2),
        "cosine_mean": round(float(cosine.mean()), 4),
        "cosine_min": round(float(cosine.min()), 4),
        "top10_neighbour_overlap": round(float(overlap), 3),
    }
    record("encoder_compare", payload)
    for key, value in payload.items():
        print(f"{key:>24}: {value}")


if __name__ == "__main__":
    main()
