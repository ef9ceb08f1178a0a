"""Memory handed back between the stages of one process."""

from __future__ import annotations

import contextlib
import ctypes
import gc


def release_memory() -> None:
    """Hand the memory of the last stage's frames back to the system.

    pandas frees a stage's frames, but glibc keeps the freed pages in the process's
    heap; with every stage in one process (Dagster in-process, the benchmarks) a
    million-child sync carried gigabytes of finished stages into the next.
    """
    gc.collect()
    with contextlib.suppress(OSError, AttributeError):  # not glibc: nothing to hand back this way
        ctypes.CDLL("libc.so.6").malloc_trim(0)
