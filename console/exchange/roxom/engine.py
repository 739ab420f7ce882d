"""The local Roxom venue's matching core: price-time books of BTC-quoted perpetuals, margin, positions, order states.

Why not the Gemini :class:`~console.exchange.engine.MatchingEngine`: it is a spot engine with full-reserve balances
(selling needs the base currency, so a perpetual could never be shorted), its self-cross prevention cancels the
incoming order where Roxom cancels the older, resting one, its ids are integers and its events are Gemini's. Those
are its behaviour, not hooks; so this module is a compact core of its own (docs/local-roxom.md, "Matching core").

Pure and synchronous: every method runs to completion and delivers the account messages it causes to the listeners
(``listener(account_id, message)``, message = Roxom's WebSocket account message, e.g. ``{"type": "order", "data":
{...}}``, https://docs.roxom.com/reference/websockets/account-updates/orders) before it returns. A cancel is two
steps (:meth:`RoxomEngine.request_cancel`, then :meth:`RoxomEngine.complete_cancel`) so the server can make
``pendingcancel`` last, during which fills still arrive. Money is ``Decimal`` in BTC; quantities in contracts.
"""

from __future__ import annotations

import bisect
import contextlib
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from uuid_utils import uuid7

from console.exchange.roxom.instruments import DEFAULT_INSTRUMENTS, Instrument

__all__ = [
    "CLOSED_STATUSES",
    "EXPIRED_STATUS",
    "AccountListener",
    "Fill",
    "Order",
    "OrderRequest",
    "RoxomEngine",
    "RoxomError",
    "TradeTick",
    "to_unit",
]

ZERO = Decimal(0)

#: Statuses from which an order can no longer change (the cancel page's FILLED, CANCELED, EXPIRED, plus the rest).
#: CHOICE: a GTD order past its ``cancelAt`` reports ``expired``: the cancel page names EXPIRED as a state, the status
#: page's enum does not list it (docs/local-roxom.md, "GTD expiry").
EXPIRED_STATUS = "expired"
CLOSED_STATUSES = frozenset({"filled", "cancelled", "partiallyfilledcancelled", "rejected", "inactive", EXPIRED_STATUS})
#: Statuses a cancel is refused in (https://docs.roxom.com/reference/api-reference/orders/cancel: FILLED, CANCELED,
#: PENDING, EXPIRED): the closed ones plus an order already pending cancel.
NOT_CANCELLABLE = CLOSED_STATUSES | {"pendingcancel", "pendingsubmit"}

#: Cancel / reject reasons the local venue sends in ``reason`` (CHOICE: Roxom's documentation lists none).
REASON_USER = "usercancel"
REASON_POST_ONLY = "postonlywouldcross"
REASON_SELF_TRADE = "selftradeprevention"
REASON_IOC = "immediateorcancel"
REASON_NO_LIQUIDITY = "noliquidity"
REASON_GTD = "gtdexpired"
REASON_INACTIVE = "accountinactive"
REASON_MARGIN = "insufficientmargin"

#: Closed orders kept per account for order-by-id and ``includeClosed`` (the simulator closes dozens a second).
CLOSED_ORDERS_KEPT = 10_000

ORDER_TYPES = frozenset({"limit", "stoplimit", "market", "stop"})
TIME_IN_FORCE = frozenset({"gtc", "ioc", "gtd"})

#: The API page's price band (https://docs.roxom.com/reference/api-reference/orders/create): buy ≤ best ask × 1.1,
#: sell ≥ best bid × 0.9; the rulebook's: within ±50% of the mark price. Both are enforced.
ASK_BAND = Decimal("1.1")
BID_BAND = Decimal("0.9")
MARK_BAND = Decimal("0.5")


