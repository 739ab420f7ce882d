"""The watchlist's market data: best bid, best ask, last trade and change of several symbols, kept live at once.

The TUI runs :meth:`Watchlist.run` in one worker while the watchlist is shown and hears about changes through one
plain callback (:attr:`Watchlist.changed`, the symbol that changed), which it paces (a burst of updates is one
repaint). Each symbol has its own book (the feed needs the levels below the touch to know the next best price when
the best level goes) and a :class:`~console.domain.watchlist.WatchQuote` of a few numbers; a symbol whose feed is
not ``LIVE`` is shown stale, with its last numbers, as the ladder does.

Venues with one socket for several symbols implement
:class:`~console.trading.venue_account.MultiMarketDataFeed` (Gemini's market data v2 takes every symbol in one
subscription); :class:`PerSymbolFeeds` gives any one-symbol
:class:`~console.trading.venue_account.MarketDataFeed` that interface (one feed per symbol, e.g. Roxom's).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterable, Mapping, Sequence

from console.domain.book import OrderBook, Trade
from console.domain.feed import FeedListener, FeedState
from console.domain.watchlist import WatchQuote, WatchRow
from console.trading.venue_account import MarketDataFeed, MultiMarketDataFeed

__all__ = ["PerSymbolFeeds", "Watchlist"]

#: Recent trades kept per watched symbol's book: the row needs the last one only.
TRADES_KEPT = 1


class PerSymbolFeeds:
    """A :class:`MultiMarketDataFeed` from a one-symbol feed: one ``run`` per symbol, all in this task's group.

    Args:
        feed: the venue's one-symbol feed (its ``run`` may be called for several symbols at once).
    """

    def __init__(self, feed: MarketDataFeed) -> None:
        self.feed = feed

    async def run_many(self, books: Mapping[str, OrderBook], listeners: Mapping[str, FeedListener]) -> None:
        """Run one feed per symbol until cancelled (a feed never returns on its own; if one fails, all stop)."""
        tasks = [asyncio.ensure_future(self.feed.run(symbol, book, listeners[symbol]))
                 for symbol, book in books.items()]
        try:
            await asyncio.gather(*tasks)
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task


class Watchlist:
    """Best bid, best ask, last trade and change of each watched symbol, from a multi-symbol feed.

    Args:
        feed: the venue's multi-symbol market data feed.
        symbols: the symbols watched, in display order (lowercase; duplicates dropped), e.g. ``["btcusd", "ethusd"]``.

    Raises:
        ValueError: no symbol to watch.
    """

    def __init__(self, feed: MultiMarketDataFeed, symbols: Iterable[str]) -> None:
        ordered = list(dict.fromkeys(s.strip().lower() for s in symbols if s.strip()))
        if not ordered:
            raise ValueError("a watchlist needs at least one symbol")
        self.feed = feed
        self.symbols: Sequence[str] = tuple(ordered)
        self.quotes = {symbol: WatchQuote(symbol) for symbol in ordered}
        #: Called with the symbol whose row changed (numbers or state), in the feed's task; default: nothing.
        self.changed: Callable[[str], None] = lambda symbol: None

    def rows(self, now_ms: int) -> list[WatchRow]:
        """Every row in display order, as of ``now_ms`` (ms since the epoch; the change's UTC day)."""
        return [self.quotes[symbol].row(now_ms) for symbol in self.symbols]

    async def run(self) -> None:
        """Keep every row live until cancelled; each run starts from empty books (a fresh snapshot per symbol)."""
        books = {symbol: OrderBook(symbol, trades_kept=TRADES_KEPT) for symbol in self.symbols}
        listeners = {symbol: self._listener(self.quotes[symbol]) for symbol in self.symbols}
        try:
            await self.feed.run_many(books, listeners)
        finally:
            for quote in self.quotes.values():  # no feed any more: nothing shown is live
                if quote.set_state(FeedState.CONNECTING):
                    self.changed(quote.symbol)

    def _listener(self, quote: WatchQuote) -> FeedListener:
        symbol = quote.symbol

        def book_changed(book: OrderBook) -> None:
            if quote.set_touch(book.best_bid, book.best_ask):
                self.changed(symbol)

        def trades_added(trades: list[Trade]) -> None:
            if quote.add_trades(trades):
                self.changed(symbol)

        def state_changed(state: FeedState, detail: str) -> None:
            if quote.set_state(state):
                self.changed(symbol)

        return FeedListener(book_changed, trades_added, state_changed)
