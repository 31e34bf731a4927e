"""Give memory back to the operating system after the big steps.

pandas 3 keeps text in Arrow buffers. Reading and cleaning millions of rows frees gigabytes of
intermediate buffers, but allocators keep freed blocks for reuse: pyarrow's own pool (mimalloc
or jemalloc) and, on Linux, the C library's per-thread arenas (pyarrow's reader and compute
threads allocate in their own). The process then holds memory it no longer uses, which counts
against the next step and against a scheduler's memory limit. :func:`release_memory` asks both
to return it (1M customers: about 1 GB after ``load_raw``); it is cheap and safe at any time.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools


@functools.cache
def _malloc_trim() -> object | None:
    """glibc's ``malloc_trim`` (None on other C libraries and systems)."""
    name = ctypes.util.find_library("c")
    if not name:
        return None
    try:
        return getattr(ctypes.CDLL(name), "malloc_trim", None)
    except OSError:
        return None


def release_memory() -> None:
    """Return pyarrow's pooled memory and the C heap's free pages to the operating system."""
    import pyarrow as pa

    release = getattr(pa.default_memory_pool(), "release_unused", None)
    if release is not None:
        release()
    trim = _malloc_trim()
    if trim is not None:
        trim(0)
