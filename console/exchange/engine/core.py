"""MatchingEngine: accounts, listeners, order entry and cancels, market status; the rest comes from its mixins."""

from __future__ import annotations

import contextlib
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from decimal import Decimal, getcontext, localcontext, setcontext
from typing import Any

from console.exchange.engine.choices import (
    FEE_TIERS,
    REQUESTED_CANCEL_REASON,
    SESSION_CANCEL_REASON,
    STOP_LIMIT,
    STOP_TRIGGERS_ON_LAST_AT_PLACEMENT,
    SYMBOL_STATUSES,
)
from console.exchange.engine.common import (
    _CONTEXT,
    _ONE,
    _ZERO,
    EventListener,
    ExchangeError,
    MarketListener,
    _exact,
    _to_decimal,
)
from console.exchange.engine.fees import _FeesMixin
from console.exchange.engine.funds import _FundsMixin
from console.exchange.engine.matching import _MatchingMixin
from console.exchange.engine.model import _Account, _Market, _Order, _Trade
from console.exchange.engine.queries import _QueriesMixin
from console.exchange.engine.validation import _parse_client_order_id, _parse_options, _parse_order_type, _parse_side
from console.exchange.engine.wire import _WireMixin
from console.exchange.symbols import DEFAULT_SYMBOLS, SymbolSpec
from console.util.clock import wall_clock_ms


