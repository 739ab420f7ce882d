"""A venue-neutral level-2 order book: price levels per side, touch, last trade, spread, mid, own-order marks."""

from __future__ import annotations

import bisect
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from console.domain.model import Order, OrderState, Side

__all__ = ["BookLevel", "OrderBook", "PriceAction", "Trade", "own_levels", "price_for"]

_ZERO = Decimal(0)
_TWO = Decimal(2)


@dataclass(frozen=True, slots=True)
class BookLevel:
    """One aggregated price level.

    Attributes:
        price: quote currency per base unit, e.g. ``Decimal("64250.00")``.
        amount: total resting base amount at that price.
    """

    price: Decimal
    amount: Decimal


@dataclass(frozen=True, slots=True)
class Trade:
    """One public trade.

    Attributes:
        trade_id: the venue's trade id.
        time_ms: when it happened, ms since the epoch.
        price / amount: Decimal price and base amount.
        taker_side: the side of the order that took liquidity.
    """

    trade_id: int
    time_ms: int
    price: Decimal
    amount: Decimal
    taker_side: Side


class _Side:
    """One side of the book: price -> amount, plus the prices sorted so that the best is last (O(1) to reach)."""

    __slots__ = ("is_bid", "amounts", "keys")

    def __init__(self, is_bid: bool) -> None:
        self.is_bid = is_bid
        self.amounts: dict[Decimal, Decimal] = {}
        self.keys: list[Decimal] = []  # ascending; bids key = price, asks key = -price

    def set(self, price: Decimal, amount: Decimal) -> None:
        amounts = self.amounts
        if amount:
            if price not in amounts:
                bisect.insort(self.keys, price if self.is_bid else -price)
            amounts[price] = amount
        elif price in amounts:
            del amounts[price]
            key = price if self.is_bid else -price
            keys = self.keys
            if keys[-1] == key:
                keys.pop()
            else:
                del keys[bisect.bisect_left(keys, key)]

    def best(self) -> Decimal | None:
        if not self.keys:
            return None
        key = self.keys[-1]
        return key if self.is_bid else -key

    def levels(self, depth: int | None) -> Iterator[BookLevel]:
        sign = 1 if self.is_bid else -1
        keys = self.keys
        stop = 0 if depth is None else max(0, len(keys) - depth)
        for i in range(len(keys) - 1, stop - 1, -1):
            price = keys[i] * sign
            yield BookLevel(price, self.amounts[price])

    def clear(self) -> None:
        self.amounts.clear()
        self.keys.clear()


class OrderBook:
    """A level-2 book for one symbol, fed with snapshots and level deltas (new total per level; 0 removes it).

    Updates cost O(log n) for a known level and O(n) (a list insert) for a new one; best bid / ask are O(1).

    Args:
        symbol: lowercase symbol, e.g. ``"btcusd"``.
        trades_kept: how many recent trades :attr:`trades` keeps (newest first).
    """

    def __init__(self, symbol: str, *, trades_kept: int = 50) -> None:
        self.symbol = symbol.lower()
        self._bids = _Side(is_bid=True)
        self._asks = _Side(is_bid=False)
        self._trades: deque[Trade] = deque(maxlen=trades_kept)
        self.last: Decimal | None = None

    # -- updates ------------------------------------------------------------------------------------------------
    def clear(self) -> None:
        """Forget every level and trade (before a fresh snapshot)."""
        self._bids.clear()
        self._asks.clear()
        self._trades.clear()
        self.last = None

    def set_level(self, side: Side, price: Decimal, amount: Decimal) -> None:
        """Set the total resting at ``price`` on ``side``; an ``amount`` of 0 removes the level.

        Raises:
            ValueError: a negative amount or a non-positive price (the book is unchanged).
        """
        if amount < 0 or price <= 0:
            raise ValueError(f"bad level {side.value} {price} {amount}")
        (self._bids if side is Side.BUY else self._asks).set(price, amount)

    def add_trades(self, trades: Iterable[Trade]) -> None:
        """Record trades (any order); :attr:`last` becomes the price of the newest by trade id."""
        ordered = sorted(trades, key=lambda t: t.trade_id)
        for trade in ordered:
            if self._trades and trade.trade_id <= self._trades[0].trade_id:
                continue  # already known (or older than the newest one)
            self._trades.appendleft(trade)
            self.last = trade.price

    # -- reads --------------------------------------------------------------------------------------------------
    @property
    def best_bid(self) -> Decimal | None:
        """Highest bid price, or None when no bids."""
        return self._bids.best()

    @property
    def best_ask(self) -> Decimal | None:
        """Lowest ask price, or None when no asks."""
        return self._asks.best()

    @property
    def spread(self) -> Decimal | None:
        """Best ask − best bid, or None when a side is empty."""
        bid, ask = self.best_bid, self.best_ask
        return None if bid is None or ask is None else ask - bid

    @property
    def mid(self) -> Decimal | None:
        """(best bid + best ask) / 2, unrounded, or None when a side is empty."""
        bid, ask = self.best_bid, self.best_ask
        return None if bid is None or ask is None else (bid + ask) / _TWO

    @property
    def crossed(self) -> bool:
        """True when best bid >= best ask: a book no venue can show, so it must not be trusted."""
        bid, ask = self.best_bid, self.best_ask
        return bid is not None and ask is not None and bid >= ask

    def bids(self, depth: int | None = None) -> list[BookLevel]:
        """Bid levels, best (highest) first; at most ``depth`` of them."""
        return list(self._bids.levels(depth))

    def asks(self, depth: int | None = None) -> list[BookLevel]:
        """Ask levels, best (lowest) first; at most ``depth`` of them."""
        return list(self._asks.levels(depth))

    def amount_at(self, side: Side, price: Decimal) -> Decimal:
        """Total resting at ``price`` on ``side`` (0 when no level)."""
        return (self._bids if side is Side.BUY else self._asks).amounts.get(price, _ZERO)

    @property
    def trades(self) -> list[Trade]:
        """Recent trades, newest first."""
        return list(self._trades)

    def level_count(self) -> tuple[int, int]:
        """``(bid levels, ask levels)``."""
        return len(self._bids.keys), len(self._asks.keys)


