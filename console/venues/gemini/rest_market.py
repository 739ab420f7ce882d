"""Public market data endpoints of the REST client (symbols, symbol details, ticker, book, trades)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import quote

from console.venues.gemini.models import Book, PublicTrade, PubTicker, SymbolDetails

_T = TypeVar("_T")

__all__ = ["MarketDataEndpoints"]


class MarketDataEndpoints:
    """The public market data endpoints of ``GeminiRestClient`` (a mixin: ``_public`` is the client's)."""

    if TYPE_CHECKING:  # GeminiRestClient's: GET ``path?params``, return the body validated as ``tp``

        async def _public(self, path: str, params: Mapping[str, Any] | None, tp: type[_T]) -> _T: ...


    # --- public market data ---------------------------------------------------------------------------------

    async def symbols(self) -> list[str]:
        """All symbol ids, lowercase: ``GET /v1/symbols`` (https://docs.gemini.com/rest/market-data#symbols)."""
        return await self._public("/v1/symbols", None, list[str])

    async def symbol_details(self, symbol: str) -> SymbolDetails:
        """Increments, minimum and status of one symbol: ``GET /v1/symbols/details/{symbol}``.

        https://docs.gemini.com/rest/market-data#get-symbol-details
        """
        return await self._public(f"/v1/symbols/details/{quote(symbol, safe='')}", None, SymbolDetails)

    async def pubticker(self, symbol: str) -> PubTicker:
        """Bid, ask, last and 24 h volume: ``GET /v1/pubticker/{symbol}``.

        https://docs.gemini.com/rest/market-data#get-ticker
        """
        return await self._public(f"/v1/pubticker/{quote(symbol, safe='')}", None, PubTicker)

    async def book(self, symbol: str, *, limit_bids: int | None = None, limit_asks: int | None = None) -> Book:
        """Aggregated order book: ``GET /v1/book/{symbol}?limit_bids=&limit_asks=`` (default 50 each, 0 = all).

        https://docs.gemini.com/rest/market-data#get-current-order-book
        """
        params = {"limit_bids": limit_bids, "limit_asks": limit_asks}
        return await self._public(f"/v1/book/{quote(symbol, safe='')}", params, Book)

    async def public_trades(
        self, symbol: str, *, limit_trades: int | None = None, since_ms: int | None = None
    ) -> list[PublicTrade]:
        """Recent public trades, newest first: ``GET /v1/trades/{symbol}``.

        https://docs.gemini.com/rest/market-data#get-trade-history

        Args:
            symbol: e.g. ``"btcusd"``.
            limit_trades: at most this many (default 50, max 500).
            since_ms: only trades after this time, ms since the epoch (sent as ``timestamp``).
        """
        params = {"limit_trades": limit_trades, "timestamp": since_ms}
        return await self._public(f"/v1/trades/{quote(symbol, safe='')}", params, list[PublicTrade])
