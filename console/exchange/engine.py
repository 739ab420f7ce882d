"""Pure, synchronous matching engine of the local exchange: orders, books, fills, balances and order events."""

from __future__ import annotations

import bisect
import contextlib
import heapq
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from decimal import ROUND_HALF_EVEN, Context, Decimal, InvalidOperation, getcontext, localcontext, setcontext
from functools import wraps
from typing import Any, ParamSpec, TypeVar

from console.exchange.symbols import DEFAULT_SYMBOLS, SymbolSpec, symbol_details_wire

CHOICES = """Behaviour chosen where Gemini's public documentation is silent or unclear (see docs/local-exchange.md).

Each choice names the constant that carries it, when there is one, so it is easy to change.

1. Rejects after an id (InvalidQuantity, InvalidPrice, InvalidStopPrice*, MarketNotOpen, InsufficientFunds)
   emit ONE `rejected` event (with `reason`) to the placing account, then raise ExchangeError. Pure parse errors
   (InvalidSymbol, InvalidSide, InvalidOrderType, options errors, client order id errors) get no id and emit
   nothing. A rejected order is not stored: order_status on its id is 404. Why: the docs' `rejected` sample
   carries an order id, so only a request that got that far can be named in an event.
2. The `rejected` event carries the fields of the docs' sample only: type, order_id, event_id, reason,
   api_session, client_order_id (if any), symbol, side, order_type, behavior (if any), timestamp, timestampms,
   is_live (false), original_amount, price, stop_price (stop orders). original_amount / price / stop_price echo
   the request's text when it did not parse, and are left out when the request had none.
3. Every other event carries the full common field set (including executed_amount and remaining_amount on
   `accepted`, which the docs' abbreviated sample leaves out): the client never has to guess a missing field.
4. `timestamp` / `timestampms` in order events and order objects are the order's SUBMIT time (the docs' field
   description); the docs' samples that show later times on `closed` are treated as inconsistent.
5. Reject order: parse checks, then quantity, price, stop price (InvalidStopPrice, then InvalidStopPriceBuy /
   InvalidStopPriceSell, then InvalidStopPriceRatio), then MarketNotOpen, then InsufficientFunds (406).
   Options: OptionsMustBeArray, then UnsupportedOption for an unknown element, then ConflictingOptions for
   more than one, then UnsupportedOption for any option on a stop-limit order. `auction-only` and
   `indication-of-interest` are unsupported here (no auctions).
6. Stop direction follows the create-order text and the observed message: buy needs stop_price < price, sell
   needs stop_price > price (strict). Ratio: |price - stop_price| <= 50% of stop_price (STOP_PRICE_MAX_RATIO).
   A `stop_price` sent with a plain "exchange limit" order is ignored.
7. Holds (full reserve): buy = remaining x price x (1 + max(maker, taker) fee) in quote currency (= the taker
   fee with the default rates), sell = remaining amount in base currency. Released per fill and on cancel.
8. Self-cross prevention cancels the TAKER when its next match would be against a resting order of the same
   account (SELF_CROSS_RULE): it first trades with other accounts' orders ahead of that one in price-time priority,
   then its remainder is cancelled with SelfCrossPrevented; the resting order stays. Fill-or-kill counts only the
   liquidity ahead of the account's own first order; maker-or-cancel is cancelled as MakerOrCancelWouldTake as
   for any cross. Untriggered stops are not on the book and never count. See docs/local-exchange.md.
9. Price band: reference = last trade price, else the mid, else the order's own price, taken when the order
   arrives (or triggers). A crossing level beyond the band stops the sweep and cancels the remainder with
   ExceedsPriceLimits, also for immediate-or-cancel; fill-or-kill counts only liquidity inside the band and
   cancels whole with FillOrKillWouldNotFill.
10. Stop-limit: triggers on trade prices (buy when a trade is >= stop_price, sell when <= stop_price),
    including the last trade price already known at placement (STOP_TRIGGERS_ON_LAST_AT_PLACEMENT).
    Triggered stops queue and run after the order whose trade triggered them, in trigger order. While
    untriggered: is_live true, is_hidden true, not on the book. On trigger the order gets no new `accepted`.
11. Cancel reasons: cancel_order, cancel_all and cancel_session all use "Requested" (REQUESTED_CANCEL_REASON,
    SESSION_CANCEL_REASON); heartbeat expiry is the server's call of cancel_session. Their `cancelled` events
    carry `cancel_command_id` (one id per request); MarketClosed / TradingClosed / option cancels do not.
12. `cancel_rejected` is never emitted: cancels run synchronously and always succeed on a live order; an
    unknown id is a 404 (no order to name), and a cancel of an already closed order returns its status unchanged
    without an event, because `closed` must stay an order's last event.
13. Trading closed (set_trading_open(False)): every live order is cancelled with TradingClosed and new orders are
    rejected with MarketNotOpen (TRADING_CLOSED_REJECT_REASON, HTTP 400 as in Gemini's error codes); symbol_details
    reports "closed" meanwhile. Symbol status: "closed" and "cancel_only" reject new orders with MarketNotOpen
    (NOT_OPEN_STATUSES); only "closed" cancels resting orders (MarketClosed); "post_only" and "limit_only"
    behave like "open" (every order here is a limit order).
14. order_status with a client_order_id that matches several orders returns the most recent one; order_id wins
    when both are given; `trades` (include_trades) lists the /v1/mytrades objects of that order, oldest first.
15. avg_execution_price: "0.00"-style zero at the symbol's price decimals before any fill; afterwards the exact
    average rounded to 8 decimals past the price increment, trailing zeros trimmed down to the price decimals.
16. Ticker bid / ask / last are null (None) when the book side is empty or nothing traded yet (a market opens
    with a trade, CHOICES 26, unless the server is told not to); volume is the rolling last 24 hours.
    limit_trades is capped at MAX_LIMIT_TRADES (500, the documented maximum); since/timestamp filters are
    inclusive (trades at or after the given time).
17. Input leniency: side and order type are matched case-insensitively ("BUY", "Exchange Limit"); symbols in
    any case; amounts and prices may be strings, ints, Decimals or JSON floats (read via their repr). A price with
    more decimals than the increment but on it ("64250.000") is echoed at the increment's decimals ("64250.00").
18. Memory: each account keeps its last CLOSED_ORDERS_KEPT closed orders and TRADES_KEPT executions; each symbol
    keeps its last TRADES_KEPT public trades. Older ones are forgotten (order_status then answers 404).
19. /v1/orders/history: closed orders (filled or cancelled) only, newest submit time first (ties: higher id
    first), each with its `trades` (the /v1/mytrades objects, oldest first). limit_orders defaults to 50 and is
    capped at MAX_LIMIT_ORDERS (500). Documented (https://developer.gemini.com/trading/rest-api/orders/list-past-orders,
    "How to retrieve your order history"): the list is sorted by timestamp descending; the full history is read
    by a first request with `timestamp: 0, limit_orders: 500`, then `timestamp` = the page's highest timestamp + 1,
    until an empty list. Not documented: what `timestamp` bounds. Chosen: an INCLUSIVE LOWER bound on the submit
    time (s, or ms when >= 1e12), the one reading under which that recipe works; with it the page holds the
    OLDEST `limit_orders` orders at or after it (still newest first); without it, the newest. The same reading
    as /v1/mytrades (CHOICES 20), whose reference calls `timestamp` "on or after". See docs/local-exchange.md.
20. /v1/mytrades with `timestamp`: the OLDEST `limit_trades` trades at or after it, newest first within the
    page; without `timestamp`, the newest `limit_trades`. Only this reading lets a client walk its whole history
    with the one documented lower bound: next timestamp = the page's newest timestampms (inclusive, so
    same-millisecond trades come again and are dropped by tid).
21. Fees come from FEE_TIERS by the account's 30-day notional volume in USD (trades of non-USD quotes count at the
    quote currency's last price against USD, when the exchange lists that pair). The first tier is the engine's
    maker/taker bps. /v1/notionalvolume reports the account's current tier for api_*, web_* and fix_* alike;
    /v1/tradevolume lists one object per symbol and UTC day with traded volume, as one inner array per symbol.
    Volumes and notionals go out as JSON numbers, as in the docs' examples: computed in Decimal, rounded (USD
    notional to cents), then written through float's shortest repr, which keeps every digit up to 15 significant
    ones; the client reads JSON numbers back as Decimal. Balances and fees stay decimal strings.
22. /v1/wrap/:symbol converts at price 1 with no fee for symbols whose details say wrap_enabled (gusdusd); any
    other symbol is InvalidSymbol (400). Amount checks use the symbol's increments (InvalidQuantity); funds must
    be available net of holds (InsufficientFunds, 406). `orderId` comes from the engine's id counter; a wrap is
    a conversion, not an order: it leaves no order, no order events, no trade.
23. Broken trades: break_trade(tid, "manual" | "full") is an operator action (no API). It marks both sides'
    /v1/mytrades objects with `break` and the public trade with `broken: true`; balances, fees, volumes and the
    orders' executed amounts stay as they were (how Gemini settles a break is not documented).
24. REST order objects of stop-limit orders say `"type": "stop-limit"` (REST_ORDER_TYPES), as Gemini's sandbox and
    its documentation example do; requests still send "exchange stop limit", and order events keep
    "exchange stop limit" in `order_type` (their stop-limit value is not documented).
25. An amount above the symbol's maximum order size (SymbolSpec.max_amount(), undocumented on Gemini) is
    InvalidQuantity (400), checked with the other quantity rules, so before funds: Gemini's sandbox answered an
    absurd amount that way, not with InsufficientFunds.
26. Opening trades: open_markets() gives every market without a trade one opening trade at its seeded mid
    (SymbolSpec.initial_price) for its min_order_size, taker side "buy", so `last` is a price from the first
    second (Gemini's pubticker always has one; a fresh local market had null). It shows where public trades
    show (/v1/trades, the market data trades, both tickers, the 24 h volume) and belongs to no account: no
    /v1/mytrades entry, balance change, fee or account volume. Its tid comes from just below first_order_id
    (one per market, in symbol order) so the ids of orders and later trades do not move.
"""

