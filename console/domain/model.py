"""Venue-neutral order domain: sides, types, states, orders, fills and the events that change them.

Nothing here knows a venue's field names; each venue adapter (e.g. ``console.venues.gemini.convert``) turns its wire
messages into these objects.
Every price and amount is a ``Decimal``; every timestamp says its unit in its name.
"""

from __future__ import annotations

import enum
from dataclasses import MISSING, dataclass, field, fields
from decimal import Decimal
from operator import attrgetter
from types import FunctionType
from typing import TypeVar, cast

_C = TypeVar("_C", bound=type)


class Side(enum.StrEnum):
    """Order side."""

    BUY = "buy"
    SELL = "sell"


class OrderType(enum.StrEnum):
    """Order type offered by the ticket."""

    LIMIT = "limit"
    STOP_LIMIT = "stop-limit"


class ExecOption(enum.StrEnum):
    """Execution option of a limit order (at most one per order)."""

    MAKER_OR_CANCEL = "maker-or-cancel"
    IMMEDIATE_OR_CANCEL = "immediate-or-cancel"
    FILL_OR_KILL = "fill-or-kill"


class Liquidity(enum.StrEnum):
    """Whether a fill added liquidity (maker) or removed it (taker)."""

    MAKER = "maker"
    TAKER = "taker"


class OrderState(enum.StrEnum):
    """Lifecycle state of an order as the console knows it.

    ``PENDING_CANCEL`` is a cancel sent but not yet confirmed: the order can still fill (Roxom's
    ``pendingcancel``; on Gemini a cancel in flight). ``UNKNOWN`` means the outcome of a request is not yet known.
    """

    PENDING_NEW = "pending-new"
    ACCEPTED = "accepted"
    WAITING_TRIGGER = "waiting-trigger"
    LIVE = "live"
    PARTIALLY_FILLED = "partially-filled"
    PENDING_CANCEL = "pending-cancel"
    FILLED = "filled"
    CANCELLED = "cancelled"
    REJECTED = "rejected"
    UNKNOWN = "unknown"

    @property
    def is_terminal(self) -> bool:
        """True for states an order never leaves."""
        return self in TERMINAL_STATES

    @property
    def is_open(self) -> bool:
        """True while the order may still rest on the book or fill."""
        return self in OPEN_STATES


TERMINAL_STATES = frozenset({OrderState.FILLED, OrderState.CANCELLED, OrderState.REJECTED})
OPEN_STATES = frozenset(
    {
        OrderState.ACCEPTED,
        OrderState.WAITING_TRIGGER,
        OrderState.LIVE,
        OrderState.PARTIALLY_FILLED,
        OrderState.PENDING_CANCEL,
    }
)

#: Allowed transitions. A transition not listed is ignored by the blotter (and logged), so a late or repeated
#: event can never revive a terminal order. Staying in the same state is always allowed.
#:
#: ================  ==========================================================================================
#: from              to
#: ================  ==========================================================================================
#: PENDING_NEW       any other state (the REST answer or the stream settles it; UNKNOWN when the answer is lost)
#: UNKNOWN           any state but PENDING_NEW (settled by client order id: stream or ``/v1/order/status``)
#: ACCEPTED          WAITING_TRIGGER, LIVE, PARTIALLY_FILLED, PENDING_CANCEL, FILLED, CANCELLED, REJECTED
#: WAITING_TRIGGER   LIVE, PARTIALLY_FILLED, PENDING_CANCEL, FILLED, CANCELLED
#: LIVE              PARTIALLY_FILLED, PENDING_CANCEL, FILLED, CANCELLED
#: PARTIALLY_FILLED  PENDING_CANCEL, FILLED, CANCELLED (never back to LIVE: executed amounts only grow)
#: PENDING_CANCEL    LIVE / PARTIALLY_FILLED (cancel refused), FILLED (it can still fill), CANCELLED
#: FILLED            — (terminal)
#: CANCELLED         — (terminal: accepted, then removed)
#: REJECTED          — (terminal: never accepted)
#: ================  ==========================================================================================
ALLOWED_TRANSITIONS: dict[OrderState, frozenset[OrderState]] = {
    OrderState.PENDING_NEW: frozenset(set(OrderState) - {OrderState.PENDING_NEW}),
    OrderState.UNKNOWN: frozenset(set(OrderState) - {OrderState.UNKNOWN, OrderState.PENDING_NEW}),
    OrderState.ACCEPTED: frozenset(
        {
            OrderState.WAITING_TRIGGER,
            OrderState.LIVE,
            OrderState.PARTIALLY_FILLED,
            OrderState.PENDING_CANCEL,
            OrderState.FILLED,
            OrderState.CANCELLED,
            OrderState.REJECTED,
        }
    ),
    OrderState.WAITING_TRIGGER: frozenset(
        {
            OrderState.LIVE,
            OrderState.PARTIALLY_FILLED,
            OrderState.PENDING_CANCEL,
            OrderState.FILLED,
            OrderState.CANCELLED,
        }
    ),
    OrderState.LIVE: frozenset(
        {OrderState.PARTIALLY_FILLED, OrderState.PENDING_CANCEL, OrderState.FILLED, OrderState.CANCELLED}
    ),
    OrderState.PARTIALLY_FILLED: frozenset(
        {OrderState.PARTIALLY_FILLED, OrderState.PENDING_CANCEL, OrderState.FILLED, OrderState.CANCELLED}
    ),
    OrderState.PENDING_CANCEL: frozenset(
        {OrderState.PENDING_CANCEL, OrderState.LIVE, OrderState.PARTIALLY_FILLED, OrderState.FILLED,
         OrderState.CANCELLED}
    ),
    OrderState.FILLED: frozenset(),
    OrderState.CANCELLED: frozenset(),
    OrderState.REJECTED: frozenset(),
}


