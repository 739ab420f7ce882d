"""One WebSocket connection of the Roxom server: its account, subscriptions and bounded send queue."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

#: Messages a WebSocket client may fall behind before it is closed with 1011.
WS_QUEUE_SIZE = 4096


@dataclass(eq=False)
class _Connection:
    """One WebSocket connection: its account (None when unauthenticated), subscriptions and send queue."""

    conn_id: str
    account_id: int | None
    ws: web.WebSocketResponse
    request: web.Request
    stalled: Callable[[], bool]
    queue: asyncio.Queue[dict[str, Any] | None] = field(default_factory=lambda: asyncio.Queue(WS_QUEUE_SIZE))
    subscriptions: set[tuple[str, str | None]] = field(default_factory=set)
    closed: bool = False

    def send(self, message: dict[str, Any]) -> None:
        if self.closed or self.stalled():
            return  # a stall-stream fault loses the message, as a silent network would
        try:
            self.queue.put_nowait(message)
        except asyncio.QueueFull:
            self.closed = True  # the writer sees None next and closes with 1011
            with contextlib.suppress(asyncio.QueueFull):
                self.queue.get_nowait()
                self.queue.put_nowait(None)

