"""Compare the all-MiniLM-L6-v2 encoders (torch, the packaged ONNX file, the int8 ONNX derived from it) on the
same chunk texts: speed, and agreement with torch.

    .venv/bin/python bench/encoder_compare.py [--texts 600] [--rounds 2] [--max-tokens 192]
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

BACKENDS = ("torch", "onnx", "onnx-int8")


def top10(vectors: np.ndarray, probes: int = 40) -> np.ndarray:
    return np.argsort(-(vectors @ vectors[:probes].T), axis=0)[:10]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=600)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--max-tokens", type=int, default=192, help="word pieces each encoder reads per text")
    args = parser.parse_args()
    source = write_subset(args.texts, Path(tempfile.mkdtemp()) / "subset.jsonl")
    texts = [c.dense_text for d in iter_documents([source], LoadReport()) for c in Chunker().chunk(d)][: args.texts]
    encoders = {b: load_embeddings("packaged:all-MiniLM-L6-v2", b, 32, args.max_tokens) for b in BACKENDS}
    seconds: dict[str, list[float]] = {b: [] for b in encoders}
    vectors = {}
    for _ in range(args.rounds):  # interleaved, so every encoder sees the same machine load
        for backend, encoder in encoders.items():
            started = time.perf_counter()
            vectors[backend] = np.asarray(encoder.embed_documents(texts))
            seconds[backend].append(time.perf_counter() - started)
    reference = top10(vectors["torch"])
    payload: dict = {"texts": len(texts), "max_tokens": args.max_tokens}
    for backend in BACKENDS:
        cosine = np.sum(vectors["torch"] * vectors[backend], axis=1)
        ranks = top10(vectors[backend])
        overlap = np.mean([len(set(reference[:, i]) & set(ranks[:, i])) / 10 for i in range(reference.shape[1])])
        payload[backend] = {
            "texts_per_s": round(len(texts) / min(seconds[backend]), 1),
            "speedup_over_torch": round(min(seconds["torch"]) / min(seconds[backend]), 2),
            "cosine_mean": round(float(cosine.mean()), 4),
            "cosine_min": round(float(cosine.min()), 4),
            "top10_neighbour_overlap": round(float(overlap), 3),
        }
    record("encoder_compare", payload)
    for key, value in payload.items():
        print(f"{key:>10}: {value}")


if __name__ == "__main__":
    main()
