"""The errors a user can act on, shared by every layer: each message says what to do."""

from __future__ import annotations


class ParlqaError(RuntimeError):
    """Base of the errors a user can act on."""


class IndexBusyError(ParlqaError):
    """Another process is writing the index, so it cannot be written (or built) now."""
