"""Gemini's new WebSocket API as a ``console.trading.venue.Venue``: order entry and order events over one socket.

https://docs.gemini.com/websocket/introduction. One authenticated socket (``wss://ws.gemini.com``; the local
exchange's ``ws_api_url``) carries ``order.place``, ``order.cancel``, ``order.cancel_all``, ``order.cancel_session``
and the ``orders@account`` stream (every session's orders of the account); the venue opens it in
``connect_order_events`` and places through the socket the session's stream runs on, so with
``cancelOnDisconnect=true`` a dropped link cancels this session's orders at the venue at once.

What the new API lacks is asked over REST (the same key, a time-based nonce): symbol rules, order status (there is no
order-status method: an ``order.place`` whose answer is lost is settled by client order id over ``/v1/order/status``
or by the stream, never re-sent), open orders and fills for reconciliation after every reconnect. Cancels fall back
to REST while the socket is down, so a cancel always leaves.

The order stream maps to the neutral stream messages: the confirmed ``subscribe`` → ``StreamAck`` (the session
reconciles over REST there); each order update → ``StreamEvents`` (the new API numbers nothing: ``sequence`` None);
balance updates and answered keep-alive pings → ``StreamHeartbeat`` (the new API pushes no heartbeat: after
``keepalive_s`` of silence the stream sends ``ping``, so a dead link is noticed by the session's watchdog); the
socket closing → ``StreamClosed`` with its close code.

Order updates (``X``, https://docs.gemini.com/websocket/introduction, "Order Events") become events:
``NEW`` → accepted, ``OPEN`` → booked, ``PARTIALLY_FILLED`` / ``FILLED`` → fill (``Z`` is that fill's quantity, ``L``
its price, ``t`` its trade id), ``CANCELED`` → cancelled (``r`` the reason), ``REJECTED`` → rejected (``r``),
``MODIFIED`` → left out. Fields an update omits (``CANCELED`` carries no price or quantity) come from what the venue
already knows of the order, or from ``/v1/order/status``. The stream names no fee or liquidity: each fill's fee and
liquidity are read from ``/v1/mytrades`` (by trade id); only if that fails is the fee shown as 0 and the liquidity
inferred (maker when the order had rested, ``OPEN``, before; else taker), and the failure logged.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from console.domain.model import (
    CancelResult,
    EventKind,
    Fill,
    Liquidity,
    Order,
    OrderEvent,
    OrderState,
    OrderType,
    Side,
    StreamAck,
    StreamEvents,
    StreamHeartbeat,
    StreamMessage,
    SymbolRules,
)
from console.domain.ticket import NewOrder
from console.util.clock import wall_clock_ms
from console.venues.gemini.convert import fill_from_my_trade, order_from_status, rules_from_details
from console.venues.gemini.credentials import Credentials
from console.venues.gemini.errors import (
    GeminiError,
    StreamClosed,
)
from console.venues.gemini.models.ws_api import BalanceUpdate, OrderResult, OrderUpdate
from console.venues.gemini.rest import GeminiRestClient
from console.venues.gemini.tap import EventObservers, Observer
from console.venues.gemini.venue import MY_TRADES_LIMIT
from console.venues.gemini.ws_api import WsApiClient, WsApiDisconnected, WsApiError, WsApiRequestTimeout
from console.venues.gemini.ws_convert import (
    EVENT_KINDS,
    TIME_IN_FORCE,
    NotConnected,
    WsRateLimited,
    available_from_update,
    cancel_result,
    order_from_result,
    state_of,
    venue_error,
)

__all__ = [
    "BALANCE_STREAM",
    "ORDER_STREAM",
    "REPLAY_WINDOW_MS",
    "GeminiWsOrderEvents",
    "GeminiWsVenue",
    "NotConnected",
    "WsRateLimited",
    "order_from_result",
    "venue_error",
]

log = logging.getLogger(__name__)

#: The stream the venue subscribes: every order of the account, all sessions (the session's own are marked).
ORDER_STREAM = "orders@account"
#: The account's available balances, pushed as they change (only the assets that changed), on the same socket.
BALANCE_STREAM = "balances@account"
#: The paths observers are told for order requests (as the local exchange's faults name them).
PLACE_PATH = "/ws:order.place"
CANCEL_PATH = "/ws:order.cancel"
#: A time-based nonce is accepted within ±30 s of Gemini's clock (https://docs.gemini.com/websocket/introduction,
#: "Authentication"): a signed request delivered late may still be executed up to this long after it was signed (ms).
REPLAY_WINDOW_MS = 30_000
#: Told the available balances pushed (upper-case currency → amount), None when pushes may have been missed
#: (``console.trading.venue_account.BalancesListener``).
BalancesListener = Callable[[Mapping[str, Decimal] | None], None]

class GeminiWsOrderEvents:
    """The ``orders@account`` stream of one connection, as domain stream messages
    (``console.trading.venue.OrderEventStream``).

    Args:
        venue: the venue that opened it (converts updates with what it knows of each order).
        api: the open, subscribed connection.
        keepalive_s: silence after which a ``ping`` proves the link alive (seconds).
    """

    def __init__(self, venue: GeminiWsVenue, api: WsApiClient, keepalive_s: float) -> None:
        self._venue = venue
        self._api = api
        self._keepalive_s = keepalive_s
        self._acked = False

    async def recv(self) -> StreamMessage:
        """The next message: ``StreamAck`` first, then events and heartbeats.

        Raises:
            StreamClosed: the socket closed (``.code`` its close code; 1006 when it dropped), or a keep-alive ping
                went unanswered (the socket is then aborted, code 1006).
        """
        if not self._acked:
            self._acked = True
            return StreamAck()
        while True:
            try:
                message = await self._api.next_message(timeout_s=self._keepalive_s)
            except TimeoutError:
                try:
                    await self._api.request("ping", timeout_s=self._keepalive_s)
                except (WsApiRequestTimeout, WsApiDisconnected, WsApiError):
                    self._api.abort()
                    raise StreamClosed(1006, "keep-alive ping unanswered") from None
                return StreamHeartbeat()
            except WsApiDisconnected:
                raise StreamClosed(self._api.close_code, self._api.close_reason) from None
            if isinstance(message, BalanceUpdate):
                self._venue.push_balances(message)
                return StreamHeartbeat()  # the link is alive
            if not isinstance(message, OrderUpdate):
                return StreamHeartbeat()  # market data: the link is alive
            try:
                events = await self._venue.events_from_update(message)
            except (GeminiError, ValueError, ArithmeticError) as exc:
                log.warning("order update of %s not convertible: %s", message.order_id, exc)
                return StreamEvents([], None, unreadable=1)
            if events:
                return StreamEvents(events, None)

    def abort(self) -> None:
        """Drop the TCP connection without a close frame."""
        self._api.abort()

    async def close(self) -> None:
        """Close the socket normally."""
        await self._api.close()


class GeminiWsVenue:
    """Gemini's new WebSocket API (order entry, ``orders@account``) plus REST (status, reconciliation) as one
    ``Venue`` (``console.trading.venue``).

    Args:
        rest: the REST client of the same key (time-based nonce; the venue closes it).
        url: the new API's URL, e.g. ``"wss://ws.gemini.com"`` or the local exchange's ``ws_api_url``.
        credentials: a key created with "Uses a time based nonce" and the Trader role.
        cancel_on_disconnect: ask the venue to cancel the orders placed over the socket when it drops (the
            dead-man behaviour of the new API).
        request_timeout_s: time to wait for an answer (seconds); past it a place's outcome is unknown.
        open_timeout_s: time allowed for the handshake (seconds).
        keepalive_s: silence on the stream after which a ``ping`` is sent (seconds).
        clock_ms: stamps ``updated_ms`` (ms since the epoch); pass the session's clock.
        clock_s: Unix seconds for the handshake's nonce (injectable for tests).
        observers: told ``(direction, path, data)`` about each order request (path ``"/ws:order.place"`` /
            ``"/ws:order.cancel"``; data ``{"payload": params}``), its answer (``{"status": 200, "body": json}``) or
            error (``{"error": text}``) and each order update (``"event"``, the update's fields plus ``"type"``, the
            event kind): the journal and the latency figures (``console.venues.gemini.tap.latency_observer``).
        replay_window_ms: how long an ``order.place`` whose answer was lost may still be executed (ms; default the
            30 s of the time-based nonce: the new API documents no bound of its own, so the console waits as long
            as for a signed REST request); tests scale it down.

    Attributes:
        replay_window_ms: how long after sending an order whose answer was lost the venue may still execute it
            (the time-based nonce window): the session keeps such an order UNKNOWN at least that long.
        rest: the REST client.
    """

    name = "Gemini"

    def __init__(
        self,
        rest: GeminiRestClient,
        url: str,
        credentials: Credentials,
        *,
        cancel_on_disconnect: bool = False,
        request_timeout_s: float = 5.0,
        open_timeout_s: float = 5.0,
        keepalive_s: float = 3.0,
        clock_ms: Callable[[], int] = wall_clock_ms,
        clock_s: Callable[[], float] = time.time,
        observers: Sequence[Observer] = (),
        replay_window_ms: int = REPLAY_WINDOW_MS,
    ) -> None:
        self.rest = rest
        self.replay_window_ms = replay_window_ms
        self._observers = tuple(observers)
        # Which observers want each order update (the latency figure wants only its own orders' acks and cancels):
        # an update nobody wants is not converted for them.
        self._event_observers = EventObservers(self._observers)
        self.url = url
        self.api_session = credentials.api_key
        self.cancel_on_disconnect = cancel_on_disconnect
        self.clock_ms = clock_ms
        self._credentials = credentials
        self._request_timeout_s = request_timeout_s
        self._open_timeout_s = open_timeout_s
        self._keepalive_s = keepalive_s
        self._clock_s = clock_s
        self._api: WsApiClient | None = None
        #: What the venue knows of each order (by order id): fills the fields an order update leaves out.
        self._known: dict[str, Order] = {}
        #: Client order ids placed through this venue: their updates are marked with ``api_session``.
        self._own: set[str] = set()
        #: Recent trades of the account from ``/v1/mytrades`` by trade id (fee and liquidity of stream fills).
        self._trades: dict[str, Fill] = {}
        #: Told the balances ``balances@account`` pushes (the account views); see :meth:`push_balances`.
        self.balances_listener: BalancesListener | None = None
        self._subscribed_once = False

    def __repr__(self) -> str:
        return f"GeminiWsVenue(url={self.url!r}, cancel_on_disconnect={self.cancel_on_disconnect})"

    @property
    def on_rate_limited(self) -> Callable[[str, float], None] | None:
        """Called with ``(path, pause_s)`` when the REST side is throttled (the REST client's hook)."""
        return self.rest.on_rate_limited

    @on_rate_limited.setter
    def on_rate_limited(self, callback: Callable[[str, float], None] | None) -> None:
        self.rest.on_rate_limited = callback

    @property
    def connected(self) -> bool:
        """True while the order socket is open."""
        return self._api is not None and self._api.connected

    # -- reference data ------------------------------------------------------------------------------------------
    async def symbol_rules(self, symbols: Sequence[str]) -> dict[str, SymbolRules]:
        """``/v1/symbols/details/:symbol`` for each symbol, concurrently (REST)."""
        details = await asyncio.gather(*(self.rest.symbol_details(s) for s in symbols))
        return {rules.symbol: rules for rules in map(rules_from_details, details)}

    # -- order entry ---------------------------------------------------------------------------------------------
    def _remember(self, order: Order) -> Order:
        if order.order_id:
            self._known[order.order_id] = order
        return order

    def _tell(self, direction: str, path: str, data: dict[str, Any],
              observers: Sequence[Observer] | None = None) -> None:
        for observer in self._observers if observers is None else observers:
            try:
                observer(direction, path, data)
            except Exception:  # noqa: BLE001 - an observer's failure must never break order entry
                log.exception("observer failed on %s %s", direction, path)

    async def _request(self, path: str, params: dict[str, Any], send: Awaitable[OrderResult]) -> OrderResult:
        """Await ``send`` (an order request), telling the observers its request and its answer or error."""
        if not self._observers:
            return await send
        self._tell("request", path, {"payload": params})
        try:
            result = await send
        except GeminiError as exc:
            self._tell("error", path, {"error": str(exc)})
            raise
        self._tell("response", path, {"status": 200, "body": result.model_dump_json(by_alias=True)})
        return result

    def _session_of(self, client_order_id: str | None) -> str | None:
        return self.api_session if client_order_id is not None and client_order_id in self._own else None

    async def place(self, order: NewOrder) -> Order:
        """``order.place`` once over the socket, with the order's client order id (LIMIT; ``timeInForce`` from the
        execution option; ``stopPrice`` for a stop-limit order).

        An answer showing an execution already (``executedQty`` > 0) is completed from ``/v1/order/status`` (the
        new API's result has no average price); if that fails the answer stands as it is.

        Raises:
            NotConnected: the socket is not open (nothing was sent).
            OrderRejected / InsufficientFunds / WsRateLimited / AuthenticationError: refused (see ``venue_error``).
            ServerError (-1000), WsApiRequestTimeout, WsApiDisconnected: outcome UNKNOWN: never re-send.
        """
        api = self._api
        if api is None or not api.connected:
            raise NotConnected()
        time_in_force = TIME_IN_FORCE[order.options[0]] if order.options else "GTC"
        self._own.add(order.client_order_id)
        params = {"symbol": order.symbol, "side": order.side.value.upper(), "clientOrderId": order.client_order_id,
                  "client_order_id": order.client_order_id}
        try:
            result = await self._request(PLACE_PATH, params, api.place_order(
                order.symbol, order.side.value.upper(), order.amount, order.price, time_in_force=time_in_force,
                stop_price=order.stop_price, client_order_id=order.client_order_id,
            ))
        except WsApiError as exc:
            raise venue_error(exc) from None
        placed = order_from_result(result, api_session=self.api_session, options=order.options,
                                   updated_ms=self.clock_ms())
        if placed.filled > 0:
            with contextlib.suppress(GeminiError):
                status = await self.rest.order_status(order_id=placed.order_id)
                placed = order_from_status(status).evolve(api_session=self.api_session, options=order.options)
        return self._remember(placed)

    async def cancel(self, order_id: str) -> Order:
        """``order.cancel`` over the socket (``/v1/order/cancel`` over REST while the socket is down).

        Raises:
            OrderNotFound: the venue has no such order (-2010 ``OrderNotFound``).
            VenueError: refused, or lost (outcome unknown).
        """
        api = self._api
        if api is None or not api.connected:
            return self._remember(order_from_status(await self.rest.cancel_order(order_id)))
        try:
            result = await self._request(CANCEL_PATH, {"orderId": order_id, "order_id": order_id},
                                         api.cancel_order(order_id))
        except WsApiError as exc:
            raise venue_error(exc) from None
        known = self._known.get(order_id)
        session = self._session_of(result.client_order_id) or (known.api_session if known else None)
        return self._remember(order_from_result(result, api_session=session, known=known,
                                                updated_ms=self.clock_ms()))

    async def cancel_session(self) -> CancelResult:
        """``order.cancel_session``: this key's orders (``/v1/order/cancel/session`` while the socket is down)."""
        api = self._api
        if api is None or not api.connected:
            result = await self.rest.cancel_session()
            return CancelResult(tuple(str(i) for i in result.details.cancelledOrders),
                                tuple(str(i) for i in result.details.cancelRejects))
        try:
            return cancel_result(await api.cancel_session())
        except WsApiError as exc:
            raise venue_error(exc) from None

    async def cancel_all(self) -> CancelResult:
        """``order.cancel_all``: every order of the account (``/v1/order/cancel/all`` while the socket is down)."""
        api = self._api
        if api is None or not api.connected:
            result = await self.rest.cancel_all()
            return CancelResult(tuple(str(i) for i in result.details.cancelledOrders),
                                tuple(str(i) for i in result.details.cancelRejects))
        try:
            return cancel_result(await api.cancel_all())
        except WsApiError as exc:
            raise venue_error(exc) from None

    # -- REST: status and reconciliation (the new API has no order-status method) --------------------------------
    async def order_status(self, *, order_id: str | None = None, client_order_id: str | None = None) -> Order:
        """``/v1/order/status`` by order id or client order id (REST)."""
        status = await self.rest.order_status(order_id=order_id, client_order_id=client_order_id)
        return self._remember(order_from_status(status))

    async def open_orders(self) -> list[Order]:
        """``/v1/orders`` (REST), stamped with the time of receipt."""
        active = await self.rest.active_orders()
        now = self.clock_ms()
        return [self._remember(order_from_status(status, updated_ms=now)) for status in active]

    async def fills_since(self, since_ms: int) -> list[Fill]:
        """``/v1/mytrades`` from ``since_ms`` (REST; at most ``MY_TRADES_LIMIT``), oldest first."""
        trades = await self.rest.my_trades(timestamp=since_ms, limit_trades=MY_TRADES_LIMIT)
        return [fill_from_my_trade(trade) for trade in sorted(trades, key=lambda t: (t.timestampms, t.tid))]

    # -- the socket and its order stream -------------------------------------------------------------------------
    async def connect_order_events(self) -> GeminiWsOrderEvents:
        """Open the socket (signed handshake, ``cancelOnDisconnect`` as configured), subscribe ``orders@account``
        and ``balances@account``, and make it the socket orders are placed on. The previous socket, if any, is
        closed first. On a reconnect the balances listener is told None (changes pushed while the socket was down
        are lost: read the balances again).

        Raises:
            AuthenticationError: the handshake was refused (-1002: bad signature, nonce outside ±30 s, a
                counter-nonce key, no Trader role): halts trading.
            VenueError: the connection failed or the subscription was refused.
        """
        old, self._api = self._api, None
        if old is not None:
            await old.close()
        api = WsApiClient(self.url, self._credentials, cancel_on_disconnect=self.cancel_on_disconnect,
                          request_timeout_s=self._request_timeout_s, open_timeout_s=self._open_timeout_s,
                          clock_s=self._clock_s)
        try:
            await api.connect()
            await api.subscribe([ORDER_STREAM, BALANCE_STREAM])
        except WsApiError as exc:
            await api.close()
            raise venue_error(exc) from None
        except BaseException:
            await api.close()
            raise
        self._api = api
        if self._subscribed_once:
            self._tell_balances(None)
        self._subscribed_once = True
        return GeminiWsOrderEvents(self, api, self._keepalive_s)

    def push_balances(self, update: BalanceUpdate) -> None:
        """Tell the balances listener the available amounts of a ``balances@account`` message."""
        self._tell_balances(available_from_update(update))

    def _tell_balances(self, available: dict[str, Decimal] | None) -> None:
        listener = self.balances_listener
        if listener is None:
            return
        try:
            listener(available)
        except Exception:  # noqa: BLE001 - a view's failure must never break the order stream
            log.exception("balances listener failed")

    async def events_from_update(self, update: OrderUpdate) -> list[OrderEvent]:
        """Convert one order update to ``OrderEvent`` s (none for ``MODIFIED``).

        A fill update gives two: the fill (``FILL``, its trade) and the order's state after it (``CLOSED`` when
        ``FILLED``, ``BOOKED`` when ``PARTIALLY_FILLED``), as the archived order events send ``fill`` then ``closed``:
        the blotter applies each trade once, so if the trade was already recorded (``/v1/mytrades`` during a
        reconciliation) the order's new state and amounts still come through.

        Fields the update omits come from what the venue knows of the order, else from ``/v1/order/status``.

        Raises:
            GeminiError: the order was unknown and ``/v1/order/status`` failed.
        """
        kind = EVENT_KINDS.get(update.status)
        if kind is None:
            return []
        order_id = str(update.order_id)
        known = self._known.get(order_id)
        if known is None and (update.side is None or update.price is None or update.quantity is None):
            known = order_from_status(await self.rest.order_status(order_id=order_id))
        amount = update.quantity if update.quantity is not None else known.amount if known else Decimal(0)
        price = update.price if update.price is not None else known.price if known else Decimal(0)
        side = Side(update.side.lower()) if update.side else known.side if known else Side.BUY
        stop = update.stop_price if update.stop_price is not None else known.stop_price if known else None
        before_filled = known.filled if known else Decimal(0)
        fill: Fill | None = None
        if update.remaining is not None:
            filled = amount - update.remaining
        elif kind is EventKind.CANCELLED and update.executed_qty is not None:
            filled = update.executed_qty  # cumulative on CANCELED
        else:
            filled = before_filled
        avg_price = known.avg_price if known else Decimal(0)
        client_order_id = update.client_order_id or (known.client_order_id if known else None)
        if kind is EventKind.FILL:
            quantity = update.executed_qty or (filled - before_filled)
            fill_price = update.last_price if update.last_price is not None else price
            if filled > 0:
                prior = filled - quantity
                avg_price = ((avg_price * prior if prior > 0 else Decimal(0)) + fill_price * quantity) / filled
            rested = known is not None and known.state in (OrderState.LIVE, OrderState.PARTIALLY_FILLED)
            detail = (await self._trade_detail(str(update.trade_id), update.event_time_ns // 1_000_000)
                      if update.trade_id is not None else None)
            fill = Fill(
                trade_id=str(update.trade_id if update.trade_id is not None else f"{order_id}-{update.event_time_ns}"),
                order_id=order_id,
                price=fill_price,
                amount=quantity,
                fee=detail.fee if detail is not None else Decimal(0),
                fee_currency=detail.fee_currency if detail is not None else update.symbol[-3:].upper(),
                liquidity=(detail.liquidity if detail is not None
                           else Liquidity.MAKER if rested else Liquidity.TAKER),
                timestamp_ms=update.event_time_ns // 1_000_000,
                symbol=update.symbol.lower(),
                side=side,
                client_order_id=client_order_id,
            )
        state = state_of(update.status, filled)
        order = Order(
            order_id=order_id,
            client_order_id=client_order_id,
            symbol=update.symbol.lower(),
            side=side,
            order_type=OrderType.STOP_LIMIT if stop is not None else OrderType.LIMIT,
            price=price,
            amount=amount,
            stop_price=stop,
            options=known.options if known else (),
            filled=filled,
            remaining=amount - filled,
            avg_price=avg_price,
            state=state,
            reason=update.reason,
            api_session=self._session_of(client_order_id) or (known.api_session if known else None),
            updated_ms=self.clock_ms(),
        )
        if state.is_terminal:  # no more updates will come for it: keep the venue's memory bounded
            self._known.pop(order_id, None)
            if client_order_id is not None:
                self._own.discard(client_order_id)
        else:
            self._remember(order)
        told = self._event_observers.for_event(kind.value, order_id, client_order_id) if self._observers else []
        if told:
            self._tell("event", ORDER_STREAM, {**update.model_dump(by_alias=True, exclude_none=True, mode="json"),
                                               "type": kind.value, "order_id": order_id,
                                               "client_order_id": client_order_id}, told)
        event_id = f"{order_id}:{update.update_time_ns or update.event_time_ns}:{update.status}:{update.trade_id or ''}"
        events = [OrderEvent(kind, order, event_id, fill, update.reason, None)]
        if kind is EventKind.FILL:
            after = EventKind.CLOSED if state is OrderState.FILLED else EventKind.BOOKED
            events.append(OrderEvent(after, order, event_id + ":state", None, None, None))
        return events

    async def _trade_detail(self, trade_id: str, time_ms: int) -> Fill | None:
        """The account's trade ``trade_id`` from ``/v1/mytrades`` (fee, liquidity), or None when it cannot be read."""
        known = self._trades.pop(trade_id, None)
        if known is not None:
            return known
        try:
            trades = await self.rest.my_trades(timestamp=max(0, time_ms - 5_000), limit_trades=MY_TRADES_LIMIT)
        except GeminiError as exc:
            log.warning("fee of trade %s not read (%s): shown as 0", trade_id, exc.__class__.__name__)
            return None
        for trade in trades:
            self._trades[str(trade.tid)] = fill_from_my_trade(trade)
        if len(self._trades) > 4 * MY_TRADES_LIMIT:  # keep it bounded: only the newest are still to come
            for old in sorted(self._trades, key=lambda t: self._trades[t].timestamp_ms)[:2 * MY_TRADES_LIMIT]:
                del self._trades[old]
        return self._trades.pop(trade_id, None)

    async def heartbeat(self) -> None:
        """Nothing to do: with the new API the dead-man switch is ``cancelOnDisconnect`` (the socket itself)."""

    async def close(self) -> None:
        """Close the socket and the REST client."""
        api, self._api = self._api, None
        if api is not None:
            await api.close()
        await self.rest.close()
