"""Ingest: order-events WebSocket frames → parsed → order state updated in the blotter, on one core.

The frames are real: the local exchange (child process) sends them over a real WebSocket to the console's
order-events client, which records each frame as received. The timed part then feeds those exact frames through
what the console does with a frame: ``FrameDecoder.feed`` (JSON, ``socket_sequence`` check, pydantic wire
models), ``console.venues.gemini.venue.stream_events`` (wire → domain conversion) and
``TradingSession._apply_batch`` (the blotter's state machine, status entries for fills and cancels). Socket reads
are left out so the figure is the console's own cost, not the exchange's.
"""

from __future__ import annotations

import asyncio
import time

from console.trading.session import TradingSession
from console.venues.gemini.auth import NonceSource
from console.venues.gemini.credentials import Credentials
from console.venues.gemini.order_events import FrameDecoder, OrderEventBatch, OrderEventsClient
from console.venues.gemini.rest import GeminiRestClient
from console.venues.gemini.venue import GeminiVenue, stream_events


async def capture_frames(exchange, ws_url: str, credentials: Credentials, *, orders: int, takers: int) -> list[str]:
    """Connect the console's order-events client and record the raw frames of ``orders`` placements and fills."""
    client = OrderEventsClient(ws_url, credentials, nonce=NonceSource())
    frames: list[str] = []
    async with await client.connect() as connection:
        ws = connection._ws  # the websockets connection: record what arrives before it is decoded
        original_recv = ws.recv

        async def recording_recv(*args, **kwargs):
            frame = await original_recv(*args, **kwargs)
            frames.append(frame)
            return frame

        ws.recv = recording_recv
        await connection.recv()  # subscription_ack
        expected = await asyncio.to_thread(exchange.seed, orders)
        events = await asyncio.to_thread(exchange.fills, takers, 3)
        total_events = 2 * expected + events
        received = 0
        while received < total_events:
            message = await connection.recv()
            if isinstance(message, OrderEventBatch):
                received += len(message.events)
    return frames


def replay_as_console(frames: list[str], credentials: Credentials) -> tuple[int, float]:
    """``replay`` with the console's garbage-collector policy in force (``console.app.heap.settle``, which the console
    applies once its blotter is first reconciled, i.e. before any steady stream), in a process of its own."""
    from console.app import heap

    heap.settle()
    return replay(frames, credentials)


def replay(frames: list[str], credentials: Credentials) -> tuple[int, float]:
    """Feed ``frames`` through a fresh decoder and session; return (events applied, seconds)."""
    # The clients are never used (nothing is sent): the venue only names the key and carries the clock.
    nonce = NonceSource()
    venue = GeminiVenue(GeminiRestClient("http://127.0.0.1:9", credentials, nonce=nonce),
                        OrderEventsClient("ws://127.0.0.1:9", credentials, nonce=nonce), api_key=credentials.api_key)
    session = TradingSession(venue)
    clock_ms = session.clock_ms
    decoder = FrameDecoder()
    events = 0
    start = time.perf_counter()
    for frame in frames:
        for message in decoder.feed(frame):
            if isinstance(message, OrderEventBatch):
                session._apply_batch(stream_events(message, clock_ms()))
                events += len(message.events)
    elapsed = time.perf_counter() - start
    return events, elapsed
