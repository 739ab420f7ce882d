"""Wire models of Gemini's order events WebSocket: subscription ack, heartbeat, order events and their fills."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from console.venues.gemini.models.base import DigitsInt, IdStr, WireDecimal, WireModel, WireSide

# --- Order events WebSocket (https://docs.gemini.com/websocket/archived/order-events) ---

#: Event types that describe an order (they arrive inside JSON arrays).
ORDER_EVENT_TYPES = frozenset(
    {"initial", "accepted", "rejected", "booked", "fill", "cancelled", "cancel_rejected", "closed"}
)
OrderEventType = Literal["initial", "accepted", "rejected", "booked", "fill", "cancelled", "cancel_rejected", "closed"]


class SubscriptionAck(WireModel):
    """First message of the order events stream: the filters as Gemini parsed them.

    https://docs.gemini.com/websocket/order-events/response. Example::

        {"type":"subscription_ack","accountId":5365,"subscriptionId":"ws-order-events-5365-b8bk32clqeb13g9tk8p0",
         "symbolFilter":["btcusd"],"apiSessionFilter":["UI"],"eventTypeFilter":["fill","closed"]}
    """

    type: Literal["subscription_ack"]
    accountId: int
    subscriptionId: str
    symbolFilter: list[str] = Field(default_factory=list)
    apiSessionFilter: list[str] = Field(default_factory=list)
    eventTypeFilter: list[str] = Field(default_factory=list)


class HeartbeatMessage(WireModel):
    """Order events heartbeat, a single JSON object every five seconds.

    Example: ``{"type":"heartbeat","timestampms":1547742998508,"sequence":31,"trace_id":"b8biknoqppr32kc7gfgg",
    "socket_sequence":37}``. ``sequence`` counts heartbeats; ``socket_sequence`` counts every message.
    """

    type: Literal["heartbeat"]
    timestampms: int
    sequence: int
    trace_id: str | None = None
    socket_sequence: int


class FillWire(WireModel):
    """The ``fill`` object of a ``fill`` event: ``{"trade_id":"557315","liquidity":"Maker","price":"0.01514",
    "amount":"481.95988631","fee":"0.0182421816968335","fee_currency":"BTC"}``.

    Attributes:
        liquidity: ``"Maker"`` or ``"Taker"``.
        price / amount / fee: decimals of this execution only (not cumulative).
    """

    trade_id: IdStr
    liquidity: str
    price: WireDecimal
    amount: WireDecimal
    fee: WireDecimal
    fee_currency: str


class OrderEventWire(WireModel):
    """One order event from inside an order events array (https://docs.gemini.com/websocket/order-events/response).

    Example (a ``fill``)::

        {"type":"fill","order_id":"556309","api_session":"UI","symbol":"ethbtc","side":"sell",
         "order_type":"exchange limit","timestamp":"1478729284","timestampms":1478729284169,"is_live":true,
         "is_cancelled":false,"is_hidden":false,"avg_execution_price":"0.01514","executed_amount":"481.95988631",
         "remaining_amount":"303.06099969","original_amount":"785.020886","price":"0.01514",
         "fill":{"trade_id":"557315","liquidity":"Maker","price":"0.01514","amount":"481.95988631",
                 "fee":"0.0182421816968335","fee_currency":"BTC"},"socket_sequence":471177}

    Attributes:
        type: ``initial``, ``accepted``, ``rejected``, ``booked``, ``fill``, ``cancelled``, ``cancel_rejected``,
            ``closed``.
        order_id: string; event_id: string, absent on ``initial`` (and in some samples).
        api_session: the key that placed the order, or ``"UI"``; account_name: with master keys.
        behavior: ``immediate-or-cancel`` / ``fill-or-kill`` / ``maker-or-cancel`` when the order has one.
        order_type: e.g. ``"exchange limit"``, ``"market buy"``, ``"auction-only limit"``.
        timestamp: submit time, seconds (string on the wire); timestampms: ms.
        avg_execution_price / executed_amount / remaining_amount / original_amount / price: cumulative decimals,
            each possibly absent (market buys have no amounts, only ``total_spend``; ``accepted`` has no executed).
        reason: on ``rejected``, ``cancel_rejected`` (and maybe ``cancelled``); cancel_command_id: on cancel events.
        fill: on ``fill`` events.
        socket_sequence: per-connection message counter.
    """

    type: OrderEventType
    socket_sequence: int
    order_id: IdStr
    event_id: IdStr | None = None
    account_name: str | None = None
    api_session: str | None = None
    client_order_id: str | None = None
    symbol: str
    side: WireSide
    behavior: str | None = None
    order_type: str
    timestamp: DigitsInt
    timestampms: int
    is_live: bool
    is_cancelled: bool = False
    is_hidden: bool = False
    avg_execution_price: WireDecimal | None = None
    executed_amount: WireDecimal | None = None
    remaining_amount: WireDecimal | None = None
    original_amount: WireDecimal | None = None
    price: WireDecimal | None = None
    stop_price: WireDecimal | None = None
    total_spend: WireDecimal | None = None
    reason: str | None = None
    cancel_command_id: IdStr | None = None
    fill: FillWire | None = None

