"""Readers follow the index: what another process's ``parlqa index`` wrote is served from the next search on.

A reader (the chat, the API, the eval) keeps the BM25 columns in memory, and an embedded Chroma client keeps its
vector index in memory too, so neither sees a later run by itself. ``LiveIndex`` compares the index's version (the
manifest's generation and the saved BM25's) with the one it serves, at most every ``index_check_interval``
seconds, and loads the BM25 files again and reopens the store when it moved.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from index.lexical import LexicalIndex
from parlqa.settings import Settings


@dataclass(frozen=True)
class IndexVersion:
    """What tells a reader the index moved: the manifest's generation and that of the saved BM25 index."""

    manifest: int
    lexical: int | None  # None before the first run, or for the instant a save swaps the folder in


class GenerationWatch:
    """The index's version, read again at most every ``interval`` seconds (0: on every call).

    A read is one indexed SQLite query on a connection kept open (read-only) and 64 bytes of the BM25 columns file.
    """

    def __init__(self, settings: Settings, interval: float | None = None, clock: Callable[[], float] = time.monotonic):
        self.manifest_path: Path = settings.manifest_path
        self.bm25_dir: Path = settings.bm25_dir
        self.interval = settings.index_check_interval if interval is None else interval
        self.clock = clock
        self.reads = 0
        self._checked: float | None = None
        self._db: sqlite3.Connection | None = None
        self._file: tuple[int, int, int] | None = None

    def poll(self) -> IndexVersion | None:
        """The index's version when a check is due, None when the last check is under ``interval`` old."""
        now = self.clock()
        if self._checked is not None and now - self._checked < self.interval:
            return None
        self._checked = now
        return self.read()

    def read(self) -> IndexVersion:
        """The index's version now."""
        self.reads += 1
        return IndexVersion(self._manifest_generation(), LexicalIndex.stored_generation(self.bm25_dir))

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
        self._db = None
        self._file = None

    def _manifest_generation(self) -> int:
        try:
            stat = self.manifest_path.stat()
        except OSError:  # no index yet
            self.close()
            return 0
        file = (stat.st_dev, stat.st_ino, stat.st_ctime_ns)
        if file != self._file:  # first read, a checkpoint, or the data dir made again: read the file that is there
            self.close()
            uri = f"{self.manifest_path.resolve().as_uri()}?mode=ro"
            self._db = sqlite3.connect(uri, uri=True, timeout=30, check_same_thread=False)
            self._file = file
        assert self._db is not None
        try:
            rows = self._db.execute("SELECT value FROM meta WHERE key = 'generation'").fetchall()
        except sqlite3.Error:  # a manifest being created: no meta table yet
            self.close()
            return 0
        return int(rows[0][0]) if rows else 0


class Reopenable(Protocol):
    def reopen(self) -> None: ...


class LiveIndex:
    """The BM25 index and the vector store one reader serves from, kept at the index's latest version.

    When a check finds the version moved, the BM25 files are loaded again if their generation is not the one in
    memory, and the store is reopened (once more when the BM25 save, a run's last step, lands). The first search
    reopens the store too: another client of this process may have read the same folder before.
    """

    def __init__(self, settings: Settings, store: Reopenable, watch: GenerationWatch | None = None):
        self.settings = settings
        self.store = store
        self.watch = watch or GenerationWatch(settings)
        self.reopened = 0
        self.reloaded = 0
        self._lexical: LexicalIndex | None = None
        self._seen: IndexVersion | None = None
        self._lock = threading.Lock()

    def lexical(self) -> LexicalIndex:
        """The BM25 index to search now, after a check when one is due."""
        with self._lock:
            version = self.watch.poll()
            if version is None and self._lexical is None:
                version = self.watch.read()
            if version is not None:
                self._follow(version)
            assert self._lexical is not None
            return self._lexical

    def _follow(self, version: IndexVersion) -> None:
        stale = version.lexical is not None and (self._lexical is None or version.lexical != self._lexical.generation)
        if stale:
            loaded = LexicalIndex.load(self.settings.bm25_dir)  # None if a save is swapping the folder: next check
            if loaded is not None:
                self._lexical = loaded
                self.reloaded += 1
        if self._lexical is None:
            self._lexical = LexicalIndex.build([], 0)
        if version != self._seen:
            self.store.reopen()
            self.reopened += 1
            self._seen = version
