"""Process plumbing of a run: the kernel, the environment it is started with, and signals."""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from collections.abc import Iterator, Mapping
from typing import IO, Any

KERNEL_NAME = "python3"
"""The Jupyter kernel every notebook runs on (ipykernel of this environment)."""


@contextlib.contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """Turn SIGTERM into ``KeyboardInterrupt`` for the block (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def kernel_manager_class(output: IO[str] | None, env: Mapping[str, str] | None = None
                         ) -> type:
    """A kernel manager whose kernel process writes its stdout/stderr to ``output``, with ``env``.

    Keeps ipykernel's start-up warnings and shutdown noise out of the terminal (they go to
    ``run.log``); cell outputs are unaffected. ``env`` is added to this process's environment
    for the kernel only: the runner's own environment is never changed.
    """
    from jupyter_client.manager import AsyncKernelManager

    class RunKernelManager(AsyncKernelManager):
        async def start_kernel(self, **kw: Any) -> None:  # type: ignore[override]
            if output is not None:
                kw.setdefault("stdout", output)
                kw.setdefault("stderr", output)
            if env:
                kw["env"] = {**kw.get("env", os.environ), **env}
            await super().start_kernel(**kw)

    return RunKernelManager


def kernel_note() -> str | None:
    """A warning if kernel ``python3`` would not run this environment's Python."""
    try:
        from jupyter_client.kernelspec import KernelSpecManager

        spec = KernelSpecManager().get_kernel_spec(KERNEL_NAME)
    except Exception as exc:  # no such kernel: papermill will fail with its own message
        return f"kernel '{KERNEL_NAME}' not found ({exc}); install ipykernel in this environment"
    exe = spec.argv[0] if spec.argv else ""
    if exe in {"python", "python3", f"python3.{sys.version_info.minor}"}:
        return None  # jupyter_client substitutes sys.executable
    if os.path.abspath(exe) != os.path.abspath(sys.executable):
        return (
            f"warning: kernel '{KERNEL_NAME}' runs {exe}, not this environment's Python "
            f"{sys.executable} (kernelspec in {spec.resource_dir})"
        )
    return None