def can_transition(current: OrderState, new: OrderState) -> bool:
    """Return True if an order in ``current`` may move to ``new`` (staying put is always allowed)."""
    return current == new or new in ALLOWED_TRANSITIONS[current]


def fast_init(cls: _C) -> _C:
    """Give a frozen, slotted dataclass an ``__init__`` that fills its slots through their descriptors.

    Same parameters, order and defaults as the ``__init__`` that ``dataclass`` wrote, which goes through
    ``object.__setattr__`` once per field and is about twice as slow; the class stays frozen (assignment still
    raises ``FrozenInstanceError``). For the objects made for every order event. Apply it above ``@dataclass``.

    Raises:
        TypeError: a field has a ``default_factory`` or ``init=False`` (not supported).
    """
    params: list[str] = []
    lines: list[str] = []
    namespace: dict[str, object] = {}
    for f in fields(cls):
        if f.default_factory is not MISSING or not f.init:
            raise TypeError(f"{cls.__name__}.{f.name}: fast_init supports plain fields and defaults only")
        if f.default is MISSING:
            params.append(f.name)
        else:
            namespace[f"_default_{f.name}"] = f.default
            params.append(f"{f.name}=_default_{f.name}")
        namespace[f"_set_{f.name}"] = cls.__dict__[f.name].__set__
        lines.append(f"    _set_{f.name}(self, {f.name})\n")
    exec(f"def __init__(self, {', '.join(params)}):\n{''.join(lines)}", namespace)  # as dataclasses does
    init = cast(FunctionType, namespace["__init__"])
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    cls.__init__ = init  # type: ignore[misc]  # replacing the class's __init__ is this decorator's whole point
    return cls


@dataclass(frozen=True, slots=True)
class VenuePriceBand:
    """A venue's own limits on a limit price around the market: an order outside them is refused by the venue, so
    the console never sends it (a hard guard, ``console.domain.guards``). Where a venue states more than one band,
    each applies and the stricter bound wins.

    Attributes:
        touch_pct: a buy's price at most this percent above the best ask, a sell's at least this percent below the
            best bid (Roxom's API page: buy ≤ best ask × 1.1, sell ≥ best bid × 0.9); None: no such rule.
        mark_pct: the price within this percent of the mark price, either way (Roxom's rulebook: ±50%); None: none.
        venue: the venue's name, for the message (``"Roxom"``).
    """

    touch_pct: Decimal | None = None
    mark_pct: Decimal | None = None
    venue: str = "the venue"


