"""Peak resident memory of this process while a block runs, sampled from /proc."""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field


def rss_bytes() -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


@dataclass
class Measure:
    seconds: float = 0.0
    peak_bytes: int = 0
    extra: dict = field(default_factory=dict)


@contextmanager
def measured(interval: float = 0.05):
    """Time a block and sample its peak RSS (includes DuckDB's native memory)."""
    result = Measure(peak_bytes=rss_bytes())
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            result.peak_bytes = max(result.peak_bytes, rss_bytes())
            stop.wait(interval)

    thread = threading.Thread(target=sample, daemon=True)
    start = time.perf_counter()
    thread.start()
    try:
        yield result
    finally:
        stop.set()
        thread.join()
        result.seconds = time.perf_counter() - start
        result.peak_bytes = max(result.peak_bytes, rss_bytes())
