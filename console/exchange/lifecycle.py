"""How a local venue process runs until it is told to stop: SIGINT/SIGTERM, or its stdin closing.

Shared by ``trading-console exchange`` (``console.exchange.cli``) and ``--venue roxom``
(``console.exchange.roxom.cli``). ``--exit-with-stdin`` is how the console's child exchange dies with its parent:
the parent holds the pipe, and its end of file (the parent exited, even by SIGKILL) stops the venue.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
import threading

__all__ = ["stop_event"]


def stop_event(*, exit_with_stdin: bool) -> asyncio.Event:
    """An event set on SIGINT or SIGTERM, and (``exit_with_stdin``) once stdin reaches end of file.

    Call it from the running event loop. Signal handlers are skipped where the loop cannot install them (Windows,
    or not the main thread).
    """
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(signum, stop.set)
    if exit_with_stdin:
        _watch_stdin(loop, stop)
    return stop


def _watch_stdin(loop: asyncio.AbstractEventLoop, stop: asyncio.Event) -> None:
    """Start a daemon thread that sets ``stop`` once stdin reaches end of file."""

    def run() -> None:
        stream = sys.stdin.buffer if sys.stdin is not None else None
        try:
            while stream is not None and stream.read(4096):
                pass
        except (OSError, ValueError):
            pass
        loop.call_soon_threadsafe(stop.set)

    threading.Thread(target=run, name="exit-with-stdin", daemon=True).start()
