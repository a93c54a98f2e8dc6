"""Typed errors of the answering layer, each with a message that says what to do."""

from __future__ import annotations

from parlqa.errors import IndexBusyError, ParlqaError

__all__ = ["EmptyIndexError", "IndexBusy", "IndexBusyError", "ModelServerError", "ParlqaError"]


class EmptyIndexError(ParlqaError):
    def __init__(self, where: str):
        super().__init__(f"the index in {where} is empty; run: parlqa index [PATH ...]")


IndexBusy = IndexBusyError  # the earlier name of IndexBusyError, for existing imports


class ModelServerError(ParlqaError):
    """The model server named by ``PARLQA_LLM_URL`` could not be reached, failed or timed out."""

    def __init__(self, url: str, cause: str):
        self.url = url
        self.cause = " ".join(cause.split())
        super().__init__(f"the model server at {url} {self.cause}")
