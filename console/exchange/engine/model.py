"""Internal records of the engine: accounts, orders, trades, book levels and sides, markets."""

from __future__ import annotations

import bisect
from collections import deque
from collections.abc import Iterator
from decimal import Decimal
from typing import Any, cast

from console.exchange.engine.choices import AVG_PRICE_EXTRA_DECIMALS, TRADES_KEPT
from console.exchange.engine.common import _ONE, _ZERO, _fmt, _is_multiple, _to_decimal
from console.exchange.symbols import SymbolSpec

#: Per symbol and kind (amount, price), at most this many parsed texts are kept; texts longer than
#: PARSED_TEXT_MAX_LEN are never kept, so odd requests cannot grow the caches' memory.
PARSED_TEXTS_KEPT = 4096
PARSED_TEXT_MAX_LEN = 40


def _remember_text(cache: dict[str, tuple[Decimal, str]], text: object, parsed: tuple[Decimal, str]) -> None:
    """Keep ``parsed`` as the parse of request text ``text`` (strings only; the cache restarts when full)."""
    if type(text) is str and len(text) <= PARSED_TEXT_MAX_LEN:
        if len(cache) >= PARSED_TEXTS_KEPT:
            cache.clear()
        cache[text] = parsed


def _quantum(increment: Decimal) -> Decimal:
    """The ``quantize`` argument giving a number the increment's decimals (at least 0)."""
    exponent = cast(int, increment.normalize().as_tuple().exponent)  # a finite increment: an int, not "n"/"N"/"F"
    return Decimal(1).scaleb(min(0, exponent))


# ----------------------------------------------------------------------------------------------------------------
# internal state


class _Account:
    __slots__ = ("id", "name", "balances", "holds", "open_orders", "closed_ids", "executions", "aggressors", "own",
                 "volume", "volume_usd")

    def __init__(self, account_id: int, name: str) -> None:
        self.id = account_id
        self.name = name
        self.balances: dict[str, Decimal] = {}
        self.holds: dict[str, Decimal] = {}
        self.open_orders: dict[int, _Order] = {}  # insertion order = placement order
        self.closed_ids: deque[int] = deque()
        # The account's executions: its trades, and beside each whether the account was the taker (aggressor).
        # Two deques filled together instead of an object per execution (fewer objects for the garbage collector).
        self.executions: deque[_Trade] = deque(maxlen=TRADES_KEPT)
        self.aggressors: deque[bool] = deque(maxlen=TRADES_KEPT)
        self.own: dict[tuple[str, bool], _OwnPrices] = {}  # (symbol, is_buy) -> resting prices
        self.volume: deque[tuple[int, Decimal]] = deque()  # (trade time ms, USD notional) of the last 30 days
        self.volume_usd = _ZERO


class _Order:
    __slots__ = (
        "id", "account_id", "api_session", "symbol", "is_buy", "order_type", "options", "behavior",
        "client_order_id", "timestamp_ms", "price", "stop_price", "original", "executed", "remaining", "notional",
        "hold", "hold_unit", "hold_currency", "hidden", "on_book", "done", "is_cancelled", "reason", "last_trade",
        "id_str", "price_str", "original_str", "avg_str", "executed_str", "remaining_str", "event_template",
    )  # fmt: skip

    def __init__(
        self,
        order_id: int,
        account_id: int,
        api_session: str,
        symbol: str,
        is_buy: bool,
        order_type: str,
        options: tuple[str, ...],
        client_order_id: str | None,
        timestamp_ms: int,
    ) -> None:
        self.id = order_id
        self.account_id = account_id
        self.api_session = api_session
        self.symbol = symbol
        self.is_buy = is_buy
        self.order_type = order_type
        self.options = options
        self.behavior = options[0] if options else None
        self.client_order_id = client_order_id
        self.timestamp_ms = timestamp_ms
        self.price = _ZERO
        self.stop_price: Decimal | None = None
        self.original = _ZERO
        self.executed = _ZERO
        self.remaining = _ZERO
        self.notional = _ZERO
        self.hold = _ZERO
        self.hold_unit = _ONE
        self.hold_currency = ""
        self.hidden = False  # an untriggered stop
        self.on_book = False
        self.done = False  # filled or cancelled: off the book for good
        self.is_cancelled = False
        self.reason: str | None = None
        # The order's trades are chained through _Trade.taker_previous / maker_previous, newest here: a list per
        # traded order was a fifth of the objects the cyclic garbage collector scans, a large share of its time.
        self.last_trade: _Trade | None = None
        # wire strings cached once (formatting dominates the cost of an order)
        self.id_str = str(order_id)
        self.price_str = ""
        self.original_str = ""
        self.avg_str = ""
        self.executed_str = "0"
        self.remaining_str = "0"
        self.event_template: dict[str, Any] | None = None  # its events' fields in wire order (_event_template)

    def executions(self) -> list[tuple[_Trade, bool]]:
        """The order's executions as ``(trade, aggressor)``, oldest first."""
        found = []
        trade = self.last_trade
        while trade is not None:
            aggressor = trade.taker_order_id == self.id
            found.append((trade, aggressor))
            trade = trade.taker_previous if aggressor else trade.maker_previous
        found.reverse()
        return found