@dataclass(frozen=True, slots=True)
class SymbolRules:
    """Trading rules of one symbol, from the venue's symbol details.

    Attributes:
        symbol: lowercase symbol id, e.g. ``"btcusd"``.
        base_currency / quote_currency: e.g. ``"BTC"`` / ``"USD"``.
        quantity_increment: smallest step of an order amount (Gemini's ``tick_size``), e.g. ``Decimal("1E-8")``.
        price_increment: smallest step of a price (Gemini's ``quote_increment``), e.g. ``Decimal("0.01")``.
        min_order_size: smallest order amount in base currency.
        status: ``"open"``, ``"closed"``, ``"cancel_only"``, ``"post_only"`` or ``"limit_only"``.
        max_order_size: largest order amount (None: the venue states none, e.g. Gemini).
        min_notional / max_notional: smallest / largest ``price × amount`` of a limit order in quote currency
            (None: none stated; Roxom's instruments state both).
        quantity_unit: what an order amount counts when it is not the base currency, e.g. ``"contracts"`` for a
            Roxom perpetual (None: the base currency, e.g. Gemini's ``BTC``); see :attr:`amount_unit`.
        price_band: the venue's own price band around the touch and the mark (None: the venue states none; the
            configurable guard bands still apply).
    """

    symbol: str
    base_currency: str
    quote_currency: str
    quantity_increment: Decimal
    price_increment: Decimal
    min_order_size: Decimal
    status: str = "open"
    max_order_size: Decimal | None = None
    min_notional: Decimal | None = None
    max_notional: Decimal | None = None
    quantity_unit: str | None = None
    price_band: VenuePriceBand | None = None

    @property
    def amount_unit(self) -> str:
        """The label of an order amount: :attr:`quantity_unit`, else the base currency (``"contracts"``, ``"BTC"``)."""
        return self.quantity_unit or self.base_currency


@fast_init
@dataclass(frozen=True, slots=True)
class Fill:
    """One execution of an order.

    Attributes:
        trade_id: the venue's trade id.
        order_id: the order that filled.
        price / amount: execution price (quote currency) and amount (base currency).
        fee / fee_currency: fee charged for this fill.
        liquidity: maker or taker.
        timestamp_ms: execution time, ms since the epoch (0 when the venue's event does not say).
        symbol: lowercase symbol, e.g. ``"btcusd"`` (None when the message carrying the fill does not say).
        side: the account's side of the trade (None when the message does not say).
        client_order_id: the filled order's client order id (None when the order had none or it is not known).
        broken: how the venue broke (reversed) the trade afterwards, e.g. ``"manual"`` or ``"full"``; else None.
        is_auction / is_clearing: an auction fill; a clearing (block or cleared) fill.
    """

    trade_id: str
    order_id: str
    price: Decimal
    amount: Decimal
    fee: Decimal
    fee_currency: str
    liquidity: Liquidity
    timestamp_ms: int = 0
    symbol: str | None = None
    side: Side | None = None
    client_order_id: str | None = None
    broken: str | None = None
    is_auction: bool = False
    is_clearing: bool = False


@fast_init
@dataclass(frozen=True, slots=True)
class Order:
    """An order as the console knows it: the venue's last word plus what the console asked for.

    Attributes:
        order_id: the venue's order id (``""`` while pending-new or unknown).
        client_order_id: the id the console (or another client) gave the order, if any.
        symbol: lowercase symbol, e.g. ``"btcusd"``.
        side / order_type / options: as sent.
        price: limit price; ``stop_price``: trigger price of a stop-limit order, else None.
        amount: original amount; ``filled`` executed amount; ``remaining`` open amount (base currency).
        avg_price: average execution price (``Decimal(0)`` before any fill).
        state: lifecycle state; ``reason``: the venue's cancel or reject reason code, if any.
        api_session: which API key (or ``"UI"``) placed the order, when the venue says.
        created_ms: when the venue received the order, ms since the epoch.
        updated_ms: when the console last changed this record, ms since the epoch.
        fills: the order's fills, oldest first, when known (the blotter accumulates them; an order detail has them).
        venue_type: the venue's own name of the order's type, e.g. ``"exchange limit"`` or ``"market buy"`` (an
            order placed elsewhere may be of a type the console does not place); None when not said.
        hidden: the venue keeps the order off the public book (e.g. a stop-limit order before it triggers).
        forced: the venue says it forced the order (e.g. a liquidation).
    """

    order_id: str
    client_order_id: str | None
    symbol: str
    side: Side
    order_type: OrderType
    price: Decimal
    amount: Decimal
    stop_price: Decimal | None = None
    options: tuple[ExecOption, ...] = ()
    filled: Decimal = Decimal(0)
    remaining: Decimal | None = None
    avg_price: Decimal = Decimal(0)
    state: OrderState = OrderState.PENDING_NEW
    reason: str | None = None
    api_session: str | None = None
    created_ms: int = 0
    updated_ms: int = 0
    fills: tuple[Fill, ...] = field(default=(), compare=False)
    venue_type: str | None = None
    hidden: bool = False
    forced: bool = False

    @property
    def open_amount(self) -> Decimal:
        """Amount still open: ``remaining`` when the venue said it, else ``amount - filled``."""
        return self.remaining if self.remaining is not None else self.amount - self.filled

    def evolve(self, **changes: object) -> Order:
        """Return a copy with ``changes`` applied (orders are immutable values); ``dataclasses.replace``, faster.

        Raises:
            TypeError: a name in ``changes`` is not a field of ``Order``.
        """
        values = list(_order_values(self))
        try:
            for name, value in changes.items():
                values[_ORDER_FIELD_INDEX[name]] = value
        except KeyError as exc:
            raise TypeError(f"Order has no field {exc.args[0]!r}") from None
        return Order(*values)


