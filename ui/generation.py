"""One answer at a time: the chat and the HTTP API reach the single llama.cpp context through one lock.

``OneAtATime(assistant)`` stands in for the ``Assistant``: its model calls (``stream``, ``ask`` and a timeline
with a summary) each hold ``GENERATION_LOCK`` from start to finish, so a question asked over HTTP waits for the chat's
answer to finish and the other way round; search, documents and everything else pass straight through.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

from qa.types import Answer, StreamEvent, Timeline

# One for the process, as the loaded models are (qa.llm): every chat and API served by it take turns. A plain Lock,
# not an RLock: a stream abandoned by its reader may be closed from another thread than the one that opened it.
GENERATION_LOCK = threading.Lock()


class OneAtATime:
    """An ``Assistant`` whose model calls take turns: at most one is answering at any time."""

    def __init__(self, assistant: Any, lock: threading.Lock | None = None):
        self.assistant = assistant
        self.lock = lock or GENERATION_LOCK

    def stream(self, question: str, **kwargs: Any) -> Iterator[StreamEvent]:
        with self.lock:
            yield from self.assistant.stream(question, **kwargs)

    def ask(self, question: str, **kwargs: Any) -> Answer:
        with self.lock:
            return self.assistant.ask(question, **kwargs)

    def timeline(self, query: str, *args: Any, summary: bool = False, **kwargs: Any) -> Timeline:
        if not summary:  # no model call
            return self.assistant.timeline(query, *args, summary=False, **kwargs)
        with self.lock:
            return self.assistant.timeline(query, *args, summary=True, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.assistant, name)
