"""Observe what goes over the wire without touching the clients: an httpx transport and an order-events wrapper.

Both call observers with ``(direction, path, data)``:

- ``("request", "/v1/order/new", {"method": "POST", "api_key": "account-…ab12", "payload": {...}})``: the decoded
  ``X-GEMINI-PAYLOAD`` (request, nonce, order fields: nothing secret), the API key masked; the signature and the
  secret are never passed on.
- ``("response", "/v1/order/new", {"status": 200, "body": "..."})`` and
  ``("error", path, {"error": "ConnectTimeout"})``.
- ``("event", "/v1/order/events", {...one order event as received...})``.

An observer that raises is logged and ignored: watching must never break trading.

An observer that only needs some order events says so with a ``wants_event(kind, order_id, client_order_id)``
method (:class:`EventInterest`): the tap converts an event to its dict and calls observers only when one wants it,
so an observer with nothing to do costs no conversion (the latency figure's observer wants only the events of
orders it is timing, none of a busy stream's other orders).
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import time
from collections.abc import Callable, Generator, Sequence
from typing import Any, Protocol, runtime_checkable

import httpx

from console.util.redact import SECRET_KEYS, mask_key, redact
from console.venues.gemini.order_events import OrderEventBatch, OrderEventsClient

log = logging.getLogger(__name__)

#: ``(direction, path, data)``; direction is "request", "response", "error" or "event".
Observer = Callable[[str, str, dict[str, Any]], None]

# SECRET_KEYS (the keys removed from any payload before an observer sees it) and redact are venue-neutral: they
# live in console.util.redact and are re-exported here.
__all__ = ["SECRET_KEYS", "EventInterest", "LatencyObserver", "Observer", "TapTransport", "TappedOrderEvents",
           "EventObservers", "latency_observer", "redact"]


@runtime_checkable
class EventInterest(Protocol):
    """An observer that wants only some order events (the others are neither converted nor passed to it)."""

    def wants_event(self, kind: str, order_id: str, client_order_id: str | None) -> bool:
        """Whether the order event ``kind`` (``"accepted"``, ``"fill"``…) of this order is to be passed on."""
        ...


class EventObservers:
    """Which observers to tell of each order event: every one without :class:`EventInterest`, and those with it
    that want the event. Sorted once (a protocol check costs microseconds), asked per event.

    Args:
        observers: the observers, in the order they are told.
    """

    def __init__(self, observers: Sequence[Observer]) -> None:
        self._observers = list(observers)
        self._entries = [(observer, observer.wants_event if isinstance(observer, EventInterest) else None)
                         for observer in self._observers]
        self._all = all(wants is None for _, wants in self._entries)

    def __bool__(self) -> bool:
        return bool(self._observers)

    def for_event(self, kind: str, order_id: str, client_order_id: str | None) -> list[Observer]:
        """The observers to tell of the order event ``kind`` of this order, in order; empty: convert nothing."""
        if self._all:
            return self._observers
        return [observer for observer, wants in self._entries
                if wants is None or wants(kind, order_id, client_order_id)]


def _notify(observers: Sequence[Observer], direction: str, path: str, data: dict[str, Any]) -> None:
    for observer in observers:
        try:
            observer(direction, path, data)
        except Exception:  # noqa: BLE001 - an observer's bug must not stop an order
            log.exception("exchange observer failed on %s %s", direction, path)


def forwarded_to_loop(
    observers: Sequence[Observer], loop: Callable[[], asyncio.AbstractEventLoop | None]
) -> list[Observer]:
    """Observers for a transport running on another thread (the REST client's cancel lane): each call is handed to
    the event loop ``loop()`` returns (the console's; the journal and the latency tracker live there, and SQLite
    connections are bound to their thread) instead of running where the request is sent, so the cancel's bytes
    leave before any journaling. The data passed on carries ``lane_delay_ms``: how long (ms, monotonic) the call
    waited to reach that loop, so a latency observer can date the request when it was sent. Calls made while no loop
    is known, or after it closed, are dropped with a warning in the log.
    """

    def forward(observer: Observer) -> Observer:
        def call(direction: str, path: str, data: dict[str, Any]) -> None:
            target = loop()
            if target is None or target.is_closed():
                log.warning("no event loop for the %s observer of %s; dropped", direction, path)
                return
            queued_ns = time.monotonic_ns()

            def deliver() -> None:
                delay_ms = (time.monotonic_ns() - queued_ns) // 1_000_000
                _notify([observer], direction, path, {**data, "lane_delay_ms": delay_ms})

            try:
                target.call_soon_threadsafe(deliver)
            except RuntimeError:  # the loop closed in between
                log.warning("event loop closed; the %s observer of %s was dropped", direction, path)

        return call

    return [forward(observer) for observer in observers]


def _payload(request: httpx.Request) -> dict[str, Any]:
    encoded = request.headers.get("X-GEMINI-PAYLOAD")
    if encoded:
        try:
            payload: dict[str, Any] = redact(json.loads(base64.b64decode(encoded)))  # the signed JSON object
            return payload
        except (ValueError, TypeError):
            return {"undecodable_payload": True}
    return dict(request.url.params)


class TapTransport(httpx.AsyncBaseTransport):
    """An httpx transport that tells observers about every request and response, then passes them through.

    Args:
        observers: called in order for each request, response and transport error.
        inner: the real transport (default: ``httpx.AsyncHTTPTransport()``).
    """

    def __init__(self, observers: Sequence[Observer], inner: httpx.AsyncBaseTransport | None = None) -> None:
        self.observers = list(observers)
        self._inner = inner or httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        key = request.headers.get("X-GEMINI-APIKEY")
        _notify(self.observers, "request", path, {
            "method": request.method,
            "api_key": mask_key(key) if key else None,
            "payload": _payload(request),
        })
        try:
            response = await self._inner.handle_async_request(request)
            body = await response.aread()
        except Exception as exc:
            _notify(self.observers, "error", path, {"error": exc.__class__.__name__})
            raise
        _notify(self.observers, "response", path, {
            "status": response.status_code,
            "body": body.decode("utf-8", errors="replace"),
        })
        return response

    async def aclose(self) -> None:
        await self._inner.aclose()


class TappedOrderEvents:
    """Wraps an :class:`OrderEventsClient` so observers see every order event the session receives.

    Behaves like the client for the session: ``async with await tapped.connect() as connection`` and
    ``async for message in connection`` yield the same messages.
    """

    ORDER_EVENTS_PATH = "/v1/order/events"

    def __init__(self, client: OrderEventsClient, observers: Sequence[Observer]) -> None:
        self._client = client
        self.observers = list(observers)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    def connect(self) -> _TappedConnecting:
        """Open a connection (see :meth:`OrderEventsClient.connect`)."""
        return _TappedConnecting(self)


class _TappedConnecting:
    def __init__(self, tapped: TappedOrderEvents) -> None:
        self._tapped = tapped
        self._connection: _TappedConnection | None = None

    def __await__(self) -> Generator[Any, None, _TappedConnection]:
        return self._open().__await__()

    async def _open(self) -> _TappedConnection:
        inner = await self._tapped._client.connect()
        return _TappedConnection(inner, self._tapped.observers)

    async def __aenter__(self) -> _TappedConnection:
        self._connection = await self._open()
        return self._connection

    async def __aexit__(self, *exc: object) -> None:
        if self._connection is not None:
            await self._connection.close()


class _TappedConnection:
    def __init__(self, inner: Any, observers: Sequence[Observer]) -> None:
        self._inner = inner
        self._observers = EventObservers(observers)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def _seen(self, message: Any) -> Any:
        if isinstance(message, OrderEventBatch) and self._observers:
            observers = self._observers
            for event in message.events:
                told = observers.for_event(event.type, event.order_id, event.client_order_id)
                if not told:
                    continue  # nobody wants it: no conversion (most events of a busy stream, journal off)
                data = event.model_dump(mode="json", exclude_none=True)
                data["socket_sequence"] = message.socket_sequence
                _notify(told, "event", TappedOrderEvents.ORDER_EVENTS_PATH, data)
        return message

    async def recv(self) -> Any:
        return self._seen(await self._inner.recv())

    def __aiter__(self) -> _TappedConnection:
        return self

    async def __anext__(self) -> Any:
        return self._seen(await self._inner.__anext__())

    async def close(self) -> None:
        await self._inner.close()

    def abort(self) -> None:
        self._inner.abort()

    async def __aenter__(self) -> _TappedConnection:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._inner.close()


_NEW_PATHS = frozenset({"/v1/order/new", "/ws:order.place"})
_CANCEL_PATHS = frozenset({"/v1/order/cancel", "/ws:order.cancel"})


def latency_observer(tracker: Any, clock_ms: Callable[[], int]) -> LatencyObserver:
    """An observer that feeds a :class:`console.domain.latency.LatencyTracker` from the wire (see
    :class:`LatencyObserver`)."""
    return LatencyObserver(tracker, clock_ms)


_ACK_KINDS = frozenset({"accepted", "booked"})


class LatencyObserver:
    """An observer that feeds a :class:`console.domain.latency.LatencyTracker` from the wire.

    ``/v1/order/new`` requests start the clock by client order id, ``/v1/order/cancel`` by order id; the first
    of the REST answer or the ``accepted``/``booked`` event stops it (``cancelled`` for a cancel). The WebSocket API's
    ``order.place`` / ``order.cancel`` (paths ``/ws:order.place`` / ``/ws:order.cancel``, told by
    ``console.venues.gemini.ws_venue.GeminiWsVenue`` with the answer's ``orderId``/``clientOrderId``/``status``)
    count the same way, so the figure covers both APIs. Of the order events it wants only those that can stop a
    clock it started (:meth:`wants_event`), so a stream of other orders costs it nothing.

    Args:
        tracker: the :class:`console.domain.latency.LatencyTracker` (``awaits``, ``new_sent``, ``cancel_sent``,
            ``acknowledged``, ``cancelled``).
        clock_ms: the monotonic clock, ms.
    """

    def __init__(self, tracker: Any, clock_ms: Callable[[], int]) -> None:
        self.tracker = tracker
        self.clock_ms = clock_ms

    def wants_event(self, kind: str, order_id: str, client_order_id: str | None) -> bool:
        """An acknowledgement or a cancel of an order whose clock is running (:class:`EventInterest`)."""
        if kind not in _ACK_KINDS and kind != "cancelled":
            return False
        return bool(self.tracker.awaits(order_id=str(order_id), client_order_id=client_order_id))

    def __call__(self, direction: str, path: str, data: dict[str, Any]) -> None:
        tracker = self.tracker
        # A call forwarded from the cancel lane's thread says how long it waited for this loop (forwarded_to_loop).
        now = self.clock_ms() - int(data.get("lane_delay_ms", 0))
        if direction == "request":
            payload = data.get("payload") or {}
            if path in _NEW_PATHS and payload.get("client_order_id"):
                tracker.new_sent(str(payload["client_order_id"]), now)
            elif path in _CANCEL_PATHS and payload.get("order_id") is not None:
                tracker.cancel_sent(str(payload["order_id"]), now)
        elif direction == "response" and data.get("status") == 200 and path in _NEW_PATHS | _CANCEL_PATHS:
            try:
                body = json.loads(data.get("body") or "{}")
            except ValueError:
                return
            if not isinstance(body, dict):
                return
            if "orderId" in body:  # the WebSocket API's result (console.venues.gemini.models.ws_api.OrderResult)
                body = {"order_id": body["orderId"], "client_order_id": body.get("clientOrderId"),
                        "is_cancelled": body.get("status") == "CANCELED"}
            if "order_id" not in body:
                return
            if path in _NEW_PATHS:
                tracker.acknowledged(order_id=str(body["order_id"]), client_order_id=body.get("client_order_id"),
                                     now_ms=now)
            elif body.get("is_cancelled"):
                tracker.cancelled(order_id=str(body["order_id"]), now_ms=now)
        elif direction == "event":
            kind = data.get("type")
            if kind in _ACK_KINDS:
                tracker.acknowledged(order_id=str(data.get("order_id")), client_order_id=data.get("client_order_id"),
                                     now_ms=now)
            elif kind == "cancelled":
                tracker.cancelled(order_id=str(data.get("order_id")), now_ms=now)
