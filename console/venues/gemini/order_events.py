"""Client of Gemini's order events WebSocket: signed upgrade, typed messages, ``socket_sequence`` checks.

https://docs.gemini.com/websocket/archived/order-events. After the upgrade Gemini sends a
``subscription_ack`` object, then the active orders as ``initial`` events, then arrays of order events
interspersed with ``heartbeat`` objects. Every message after the ack carries ``socket_sequence``: 0 for the first,
then +1 per message.

What the connection yields (``StreamMessage``):

* ``SubscriptionAck`` and ``HeartbeatMessage``: the wire models, as received.
* ``OrderEventBatch``: the order events of one JSON array (events of unknown ``type`` dropped, with a warning).
* ``SequenceGap(expected, received)``: the message just received does not follow the previous one (gap, repeat or
  reset). It is yielded *before* the message that revealed it, and checking then continues from that message,
  so one discontinuity gives one ``SequenceGap``. The stream is no longer complete: the caller decides what to do
  (normally reconnect and reconcile by REST). Gaps are never ignored silently.
* ``BadFrame(reason, raw)``: a frame that is not valid JSON, has an unknown shape, or fails validation (a decimal
  field ``""`` or ``"abc"``, a required field missing). It is also logged as a warning (frame cut to 200 chars).
  The iterator keeps going. When the bad frame still shows usable ``socket_sequence`` values they are counted,
  otherwise the next good message will also show up as a ``SequenceGap``.

Arrays: Gemini's samples give each event object its own ``socket_sequence``, and the docs say the counter
moves once per message. Both readings are accepted: an array whose events all carry the same number counts as
that one message; an array whose events carry consecutive numbers ``n, n+1, … n+k`` counts as spanning ``n..n+k``
(the next message must then be ``n+k+1``). Any other mix in one array is a ``BadFrame``.

Speed: an array frame is first parsed and validated in one pass by pydantic-core's JSON parser, strict (each
field only from its own JSON type, a decimal only from a string or an integer, see ``console.venues.gemini.models``).
Whenever that pass refuses anything (an unknown event type, a bad decimal, ``"true"`` for a bool, ``NaN``...) or
the frame breaks a sequence rule, the frame goes through the reference path (``json.loads`` with exact decimals,
then the lax Python mode, event by event), which gives the verdicts above. For any frame the fast pass takes,
both paths yield the same items.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import deque
from collections.abc import Generator, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from types import TracebackType
from typing import Any, Self, TypeGuard, TypeVar
from urllib.parse import urlencode

from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError
from websockets.asyncio.client import ClientConnection
from websockets.asyncio.client import connect as ws_connect
from websockets.exceptions import ConnectionClosed, ConnectionClosedOK, InvalidStatus, WebSocketException

from console.venues.gemini.auth import NonceSource, hold_until_sent, nonce_quoted_in, private_headers
from console.venues.gemini.credentials import Credentials
from console.venues.gemini.errors import NonceError, RequestTimeout, StreamClosed, TransportError, error_from_response
from console.venues.gemini.models import (
    ORDER_EVENT_TYPES,
    HeartbeatMessage,
    OrderEventWire,
    SubscriptionAck,
    validate_json_exact,
)
from console.venues.gemini.urls import ORDER_EVENTS_PATH, order_events_url

__all__ = [
    "BadFrame",
    "FrameDecoder",
    "HeartbeatMessage",
    "OrderEventBatch",
    "OrderEventWire",
    "OrderEventsClient",
    "OrderEventsConnection",
    "SequenceGap",
    "StreamMessage",
    "SubscriptionAck",
]

logger = logging.getLogger(__name__)

_Model = TypeVar("_Model", bound=BaseModel)

#: How much of a bad frame goes into the log line.
LOG_FRAME_CHARS = 200
#: Largest frame accepted (the ``initial`` array of a busy account can be big).
MAX_FRAME_BYTES = 16 * 1024 * 1024
#: Seconds allowed for the closing handshake before the TCP connection is dropped.
CLOSE_TIMEOUT_S = 2.0
#: Handshakes signed again at once after an ``InvalidNonce`` refusal (a REST call with a later nonce got there first).
NONCE_RESIGNS = 2


@dataclass(frozen=True, slots=True)
class OrderEventBatch:
    """The order events of one JSON array, in exchange order.

    Attributes:
        events: the validated events (events of an unknown ``type`` are left out).
        socket_sequence: the sequence number of the message (the first one, when the array's events carry
            consecutive numbers).
    """

    events: list[OrderEventWire]
    socket_sequence: int


@dataclass(frozen=True, slots=True)
class SequenceGap:
    """The message just received broke the ``socket_sequence`` count.

    Attributes:
        expected: the number the next message should have carried.
        received: the number it carried (lower than ``expected`` for a repeat or a reset to 0).
    """

    expected: int
    received: int


@dataclass(frozen=True, slots=True)
class BadFrame:
    """A frame that could not be understood; it was logged and skipped.

    Attributes:
        reason: what was wrong, e.g. ``"invalid JSON"`` or ``"fill.price: not a decimal string: ''"``.
        raw: the frame's text as received.
    """

    reason: str
    raw: str


StreamMessage = SubscriptionAck | HeartbeatMessage | OrderEventBatch | SequenceGap | BadFrame


#: The fast path: a whole order events array in one pass of pydantic-core's JSON parser. Only the keys' strings are
#: cached (``cache_strings``): the values (order, event and client order ids, prices) are mostly new every time, and
#: looking each one up in the parser's string cache cost more than it saved.
_EVENT_ARRAY: TypeAdapter[list[OrderEventWire]] = TypeAdapter(
    list[OrderEventWire], config=ConfigDict(cache_strings="keys")
)


def _validation_summary(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors()[:3]:
        loc = ".".join(str(p) for p in err["loc"]) or "<root>"
        parts.append(f"{loc}: {err['msg']}")
    return "; ".join(parts)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"invalid JSON constant {name}")


def _is_int(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


class FrameDecoder:
    """Turns raw order-events frames into ``StreamMessage`` items and checks ``socket_sequence``.

    Pure and synchronous (no I/O), one per connection: the counter starts at 0.

    Args:
        fast: try the one-pass strict parse of an events array first (module docstring); False keeps to the
            reference path only (what the fast pass is tested against).
    """

    def __init__(self, *, fast: bool = True) -> None:
        self._expected = 0
        self._fast = fast

    @property
    def expected_sequence(self) -> int:
        """The ``socket_sequence`` the next message should carry."""
        return self._expected

    def feed(self, frame: str | bytes) -> list[StreamMessage]:
        """Decode one frame into zero or more items (a ``SequenceGap`` comes before the message showing it)."""
        raw = frame.decode("utf-8", errors="replace") if isinstance(frame, bytes | bytearray) else frame
        if self._fast and raw.startswith("["):
            items = self._feed_array_fast(raw)
            if items is not None:
                return items
        try:
            data = json.loads(raw, parse_float=Decimal, parse_constant=_reject_constant)
        except ValueError:
            return [self._bad("invalid JSON", raw)]
        if isinstance(data, list):
            return self._feed_array(data, raw)
        if isinstance(data, dict):
            return self._feed_object(data, raw)
        return [self._bad(f"unexpected JSON {type(data).__name__}", raw)]

    # -- internals --

    def _bad(self, reason: str, raw: str) -> BadFrame:
        logger.warning("order events: bad frame (%s): %.*s", reason, LOG_FRAME_CHARS, raw)
        return BadFrame(reason=reason, raw=raw)

    def _advance(self, first: int, last: int) -> list[StreamMessage]:
        items: list[StreamMessage] = []
        if first != self._expected:
            logger.warning("order events: socket_sequence gap: expected %d, received %d", self._expected, first)
            items.append(SequenceGap(expected=self._expected, received=first))
        self._expected = last + 1
        return items

    def _validate(self, model: type[_Model], data: dict[str, Any], raw: str) -> _Model | BadFrame:
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            return self._bad(f"invalid {data.get('type')}: {_validation_summary(exc)}", raw)

    def _feed_array_fast(self, raw: str) -> list[StreamMessage] | None:
        """The items of a well-formed events array in one JSON pass, or None to take the reference path."""
        events = validate_json_exact(_EVENT_ARRAY, raw)
        if not events:
            return None
        first = events[0].socket_sequence
        last = events[-1].socket_sequence
        if len(events) > 1:  # one number for all, or n, n+1, ... n+k (module docstring)
            expected = first
            step = 0 if last == first else 1
            for event in events:
                if event.socket_sequence != expected:
                    return None  # inconsistent numbers: the reference path says why
                expected += step
        items = self._advance(first, last)
        items.append(OrderEventBatch(events=events, socket_sequence=first))
        return items

    def _feed_object(self, data: dict[str, Any], raw: str) -> list[StreamMessage]:
        kind = data.get("type")
        if kind == "subscription_ack":
            return [self._validate(SubscriptionAck, data, raw)]
        if kind == "heartbeat":
            sequence = data.get("socket_sequence")
            if not _is_int(sequence):
                return [self._bad("heartbeat without an integer socket_sequence", raw)]
            items = self._advance(sequence, sequence)
            items.append(self._validate(HeartbeatMessage, data, raw))
            return items
        if data.get("result") == "error":
            return [self._bad(f"error message: {data.get('reason')}: {data.get('message')}", raw)]
        # Still a message of the stream: its number counts, so skipping it does not look like a gap.
        sequence = data.get("socket_sequence")
        items = self._advance(sequence, sequence) if _is_int(sequence) else []
        if kind in ORDER_EVENT_TYPES:
            return [*items, self._bad(f"{kind} event outside an array", raw)]
        return [*items, self._bad(f"unknown message type {str(kind)[:40]!r}", raw)]

    def _feed_array(self, data: list[Any], raw: str) -> list[StreamMessage]:
        if not data:
            return [self._bad("empty array", raw)]
        sequences: list[int] = []
        for index, item in enumerate(data):
            if not isinstance(item, dict):
                return [self._bad(f"array element {index} is not an object", raw)]
            sequence = item.get("socket_sequence")
            if not _is_int(sequence):
                return [self._bad(f"event {index} without an integer socket_sequence", raw)]
            sequences.append(sequence)
        first = sequences[0]
        if all(s == first for s in sequences):
            last = first
        elif sequences == list(range(first, first + len(sequences))):
            last = sequences[-1]
        else:
            return [self._bad(f"inconsistent socket_sequence values in one array: {sequences[:10]}", raw)]
        items = self._advance(first, last)
        events: list[OrderEventWire] = []
        for item in data:
            kind = item.get("type")
            if kind not in ORDER_EVENT_TYPES:
                logger.warning(
                    "order events: skipped event of unknown type %r (order %r)",
                    str(kind)[:40],
                    str(item.get("order_id"))[:40],
                )
                continue
            result = self._validate(OrderEventWire, item, raw)
            if isinstance(result, BadFrame):
                items.append(result)
                return items
            events.append(result)
        if events:
            items.append(OrderEventBatch(events=events, socket_sequence=first))
        return items


class OrderEventsConnection:
    """One open order events WebSocket, yielding ``StreamMessage`` items.

    Use ``await conn.recv()`` or ``async for message in conn``. Iteration ends when the connection closes
    normally (close code 1000/1001, or ``close()`` was called); any other close raises ``StreamClosed``.
    Also an async context manager that closes the socket on exit.
    """

    def __init__(self, websocket: ClientConnection) -> None:
        self._ws = websocket
        self._decoder = FrameDecoder()
        self._pending: deque[StreamMessage] = deque()

    @property
    def expected_sequence(self) -> int:
        """The ``socket_sequence`` the next message should carry."""
        return self._decoder.expected_sequence

    async def recv(self) -> StreamMessage:
        """Return the next item.

        Raises:
            StreamClosed: the connection closed (normally or not); ``.code`` tells which.
        """
        while not self._pending:
            try:
                frame = await self._ws.recv()
            except ConnectionClosed as exc:
                code = exc.rcvd.code if exc.rcvd is not None else 1006
                reason = exc.rcvd.reason if exc.rcvd is not None else ""
                raise StreamClosed(code, reason) from exc
            self._pending.extend(self._decoder.feed(frame))
        return self._pending.popleft()

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> StreamMessage:
        try:
            return await self.recv()
        except StreamClosed as exc:
            if isinstance(exc.__cause__, ConnectionClosedOK) or exc.code in (1000, 1001):
                raise StopAsyncIteration from None
            raise

    async def close(self) -> None:
        """Close the WebSocket (normal closure) and wait for the closing handshake (bounded by its close timeout)."""
        await self._ws.close()

    def abort(self) -> None:
        """Drop the TCP connection at once, without a closing handshake (for a stream that went silent)."""
        self._ws.transport.abort()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()


class _Connecting:
    """What ``OrderEventsClient.connect()`` returns: await it, or use it as an async context manager."""

    def __init__(self, client: OrderEventsClient) -> None:
        self._client = client
        self._connection: OrderEventsConnection | None = None

    def __await__(self) -> Generator[Any, None, OrderEventsConnection]:
        return self._client._open().__await__()

    async def __aenter__(self) -> OrderEventsConnection:
        self._connection = await self._client._open()
        return self._connection

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._connection is not None:
            await self._connection.close()


class OrderEventsClient:
    """Opens order events connections for one API key.

    The upgrade request is signed like a private REST call with payload
    ``{"request": "/v1/order/events", "nonce": n}``; the query string (filters) is not part of ``request``.
    Each filter value becomes one repeated query parameter, e.g.
    ``/v1/order/events?symbolFilter=btcusd&symbolFilter=ethbtc&eventTypeFilter=fill&heartbeat=true``
    (https://docs.gemini.com/websocket/order-events/filtering). ``heartbeat`` is always sent explicitly because
    the docs disagree on its default.

    Args:
        ws_base_url: e.g. ``"wss://api.gemini.com"``.
        credentials: key needing the Trader or Auditor role.
        nonce: the key's nonce source, shared with the REST client of the same key.
        symbol_filter: e.g. ``("btcusd",)``; empty = all symbols.
        api_session_filter: API keys, or ``"UI"`` for website orders; empty = all sessions.
        event_type_filter: e.g. ``("initial", "fill")``; leave out ``initial`` and the active orders are not sent.
        heartbeat: ask for a heartbeat every five seconds.
        open_timeout: seconds allowed for TCP + TLS + upgrade.
    """

    def __init__(
        self,
        ws_base_url: str,
        credentials: Credentials,
        *,
        nonce: NonceSource,
        symbol_filter: Sequence[str] = (),
        api_session_filter: Sequence[str] = (),
        event_type_filter: Sequence[str] = (),
        heartbeat: bool = True,
        open_timeout: float = 10,
    ) -> None:
        self._base = ws_base_url
        self._credentials = credentials
        self._nonce = nonce
        self._symbol_filter = tuple(symbol_filter)
        self._api_session_filter = tuple(api_session_filter)
        self._event_type_filter = tuple(event_type_filter)
        self._heartbeat = heartbeat
        self._open_timeout = open_timeout

    def __repr__(self) -> str:
        return f"OrderEventsClient(url={self.url!r}, api_key={self._credentials.masked_key!r})"

    @property
    def url(self) -> str:
        """The full URL with its query string."""
        params: list[tuple[str, str]] = []
        params += _repeat("symbolFilter", self._symbol_filter)
        params += _repeat("apiSessionFilter", self._api_session_filter)
        params += _repeat("eventTypeFilter", self._event_type_filter)
        params.append(("heartbeat", "true" if self._heartbeat else "false"))
        return f"{order_events_url(self._base)}?{urlencode(params)}"

    def connect(self) -> _Connecting:
        """Open a connection: ``conn = await client.connect()`` or ``async with client.connect() as conn``.

        Returns:
            An ``OrderEventsConnection`` once the server answered ``101 Switching Protocols``.

        Raises:
            AuthenticationError / NonceError / PermissionDenied / ApiError: the upgrade was refused (HTTP 400/403
                with Gemini's JSON error body, mapped by ``error_from_response``).
            RequestTimeout: no upgrade within ``open_timeout`` seconds.
            TransportError: the connection failed.
        """
        return _Connecting(self)

    async def _open(self) -> OrderEventsConnection:
        for resign in range(NONCE_RESIGNS + 1):
            try:
                return await self._open_once()
            except NonceError as exc:
                if resign == NONCE_RESIGNS or exc.reason != "InvalidNonce":
                    raise
                # The upgrade was refused unexecuted: a request with a later nonce reached the venue first (the
                # handshake does not hold the ordering lock while it waits, see _open_once). Sign again at once.
                self._nonce.advance_to(nonce_quoted_in(exc.message) or 0)
                logger.warning("order events: InvalidNonce on the upgrade; signed again with a fresh nonce")
        raise AssertionError("unreachable")  # pragma: no cover

    async def _open_once(self) -> OrderEventsConnection:
        url = self.url
        try:
            # A fresh nonce per handshake, signed under the key's ordering lock, which is released as soon as the
            # upgrade has left (or after auth.HANDOFF_BOUND_S), never for the whole handshake: a handshake into a
            # black hole waits out its open timeout, and every REST call of the key, cancels above all, would wait
            # with it. If a later REST nonce overtakes this one, the venue refuses the upgrade with InvalidNonce
            # and _open signs it again.
            async with self._nonce.ordered():
                payload = {"request": ORDER_EVENTS_PATH, "nonce": self._nonce.next()}
                headers = private_headers(self._credentials, payload)
                task = asyncio.ensure_future(ws_connect(
                    url,
                    additional_headers=headers,
                    open_timeout=self._open_timeout,
                    close_timeout=CLOSE_TIMEOUT_S,
                    max_size=MAX_FRAME_BYTES,
                ))
                await hold_until_sent(task, None)
            try:
                websocket = await task
            except BaseException:
                task.cancel()
                raise
        except InvalidStatus as exc:
            response = exc.response
            raise error_from_response(response.status_code, response.body or b"") from exc
        except TimeoutError as exc:
            raise RequestTimeout(f"order events: no upgrade within {self._open_timeout} s") from exc
        except (OSError, WebSocketException) as exc:
            raise TransportError(f"order events: connect failed: {type(exc).__name__}: {exc}") from exc
        logger.info("order events: connected to %s", url)
        return OrderEventsConnection(websocket)


def _repeat(name: str, values: Iterable[str]) -> list[tuple[str, str]]:
    return [(name, value) for value in values]