class _Trade:
    """A trade with both of its executions: the taker's (aggressor) side and the maker's side.

    One object holds both sides rather than one object per execution: objects made per trade are what the cyclic
    garbage collector scans, and that scanning was a large share of the engine's time.
    """

    __slots__ = (
        "tid", "symbol", "price", "amount", "timestamp_ms", "taker_is_buy", "fee_currency",
        "taker_order_id", "taker_client_order_id", "taker_fee", "taker_previous", "taker_broken",
        "maker_order_id", "maker_client_order_id", "maker_fee", "maker_previous", "maker_broken",
    )  # fmt: skip

    def __init__(self, tid: int, symbol: str, price: Decimal, amount: Decimal, ts_ms: int, taker: _Order,
                 taker_fee: Decimal, maker: _Order, maker_fee: Decimal, fee_currency: str) -> None:  # fmt: skip
        self.tid = tid
        self.symbol = symbol
        self.price = price
        self.amount = amount
        self.timestamp_ms = ts_ms
        self.taker_is_buy = taker.is_buy  # the maker is on the other side
        self.fee_currency = fee_currency
        self.taker_order_id = taker.id
        self.taker_client_order_id = taker.client_order_id
        self.taker_fee = taker_fee
        self.taker_previous = taker.last_trade  # the taker order's trade before this one
        self.taker_broken: str | None = None  # "manual" or "full" once broken on this side (CHOICES 23)
        self.maker_order_id = maker.id
        self.maker_client_order_id = maker.client_order_id
        self.maker_fee = maker_fee
        self.maker_previous = maker.last_trade
        self.maker_broken: str | None = None

    @classmethod
    def opening(cls, tid: int, symbol: str, price: Decimal, amount: Decimal, ts_ms: int, fee_currency: str) -> _Trade:
        """A market's opening trade (CHOICES 26): no order and no account on either side (order ids 0, no fees)."""
        trade = cls.__new__(cls)
        trade.tid, trade.symbol, trade.price, trade.amount, trade.timestamp_ms = tid, symbol, price, amount, ts_ms
        trade.taker_is_buy, trade.fee_currency = True, fee_currency
        trade.taker_order_id = trade.maker_order_id = 0
        trade.taker_client_order_id = trade.maker_client_order_id = None
        trade.taker_fee = trade.maker_fee = _ZERO
        trade.taker_previous = trade.maker_previous = None
        trade.taker_broken = trade.maker_broken = None
        return trade


class _Level:
    __slots__ = ("price", "orders", "total", "count", "dead", "updated_ms")

    def __init__(self, price: Decimal) -> None:
        self.price = price
        self.orders: deque[_Order] = deque()  # time priority; cancelled orders stay until skipped (lazy removal)
        self.total = _ZERO  # sum of remaining amounts of the live orders
        self.count = 0  # live orders
        self.dead = 0  # cancelled orders still in the deque
        self.updated_ms = 0


class _BookSide:
    """One side of a book: price -> level, plus the prices sorted so that the best is last (O(1) to reach)."""

    __slots__ = ("is_bid", "levels", "keys")

    def __init__(self, is_bid: bool) -> None:
        self.is_bid = is_bid
        self.levels: dict[Decimal, _Level] = {}
        self.keys: list[Decimal] = []  # ascending; bids key = price, asks key = -price, so the best is keys[-1]

    def best(self) -> Decimal | None:
        if not self.keys:
            return None
        key = self.keys[-1]
        return key if self.is_bid else -key

    def add(self, order: _Order, now_ms: int) -> None:
        level = self.levels.get(order.price)
        if level is None:
            level = self.levels[order.price] = _Level(order.price)
            bisect.insort(self.keys, order.price if self.is_bid else -order.price)
        level.orders.append(order)
        level.count += 1
        level.total += order.remaining
        level.updated_ms = now_ms

    def remove_level(self, price: Decimal) -> None:
        del self.levels[price]
        key = price if self.is_bid else -price
        if self.keys[-1] == key:
            self.keys.pop()
        else:
            del self.keys[bisect.bisect_left(self.keys, key)]

    def iter_levels(self) -> Iterator[_Level]:
        """Levels from the best price outwards."""
        levels = self.levels
        sign = 1 if self.is_bid else -1
        for key in reversed(self.keys):
            yield levels[key * sign]