__all__ = [
    "CHOICES",
    "EventListener",
    "ExchangeError",
    "MarketListener",
    "MatchingEngine",
]

LIMIT = "exchange limit"
STOP_LIMIT = "exchange stop limit"
ORDER_TYPES = (LIMIT, STOP_LIMIT)
#: Request type -> the ``type`` of REST order objects (CHOICES 24).
REST_ORDER_TYPES = {LIMIT: LIMIT, STOP_LIMIT: "stop-limit"}
MAKER_OR_CANCEL = "maker-or-cancel"
IMMEDIATE_OR_CANCEL = "immediate-or-cancel"
FILL_OR_KILL = "fill-or-kill"
SUPPORTED_OPTIONS = frozenset({MAKER_OR_CANCEL, IMMEDIATE_OR_CANCEL, FILL_OR_KILL})
#: Gemini's ConflictingOptions message, word for word as its sandbox answered (it names auction-only, which the
#: local exchange does not support).
CONFLICTING_OPTIONS_MESSAGE = (
    "A single order supports at most one of these options: "
    "['maker-or-cancel', 'immediate-or-cancel', 'auction-only', 'fill-or-kill']"
)
#: CHOICES 8: who is cancelled when an order would trade with its own account. Gemini's cancel reason table only
#: says "SelfCrossPrevented" and gives no matching rule (https://docs.gemini.com/rest/orders), so the common rule
#: is taken: cancel the taker (its unfilled remainder) when its NEXT match is against the same account.
SELF_CROSS_RULE = "cancel-taker-at-own-order"
#: ``len(client_order_id) >= CLIENT_ORDER_ID_MAX_LEN`` is rejected with ClientOrderIdTooLong ("under 100 chars").
CLIENT_ORDER_ID_MAX_LEN = 100
STOP_PRICE_MAX_RATIO = Decimal("0.5")
STOP_TRIGGERS_ON_LAST_AT_PLACEMENT = True
REQUESTED_CANCEL_REASON = "Requested"
SESSION_CANCEL_REASON = "Requested"
TRADING_CLOSED_REJECT_REASON = "MarketNotOpen"
SYMBOL_STATUSES = frozenset({"open", "closed", "cancel_only", "post_only", "limit_only"})
NOT_OPEN_STATUSES = frozenset({"closed", "cancel_only"})
MAX_LIMIT_TRADES = 500
MAX_LIMIT_ORDERS = 500
DEFAULT_LIMIT_ORDERS = 50
#: 30-day notional volume (USD) at which each fee tier starts → (maker bps, taker bps). The first tier's rates are
#: replaced by the engine's ``maker_fee_bps`` / ``taker_fee_bps`` (CHOICES 21).
FEE_TIERS: tuple[tuple[Decimal, int, int], ...] = (
    (Decimal(0), 10, 35),
    (Decimal(1_000_000), 8, 30),
    (Decimal(5_000_000), 5, 25),
    (Decimal(50_000_000), 2, 20),
)
FEE_WINDOW_MS = 30 * 24 * 60 * 60 * 1000
CLOSED_ORDERS_KEPT = 10_000
TRADES_KEPT = 10_000
AVG_PRICE_EXTRA_DECIMALS = 8
VOLUME_WINDOW_MS = 24 * 60 * 60 * 1000

EventListener = Callable[[int, list[dict]], None]
"""Receives ``(account_id, events)``: the order events of ONE engine action for one account, in exchange order.

The event dicts are shared between listeners: treat them as read-only (copy before adding ``socket_sequence``).
A listener must not raise.
"""

MarketListener = Callable[[str, list[tuple[str, str, str]], list[dict]], None]
"""Receives ``(SYMBOL, changes, trades)`` once per symbol per engine action whose book or trades changed.

``changes`` are the price levels that changed, ``("buy" | "sell", price, new level total)`` as decimal strings
(total ``"0"`` = the level is gone), in the order they were first touched; ``trades`` are the action's public
trades, oldest first, in the ``GET /v1/trades`` shape (``type`` = taker side). Applying the changes to the book
as it was before the action gives ``book(symbol, 0, 0)``. A listener must not raise.
"""

_ZERO = Decimal(0)
_ONE = Decimal(1)
# Money arithmetic stays exact: 60 significant digits is far beyond any balance x price product used here.
_CONTEXT = Context(prec=60, rounding=ROUND_HALF_EVEN)

_P = ParamSpec("_P")
_R = TypeVar("_R")


def _exact(method: Callable[_P, _R]) -> Callable[_P, _R]:
    """Run a public engine method in the engine's wide decimal context."""

    @wraps(method)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        # setcontext/restore instead of localcontext(): localcontext copies the context on every call, which cost
        # ~1 us per order. The engine never changes _CONTEXT's settings, so it is shared instead of copied (only
        # its sticky status flags accumulate, and nothing reads them).
        outer = getcontext()
        setcontext(_CONTEXT)
        try:
            return method(*args, **kwargs)
        finally:
            setcontext(outer)

    return wrapper


def _wall_clock_ms() -> int:
    return time.time_ns() // 1_000_000


