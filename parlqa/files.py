"""Files written whole or not at all: each is written beside its target under a temporary name, then put in place
in one rename, so a reader or a crash sees the old file or the new one, never half of one."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any


def temporary_name(path: Path, suffix: str = ".tmp") -> Path:
    """A name beside ``path`` that no other process or thread writing ``path`` at the same time uses."""
    return path.with_name(f"{path.name}.{os.getpid()}-{threading.get_ident()}{suffix}")


@contextmanager
def atomic_file(
    path: Path, mode: str = "w", *, suffix: str = ".tmp", fsync: bool = False, **open_args: Any
) -> Iterator[IO]:
    """An open temporary file that replaces ``path`` when the block ends; an error in the block leaves ``path`` as
    it was and removes the temporary file. ``fsync`` flushes it to the disk first (for large files)."""
    tmp = temporary_name(path, suffix)
    try:
        with open(tmp, mode, **open_args) as handle:
            yield handle
            if fsync:
                handle.flush()
                os.fsync(handle.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def atomic_write_text(path: Path, text: str, encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``path`` whole or not at all."""
    with atomic_file(path, "w", encoding=encoding) as handle:
        handle.write(text)
    return path


def atomic_replace_dir(directory: Path, fill: Callable[[Path], None]) -> None:
    """Fill a new folder beside ``directory`` (``<name>.tmp-<pid>``), then swap it in for the old one, which is moved
    aside (``<name>.old-<pid>``) and deleted. Between the two renames ``directory`` is briefly absent; a crash there
    leaves both folders for the writer to clean up."""
    directory.parent.mkdir(parents=True, exist_ok=True)
    tmp = directory.with_name(f"{directory.name}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    fill(tmp)
    old = directory.with_name(f"{directory.name}.old-{os.getpid()}")
    if directory.exists():
        directory.rename(old)
    tmp.rename(directory)
    shutil.rmtree(old, ignore_errors=True)
