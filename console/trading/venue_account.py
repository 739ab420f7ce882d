"""What the account service, the market session and the reference prices need from a venue: typed protocols.

A venue adapter (``console.venues.<venue>``) implements these over its own clients and does every wire → domain
conversion itself, so ``console.trading`` and the views only ever see ``console.domain`` objects. Failures are the
venue's error tree; its root is what ``console.domain.errors.VenueError`` names.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from decimal import Decimal
from typing import Protocol, runtime_checkable

from console.domain.account import BalanceRow, FeeSummary, WrapReceipt
from console.domain.book import OrderBook
from console.domain.feed import FeedListener, Quote
from console.domain.model import Fill, Order, Side
from console.domain.positions import VenuePosition

__all__ = ["AccountVenue", "BalancePushes", "BalancesListener", "MarketDataFeed", "MultiMarketDataFeed",
           "ReferenceQuotes", "VenuePositions"]

#: Told the available balances a venue pushed: upper-case currency → available amount (only the currencies that
#: changed); None when pushes may have been missed (the venue's stream reconnected): read every balance again.
BalancesListener = Callable[[Mapping[str, Decimal] | None], None]


@runtime_checkable
class VenuePositions(Protocol):
    """A venue that keeps positions itself (Roxom's perpetuals): the positions view shows the venue's word.

    An ``AccountVenue`` may also be one; ``console.trading.positions.PositionsService`` checks at run time.
    """

    async def venue_positions(self, symbols: Sequence[str]) -> list[VenuePosition]:
        """The open positions of ``symbols`` (lowercase), flat ones left out."""
        ...

    def listen_positions(self, listener: Callable[[VenuePosition], None]) -> None:
        """Call ``listener`` with each position update the venue pushes (a flat one has ``net`` 0)."""
        ...


class AccountVenue(Protocol):
    """The account queries and actions of one venue key (and, for a master key, its sub-account switch).

    Every method raises the venue's errors (``console.domain.errors.VenueError`` and below) on failure.
    """

    @property
    def name(self) -> str:
        """The venue's name for texts, e.g. ``"Gemini"``."""
        ...

    @property
    def is_master_key(self) -> bool:
        """True for a key that acts on sub-accounts named per call (the views then offer the switcher)."""
        ...

    @property
    def account(self) -> str | None:
        """The sub-account every call acts on (master keys), or None."""
        ...

    @account.setter
    def account(self, name: str | None) -> None:
        """Act on sub-account ``name`` from now on; shared with the trading session's client."""
        ...

    async def can_trade(self) -> bool:
        """Whether the key holds the trading role: False only when the venue says the role is missing.

        Raises:
            VenueError: any other failure (network, authentication).
        """
        ...

    def closed_orders(self, *, symbol: str | None = None) -> AsyncIterator[Order]:
        """Every closed order of the account (lowercase ``symbol`` or all), oldest first, each once, with fills.

        The walk always ends, whatever the venue answers (no page is asked for twice without progress); orders
        already yielded stay yielded when a later page fails.
        """
        ...

    async def recent_fills(self, *, symbol: str | None = None, limit: int = 500) -> list[Fill]:
        """The newest ``limit`` fills of the account, newest first; broken trades flagged in ``Fill.broken``."""
        ...

    def all_fills(self, *, symbol: str | None = None, since_ms: int = 0) -> AsyncIterator[Fill]:
        """Every fill of the account executed at or after ``since_ms`` (ms since the epoch), oldest first, each once
        (the walk always ends, as :meth:`closed_orders`); broken trades flagged in ``Fill.broken``."""
        ...

    async def order_detail(self, order_id: str) -> Order:
        """Everything the venue says about one order, with its fills (oldest first).

        Raises:
            VenueError: the venue does not know the order (its "order not found" error), or the request failed.
        """
        ...

    async def balances(self) -> list[BalanceRow]:
        """The balance of every currency the account holds (any order)."""
        ...

    async def fee_summary(self) -> FeeSummary:
        """Maker/taker fee rates (bps), 30-day notional and the traded volume per symbol (sorted by symbol)."""
        ...

    async def wrap_enabled(self, symbol: str) -> bool:
        """Whether ``symbol``'s details say it can be wrapped (converted at 1, e.g. USD ↔ GUSD)."""
        ...

    async def wrap(self, symbol: str, side: Side, amount: Decimal) -> WrapReceipt:
        """Wrap (buy: quote → base) or unwrap (sell) ``amount`` of ``symbol``.

        Raises:
            ValueError: an amount or symbol the venue cannot take (nothing is sent).
            VenueError: the venue refused (e.g. not wrap-enabled, insufficient funds, missing role) or failed.
        """
        ...


@runtime_checkable
class BalancePushes(Protocol):
    """An account venue that pushes available balances as they change (e.g. Gemini's ``balances@account``), so
    the views show them without asking the venue (each ask is a rate-limited private request)."""

    def watch_balances(self, listener: BalancesListener | None) -> None:
        """Tell ``listener`` every pushed change from now on (None: stop telling)."""
        ...


class MarketDataFeed(Protocol):
    """A venue's live market data for one symbol at a time, kept in a :class:`~console.domain.book.OrderBook`."""

    async def run(self, symbol: str, book: OrderBook, listener: FeedListener) -> None:
        """Keep ``book`` live for ``symbol`` until cancelled; never returns otherwise, never raises on the wire.

        Tells ``listener`` about book changes, trades (oldest first) and the feed's
        :class:`~console.domain.feed.FeedState` (``LIVE`` only while the book is known to be right).
        """
        ...


class MultiMarketDataFeed(Protocol):
    """A venue's live market data for several symbols at once (the watchlist), one book each."""

    async def run_many(self, books: Mapping[str, OrderBook], listeners: Mapping[str, FeedListener]) -> None:
        """Keep every book live (keys: lowercase symbols) until cancelled; never returns otherwise, never raises on
        the wire. Tells each symbol's listener (same keys as ``books``) as :meth:`MarketDataFeed.run` does."""
        ...


class ReferenceQuotes(Protocol):
    """One-off prices of a symbol from the venue's public request/response API (no live feed needed)."""

    async def book_top(self, symbol: str) -> Quote:
        """The best bid and ask of ``symbol``'s book (``last`` None); a side without orders is None.

        Raises:
            VenueError: the request failed.
        """
        ...

    async def ticker(self, symbol: str) -> Quote:
        """``symbol``'s ticker: best bid, best ask and last trade price (None where the venue has none).

        Raises:
            VenueError: the request failed.
        """
        ...
