"""A LangChain chat model over llama-cpp-python, one shared llama.cpp context per model file.

llama.cpp contexts are not thread-safe, so every loaded ``Llama`` comes with a lock held for the whole
of a generation, streaming included. The context keeps the KV cache of the previous call and only
evaluates the tokens after the longest shared prefix, so prompts should put their static part (the
system prompt) first: a second question with the same system prompt evaluates just its own tokens.
"""

from __future__ import annotations

import atexit
import os
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    ChatMessage,
    HumanMessage,
    SystemMessage,
)
from langchain_core.messages.ai import UsageMetadata
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import Field

if TYPE_CHECKING:
    from llama_cpp import Llama

    from parlqa.settings import Settings

_ROLES: dict[type[BaseMessage], str] = {SystemMessage: "system", HumanMessage: "user", AIMessage: "assistant"}


@dataclass
class _Loaded:
    """A loaded model, the lock that serializes its use, and its prompt formatter."""

    llama: Llama
    lock: threading.Lock = field(default_factory=threading.Lock)
    formatter: Any = None


_MODELS: dict[tuple[str, int, int], _Loaded] = {}
_MODELS_LOCK = threading.Lock()


def default_threads() -> int:
    return os.cpu_count() or 1


def _load(path: str, n_ctx: int, n_threads: int) -> _Loaded:
    """The process-wide ``Llama`` for this file and context shape, loaded on first use."""
    key = (str(Path(path).resolve()), n_ctx, n_threads)
    with _MODELS_LOCK:
        loaded = _MODELS.get(key)
        if loaded is None:
            from llama_cpp import Llama

            llama = Llama(
                model_path=key[0],
                n_ctx=n_ctx,
                n_threads=n_threads,
                n_threads_batch=n_threads,
                n_gpu_layers=0,
                # The CPU backend repacks quantized weights into its own layout; a memory-mapped file would stay
                # resident beside that copy (base: 1.87 GB against 1.28 GB after a prompt), so read it instead.
                use_mmap=False,
                verbose=False,
            )
            loaded = _MODELS[key] = _Loaded(llama)
        return loaded


def unload_models(wait: bool = True) -> None:
    """Drop every cached model (frees its memory once no caller holds it).

    ``wait=False`` skips a model that is generating instead of waiting for it.
    """
    with _MODELS_LOCK:
        for loaded in _MODELS.values():
            if loaded.lock.acquire(blocking=wait):
                try:
                    loaded.llama.close()
                finally:
                    loaded.lock.release()
        _MODELS.clear()


# Free the models before the interpreter tears llama_cpp down (its finalizers fail after that).
atexit.register(unload_models, wait=False)


def _to_dict(message: BaseMessage) -> dict[str, str]:
    if isinstance(message, ChatMessage):
        role = message.role
    else:
        role = next((r for t, r in _ROLES.items() if isinstance(message, t)), "")
    if not role:
        raise ValueError(f"unsupported message type for a llama.cpp chat: {type(message).__name__}")
    return {"role": role, "content": message.text}


def _timings(llama: Llama) -> dict[str, float | int]:
    from llama_cpp import llama_cpp as C

    t = C.llama_perf_context(llama.ctx)
    return {
        "prompt_eval_tokens": t.n_p_eval,
        "prompt_eval_ms": round(t.t_p_eval_ms, 2),
        "eval_tokens": t.n_eval,
        "eval_ms": round(t.t_eval_ms, 2),
    }


def _reset_timings(llama: Llama) -> None:
    from llama_cpp import llama_cpp as C

    C.llama_perf_context_reset(llama.ctx)


def _usage(prompt_tokens: int, completion_tokens: int, evaluated: int) -> UsageMetadata:
    return UsageMetadata(
        input_tokens=prompt_tokens,
        output_tokens=completion_tokens,
        total_tokens=prompt_tokens + completion_tokens,
        input_token_details={"cache_read": max(0, prompt_tokens - evaluated)},
    )


