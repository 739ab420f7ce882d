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

import contextlib
from collections.abc import Callable, Iterator, Mapping
from decimal import Decimal
from typing import Any

from uuid_utils import uuid7

from console.exchange.roxom.instruments import DEFAULT_INSTRUMENTS, Instrument
from console.exchange.roxom.matching import _MatchingMixin
from console.exchange.roxom.model import (
    ASK_BAND,
    BID_BAND,
    CLOSED_STATUSES,
    EXPIRED_STATUS,
    MARK_BAND,
    NOT_CANCELLABLE,
    ORDER_TYPES,
    REASON_GTD,
    REASON_INACTIVE,
    REASON_MARGIN,
    REASON_USER,
    TIME_IN_FORCE,
    ZERO,
    Account,
    AccountListener,
    Fill,
    MarketListener,
    Order,
    OrderRequest,
    RoxomError,
    TradeTick,
    _Book,
)
from console.exchange.roxom.updates import to_unit

__all__ = [
    "CLOSED_STATUSES",
    "EXPIRED_STATUS",
    "ORDER_TYPES",
    "TIME_IN_FORCE",
    "AccountListener",
    "Fill",
    "Order",
    "OrderRequest",
    "RoxomEngine",
    "RoxomError",
    "TradeTick",
    "to_unit",
]


def _new_id() -> str:
    return str(uuid7())


class RoxomEngine(_MatchingMixin):
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
