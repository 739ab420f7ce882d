"""Roxom's wire models → the domain's ``Order``, ``OrderEvent``, ``Fill`` and ``SymbolRules``.

Order statuses (https://docs.roxom.com/reference/api-reference/orders/status) map to the domain's state machine
(``console.domain.model.OrderState``)::

    pendingsubmit             PENDING_NEW       created, not yet at the engine (the console's "sending")
    waitingtrigger            WAITING_TRIGGER   a stop waiting for its trigger
    submitted (new, open)     LIVE              at the engine; PARTIALLY_FILLED when something executed
    partiallyfilled           PARTIALLY_FILLED
    pendingcancel             PENDING_CANCEL    cancel requested, not confirmed: the order can still fill
    filled                    FILLED
    cancelled                 CANCELLED         by the trader or the venue (post-only would cross, self-trade, IOC)
    partiallyfilledcancelled  CANCELLED         with its executed amount kept
    expired                   CANCELLED         reason ``gtdexpired`` unless the venue says another
    inactive                  CANCELLED         reason ``accountinactive`` unless the venue says another
    rejected                  REJECTED

Roxom's order updates carry no sequence number and may carry only a few fields (a cancelled update: ``orderId``,
``accountId``, ``symbol``, ``status``, ``remainingQty``, ``executedQty``, ``avgPx``, ``timestamp``):
``event_from_update`` merges an update into the order already known, never blanking a field the update leaves
out. An update with a ``fillPx`` is a fill: its amount is the growth of ``executedQty``, its trade id
``<orderId>@<executedQty>`` (Roxom's update names no trade), the same id ``fills_from_log`` gives the transaction
log's entry of that fill. The update does not say maker or taker: the fill is recorded as maker until the
transaction log (``isTaker``) says otherwise.

Symbols are lowercase in the domain (``"gold-btc"``) and upper-case on the wire (``"GOLD-BTC"``). Prices are BTC.
Roxom writes BTC prices with 8 decimals (``"0.02500000"``) whatever the instrument's tick; :class:`PriceTicks`
re-expresses them at the tick's decimals (``0.025000`` for a tick of 100 sats, never rounded), so every view shows a
price the same way (console/domain/fmt.py). Quantities are contracts (:data:`QUANTITY_UNIT`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from decimal import Decimal

from console.domain.fmt import at_step
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
    VenuePriceBand,
)
from console.domain.positions import VenuePosition
from console.venues.roxom.models import (
    Instrument,
    OrderFill,
    OrderUpdate,
    RestOrder,
    TransactionLogEntry,
)
from console.venues.roxom.models import Position as WirePosition

__all__ = [
    "FEE_CURRENCY",
    "OTHER_SESSION",
    "QUANTITY_UNIT",
    "STATUS_STATES",
    "PriceTicks",
    "domain_symbol",
    "venue_position",
    "event_from_update",
    "fill_trade_id",
    "fills_from_log",
    "order_from_rest",
    "rules_from_instrument",
    "state_for",
    "wire_symbol",
]

#: Roxom settles in BTC: fees are BTC.
FEE_CURRENCY = "BTC"
#: What a Roxom order quantity counts: contracts of the perpetual (``qty`` "Order quantity"; the instruments state
#: ``contractSize: 1``, https://docs.roxom.com/reference/api-reference/market-data/instruments), not the base asset
#: (``GOLD``): the ``unit`` parameter (``btc``/``sats``) is the *price* unit.
QUANTITY_UNIT = "contracts"
#: Roxom's documented price bands, both enforced (the stricter binds): the create-order page's "buy price ≤ ask ×
#: 1.1, sell price ≥ bid × 0.9" (https://docs.roxom.com/reference/api-reference/orders/create) and the rulebook's
#: "±50% of mark".
PRICE_BAND = VenuePriceBand(touch_pct=Decimal(10), mark_pct=Decimal(50), venue="Roxom")
#: ``Order.api_session`` of an order this console did not place (another key, another run, the web UI).
OTHER_SESSION = "other"

#: Roxom status → domain state (``submitted``/``partiallyfilled`` are refined by the executed amount).
STATUS_STATES: dict[str, OrderState] = {
    "pendingsubmit": OrderState.PENDING_NEW,
    "waitingtrigger": OrderState.WAITING_TRIGGER,
    "submitted": OrderState.LIVE,
    "new": OrderState.LIVE,
    "open": OrderState.LIVE,
    "partiallyfilled": OrderState.PARTIALLY_FILLED,
    "pendingcancel": OrderState.PENDING_CANCEL,
    "filled": OrderState.FILLED,
    "cancelled": OrderState.CANCELLED,
    "partiallyfilledcancelled": OrderState.CANCELLED,
    "expired": OrderState.CANCELLED,
    "inactive": OrderState.CANCELLED,
    "rejected": OrderState.REJECTED,
}

#: The reason an ending status implies when the venue sends none.
_DEFAULT_REASONS = {"expired": "gtdexpired", "inactive": "accountinactive"}

_ZERO = Decimal(0)


def domain_symbol(symbol: str) -> str:
    """``"GOLD-BTC"`` → ``"gold-btc"``."""
    return symbol.lower()


def wire_symbol(symbol: str) -> str:
    """``"gold-btc"`` → ``"GOLD-BTC"``."""
    return symbol.upper()


def state_for(status: str, filled: Decimal = _ZERO) -> OrderState:
    """The domain state of a Roxom ``status`` (``submitted`` with something executed is PARTIALLY_FILLED).

    Raises:
        ValueError: a status Roxom does not document.
    """
    try:
        state = STATUS_STATES[status.lower()]
    except KeyError:
        raise ValueError(f"unknown Roxom order status {status!r}") from None
    if state is OrderState.LIVE and filled > 0:
        return OrderState.PARTIALLY_FILLED
    return state


def _reason(status: str, reason: str | None) -> str | None:
    return reason or _DEFAULT_REASONS.get(status.lower())


def _order_type(wire_type: str) -> OrderType:
    return OrderType.STOP_LIMIT if wire_type in ("stoplimit", "stop") else OrderType.LIMIT


def _options(time_in_force: str | None, post_only: bool | None) -> tuple[ExecOption, ...]:
    if post_only:
        return (ExecOption.MAKER_OR_CANCEL,)
    if time_in_force == "ioc":
        return (ExecOption.IMMEDIATE_OR_CANCEL,)
    return ()


def fill_trade_id(order_id: str, executed: Decimal) -> str:
    """The id of the fill that took ``order_id``'s executed amount to ``executed``: ``"<orderId>@<executed>"``."""
    return f"{order_id}@{executed.normalize():f}"


