"""Wire models of Gemini's order endpoints: order status, your trades, cancel-all, heartbeat and wrap answers."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from console.venues.gemini.models.base import DigitsInt, IdStr, WireDecimal, WireModel, WireSide


class MyTrade(WireModel):
    """One of your trades, from ``POST /v1/mytrades`` (https://docs.gemini.com/rest/orders#get-past-trades).

    Example::

        {"price":"3648.09","amount":"0.0027343246","timestamp":1547232911,"timestampms":1547232911021,
         "type":"Buy","aggressor":true,"fee_currency":"USD","fee_amount":"0.024937655575035","tid":107317526,
         "order_id":"107317524","exchange":"gemini","is_clearing_fill":false,"symbol":"BTCUSD"}

    Attributes:
        price / amount: execution price (quote) and amount (base), decimals.
        timestamp: seconds; timestampms: ms.
        type: ``"Buy"`` or ``"Sell"`` (capitalised, unlike elsewhere).
        aggressor: True when this side took liquidity (taker).
        fee_amount / fee_currency: fee charged.
        tid: trade id (JSON number); order_id: string; client_order_id: if the order had one.
        symbol: uppercase here, e.g. ``"BTCUSD"``.
        break_: ``"manual"`` or ``"full"`` on broken trades only (wire name ``break``).
    """

    price: WireDecimal
    amount: WireDecimal
    timestamp: int
    timestampms: int
    type: Literal["Buy", "Sell"]
    aggressor: bool
    fee_currency: str
    fee_amount: WireDecimal
    tid: int
    order_id: IdStr
    client_order_id: str | None = None
    exchange: str = "gemini"
    is_auction_fill: bool = False
    is_clearing_fill: bool = False
    symbol: str
    break_: str | None = Field(default=None, alias="break")


class OrderStatus(WireModel):
    """The common order object returned by order/new, order/cancel, order/status, orders and orders/history.

    https://docs.gemini.com/rest/orders#order-status. Example::

        {"order_id":"106817811","id":"106817811","symbol":"BTCUSD","exchange":"gemini",
         "avg_execution_price":"3632.8508430064554","side":"buy","type":"exchange limit","timestamp":"1547220404",
         "timestampms":1547220404836,"is_live":true,"is_cancelled":false,"is_hidden":false,"was_forced":false,
         "executed_amount":"3.7567928949","remaining_amount":"1.2432071051","client_order_id":"20190110-4738721",
         "options":[],"price":"3633.00","original_amount":"5"}

    Attributes:
        order_id / id: the order id (digits, as a string).
        client_order_id: only when the order was given one.
        symbol: usually lowercase (``"btcusd"``); the order/new example echoes ``"BTCUSD"``.
        type: ``"exchange limit"``, ``"stop-limit"`` (Gemini's answer for stop-limit orders; ``"exchange stop limit"``
            is the request's type and is accepted too; also seen: ``"exchange market"``).
        side: ``"buy"`` / ``"sell"``.
        price / avg_execution_price / executed_amount / remaining_amount / original_amount: decimals
            (``remaining_amount`` optional: absent on market orders).
        stop_price: trigger price of a stop-limit order, when Gemini sends it.
        options: execution options as sent, e.g. ``["maker-or-cancel"]``.
        timestamp: submit time in seconds (a string on the wire); timestampms: ms (a number).
        is_live: on the book; is_cancelled: cancelled (``reason`` says why); is_hidden: untriggered stop or hidden.
        trades: with ``include_trades`` (and in orders/history), the order's trades.
    """

    order_id: IdStr
    id: IdStr | None = None
    client_order_id: str | None = None
    symbol: str
    exchange: str = "gemini"
    avg_execution_price: WireDecimal
    side: WireSide
    type: str
    timestamp: DigitsInt
    timestampms: int
    is_live: bool
    is_cancelled: bool
    is_hidden: bool = False
    was_forced: bool = False
    executed_amount: WireDecimal
    remaining_amount: WireDecimal | None = None
    original_amount: WireDecimal
    price: WireDecimal
    stop_price: WireDecimal | None = None
    options: list[str] = Field(default_factory=list)
    reason: str | None = None
    trades: list[MyTrade] | None = None


class CancelAllDetails(WireModel):
    """``details`` of a cancel/all or cancel/session answer: order ids as JSON integers."""

    cancelRejects: list[int] = Field(default_factory=list)
    cancelledOrders: list[int] = Field(default_factory=list)


class CancelAllResponse(WireModel):
    """Answer of ``POST /v1/order/cancel/all`` and ``/v1/order/cancel/session``.

    https://docs.gemini.com/rest/orders#cancel-all-active-orders. Example::

        {"result":"ok","details":{"cancelRejects":[],"cancelledOrders":[330429106,330429079,330429082]}}
    """

    result: str
    details: CancelAllDetails


class HeartbeatResponse(WireModel):
    """Answer of ``POST /v1/heartbeat``: ``{"result":"ok"}`` (https://docs.gemini.com/rest/orders#heartbeat)."""

    result: str



class WrapResponse(WireModel):
    """Answer of ``POST /v1/wrap/:symbol`` (https://docs.gemini.com/rest/orders#wrap-order).

    Example: ``{"orderId":429135395,"pair":"GUSDUSD","price":"1","priceCurrency":"USD","side":"buy",
    "quantity":"1","quantityCurrency":"GUSD","totalSpend":"1","totalSpendCurrency":"USD","fee":"0",
    "feeCurrency":"USD","depositFee":"0","depositFeeCurrency":"USD"}``.
    """

    orderId: int
    pair: str
    price: WireDecimal
    priceCurrency: str
    side: WireSide
    quantity: WireDecimal
    quantityCurrency: str
    totalSpend: WireDecimal
    totalSpendCurrency: str
    fee: WireDecimal
    feeCurrency: str
    depositFee: WireDecimal | None = None
    depositFeeCurrency: str | None = None