class LlamaCppChatModel(BaseChatModel):
    """Chat completions from a local GGUF model, using the chat template in its metadata."""

    model_path: str
    model_name: str = ""
    n_ctx: int = 2048
    n_threads: int = Field(default_factory=default_threads)
    max_tokens: int = 256
    temperature: float = 0.0
    top_p: float = 0.95
    top_k: int = 40
    repeat_penalty: float = 1.0
    stop: list[str] = Field(default_factory=list)
    seed: int | None = 0
    prompt_cache_mb: int = Field(
        0,
        ge=0,
        description="RAM for saved contexts (llama_cpp.LlamaRAMCache); helps only when prompts alternate "
        "between different prefixes, and each saved context costs hundreds of MB. 0 disables it.",
    )

    @property
    def _llm_type(self) -> str:
        return "llama-cpp"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {
            "model_path": self.model_path,
            "n_ctx": self.n_ctx,
            "max_tokens": self.max_tokens,
            "temperature": self.temperature,
            "seed": self.seed,
        }

    def _loaded(self) -> _Loaded:
        loaded = _load(self.model_path, self.n_ctx, self.n_threads)
        if self.prompt_cache_mb and loaded.llama.cache is None:
            from llama_cpp import LlamaRAMCache

            with loaded.lock:
                if loaded.llama.cache is None:
                    loaded.llama.set_cache(LlamaRAMCache(capacity_bytes=self.prompt_cache_mb << 20))
        return loaded

    @property
    def llama(self) -> Llama:
        """The shared ``Llama``; take ``lock`` before touching its context."""
        return self._loaded().llama

    @property
    def lock(self) -> threading.Lock:
        return self._loaded().lock

    def _params(self, stop: list[str] | None, **kwargs: Any) -> dict[str, Any]:
        temperature = kwargs.pop("temperature", self.temperature)
        params = {
            "max_tokens": kwargs.pop("max_tokens", self.max_tokens),
            "temperature": temperature,
            "top_p": kwargs.pop("top_p", self.top_p),
            "top_k": kwargs.pop("top_k", self.top_k),
            "repeat_penalty": kwargs.pop("repeat_penalty", self.repeat_penalty),
            "seed": kwargs.pop("seed", self.seed),
            "stop": [*self.stop, *(stop or [])],
        }
        kwargs.pop("stream", None)
        if kwargs:
            raise TypeError(f"unsupported generation arguments: {', '.join(sorted(kwargs))}")
        return params

    def _formatter(self, loaded: _Loaded) -> Any:
        if loaded.formatter is None:
            from llama_cpp.llama_chat_format import Jinja2ChatFormatter

            llama = loaded.llama
            template = llama.metadata.get("tokenizer.chat_template")
            if not template:
                raise ValueError(f"{self.model_path} has no chat template in its GGUF metadata")

            def text(token: int) -> str:
                return llama.detokenize([token], special=True).decode("utf-8", "ignore") if token >= 0 else ""

            loaded.formatter = Jinja2ChatFormatter(
                template=template, eos_token=text(llama.token_eos()), bos_token=text(llama.token_bos())
            )
        return loaded.formatter

    def prompt_tokens(self, messages: Sequence[BaseMessage]) -> list[int]:
        """The prompt tokens these messages make, as the chat template renders them."""
        loaded = self._loaded()
        result = self._formatter(loaded)(messages=[_to_dict(m) for m in messages])
        return loaded.llama.tokenize(result.prompt.encode("utf-8"), add_bos=not result.added_special, special=True)

    def count_tokens(self, messages: Sequence[BaseMessage] | str) -> int:
        """Prompt tokens for a chat, or plain tokens for a string, with the model's own tokenizer."""
        if isinstance(messages, str):
            return len(self.llama.tokenize(messages.encode("utf-8"), add_bos=False, special=False))
        return len(self.prompt_tokens(messages))

    def get_num_tokens(self, text: str) -> int:
        return self.count_tokens(text)

    def get_num_tokens_from_messages(self, messages: list[BaseMessage], tools: Sequence[Any] | None = None) -> int:
        return self.count_tokens(messages)

    def _metadata(self, finish_reason: str | None, timings: dict[str, Any]) -> dict[str, Any]:
        return {
            "model_name": self.model_name or Path(self.model_path).name,
            "finish_reason": finish_reason,
            "timings": timings,
        }

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        params = self._params(stop, **kwargs)
        chat = [_to_dict(m) for m in messages]
        loaded = self._loaded()
        with loaded.lock:
            _reset_timings(loaded.llama)
            response = loaded.llama.create_chat_completion(messages=chat, stream=False, **params)
            timings = _timings(loaded.llama)
        choice = response["choices"][0]
        usage = response.get("usage") or {}
        prompt, completion = usage.get("prompt_tokens", 0), usage.get("completion_tokens", 0)
        message = AIMessage(
            content=choice["message"].get("content") or "",
            usage_metadata=_usage(prompt, completion, timings["prompt_eval_tokens"]),
            response_metadata=self._metadata(choice.get("finish_reason"), timings),
        )
        return ChatResult(generations=[ChatGeneration(message=message)])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        params = self._params(stop, **kwargs)
        chat = [_to_dict(m) for m in messages]
        prompt = self.count_tokens(messages)
        loaded = self._loaded()
        finish_reason: str | None = None
        produced = 0
        with loaded.lock:
            _reset_timings(loaded.llama)
            for part in loaded.llama.create_chat_completion(messages=chat, stream=True, **params):
                choice = part["choices"][0]
                finish_reason = choice.get("finish_reason") or finish_reason
                text = choice.get("delta", {}).get("content")
                if not text:
                    continue
                produced += 1
                chunk = ChatGenerationChunk(message=AIMessageChunk(content=text))
                if run_manager:
                    run_manager.on_llm_new_token(text, chunk=chunk)
                yield chunk
            timings = _timings(loaded.llama)
        yield ChatGenerationChunk(
            message=AIMessageChunk(
                content="",
                usage_metadata=_usage(prompt, produced, timings["prompt_eval_tokens"]),
                response_metadata=self._metadata(finish_reason, timings),
                chunk_position="last",
            )
        )


def load_chat_model(settings: Settings, **overrides: Any) -> BaseChatModel:
    """The chat model that ``settings`` names: the model server at ``llm_url`` when set, else the embedded
    llama.cpp model of a preset or GGUF path, verified and ready to load."""
    if settings.llm_url:
        from qa.remote_llm import load_server_model

        return load_server_model(settings, **overrides)
    return load_embedded_model(settings, **overrides)


def load_embedded_model(settings: Settings, **overrides: Any) -> LlamaCppChatModel:
    """The embedded llama.cpp model of a preset or GGUF path, verified and ready to load."""
    from qa.models import resolve_model

    resolved = resolve_model(settings.model, cache_dir=settings.model_cache_dir)
    params: dict[str, Any] = {
        "model_path": str(resolved.path),
        "model_name": resolved.name,
        "n_ctx": settings.n_ctx,
        "max_tokens": settings.max_new_tokens,
        "temperature": settings.temperature,
    }
    if settings.n_threads:
        params["n_threads"] = settings.n_threads
    return LlamaCppChatModel(**{**params, **overrides})
