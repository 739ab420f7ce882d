"""Gemini as a ``console.trading.venue.Venue``: the REST client and the order events WebSocket behind domain types.

Every wire answer becomes a domain object here (through ``console.venues.gemini.convert``), so the trading session
never sees a Gemini model. The order events stream (https://docs.gemini.com/websocket/archived/order-events) maps to
the neutral stream messages: ``subscription_ack`` → ``StreamAck``, ``heartbeat`` → ``StreamHeartbeat``, an events
array → ``StreamEvents`` (with its ``socket_sequence``), a broken ``socket_sequence`` → ``StreamGap``, an unreadable
frame → ``StreamBadFrame`` (``lost_events`` when it may have been an events array).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from typing import Protocol

from console.domain.model import (
    CancelResult,
    Fill,
    Order,
    OrderEvent,
    StreamAck,
    StreamBadFrame,
    StreamEvents,
    StreamGap,
    StreamHeartbeat,
    StreamMessage,
    SymbolRules,
)
from console.domain.ticket import NewOrder
from console.util.clock import wall_clock_ms
from console.venues.gemini.auth import nonce_quoted_in
from console.venues.gemini.convert import event_from_wire, fill_from_my_trade, order_from_status, rules_from_details
from console.venues.gemini.errors import NonceError
from console.venues.gemini.models import CancelAllResponse, HeartbeatMessage, SubscriptionAck
from console.venues.gemini.order_events import OrderEventBatch, OrderEventsClient, SequenceGap
from console.venues.gemini.order_events import StreamMessage as WireMessage
from console.venues.gemini.rest import GeminiRestClient
from console.venues.gemini.tap import TappedOrderEvents

__all__ = ["MY_TRADES_LIMIT", "GeminiOrderEvents", "GeminiVenue", "stream_events", "stream_message"]

log = logging.getLogger(__name__)

#: Most trades one ``/v1/mytrades`` call returns (Gemini's maximum, https://docs.gemini.com/rest/orders#get-past-trades).
MY_TRADES_LIMIT = 500

_ACK = StreamAck()
_HEARTBEAT = StreamHeartbeat()


def stream_events(batch: OrderEventBatch, now_ms: int) -> StreamEvents:
    """Convert one events array (``OrderEventsConnection``'s ``OrderEventBatch``) to ``StreamEvents``.

    Args:
        batch: the validated wire events of one message and its ``socket_sequence``.
        now_ms: ``updated_ms`` of the converted orders (ms since the epoch).

    Returns:
        The domain events in order (events of a type the console does not know are left out); an event that
        cannot be converted is logged, counted in ``unreadable`` and left out, the rest kept.
    """
    events: list[OrderEvent] = []
    unreadable = 0
    sequence = batch.socket_sequence
    for wire in batch.events:
        try:
            event = event_from_wire(wire, sequence, updated_ms=now_ms)
        except (ValueError, TypeError, ArithmeticError) as exc:
            log.warning("order event %s not convertible: %s", getattr(wire, "event_id", None), exc)
            unreadable += 1
            continue
        if event is not None:
            events.append(event)
    return StreamEvents(events, sequence, unreadable)


def stream_message(message: WireMessage, now_ms: int) -> StreamMessage:
    """Convert one order events item (``console.venues.gemini.order_events.StreamMessage``) to its domain message.

    Args:
        message: what ``OrderEventsConnection.recv`` returned.
        now_ms: ``updated_ms`` of the converted events (ms since the epoch).
    """
    if isinstance(message, OrderEventBatch):
        return stream_events(message, now_ms)
    if isinstance(message, HeartbeatMessage):
        return _HEARTBEAT
    if isinstance(message, SubscriptionAck):
        return _ACK
    if isinstance(message, SequenceGap):
        return StreamGap(message.expected, message.received)
    # A BadFrame. An array, or text that is not JSON at all, may have carried order events; a bad object (a
    # heartbeat or an ack of an unknown shape) did not.
    lost = message.raw.lstrip().startswith("[") or message.reason == "invalid JSON"
    return StreamBadFrame(message.reason, lost)


def _cancel_result(result: CancelAllResponse) -> CancelResult:
    return CancelResult(tuple(str(i) for i in result.details.cancelledOrders),
                        tuple(str(i) for i in result.details.cancelRejects))


class _WireConnection(Protocol):
    """An open order events connection: ``OrderEventsConnection``, or the journal's tapped wrapper of one."""

    async def recv(self) -> WireMessage: ...

    def abort(self) -> None: ...

    async def close(self) -> None: ...


class GeminiOrderEvents:
    """One open order events connection, yielding domain stream messages (``console.trading.venue.OrderEventStream``).

    Args:
        connection: the open WebSocket connection.
        clock_ms: stamps ``updated_ms`` of the converted events (ms since the epoch).
    """

    def __init__(self, connection: _WireConnection, clock_ms: Callable[[], int]) -> None:
        self.connection = connection
        self._clock_ms = clock_ms

    async def recv(self) -> StreamMessage:
        """The next message, converted.

        Raises:
            StreamClosed: the connection closed (``.code`` 1006: dropped without a close frame).
        """
        return stream_message(await self.connection.recv(), self._clock_ms())

    def abort(self) -> None:
        """Drop the TCP connection without a closing handshake."""
        self.connection.abort()

    async def close(self) -> None:
        """Close the WebSocket normally."""
        await self.connection.close()


class GeminiVenue:
    """Gemini's REST API and order events WebSocket as one ``Venue`` (``console.trading.venue``).

    Args:
        rest: the REST client (the venue closes it).
        order_events: the order events WebSocket client (or its journal tap), sharing ``rest``'s nonce source.
        api_key: the key both clients sign with; Gemini names it as ``api_session`` on the orders placed with it.
        clock_ms: stamps ``updated_ms`` of the orders of ``open_orders`` and of stream events (ms since the epoch);
            pass the session's clock.
        replay_window_ms: how long a delayed copy of a signed request may still be executed (ms): 0 for a key with
            a counter nonce (a later request's greater nonce invalidates the copy), 30 000 for a key with a
            time-based nonce (accepted within ±30 s, https://docs.gemini.com/authentication/api-key).

    Attributes:
        rest / order_events: the clients, for what the venue interface does not cover yet (account views,
            reference prices, tests).
    """

    name = "Gemini"

    def __init__(self, rest: GeminiRestClient, order_events: OrderEventsClient | TappedOrderEvents, *,
                 api_key: str, clock_ms: Callable[[], int] = wall_clock_ms, replay_window_ms: int = 0) -> None:
        self.rest = rest
        self.replay_window_ms = replay_window_ms
        self.order_events = order_events
        self.clock_ms = clock_ms
        self.api_session = api_key

    def __repr__(self) -> str:
        return f"GeminiVenue(rest={self.rest!r}, order_events={self.order_events!r})"

    @property
    def on_rate_limited(self) -> Callable[[str, float], None] | None:
        """Called with ``(path, pause_s)`` when Gemini answers 429 (the REST client's hook)."""
        return self.rest.on_rate_limited

    @on_rate_limited.setter
    def on_rate_limited(self, callback: Callable[[str, float], None] | None) -> None:
        self.rest.on_rate_limited = callback

    async def symbol_rules(self, symbols: Sequence[str]) -> dict[str, SymbolRules]:
        """``/v1/symbols/details/:symbol`` for each symbol, concurrently."""
        details = await asyncio.gather(*(self.rest.symbol_details(s) for s in symbols))
        return {rules.symbol: rules for rules in map(rules_from_details, details)}

    async def place(self, order: NewOrder) -> Order:
        """``/v1/order/new`` once, with the order's client order id."""
        status = await self.rest.new_order(
            symbol=order.symbol,
            side=order.side,
            amount=order.amount,
            price=order.price,
            order_type=order.order_type,
            stop_price=order.stop_price,
            options=order.options,
            client_order_id=order.client_order_id,
        )
        return order_from_status(status)

    async def cancel(self, order_id: str) -> Order:
        """``/v1/order/cancel``."""
        return order_from_status(await self.rest.cancel_order(order_id))

    async def cancel_session(self) -> CancelResult:
        """``/v1/order/cancel/session``: the orders of this API key."""
        return _cancel_result(await self.rest.cancel_session())

    async def cancel_all(self) -> CancelResult:
        """``/v1/order/cancel/all``: every order of the account, all sessions and the web UI."""
        return _cancel_result(await self.rest.cancel_all())

    async def order_status(self, *, order_id: str | None = None, client_order_id: str | None = None) -> Order:
        """``/v1/order/status`` by order id or client order id."""
        return order_from_status(await self.rest.order_status(order_id=order_id, client_order_id=client_order_id))

    async def open_orders(self) -> list[Order]:
        """``/v1/orders``, stamped with the time of receipt."""
        active = await self.rest.active_orders()
        now = self.clock_ms()
        return [order_from_status(status, updated_ms=now) for status in active]

    async def fills_since(self, since_ms: int) -> list[Fill]:
        """``/v1/mytrades`` from ``since_ms`` (at most ``MY_TRADES_LIMIT``), oldest first (by time, then trade id)."""
        trades = await self.rest.my_trades(timestamp=since_ms, limit_trades=MY_TRADES_LIMIT)
        return [fill_from_my_trade(trade) for trade in sorted(trades, key=lambda t: (t.timestampms, t.tid))]

    async def connect_order_events(self) -> GeminiOrderEvents:
        """Open ``/v1/order/events`` (signed handshake).

        An ``InvalidNonce`` refusal whose message quotes a nonce (the venue saw a later one, e.g. from another
        process of the same key) advances this key's nonce source past it before the error is raised, so the
        session's next attempt signs with a nonce the venue accepts.

        Raises:
            NonceError / AuthenticationError / PermissionDenied / ApiError: the upgrade was refused.
            TransportError: the connection failed.
        """
        try:
            connection = await self.order_events.connect()
        except NonceError as exc:
            quoted = nonce_quoted_in(exc.message)
            if quoted is not None:
                self.rest.nonce.advance_to(quoted)
            raise
        return GeminiOrderEvents(connection, self.clock_ms)

    async def heartbeat(self) -> None:
        """``POST /v1/heartbeat``: Gemini cancels a Require-Heartbeat key's orders after 30 s without an authenticated
        call (https://docs.gemini.com/rest/orders#heartbeat)."""
        await self.rest.heartbeat()

    async def close(self) -> None:
        """Close the REST client (the WebSocket connections are closed by their users)."""
        await self.rest.close()
