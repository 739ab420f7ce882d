"""A watchlist row per symbol: best bid, best ask, last trade, change since the day's first trade, spread, staleness.

The change is measured against the **first trade the console saw today** (UTC day of the trade's own time), not a
venue's 24 h open: every venue's trade stream gives it (Roxom publishes no REST ticker), and the venue's snapshot of
recent trades counts as seen, so a console started mid-day has a reference at once when the symbol traded today.
A new UTC day starts a new reference at its first trade; until then the change is unknown (None), never measured
against yesterday's price.

Pure state, no IO: :class:`WatchQuote` is fed by ``console.trading.watchlist`` from each symbol's market data feed,
and :meth:`WatchQuote.row` gives the immutable :class:`WatchRow` a view draws.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from console.domain.book import Trade
from console.domain.feed import FeedState

__all__ = ["DAY_MS", "WatchQuote", "WatchRow", "utc_day"]

#: Milliseconds in a UTC day.
DAY_MS = 86_400_000
_HUNDRED = Decimal(100)


def utc_day(time_ms: int) -> int:
    """The UTC day number of ``time_ms`` (ms since the epoch): days since 1970-01-01."""
    return time_ms // DAY_MS


@dataclass(frozen=True, slots=True)
class WatchRow:
    """What one watchlist row shows (prices in the quote currency; None where unknown).

    Attributes:
        symbol: lowercase, e.g. ``"btcusd"``.
        bid / ask: best bid and best ask.
        last: the last trade's price.
        change: ``last - reference`` (the day's first trade seen), e.g. ``Decimal("21.74")``.
        change_pct: ``change / reference × 100``, unrounded (the view rounds it).
        spread: ``ask - bid``.
        state: the symbol's feed state; only ``LIVE`` rows are known to be right.
    """

    symbol: str
    bid: Decimal | None
    ask: Decimal | None
    last: Decimal | None
    change: Decimal | None
    change_pct: Decimal | None
    spread: Decimal | None
    state: FeedState

    @property
    def live(self) -> bool:
        """True when the row's numbers can be trusted (its feed is LIVE)."""
        return self.state is FeedState.LIVE


class WatchQuote:
    """One symbol's watchlist state: a few numbers, whatever the book's depth or the trade rate (O(1) memory).

    Args:
        symbol: e.g. ``"btcusd"`` (any case; kept lowercase).
    """

    __slots__ = ("symbol", "bid", "ask", "last", "last_trade_id", "reference", "reference_day", "state")

    def __init__(self, symbol: str) -> None:
        self.symbol = symbol.lower()
        self.bid: Decimal | None = None
        self.ask: Decimal | None = None
        self.last: Decimal | None = None
        self.last_trade_id: int | None = None
        #: The first trade price seen on :attr:`reference_day` (UTC), the change's reference.
        self.reference: Decimal | None = None
        self.reference_day: int | None = None
        self.state = FeedState.CONNECTING

    def set_touch(self, bid: Decimal | None, ask: Decimal | None) -> bool:
        """The book's best bid and ask now; returns whether they changed."""
        if bid == self.bid and ask == self.ask:
            return False
        self.bid, self.ask = bid, ask
        return True

    def add_trades(self, trades: Iterable[Trade]) -> bool:
        """Trades in any order (a snapshot's recent trades, or new ones); returns whether the row changed.

        The last price follows the newest trade by id (a trade already seen or older changes nothing); the reference
        is the earliest trade of the newest UTC day seen.
        """
        changed = False
        for trade in sorted(trades, key=lambda t: t.trade_id):
            day = utc_day(trade.time_ms)
            if self.reference_day is None or day > self.reference_day:
                self.reference_day, self.reference = day, trade.price
                changed = True
            if self.last_trade_id is None or trade.trade_id > self.last_trade_id:
                self.last_trade_id, self.last = trade.trade_id, trade.price
                changed = True
        return changed

    def set_state(self, state: FeedState) -> bool:
        """The feed's state; returns whether it changed. A reconnect keeps the numbers (shown as not live)."""
        if state is self.state:
            return False
        self.state = state
        return True

    def row(self, now_ms: int) -> WatchRow:
        """The row as of ``now_ms`` (ms since the epoch): the change is None when no trade was seen on that UTC day."""
        change = pct = None
        reference = self.reference
        if (reference is not None and self.last is not None and reference > 0
                and self.reference_day == utc_day(now_ms)):
            change = self.last - reference
            pct = change / reference * _HUNDRED
        bid, ask = self.bid, self.ask
        spread = ask - bid if bid is not None and ask is not None else None
        return WatchRow(self.symbol, bid, ask, self.last, change, pct, spread, self.state)