def order_from_rest(wire: RestOrder, *, api_session: str, updated_ms: int = 0,
                    fills: Iterable[OrderFill] = ()) -> Order:
    """A REST order (order by id, order list) as a domain ``Order``.

    Args:
        wire: the order (prices in BTC).
        api_session: what to put in ``Order.api_session`` (the venue's key id for this console's orders, else
            ``OTHER_SESSION``).
        updated_ms: the time of receipt (ms), 0 to let the blotter stamp it.
        fills: the order's fills (``data.fills`` of the order-by-id answer).

    Raises:
        ValueError: an unknown status.
    """
    filled = wire.amountFilled if wire.amountFilled is not None else _ZERO
    state = state_for(wire.status, filled)
    remaining = _ZERO if state.is_terminal else wire.qty - filled
    order_fills = tuple(
        Fill(fill_trade_id_at(wire.id, fills, f), wire.id, f.px, f.qty, f.fee, FEE_CURRENCY,
             Liquidity.TAKER if f.isTaker else Liquidity.MAKER, f.time, domain_symbol(wire.symbol),
             Side(wire.side), wire.clientOrderId)
        for f in fills
    )
    return Order(
        order_id=wire.id,
        client_order_id=wire.clientOrderId,
        symbol=domain_symbol(wire.symbol),
        side=Side(wire.side),
        order_type=_order_type(wire.type),
        price=wire.px if wire.px is not None else _ZERO,
        amount=wire.qty,
        stop_price=wire.triggerPx,
        options=_options(wire.timeInForce, wire.postOnly),
        filled=filled,
        remaining=remaining,
        avg_price=wire.avgPx if wire.avgPx is not None else _ZERO,
        state=state,
        reason=_reason(wire.status, wire.reason),
        api_session=api_session,
        created_ms=wire.createdAt or 0,
        updated_ms=updated_ms,
        fills=order_fills,
        venue_type=wire.type,
        hidden=wire.type in ("stop", "stoplimit") and not wire.isTriggered,
    )