#: ``Order``'s fields in constructor order, and a getter of all their values at once (for ``Order.evolve``).
_ORDER_FIELD_INDEX = {f.name: index for index, f in enumerate(fields(Order))}
_order_values = attrgetter(*_ORDER_FIELD_INDEX)


class EventKind(enum.StrEnum):
    """What a venue event says happened to an order."""

    INITIAL = "initial"
    ACCEPTED = "accepted"
    BOOKED = "booked"
    FILL = "fill"
    CANCELLED = "cancelled"
    CANCEL_REJECTED = "cancel_rejected"
    CLOSED = "closed"
    REJECTED = "rejected"


@fast_init
@dataclass(frozen=True, slots=True)
class OrderEvent:
    """One venue event about one order, already converted from the wire.

    Attributes:
        kind: what happened.
        order: the order as the venue describes it in this event (amounts are the venue's cumulative values).
        event_id: the venue's event id (None for ``initial`` snapshots), used to apply each event once.
        fill: the execution, on ``FILL`` events.
        reason: cancel, reject or cancel-reject reason code, when the venue gives one.
        sequence: the stream's sequence number of the frame that carried the event, if any.
    """

    kind: EventKind
    order: Order
    event_id: str | None = None
    fill: Fill | None = None
    reason: str | None = None
    sequence: int | None = None


@dataclass(frozen=True, slots=True)
class CancelResult:
    """What a venue's cancel-session or cancel-all call ended.

    Attributes:
        cancelled: order ids the venue cancelled, as strings (the venue's order ids).
        rejected: order ids the venue refused to cancel (e.g. already ending), as strings.
    """

    cancelled: tuple[str, ...] = ()
    rejected: tuple[str, ...] = ()


# -- the order-event stream, as a venue delivers it (already converted from the wire) -------------------------------
@dataclass(frozen=True, slots=True)
class StreamAck:
    """The venue confirmed the subscription: from here on the stream is complete (the session reconciles now)."""


@dataclass(frozen=True, slots=True)
class StreamHeartbeat:
    """The venue's keep-alive (no order data); it proves the stream is alive for the watchdog."""


@dataclass(frozen=True, slots=True)
class StreamEvents:
    """The order events of one stream message, in venue order.

    Attributes:
        events: the converted events (events of a kind the console does not know are left out).
        sequence: the stream's sequence number of the message, None when the venue numbers nothing.
        unreadable: events of this message the venue adapter could not convert (logged): the blotter may be
            missing something, so the session resynchronises.
    """

    events: list[OrderEvent]
    sequence: int | None = None
    unreadable: int = 0


@dataclass(frozen=True, slots=True)
class StreamGap:
    """The message just received broke the stream's sequence count (gap, repeat or reset): it is incomplete.

    Attributes:
        expected: the sequence number the next message should have carried.
        received: the number it carried.
    """

    expected: int
    received: int


@dataclass(frozen=True, slots=True)
class StreamBadFrame:
    """A stream message that could not be read; the adapter logged and skipped it.

    Attributes:
        reason: what was wrong, e.g. ``"invalid JSON"``.
        lost_events: True when it may have carried order events (the blotter can no longer be trusted); False for
            a message known to carry none (e.g. an unreadable heartbeat).
    """

    reason: str
    lost_events: bool


#: Everything an order-event stream yields (see ``console.trading.venue.OrderEventStream``).
StreamMessage = StreamAck | StreamHeartbeat | StreamEvents | StreamGap | StreamBadFrame
