"""Roxom as a ``console.trading.venue.Venue``: the REST client and the ``orders`` WebSocket channel behind domain types.

Every wire answer becomes a domain object here (through ``console.venues.roxom.convert``). What Roxom does
differently from Gemini, and how this adapter meets the interface:

* **Order ids** are UUID v7 strings; every order carries the console's client order id. Roxom has no lookup by
  client order id, so ``order_status(client_order_id=…)`` searches the order list with ``includeClosed=true``: an
  ambiguous place is settled that way and never re-sent.
* **Cancel** answers ``{"success": true}`` and the order goes ``pendingcancel`` (it can still fill) before
  ``cancelled``: ``cancel`` returns the order in ``PENDING_CANCEL``. A refusal because the order already ended
  (409 ``Order cannot be cancelled``) is not an error: ``cancel`` returns the order as it is (filled, cancelled…).
* **No session cancel**: Roxom's ``cancel-all`` cancels every order of the account. ``cancel_session`` therefore
  cancels, one by one, the open orders this adapter placed (by order id or client order id); ``cancel_all`` is
  Roxom's ``cancel-all``. ``api_session`` is the key id, put on orders this adapter placed; others get
  ``"other"`` (Roxom does not say which key placed an order, so orders of an earlier run count as "other").
* **The stream** (``orders`` channel, https://docs.roxom.com/reference/websockets/account-updates/orders) has no
  sequence numbers (``StreamEvents.sequence`` is None) and updates may be partial: each is merged into the order
  this adapter last knew. The subscribe acknowledgement is ``StreamAck`` (the session reconciles then); a pong or
  any other message is ``StreamHeartbeat``; an unreadable frame, a partial update of an unknown order or an error
  frame is doubt, and the session reconciles over REST (open orders, order by id, the transaction log).
* **Fills** come from the transaction log (cursor paging, a walk that cannot loop), with the stream's trade ids.
* **Prices** leave the adapter at their instrument's tick decimals (:class:`~console.venues.roxom.convert.PriceTicks`;
  the wire writes 8): the instruments are read once, before the first order list, order or stream.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Callable, Sequence
from decimal import Decimal

from pydantic import ValidationError as PydanticValidationError

from console.domain.errors import VenueError
from console.domain.model import (
    CancelResult,
    ExecOption,
    Fill,
    Order,
    OrderState,
    OrderType,
    StreamAck,
    StreamBadFrame,
    StreamEvents,
    StreamHeartbeat,
    StreamMessage,
    SymbolRules,
)
from console.domain.positions import VenuePosition
from console.domain.ticket import NewOrder
from console.util.clock import wall_clock_ms
from console.venues.roxom.convert import (
    OTHER_SESSION,
    PriceTicks,
    event_from_update,
    fills_from_log,
    order_from_rest,
    rules_from_instrument,
    venue_position,
    wire_symbol,
)
from console.venues.roxom.errors import ApiError, AuthenticationError, CannotCancel, OrderNotFound, ValidationError
from console.venues.roxom.models import OrderUpdate
from console.venues.roxom.models import Position as WirePosition
from console.venues.roxom.rest import RoxomRestClient
from console.venues.roxom.ws import (
    WS_AUTH_FAILED,
    AccountMessage,
    BadFrame,
    MarketMessage,
    Pong,
    RoxomWsClient,
    RoxomWsConnection,
    Subscribed,
    WsError,
)

__all__ = ["KNOWN_ORDERS_LIMIT", "RoxomOrderEvents", "RoxomVenue"]

log = logging.getLogger(__name__)

#: Orders the adapter remembers for merging partial updates (the oldest ended ones are forgotten first).
KNOWN_ORDERS_LIMIT = 20_000

_ACK = StreamAck()
_HEARTBEAT = StreamHeartbeat()


class RoxomOrderEvents:
    """One open ``orders`` stream, yielding domain stream messages (``console.trading.venue.OrderEventStream``).

    Args:
        connection: the open, subscribed WebSocket connection.
        venue: the adapter whose known orders the updates are merged into.
    """

    def __init__(self, connection: RoxomWsConnection, venue: RoxomVenue) -> None:
        self.connection = connection
        self._venue = venue
        self._acked = False

    async def recv(self) -> StreamMessage:
        """The next message, converted.

        Raises:
            StreamClosed: the connection closed (``.code`` 1006: dropped without a close frame).
            AuthenticationError: the venue refused the connection's authentication (error ``600010``).
            ApiError: the venue refused the ``orders`` subscription.
        """
        message = await self.connection.recv()
        if isinstance(message, OrderUpdate):
            return self._venue.stream_update(message)
        if isinstance(message, AccountMessage) and message.type in ("position", "positions"):
            self._venue.position_message(message.data)
            return _HEARTBEAT
        if isinstance(message, (Pong, AccountMessage, MarketMessage)):
            return _HEARTBEAT
        if isinstance(message, Subscribed):
            if message.channel == "orders" and message.event == "subscribe":
                if not message.success:
                    raise ApiError("SubscribeRefused", "the orders subscription was refused")
                self._acked = True
                return _ACK
            return _HEARTBEAT
        if isinstance(message, WsError):
            if message.code == WS_AUTH_FAILED:
                raise AuthenticationError(message.msg or "Authentication failed", message.code, 401)
            if not self._acked:  # the subscription may be what failed: never wait for an ack that will not come
                raise ApiError(f"WebSocket error {message.code}", message.msg)
            log.warning("Roxom WebSocket error %s: %s", message.code, message.msg)
            return StreamBadFrame(f"error {message.code}: {message.msg}", lost_events=False)
        assert isinstance(message, BadFrame)
        return StreamBadFrame(message.reason, lost_events=message.maybe_order)

    def abort(self) -> None:
        """Drop the TCP connection without a closing handshake."""
        self.connection.abort()

    async def close(self) -> None:
        """Close the WebSocket normally."""
        await self.connection.close()


class RoxomVenue:
    """Roxom's REST API and ``orders`` WebSocket channel as one ``Venue`` (``console.trading.venue``).

    Args:
        rest: the REST client (the venue closes it).
        ws: the WebSocket client (same key).
        api_key: the key id both sign with; ``api_session`` of the orders this adapter places.
        clock_ms: stamps ``updated_ms`` of orders from ``open_orders`` and the stream (ms since the epoch).
    """

    name = "Roxom"

    def __init__(self, rest: RoxomRestClient, ws: RoxomWsClient, *, api_key: str,
                 clock_ms: Callable[[], int] = wall_clock_ms) -> None:
        self.rest = rest
        self.ws = ws
        self.api_session = api_key
        self.clock_ms = clock_ms
        self.on_rate_limited: Callable[[str, float], None] | None = None
        self._known: OrderedDict[str, Order] = OrderedDict()
        self._placed_ids: set[str] = set()
        self._placed_cids: set[str] = set()
        self._rules: dict[str, SymbolRules] = {}
        #: The instruments' ticks; the market feed and the quotes share them (``console.app.wiring``).
        self.ticks = PriceTicks()
        #: Called with each position the venue pushes (``position`` account messages on the orders connection).
        self.position_listeners: list[Callable[[VenuePosition], None]] = []

    def __repr__(self) -> str:
        return f"RoxomVenue(rest={self.rest!r}, ws={self.ws!r})"

    # -- what the adapter knows ------------------------------------------------------------------------------------
    def _session_of(self, order_id: str, client_order_id: str | None) -> str:
        mine = order_id in self._placed_ids or (client_order_id is not None and client_order_id in self._placed_cids)
        return self.api_session if mine else OTHER_SESSION

    def known(self, order_id: str) -> Order | None:
        """The order as the adapter last knew it (from a REST answer or the stream), or None."""
        return self._known.get(order_id)

    def _remember(self, order: Order) -> Order:
        if not order.order_id:
            return order
        self._known[order.order_id] = order
        self._known.move_to_end(order.order_id)
        while len(self._known) > KNOWN_ORDERS_LIMIT:
            self._known.popitem(last=False)
        return order

    def stream_update(self, update: OrderUpdate) -> StreamEvents:
        """Merge one ``orders`` update into the known order; the event as ``StreamEvents`` (no sequence number).

        A partial update of an order never seen, or an unknown status, is logged and counted ``unreadable``: the
        session then reconciles over REST.
        """
        if self.rest.observers:  # the journal: what the stream said, as received
            self.rest.tell("event", "/ws:orders", update.model_dump(mode="json", exclude_none=True))
        known = self._known.get(update.orderId)
        try:
            event = event_from_update(update, known, api_session=self._session_of(update.orderId, update.clientOrderId),
                                      updated_ms=self.clock_ms())
        except ValueError as exc:
            log.warning("Roxom order update not applied: %s", exc)
            return StreamEvents([], None, 1)
        # The event's order carries no fills (the blotter keeps its own); what the adapter remembers keeps them.
        fills = known.fills if known is not None else ()
        if event.fill is not None:
            fills += (event.fill,)
        event = self.ticks.event(event)
        order = event.order.evolve(fills=fills) if fills else event.order
        self._remember(order)
        return StreamEvents([event], None, 0)

    def position_message(self, data: object) -> None:
        """A pushed ``position`` account message (one position or a list, the REST element's shape): each one to
        :attr:`position_listeners`; an unreadable one is logged and skipped (the next reload has the venue's word)."""
        items = data if isinstance(data, list) else [data]
        for item in items:
            try:
                position = venue_position(WirePosition.model_validate(item), self.ticks)
            except (PydanticValidationError, ValueError) as exc:
                log.warning("Roxom position message skipped: %s", exc)
                continue
            for listener in self.position_listeners:
                listener(position)

    async def positions(self, symbols: Sequence[str]) -> list[VenuePosition]:
        """``GET /api/v1/positions`` for each of ``symbols`` (Roxom requires the symbol), open positions only."""
        await self.load_ticks()
        answers = await asyncio.gather(*(self.rest.positions(wire_symbol(s)) for s in symbols))
        held = [venue_position(p, self.ticks) for data in answers for p in data.positions]
        return [p for p in held if p.net]

    # -- the Venue interface ---------------------------------------------------------------------------------------
    async def symbol_rules(self, symbols: Sequence[str]) -> dict[str, SymbolRules]:
        """``GET /api/v1/market/instruments``: tick (``tickSize``), step, minimum size of each of ``symbols``
        (lowercase, e.g. ``"gold-btc"``); a symbol the venue does not list is left out."""
        if not self._rules or any(s.lower() not in self._rules for s in symbols):
            self._rules = {rules.symbol: rules for rules in map(rules_from_instrument, await self.rest.instruments())}
            self.ticks.learn(self._rules.values())
        return {s.lower(): self._rules[s.lower()] for s in symbols if s.lower() in self._rules}

    async def load_ticks(self) -> None:
        """Read the instruments' ticks once (public ``GET /api/v1/market/instruments``); a failure is logged and the
        prices stay as sent until a later call succeeds (a display matter: never worth failing an order call)."""
        if self.ticks:
            return
        try:
            await self.symbol_rules(())
        except VenueError as exc:
            log.warning("Roxom instruments not read (prices shown as sent): %s", exc)

    async def place(self, order: NewOrder) -> Order:
        """``POST /api/v1/orders`` once, with the order's client order id; returns it ``ACCEPTED`` (Roxom answers the
        order id only; the stream says what became of it).

        Raises:
            ValidationError: refused (tick, step, size, band, notional), or an option Roxom lacks (fill-or-kill).
            TransportError / ServerError: outcome unknown: the session settles it by client order id.
        """
        if ExecOption.FILL_OR_KILL in order.options:
            raise ValidationError("Unsupported option", "Roxom has no fill-or-kill orders", 400)
        post_only = ExecOption.MAKER_OR_CANCEL in order.options
        tif = "ioc" if ExecOption.IMMEDIATE_OR_CANCEL in order.options else "gtc"
        stop = order.order_type is OrderType.STOP_LIMIT
        self._placed_cids.add(order.client_order_id)
        order_id = await self.rest.place_order(
            symbol=wire_symbol(order.symbol), side=order.side.value, order_type="stoplimit" if stop else "limit",
            qty=order.amount, px=order.price, trigger_px=order.stop_price if stop else None, time_in_force=tif,
            post_only=post_only, client_order_id=order.client_order_id)
        self._placed_ids.add(order_id)
        known = self._known.get(order_id)
        if known is not None:  # the stream was faster than the answer
            return known
        return self.ticks.order(Order(
            order_id=order_id, client_order_id=order.client_order_id, symbol=order.symbol, side=order.side,
            order_type=order.order_type, price=order.price, amount=order.amount, stop_price=order.stop_price,
            options=order.options, remaining=order.amount, state=OrderState.ACCEPTED, api_session=self.api_session,
            created_ms=self.clock_ms(), venue_type="stoplimit" if stop else "limit",
        ))

    async def cancel(self, order_id: str) -> Order:
        """``POST /api/v1/orders/{orderId}/cancel``: the order in ``PENDING_CANCEL`` (it can still fill until the
        stream says ``cancelled``). An order that already ended is returned as it is (Roxom's 409 is no error).

        Raises:
            OrderNotFound: the venue has no such order.
            VenueError: refused, or lost (``outcome_unknown``; cancelling again is safe).
        """
        try:
            await self.rest.cancel_order(order_id)
        except CannotCancel as exc:
            log.info("order %s cannot be cancelled: %s", order_id, exc.message)
            return await self.order_status(order_id=order_id)
        known = self._known.get(order_id)
        if known is None:
            known = await self.order_status(order_id=order_id)
        if known.state.is_terminal:
            return known
        return self._remember(known.evolve(state=OrderState.PENDING_CANCEL, updated_ms=0))

    async def cancel_session(self) -> CancelResult:
        """Cancel this console's open orders, one ``/cancel`` each (Roxom has no session cancel; see the module).

        The open orders are read from the venue (``GET /api/v1/orders``), so an order whose stream update was lost
        is still found; those placed by this adapter (order id or client order id) are cancelled concurrently.
        """
        open_orders = await self.open_orders()
        mine = [o.order_id for o in open_orders if o.api_session == self.api_session]
        return await self._cancel_each(mine)

    async def _cancel_each(self, order_ids: Sequence[str]) -> CancelResult:
        results = await asyncio.gather(*(self.cancel(oid) for oid in order_ids), return_exceptions=True)
        cancelled: list[str] = []
        rejected: list[str] = []
        lost: VenueError | None = None
        for order_id, result in zip(order_ids, results, strict=True):
            if isinstance(result, Order):
                ended = result.state in (OrderState.PENDING_CANCEL, OrderState.CANCELLED)
                (cancelled if ended else rejected).append(order_id)
            elif isinstance(result, VenueError):
                rejected.append(order_id)
                if result.outcome_unknown and lost is None:
                    lost = result
            else:
                raise result
        if lost is not None:
            raise lost  # some may have been cancelled: the session reconciles
        return CancelResult(tuple(cancelled), tuple(rejected))

    async def cancel_all(self) -> CancelResult:
        """``POST /api/v1/orders/cancel-all``: every open order of the account (whoever placed it)."""
        ids = await self.rest.cancel_all()
        for order_id in ids:
            known = self._known.get(order_id)
            if known is not None and not known.state.is_terminal:
                self._remember(known.evolve(state=OrderState.PENDING_CANCEL))
        return CancelResult(tuple(ids), ())

    async def order_status(self, *, order_id: str | None = None, client_order_id: str | None = None) -> Order:
        """``GET /api/v1/orders/{orderId}``; by client order id, the order list with ``includeClosed=true``.

        Raises:
            OrderNotFound: no such order (for a client order id: it was never placed, or is older than the venue
                keeps closed orders).
        """
        if (order_id is None) == (client_order_id is None):
            raise ValueError("give exactly one of order_id and client_order_id")
        if order_id is None:
            for wire in await self.rest.orders(include_closed=True):
                if wire.clientOrderId == client_order_id:
                    order_id = wire.id
                    break
            else:
                raise OrderNotFound("Order not found", f"no order with client order id {client_order_id}", 404)
        await self.load_ticks()
        detail = await self.rest.order(order_id)
        wire = detail.order
        order = order_from_rest(wire, api_session=self._session_of(wire.id, wire.clientOrderId), fills=detail.fills)
        return self._remember(self._kept_fills(self.ticks.order(order)))

    def _kept_fills(self, order: Order) -> Order:
        known = self._known.get(order.order_id)
        if known is not None and not order.fills and known.fills:
            return order.evolve(fills=known.fills)
        return order

    async def open_orders(self) -> list[Order]:
        """``GET /api/v1/orders?instType=perpetual``, stamped with the time of receipt."""
        await self.load_ticks()
        wires = await self.rest.orders()
        now = self.clock_ms()
        return [
            self._remember(self._kept_fills(self.ticks.order(
                order_from_rest(w, api_session=self._session_of(w.id, w.clientOrderId), updated_ms=now))))
            for w in wires
        ]

    async def fills_since(self, since_ms: int) -> list[Fill]:
        """The transaction log's fills from ``since_ms`` to now (all pages), oldest first, with the stream's trade ids
        (each order's executed amount is read with ``order_status`` to number them)."""
        entries = await self.rest.transaction_log(from_ms=since_ms)
        order_ids = sorted({e.orderId for e in entries if e.is_fill and e.orderId})
        orders = await asyncio.gather(*(self.order_status(order_id=oid) for oid in order_ids),
                                      return_exceptions=True)
        executed: dict[str, Decimal] = {}
        cids: dict[str, str | None] = {}
        for oid, result in zip(order_ids, orders, strict=True):
            if isinstance(result, Order):
                executed[oid] = result.filled
                cids[oid] = result.client_order_id
            elif not isinstance(result, OrderNotFound):
                assert isinstance(result, BaseException)
                raise result
        return [self.ticks.fill(f) for f in fills_from_log(entries, executed, cids)]

    async def connect_order_events(self) -> RoxomOrderEvents:
        """Open ``/ws`` (signed handshake ``GET:/ws``) and subscribe to ``orders``.

        Raises:
            AuthenticationError: the key or signature was refused (halts trading).
            TransportError: the connection failed.
        """
        await self.load_ticks()
        connection = await self.ws.connect()
        try:
            await connection.subscribe("orders")
        except BaseException:
            connection.abort()
            raise
        return RoxomOrderEvents(connection, self)

    async def heartbeat(self) -> None:
        """Nothing: Roxom has no dead-man heartbeat (the stream's ping/pong keeps the connection alive)."""

    async def close(self) -> None:
        """Close the REST client (stream connections are closed by their users)."""
        await self.rest.close()
