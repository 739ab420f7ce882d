"""The one step from Gemini's wire models to the venue-neutral domain objects of ``console.domain.model``.

State mapping (first rule that matches wins; ``event_type`` is the order event's ``type``, None for REST):

1. ``event_type == "rejected"``                                  → ``REJECTED`` (never accepted, so not a cancel)
2. ``is_cancelled``                                              → ``CANCELLED``
3. not ``is_live`` and ``executed == original`` (> 0)            → ``FILLED``
4. ``event_type == "closed"`` (off the book, not cancelled)      → ``FILLED`` if nothing remains, else ``CANCELLED``
5. stop-limit with ``is_hidden`` and ``is_live``                 → ``WAITING_TRIGGER``
6. ``is_live`` and ``executed > 0``                              → ``PARTIALLY_FILLED``
7. ``is_live``                                                   → ``LIVE``
8. ``event_type == "accepted"`` (not yet live)                   → ``ACCEPTED``
9. not live, some executed, not all (e.g. an IOC fill before its cancel event) → ``PARTIALLY_FILLED``
10. anything else                                                → ``UNKNOWN``

Order types: a type string containing ``stop`` (``"exchange stop limit"``), or a ``stop_price``, gives
``STOP_LIMIT``; every other string (``"exchange limit"``, and also ``"market buy"``, ``"auction-only limit"``,
``"block_trade"`` that orders placed elsewhere may carry) gives ``LIMIT``: the console only places limit and
stop-limit orders, and must still show the others rather than fail on them.

Options: REST's ``options`` list or the event's ``behavior``; strings that are not an ``ExecOption``
(``auction-only``, ``indication-of-interest``) are dropped.
"""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache

from console.domain.model import (
    EventKind,
    ExecOption,
    Fill,
    Liquidity,
    Order,
    OrderEvent,
    OrderState,
    OrderType,
    Side,
    SymbolRules,
)
from console.venues.gemini.models import FillWire, MyTrade, OrderEventWire, OrderStatus, SymbolDetails

_ZERO = Decimal(0)
_EXEC_OPTIONS = {option.value: option for option in ExecOption}
_EVENT_KINDS = {kind.value: kind for kind in EventKind}
_SIDES = {side.value: side for side in Side}


def order_type_from_wire(type_text: str, stop_price: Decimal | None = None) -> OrderType:
    """Map Gemini's order type string to ``OrderType`` (see the module docstring).

    Args:
        type_text: REST ``type`` or event ``order_type``, e.g. ``"exchange stop limit"``.
        stop_price: the order's stop price, if the message has one.
    """
    if stop_price is not None:
        return OrderType.STOP_LIMIT
    return _order_type_of(type_text)


@lru_cache(maxsize=64)
def _order_type_of(type_text: str) -> OrderType:
    """``order_type_from_wire`` without a stop price; cached: a venue sends a handful of type strings."""
    return OrderType.STOP_LIMIT if "stop" in type_text.lower() else OrderType.LIMIT


def options_from_wire(values: list[str] | tuple[str, ...] | str | None) -> tuple[ExecOption, ...]:
    """Map REST ``options`` (a list) or an event's ``behavior`` (one string) to ``ExecOption``s.

    Strings that are not an ``ExecOption`` (``auction-only``, ``indication-of-interest``) are dropped.
    """
    if values is None:
        return ()
    if isinstance(values, str):
        values = [values]
    return tuple(_EXEC_OPTIONS[v] for v in values if v in _EXEC_OPTIONS)


def liquidity_from_wire(text: str) -> Liquidity:
    """``"Maker"`` → ``MAKER``; ``"Taker"`` and anything else (e.g. an auction fill) → ``TAKER``."""
    return Liquidity.MAKER if text.strip().lower() == "maker" else Liquidity.TAKER