class PriceAction:
    """Names of the ticket's price keys (see :func:`price_for`)."""

    BID = "bid"
    ASK = "ask"
    MID = "mid"
    JOIN = "join"
    IMPROVE = "improve"


def price_for(action: str, side: Side, book: OrderBook, tick: Decimal) -> Decimal | None:
    """The limit price a price key puts in the ticket, on the symbol's price tick.

    * ``bid`` / ``ask``: the best bid / best ask.
    * ``mid``: the mid rounded to the tick AWAY from the other side (down for a buy, up for a sell), so the key
      never makes an order more aggressive than the mid.
    * ``join``: the best price of the order's own side (best bid for a buy, best ask for a sell).
    * ``improve``: one tick better than the own side's best (bid + tick for a buy, ask − tick for a sell), unless
      that would reach the other side, in which case it joins instead (never crosses).

    Args:
        action: one of :class:`PriceAction`'s values.
        side: the ticket's side.
        book: the live book.
        tick: the symbol's price increment, e.g. ``Decimal("0.01")``.

    Returns:
        The price, or None when the book lacks the side(s) the action needs.

    Raises:
        ValueError: an unknown action or a non-positive tick.
    """
    if tick <= 0:
        raise ValueError(f"tick must be positive, got {tick}")
    bid, ask = book.best_bid, book.best_ask
    own, other = (bid, ask) if side is Side.BUY else (ask, bid)
    if action == PriceAction.BID:
        return bid
    if action == PriceAction.ASK:
        return ask
    if action == PriceAction.JOIN:
        return own
    if action == PriceAction.MID:
        mid = book.mid
        if mid is None:
            return None
        steps = (mid / tick).to_integral_value(rounding=ROUND_FLOOR if side is Side.BUY else ROUND_CEILING)
        return (steps * tick).quantize(tick)
    if action == PriceAction.IMPROVE:
        if own is None:
            return None
        better = own + tick if side is Side.BUY else own - tick
        if other is not None and (better >= other if side is Side.BUY else better <= other):
            return own
        if better <= 0:
            return own
        return better
    raise ValueError(f"unknown price action {action!r}")


def own_levels(orders: Iterable[Order], symbol: str) -> dict[tuple[Side, Decimal], Decimal]:
    """``{(side, price): open amount}`` of the trader's orders resting on ``symbol``'s book.

    Resting means live, partially filled, or with a cancel in flight; a stop-limit order waiting for its trigger
    (or an order not yet acknowledged) is not on the book and is left out. ``orders`` may hold any orders (ended
    ones are left out too), in any order.
    """
    # Over every open order once a second (the ladder's marks): states and sides are compared by identity and
    # levels keyed by price alone, because hashing an Enum member runs Python code (a large share of the scan).
    live, partial, cancelling = OrderState.LIVE, OrderState.PARTIALLY_FILLED, OrderState.PENDING_CANCEL
    buy = Side.BUY
    bids: dict[Decimal, Decimal] = {}
    asks: dict[Decimal, Decimal] = {}
    for order in orders:
        state = order.state
        if order.symbol != symbol or (state is not live and state is not partial and state is not cancelling):
            continue
        levels = bids if order.side is buy else asks
        price = order.price
        remaining = order.remaining
        amount = remaining if remaining is not None else order.amount - order.filled  # Order.open_amount
        levels[price] = levels.get(price, _ZERO) + amount
    marks = {(Side.BUY, price): amount for price, amount in bids.items()}
    marks.update({(Side.SELL, price): amount for price, amount in asks.items()})
    return marks
