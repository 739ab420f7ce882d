"""The local exchange server's order events WebSocket: filters, per-socket queues and sequence numbers, the stream.

https://docs.gemini.com/websocket/archived/order-events
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import enum
import logging
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from aiohttp import WSCloseCode, WSMsgType, web

from console.exchange.engine import MatchingEngine
from console.exchange.faults import FaultPlan
from console.exchange.keys import ApiKey
from console.exchange.server.payload import _dumps, _error_response, _query_bool

__all__ = [
    "DEFAULT_WS_QUEUE_SIZE",
    "HEARTBEAT_DEFAULT",
    "ORDER_EVENTS_PATH",
    "SEND_EMPTY_INITIAL",
    "WS_CLOSE_TIMEOUT_S",
    "OrderEventsMixin",
]

log = logging.getLogger(__name__)

ORDER_EVENTS_PATH = "/v1/order/events"

# CHOICE: a master key on the order events WebSocket without "account" streams every sub-account of its group, each
# event carrying `account_name` (https://docs.gemini.com/websocket/archived/order-events); with "account" it streams
# that sub-account only.

# CHOICE: the order events `heartbeat` query parameter defaults to true. The archived page says false, the
# event-types page says true (https://docs.gemini.com/websocket/order-events/event-types); the filtering page
# (https://docs.gemini.com/websocket/order-events/filtering) says heartbeats cannot be filtered out
# and the response page promises "heartbeats every five seconds", so true is the more consistent reading.
HEARTBEAT_DEFAULT = True

# CHOICE: when the account has no active orders (or the filters remove them all), no `initial` array is sent at
# all, rather than an empty `[]`: order events are "one or more event objects"
# (https://docs.gemini.com/websocket/order-events/response), so an empty array would be
# a message the real venue never sends.
SEND_EMPTY_INITIAL = False

# CHOICE: messages waiting for one order events socket. A client that falls this far behind is closed with 1011
# (internal error) so it can never slow the engine down or grow memory without bound; the client's reconnect
# logic then resynchronises from the `initial` snapshot.
DEFAULT_WS_QUEUE_SIZE = 4096

# Close handshake timeout for server-initiated closes (seconds).
WS_CLOSE_TIMEOUT_S = 3.0


# -- order events connections ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Filters:
    """Parsed order events filters (https://docs.gemini.com/websocket/order-events/filtering); an empty tuple means "no
    filter"."""

    symbols: tuple[str, ...] = ()
    api_sessions: tuple[str, ...] = ()
    event_types: tuple[str, ...] = ()

    def wants_initial(self) -> bool:
        return not self.event_types or "initial" in self.event_types

    def keep(self, event: Mapping[str, Any]) -> bool:
        if self.symbols and str(event.get("symbol", "")).lower() not in self.symbols:
            return False
        if self.api_sessions and event.get("api_session") not in self.api_sessions:
            return False
        return not self.event_types or str(event.get("type", "")).lower() in self.event_types


class _Marker(enum.Enum):
    """A queue marker (a typed sentinel: the queue holds event batches or this)."""

    HEARTBEAT = "heartbeat"  # send a heartbeat now


_HEARTBEAT: Final = _Marker.HEARTBEAT


@dataclass(eq=False)
class _OrderEventsConnection:
    """One order events socket: its filters, its bounded outgoing queue and its counters."""

    ws: web.WebSocketResponse
    account_id: int
    filters: _Filters
    trace_id: str
    queue: asyncio.Queue[list[dict[str, Any]] | _Marker]
    socket_sequence: int = 0
    heartbeat_sequence: int = 0
    overflowed: bool = False
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    close_task: asyncio.Task[None] | None = None
    account_names: dict[int, str] | None = None  # master keys: sub-account id → nickname added as account_name
    faults: FaultPlan | None = None  # fault injection (console.exchange.faults); None = none
    transport: Any = None  # the TCP transport, for an abrupt close fault

    def offer(self, item: list[dict[str, Any]] | _Marker) -> None:
        """Queue ``item`` without blocking; on overflow, close the socket with 1011 (the engine never waits)."""
        if self.overflowed:
            return
        try:
            self.queue.put_nowait(item)
        except asyncio.QueueFull:
            self.overflowed = True
            log.warning(
                "order events client of account %s (trace %s) fell %d messages behind; closing it with 1011",
                self.account_id,
                self.trace_id,
                self.queue.maxsize,
            )
            for task in self.tasks:
                task.cancel()
            self.close_task = asyncio.get_running_loop().create_task(self._close_slow())

    async def _close_slow(self) -> None:
        with contextlib.suppress(Exception):
            await self.ws.close(code=WSCloseCode.INTERNAL_ERROR, message=b"client too slow: event queue overflow")

    async def send_events(self, events: list[dict[str, Any]]) -> None:
        """Send one JSON array; every event of it carries this message's ``socket_sequence``
        (https://docs.gemini.com/websocket/overview/sequence-numbers)."""
        if self.faults is None:
            seq = self.socket_sequence
            self.socket_sequence += 1
            await self.ws.send_str(_dumps([{**event, "socket_sequence": seq} for event in events]))
            return
        for batch in self.faults.outgoing(self, events):
            await self._send_bad_frame()
            seq = self.faults.sequence(self)
            await self.ws.send_str(_dumps([{**event, "socket_sequence": seq} for event in batch]))

    async def _send_bad_frame(self) -> None:
        faults = self.faults
        raw = faults.take_bad_frame() if faults is not None else None
        if faults is not None and raw is not None:
            if "{socket_sequence}" in raw:  # the frame takes the next number, so only its content is wrong
                raw = raw.replace("{socket_sequence}", str(faults.sequence(self)))
            await self.ws.send_str(raw)

    async def send_heartbeat(self, now_ms: int) -> None:
        """Send one heartbeat object: ``sequence`` counts heartbeats, ``socket_sequence`` counts messages."""
        if self.faults is not None and self.faults.heartbeats_stalled():
            return
        await self._send_bad_frame()
        if self.faults is not None:
            seq = self.faults.sequence(self)
        else:
            seq = self.socket_sequence
            self.socket_sequence += 1
        body = {
            "type": "heartbeat",
            "timestampms": now_ms,
            "sequence": self.heartbeat_sequence,
            "trace_id": self.trace_id,
            "socket_sequence": seq,
        }
        self.heartbeat_sequence += 1
        await self.ws.send_str(_dumps(body))


def _new_trace_id() -> str:
    """Return a 20-character lowercase base32 trace id like Gemini's ``"b8bk32clqeb13g9tk8p0"``."""
    return base64.b32hexencode(secrets.token_bytes(15)).decode("ascii").lower()[:20]


class OrderEventsMixin:
    """The order events WebSocket handler of :class:`~console.exchange.server.app.ExchangeServer` (which provides the
    attributes declared here)."""

    _engine: MatchingEngine
    _connections: dict[int, set[_OrderEventsConnection]]
    _ws_queue_size: int
    _heartbeat_interval_s: float
    _clock_ms: Callable[[], int]
    faults: FaultPlan
    _authenticate: Callable[[web.Request], tuple[ApiKey, dict[str, Any]]]

    def _on_engine_events(self, account_id: int, events: list[dict[str, Any]]) -> None:
        """Engine listener (synchronous): hand one batch to each subscribed socket of ``account_id``."""
        for conn in tuple(self._connections.get(account_id, ())):
            kept = [event for event in events if conn.filters.keep(event)]
            if kept and conn.account_names is not None:
                name = conn.account_names[account_id]
                kept = [{**event, "account_name": name} for event in kept]
            if kept:
                conn.offer(kept)

    async def _order_events(self, request: web.Request) -> web.StreamResponse:
        """``GET /v1/order/events``: authenticate the upgrade, then stream order events
        (https://docs.gemini.com/websocket/archived/order-events).

        Messages: the ``subscription_ack`` object; the ``initial`` array (unless filtered out or empty); then one
        array per engine batch (after filtering) interleaved with heartbeat objects. Authentication failures are
        plain HTTP error responses; no upgrade happens.
        """
        key, _payload = self._authenticate(request)
        filters = _Filters(
            symbols=tuple(s.lower() for s in request.query.getall("symbolFilter", [])),
            api_sessions=tuple(request.query.getall("apiSessionFilter", [])),
            event_types=tuple(t.lower() for t in request.query.getall("eventTypeFilter", [])),
        )
        heartbeat = _query_bool(request, "heartbeat", HEARTBEAT_DEFAULT)
        ws = web.WebSocketResponse(autoping=True, timeout=WS_CLOSE_TIMEOUT_S, heartbeat=None)
        if not ws.can_prepare(request).ok:
            # CHOICE: an authenticated plain GET (no upgrade headers) is a 400; reason EndpointNotFound as this URL
            # has no REST endpoint behind it.
            return _error_response(
                400, "EndpointNotFound", f"{ORDER_EVENTS_PATH} is a WebSocket endpoint: send an upgrade request"
            )
        await ws.prepare(request)

        trace_id = _new_trace_id()
        conn = _OrderEventsConnection(
            ws=ws,
            account_id=key.account_id,
            filters=filters,
            trace_id=trace_id,
            queue=asyncio.Queue(maxsize=self._ws_queue_size),
            account_names={aid: name for name, aid in key.accounts.items()} if key.is_master else None,
            faults=self.faults,
            transport=request.transport,
        )
        account_ids = list(conn.account_names) if conn.account_names is not None else [key.account_id]
        log.info("order events subscription %s for account %s (key %s)", trace_id, key.account_id, key.key)
        try:
            # Subscribe and take the snapshot with no await in between: every later engine batch queues after it.
            for account_id in account_ids:
                self._connections.setdefault(account_id, set()).add(conn)
            initial: list[dict[str, Any]] = []
            if filters.wants_initial():
                for account_id in account_ids:
                    events = [e for e in self._engine.initial_events(account_id) if filters.keep(e)]
                    if conn.account_names is not None:
                        events = [{**e, "account_name": conn.account_names[account_id]} for e in events]
                    initial.extend(events)
            await ws.send_str(
                _dumps(
                    {
                        "type": "subscription_ack",
                        "accountId": key.account_id,
                        "subscriptionId": f"ws-order-events-{key.account_id}-{trace_id}",
                        "symbolFilter": list(filters.symbols),
                        "apiSessionFilter": list(filters.api_sessions),
                        "eventTypeFilter": list(filters.event_types),
                    }
                )
            )
            if initial or SEND_EMPTY_INITIAL:
                await conn.send_events(initial)
            if not conn.overflowed:
                loop = asyncio.get_running_loop()
                conn.tasks.append(loop.create_task(self._write_loop(conn)))
                if heartbeat:
                    conn.tasks.append(loop.create_task(self._heartbeat_loop(conn)))
            async for msg in ws:  # reading answers pings (autoping) and notices the close
                if msg.type == WSMsgType.ERROR:
                    log.info("order events socket %s error: %s", trace_id, ws.exception())
        except ConnectionError as exc:  # the client went away mid-send
            log.info("order events socket %s dropped: %s", trace_id, exc)
        except Exception:
            log.exception("order events socket %s failed", trace_id)
            with contextlib.suppress(Exception):
                await ws.close(code=WSCloseCode.INTERNAL_ERROR, message=b"internal error")
        finally:
            for account_id in account_ids:
                self._connections.get(account_id, set()).discard(conn)
            for task in conn.tasks:
                task.cancel()
            for task in conn.tasks:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
            if conn.close_task is not None:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await conn.close_task
            if not ws.closed:
                with contextlib.suppress(Exception):
                    await ws.close()
            log.info("order events subscription %s closed (code %s)", trace_id, ws.close_code)
        return ws

    async def _write_loop(self, conn: _OrderEventsConnection) -> None:
        """Send queued batches and heartbeats in order, numbering each message
        (https://docs.gemini.com/websocket/overview/sequence-numbers).

        If a send fails the socket is closed (1011 unless the client is already gone), so a client never waits on a
        stream that silently stopped.
        """
        try:
            while True:
                item = await conn.queue.get()
                if item is _HEARTBEAT:
                    await conn.send_heartbeat(self._clock_ms())
                else:
                    await conn.send_events(item)
        except ConnectionError as exc:
            log.info("order events socket %s dropped: %s", conn.trace_id, exc)
        except Exception:
            log.exception("order events socket %s: sending failed", conn.trace_id)
            with contextlib.suppress(Exception):
                await conn.ws.close(code=WSCloseCode.INTERNAL_ERROR, message=b"internal error")

    async def _heartbeat_loop(self, conn: _OrderEventsConnection) -> None:
        """Queue a heartbeat every ``heartbeat_interval_s`` (through the same queue, so numbering stays in order)."""
        while True:
            await asyncio.sleep(self._heartbeat_interval_s)
            conn.offer(_HEARTBEAT)
