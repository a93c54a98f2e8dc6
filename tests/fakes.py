"""Stand-ins for the embedder and the chat model, for unit tests of parlqa's own logic: no weights, no store.

``HashEmbeddings`` gives deterministic vectors (hashed words, unit length), so texts sharing words are close;
``ScriptedChatModel`` answers with its scripted replies in turn and records the prompts it was given.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

import numpy as np
from langchain_core.embeddings import Embeddings
from langchain_core.language_models.fake_chat_models import FakeListChatModel
from langchain_core.messages import BaseMessage
from pydantic import Field

_WORD = re.compile(r"\w+")


class HashEmbeddings(Embeddings):
    """Bag-of-words vectors: each lower-cased word adds one to a hashed coordinate; vectors have unit length."""

    def __init__(self, dimensions: int = 256):
        self.dimensions = dimensions
        self.calls: list[list[str]] = []

    def _vector(self, text: str) -> list[float]:
        vector = np.zeros(self.dimensions, dtype=np.float32)
        for word in _WORD.findall(text.lower()):
            vector[int(hashlib.blake2b(word.encode(), digest_size=4).hexdigest(), 16) % self.dimensions] += 1.0
        norm = float(np.linalg.norm(vector))
        return (vector / norm if norm else vector).tolist()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self.calls.append(list(texts))
        return [self._vector(t) for t in texts]

    def embed_query(self, text: str) -> list[float]:
        return self._vector(text)


class ScriptedChatModel(FakeListChatModel):
    """A chat model that replies with ``responses`` in turn (cycling) and keeps what it was asked and bound with."""

    prompts: list[list[BaseMessage]] = Field(default_factory=list)
    bound: list[dict[str, Any]] = Field(default_factory=list)

    def _call(self, messages: list[BaseMessage], *args: Any, **kwargs: Any) -> str:
        self.prompts.append(list(messages))
        self.bound.append({k: v for k, v in kwargs.items() if k != "run_manager"})
        return super()._call(messages, *args, **kwargs)

    def _stream(self, messages: list[BaseMessage], *args: Any, **kwargs: Any):
        self.prompts.append(list(messages))
        self.bound.append({k: v for k, v in kwargs.items() if k != "run_manager"})
        yield from super()._stream(messages, *args, **kwargs)
