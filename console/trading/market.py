"""Market context for the ticket: runs the market data client for the selected symbol and exposes its book.

The TUI drives it like :class:`~console.trading.session.TradingSession`: it calls :meth:`MarketSession.run` in one
long-lived worker, :meth:`MarketSession.select` when the ticket's symbol changes, and hears about changes through
plain callbacks (:class:`MarketListener`), which it turns into coalescing Textual messages. The book it reads is
a venue-neutral :class:`~console.domain.book.OrderBook`; only :attr:`state` ``LIVE`` means it can be trusted.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass

from console.domain.book import OrderBook, Trade
from console.domain.feed import FeedListener, FeedState
from console.trading.venue_account import MarketDataFeed

__all__ = ["FeedState", "MarketListener", "MarketSession"]

log = logging.getLogger(__name__)


@dataclass
class MarketListener:
    """Callbacks a market session calls; each defaults to doing nothing. ``symbol`` is lowercase.

    Attributes:
        book_changed: the selected symbol's book changed.
        trades_added: new trades of the selected symbol (oldest first).
        state_changed: the feed's state changed, with a detail saying why.
    """

    book_changed: Callable[[str], None] = lambda symbol: None
    trades_added: Callable[[str, list[Trade]], None] = lambda symbol, trades: None
    state_changed: Callable[[str, FeedState, str], None] = lambda symbol, state, detail: None


class MarketSession:
    """The book and trades of one selected symbol, kept live by a venue's market data feed.

    Args:
        client: the venue's market data feed (:class:`~console.trading.venue_account.MarketDataFeed`; one
            subscription at a time).
        symbol: the symbol selected first, e.g. ``"btcusd"``.
    """

    def __init__(self, client: MarketDataFeed, symbol: str) -> None:
        self.client = client
        self.symbol = symbol.lower()
        self.book = OrderBook(self.symbol)
        self.state = FeedState.CONNECTING
        self.detail = ""
        self.listener = MarketListener()
        self._changed = asyncio.Event()

    @property
    def live(self) -> bool:
        """True only while the book is known to be right (snapshot and every delta since, no doubt)."""
        return self.state is FeedState.LIVE

    def select(self, symbol: str) -> None:
        """Switch to ``symbol``: a new, empty book (CONNECTING) and a new subscription. No-op for the same one."""
        symbol = symbol.lower()
        if symbol == self.symbol:
            return
        self.symbol = symbol
        self.book = OrderBook(symbol)
        self._set_state(symbol, FeedState.CONNECTING, "")
        self.listener.book_changed(symbol)
        self._changed.set()

    async def run(self) -> None:
        """Keep the selected symbol's book live until cancelled; follows :meth:`select` (one feed at a time)."""
        while True:
            symbol, book = self.symbol, self.book
            self._changed.clear()
            task = asyncio.ensure_future(self.client.run(symbol, book, self._feed_listener(symbol)))
            waiter = asyncio.ensure_future(self._changed.wait())
            try:
                await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for pending in (task, waiter):
                    pending.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await pending
            failure = task.exception() if task.done() and not task.cancelled() else None
            if failure is not None:
                raise failure

    def _feed_listener(self, symbol: str) -> FeedListener:
        """The feed's callbacks for ``symbol``: passed on only while ``symbol`` is still the one selected."""

        def book_changed(_book: OrderBook) -> None:
            if symbol == self.symbol:
                self.listener.book_changed(symbol)

        def trades_added(trades: list[Trade]) -> None:
            if symbol == self.symbol:
                self.listener.trades_added(symbol, trades)

        def state_changed(state: FeedState, detail: str) -> None:
            if symbol == self.symbol:
                self._set_state(symbol, state, detail)

        return FeedListener(book_changed, trades_added, state_changed)

    def _set_state(self, symbol: str, state: FeedState, detail: str) -> None:
        if state is self.state and detail == self.detail:
            return
        self.state = state
        self.detail = detail
        self.listener.state_changed(symbol, state, detail)

    def trades(self) -> list[Trade]:
        """Recent trades of the selected symbol, newest first."""
        return self.book.trades
