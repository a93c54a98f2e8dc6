"""Progress of an evaluation run on an optional rich ``Progress`` bar."""

from __future__ import annotations

from typing import Any


class ProgressBar:
    """A thin wrapper over an optional rich ``Progress``."""

    def __init__(self, progress: Any | None):
        self.progress = progress
        self.task = None

    def start(self, description: str, total: int) -> None:
        if self.progress is not None:
            if self.task is not None:
                self.progress.remove_task(self.task)
            self.task = self.progress.add_task(description, total=total)

    def advance(self) -> None:
        if self.progress is not None and self.task is not None:
            self.progress.advance(self.task)

    def indexing(self, stage: str, done: int, total: int) -> None:
        if self.progress is not None and self.task is not None:
            self.progress.update(self.task, completed=done, total=total)
