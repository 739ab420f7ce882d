"""The local Roxom venue's order model: order states and reasons, orders, fills, positions, accounts and books."""

from __future__ import annotations

import bisect
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from console.exchange.roxom.instruments import Instrument

__all__ = [
    "ASK_BAND",
    "BID_BAND",
    "CLOSED_STATUSES",
    "EXPIRED_STATUS",
    "MARK_BAND",
    "NOT_CANCELLABLE",
    "ORDER_TYPES",
    "REASON_GTD",
    "REASON_INACTIVE",
    "REASON_IOC",
    "REASON_MARGIN",
    "REASON_NO_LIQUIDITY",
    "REASON_POST_ONLY",
    "REASON_SELF_TRADE",
    "REASON_USER",
    "TIME_IN_FORCE",
    "ZERO",
    "Account",
    "AccountListener",
    "Fill",
    "MarketListener",
    "Order",
    "OrderRequest",
    "Position",
    "RoxomError",
    "TradeTick",
]

ZERO = Decimal(0)

#: Statuses from which an order can no longer change (the cancel page's FILLED, CANCELED, EXPIRED, plus the rest).
#: CHOICE: a GTD order past its ``cancelAt`` reports ``expired``: the cancel page names EXPIRED as a state, the status
#: page's enum does not list it (docs/local-roxom.md, "GTD expiry").
EXPIRED_STATUS = "expired"
CLOSED_STATUSES = frozenset({"filled", "cancelled", "partiallyfilledcancelled", "rejected", "inactive", EXPIRED_STATUS})
#: Statuses a cancel is refused in (https://docs.roxom.com/reference/api-reference/orders/cancel: FILLED, CANCELED,
#: PENDING, EXPIRED): the closed ones plus an order already pending cancel.
NOT_CANCELLABLE = CLOSED_STATUSES | {"pendingcancel", "pendingsubmit"}

#: Cancel / reject reasons the local venue sends in ``reason`` (CHOICE: Roxom's documentation lists none).
REASON_USER = "usercancel"
REASON_POST_ONLY = "postonlywouldcross"
REASON_SELF_TRADE = "selftradeprevention"
REASON_IOC = "immediateorcancel"
REASON_NO_LIQUIDITY = "noliquidity"
REASON_GTD = "gtdexpired"
REASON_INACTIVE = "accountinactive"
REASON_MARGIN = "insufficientmargin"

ORDER_TYPES = frozenset({"limit", "stoplimit", "market", "stop"})
TIME_IN_FORCE = frozenset({"gtc", "ioc", "gtd"})

#: The API page's price band (https://docs.roxom.com/reference/api-reference/orders/create): buy ≤ best ask × 1.1,
#: sell ≥ best bid × 0.9; the rulebook's: within ±50% of the mark price. Both are enforced.
ASK_BAND = Decimal("1.1")
BID_BAND = Decimal("0.9")
MARK_BAND = Decimal("0.5")


