"""Pydantic models of Gemini's new WebSocket API (``wss://ws.gemini.com``): answers and pushed stream messages.

https://docs.gemini.com/websocket/introduction ("Message Format", the methods and "Streams"). Fields keep the
wire's one-letter names as aliases and get descriptive Python names; times say their unit (``_ns``, ``_ms``).
Shapes the documentation marks UNCONFIRMED (the ``order.place`` / ``order.cancel`` result, the cancel-all result,
``time``) follow the local exchange's choices, each named ``CHOICE ws:<key>`` in its model's docstring after its row
of ``WS_API_CHOICES`` (``console/exchange/server/ws_api_wire.py``; docs/local-exchange.md, "The new WebSocket API"),
so a correction finds both sides; extra fields are ignored and every field not in a documented sample is optional,
so a venue's richer answer still parses.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from console.venues.gemini.models.base import WireDecimal, WireModel

__all__ = [
    "ORDER_UPDATE_STATUSES",
    "BalanceEntry",
    "BalanceUpdate",
    "BookTicker",
    "CancelManyResult",
    "DepthSnapshot",
    "DepthUpdate",
    "OrderResult",
    "OrderUpdate",
    "OrderUpdateStatus",
    "PushedMessage",
    "RateLimitStatus",
    "ServerTime",
    "TradeMessage",
    "WsError",
    "WsResponse",
    "parse_pushed",
]

#: ``X`` of an order update (https://docs.gemini.com/websocket/introduction, "Order Events").
OrderUpdateStatus = Literal["NEW", "OPEN", "FILLED", "PARTIALLY_FILLED", "CANCELED", "REJECTED", "MODIFIED"]
ORDER_UPDATE_STATUSES: frozenset[str] = frozenset(
    {"NEW", "OPEN", "FILLED", "PARTIALLY_FILLED", "CANCELED", "REJECTED", "MODIFIED"}
)
#: A ``[price, quantity]`` level of a depth message (decimal strings).
Level = tuple[WireDecimal, WireDecimal]


class WsError(WireModel):
    """``error`` of a failed answer: ``{"code": -1002, "msg": "Authentication required"}``."""

    code: int
    msg: str = ""


class RateLimitStatus(WireModel):
    """One ``rateLimits`` entry: ``{"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10,
    "limit": 1000, "count": 0}``."""

    rate_limit_type: str = Field(alias="rateLimitType")
    interval: str
    interval_num: int = Field(alias="intervalNum")
    limit: int
    count: int


class WsResponse(WireModel):
    """Any answer to a request: ``{"id": "1", "status": 200, "result": ...}`` or
    ``{"id": "1", "status": 401, "error": {"code": -1002, "msg": "Authentication required"}}``.

    ``id`` is the request's, as sent (string or number; null when the server could not read it).
    """

    id: str | int | None = None
    status: int
    result: Any = None
    error: WsError | None = None
    rate_limits: list[RateLimitStatus] | None = Field(default=None, alias="rateLimits")


class ServerTime(WireModel):
    """``time`` result: ``{"serverTime": 1764528738340}`` (Unix ms; shape UNCONFIRMED, CHOICE ws:time)."""

    server_time_ms: int = Field(alias="serverTime")


class DepthSnapshot(WireModel):
    """``depth`` result, partial depth stream message and diff-depth snapshot:
    ``{"lastUpdateId": 1764528738340123, "bids": [["71578.90000", "0.3000000000"]], "asks": [...]}``.

    ``symbol`` (``s``) is sent by the local exchange on stream messages only.
    """

    last_update_id: int = Field(alias="lastUpdateId")
    symbol: str | None = Field(default=None, alias="s")
    bids: list[Level]
    asks: list[Level]


class OrderResult(WireModel):
    """``order.place`` / ``order.cancel`` result (shape UNCONFIRMED; CHOICE ws:order-place-result,
    ws:order-cancel-result):
    ``{"symbol": "BTCUSD", "orderId": 73000000001, "clientOrderId": "c-1", "transactTime": 1759291847686856000,
    "price": "64000.00", "origQty": "0.01", "executedQty": "0", "status": "OPEN", "timeInForce": "GTC",
    "type": "LIMIT", "side": "BUY"}``."""

    symbol: str
    order_id: int = Field(alias="orderId")
    client_order_id: str | None = Field(default=None, alias="clientOrderId")
    transact_time_ns: int | None = Field(default=None, alias="transactTime")
    price: WireDecimal | None = None
    stop_price: WireDecimal | None = Field(default=None, alias="stopPrice")
    orig_qty: WireDecimal | None = Field(default=None, alias="origQty")
    executed_qty: WireDecimal | None = Field(default=None, alias="executedQty")
    status: OrderUpdateStatus
    time_in_force: str | None = Field(default=None, alias="timeInForce")
    type: str | None = None
    side: Literal["BUY", "SELL"] | None = None
    reason: str | None = None


class CancelManyResult(WireModel):
    """``order.cancel_all`` / ``order.cancel_session`` result (UNCONFIRMED; REST's ``details`` shape, CHOICE
    ws:cancel-all-result):
    ``{"cancelledOrders": [73000000001], "cancelRejects": []}``."""

    cancelled_orders: list[int] = Field(alias="cancelledOrders")
    cancel_rejects: list[Any] = Field(default_factory=list, alias="cancelRejects")


class OrderUpdate(WireModel):
    """``orders@session`` / ``orders@account`` message. Empty or zero fields may be omitted.

    Example: ``{"E":1759291847686856569,"s":"BTCUSD","i":73797746498585286,"c":"my-order-1759291847503",
    "S":"BUY","o":"LIMIT","X":"NEW","p":"1.00000","q":"0.0000100000","z":"0.0000100000",
    "T":1759291847686856569}``. ``executed_qty`` (``Z``) is the last fill's quantity on FILLED and
    PARTIALLY_FILLED, the cumulative quantity otherwise.
    """

    event_time_ns: int = Field(alias="E")
    symbol: str = Field(alias="s")
    order_id: int = Field(alias="i")
    client_order_id: str | None = Field(default=None, alias="c")
    side: Literal["BUY", "SELL"] | None = Field(default=None, alias="S")
    order_type: str | None = Field(default=None, alias="o")
    status: OrderUpdateStatus = Field(alias="X")
    price: WireDecimal | None = Field(default=None, alias="p")
    stop_price: WireDecimal | None = Field(default=None, alias="P")
    quantity: WireDecimal | None = Field(default=None, alias="q")
    remaining: WireDecimal | None = Field(default=None, alias="z")
    executed_qty: WireDecimal | None = Field(default=None, alias="Z")
    last_price: WireDecimal | None = Field(default=None, alias="L")
    trade_id: int | None = Field(default=None, alias="t")
    reason: str | None = Field(default=None, alias="r")
    update_time_ns: int | None = Field(default=None, alias="T")
    outcome: Literal["YES", "NO"] | None = Field(default=None, alias="O")


class BalanceEntry(WireModel):
    """One asset of a ``balanceUpdate``: ``{"a": "USD", "f": "207.39"}`` (``f``: free, i.e. available)."""

    asset: str = Field(alias="a")
    free: WireDecimal = Field(alias="f")


class BalanceUpdate(WireModel):
    """``balances@account`` / ``balances@account@1s`` message:
    ``{"e":"balanceUpdate","E":1768250434780,"u":1768250421600,"B":[{"a":"USD","f":"207.39"}]}`` (ms)."""

    event: Literal["balanceUpdate"] = Field(alias="e")
    event_time_ms: int = Field(alias="E")
    update_time_ms: int = Field(alias="u")
    balances: list[BalanceEntry] = Field(alias="B")


class BookTicker(WireModel):
    """``{symbol}@bookTicker`` message: ``{"u":1751505576085,"E":1751508438600117161,"s":"btcusd","b":"45000.50",
    "B":"1.25000000","a":"45001.00","A":"0.75000000"}`` (``E`` ns). An empty side's fields may be absent."""

    update_id: int = Field(alias="u")
    event_time_ns: int = Field(alias="E")
    symbol: str = Field(alias="s")
    bid: WireDecimal | None = Field(default=None, alias="b")
    bid_qty: WireDecimal | None = Field(default=None, alias="B")
    ask: WireDecimal | None = Field(default=None, alias="a")
    ask_qty: WireDecimal | None = Field(default=None, alias="A")