class MatchingEngine(_MatchingMixin, _WireMixin, _FeesMixin, _FundsMixin, _QueriesMixin):
    """Gemini-compatible matching engine: price-time priority books, full-reserve balances, order events.

    Pure and synchronous: every public method runs to completion, and the order events it causes are delivered
    to the listeners before it returns, one ``listener(account_id, events)`` call per account per action.
    Money is ``Decimal``; the dicts returned are Gemini's wire shapes with decimal strings. See ``CHOICES`` for
    the behaviour chosen where Gemini's documentation is silent. Every method taking an ``account_id`` raises
    ``KeyError`` for an id ``add_account`` never returned (a programming error, not a client's).

    Args:
        symbols: the listed symbols by lowercase id.
        clock_ms: returns the current time in ms since the epoch (read once per action).
        maker_fee_bps / taker_fee_bps: fees in basis points of the notional, charged in quote currency.
        price_band: fraction of the reference price a taker may move the market (0.05 = ±5%).
        first_order_id: first id handed out; order ids, event ids, trade ids and cancel command ids all come
            from this one increasing counter.
    """

    def __init__(
        self,
        symbols: Mapping[str, SymbolSpec] = DEFAULT_SYMBOLS,
        *,
        clock_ms: Callable[[], int] = wall_clock_ms,
        maker_fee_bps: int = 10,
        taker_fee_bps: int = 35,
        price_band: Decimal = Decimal("0.05"),
        first_order_id: int = 73_000_000_000,
    ) -> None:
        self._clock_ms = clock_ms
        self._maker_rate = Decimal(maker_fee_bps) / Decimal(10_000)
        self._taker_rate = Decimal(taker_fee_bps) / Decimal(10_000)
        self._fee_tiers = ((Decimal(0), maker_fee_bps, taker_fee_bps),) + tuple(
            tier for tier in FEE_TIERS[1:] if tier[1] <= maker_fee_bps and tier[2] <= taker_fee_bps
        )
        self._hold_factor = _ONE + max(self._maker_rate, self._taker_rate)
        self._band = Decimal(price_band)
        self._next_id = first_order_id
        self._first_id = first_order_id  # opening trades take the ids just below it (CHOICES 26)
        self._markets: dict[str, _Market] = {}
        for spec in symbols.values():
            self._markets[spec.symbol.lower()] = _Market(spec)
        self._accounts: dict[int, _Account] = {}
        self._orders: dict[int, _Order] = {}
        self._by_client_id: dict[tuple[int, str], list[int]] = {}
        self._listeners: list[EventListener] = []
        self._batch: dict[int, list[dict[str, Any]]] = {}
        self._market_listeners: list[MarketListener] = []
        self._dirty_levels: dict[str, dict[tuple[bool, Decimal], None]] = {}  # symbol -> touched (is_bid, price)
        self._new_trades: dict[str, list[_Trade]] = {}
        self._market_held = 0  # > 0 inside market_updates_held(): level changes wait for the block's end
        self._triggered: deque[_Order] = deque()
        self._trading_open = True
        self._fees: dict[str, Decimal] = {}
        self._broken_tids: set[int] = set()
        self._now = 0

    # ------------------------------------------------------------------------------------------------------------
    # accounts and listeners

    def add_account(self, name: str, balances: Mapping[str, Decimal | str]) -> int:
        """Open an account.

        Args:
            name: display name, e.g. ``"primary"``.
            balances: starting balance per currency code, e.g. ``{"USD": "100000", "BTC": Decimal("2")}``.

        Returns:
            The new account id (1, 2, ...).

        Raises:
            ValueError: a balance that is not a finite, non-negative decimal.
        """
        account = _Account(len(self._accounts) + 1, name)
        for currency, amount in balances.items():
            value = _to_decimal(amount)
            if value is None or value < 0:
                raise ValueError(f"bad starting balance {currency}={amount!r}")
            account.balances[currency.upper()] = value
        self._accounts[account.id] = account
        return account.id

    def add_listener(self, listener: EventListener) -> None:
        """Subscribe ``listener(account_id, events)`` to the order events of every account."""
        self._listeners.append(listener)

    def remove_listener(self, listener: EventListener) -> None:
        """Unsubscribe a listener added with ``add_listener`` (no error if it is not subscribed)."""
        if listener in self._listeners:
            self._listeners.remove(listener)

    def add_market_listener(self, listener: MarketListener) -> None:
        """Subscribe ``listener(SYMBOL, changes, trades)`` to level changes and public trades of every symbol."""
        self._market_listeners.append(listener)

    def remove_market_listener(self, listener: MarketListener) -> None:
        """Unsubscribe a listener added with ``add_market_listener`` (no error if it is not subscribed)."""
        if listener in self._market_listeners:
            self._market_listeners.remove(listener)

    @contextlib.contextmanager
    def market_updates_held(self) -> Iterator[None]:
        """Within the block, hold level changes and public trades; at its end deliver them as one market listener
        call per symbol: each touched level once, with its total at the end (``"0"`` if it emptied), then the
        trades in order. Order events are still delivered after every action.

        For a market maker that replaces all its quotes at once (cancel, then place): the public book goes from
        the old quotes to the new ones in one update and is never seen empty in between.
        """
        self._market_held += 1
        try:
            yield
        finally:
            self._market_held -= 1
            if not self._market_held and (self._dirty_levels or self._new_trades):
                self._flush_market()

    # ------------------------------------------------------------------------------------------------------------
    # orders

    def place_order(
        self,
        account_id: int,
        api_session: str,
        *,
        symbol: object,
        side: object,
        order_type: object,
        amount: object,
        price: object,
        stop_price: object = None,
        options: object = None,
        client_order_id: object = None,
    ) -> dict[str, Any]:
        """Place an order (``POST /v1/order/new``, https://docs.gemini.com/rest/orders#new-order).

        Args:
            account_id: from ``add_account``.
            api_session: the API key (or ``"UI"``) placing it; echoed in its events, scope of ``cancel_session``.
            symbol: e.g. ``"BTCUSD"`` or ``"btcusd"``.
            side: ``"buy"`` or ``"sell"``.
            order_type: ``"exchange limit"`` or ``"exchange stop limit"``.
            amount / price / stop_price: decimal strings (ints and Decimals accepted), base amount and quote prices.
            options: None or a list with at most one of ``maker-or-cancel``, ``immediate-or-cancel``,
                ``fill-or-kill`` (none on stop-limit orders).
            client_order_id: optional string under 100 characters.

        Returns:
            The order object (https://docs.gemini.com/rest/orders#order-status) after the order's immediate processing,
            e.g. with ``is_cancelled`` true and ``reason`` ``"MakerOrCancelWouldTake"`` for a maker-or-cancel order
            that would have taken.

        Raises:
            ExchangeError: InvalidSymbol, InvalidSide, InvalidOrderType, OptionsMustBeArray, ConflictingOptions,
                UnsupportedOption, ClientOrderIdMustBeString, ClientOrderIdTooLong (no id, no event);
                InvalidQuantity, InvalidPrice, InvalidStopPrice, InvalidStopPriceBuy, InvalidStopPriceSell,
                InvalidStopPriceRatio, MarketNotOpen (400) and InsufficientFunds (406), each after one
                ``rejected`` event.
            KeyError: unknown account_id.
        """
        # _exact inlined on this hot path: passing the keyword arguments through its wrapper cost ~0.6 us per order.
        outer = getcontext()
        setcontext(_CONTEXT)
        try:
            account = self._accounts[account_id]
            market = self._market(symbol)
            is_buy = _parse_side(side, market.upper)
            otype = _parse_order_type(order_type)
            opts = _parse_options(options, otype)
            coid = _parse_client_order_id(client_order_id)
            self._now = self._clock_ms()
            order = _Order(self._new_id(), account_id, api_session, market.symbol, is_buy, otype, opts, coid, self._now)
            try:
                self._validate(order, market, account, amount, price, stop_price)
            except ExchangeError as error:
                self._emit_rejected(order, error.reason, amount, price, stop_price)
                self._flush()
                raise
            account.holds[order.hold_currency] = account.holds.get(order.hold_currency, _ZERO) + order.hold
            self._orders[order.id] = order
            account.open_orders[order.id] = order
            if coid is not None:
                self._by_client_id.setdefault((account_id, coid), []).append(order.id)
            if otype == STOP_LIMIT:
                order.hidden = True
                self._emit(order, "accepted")
                last = market.last_price
                if STOP_TRIGGERS_ON_LAST_AT_PLACEMENT and last is not None and self._stop_hit(order, last):
                    self._triggered.append(order)
                else:
                    self._push_stop(market, order)
            else:
                self._emit(order, "accepted")
                self._execute(order, market)
            if self._triggered:
                self._run_triggered()
            self._flush()
            return self._order_wire(order)
        finally:
            setcontext(outer)

    @_exact
    def cancel_order(self, account_id: int, order_id: int | str, api_session: str) -> dict[str, Any]:
        """Cancel one order (``POST /v1/order/cancel``, https://docs.gemini.com/rest/orders#cancel-order) with reason
        ``Requested``.

        Args:
            account_id: the order's account.
            order_id: the order id (int or digit string).
            api_session: the key sending the cancel (events keep the order's own ``api_session``).

        Returns:
            The order object; an order already cancelled or filled comes back unchanged (and emits nothing).

        Raises:
            ExchangeError: ``OrderNotFound`` (404) for an unknown id or another account's order.
        """
        order = self._find_order(account_id, order_id)
        if not order.done:
            self._now = self._clock_ms()
            self._cancel(order, REQUESTED_CANCEL_REASON, cancel_command_id=self._new_id())
            self._flush()
        return self._order_wire(order)

    @_exact
    def cancel_all(self, account_id: int) -> dict[str, list[int]]:
        """Cancel every live order of the account, from all sessions (``/v1/order/cancel/all``).

        Returns:
            ``{"cancelledOrders": [order ids as ints, oldest first], "cancelRejects": []}`` (the ``details``).
        """
        account = self._accounts[account_id]
        return self._cancel_many(list(account.open_orders.values()), REQUESTED_CANCEL_REASON)

    @_exact
    def cancel_session(self, account_id: int, api_session: str) -> dict[str, list[int]]:
        """Cancel the account's live orders placed by one session (``/v1/order/cancel/session``, heartbeat expiry).

        Returns:
            ``{"cancelledOrders": [int, ...], "cancelRejects": []}``.
        """
        account = self._accounts[account_id]
        orders = [o for o in account.open_orders.values() if o.api_session == api_session]
        return self._cancel_many(orders, SESSION_CANCEL_REASON)

    @_exact
    def order_status(
        self,
        account_id: int,
        *,
        order_id: int | str | None = None,
        client_order_id: str | None = None,
        include_trades: bool = False,
    ) -> dict[str, Any]:
        """One order's status (``POST /v1/order/status``, https://docs.gemini.com/rest/orders#order-status).

        Args:
            account_id: the order's account.
            order_id: the order id; takes precedence over ``client_order_id``.
            client_order_id: finds the account's MOST RECENT order with this client order id.
            include_trades: add ``"trades"``: the order's /v1/mytrades objects, oldest first.

        Raises:
            ExchangeError: ``MissingOrderField`` (400) when neither id is given; ``OrderNotFound`` (404).
        """
        if order_id is not None:
            order = self._find_order(account_id, order_id)
        elif client_order_id is not None:
            ids = self._by_client_id.get((account_id, client_order_id)) if isinstance(client_order_id, str) else None
            if not ids:
                raise ExchangeError("OrderNotFound", f"Order with client_order_id {client_order_id!r} not found", 404)
            order = self._orders[ids[-1]]
        else:
            raise ExchangeError("MissingOrderField", "Either order_id or client_order_id is required")
        wire = self._order_wire(order)
        if include_trades:
            wire["trades"] = [self._execution_wire(t, aggressor) for t, aggressor in order.executions()]
        return wire

    def active_orders(self, account_id: int) -> list[dict[str, Any]]:
        """The account's live orders, untriggered stops included, oldest first (``POST /v1/orders``)."""
        with localcontext(_CONTEXT):
            return [self._order_wire(o) for o in self._accounts[account_id].open_orders.values()]

    def initial_events(self, account_id: int) -> list[dict[str, Any]]:
        """``initial`` order events for the account's live orders, oldest first (no ``event_id``, no sequence)."""
        with localcontext(_CONTEXT):
            return [self._event_wire(o, "initial", None) for o in self._accounts[account_id].open_orders.values()]

    def open_order_count(self, account_id: int) -> int:
        """Number of live orders of the account (untriggered stops included)."""
        return len(self._accounts[account_id].open_orders)

    @_exact
    def set_symbol_status(self, symbol: str, status: str) -> None:
        """Set a symbol's status; ``"closed"`` cancels its live orders (stops included) with reason MarketClosed.

        Raises:
            ExchangeError: ``InvalidSymbol``.
            ValueError: a status other than open, closed, cancel_only, post_only, limit_only.
        """
        market = self._market(symbol)
        if status not in SYMBOL_STATUSES:
            raise ValueError(f"unknown symbol status {status!r}")
        market.status = status
        if status == "closed":
            self._now = self._clock_ms()
            orders = [o for a in self._accounts.values() for o in a.open_orders.values() if o.symbol == market.symbol]
            for order in sorted(orders, key=lambda o: o.id):
                self._cancel(order, "MarketClosed")
            self._flush()

    @_exact
    def set_trading_open(self, is_open: bool) -> None:
        """Open or close the whole exchange.

        Closing cancels every live order (stops included) with reason TradingClosed; while closed, new orders are
        rejected with MarketNotOpen (400) and ``symbol_details`` reports ``"closed"``.
        """
        self._trading_open = is_open
        if not is_open:
            self._now = self._clock_ms()
            orders = [o for a in self._accounts.values() for o in a.open_orders.values()]
            for order in sorted(orders, key=lambda o: o.id):
                self._cancel(order, "TradingClosed")
            self._flush()

    @_exact
    def open_markets(self) -> list[dict[str, Any]]:
        """Give every market that has no trade yet its opening trade at its seeded mid (CHOICES 26).

        Returns:
            The opening trades made, in the ``GET /v1/trades`` shape (``[]`` when every market had traded).
        """
        self._now = self._clock_ms()
        made = []
        for index, market in enumerate(self._markets.values()):
            if market.trades or market.last_price is not None:
                continue
            spec = market.spec
            below = self._first_id - len(self._markets)
            tid = below + index if below >= 1 else self._new_id()  # ids stay positive with a small first id
            trade = _Trade.opening(tid, market.symbol, spec.initial_price, spec.min_order_size, self._now,
                                   spec.quote_currency)
            market.trades.append(trade)
            market.last_price = trade.price
            market.volume.append((self._now, trade.amount, trade.price * trade.amount))
            market.volume_base += trade.amount
            market.volume_quote += trade.price * trade.amount
            if self._market_listeners:
                self._new_trades.setdefault(market.symbol, []).append(trade)
            made.append(self._public_trade_wire(trade))
        self._flush()
        return made

    # ------------------------------------------------------------------------------------------------------------
    # internals: lookups

    def _new_id(self) -> int:
        value = self._next_id
        self._next_id = value + 1
        return value

    def _market(self, symbol: object) -> _Market:
        market = self._markets.get(symbol) if type(symbol) is str else None  # the usual lowercase id: no lower()
        if market is None:
            market = self._markets.get(symbol.lower()) if isinstance(symbol, str) else None
        if market is None:
            raise ExchangeError("InvalidSymbol", f"Received unsupported symbol '{symbol}'")
        return market

    def _find_order(self, account_id: int, order_id: object) -> _Order:
        key: int | None = None
        if isinstance(order_id, int) and not isinstance(order_id, bool):
            key = order_id
        elif isinstance(order_id, str) and order_id.strip().isdigit():
            key = int(order_id.strip())
        order = self._orders.get(key) if key is not None else None
        if order is None or order.account_id != account_id:
            raise ExchangeError("OrderNotFound", f"Order {order_id} not found", 404)
        return order