def fill_trade_id_at(order_id: str, fills: Iterable[OrderFill], fill: OrderFill) -> str:
    """The stream's id of ``fill`` among the order's ``fills`` (cumulative executed amount after it, oldest first)."""
    executed = _ZERO
    for f in sorted(fills, key=lambda f: (f.time, f.tradeId)):
        executed += f.qty
        if f is fill:
            break
    return fill_trade_id(order_id, executed)


def event_from_update(update: OrderUpdate, known: Order | None, *, api_session: str, updated_ms: int
                      ) -> OrderEvent:
    """One ``orders`` channel update merged into the order already known, as a domain ``OrderEvent``.

    Args:
        update: the update (possibly partial: only ``orderId``, ``symbol``, ``status``, amounts and ``timestamp``).
        known: the order as the venue adapter last knew it (None: never seen).
        api_session: ``Order.api_session`` for an order first seen here.
        updated_ms: the time of receipt (ms).

    Returns:
        The event: kind ``FILL`` (with its ``Fill``) when the update carries ``fillPx`` and ``executedQty`` grew;
        ``CANCELLED`` / ``REJECTED`` / ``CLOSED`` for the ending statuses; ``BOOKED`` for ``submitted`` and
        ``partiallyfilled``; ``ACCEPTED`` (state in the order) for ``pendingsubmit``, ``waitingtrigger`` and
        ``pendingcancel``.

    Raises:
        ValueError: an unknown status, or a partial update of an order not known (the adapter cannot fill in its
            side, type, size or price: the session reconciles).
    """
    status = update.status.lower()
    if known is None and not update.is_complete:
        raise ValueError(f"partial update of unknown order {update.orderId} ({status})")
    executed = update.executedQty if update.executedQty is not None else (known.filled if known else _ZERO)
    state = state_for(status, executed)
    if known is not None:
        side = Side(update.side) if update.side is not None else known.side
        order_type = _order_type(update.orderType) if update.orderType is not None else known.order_type
        venue_type = update.orderType or known.venue_type
        amount = update.orderSize if update.orderSize is not None else known.amount
        price = update.limitPrice if update.limitPrice is not None else known.price
        stop_price = update.triggerPx if update.triggerPx is not None else known.stop_price
        client_order_id = update.clientOrderId or known.client_order_id
        avg_price = update.avgPx if update.avgPx is not None else known.avg_price
        options, created_ms, session = known.options, known.created_ms, known.api_session
        reason = _reason(status, update.reason) or known.reason
    else:
        assert update.side is not None and update.orderType is not None and update.orderSize is not None
        side, order_type, venue_type = Side(update.side), _order_type(update.orderType), update.orderType
        amount = update.orderSize
        price = update.limitPrice if update.limitPrice is not None else _ZERO
        stop_price, client_order_id = update.triggerPx, update.clientOrderId
        avg_price = update.avgPx if update.avgPx is not None else _ZERO
        options, created_ms, session = (), (update.timestamp or 0) // 1_000_000, api_session
        reason = _reason(status, update.reason)
    remaining = update.remainingQty if update.remainingQty is not None else amount - executed
    if state.is_terminal:
        remaining = _ZERO
    order = Order(
        order_id=update.orderId, client_order_id=client_order_id, symbol=domain_symbol(update.symbol), side=side,
        order_type=order_type, price=price, amount=amount, stop_price=stop_price, options=options,
        filled=executed, remaining=remaining, avg_price=avg_price, state=state, reason=reason,
        api_session=session, created_ms=created_ms, updated_ms=updated_ms, venue_type=venue_type,
    )
    before = known.filled if known is not None else _ZERO
    if update.fillPx is not None and executed > before:
        fill = Fill(fill_trade_id(update.orderId, executed), update.orderId, update.fillPx, executed - before,
                    _fee_delta(update, known), FEE_CURRENCY, Liquidity.MAKER, (update.timestamp or 0) // 1_000_000,
                    order.symbol, side, client_order_id)
        return OrderEvent(EventKind.FILL, order, fill=fill)
    if status == "rejected":
        return OrderEvent(EventKind.REJECTED, order, reason=reason)
    if state is OrderState.CANCELLED:
        return OrderEvent(EventKind.CANCELLED, order, reason=reason)
    if state is OrderState.FILLED:
        return OrderEvent(EventKind.CLOSED, order)
    if state in (OrderState.LIVE, OrderState.PARTIALLY_FILLED):
        return OrderEvent(EventKind.BOOKED, order)
    return OrderEvent(EventKind.ACCEPTED, order)


