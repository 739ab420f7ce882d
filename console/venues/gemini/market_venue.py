"""Gemini's public market data for the trading layer: one-off quotes from REST; the live book feed is
:class:`~console.venues.gemini.market_data.MarketDataClient`.

:class:`GeminiQuotes` implements ``console.trading.venue_account.ReferenceQuotes`` over a
:class:`~console.venues.gemini.rest.GeminiRestClient`; ``MarketDataClient`` implements
``console.trading.venue_account.MarketDataFeed`` as it is (its ``run`` fills a ``console.domain.book.OrderBook`` and
tells a ``console.domain.feed.FeedListener``).
"""

from __future__ import annotations

from console.domain.feed import Quote
from console.venues.gemini.rest import GeminiRestClient

__all__ = ["GeminiQuotes"]


class GeminiQuotes:
    """Reference quotes from Gemini's public REST API (https://docs.gemini.com/rest/market-data).

    Args:
        rest: the REST client (shared with the trading session; this never closes it).

    Both methods raise ``console.venues.gemini.errors.GeminiError`` subclasses on failure.
    """

    def __init__(self, rest: GeminiRestClient) -> None:
        self._rest = rest

    async def book_top(self, symbol: str) -> Quote:
        """The top of ``GET /v1/book/{symbol}`` (one level each side): best bid and ask, ``last`` None."""
        book = await self._rest.book(symbol, limit_bids=1, limit_asks=1)
        return Quote(
            bid=book.bids[0].price if book.bids else None,
            ask=book.asks[0].price if book.asks else None,
        )

    async def ticker(self, symbol: str) -> Quote:
        """``bid``, ``ask`` and ``last`` of ``GET /v1/pubticker/{symbol}`` (None where Gemini sends null)."""
        ticker = await self._rest.pubticker(symbol)
        return Quote(bid=ticker.bid, ask=ticker.ask, last=ticker.last)
