"""Typed errors of the answering layer, each with a message that says what to do."""

from __future__ import annotations


class ParlqaError(RuntimeError):
    """Base of the errors a user can act on."""


class EmptyIndexError(ParlqaError):
    def __init__(self, where: str):
        super().__init__(f"the index in {where} is empty; run: parlqa index [PATH ...]")


class IndexBusy(ParlqaError):
    """The index is being rebuilt and cannot be read yet."""
