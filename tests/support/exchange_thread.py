"""Run the local exchange in a background thread with its own event loop (real loopback sockets).

Snapshot tests run the app with ``App.run()``, which owns its own loop, so the exchange cannot share it.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from console.exchange.server.app import ExchangeServer

T = TypeVar("T")


class ExchangeThread:
    """An :class:`ExchangeServer` serving from a daemon thread.

    Args:
        kwargs: passed to :class:`ExchangeServer` (e.g. ``port``, ``simulator``, ``clock_ms``).
        paused: pause the simulator's steps before it starts, so the book holds still (snapshots).
    """

    def __init__(self, *, paused: bool = True, **kwargs: Any) -> None:
        self._kwargs = kwargs
        self._paused = paused
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="local-exchange", daemon=True)
        self.server: ExchangeServer | None = None

    def start(self) -> ExchangeThread:
        self._thread.start()

        async def boot() -> ExchangeServer:
            server = ExchangeServer(**self._kwargs)
            if self._paused:
                server.pause_simulation()
            await server.start()
            return server

        self.server = self.run(boot())
        return self

    def run(self, coro, timeout: float = 10.0):
        """Run a coroutine on the exchange's loop and return its result."""
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout)

    def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Call a plain function on the exchange's loop (e.g. an engine method) and return its result."""
        future: concurrent.futures.Future[T] = concurrent.futures.Future()

        def target() -> None:
            try:
                future.set_result(fn(*args, **kwargs))
            except BaseException as exc:  # noqa: BLE001 - handed to the caller
                future.set_exception(exc)

        self._loop.call_soon_threadsafe(target)
        return future.result(10.0)

    def stop(self) -> None:
        if self.server is not None:
            self.run(self.server.stop())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10.0)
        self._loop.close()

    def __enter__(self) -> ExchangeThread:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