class DepthUpdate(WireModel):
    """``{symbol}@depth`` / ``@depth@100ms`` message; a level with quantity 0 is removed:
    ``{"e":"depthUpdate","E":1751508260659505382,"s":"btcusd","U":12345677,"u":12345678,
    "b":[["45000.50","1.25000000"],["45000.25","0.00000000"]],"a":[["45001.00","0.75000000"]]}``."""

    event: Literal["depthUpdate"] = Field(alias="e")
    event_time_ns: int = Field(alias="E")
    symbol: str = Field(alias="s")
    first_update_id: int = Field(alias="U")
    last_update_id: int = Field(alias="u")
    bids: list[Level] = Field(alias="b")
    asks: list[Level] = Field(alias="a")


class TradeMessage(WireModel):
    """``{symbol}@trade`` message: ``{"E":1759873803503023900,"s":"btcusd","t":2840140956529623,
    "p":"120649.97000","q":"0.0046190900","m":true}`` (``m``: the buyer is the maker)."""

    event_time_ns: int = Field(alias="E")
    symbol: str = Field(alias="s")
    trade_id: int = Field(alias="t")
    price: WireDecimal = Field(alias="p")
    quantity: WireDecimal = Field(alias="q")
    buyer_is_maker: bool = Field(alias="m")


PushedMessage = OrderUpdate | BalanceUpdate | BookTicker | DepthUpdate | DepthSnapshot | TradeMessage

def parse_pushed(data: dict[str, Any]) -> PushedMessage:
    """Parse one pushed (non-answer) message by its shape (the streams send no envelope).

    Args:
        data: the decoded JSON object (decimals as strings).

    Returns:
        The model of the stream it belongs to.

    Raises:
        ValueError: an object of no known stream shape, or one that fails validation (pydantic's
            ``ValidationError`` is a ``ValueError``).
    """
    model: type[WireModel]
    if data.get("e") == "balanceUpdate":
        model = BalanceUpdate
    elif data.get("e") == "depthUpdate":
        model = DepthUpdate
    elif "X" in data:
        model = OrderUpdate
    elif "lastUpdateId" in data:
        model = DepthSnapshot
    elif "m" in data and "t" in data:
        model = TradeMessage
    elif "u" in data and "s" in data:
        model = BookTicker
    else:
        raise ValueError(f"not a known stream message: keys {sorted(data)[:10]}")
    return model.model_validate(data)
