"""One answer at a time: the chat and the HTTP API reach the single llama.cpp context through one lock.

``OneAtATime(assistant)`` stands in for the ``Assistant``: its model calls (``stream``, ``ask`` and a timeline
with a summary) each hold the same lock from start to finish, so a question asked over HTTP waits for the chat's
answer to finish and the other way round; search, documents and everything else pass straight through.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

from qa.types import Answer, StreamEvent, Timeline


class OneAtATime:
    """An ``Assistant`` whose model calls take turns: at most one is answering at any time."""

    def __init__(self, assistant: Any, lock: threading.Lock | None = None):
        self.assistant = assistant
        # a plain Lock, not an RLock: a stream abandoned by its reader may be closed from another thread
        self.lock = lock or threading.Lock()

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