class _OwnPrices:
    """Prices at which one account rests orders on one side of one symbol (for self-cross prevention)."""

    __slots__ = ("counts", "prices")

    def __init__(self) -> None:
        self.counts: dict[Decimal, int] = {}
        self.prices: list[Decimal] = []  # ascending

    def add(self, price: Decimal) -> None:
        count = self.counts.get(price, 0)
        if not count:
            bisect.insort(self.prices, price)
        self.counts[price] = count + 1

    def remove(self, price: Decimal) -> None:
        count = self.counts[price] - 1
        if count:
            self.counts[price] = count
        else:
            del self.counts[price]
            del self.prices[bisect.bisect_left(self.prices, price)]


class _Market:
    __slots__ = (
        "spec", "symbol", "upper", "status", "bids", "asks", "buy_stops", "sell_stops", "stop_dead", "trades",
        "last_price", "volume", "volume_base", "volume_quote", "price_quantum", "avg_quantum", "zero_price",
        "amount_texts", "price_texts", "max_amount",
    )  # fmt: skip

    def __init__(self, spec: SymbolSpec) -> None:
        self.spec = spec
        self.symbol = spec.symbol.lower()
        self.upper = spec.symbol.upper()
        self.status = "open"
        self.bids = _BookSide(is_bid=True)
        self.asks = _BookSide(is_bid=False)
        # heaps of (key, order id, order); buy stops trigger when a trade >= stop (key = stop, smallest first),
        # sell stops when a trade <= stop (key = -stop, highest stop first). Cancelled stops are skipped lazily.
        self.buy_stops: list[tuple[Decimal, int, _Order]] = []
        self.sell_stops: list[tuple[Decimal, int, _Order]] = []
        self.stop_dead = 0
        self.trades: deque[_Trade] = deque(maxlen=TRADES_KEPT)
        self.last_price: Decimal | None = None
        self.volume: deque[tuple[int, Decimal, Decimal]] = deque()  # (ts_ms, base amount, quote notional)
        self.volume_base = _ZERO
        self.volume_quote = _ZERO
        self.price_quantum = _quantum(spec.quote_increment)
        self.max_amount = spec.max_amount()
        self.avg_quantum = self.price_quantum.scaleb(-AVG_PRICE_EXTRA_DECIMALS)  # where an average price is rounded
        self.zero_price = _fmt(_ZERO.quantize(self.price_quantum))  # "0.00"-style avg_execution_price
        # Valid amount / price texts already parsed: request text -> (value, wire text). Clients repeat the same
        # few strings, and parsing, the increment check and formatting were a large share of an order's cost.
        self.amount_texts: dict[str, tuple[Decimal, str]] = {}
        self.price_texts: dict[str, tuple[Decimal, str]] = {}

    def parse_amount(self, value: object) -> tuple[Decimal, str] | None:
        """An order amount as ``(amount, wire text)``, or None when it is not a valid amount for this symbol."""
        known = self.amount_texts.get(value) if type(value) is str else None
        if known is not None:
            return known
        spec = self.spec
        qty = _to_decimal(value)
        if (
            qty is None
            or qty <= 0
            or qty < spec.min_order_size
            or qty > self.max_amount  # CHOICES 25; only on text not parsed before: no cost on the usual path
            or not _is_multiple(qty, spec.tick_size)
        ):
            return None
        parsed = (qty, _fmt(qty))
        _remember_text(self.amount_texts, value, parsed)
        return parsed

    def parse_price(self, value: object) -> tuple[Decimal, str] | None:
        """A (stop) price on the price increment as ``(price at the increment's decimals, wire text)``, or None."""
        known = self.price_texts.get(value) if type(value) is str else None
        if known is not None:
            return known
        px = _to_decimal(value)
        if px is None or px <= 0 or not _is_multiple(px, self.spec.quote_increment):
            return None
        px = px.quantize(self.price_quantum)
        parsed = (px, _fmt(px))
        _remember_text(self.price_texts, value, parsed)
        return parsed

    def mid(self) -> Decimal | None:
        bid, ask = self.bids.best(), self.asks.best()
        if bid is None or ask is None:
            return None
        return (bid + ask) / 2