def _fee_delta(update: OrderUpdate, known: Order | None) -> Decimal:
    """The fee of this fill: the growth of the update's cumulative ``filledFees`` (0 when not said)."""
    if update.filledFees is None:
        return _ZERO
    before = sum((f.fee for f in known.fills), start=_ZERO) if known is not None else _ZERO
    return max(update.filledFees - before, _ZERO)


def fills_from_log(entries: Iterable[TransactionLogEntry], executed_now: Mapping[str, Decimal],
                   client_order_ids: Mapping[str, str | None] | None = None) -> list[Fill]:
    """The order fills of transaction-log entries, oldest first, each with the stream's trade id.

    A fill's id is ``<orderId>@<the order's executed amount after it>`` (see ``fill_trade_id``), worked back from
    ``executed_now[orderId]`` (the order's executed amount now) through the order's later fills in ``entries``; so
    ``entries`` must reach the present (the walk's ``to`` is now). An order missing from ``executed_now`` keeps the
    log's ``tradeId``.

    Args:
        entries: transaction-log entries (any types; non-fills are left out), prices in BTC.
        executed_now: order id → executed amount now.
        client_order_ids: order id → client order id, when known.
    """
    fills = sorted((e for e in entries if e.is_fill and e.orderId and e.amount is not None), key=lambda e: e.time)
    later: dict[str, Decimal] = {}
    ids: dict[int, str] = {}
    for index in range(len(fills) - 1, -1, -1):
        entry = fills[index]
        order_id = entry.orderId or ""
        amount = entry.amount or _ZERO
        if order_id in executed_now:
            ids[index] = fill_trade_id(order_id, executed_now[order_id] - later.get(order_id, _ZERO))
            later[order_id] = later.get(order_id, _ZERO) + amount
        else:
            ids[index] = entry.tradeId or entry.txId
    cids = client_order_ids or {}
    return [
        Fill(ids[index], entry.orderId or "", entry.fillPrice or _ZERO, entry.amount or _ZERO, entry.fee or _ZERO,
             FEE_CURRENCY, Liquidity.TAKER if entry.isTaker else Liquidity.MAKER, entry.time,
             domain_symbol(entry.symbol) if entry.symbol else None,
             Side(entry.side) if entry.side in ("buy", "sell") else None, cids.get(entry.orderId or ""))
        for index, entry in enumerate(fills)
    ]


def venue_position(wire: WirePosition, ticks: PriceTicks | None = None) -> VenuePosition:
    """One position of ``GET /api/v1/positions`` or of a pushed ``position`` message, prices in BTC
    (https://docs.roxom.com/api-reference/positions/get-positions): ``side`` ``long``/``short`` and ``size`` →
    a signed net in contracts; entry, mark and liquidation prices at the instrument's tick (``ticks``).

    Raises:
        ValueError: a ``side`` other than long or short.
    """
    if wire.side not in ("long", "short"):
        raise ValueError(f"position side {wire.side!r} is neither long nor short")
    symbol = domain_symbol(wire.symbol)
    net = wire.size if wire.side == "long" else -wire.size
    ticks = ticks if ticks is not None else PriceTicks()
    return VenuePosition(symbol, net, ticks.optional(symbol, wire.entryPrice), ticks.optional(symbol, wire.markPrice),
                         ticks.optional(symbol, wire.liquidationPrice), wire.unrealizedPnl, wire.realizedPnl,
                         FEE_CURRENCY, wire.margin, wire.leverage)


