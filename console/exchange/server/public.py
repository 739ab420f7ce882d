"""The local exchange server's public REST endpoints: symbols, symbol details, ticker, book and trades.

https://docs.gemini.com/rest/market-data
"""

from __future__ import annotations

from aiohttp import web

from console.exchange.engine import MatchingEngine
from console.exchange.server.payload import _ok, _query_int, _to_ms

__all__ = ["PublicEndpointsMixin"]


class PublicEndpointsMixin:
    """The public REST handlers of :class:`~console.exchange.server.app.ExchangeServer` (which provides ``_engine``)."""

    _engine: MatchingEngine

    async def _symbols(self, request: web.Request) -> web.Response:
        """``GET /v1/symbols`` → array of lowercase symbols (https://docs.gemini.com/rest/market-data#symbols)."""
        return _ok(self._engine.symbols())

    async def _symbol_details(self, request: web.Request) -> web.Response:
        """``GET /v1/symbols/details/{symbol}`` → symbol details object
        (https://docs.gemini.com/rest/market-data#get-symbol-details)."""
        return _ok(self._engine.symbol_details(request.match_info["symbol"]))

    async def _pubticker(self, request: web.Request) -> web.Response:
        """``GET /v1/pubticker/{symbol}`` → ``{"bid", "ask", "last", "volume"}``
        (https://docs.gemini.com/rest/market-data#get-ticker)."""
        return _ok(self._engine.ticker(request.match_info["symbol"]))

    async def _book(self, request: web.Request) -> web.Response:
        """``GET /v1/book/{symbol}?limit_bids=&limit_asks=`` → ``{"bids": [...], "asks": [...]}``
        (https://docs.gemini.com/rest/market-data#get-current-order-book)."""
        limit_bids = _query_int(request, "limit_bids", 50)
        limit_asks = _query_int(request, "limit_asks", 50)
        return _ok(self._engine.book(request.match_info["symbol"], limit_bids=limit_bids, limit_asks=limit_asks))

    async def _trades(self, request: web.Request) -> web.Response:
        """``GET /v1/trades/{symbol}?limit_trades=&since=|timestamp=`` → public trades, newest first
        (https://docs.gemini.com/rest/market-data#get-trade-history)."""
        limit_trades = _query_int(request, "limit_trades", 50)
        since = _query_int(request, "since", None)
        if since is None:
            since = _query_int(request, "timestamp", None)
        since_ms = None if since is None else _to_ms(since)
        symbol = request.match_info["symbol"]
        return _ok(self._engine.public_trades(symbol, limit_trades=limit_trades, since_ms=since_ms))
