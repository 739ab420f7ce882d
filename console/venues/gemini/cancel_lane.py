"""The cancel lane: cancels sent from a thread and a connection pool of their own, ahead of any other work."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable

import httpx

logger = logging.getLogger(__name__)

__all__ = ["CANCEL_PATHS"]

#: The cancel endpoints: they go out at once on their own connection pool (see ``GeminiRestClient``).
CANCEL_PATHS = frozenset({"/v1/order/cancel", "/v1/order/cancel/session", "/v1/order/cancel/all"})


class _CancelLane:
    """Sends cancels from a thread with an event loop of its own, on a connection pool of its own.

    On the console's event loop a cancel's bytes leave only when the loop gets to them: after whatever runs first
    (the screen repainting after a modal closes, a burst of stream events), which can take longer than the whole
    budget of a cancel. Here the request is handed to another thread at once and written there; Python switches
    threads at least every few milliseconds (``sys.getswitchinterval``), so the console's work cannot hold it.
    The answer comes back to the caller's loop as an ordinary awaitable. The thread is started by the client's
    first private call (:meth:`start`; building an ``httpx.AsyncClient`` takes a while, which a cancel must not
    wait for) and stops with :meth:`close`.

    Args:
        make_client: builds the lane's ``httpx.AsyncClient`` (called on the lane's thread).
    """

    def __init__(self, make_client: Callable[[], httpx.AsyncClient]) -> None:
        self._make_client = make_client
        self._start_lock = threading.Lock()
        self._ready = threading.Event()
        self._closed = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._client: httpx.AsyncClient | None = None

    def start(self) -> threading.Event:
        """Start the lane's thread unless it runs already; returns the event set once it can send.

        Raises:
            RuntimeError: the lane was closed (as httpx does for a closed client).
        """
        with self._start_lock:
            if self._closed:
                raise RuntimeError("Cannot send a request, as the cancel lane has been closed.")
            if self._thread is None:
                self._ready = threading.Event()
                loop = asyncio.new_event_loop()
                ready = self._ready

                def run() -> None:
                    asyncio.set_event_loop(loop)
                    client = self._make_client()
                    self._client, self._loop = client, loop
                    ready.set()
                    loop.create_task(self._warm_up(client))
                    loop.run_forever()

                self._thread = threading.Thread(target=run, name="cancel-lane", daemon=True)
                self._thread.start()
            return self._ready

    @staticmethod
    async def _warm_up(client: httpx.AsyncClient) -> None:
        """Pay the lane's one-time costs when it starts, not on the first cancel: its loop's resolver thread.

        Resolves the venue's host (as the first connection would). No request is sent. A failure is only logged.
        """
        url = client.base_url
        try:
            await asyncio.get_running_loop().getaddrinfo(url.host, url.port or (443 if url.scheme == "https" else 80))
        except OSError as exc:
            logger.debug("cancel lane warm-up failed: %s", type(exc).__name__)

    def _started(self) -> tuple[asyncio.AbstractEventLoop, httpx.AsyncClient]:
        self.start().wait()
        if self._loop is None or self._client is None:
            raise RuntimeError("the cancel lane is closed")
        return self._loop, self._client

    async def send(self, request: httpx.Request) -> httpx.Response:
        """Send ``request`` from the lane's thread and return its (fully read) response; raises what httpx raises."""
        loop, client = self._started()
        future = asyncio.run_coroutine_threadsafe(client.send(request), loop)
        return await asyncio.wrap_future(future)  # cancelling the caller cancels the send on the lane too

    async def close(self) -> None:
        """Close the lane's pool and stop its thread (nothing to do if it never started); it cannot start again."""
        with self._start_lock:
            self._closed = True
            thread = self._thread
            if thread is not None:
                self._ready.wait()
            loop, client = self._loop, self._client
            self._loop = self._thread = self._client = None
        if loop is None or thread is None or client is None:
            return
        async def shutdown() -> None:  # on the lane: nothing left pending (a warm-up into a black hole)
            pending = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
            await client.aclose()

        await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(shutdown(), loop))
        loop.call_soon_threadsafe(loop.stop)
        await asyncio.to_thread(thread.join, 5.0)
        if not thread.is_alive():
            loop.close()
