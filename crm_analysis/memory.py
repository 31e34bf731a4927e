"""Give memory back to the operating system after the big steps.

pandas 3 keeps text in Arrow buffers, allocated from pyarrow's own memory pool (mimalloc or
jemalloc). Such pools keep freed blocks for reuse, so after reading and cleaning millions of
rows a process can hold gigabytes it no longer uses, which then count against the next notebook
cell (and against a scheduler's memory limit). :func:`release_arrow_memory` asks the pool to
return them; it is cheap and safe to call at any time.
"""

from __future__ import annotations


def release_arrow_memory() -> None:
    """Return pyarrow's unused pooled memory to the operating system (no-op if unsupported)."""
    import pyarrow as pa

    pool = pa.default_memory_pool()
    release = getattr(pool, "release_unused", None)
    if release is not None:
        release()
