"""Resident memory of a process: read once, or sampled in a thread for the peak over a block of work."""

from __future__ import annotations

import resource
import threading
from pathlib import Path

MB = 2**20


def process_memory_mb(pid: int | str = "self") -> dict[str, float]:
    """``VmRSS`` (resident now) and ``VmHWM`` (its peak) of a process, in MB; empty when it is gone or not Linux."""
    fields: dict[str, float] = {}
    try:
        lines = Path(f"/proc/{pid}/status").read_text(encoding="ascii").splitlines()
    except OSError:
        return fields
    for line in lines:
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = int(value.split()[0]) / 1024
    return fields


def peak_rss_mb() -> float:
    """The most resident memory this process has held so far, in MB (the kernel's count)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_bytes() -> int:
    """Resident memory of this process now; its peak so far where /proc cannot be read."""
    rss = process_memory_mb().get("VmRSS")
    return int(rss * 1024) * 1024 if rss is not None else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


class PeakRss:
    """Samples this process's resident memory in a thread while the block runs; ``peak_mb`` is the largest
    sample (unlike ``peak_rss_mb``, the peak of this block, not of the whole process)."""

    def __init__(self, interval: float = 0.2):
        self.interval = interval
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    current = staticmethod(current_rss_bytes)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.current())
            self._stop.wait(self.interval)

    def __enter__(self) -> PeakRss:
        self.peak = self.current()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.current())

    @property
    def peak_mb(self) -> float:
        return round(self.peak / MB, 1)