def derive_state(
    is_live: bool,
    is_cancelled: bool,
    is_hidden: bool,
    executed: Decimal | None,
    original: Decimal | None,
    order_type: OrderType,
    event_type: str | None = None,
) -> OrderState:
    """Derive the order's lifecycle state from Gemini's flags and amounts (rules in the module docstring).

    Args:
        is_live / is_cancelled / is_hidden: the wire flags.
        executed / original: ``executed_amount`` / ``original_amount`` (None when absent, e.g. market buys).
        order_type: already mapped.
        event_type: the order event's ``type``, or None for a REST order status.
    """
    if event_type == "rejected":
        return OrderState.REJECTED
    if is_cancelled:
        return OrderState.CANCELLED
    filled = executed if executed is not None else _ZERO
    if is_live and event_type != "closed":  # the common case first: a resting order
        if order_type is OrderType.STOP_LIMIT and is_hidden:
            return OrderState.WAITING_TRIGGER
        return OrderState.PARTIALLY_FILLED if filled > 0 else OrderState.LIVE
    fully_filled = original is not None and original > 0 and filled >= original
    if fully_filled and not is_live:
        return OrderState.FILLED
    if event_type == "closed":
        return OrderState.FILLED if original is None or fully_filled else OrderState.CANCELLED
    if event_type == "accepted":
        return OrderState.ACCEPTED
    return OrderState.PARTIALLY_FILLED if filled > 0 else OrderState.UNKNOWN


def fill_from_my_trade(trade: MyTrade) -> Fill:
    """Convert a ``/v1/mytrades`` trade (or an element of ``trades`` in an order status) to a ``Fill``.

    https://docs.gemini.com/rest/orders#get-past-trades. Liquidity: ``aggressor`` true → taker, false → maker.
    ``timestamp_ms`` = ``timestampms``; ``side`` from ``type`` (``"Buy"``/``"Sell"``); symbol lowercased;
    ``broken`` = ``break`` (``"manual"``/``"full"``, None when the trade stands); a missing client order id is None.
    """
    return Fill(
        trade_id=str(trade.tid),
        order_id=trade.order_id,
        price=trade.price,
        amount=trade.amount,
        fee=trade.fee_amount,
        fee_currency=trade.fee_currency,
        liquidity=Liquidity.TAKER if trade.aggressor else Liquidity.MAKER,
        timestamp_ms=trade.timestampms,
        symbol=trade.symbol.lower(),
        side=Side.BUY if trade.type == "Buy" else Side.SELL,
        client_order_id=trade.client_order_id or None,
        broken=trade.break_,
        is_auction=trade.is_auction_fill,
        is_clearing=trade.is_clearing_fill,
    )


def fill_from_event(fill: FillWire, *, order_id: str, timestamp_ms: int = 0) -> Fill:
    """Convert the ``fill`` object of an order event to a ``Fill`` (a ``/v1/mytrades`` trade: ``fill_from_my_trade``).

    Args:
        fill: e.g. ``{"trade_id":"557315","liquidity":"Maker","price":"0.01514","amount":"481.95988631",
            "fee":"0.0182421816968335","fee_currency":"BTC"}``.
        order_id: the event's ``order_id`` (the fill object does not repeat it).
        timestamp_ms: the event's ``timestampms``. Gemini's events only carry the order's submit time, so this is
            that time unless the caller knows better (0 = unknown).
    """
    return Fill(  # positional, in field order: once per fill event
        fill.trade_id,
        order_id,
        fill.price,
        fill.amount,
        fill.fee,
        fill.fee_currency,
        liquidity_from_wire(fill.liquidity),
        timestamp_ms,
    )