class RoxomError(Exception):
    """A request the venue refuses, with Roxom's HTTP status and message.

    Attributes:
        status: HTTP status (400 validation, 404 order not found, 409 cannot cancel).
        message: e.g. ``"Order not found"``.
        details: more text (the field, or the order's state for a refused cancel), or None.
        state: the order's status for a refused cancel, else None.
    """

    def __init__(self, status: int, message: str, details: str | None = None, state: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.details = details
        self.state = state


@dataclass(frozen=True)
class OrderRequest:
    """A parsed ``POST /api/v1/orders`` body (prices already in BTC). See :func:`console.exchange.roxom.wire`."""

    symbol: str
    side: str
    order_type: str
    qty: Decimal
    px: Decimal | None = None
    trigger_px: Decimal | None = None
    time_in_force: str = "gtc"
    cancel_at_ms: int | None = None
    post_only: bool = False
    client_order_id: str | None = None
    unit: str = "btc"


@dataclass
class Fill:
    """One execution of an order (a transaction log ``orderFill``). Prices and money in BTC."""

    tx_id: str
    trade_id: str
    order_id: str
    symbol: str
    side: str
    qty: Decimal
    px: Decimal
    fee: Decimal
    pnl: Decimal
    is_taker: bool
    time_ms: int
    position_before: Decimal
    position_after: Decimal
    balance_before: Decimal
    balance_after: Decimal


@dataclass(eq=False)
class Order:
    """One order and its state. ``px`` is None for market orders; ``seq`` is its time priority."""

    id: str
    account_id: int
    request: OrderRequest
    created_ms: int
    seq: int
    status: str = "pendingsubmit"
    executed: Decimal = ZERO
    notional: Decimal = ZERO
    fees: Decimal = ZERO
    margin: Decimal = ZERO  # margin held for the unfilled part, BTC
    reason: str | None = None
    is_triggered: bool | None = None
    triggered_ms: int | None = None
    on_book: bool = False
    cancel_requested: bool = False
    fills: list[Fill] = field(default_factory=list)

    @property
    def remaining(self) -> Decimal:
        return self.request.qty - self.executed

    @property
    def avg_px(self) -> Decimal | None:
        return self.notional / self.executed if self.executed else None

    @property
    def is_buy(self) -> bool:
        return self.request.side == "buy"

    @property
    def closed(self) -> bool:
        return self.status in CLOSED_STATUSES


@dataclass
class Position:
    """An account's net position on one instrument: signed contracts (long > 0) at an average entry price."""

    position_id: str
    qty: Decimal = ZERO
    entry_px: Decimal = ZERO
    realized_pnl: Decimal = ZERO


@dataclass
class Account:
    """An account: BTC wallet balance, restriction flag, orders, positions and its transaction log."""

    id: int
    account_uuid: str
    name: str
    balance: Decimal
    restricted: bool = False
    open_orders: dict[str, Order] = field(default_factory=dict)
    positions: dict[str, Position] = field(default_factory=dict)
    log: list[Fill] = field(default_factory=list)
    published_balance: Decimal | None = None
    closed_ids: deque[str] = field(default_factory=deque)


class _Side:
    """One side of a book: price → FIFO of resting orders, prices kept sorted ascending."""

    def __init__(self, is_bid: bool) -> None:
        self.is_bid = is_bid
        self.levels: dict[Decimal, deque[Order]] = {}
        self.prices: list[Decimal] = []

    def __bool__(self) -> bool:
        return bool(self.prices)

    def best(self) -> Decimal | None:
        if not self.prices:
            return None
        return self.prices[-1] if self.is_bid else self.prices[0]

    def add(self, order: Order, price: Decimal) -> None:
        queue = self.levels.get(price)
        if queue is None:
            queue = self.levels[price] = deque()
            bisect.insort(self.prices, price)
        queue.append(order)

    def remove(self, order: Order, price: Decimal) -> None:
        queue = self.levels[price]
        queue.remove(order)
        if not queue:
            del self.levels[price]
            del self.prices[bisect.bisect_left(self.prices, price)]

    def best_first(self) -> Iterator[Decimal]:
        return reversed(self.prices) if self.is_bid else iter(self.prices)


class _Book:
    """One instrument's book: bids and asks, the last trade price and the untriggered stops."""

    def __init__(self, instrument: Instrument) -> None:
        self.instrument = instrument
        self.bids = _Side(is_bid=True)
        self.asks = _Side(is_bid=False)
        self.last_px: Decimal | None = None
        self.stops: list[Order] = []

    def best_bid(self) -> Decimal | None:
        return self.bids.best()

    def best_ask(self) -> Decimal | None:
        return self.asks.best()

    def mark(self) -> Decimal:
        """The reference price: mid of the touch, else the last trade, else the instrument's start price."""
        bid, ask = self.best_bid(), self.best_ask()
        if bid is not None and ask is not None:
            return (bid + ask) / 2
        return self.last_px if self.last_px is not None else self.instrument.initial_price

    def levels(self, is_bid: bool, depth: int | None = None) -> list[tuple[Decimal, Decimal]]:
        """Aggregated levels best first: ``[(price, contracts), ...]``."""
        side = self.bids if is_bid else self.asks
        out: list[tuple[Decimal, Decimal]] = []
        for price in side.best_first():
            if depth is not None and len(out) >= depth:
                break
            out.append((price, sum((o.remaining for o in side.levels[price]), ZERO)))
        return out


AccountListener = Callable[[int, dict[str, Any]], None]
#: A public trade as the market listener sees it: (taker side, price in BTC, contracts).
TradeTick = tuple[str, Decimal, Decimal]
MarketListener = Callable[[str, list[TradeTick]], None]