class ExchangeError(Exception):
    """A request the exchange refuses: reason code (Gemini's `reason`), human message, HTTP status.

    Attributes:
        reason: Gemini's reason code, e.g. ``"InvalidQuantity"``.
        message: human text, e.g. ``"Invalid quantity for symbol BTCUSD: 1"``.
        status: HTTP status the server answers with (400, 404 OrderNotFound, 406 InsufficientFunds).
    """

    def __init__(self, reason: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message
        self.status = status

    def to_wire(self) -> dict[str, str]:
        """Return the error body ``{"result": "error", "reason": ..., "message": ...}``
        (https://docs.gemini.com/rest/error-codes)."""
        return {"result": "error", "reason": self.reason, "message": self.message}

    def __repr__(self) -> str:
        return f"ExchangeError({self.reason!r}, {self.message!r}, {self.status})"


# ----------------------------------------------------------------------------------------------------------------
# formatting and parsing helpers


def _fmt(value: Decimal) -> str:
    """Plain decimal string, never in exponent form (``Decimal("1E-8")`` -> ``"0.00000001"``)."""
    return format(value, "f")


def _fmt_amount(value: Decimal) -> str:
    """An amount as given, with zero rendered as ``"0"``."""
    return "0" if not value else format(value, "f")


def _fmt_norm(value: Decimal) -> str:
    """A computed amount (fee, balance) without trailing zeros."""
    return "0" if not value else format(value.normalize(), "f")


def _dollars(value: Decimal) -> str:
    """``Decimal("50776")`` -> ``"$50,776.00"`` (the observed InvalidStopPriceBuy message style)."""
    places = max(2, -value.as_tuple().exponent)  # type: ignore[operator]
    return f"${value:,.{places}f}"


def _raw(value: object) -> str:
    return value if isinstance(value, str) else (_fmt(value) if isinstance(value, Decimal) else str(value))


def _to_decimal(value: object) -> Decimal | None:
    """Parse a wire decimal (string, int, Decimal; float via its repr); None when it is not a finite number."""
    try:
        if type(value) is str:  # the usual case first
            number = Decimal(value.strip())
        elif value is None or isinstance(value, bool):
            return None
        elif isinstance(value, Decimal):
            number = value
        elif isinstance(value, int):
            number = Decimal(value)
        elif isinstance(value, float):
            number = Decimal(repr(value))
        elif isinstance(value, str):
            number = Decimal(value.strip())
        else:
            return None
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def _is_multiple(value: Decimal, increment: Decimal) -> bool:
    try:
        return value % increment == 0
    except InvalidOperation:
        return False


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
    exponent = increment.normalize().as_tuple().exponent
    return Decimal(1).scaleb(min(0, exponent))  # type: ignore[arg-type]


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


# ----------------------------------------------------------------------------------------------------------------
# parse-level validation (no order id yet)


_SIDES = {"buy": True, "sell": False}
#: The fields of an order event that follow the order's state, in wire order (set on every event).
_EVENT_STATE_FIELDS = dict.fromkeys(
    ("is_live", "is_cancelled", "is_hidden", "avg_execution_price", "executed_amount", "remaining_amount")
)


def _parse_side(side: object, symbol: str) -> bool:
    is_buy = _SIDES.get(side.lower()) if isinstance(side, str) else None
    if is_buy is not None:
        return is_buy
    raise ExchangeError("InvalidSide", f"Invalid side for symbol {symbol}: '{side}'")


def _parse_order_type(order_type: object) -> str:
    lowered = order_type.lower() if isinstance(order_type, str) else None
    if lowered in ORDER_TYPES:
        return lowered  # type: ignore[return-value]
    raise ExchangeError("InvalidOrderType", f"Invalid order type for order: {order_type!r}")


def _parse_options(options: object, order_type: str) -> tuple[str, ...]:
    if options is None:
        return ()
    if not isinstance(options, (list, tuple)):  # a tuple of types: checked faster than list | tuple
        raise ExchangeError("OptionsMustBeArray", "Options must be an array, e.g. [\"maker-or-cancel\"]")
    for option in options:
        if not isinstance(option, str) or option not in SUPPORTED_OPTIONS:
            raise ExchangeError("UnsupportedOption", f"Option '{option}' is not supported.")
    if len(options) > 1:
        raise ExchangeError("ConflictingOptions", CONFLICTING_OPTIONS_MESSAGE)
    if options and order_type == STOP_LIMIT:
        raise ExchangeError("UnsupportedOption", f"Option {options[0]!r} is not supported on stop-limit orders")
    return tuple(options)  # a tuple: () is shared, and tuples of strings drop out of the garbage collector's view


def _parse_client_order_id(client_order_id: object) -> str | None:
    if client_order_id is None:
        return None
    if not isinstance(client_order_id, str):
        raise ExchangeError("ClientOrderIdMustBeString", "client_order_id must be a string")
    if len(client_order_id) >= CLIENT_ORDER_ID_MAX_LEN:
        raise ExchangeError(
            "ClientOrderIdTooLong", f"client_order_id must be under {CLIENT_ORDER_ID_MAX_LEN} characters"
        )
    return client_order_id


# ----------------------------------------------------------------------------------------------------------------


class MatchingEngine:
    """Gemini-compatible matching engine: price-time priority books, full-reserve balances, order events.

    Pure and synchronous: every public method runs to completion, and the order events it causes are delivered
    to the listeners before it returns, one ``listener(account_id, events)`` call per account per action.
    Money is ``Decimal``; the dicts returned are Gemini's wire shapes with decimal strings. See ``CHOICES`` for
    the behaviour chosen where Gemini's documentation is silent. Every method taking an ``account_id`` raises
    ``KeyError`` for an id ``add_account`` never returned (a programming error, not a client's).

    Args:
        symbols: the listed symbols by lowercase id.
        clock_ms: returns the current time in ms since the epoch (read once per action).
        maker_fee_bps / taker_fee_bps: fees in basis points of the notional, charged in quote currency.
        price_band: fraction of the reference price a taker may move the market (0.05 = ±5%).
        first_order_id: first id handed out; order ids, event ids, trade ids and cancel command ids all come
            from this one increasing counter.
    """

    def __init__(
        self,
        symbols: Mapping[str, SymbolSpec] = DEFAULT_SYMBOLS,
        *,
        clock_ms: Callable[[], int] = _wall_clock_ms,
        maker_fee_bps: int = 10,
        taker_fee_bps: int = 35,
        price_band: Decimal = Decimal("0.05"),
        first_order_id: int = 73_000_000_000,
    ) -> None:
        self._clock_ms = clock_ms
        self._maker_rate = Decimal(maker_fee_bps) / Decimal(10_000)
        self._taker_rate = Decimal(taker_fee_bps) / Decimal(10_000)
        self._fee_tiers = ((Decimal(0), maker_fee_bps, taker_fee_bps),) + tuple(
            tier for tier in FEE_TIERS[1:] if tier[1] <= maker_fee_bps and tier[2] <= taker_fee_bps
        )
        self._hold_factor = _ONE + max(self._maker_rate, self._taker_rate)
        self._band = Decimal(price_band)
        self._next_id = first_order_id
        self._first_id = first_order_id  # opening trades take the ids just below it (CHOICES 26)
        self._markets: dict[str, _Market] = {}
        for spec in symbols.values():
            self._markets[spec.symbol.lower()] = _Market(spec)
        self._accounts: dict[int, _Account] = {}
        self._orders: dict[int, _Order] = {}
        self._by_client_id: dict[tuple[int, str], list[int]] = {}
        self._listeners: list[EventListener] = []
        self._batch: dict[int, list[dict]] = {}
        self._market_listeners: list[MarketListener] = []
        self._dirty_levels: dict[str, dict[tuple[bool, Decimal], None]] = {}  # symbol -> touched (is_bid, price)
        self._new_trades: dict[str, list[_Trade]] = {}
        self._market_held = 0  # > 0 inside market_updates_held(): level changes wait for the block's end
        self._triggered: deque[_Order] = deque()
        self._trading_open = True
        self._fees: dict[str, Decimal] = {}
        self._broken_tids: set[int] = set()
        self._now = 0

    # ------------------------------------------------------------------------------------------------------------
    # accounts and listeners

    def add_account(self, name: str, balances: Mapping[str, Decimal | str]) -> int:
        """Open an account.

        Args:
            name: display name, e.g. ``"primary"``.
            balances: starting balance per currency code, e.g. ``{"USD": "100000", "BTC": Decimal("2")}``.

        Returns:
            The new account id (1, 2, ...).

        Raises:
            ValueError: a balance that is not a finite, non-negative decimal.
        """
        account = _Account(len(self._accounts) + 1, name)
        for currency, amount in balances.items():
            value = _to_decimal(amount)
            if value is None or value < 0:
                raise ValueError(f"bad starting balance {currency}={amount!r}")
            account.balances[currency.upper()] = value
        self._accounts[account.id] = account
        return account.id

    def add_listener(self, listener: EventListener) -> None:
        """Subscribe ``listener(account_id, events)`` to the order events of every account."""
        self._listeners.append(listener)

    def remove_listener(self, listener: EventListener) -> None:
        """Unsubscribe a listener added with ``add_listener`` (no error if it is not subscribed)."""
        if listener in self._listeners:
            self._listeners.remove(listener)

    def add_market_listener(self, listener: MarketListener) -> None:
        """Subscribe ``listener(SYMBOL, changes, trades)`` to level changes and public trades of every symbol."""
        self._market_listeners.append(listener)

    def remove_market_listener(self, listener: MarketListener) -> None:
        """Unsubscribe a listener added with ``add_market_listener`` (no error if it is not subscribed)."""
        if listener in self._market_listeners:
            self._market_listeners.remove(listener)

    @contextlib.contextmanager
    def market_updates_held(self) -> Iterator[None]:
        """Within the block, hold level changes and public trades; at its end deliver them as one market listener
        call per symbol: each touched level once, with its total at the end (``"0"`` if it emptied), then the
        trades in order. Order events are still delivered after every action.

        For a market maker that replaces all its quotes at once (cancel, then place): the public book goes from
        the old quotes to the new ones in one update and is never seen empty in between.
        """
        self._market_held += 1
        try:
            yield
        finally:
            self._market_held -= 1
            if not self._market_held and (self._dirty_levels or self._new_trades):
                self._flush_market()

    # ------------------------------------------------------------------------------------------------------------
    # orders

    def place_order(
        self,
        account_id: int,
        api_session: str,
        *,
        symbol: object,
        side: object,
        order_type: object,
        amount: object,
        price: object,
        stop_price: object = None,
        options: object = None,
        client_order_id: object = None,
    ) -> dict[str, Any]:
        """Place an order (``POST /v1/order/new``, https://docs.gemini.com/rest/orders#new-order).

        Args:
            account_id: from ``add_account``.
            api_session: the API key (or ``"UI"``) placing it; echoed in its events, scope of ``cancel_session``.
            symbol: e.g. ``"BTCUSD"`` or ``"btcusd"``.
            side: ``"buy"`` or ``"sell"``.
            order_type: ``"exchange limit"`` or ``"exchange stop limit"``.
            amount / price / stop_price: decimal strings (ints and Decimals accepted), base amount and quote prices.
            options: None or a list with at most one of ``maker-or-cancel``, ``immediate-or-cancel``,
                ``fill-or-kill`` (none on stop-limit orders).
            client_order_id: optional string under 100 characters.

        Returns:
            The order object (https://docs.gemini.com/rest/orders#order-status) after the order's immediate processing,
            e.g. with ``is_cancelled`` true and ``reason`` ``"MakerOrCancelWouldTake"`` for a maker-or-cancel order
            that would have taken.

        Raises:
            ExchangeError: InvalidSymbol, InvalidSide, InvalidOrderType, OptionsMustBeArray, ConflictingOptions,
                UnsupportedOption, ClientOrderIdMustBeString, ClientOrderIdTooLong (no id, no event);
                InvalidQuantity, InvalidPrice, InvalidStopPrice, InvalidStopPriceBuy, InvalidStopPriceSell,
                InvalidStopPriceRatio, MarketNotOpen (400) and InsufficientFunds (406), each after one
                ``rejected`` event.
            KeyError: unknown account_id.
        """
        # _exact inlined on this hot path: passing the keyword arguments through its wrapper cost ~0.6 us per order.
        outer = getcontext()
        setcontext(_CONTEXT)
        try:
            account = self._accounts[account_id]
            market = self._market(symbol)
            is_buy = _parse_side(side, market.upper)
            otype = _parse_order_type(order_type)
            opts = _parse_options(options, otype)
            coid = _parse_client_order_id(client_order_id)
            self._now = self._clock_ms()
            order = _Order(self._new_id(), account_id, api_session, market.symbol, is_buy, otype, opts, coid, self._now)
            try:
                self._validate(order, market, account, amount, price, stop_price)
            except ExchangeError as error:
                self._emit_rejected(order, error.reason, amount, price, stop_price)
                self._flush()
                raise
            account.holds[order.hold_currency] = account.holds.get(order.hold_currency, _ZERO) + order.hold
            self._orders[order.id] = order
            account.open_orders[order.id] = order
            if coid is not None:
                self._by_client_id.setdefault((account_id, coid), []).append(order.id)
            if otype == STOP_LIMIT:
                order.hidden = True
                self._emit(order, "accepted")
                last = market.last_price
                if STOP_TRIGGERS_ON_LAST_AT_PLACEMENT and last is not None and self._stop_hit(order, last):
                    self._triggered.append(order)
                else:
                    self._push_stop(market, order)
            else:
                self._emit(order, "accepted")
                self._execute(order, market)
            if self._triggered:
                self._run_triggered()
            self._flush()
            return self._order_wire(order)
        finally:
            setcontext(outer)

    @_exact
    def cancel_order(self, account_id: int, order_id: int | str, api_session: str) -> dict[str, Any]:
        """Cancel one order (``POST /v1/order/cancel``, https://docs.gemini.com/rest/orders#cancel-order) with reason
        ``Requested``.

        Args:
            account_id: the order's account.
            order_id: the order id (int or digit string).
            api_session: the key sending the cancel (events keep the order's own ``api_session``).

        Returns:
            The order object; an order already cancelled or filled comes back unchanged (and emits nothing).

        Raises:
            ExchangeError: ``OrderNotFound`` (404) for an unknown id or another account's order.
        """
        order = self._find_order(account_id, order_id)
        if not order.done:
            self._now = self._clock_ms()
            self._cancel(order, REQUESTED_CANCEL_REASON, cancel_command_id=self._new_id())
            self._flush()
        return self._order_wire(order)

    @_exact
    def cancel_all(self, account_id: int) -> dict[str, list[int]]:
        """Cancel every live order of the account, from all sessions (``/v1/order/cancel/all``).

        Returns:
            ``{"cancelledOrders": [order ids as ints, oldest first], "cancelRejects": []}`` (the ``details``).
        """
        account = self._accounts[account_id]
        return self._cancel_many(list(account.open_orders.values()), REQUESTED_CANCEL_REASON)

    @_exact
    def cancel_session(self, account_id: int, api_session: str) -> dict[str, list[int]]:
        """Cancel the account's live orders placed by one session (``/v1/order/cancel/session``, heartbeat expiry).

        Returns:
            ``{"cancelledOrders": [int, ...], "cancelRejects": []}``.
        """
        account = self._accounts[account_id]
        orders = [o for o in account.open_orders.values() if o.api_session == api_session]
        return self._cancel_many(orders, SESSION_CANCEL_REASON)

    @_exact
    def order_status(
        self,
        account_id: int,
        *,
        order_id: int | str | None = None,
        client_order_id: str | None = None,
        include_trades: bool = False,
    ) -> dict[str, Any]:
        """One order's status (``POST /v1/order/status``, https://docs.gemini.com/rest/orders#order-status).

        Args:
            account_id: the order's account.
            order_id: the order id; takes precedence over ``client_order_id``.
            client_order_id: finds the account's MOST RECENT order with this client order id.
            include_trades: add ``"trades"``: the order's /v1/mytrades objects, oldest first.

        Raises:
            ExchangeError: ``MissingOrderField`` (400) when neither id is given; ``OrderNotFound`` (404).
        """
        if order_id is not None:
            order = self._find_order(account_id, order_id)
        elif client_order_id is not None:
            ids = self._by_client_id.get((account_id, client_order_id)) if isinstance(client_order_id, str) else None
            if not ids:
                raise ExchangeError("OrderNotFound", f"Order with client_order_id {client_order_id!r} not found", 404)
            order = self._orders[ids[-1]]
        else:
            raise ExchangeError("MissingOrderField", "Either order_id or client_order_id is required")
        wire = self._order_wire(order)
        if include_trades:
            wire["trades"] = [self._execution_wire(t, aggressor) for t, aggressor in order.executions()]
        return wire

    def active_orders(self, account_id: int) -> list[dict[str, Any]]:
        """The account's live orders, untriggered stops included, oldest first (``POST /v1/orders``)."""
        with localcontext(_CONTEXT):
            return [self._order_wire(o) for o in self._accounts[account_id].open_orders.values()]

    def initial_events(self, account_id: int) -> list[dict[str, Any]]:
        """``initial`` order events for the account's live orders, oldest first (no ``event_id``, no sequence)."""
        with localcontext(_CONTEXT):
            return [self._event_wire(o, "initial", None) for o in self._accounts[account_id].open_orders.values()]

    def open_order_count(self, account_id: int) -> int:
        """Number of live orders of the account (untriggered stops included)."""
        return len(self._accounts[account_id].open_orders)

    # ------------------------------------------------------------------------------------------------------------
    # balances and trades

    def balances(self, account_id: int) -> list[dict[str, str]]:
        """Balances (``POST /v1/balances``, https://docs.gemini.com/rest/fund-management#get-available-balances), one
        entry per currency the account has held.

        Returns:
            e.g. ``[{"type": "exchange", "currency": "BTC", "amount": "5", "available": "4.5",
            "availableForWithdrawal": "4.5"}]``; ``available`` excludes holds of live orders.
        """
        account = self._accounts[account_id]
        out = []
        with localcontext(_CONTEXT):
            for currency, amount in account.balances.items():
                available = _fmt_norm(amount - account.holds.get(currency, _ZERO))
                out.append(
                    {
                        "type": "exchange",
                        "currency": currency,
                        "amount": _fmt_norm(amount),
                        "available": available,
                        "availableForWithdrawal": available,
                    }
                )
        return out

    def fees_collected(self) -> dict[str, Decimal]:
        """Total fees the exchange has charged, per currency (for conservation checks and statistics)."""
        return dict(self._fees)

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

    def fee_bps(self, account_id: int) -> tuple[int, int]:
        """The account's current ``(maker bps, taker bps)`` from its 30-day USD notional volume (CHOICES 21)."""
        with localcontext(_CONTEXT):
            return self._fee_bps(self._accounts[account_id])

    @_exact
    def notional_volume(self, account_id: int) -> dict[str, Any]:
        """``POST /v1/notionalvolume`` shape (https://docs.gemini.com/rest/fund-management#get-notional-volume): fee bps
        of the account's tier and its USD volume.

        Returns:
            e.g. ``{"web_maker_fee_bps": 10, "web_taker_fee_bps": 35, "web_auction_fee_bps": 10,
            "api_maker_fee_bps": 10, ..., "notional_30d_volume": 1250.5, "last_updated_ms": 1700000000000,
            "date": "2023-11-14", "notional_1d_volume": [{"date": "2023-11-14", "notional_volume": 1250.5}]}``;
            volumes are JSON numbers as in the docs' example (rounded to cents).
        """
        account = self._accounts[account_id]
        now = self._clock_ms()
        self._expire_account_volume(account, now)
        maker, taker = self._fee_bps(account)
        per_day: dict[str, Decimal] = {}
        for ts_ms, usd in account.volume:
            day = _utc_date(ts_ms)
            per_day[day] = per_day.get(day, _ZERO) + usd
        body: dict[str, Any] = {}
        for channel in ("web", "api", "fix"):
            body[f"{channel}_maker_fee_bps"] = maker
            body[f"{channel}_taker_fee_bps"] = taker
            body[f"{channel}_auction_fee_bps"] = maker
        body["notional_30d_volume"] = _cents(account.volume_usd)
        body["api_notional_30d_volume"] = _cents(account.volume_usd)
        body["last_updated_ms"] = now
        body["date"] = _utc_date(now)
        body["notional_1d_volume"] = [
            {"date": day, "notional_volume": _cents(value)} for day, value in sorted(per_day.items(), reverse=True)
        ]
        return body

    @_exact
    def trade_volume(self, account_id: int) -> list[list[dict[str, Any]]]:
        """``POST /v1/tradevolume`` shape (https://docs.gemini.com/rest/fund-management#get-trade-volume): one inner
        array per symbol, one object per UTC day.

        Counts the account's kept executions (maker/taker, buy/sell) with base amounts and quote notionals as JSON
        numbers, as in the docs' example. Symbols the account never traded are left out.
        """
        account = self._accounts[account_id]
        rows: dict[str, dict[str, dict[str, Any]]] = {}
        for trade, aggressor in zip(account.executions, account.aggressors, strict=True):
            market = self._markets[trade.symbol]
            day = _utc_date(trade.timestamp_ms)
            row = rows.setdefault(trade.symbol, {}).get(day)
            if row is None:
                row = rows[trade.symbol][day] = {
                    "symbol": trade.symbol,
                    "base_currency": market.spec.base_currency,
                    "notional_currency": market.spec.quote_currency,
                    "data_date": day,
                    "total_volume_base": _ZERO,
                    "maker_buy_sell_ratio": 0,
                    **{
                        f"{side}_{role}_{what}": (0 if what == "count" else _ZERO)
                        for side in ("buy", "sell")
                        for role in ("maker", "taker")
                        for what in ("base", "notional", "count")
                    },
                }
            is_buy = trade.taker_is_buy if aggressor else not trade.taker_is_buy
            prefix = f"{'buy' if is_buy else 'sell'}_{'taker' if aggressor else 'maker'}"
            row[f"{prefix}_base"] += trade.amount
            row[f"{prefix}_notional"] += trade.amount * trade.price
            row[f"{prefix}_count"] += 1
            row["total_volume_base"] += trade.amount
        out: list[list[dict[str, Any]]] = []
        for symbol in sorted(rows):
            days = []
            for day in sorted(rows[symbol]):
                row = rows[symbol][day]
                maker_buys, maker_sells = row["buy_maker_base"], row["sell_maker_base"]
                row["maker_buy_sell_ratio"] = float(maker_buys / maker_sells) if maker_sells else 0
                days.append({k: (float(v) if isinstance(v, Decimal) else v) for k, v in row.items()})
            out.append(days)
        return out

    @_exact
    def wrap(
        self, account_id: int, symbol: object, *, amount: object, side: object, client_order_id: object = None
    ) -> dict[str, Any]:
        """Wrap or unwrap at price 1 (``POST /v1/wrap/:symbol``, CHOICES 22).

        https://docs.gemini.com/rest/orders#wrap-order

        Args:
            account_id: the account.
            symbol: a wrap-enabled symbol such as ``"GUSDUSD"`` (any case).
            amount: base amount, a decimal string.
            side: ``"buy"`` (quote → base) or ``"sell"`` (base → quote).
            client_order_id: optional, checked like an order's.

        Returns:
            ``{"orderId": 73000000042, "pair": "GUSDUSD", "price": "1", "priceCurrency": "USD", "side": "buy",
            "quantity": "1", "quantityCurrency": "GUSD", "totalSpend": "1", "totalSpendCurrency": "USD", "fee": "0",
            "feeCurrency": "USD", "depositFee": "0", "depositFeeCurrency": "USD"}``.

        Raises:
            ExchangeError: InvalidSymbol (unknown or not wrap-enabled), InvalidSide, ClientOrderId*, InvalidQuantity
                (400), InsufficientFunds (406).
        """
        account = self._accounts[account_id]
        market = self._market(symbol)
        spec = market.spec
        if not spec.wrap_enabled:
            raise ExchangeError("InvalidSymbol", f"Symbol {market.upper} is not enabled for wrapping", 400)
        is_buy = _parse_side(side, market.upper)
        _parse_client_order_id(client_order_id)
        qty = _to_decimal(amount)
        if qty is None or qty <= 0 or qty < spec.min_order_size or not _is_multiple(qty, spec.tick_size):
            raise ExchangeError("InvalidQuantity", f"Invalid quantity for symbol {market.upper}: {_raw(amount)}", 400)
        base, quote = spec.base_currency, spec.quote_currency
        spend_currency = quote if is_buy else base
        available = account.balances.get(spend_currency, _ZERO) - account.holds.get(spend_currency, _ZERO)
        if qty > available:
            raise ExchangeError(
                "InsufficientFunds", f"Insufficient {spend_currency} to wrap {_fmt(qty)} {market.upper}", 406
            )
        get_currency = base if is_buy else quote
        account.balances[spend_currency] = account.balances.get(spend_currency, _ZERO) - qty
        account.balances[get_currency] = account.balances.get(get_currency, _ZERO) + qty
        text = _fmt_norm(qty)
        return {
            "orderId": self._new_id(),
            "pair": market.upper,
            "price": "1",
            "priceCurrency": quote,
            "side": "buy" if is_buy else "sell",
            "quantity": text,
            "quantityCurrency": base,
            "totalSpend": text,
            "totalSpendCurrency": quote,
            "fee": "0",
            "feeCurrency": quote,
            "depositFee": "0",
            "depositFeeCurrency": quote,
        }

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

    @_exact
    def set_symbol_status(self, symbol: str, status: str) -> None:
        """Set a symbol's status; ``"closed"`` cancels its live orders (stops included) with reason MarketClosed.

        Raises:
            ExchangeError: ``InvalidSymbol``.
            ValueError: a status other than open, closed, cancel_only, post_only, limit_only.
        """
        market = self._market(symbol)
        if status not in SYMBOL_STATUSES:
            raise ValueError(f"unknown symbol status {status!r}")
        market.status = status
        if status == "closed":
            self._now = self._clock_ms()
            orders = [o for a in self._accounts.values() for o in a.open_orders.values() if o.symbol == market.symbol]
            for order in sorted(orders, key=lambda o: o.id):
                self._cancel(order, "MarketClosed")
            self._flush()

    @_exact
    def set_trading_open(self, is_open: bool) -> None:
        """Open or close the whole exchange.

        Closing cancels every live order (stops included) with reason TradingClosed; while closed, new orders are
        rejected with MarketNotOpen (400) and ``symbol_details`` reports ``"closed"``.
        """
        self._trading_open = is_open
        if not is_open:
            self._now = self._clock_ms()
            orders = [o for a in self._accounts.values() for o in a.open_orders.values()]
            for order in sorted(orders, key=lambda o: o.id):
                self._cancel(order, "TradingClosed")
            self._flush()

    @_exact
    def open_markets(self) -> list[dict[str, Any]]:
        """Give every market that has no trade yet its opening trade at its seeded mid (CHOICES 26).

        Returns:
            The opening trades made, in the ``GET /v1/trades`` shape (``[]`` when every market had traded).
        """
        self._now = self._clock_ms()
        made = []
        for index, market in enumerate(self._markets.values()):
            if market.trades or market.last_price is not None:
                continue
            spec = market.spec
            below = self._first_id - len(self._markets)
            tid = below + index if below >= 1 else self._new_id()  # ids stay positive with a small first id
            trade = _Trade.opening(tid, market.symbol, spec.initial_price, spec.min_order_size, self._now,
                                   spec.quote_currency)
            market.trades.append(trade)
            market.last_price = trade.price
            market.volume.append((self._now, trade.amount, trade.price * trade.amount))
            market.volume_base += trade.amount
            market.volume_quote += trade.price * trade.amount
            if self._market_listeners:
                self._new_trades.setdefault(market.symbol, []).append(trade)
            made.append(self._public_trade_wire(trade))
        self._flush()
        return made

    def last_price(self, symbol: str) -> Decimal | None:
        """Price of the symbol's last trade, or None."""
        return self._market(symbol).last_price

    def best_bid_ask(self, symbol: str) -> tuple[Decimal | None, Decimal | None]:
        """``(best bid, best ask)`` prices of the symbol, None for an empty side."""
        market = self._market(symbol)
        return market.bids.best(), market.asks.best()

    # ------------------------------------------------------------------------------------------------------------
    # internals: lookups

    def _new_id(self) -> int:
        value = self._next_id
        self._next_id = value + 1
        return value

    def _market(self, symbol: object) -> _Market:
        market = self._markets.get(symbol) if type(symbol) is str else None  # the usual lowercase id: no lower()
        if market is None:
            market = self._markets.get(symbol.lower()) if isinstance(symbol, str) else None
        if market is None:
            raise ExchangeError("InvalidSymbol", f"Received unsupported symbol '{symbol}'")
        return market

    def _find_order(self, account_id: int, order_id: object) -> _Order:
        key: int | None = None
        if isinstance(order_id, int) and not isinstance(order_id, bool):
            key = order_id
        elif isinstance(order_id, str) and order_id.strip().isdigit():
            key = int(order_id.strip())
        order = self._orders.get(key) if key is not None else None  # type: ignore[arg-type]
        if order is None or order.account_id != account_id:
            raise ExchangeError("OrderNotFound", f"Order {order_id} not found", 404)
        return order

    # ------------------------------------------------------------------------------------------------------------
    # internals: validation after the id

    def _validate(
        self, order: _Order, market: _Market, account: _Account, amount: object, price: object, stop: object
    ) -> None:
        spec = market.spec
        parsed = market.parse_amount(amount)
        if parsed is None:
            raise ExchangeError("InvalidQuantity", f"Invalid quantity for symbol {market.upper}: {_raw(amount)}")
        qty, qty_text = parsed
        parsed = market.parse_price(price)
        if parsed is None:
            raise ExchangeError("InvalidPrice", f"Invalid price for symbol {market.upper}: {_raw(price)}")
        px, order.price_str = parsed
        order.original = order.remaining = qty
        order.price = px
        order.original_str = order.remaining_str = qty_text
        order.avg_str = market.zero_price
        if order.order_type == STOP_LIMIT:
            parsed = market.parse_price(stop)
            if parsed is None:
                raise ExchangeError("InvalidStopPrice", f"Invalid stop price for symbol {market.upper}: {_raw(stop)}")
            sp = order.stop_price = parsed[0]
            if order.is_buy and not sp < px:
                raise ExchangeError(
                    "InvalidStopPriceBuy",
                    f"Stop Price: {_dollars(sp)} must be lower than Price: {_dollars(px)} for Stop Limit buy Orders",
                )
            if not order.is_buy and not sp > px:
                raise ExchangeError(
                    "InvalidStopPriceSell",
                    f"Stop Price: {_dollars(sp)} must be higher than Price: {_dollars(px)} for Stop Limit sell Orders",
                )
            if abs(px - sp) > sp * STOP_PRICE_MAX_RATIO:
                raise ExchangeError(
                    "InvalidStopPriceRatio",
                    f"Limit Price: {_dollars(px)} must be within 50% of Stop Price: {_dollars(sp)}",
                )
        if not self._trading_open:
            raise ExchangeError(TRADING_CLOSED_REJECT_REASON, f"Trading is closed; market {market.upper} is not open")
        if market.status in NOT_OPEN_STATUSES:
            raise ExchangeError("MarketNotOpen", f"Market {market.upper} is not open (status {market.status})")
        if order.is_buy:
            order.hold_currency = spec.quote_currency
            order.hold_unit = px * self._hold_factor
            order.hold = qty * order.hold_unit
        else:
            order.hold_currency = spec.base_currency
            order.hold = qty
        currency = order.hold_currency
        available = account.balances.get(currency, _ZERO) - account.holds.get(currency, _ZERO)
        if available < order.hold:
            raise ExchangeError(
                "InsufficientFunds",
                f"Failed to place {'buy' if order.is_buy else 'sell'} order on symbol '{market.upper}' for price "
                f"{_dollars(px)} and quantity {_fmt(qty)} {spec.base_currency} due to insufficient funds",
                406,
            )

    # ------------------------------------------------------------------------------------------------------------
    # internals: matching

    def _execute(self, order: _Order, market: _Market) -> None:
        """Run an accepted limit order (or a triggered stop) against the book: fill, then rest or cancel."""
        is_buy = order.is_buy
        price = order.price
        opposite = market.asks if is_buy else market.bids
        behavior = order.behavior
        if behavior == MAKER_OR_CANCEL:
            best = opposite.best()
            if best is not None and ((best <= price) if is_buy else (best >= price)):
                self._cancel(order, "MakerOrCancelWouldTake")
            else:
                self._rest(order, market)
            return
        band_limit = None  # only worked out once the order meets the book: most orders never do
        if behavior == FILL_OR_KILL:
            band_limit = self._band_limit(order, market)
            if not self._can_fill(opposite, order, band_limit, self._own_reached(order, market)):
                self._cancel(order, "FillOrKillWouldNotFill")
                return
        while order.remaining:
            best = opposite.best()
            if best is None or ((best > price) if is_buy else (best < price)):
                break
            if band_limit is None:
                band_limit = self._band_limit(order, market)  # before the order's first trade: as it arrived
            if (best > band_limit) if is_buy else (best < band_limit):
                self._cancel(order, "ExceedsPriceLimits")
                return
            if not self._match_level(market, opposite, best, order):
                self._cancel(order, "SelfCrossPrevented")  # CHOICES 8: the next match was the account's own order
                return
        if not order.remaining:
            self._close_filled(order)
        elif behavior == IMMEDIATE_OR_CANCEL:
            self._cancel(order, "ImmediateOrCancelWouldPost")
        else:
            self._rest(order, market)

    def _band_limit(self, order: _Order, market: _Market) -> Decimal:
        """The furthest price the order may trade at (CHOICES 9): reference = last trade, else mid, else its price."""
        reference = market.last_price
        if reference is None:
            reference = market.mid()
            if reference is None:
                reference = order.price
        return reference * (_ONE + self._band) if order.is_buy else reference * (_ONE - self._band)

    def _own_reached(self, order: _Order, market: _Market) -> _OwnPrices | None:
        """The account's resting prices on the other side when the order's price reaches one of them, else None."""
        own = self._accounts[order.account_id].own.get((market.symbol, not order.is_buy))
        if own is None or not own.prices:
            return None
        return own if ((order.price >= own.prices[0]) if order.is_buy else (order.price <= own.prices[-1])) else None

    @staticmethod
    def _can_fill(opposite: _BookSide, order: _Order, band_limit: Decimal, own: _OwnPrices | None) -> bool:
        """Whether the book holds enough for the whole order inside its limit and the band, ahead of its own orders."""
        need = order.remaining
        is_buy = order.is_buy
        limit = min(order.price, band_limit) if is_buy else max(order.price, band_limit)
        for level in opposite.iter_levels():
            if (level.price > limit) if is_buy else (level.price < limit):
                return False
            if own is not None and level.price in own.counts:  # only what rests ahead of the account's own order
                for maker in level.orders:
                    if maker.on_book:
                        if maker.account_id == order.account_id:
                            return False
                        need -= maker.remaining
                        if need <= 0:
                            return True
                continue
            need -= level.total
            if need <= 0:
                return True
        return False

    def _match_level(self, market: _Market, opposite: _BookSide, price: Decimal, taker: _Order) -> bool:
        """Match the taker against one level in time priority; False when it stopped at its own account's order."""
        level = opposite.levels[price]
        if self._market_listeners:
            self._dirty_levels.setdefault(market.symbol, {})[(opposite.is_bid, price)] = None
        queue = level.orders
        account_id = taker.account_id
        while taker.remaining and level.count:
            maker = queue[0]
            if not maker.on_book:
                queue.popleft()
                level.dead -= 1
                continue
            if maker.account_id == account_id:
                return False  # CHOICES 8: the level keeps this order, so it is never emptied here
            qty = taker.remaining if taker.remaining < maker.remaining else maker.remaining
            level.total -= qty
            self._trade(market, taker, maker, price, qty)
            if not maker.remaining:
                queue.popleft()
                level.count -= 1
                maker.on_book = False
                self._accounts[maker.account_id].own[(market.symbol, maker.is_buy)].remove(price)
                self._close_filled(maker)
        if not level.count:
            opposite.remove_level(price)
        return True

    def _trade(self, market: _Market, taker: _Order, maker: _Order, price: Decimal, qty: Decimal) -> None:
        spec = market.spec
        base, quote = spec.base_currency, spec.quote_currency
        notional = price * qty
        maker_account = self._accounts[maker.account_id]
        taker_account = self._accounts[taker.account_id]
        maker_fee = notional * self._fee_bps(maker_account)[0] / 10_000
        taker_fee = notional * self._fee_bps(taker_account)[1] / 10_000
        usd = self._usd_value(quote, notional)
        self._record_volume(maker_account, usd)
        if taker_account is not maker_account:
            self._record_volume(taker_account, usd)
        trade = _Trade(self._new_id(), market.symbol, price, qty, self._now, taker, taker_fee, maker, maker_fee, quote)
        taker.last_trade = maker.last_trade = trade
        for order, account, fee, aggressor in (
            (taker, taker_account, taker_fee, True),
            (maker, maker_account, maker_fee, False),
        ):
            balances = account.balances
            if order.is_buy:
                balances[base] = balances.get(base, _ZERO) + qty
                balances[quote] = balances.get(quote, _ZERO) - notional - fee
            else:
                balances[base] = balances.get(base, _ZERO) - qty
                balances[quote] = balances.get(quote, _ZERO) + notional - fee
            order.executed += qty
            order.remaining -= qty
            order.notional += notional
            order.avg_str = self._avg_price(order, market)
            order.executed_str = _fmt_amount(order.executed)
            order.remaining_str = _fmt_amount(order.remaining)
            release = order.hold if not order.remaining else (qty * order.hold_unit if order.is_buy else qty)
            order.hold -= release
            account.holds[order.hold_currency] -= release
            account.executions.append(trade)
            account.aggressors.append(aggressor)
        self._fees[quote] = self._fees.get(quote, _ZERO) + maker_fee + taker_fee
        market.trades.append(trade)
        market.last_price = price
        if self._market_listeners:
            self._new_trades.setdefault(market.symbol, []).append(trade)
        market.volume.append((self._now, qty, notional))
        market.volume_base += qty
        market.volume_quote += notional
        if len(market.volume) > 4096:
            self._expire_volume(market, self._now)
        if self._listeners:
            trade_id, amount = str(trade.tid), _fmt(qty)
            for order, liquidity, fee in ((taker, "Taker", taker_fee), (maker, "Maker", maker_fee)):
                event = self._emit(order, "fill")
                assert event is not None  # there are listeners
                event["fill"] = {
                    "trade_id": trade_id,
                    "liquidity": liquidity,
                    "price": maker.price_str,  # = _fmt(price): the trade is at the maker's price
                    "amount": amount,
                    "fee": _fmt_norm(fee),
                    "fee_currency": quote,
                }
        else:
            self._next_id += 2  # the two fill events' ids, so ids do not depend on who listens
        if market.buy_stops or market.sell_stops:
            self._collect_triggered(market, price)

    def _rest(self, order: _Order, market: _Market) -> None:
        (market.bids if order.is_buy else market.asks).add(order, self._now)
        order.on_book = True
        if self._market_listeners:
            self._dirty_levels.setdefault(market.symbol, {})[(order.is_buy, order.price)] = None
        account = self._accounts[order.account_id]
        own = account.own.get((market.symbol, order.is_buy))
        if own is None:
            own = account.own[(market.symbol, order.is_buy)] = _OwnPrices()
        own.add(order.price)
        self._emit(order, "booked")

    def _close_filled(self, order: _Order) -> None:
        order.done = True
        account = self._accounts[order.account_id]
        del account.open_orders[order.id]
        self._retire(account, order)
        self._emit_closed(order)

    def _emit_closed(self, order: _Order) -> None:
        """Emit an order's last event; its event template is not needed after it (memory of closed orders)."""
        self._emit(order, "closed")
        order.event_template = None

    def _cancel(self, order: _Order, reason: str, cancel_command_id: int | None = None) -> None:
        market = self._markets[order.symbol]
        account = self._accounts[order.account_id]
        if order.on_book:
            side = market.bids if order.is_buy else market.asks
            level = side.levels[order.price]
            if self._market_listeners:
                self._dirty_levels.setdefault(market.symbol, {})[(order.is_buy, order.price)] = None
            level.count -= 1
            level.total -= order.remaining
            order.on_book = False
            account.own[(market.symbol, order.is_buy)].remove(order.price)
            if not level.count:
                side.remove_level(order.price)
            else:
                level.dead += 1
                if level.dead > 16 and level.dead > level.count:
                    level.orders = deque(o for o in level.orders if o.on_book)
                    level.dead = 0
        elif order.hidden:
            market.stop_dead += 1
            if market.stop_dead > 64 and market.stop_dead * 2 > len(market.buy_stops) + len(market.sell_stops):
                market.buy_stops = [e for e in market.buy_stops if not e[2].done and e[2] is not order]
                market.sell_stops = [e for e in market.sell_stops if not e[2].done and e[2] is not order]
                heapq.heapify(market.buy_stops)
                heapq.heapify(market.sell_stops)
                market.stop_dead = 0
        order.done = True
        order.is_cancelled = True
        order.reason = reason
        if order.hold:
            account.holds[order.hold_currency] -= order.hold
            order.hold = _ZERO
        del account.open_orders[order.id]
        self._retire(account, order)
        event = self._emit(order, "cancelled")
        if event is not None:
            event["reason"] = reason
            if cancel_command_id is not None:
                event["cancel_command_id"] = str(cancel_command_id)
        self._emit_closed(order)

    def _cancel_many(self, orders: list[_Order], reason: str) -> dict[str, list[int]]:
        cancelled: list[int] = []
        if orders:
            self._now = self._clock_ms()
            command_id = self._new_id()
            for order in orders:
                self._cancel(order, reason, cancel_command_id=command_id)
                cancelled.append(order.id)
            self._flush()
        return {"cancelledOrders": cancelled, "cancelRejects": []}

    def _retire(self, account: _Account, order: _Order) -> None:
        """Remember a closed order, forgetting the account's oldest closed order past CLOSED_ORDERS_KEPT."""
        account.closed_ids.append(order.id)
        if len(account.closed_ids) > CLOSED_ORDERS_KEPT:
            old = self._orders.pop(account.closed_ids.popleft(), None)
            if old is not None and old.client_order_id is not None:
                key = (old.account_id, old.client_order_id)
                ids = self._by_client_id.get(key)
                if ids is not None:
                    ids.remove(old.id)
                    if not ids:
                        del self._by_client_id[key]

    # ------------------------------------------------------------------------------------------------------------
    # internals: stops

    @staticmethod
    def _stop_hit(order: _Order, trade_price: Decimal) -> bool:
        stop = order.stop_price
        assert stop is not None
        return trade_price >= stop if order.is_buy else trade_price <= stop

    @staticmethod
    def _push_stop(market: _Market, order: _Order) -> None:
        stop = order.stop_price
        assert stop is not None
        if order.is_buy:
            heapq.heappush(market.buy_stops, (stop, order.id, order))
        else:
            heapq.heappush(market.sell_stops, (-stop, order.id, order))

    def _collect_triggered(self, market: _Market, trade_price: Decimal) -> None:
        heap = market.buy_stops
        while heap and heap[0][0] <= trade_price:
            order = heapq.heappop(heap)[2]
            if order.done:
                market.stop_dead -= 1
            else:
                self._triggered.append(order)
        heap = market.sell_stops
        negative = -trade_price
        while heap and heap[0][0] <= negative:
            order = heapq.heappop(heap)[2]
            if order.done:
                market.stop_dead -= 1
            else:
                self._triggered.append(order)

    def _run_triggered(self) -> None:
        queue = self._triggered
        while queue:
            order = queue.popleft()
            if order.done:
                continue
            order.hidden = False
            self._execute(order, self._markets[order.symbol])

    # ------------------------------------------------------------------------------------------------------------
    # internals: wire shapes and events

    @staticmethod
    def _avg_price(order: _Order, market: _Market) -> str:
        """The average price text (CHOICES 15): exact average, 8 decimals past the price's, zeros trimmed to them."""
        if not order.executed:
            return market.zero_price
        # Trimmed on the text: the same result as normalize() and re-quantizing, without Decimal.as_tuple(),
        # which alone cost ~5% of the engine's time.
        text = _fmt((order.notional / order.executed).quantize(market.avg_quantum))
        extra = AVG_PRICE_EXTRA_DECIMALS
        digits = text[-extra:].rstrip("0")
        if digits:
            return text[:-extra] + digits
        return text[: -extra - 1] if text[-extra - 1] == "." else text[:-extra]  # no "." left for whole prices

    def _order_wire(self, order: _Order) -> dict[str, Any]:
        wire: dict[str, Any] = {
            "order_id": order.id_str,
            "id": order.id_str,
            "symbol": order.symbol,
            "exchange": "gemini",
            "avg_execution_price": order.avg_str,
            "side": "buy" if order.is_buy else "sell",
            "type": REST_ORDER_TYPES[order.order_type],
            "timestamp": str(order.timestamp_ms // 1000),
            "timestampms": order.timestamp_ms,
            "is_live": not order.done and bool(order.remaining),
            "is_cancelled": order.is_cancelled,
            "is_hidden": order.hidden,
            "was_forced": False,
            "executed_amount": order.executed_str,
            "remaining_amount": order.remaining_str,
            "original_amount": order.original_str,
            "price": order.price_str,
            "options": list(order.options),
        }
        if order.client_order_id is not None:
            wire["client_order_id"] = order.client_order_id
        if order.is_cancelled:
            wire["reason"] = order.reason
        if order.stop_price is not None:
            wire["stop_price"] = _fmt(order.stop_price)
        return wire

    def _event_wire(self, order: _Order, event_type: str, event_id: int | None) -> dict[str, Any]:
        template = order.event_template
        if template is None:
            template = order.event_template = self._event_template(order)
        # Copying a dict whose keys are already in wire order and overwriting the changing values is ~3x cheaper
        # than building the event key by key, and events are most of what an order costs.
        event = template.copy()
        event["type"] = event_type
        if event_id is None:
            del event["event_id"]  # `initial` events have none; the other keys keep their order
        else:
            event["event_id"] = str(event_id)
        event["is_live"] = not order.done and bool(order.remaining)
        event["is_cancelled"] = order.is_cancelled
        event["is_hidden"] = order.hidden
        event["avg_execution_price"] = order.avg_str
        event["executed_amount"] = order.executed_str
        event["remaining_amount"] = order.remaining_str
        return event

    @classmethod
    def _event_template(cls, order: _Order) -> dict[str, Any]:
        """Every field of the order's events in wire order; those that change (type, event_id, state) are None."""
        template = {
            "type": None,
            "order_id": order.id_str,
            "event_id": None,
            **cls._event_identity(order),
            "original_amount": order.original_str,
            "price": order.price_str,
        }
        if order.stop_price is not None:
            template["stop_price"] = _fmt(order.stop_price)
        template.update(_EVENT_STATE_FIELDS)
        return template

    @staticmethod
    def _event_identity(order: _Order) -> dict[str, Any]:
        """Who placed the order and what it is: session, ids, symbol, side, type, submit time."""
        base: dict[str, Any] = {"api_session": order.api_session}
        if order.client_order_id is not None:
            base["client_order_id"] = order.client_order_id
        base["symbol"] = order.symbol
        base["side"] = "buy" if order.is_buy else "sell"
        base["order_type"] = order.order_type
        if order.behavior is not None:
            base["behavior"] = order.behavior
        base["timestamp"] = str(order.timestamp_ms // 1000)
        base["timestampms"] = order.timestamp_ms
        return base

    def _emit(self, order: _Order, event_type: str) -> dict[str, Any] | None:
        """Queue an order event for this action's flush; returns it (for fields to append), None without listeners."""
        event_id = self._next_id
        self._next_id = event_id + 1
        if not self._listeners:
            return None
        event = self._event_wire(order, event_type, event_id)
        batch = self._batch.get(order.account_id)
        if batch is None:
            self._batch[order.account_id] = [event]
        else:
            batch.append(event)
        return event

    def _emit_rejected(self, order: _Order, reason: str, amount: object, price: object, stop: object) -> None:
        event_id = self._new_id()
        if not self._listeners:
            return
        event: dict[str, Any] = {
            "type": "rejected",
            "order_id": str(order.id),
            "event_id": str(event_id),
            "reason": reason,
            **self._event_identity(order),
            "is_live": False,
        }
        parsed_amount = _to_decimal(amount)
        if amount is not None:
            event["original_amount"] = _fmt(parsed_amount) if parsed_amount is not None else _raw(amount)
        if price is not None:
            event["price"] = _fmt(order.price) if order.price else _raw(price)
        if order.order_type == STOP_LIMIT and stop is not None:
            event["stop_price"] = _fmt(order.stop_price) if order.stop_price is not None else _raw(stop)
        self._batch.setdefault(order.account_id, []).append(event)

    def _flush(self) -> None:
        """Deliver this action's events: one listener call per account, accounts in order of first event."""
        if (self._dirty_levels or self._new_trades) and not self._market_held:
            self._flush_market()
        if not self._batch:
            return
        batch, self._batch = self._batch, {}
        listeners = tuple(self._listeners)
        for account_id, events in batch.items():
            for listener in listeners:
                listener(account_id, events)

    def _flush_market(self) -> None:
        """Deliver this action's level changes and public trades: one market listener call per symbol."""
        dirty, self._dirty_levels = self._dirty_levels, {}
        fresh, self._new_trades = self._new_trades, {}
        listeners = tuple(self._market_listeners)
        for symbol in dict.fromkeys([*dirty, *fresh]):
            market = self._markets[symbol]
            changes: list[tuple[str, str, str]] = []
            for is_bid, price in dirty.get(symbol, ()):
                level = (market.bids if is_bid else market.asks).levels.get(price)
                total = level.total if level is not None and level.count else _ZERO
                changes.append(("buy" if is_bid else "sell", _fmt(price), _fmt(total)))
            trades = [self._public_trade_wire(t) for t in fresh.get(symbol, ())]
            for listener in listeners:
                listener(market.upper, changes, trades)

    @staticmethod
    def _public_trade_wire(trade: _Trade, *, broken: bool = False) -> dict[str, Any]:
        """A trade in the ``GET /v1/trades`` shape (``type`` = the taker's side)."""
        return {
            "timestamp": trade.timestamp_ms // 1000,
            "timestampms": trade.timestamp_ms,
            "tid": trade.tid,
            "price": _fmt(trade.price),
            "amount": _fmt(trade.amount),
            "exchange": "gemini",
            "type": "buy" if trade.taker_is_buy else "sell",
            "broken": broken,
        }

    def _execution_wire(self, trade: _Trade, aggressor: bool) -> dict[str, Any]:
        """One side of a trade in the ``/v1/mytrades`` shape: the taker's side when ``aggressor``, else the maker's."""
        if aggressor:
            is_buy, fee, order_id = trade.taker_is_buy, trade.taker_fee, trade.taker_order_id
            client_order_id, broken = trade.taker_client_order_id, trade.taker_broken
        else:
            is_buy, fee, order_id = not trade.taker_is_buy, trade.maker_fee, trade.maker_order_id
            client_order_id, broken = trade.maker_client_order_id, trade.maker_broken
        wire: dict[str, Any] = {
            "price": _fmt(trade.price),
            "amount": _fmt(trade.amount),
            "timestamp": trade.timestamp_ms // 1000,
            "timestampms": trade.timestamp_ms,
            "type": "Buy" if is_buy else "Sell",
            "aggressor": aggressor,
            "fee_currency": trade.fee_currency,
            "fee_amount": _fmt_norm(fee),
            "tid": trade.tid,
            "order_id": str(order_id),
        }
        if client_order_id is not None:
            wire["client_order_id"] = client_order_id
        wire["exchange"] = "gemini"
        wire["is_auction_fill"] = False
        wire["is_clearing_fill"] = False
        wire["symbol"] = self._markets[trade.symbol].upper
        if broken is not None:
            wire["break"] = broken
        return wire

    @staticmethod
    def _levels_wire(side: _BookSide, limit: int) -> list[dict[str, str]]:
        out = []
        for level in side.iter_levels():
            if limit and len(out) >= limit:
                break
            out.append(
                {"price": _fmt(level.price), "amount": _fmt(level.total), "timestamp": str(level.updated_ms // 1000)}
            )
        return out

    @staticmethod
    def _expire_volume(market: _Market, now_ms: int) -> None:
        window = market.volume
        horizon = now_ms - VOLUME_WINDOW_MS
        while window and window[0][0] < horizon:
            _, qty, notional = window.popleft()
            market.volume_base -= qty
            market.volume_quote -= notional

    def _fee_bps(self, account: _Account) -> tuple[int, int]:
        volume = account.volume_usd
        maker, taker = self._fee_tiers[0][1], self._fee_tiers[0][2]
        for start, tier_maker, tier_taker in self._fee_tiers:
            if volume >= start:
                maker, taker = tier_maker, tier_taker
        return maker, taker

    def _usd_value(self, currency: str, amount: Decimal) -> Decimal:
        if currency == "USD":
            return amount
        market = self._markets.get(f"{currency.lower()}usd")
        if market is None or market.last_price is None:
            return _ZERO
        return amount * market.last_price

    def _record_volume(self, account: _Account, usd: Decimal) -> None:
        if usd:
            account.volume.append((self._now, usd))
            account.volume_usd += usd
            if len(account.volume) > 4096:
                self._expire_account_volume(account, self._now)

    @staticmethod
    def _expire_account_volume(account: _Account, now_ms: int) -> None:
        horizon = now_ms - FEE_WINDOW_MS
        window = account.volume
        while window and window[0][0] < horizon:
            account.volume_usd -= window.popleft()[1]


def _ms(timestamp: int) -> int:
    """A timestamp in seconds (below 1e12) or ms, as ms."""
    return timestamp if timestamp >= 1_000_000_000_000 else timestamp * 1000


def _utc_date(ts_ms: int) -> str:
    """``"2026-11-22"``: the UTC date of a time in ms."""
    return time.strftime("%Y-%m-%d", time.gmtime(ts_ms // 1000))


def _cents(value: Decimal) -> float:
    """A USD volume as the JSON number Gemini sends (rounded to cents); volumes are reports, not balances."""
    return float(value.quantize(Decimal("0.01")))