class RoxomError(Exception):
    """A request the venue refuses, with Roxom's HTTP status and message.

    Attributes:
        status: HTTP status (400 validation, 404 order not found, 409 cannot cancel).
        message: e.g. ``"Order not found"``.
        details: more text (the field, or the order's state for a refused cancel), or None.
        state: the order's status for a refused cancel, else None.
    """

    def __init__(self, status: int, message: str, details: str | None = None, state: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.details = details
        self.state = state


@dataclass(frozen=True)
class OrderRequest:
    """A parsed ``POST /api/v1/orders`` body (prices already in BTC). See :func:`console.exchange.roxom.wire`."""

    symbol: str
    side: str
    order_type: str
    qty: Decimal
    px: Decimal | None = None
    trigger_px: Decimal | None = None
    time_in_force: str = "gtc"
    cancel_at_ms: int | None = None
    post_only: bool = False
    client_order_id: str | None = None
    unit: str = "btc"


@dataclass
class Fill:
    """One execution of an order (a transaction log ``orderFill``). Prices and money in BTC."""

    tx_id: str
    trade_id: str
    order_id: str
    symbol: str
    side: str
    qty: Decimal
    px: Decimal
    fee: Decimal
    pnl: Decimal
    is_taker: bool
    time_ms: int
    position_before: Decimal
    position_after: Decimal
    balance_before: Decimal
    balance_after: Decimal


@dataclass(eq=False)
class Order:
    """One order and its state. ``px`` is None for market orders; ``seq`` is its time priority."""

    id: str
    account_id: int
    request: OrderRequest
    created_ms: int
    seq: int
    status: str = "pendingsubmit"
    executed: Decimal = ZERO
    notional: Decimal = ZERO
    fees: Decimal = ZERO
    margin: Decimal = ZERO  # margin held for the unfilled part, BTC
    reason: str | None = None
    is_triggered: bool | None = None
    triggered_ms: int | None = None
    on_book: bool = False
    cancel_requested: bool = False
    fills: list[Fill] = field(default_factory=list)

    @property
    def remaining(self) -> Decimal:
        return self.request.qty - self.executed

    @property
    def avg_px(self) -> Decimal | None:
        return self.notional / self.executed if self.executed else None

    @property
    def is_buy(self) -> bool:
        return self.request.side == "buy"

    @property
    def closed(self) -> bool:
        return self.status in CLOSED_STATUSES


@dataclass
class Position:
    """An account's net position on one instrument: signed contracts (long > 0) at an average entry price."""

    position_id: str
    qty: Decimal = ZERO
    entry_px: Decimal = ZERO
    realized_pnl: Decimal = ZERO


@dataclass
class Account:
    """An account: BTC wallet balance, restriction flag, orders, positions and its transaction log."""

    id: int
    account_uuid: str
    name: str
    balance: Decimal
    restricted: bool = False
    open_orders: dict[str, Order] = field(default_factory=dict)
    positions: dict[str, Position] = field(default_factory=dict)
    log: list[Fill] = field(default_factory=list)
    published_balance: Decimal | None = None
    closed_ids: deque[str] = field(default_factory=deque)


class _Side:
    """One side of a book: price → FIFO of resting orders, prices kept sorted ascending."""

    def __init__(self, is_bid: bool) -> None:
        self.is_bid = is_bid
        self.levels: dict[Decimal, deque[Order]] = {}
        self.prices: list[Decimal] = []

    def __bool__(self) -> bool:
        return bool(self.prices)

    def best(self) -> Decimal | None:
        if not self.prices:
            return None
        return self.prices[-1] if self.is_bid else self.prices[0]

    def add(self, order: Order, price: Decimal) -> None:
        queue = self.levels.get(price)
        if queue is None:
            queue = self.levels[price] = deque()
            bisect.insort(self.prices, price)
        queue.append(order)

    def remove(self, order: Order, price: Decimal) -> None:
        queue = self.levels[price]
        queue.remove(order)
        if not queue:
            del self.levels[price]
            del self.prices[bisect.bisect_left(self.prices, price)]

    def best_first(self) -> Iterator[Decimal]:
        return reversed(self.prices) if self.is_bid else iter(self.prices)


class _Book:
    """One instrument's book: bids and asks, the last trade price and the untriggered stops."""

    def __init__(self, instrument: Instrument) -> None:
        self.instrument = instrument
        self.bids = _Side(is_bid=True)
        self.asks = _Side(is_bid=False)
        self.last_px: Decimal | None = None
        self.stops: list[Order] = []

    def best_bid(self) -> Decimal | None:
        return self.bids.best()

    def best_ask(self) -> Decimal | None:
        return self.asks.best()

    def mark(self) -> Decimal:
        """The reference price: mid of the touch, else the last trade, else the instrument's start price."""
        bid, ask = self.best_bid(), self.best_ask()
        if bid is not None and ask is not None:
            return (bid + ask) / 2
        return self.last_px if self.last_px is not None else self.instrument.initial_price

    def levels(self, is_bid: bool, depth: int | None = None) -> list[tuple[Decimal, Decimal]]:
        """Aggregated levels best first: ``[(price, contracts), ...]``."""
        side = self.bids if is_bid else self.asks
        out: list[tuple[Decimal, Decimal]] = []
        for price in side.best_first():
            if depth is not None and len(out) >= depth:
                break
            out.append((price, sum((o.remaining for o in side.levels[price]), ZERO)))
        return out


AccountListener = Callable[[int, dict[str, Any]], None]
#: A public trade as the market listener sees it: (taker side, price in BTC, contracts).
TradeTick = tuple[str, Decimal, Decimal]
MarketListener = Callable[[str, list[TradeTick]], None]


def _new_id() -> str:
    return str(uuid7())


class RoxomEngine:
    """Perpetual matching with Roxom's order states (https://docs.roxom.com/reference/api-reference/orders/status).

    Args:
        instruments: listed instruments by symbol.
        clock_ns: current time in ns since the epoch.
        id_factory: returns a new UUID v7 string (order, fill, trade and transaction ids).
    """

    def __init__(
        self,
        instruments: Mapping[str, Instrument] = DEFAULT_INSTRUMENTS,
        *,
        clock_ns: Callable[[], int],
        id_factory: Callable[[], str] = _new_id,
    ) -> None:
        self._clock_ns = clock_ns
        self._new_id = id_factory
        self.instruments = dict(instruments)
        self.instrument_ids = {symbol: id_factory() for symbol in self.instruments}
        self._books = {symbol: _Book(spec) for symbol, spec in self.instruments.items()}
        self._accounts: dict[int, Account] = {}
        self._orders: dict[str, Order] = {}
        self._seq = 0
        self._listeners: list[AccountListener] = []
        self._market_listeners: list[MarketListener] = []
        self._touched: dict[str, list[TradeTick]] = {}
        self._pending: dict[int, list[dict[str, Any]]] = {}
        self._market_held = 0

    # -- accounts and listeners ----------------------------------------------------------------------------------

    def add_account(self, name: str, balance_btc: Decimal) -> int:
        """Open an account with a BTC wallet balance; returns its id (1, 2, ...)."""
        account = Account(len(self._accounts) + 1, self._new_id(), name, Decimal(balance_btc))
        account.published_balance = account.balance
        self._accounts[account.id] = account
        return account.id

    def account(self, account_id: int) -> Account:
        """The account (``KeyError`` for an id ``add_account`` never returned)."""
        return self._accounts[account_id]

    def add_listener(self, listener: AccountListener) -> None:
        """Subscribe ``listener(account_id, message)`` to every account's order/position/balance messages."""
        self._listeners.append(listener)

    def remove_listener(self, listener: AccountListener) -> None:
        """Unsubscribe a listener (no error if it is not subscribed)."""
        if listener in self._listeners:
            self._listeners.remove(listener)

    def add_market_listener(self, listener: MarketListener) -> None:
        """Subscribe ``listener(symbol, trades)`` to book changes of a symbol, once per action, with its trades."""
        self._market_listeners.append(listener)

    @contextlib.contextmanager
    def market_updates_held(self) -> Iterator[None]:
        """Within the block, hold book-change notices; at its end deliver one per touched symbol (so a market
        maker replacing its quotes is never seen with an empty book)."""
        self._market_held += 1
        try:
            yield
        finally:
            self._market_held -= 1
            if not self._market_held:
                self._flush()

    def cancel_now(self, account_id: int) -> None:
        """Cancel every open order of the account at once, no pending cancel (the simulated market maker's
        requote; reason ``usercancel``)."""
        for order in list(self._accounts[account_id].open_orders.values()):
            self._remove(order)
            self._close_open(order, REASON_USER)
        self._flush()

    def book(self, symbol: str) -> _Book:
        """The instrument's book (``KeyError`` for an unlisted symbol)."""
        return self._books[symbol]

    # -- orders ----------------------------------------------------------------------------------------------------

    def place(self, account_id: int, request: OrderRequest) -> Order:
        """Place an order that passed validation (:func:`validate`); runs it to its first resting state.

        The order reports ``pendingsubmit`` first, then (at the engine) ``rejected`` (restricted account:
        ``accountinactive``; margin: ``insufficientmargin``), ``waitingtrigger`` (stops), ``cancelled`` (a post-only
        order that would cross), or ``submitted`` followed by its fills.
        """
        account = self._accounts[account_id]
        now_ns = self._clock_ns()
        self._seq += 1
        order = Order(self._new_id(), account_id, request, now_ns // 1_000_000, self._seq)
        self._orders[order.id] = order
        self._emit(order)
        book = self._books[request.symbol]
        if account.restricted:
            self._close(order, "rejected", REASON_INACTIVE)
        else:
            margin = self._margin_for(order, book)
            if margin > self.available(account_id):
                self._close(order, "rejected", REASON_MARGIN)
            else:
                order.margin = margin
                account.open_orders[order.id] = order
                if request.order_type in ("stoplimit", "stop"):
                    order.status = "waitingtrigger"
                    order.is_triggered = False
                    self._emit(order)
                    if book.last_px is not None and self._stop_hit(order, book.last_px):
                        self._trigger(order, book)
                    else:
                        book.stops.append(order)
                else:
                    self._submit(order, book)
        self._flush()
        return order

    def validate(self, request: OrderRequest) -> None:
        """Check an order against the instrument and the documented bands before it gets an id.

        Raises:
            RoxomError: 400 with the rule broken (tick, step, min/max size, min notional, price band, limit or
                market notional, GTD ``cancelAt`` not in the future).
        """
        spec = self.instruments.get(request.symbol)
        if spec is None:
            raise RoxomError(400, "Market not available", f"unknown symbol {request.symbol!r}")
        book = self._books[request.symbol]
        if request.qty < spec.min_qty or request.qty > spec.max_qty:
            raise RoxomError(400, "Quantity outside allowed range",
                             f"qty must be within {spec.min_qty}..{spec.max_qty}")
        if request.qty % spec.qty_step:
            raise RoxomError(400, "Invalid quantity", f"qty must be a multiple of {spec.qty_step}")
        for name, value in (("px", request.px), ("triggerPx", request.trigger_px)):
            if value is not None and (value <= 0 or value % spec.tick_size):
                raise RoxomError(400, "Invalid price", f"{name} must be a positive multiple of {spec.tick_size}")
        if request.time_in_force == "gtd" and (request.cancel_at_ms or 0) <= self._clock_ns() // 1_000_000:
            raise RoxomError(400, "Invalid cancelAt", "cancelAt must be a future time in ms for gtd orders")
        px = request.px
        mark = book.mark()
        if px is not None:
            ask, bid = book.best_ask(), book.best_bid()
            if request.side == "buy" and ask is not None and px > ask * ASK_BAND:
                raise RoxomError(400, "Price outside allowed range", f"buy px must be <= best ask x {ASK_BAND}")
            if request.side == "sell" and bid is not None and px < bid * BID_BAND:
                raise RoxomError(400, "Price outside allowed range", f"sell px must be >= best bid x {BID_BAND}")
            if abs(px - mark) > mark * MARK_BAND:
                raise RoxomError(400, "Price outside allowed range", f"px must be within ±50% of the mark {mark}")
            notional = px * request.qty
            if notional > spec.max_limit_notional:
                raise RoxomError(400, "Order notional too large", f"limit orders at most {spec.max_limit_notional} BTC")
        else:
            notional = mark * request.qty
            if notional > spec.max_market_notional:
                raise RoxomError(400, "Order notional too large",
                                 f"market orders at most {spec.max_market_notional} BTC")
        if notional < spec.min_notional:
            raise RoxomError(400, "Order notional too small", f"notional must be at least {spec.min_notional} BTC")

    def request_cancel(self, account_id: int, order_id: str) -> Order:
        """First step of a cancel: the order reports ``pendingcancel``; it stays on the book and can still fill.

        Raises:
            RoxomError: 404 ``Order not found`` (unknown id or another account's order); 409 ``Order cannot be
                cancelled`` with the order's state when it is closed or already pending cancel.
        """
        order = self.order(account_id, order_id)
        if order.status in NOT_CANCELLABLE:
            raise RoxomError(409, "Order cannot be cancelled", f"order is {order.status}", state=order.status)
        order.cancel_requested = True
        order.status = "pendingcancel"
        self._emit(order, brief=True)
        self._flush()
        return order

    def complete_cancel(self, order_id: str) -> bool:
        """Second step: cancel the order if it is still pending cancel (it may have filled meanwhile).

        Returns:
            True if the order was cancelled now (``cancelled``, or ``partiallyfilledcancelled`` after fills).
        """
        order = self._orders.get(order_id)
        if order is None or order.closed:
            return False
        self._remove(order)
        self._close(order, "partiallyfilledcancelled" if order.executed else "cancelled", REASON_USER)
        self._flush()
        return True

    def cancel_all_requests(self, account_id: int) -> list[Order]:
        """First step of cancel-all: every open order not yet pending cancel goes ``pendingcancel``, oldest first."""
        orders = [o for o in self._accounts[account_id].open_orders.values() if o.status not in NOT_CANCELLABLE]
        for order in orders:
            order.cancel_requested = True
            order.status = "pendingcancel"
            self._emit(order, brief=True)
        self._flush()
        return orders

    def order(self, account_id: int, order_id: str) -> Order:
        """One of the account's orders by id.

        Raises:
            RoxomError: 404 ``Order not found``.
        """
        order = self._orders.get(order_id)
        if order is None or order.account_id != account_id:
            raise RoxomError(404, "Order not found", f"no order {order_id}")
        return order

    def orders(self, account_id: int, *, symbol: str | None = None, include_closed: bool = False) -> list[Order]:
        """The account's orders, oldest first: open ones, or all with ``include_closed``."""
        if include_closed:
            source: list[Order] = [o for o in self._orders.values() if o.account_id == account_id]
        else:
            source = list(self._accounts[account_id].open_orders.values())
        return [o for o in source if symbol is None or o.request.symbol == symbol]

    def expire(self, now_ms: int) -> list[str]:
        """Expire GTD orders whose ``cancelAt`` is at or before ``now_ms``; returns their ids."""
        expired: list[str] = []
        for account in self._accounts.values():
            for order in list(account.open_orders.values()):
                cancel_at = order.request.cancel_at_ms
                if order.request.time_in_force == "gtd" and cancel_at is not None and cancel_at <= now_ms:
                    self._remove(order)
                    self._close(order, EXPIRED_STATUS, REASON_GTD)
                    expired.append(order.id)
        self._flush()
        return expired

    def set_restricted(self, account_id: int, restricted: bool) -> None:
        """Restrict (or free) an account: a restriction makes its open orders ``inactive`` and rejects new ones."""
        account = self._accounts[account_id]
        account.restricted = restricted
        if restricted:
            for order in list(account.open_orders.values()):
                self._remove(order)
                self._close(order, "inactive", REASON_INACTIVE)
        self._flush()

    # -- funds -----------------------------------------------------------------------------------------------------

    def locked(self, account_id: int) -> Decimal:
        """BTC held as margin: open orders' margin plus positions' margin at entry."""
        account = self._accounts[account_id]
        held = sum((o.margin for o in account.open_orders.values()), ZERO)
        for symbol, position in account.positions.items():
            held += abs(position.qty) * position.entry_px * self.instruments[symbol].margin_requirement
        return held

    def available(self, account_id: int) -> Decimal:
        """BTC free for new orders: wallet balance minus :meth:`locked`."""
        return self._accounts[account_id].balance - self.locked(account_id)

    # -- internals ---------------------------------------------------------------------------------------------------

    def _margin_for(self, order: Order, book: _Book) -> Decimal:
        px = order.request.px if order.request.px is not None else book.mark()
        return order.remaining * px * self.instruments[order.request.symbol].margin_requirement

    @staticmethod
    def _stop_hit(order: Order, last_px: Decimal) -> bool:
        trigger = order.request.trigger_px
        assert trigger is not None
        return last_px >= trigger if order.is_buy else last_px <= trigger

    def _trigger(self, order: Order, book: _Book) -> None:
        order.is_triggered = True
        order.triggered_ms = self._clock_ns() // 1_000_000
        self._submit(order, book)

    def _submit(self, order: Order, book: _Book) -> None:
        """At the engine: post-only check, match, then rest or cancel the rest (IOC / market)."""
        request = order.request
        # A stop triggered while its cancel is pending stays pending cancel (it can still fill until the cancel ends).
        order.status = "pendingcancel" if order.cancel_requested else "submitted"
        self._emit(order, brief=order.cancel_requested)
        opposite = book.asks if order.is_buy else book.bids
        limit = request.px
        if limit is None:  # market (or triggered stop): at most the documented band from the touch
            touch = book.best_ask() if order.is_buy else book.best_bid()
            if touch is None:
                self._close_open(order, REASON_NO_LIQUIDITY)
                return
            limit = touch * ASK_BAND if order.is_buy else touch * BID_BAND
        if request.post_only:
            best = book.best_ask() if order.is_buy else book.best_bid()
            if best is not None and (best <= limit if order.is_buy else best >= limit):
                self._close_open(order, REASON_POST_ONLY)  # cancelled, not rejected (documented)
                return
        while order.remaining and opposite:
            best_px = book.best_ask() if order.is_buy else book.best_bid()
            assert best_px is not None
            if best_px > limit if order.is_buy else best_px < limit:
                break
            maker = opposite.levels[best_px][0]
            if maker.account_id == order.account_id:
                # Self-trade prevention cancels the older, resting order (documented) and matching goes on.
                self._remove(maker)
                self._close(maker, "partiallyfilledcancelled" if maker.executed else "cancelled", REASON_SELF_TRADE)
                continue
            qty = min(order.remaining, maker.remaining)
            self._trade(book, order, maker, best_px, qty)
            if not maker.remaining:
                self._remove(maker)
                self._close(maker, "filled", None)
        if not order.remaining:
            self._close(order, "filled", None)
        elif request.time_in_force == "ioc" or request.px is None:
            self._close_open(order, REASON_IOC if request.px is not None else REASON_NO_LIQUIDITY)
        else:
            (book.bids if order.is_buy else book.asks).add(order, limit)
            order.on_book = True
            self._touch(book.instrument.symbol)
        self._run_stops(book)

    def _close_open(self, order: Order, reason: str) -> None:
        self._close(order, "partiallyfilledcancelled" if order.executed else "cancelled", reason)

    def _trade(self, book: _Book, taker: Order, maker: Order, px: Decimal, qty: Decimal) -> None:
        spec = book.instrument
        now_ns = self._clock_ns()
        trade_id = self._new_id()
        for order, is_taker in ((maker, False), (taker, True)):
            account = self._accounts[order.account_id]
            fee = px * qty * (spec.taker_fee if is_taker else spec.maker_fee)
            position = account.positions.get(spec.symbol)
            if position is None or not position.qty:
                position = account.positions[spec.symbol] = Position(self._new_id())
            before_qty, before_balance = position.qty, account.balance
            pnl = self._apply_fill(position, qty if order.is_buy else -qty, px)
            account.balance += pnl - fee
            order.margin -= order.margin * qty / order.remaining if order.remaining else ZERO
            order.executed += qty
            order.notional += px * qty
            order.fees += fee
            fill = Fill(self._new_id(), trade_id, order.id, spec.symbol, order.request.side, qty, px, fee, pnl,
                        is_taker, now_ns // 1_000_000, before_qty, position.qty, before_balance, account.balance)
            order.fills.append(fill)
            account.log.append(fill)
            if not order.remaining:
                order.margin = ZERO
            elif order.status != "pendingcancel":
                order.status = "partiallyfilled"
            if order.remaining:  # the last fill is reported by the "filled" update
                self._emit(order, fill=fill)
            self._queue(order.account_id, self._position_message(account, spec.symbol, position, now_ns))
        book.last_px = px
        self._touch(spec.symbol, ("buy" if taker.is_buy else "sell", px, qty))

    @staticmethod
    def _apply_fill(position: Position, signed_qty: Decimal, px: Decimal) -> Decimal:
        """Net a fill into the position; returns the realized PnL in BTC."""
        qty = position.qty
        if not qty or (qty > 0) == (signed_qty > 0):
            total = abs(qty) + abs(signed_qty)
            position.entry_px = (abs(qty) * position.entry_px + abs(signed_qty) * px) / total
            position.qty = qty + signed_qty
            return ZERO
        closed = min(abs(qty), abs(signed_qty))
        pnl = closed * (px - position.entry_px) * (1 if qty > 0 else -1)
        position.qty = qty + signed_qty
        position.realized_pnl += pnl
        if not position.qty:
            position.entry_px = ZERO
        elif (position.qty > 0) != (qty > 0):
            position.entry_px = px
        return pnl

    def _run_stops(self, book: _Book) -> None:
        last = book.last_px
        if last is None or not book.stops:
            return
        hit = [o for o in book.stops if not o.closed and self._stop_hit(o, last)]
        book.stops = [o for o in book.stops if not o.closed and o not in hit]
        for order in hit:
            if not order.closed:
                self._trigger(order, book)

    def _remove(self, order: Order) -> None:
        """Take an order off its book (or the stop list) if it is there."""
        book = self._books[order.request.symbol]
        if order.on_book:
            px = order.request.px
            assert px is not None  # only limit prices rest
            (book.bids if order.is_buy else book.asks).remove(order, px)
            order.on_book = False
            self._touch(book.instrument.symbol)
        elif order in book.stops:
            book.stops.remove(order)

    def _close(self, order: Order, status: str, reason: str | None) -> None:
        order.status = status
        order.reason = reason
        order.margin = ZERO
        account = self._accounts[order.account_id]
        account.open_orders.pop(order.id, None)
        account.closed_ids.append(order.id)
        if len(account.closed_ids) > CLOSED_ORDERS_KEPT:
            self._orders.pop(account.closed_ids.popleft(), None)
        last_fill = order.fills[-1] if status == "filled" and order.fills else None
        self._emit(order, fill=last_fill, brief=status in ("cancelled", "partiallyfilledcancelled", EXPIRED_STATUS))

    def _touch(self, symbol: str, trade: TradeTick | None = None) -> None:
        trades = self._touched.setdefault(symbol, [])
        if trade is not None:
            trades.append(trade)

    # -- messages --------------------------------------------------------------------------------------------------

    def _emit(self, order: Order, *, fill: Fill | None = None, brief: bool = False) -> None:
        self._queue(order.account_id, {"type": "order", "data": self.order_update(order, fill=fill, brief=brief)})

    def order_update(self, order: Order, *, fill: Fill | None = None, brief: bool = False) -> dict[str, Any]:
        """Roxom's ``orders`` channel message data (https://docs.roxom.com/reference/websockets/account-updates/orders).

        CHOICE: a ``brief`` update (pending cancel, cancelled, expired) carries only the fields the documentation
        says such an update may be limited to (plus ``reason``), so a client must merge partial updates.
        Prices in BTC, quantities in contracts, ``timestamp`` in ns.
        """
        account = self._accounts[order.account_id]
        avg = order.avg_px
        data: dict[str, Any] = {
            "orderId": order.id,
            "accountId": account.account_uuid,
            "symbol": order.request.symbol,
            "status": order.status,
            "remainingQty": _qty(order.remaining if not order.closed or order.status == "filled" else ZERO),
            "executedQty": _qty(order.executed),
            "avgPx": None if avg is None else _px(avg),
            "timestamp": self._clock_ns(),
        }
        if order.reason is not None or brief:
            data["reason"] = order.reason
        if brief:
            return data
        request = order.request
        data.update({
            "fillPx": None if fill is None else _px(fill.px),
            "filledFees": _btc(order.fees),
            "side": request.side,
            "orderType": request.order_type,
            "orderSize": _qty(request.qty),
            "limitPrice": None if request.px is None else _px(request.px),
            "clientOrderId": request.client_order_id,
            "entryPositionId": None,
            "exitPositionId": None,
            "reason": order.reason,
        })
        if fill is not None:
            position = account.positions.get(request.symbol)
            pid = position.position_id if position is not None else None
            opening = abs(fill.position_after) > abs(fill.position_before)
            data["entryPositionId" if opening else "exitPositionId"] = pid
        return data

    def _position_message(self, account: Account, symbol: str, position: Position, now_ns: int) -> dict[str, Any]:
        return {"type": "position", "data": [self.position_wire(account, symbol, position, "btc", now_ns)]}

    def position_wire(
        self, account: Account, symbol: str, position: Position, unit: str, now_ns: int
    ) -> dict[str, Any]:
        """One position, prices and money in ``unit`` (``GET /api/v1/positions`` element,
        https://docs.roxom.com/api-reference/positions/get-positions)."""
        book = self._books[symbol]
        mark = book.mark()
        spec = self.instruments[symbol]
        unrealized = (mark - position.entry_px) * position.qty if position.qty else ZERO
        return {
            "positionId": position.position_id,
            "accountId": account.account_uuid,
            "symbol": symbol,
            "instType": "perpetual",
            "side": "long" if position.qty >= 0 else "short",
            "status": "normal",
            "size": _qty(abs(position.qty)),
            "entryPrice": to_unit(position.entry_px, unit),
            "markPrice": to_unit(mark, unit),
            "unrealizedPnl": to_unit(unrealized, unit),
            "realizedPnl": to_unit(position.realized_pnl, unit),
            "margin": to_unit(abs(position.qty) * position.entry_px * spec.margin_requirement, unit),
            "leverage": str(int(1 / spec.margin_requirement)),
            "liquidationPrice": None,
            "unit": unit,
            "timestamp": now_ns,
        }

    def _queue(self, account_id: int, message: dict[str, Any]) -> None:
        self._pending.setdefault(account_id, []).append(message)

    def _flush(self) -> None:
        pending, self._pending = self._pending, {}
        now_ns = self._clock_ns()
        for account_id, messages in pending.items():
            account = self._accounts[account_id]
            before = account.published_balance
            if before is not None and before != account.balance:
                # the documented balance message (https://docs.roxom.com/reference/websockets/overview), amounts in BTC
                messages.append({"type": "balance", "data": {
                    "accountId": account.account_uuid, "balanceBefore": _btc(before),
                    "balanceAfter": _btc(account.balance), "amount": _btc(account.balance - before), "unit": "btc",
                    "updateType": "ordersettle", "timestamp": now_ns}})
            account.published_balance = account.balance
            for listener in list(self._listeners):
                for message in messages:
                    listener(account_id, message)
        if self._market_held:
            return
        touched, self._touched = self._touched, {}
        for symbol, trades in touched.items():
            for market_listener in list(self._market_listeners):
                market_listener(symbol, trades)

def _qty(value: Decimal) -> str:
    return f"{value:.2f}"


def _px(value: Decimal) -> str:
    return f"{value:.8f}"


def _btc(value: Decimal) -> str:
    return f"{value:.8f}"


def to_unit(value: Decimal, unit: str) -> str:
    """A BTC amount or price as a wire string: 8 decimals in ``btc``, whole sats (rounded half even) in ``sats``."""
    if unit == "sats":
        return str(int((value * 100_000_000).to_integral_value()))
    return _btc(value)
