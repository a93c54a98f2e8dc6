"""Question answering: hybrid retrieval, prompting, citations and the Python API (``from qa import Assistant``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from qa.assistant import Assistant
    from qa.types import Answer, Citation, Filters, Hit, StreamEvent

__all__ = ["Answer", "Assistant", "Citation", "Filters", "Hit", "StreamEvent"]


def __getattr__(name: str):
    """Import lazily, so ``import qa.types`` does not load the models."""
    if name == "Assistant":
        from qa.assistant import Assistant

        return Assistant
    if name in __all__:
        import qa.types

        return getattr(qa.types, name)
    raise AttributeError(name)