def rules_from_instrument(instrument: Instrument) -> SymbolRules:
    """An instrument's trading rules: tick (``tickSize``), step (``qtyStep``, else 1 contract), minimum size
    (``minQty``, else ``min_order_size``, else the step), maximum size (``maxQty``, else ``max_order_size``), minimum
    notional (``minNotional``) and a limit order's maximum notional (``maxLimitNotional``, the rulebook's 2.5 BTC).
    Status ``active`` → ``"open"``, else ``"closed"``."""
    step = instrument.qtyStep if instrument.qtyStep is not None else Decimal(1)
    minimum = instrument.minQty if instrument.minQty is not None else instrument.min_order_size
    return SymbolRules(
        quantity_unit=QUANTITY_UNIT,
        price_band=PRICE_BAND,
        symbol=domain_symbol(instrument.symbol),
        base_currency=instrument.baseAsset or instrument.symbol.split("-")[0],
        quote_currency=instrument.quoteAsset or "BTC",
        quantity_increment=step,
        price_increment=instrument.tickSize,
        min_order_size=minimum if minimum is not None else step,
        status="open" if (instrument.status or "active") == "active" else "closed",
        max_order_size=instrument.maxQty if instrument.maxQty is not None else instrument.max_order_size,
        min_notional=instrument.minNotional,
        max_notional=instrument.maxLimitNotional,
    )


class PriceTicks:
    """Each instrument's tick size, to write the prices Roxom sends at the tick's decimals.

    Roxom's BTC prices carry 8 decimals on the wire (``"0.02500000"``) where the tick has fewer (``0.000001``); the
    orders table showed ``0.025000`` (it formats with the tick) but the ladder, the ticket and the status pane
    ``0.02500000``. Every price leaving the adapter goes through :meth:`price` (``console.domain.fmt.at_step``:
    equal in value, never rounded), so all views agree. A symbol whose tick is not known yet is left as sent.
    """

    __slots__ = ("_ticks",)

    def __init__(self) -> None:
        self._ticks: dict[str, Decimal] = {}

    def __bool__(self) -> bool:
        return bool(self._ticks)

    def learn(self, rules: Iterable[SymbolRules]) -> None:
        """Remember the ticks of ``rules`` (``SymbolRules.price_increment`` by lowercase symbol)."""
        self._ticks.update({r.symbol.lower(): r.price_increment for r in rules})

    def tick(self, symbol: str) -> Decimal | None:
        """The tick of ``symbol`` (either case), or None when unknown."""
        return self._ticks.get(symbol.lower())

    def price(self, symbol: str, value: Decimal) -> Decimal:
        """``value`` at the tick's decimals (``Decimal("0.02500000")`` → ``Decimal("0.025000")``)."""
        return at_step(value, self._ticks.get(symbol.lower()))

    def optional(self, symbol: str, value: Decimal | None) -> Decimal | None:
        """:meth:`price` of a price that may be missing."""
        return None if value is None else at_step(value, self._ticks.get(symbol.lower()))

    def fill(self, fill: Fill, symbol: str | None = None) -> Fill:
        """The fill with its price at the tick (``symbol`` when the fill does not name its own)."""
        name = fill.symbol or symbol
        tick = self._ticks.get(name.lower()) if name else None
        if tick is None:
            return fill
        return dataclasses.replace(fill, price=at_step(fill.price, tick))

    def order(self, order: Order) -> Order:
        """The order with its price, stop price, average price and fills' prices at the tick."""
        tick = self._ticks.get(order.symbol.lower())
        if tick is None:
            return order
        return order.evolve(
            price=at_step(order.price, tick),
            stop_price=None if order.stop_price is None else at_step(order.stop_price, tick),
            avg_price=at_step(order.avg_price, tick),
            fills=tuple(self.fill(f, order.symbol) for f in order.fills),
        )

    def event(self, event: OrderEvent) -> OrderEvent:
        """The event with its order's and its fill's prices at the tick."""
        if self._ticks.get(event.order.symbol.lower()) is None:
            return event
        fill = None if event.fill is None else self.fill(event.fill, event.order.symbol)
        return dataclasses.replace(event, order=self.order(event.order), fill=fill)