def order_from_status(status: OrderStatus, *, updated_ms: int = 0) -> Order:
    """Convert a REST order object (order/new, order/cancel, order/status, orders) to an ``Order``.

    Args:
        status: the wire model.
        updated_ms: when the console received it, ms since the epoch (0 if the caller does not track it).

    Returns:
        The order, with ``fills`` from ``status.trades`` when present; symbol lowercased;
        ``created_ms`` = ``timestampms``; ``venue_type`` = ``type``; ``hidden`` / ``forced`` = ``is_hidden`` /
        ``was_forced``.
    """
    order_type = order_type_from_wire(status.type, status.stop_price)
    # Positional, in field order (keywords cost ~2 µs here, once per order of /v1/orders).
    return Order(
        status.order_id,
        status.client_order_id,
        status.symbol.lower(),
        _SIDES.get(status.side) or Side(status.side),
        order_type,
        status.price,
        status.original_amount,  # amount
        status.stop_price,
        options_from_wire(status.options),
        status.executed_amount,  # filled
        status.remaining_amount,
        status.avg_execution_price,  # avg_price
        derive_state(
            status.is_live,
            status.is_cancelled,
            status.is_hidden,
            status.executed_amount,
            status.original_amount,
            order_type,
        ),
        status.reason,
        None,  # api_session: REST order objects do not say
        status.timestampms,  # created_ms
        updated_ms,
        tuple(fill_from_my_trade(trade) for trade in status.trades) if status.trades else (),
        status.type,  # venue_type
        status.is_hidden,
        status.was_forced,
    )


def order_from_event(event: OrderEventWire, *, updated_ms: int = 0) -> Order:
    """Build the ``Order`` an order event describes (amounts are Gemini's cumulative values).

    Market buys carry no ``original_amount``/``remaining_amount``: ``amount`` is then the executed amount and
    ``remaining`` 0. A missing ``price`` (market orders) becomes 0.
    """
    order_type = order_type_from_wire(event.order_type, event.stop_price)
    executed = event.executed_amount if event.executed_amount is not None else _ZERO
    if event.original_amount is not None:
        amount, remaining = event.original_amount, event.remaining_amount
    else:
        amount, remaining = executed, _ZERO
    # Positional, in field order (keywords cost ~2 µs here, once per order event).
    return Order(
        event.order_id,
        event.client_order_id,
        event.symbol.lower(),
        _SIDES.get(event.side) or Side(event.side),
        order_type,
        event.price if event.price is not None else _ZERO,  # price
        amount,
        event.stop_price,
        options_from_wire(event.behavior),
        executed,  # filled
        remaining,
        event.avg_execution_price if event.avg_execution_price is not None else _ZERO,  # avg_price
        derive_state(
            event.is_live,
            event.is_cancelled,
            event.is_hidden,
            event.executed_amount,
            event.original_amount,
            order_type,
            event.type,
        ),
        event.reason,
        event.api_session,
        event.timestampms,  # created_ms
        updated_ms,
        (),  # fills: the blotter accumulates them
        event.order_type,  # venue_type
        event.is_hidden,
    )


def event_from_wire(event: OrderEventWire, sequence: int | None = None, *, updated_ms: int = 0) -> OrderEvent | None:
    """Convert one order event to an ``OrderEvent``.

    Args:
        event: an element of an order events array.
        sequence: the ``socket_sequence`` of the message that carried it (``OrderEventBatch.socket_sequence``).
        updated_ms: when the console received it, ms since the epoch.

    Returns:
        The domain event, or None when ``event.type`` is not an order event kind. The execution of a ``fill``
        event is in ``OrderEvent.fill``; ``order.fills`` stays empty (the blotter accumulates fills).
    """
    kind = _EVENT_KINDS.get(event.type)
    if kind is None:
        return None
    order = order_from_event(event, updated_ms=updated_ms)
    fill = (
        fill_from_event(event.fill, order_id=event.order_id, timestamp_ms=event.timestampms)
        if event.fill is not None
        else None
    )
    return OrderEvent(kind, order, event.event_id, fill, event.reason, sequence)


def rules_from_details(details: SymbolDetails) -> SymbolRules:
    """Convert symbol details to ``SymbolRules``: ``tick_size`` is the quantity increment, ``quote_increment``
    the price increment (https://docs.gemini.com/rest/market-data#get-symbol-details); the symbol is
    lowercased."""
    return SymbolRules(
        symbol=details.symbol.lower(),
        base_currency=details.base_currency,
        quote_currency=details.quote_currency,
        quantity_increment=details.tick_size,
        price_increment=details.quote_increment,
        min_order_size=details.min_order_size,
        status=details.status,
    )
