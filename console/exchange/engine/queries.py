"""History and market data queries of the engine: trades, order history, book, tickers, symbols."""

from __future__ import annotations

import bisect
from decimal import Decimal, localcontext
from typing import Any

from console.exchange.engine.choices import DEFAULT_LIMIT_ORDERS, MAX_LIMIT_ORDERS, MAX_LIMIT_TRADES, VOLUME_WINDOW_MS
from console.exchange.engine.common import _CONTEXT, ExchangeError, _exact, _fmt, _fmt_norm
from console.exchange.engine.model import _Trade
from console.exchange.engine.state import _EngineState
from console.exchange.symbols import SymbolSpec, symbol_details_wire


class _QueriesMixin(_EngineState):
    """MatchingEngine's history and market data queries (methods of MatchingEngine)."""

    def my_trades(
        self, account_id: int, symbol: str | None = None, *, limit_trades: int = 50, timestamp: int | None = None
    ) -> list[dict[str, Any]]:
        """The account's executions (``POST /v1/mytrades``, https://docs.gemini.com/rest/orders#get-past-trades), newest
        first.

        Args:
            account_id: the account.
            symbol: only this symbol (any case); None for all.
            limit_trades: at most this many (capped at 500).
            timestamp: only trades at or after this time, in seconds, or in ms when >= 1e12; with it, the page
                holds the OLDEST ``limit_trades`` such trades (CHOICES 20), still newest first.

        Raises:
            ExchangeError: ``InvalidSymbol`` for an unknown symbol.
        """
        account = self._accounts[account_id]
        wanted = self._market(symbol).symbol if symbol is not None else None
        since_ms = None if timestamp is None else (timestamp if timestamp >= 1_000_000_000_000 else timestamp * 1000)
        limit = max(0, min(limit_trades, MAX_LIMIT_TRADES))
        out: list[dict[str, Any]] = []
        if since_ms is not None:  # the OLDEST `limit` at or after since_ms, newest first (CHOICES 20)
            start = bisect.bisect_left([t.timestamp_ms for t in account.executions], since_ms)
            for index in range(start, len(account.executions)):
                if len(out) >= limit:
                    break
                trade = account.executions[index]
                if wanted is None or trade.symbol == wanted:
                    out.append(self._execution_wire(trade, account.aggressors[index]))
            out.reverse()
            return out
        for trade, aggressor in zip(reversed(account.executions), reversed(account.aggressors), strict=True):
            if len(out) >= limit:
                break
            if wanted is None or trade.symbol == wanted:
                out.append(self._execution_wire(trade, aggressor))
        return out

    def public_trades(
        self, symbol: str, *, limit_trades: int = 50, since_ms: int | None = None
    ) -> list[dict[str, Any]]:
        """Public trades (``GET /v1/trades/{symbol}``, https://docs.gemini.com/rest/market-data#get-trade-history),
        newest first; ``type`` is the taker side.

        Args:
            symbol: any case.
            limit_trades: at most this many (capped at 500).
            since_ms: only trades at or after this time (ms).

        Raises:
            ExchangeError: ``InvalidSymbol``.
        """
        market = self._market(symbol)
        limit = max(0, min(limit_trades, MAX_LIMIT_TRADES))
        out: list[dict[str, Any]] = []
        for trade in reversed(market.trades):
            if len(out) >= limit or (since_ms is not None and trade.timestamp_ms < since_ms):
                break
            out.append(self._public_trade_wire(trade, broken=trade.tid in self._broken_tids))
        return out

    def break_trade(self, tid: int, kind: str = "manual") -> int:
        """Break a trade as an exchange operator would (CHOICES 23); returns how many executions were marked.

        Raises:
            ValueError: ``kind`` is not ``"manual"`` or ``"full"``.
            ExchangeError: ``OrderNotFound`` (404) when no kept execution has this trade id.
        """
        if kind not in ("manual", "full"):
            raise ValueError(f"break kind must be 'manual' or 'full', got {kind!r}")
        marked = 0
        for account in self._accounts.values():
            for trade, aggressor in zip(account.executions, account.aggressors, strict=True):
                if trade.tid == tid:
                    if aggressor:
                        trade.taker_broken = kind
                    else:
                        trade.maker_broken = kind
                    marked += 1
        if not marked:
            raise ExchangeError("OrderNotFound", f"No trade with tid {tid}", 404)
        self._broken_tids.add(tid)
        return marked

    @_exact
    def orders_history(
        self,
        account_id: int,
        symbol: str | None = None,
        *,
        limit_orders: int = DEFAULT_LIMIT_ORDERS,
        timestamp: int | None = None,
    ) -> list[dict[str, Any]]:
        """Closed orders (``POST /v1/orders/history``), newest submit time first (CHOICES 19).

        https://developer.gemini.com/trading/rest-api/orders/list-past-orders

        Args:
            account_id: the account.
            symbol: only this symbol (any case); None for all.
            limit_orders: at most this many (default 50, capped at 500).
            timestamp: only orders submitted at or after this time, seconds, or ms when >= 1e12; with it, the
                page holds the OLDEST ``limit_orders`` such orders (CHOICES 19), still newest first.

        Returns:
            Order objects with ``trades`` (``[]`` for an order that never traded).

        Raises:
            ExchangeError: ``InvalidSymbol`` for an unknown symbol.
        """
        account = self._accounts[account_id]
        wanted = self._market(symbol).symbol if symbol is not None else None
        since_ms = None if timestamp is None else _ms(timestamp)
        limit = max(0, min(limit_orders, MAX_LIMIT_ORDERS))
        orders = [
            order
            for order in (self._orders.get(oid) for oid in account.closed_ids)
            if order is not None
            and (wanted is None or order.symbol == wanted)
            and (since_ms is None or order.timestamp_ms >= since_ms)
        ]
        orders.sort(key=lambda o: (o.timestamp_ms, o.id), reverse=True)
        # With a lower bound the page is the oldest `limit` from it (the docs' forward recipe); without, the newest.
        page = orders[:limit] if since_ms is None else orders[max(0, len(orders) - limit):]
        out = []
        for order in page:
            wire = self._order_wire(order)
            wire["trades"] = [self._execution_wire(t, aggressor) for t, aggressor in order.executions()]
            out.append(wire)
        return out

    # ------------------------------------------------------------------------------------------------------------
    # market data

    def book(self, symbol: str, limit_bids: int = 50, limit_asks: int = 50) -> dict[str, list[dict[str, str]]]:
        """Aggregated order book (``GET /v1/book/{symbol}``,
        https://docs.gemini.com/rest/market-data#get-current-order-book); a limit of 0 means the full side.

        Returns:
            ``{"bids": [{"price": "64249.99", "amount": "0.5", "timestamp": "1700000000"}, ...], "asks": [...]}``,
            best price first; ``timestamp`` (string seconds) is when the level last received an order.

        Raises:
            ExchangeError: ``InvalidSymbol``.
        """
        market = self._market(symbol)
        return {
            "bids": self._levels_wire(market.bids, limit_bids),
            "asks": self._levels_wire(market.asks, limit_asks),
        }

    def ticker(self, symbol: str) -> dict[str, Any]:
        """``GET /v1/pubticker/{symbol}`` shape: ``{"bid", "ask", "last", "volume": {BASE, QUOTE, "timestamp"}}``.

        ``bid`` / ``ask`` / ``last`` are decimal strings, or None when there is none; volume covers the last 24 h.

        Raises:
            ExchangeError: ``InvalidSymbol``.
        """
        market = self._market(symbol)
        now = self._clock_ms()
        with localcontext(_CONTEXT):
            self._expire_volume(market, now)
            bid, ask = market.bids.best(), market.asks.best()
            return {
                "bid": None if bid is None else _fmt(bid),
                "ask": None if ask is None else _fmt(ask),
                "last": None if market.last_price is None else _fmt(market.last_price),
                "volume": {
                    market.spec.base_currency: _fmt_norm(market.volume_base),
                    market.spec.quote_currency: _fmt_norm(market.volume_quote),
                    "timestamp": now,
                },
            }

    def ticker_v2(self, symbol: str) -> dict[str, Any]:
        """``GET /v2/ticker/{symbol}`` shape (https://docs.gemini.com/rest/market-data#get-ticker-v2) over the last 24
        hours of public trades.

        Returns:
            ``{"symbol": "BTCUSD", "open", "high", "low", "close", "changes": [24 hourly prices, newest first],
            "bid", "ask"}`` as decimal strings. ``open`` is the last price before the window (else the window's first
            trade), ``close`` the last price; ``changes[k]`` is the last price at ``now - k`` hours. Prices are
            None when nothing ever traded; ``bid`` / ``ask`` are None for an empty side (as in :meth:`ticker`).

        Raises:
            ExchangeError: ``InvalidSymbol``.
        """
        market = self._market(symbol)
        now = self._clock_ms()
        horizon = now - VOLUME_WINDOW_MS
        before: Decimal | None = None  # last price at or before the window's start
        window: list[_Trade] = []
        for trade in reversed(market.trades):
            if trade.timestamp_ms < horizon:
                before = trade.price
                break
            window.append(trade)
        window.reverse()  # oldest first
        prices = [t.price for t in window]
        open_ = before if before is not None else (prices[0] if prices else None)
        changes: list[str | None] = []
        index = len(window)
        for hour in range(24):
            mark = now - hour * 3_600_000
            while index and window[index - 1].timestamp_ms > mark:
                index -= 1
            price = window[index - 1].price if index else open_
            changes.append(None if price is None else _fmt(price))
        bid, ask = market.bids.best(), market.asks.best()

        def text(value: Decimal | None) -> str | None:
            return None if value is None else _fmt(value)

        return {
            "symbol": market.upper,
            "open": text(open_),
            "high": text(max(prices)) if prices else text(open_),
            "low": text(min(prices)) if prices else text(open_),
            "close": text(market.last_price),
            "changes": changes,
            "bid": text(bid),
            "ask": text(ask),
        }

    def symbols(self) -> list[str]:
        """Lowercase symbol ids (``GET /v1/symbols``)."""
        return list(self._markets)

    def symbol_spec(self, symbol: str) -> SymbolSpec:
        """The rules of a symbol (any case). Raises ExchangeError ``InvalidSymbol`` for an unknown one."""
        return self._market(symbol).spec

    def symbol_details(self, symbol: str) -> dict[str, Any]:
        """``GET /v1/symbols/details/{symbol}`` shape; status is "closed" while trading is closed.

        Raises:
            ExchangeError: ``InvalidSymbol`` (400) for an unknown symbol.
        """
        market = self._market(symbol)
        return symbol_details_wire(market.spec, market.status if self._trading_open else "closed")

    def last_price(self, symbol: str) -> Decimal | None:
        """Price of the symbol's last trade, or None."""
        return self._market(symbol).last_price

    def best_bid_ask(self, symbol: str) -> tuple[Decimal | None, Decimal | None]:
        """``(best bid, best ask)`` prices of the symbol, None for an empty side."""
        market = self._market(symbol)
        return market.bids.best(), market.asks.best()


def _ms(timestamp: int) -> int:
    """A timestamp in seconds (below 1e12) or ms, as ms."""
    return timestamp if timestamp >= 1_000_000_000_000 else timestamp * 1000
