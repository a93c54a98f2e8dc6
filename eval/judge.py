"""Faithfulness judged by a local model: one constrained yes/no verdict per answer sentence, cached on disk."""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from eval import prompts

MAX_PASSAGE_CHARS = 1800
PROMPT_TOKEN_BUDGET = 3000
JUDGE_N_CTX = 4096


@dataclass(frozen=True)
class Claim:
    """A sentence to check and the passages it may rest on."""

    sentence: str
    passages: tuple[str, ...]


class VerdictCache:
    """Append-only JSON Lines of ``{"key": ..., "supported": ...}``; the last line for a key wins."""

    def __init__(self, path: Path):
        self.path = path
        self._lock = threading.Lock()
        self._verdicts: dict[str, bool] = {}
        if path.is_file():
            for line in path.read_text(encoding="utf-8").splitlines():
                try:
                    item = json.loads(line)
                    self._verdicts[str(item["key"])] = bool(item["supported"])
                except (ValueError, KeyError, TypeError):
                    continue  # a torn last line from an interrupted run

    def get(self, key: str) -> bool | None:
        return self._verdicts.get(key)

    def put(self, key: str, supported: bool) -> None:
        with self._lock:
            self._verdicts[key] = supported
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                with self.path.open("a", encoding="utf-8") as handle:
                    handle.write(json.dumps({"key": key, "supported": supported}) + "\n")
            except OSError:
                pass  # an unwritable cache only costs a re-judgement next time


def model_identity(name: str) -> str:
    """What the cache key names a judge by: the preset's pinned sha256, or the GGUF file's path."""
    from qa.models import resolve_model

    resolved = resolve_model(name)
    return resolved.preset.sha256 if resolved.preset else str(resolved.path)


class Judge:
    """``Judge("small")``: ``verdict(claim)`` says whether the passages support the sentence."""

    def __init__(self, model: str, cache_path: Path | None = None, settings=None):
        from parlqa.settings import Settings
        from qa.llm import load_embedded_model

        base = settings or Settings()
        self.model_name = model
        self.identity = model_identity(model)
        self.chat = load_embedded_model(base.with_overrides(model=model, n_ctx=JUDGE_N_CTX), max_tokens=2)
        self.cache = VerdictCache(cache_path or base.judge_cache_path)
        self.calls = 0

    def key(self, claim: Claim) -> str:
        blob = json.dumps([prompts.JUDGE_VERSION, self.identity, claim.sentence, list(claim.passages)])
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()

    def messages(self, claim: Claim) -> list[dict[str, str]]:
        """The judge's chat, passages trimmed to fit the context window."""
        limit = MAX_PASSAGE_CHARS
        while True:
            lines = [
                prompts.JUDGE_PASSAGE_LINE.format(number=i, text=" ".join(p.split())[:limit])
                for i, p in enumerate(claim.passages, start=1)
            ]
            user = prompts.JUDGE_USER_PROMPT.format(passages="\n".join(lines), sentence=claim.sentence)
            chat = [{"role": "system", "content": prompts.JUDGE_SYSTEM_PROMPT}, {"role": "user", "content": user}]
            if limit <= 200 or self._tokens(chat) <= PROMPT_TOKEN_BUDGET:
                return chat
            limit = limit * 2 // 3

    def _tokens(self, chat: list[dict[str, str]]) -> int:
        return self.chat.count_tokens(" ".join(m["content"] for m in chat)) + 32

    def verdict(self, claim: Claim) -> bool:
        key = self.key(claim)
        cached = self.cache.get(key)
        if cached is not None:
            return cached
        supported = self._ask(self.messages(claim))
        self.cache.put(key, supported)
        return supported

    def verdicts(self, claims: Sequence[Claim]) -> list[bool]:
        return [self.verdict(c) for c in claims]

    def _ask(self, chat: list[dict[str, str]]) -> bool:
        from llama_cpp import LlamaGrammar

        grammar = LlamaGrammar.from_string(prompts.JUDGE_GRAMMAR, verbose=False)
        self.calls += 1
        with self.chat.lock:
            response = self.chat.llama.create_chat_completion(
                messages=chat, grammar=grammar, max_tokens=2, temperature=0.0, seed=0
            )
        text = (response["choices"][0]["message"].get("content") or "").strip().lower()
        return text.startswith("yes")
