"""Roxom's wire messages as pydantic models: orders, fills, instruments, the book, account data, WebSocket frames.

Shapes come from Roxom's reference pages (https://docs.roxom.com/reference/): create order
(https://docs.roxom.com/reference/api-reference/orders/create), cancel and cancel-all
(https://docs.roxom.com/reference/api-reference/orders/cancel), order status values
(https://docs.roxom.com/reference/api-reference/orders/status), instruments
(https://docs.roxom.com/reference/api-reference/market-data/instruments), order book
(https://docs.roxom.com/reference/api-reference/market-data/orderbook), transaction log
(https://docs.roxom.com/reference/api-reference/account/transaction-log), and the WebSocket pages
(https://docs.roxom.com/reference/websockets/overview, https://docs.roxom.com/reference/websockets/account-updates/orders).

Every price, amount and fee is a ``Decimal`` (decimal strings on the wire; integers accepted, floats taken by their
shortest text, booleans, NaN and infinities refused). Order ids are UUID v7 strings, kept as strings. Fields the
documentation marks optional are ``None`` when absent; unknown fields are ignored (the venue may add some).
Timestamps say their unit in the attribute's docstring (Roxom mixes ms and ns).
"""

from __future__ import annotations

import math
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

__all__ = [
    "CLOSED_STATUSES",
    "ORDER_STATUSES",
    "Balance",
    "BalanceData",
    "BookLevel",
    "CancelAllData",
    "CreateOrderData",
    "Instrument",
    "OrderBookData",
    "OrderDetailData",
    "OrderFill",
    "OrderListData",
    "OrderUpdate",
    "Position",
    "PositionsData",
    "RestOrder",
    "TransactionLogData",
    "TransactionLogEntry",
    "WireDecimal",
    "WsDepthData",
    "WsLevel1Data",
    "WsTradeData",
    "to_decimal",
]


def to_decimal(value: Any) -> Decimal:
    """A wire number as a ``Decimal``: a decimal string (``"0.025200"``), an int, or a float by its shortest text.

    Raises:
        ValueError: a boolean, a non-numeric string, NaN or an infinity.
    """
    if isinstance(value, bool):
        raise ValueError("a boolean is not a decimal")
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError("not a finite decimal")
        value = repr(value)
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, (str, int)):
        try:
            number = Decimal(value)
        except InvalidOperation:
            raise ValueError(f"not a decimal string: {str(value)[:40]!r}") from None
    else:
        raise ValueError(f"not a decimal: {type(value).__name__}")
    if not number.is_finite():
        raise ValueError("not a finite decimal")
    return number


#: A price, amount or fee: parsed exactly as a ``Decimal``.
WireDecimal = Annotated[Decimal, BeforeValidator(to_decimal)]

#: Every order status Roxom documents (https://docs.roxom.com/reference/api-reference/orders/status), plus
#: ``expired``, which the cancel page names for a GTD order past its ``cancelAt``.
ORDER_STATUSES = frozenset({
    "pendingsubmit", "waitingtrigger", "submitted", "partiallyfilled", "filled", "cancelled", "rejected",
    "inactive", "pendingcancel", "partiallyfilledcancelled", "expired",
})
#: Statuses an order never leaves.
CLOSED_STATUSES = frozenset({"filled", "cancelled", "partiallyfilledcancelled", "rejected", "inactive", "expired"})


class _Wire(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


# -- REST: orders ---------------------------------------------------------------------------------------------------
class CreateOrderData(_Wire):
    """``data`` of ``POST /api/v1/orders``: ``{"orderId": "01234567-89ab-7def-8123-456789abcdea"}``."""

    orderId: str


class RestOrder(_Wire):
    """One order of ``GET /api/v1/orders/{orderId}`` (``data.order``) and of the order list (``data.orders[]``).

    Prices are in the request's ``unit`` (``btc`` decimal strings by default); ``qty``/``size`` in contracts.
    ``createdAt``/``cancelAt``/``triggeredAt`` in ms. ``amountFilled`` and ``triggeredAt`` are the newer schema's;
    ``avgPx``, ``postOnly`` and ``reason`` are not in the published sample (None when absent).
    """

    id: str
    symbol: str
    instType: str | None = None
    accountId: str | None = None
    type: str
    timeInForce: str | None = None
    side: Literal["buy", "sell"]
    qty: WireDecimal
    px: WireDecimal | None = None
    triggerPx: WireDecimal | None = None
    status: str
    clientOrderId: str | None = None
    createdAt: int | None = None
    cancelAt: int | None = None
    isTriggered: bool | None = None
    triggeredAt: int | None = None
    size: WireDecimal | None = None
    amountFilled: WireDecimal | None = None
    avgPx: WireDecimal | None = None
    postOnly: bool | None = None
    reason: str | None = None
    unit: str | None = None


class OrderFill(_Wire):
    """One element of ``data.fills`` of the order-by-id answer (its items are not documented: the local venue's)."""

    tradeId: str
    qty: WireDecimal
    px: WireDecimal
    fee: WireDecimal = Decimal(0)
    isTaker: bool = False
    time: int = 0


class OrderDetailData(_Wire):
    """``data`` of ``GET /api/v1/orders/{orderId}``: ``{"order": {...}, "fills": [...]}``."""

    order: RestOrder
    fills: list[OrderFill] = Field(default_factory=list)


class OrderListData(_Wire):
    """``data`` of ``GET /api/v1/orders?instType=perpetual``: ``{"orders": [...]}`` (no pagination)."""

    orders: list[RestOrder]


class CancelAllData(_Wire):
    """``data`` of ``POST /api/v1/orders/cancel-all``: ``{"cancelledOrderIds": ["…", "…"]}``."""

    cancelledOrderIds: list[str]


# -- REST: market data ----------------------------------------------------------------------------------------------
class Instrument(_Wire):
    """One element of ``GET /api/v1/market/instruments``.

    The published sample gives ``tickSize`` (``1`` for every symbol: it looks like a template), ``min_order_size``
    and ``max_order_size``; ``qtyStep``, ``minQty``, ``maxQty``, ``minNotional``, ``maxLimitNotional`` are read when
    the venue sends them (the local venue does), else None.
    """

    symbol: str
    baseAsset: str | None = None
    quoteAsset: str | None = None
    status: str | None = None
    tickSize: WireDecimal
    min_order_size: WireDecimal | None = None
    max_order_size: WireDecimal | None = None
    qtyStep: WireDecimal | None = None
    minQty: WireDecimal | None = None
    maxQty: WireDecimal | None = None
    minNotional: WireDecimal | None = None
    maxLimitNotional: WireDecimal | None = None
    contractSize: WireDecimal | None = None
    makerFee: WireDecimal | None = None
    takerFee: WireDecimal | None = None
    marginRequirement: WireDecimal | None = None


class BookLevel(_Wire):
    """One level of the order book snapshot: ``{"price": "0.030067", "size": "1", "total": "0.030067"}``."""

    price: WireDecimal
    size: WireDecimal
    total: WireDecimal | None = None


class OrderBookData(_Wire):
    """``data`` of ``GET /api/v1/orderbook/snapshot``: ``buys`` best first, ``sells`` best first."""

    instrumentId: str | None = None
    buys: list[BookLevel]
    sells: list[BookLevel]


# -- REST: account --------------------------------------------------------------------------------------------------
class Balance(_Wire):
    """One element of ``data.balances`` (the newer balance page's shape), amounts in the request's ``unit``."""

    asset: str
    assetClass: str | None = None
    available: WireDecimal
    current: WireDecimal
    lockedInOrders: WireDecimal = Decimal(0)


class BalanceData(_Wire):
    """``data`` of ``GET /api/v1/accounts/balance``: ``{"balances": [...], "lastUpdated": <ms>}``."""

    balances: list[Balance]
    lastUpdated: int | None = None
    unit: str | None = None


class Position(_Wire):
    """One element of ``data.positions`` of ``GET /api/v1/positions`` (strings; ``side`` long/short)."""

    symbol: str
    side: str
    size: WireDecimal
    entryPrice: WireDecimal | None = None
    markPrice: WireDecimal | None = None
    unrealizedPnl: WireDecimal | None = None
    realizedPnl: WireDecimal | None = None
    margin: WireDecimal | None = None
    leverage: WireDecimal | None = None
    liquidationPrice: WireDecimal | None = None
    positionId: str | None = None


class PositionsData(_Wire):
    """``data`` of ``GET /api/v1/positions``: ``{"positions": [...]}``."""

    positions: list[Position]


class TransactionLogEntry(_Wire):
    """One entry of the transaction log; ``time`` in ms, money and prices in the request's ``unit`` (default sats).

    ``transactionType`` is ``orderFill`` (older pages: ``OrderFill``) for a fill; funding and transfers have
    other types and no order.
    """

    txId: str
    time: int
    transactionType: str
    symbol: str | None = None
    side: str | None = None
    amount: WireDecimal | None = None
    fillPrice: WireDecimal | None = None
    fee: WireDecimal | None = None
    pnl: WireDecimal | None = None
    orderId: str | None = None
    tradeId: str | None = None
    isTaker: bool | None = None

    @property
    def is_fill(self) -> bool:
        """True for an order fill (either spelling of the type)."""
        return self.transactionType.lower() == "orderfill"


class TransactionLogData(_Wire):
    """``data`` of ``GET /api/v1/accounts/transaction-log``: ``{"logs": [...], "cursor": <str|null>}``."""

    logs: list[TransactionLogEntry]
    cursor: str | None = None


# -- WebSocket ------------------------------------------------------------------------------------------------------
class OrderUpdate(_Wire):
    """``data`` of an ``{"type": "order", ...}`` account message (https://docs.roxom.com/reference/websockets/account-
    updates/orders).

    Only ``orderId``, ``accountId``, ``symbol``, ``status``, ``remainingQty``, ``executedQty``, ``avgPx`` and
    ``timestamp`` (ns) are always present: a cancelled update may carry nothing else, so every other field is
    optional and a client merges updates into the order it knows. ``fillPx`` is set on the update of a fill.
    """

    orderId: str
    accountId: str | None = None
    symbol: str
    status: str
    remainingQty: WireDecimal | None = None
    executedQty: WireDecimal | None = None
    avgPx: WireDecimal | None = None
    fillPx: WireDecimal | None = None
    filledFees: WireDecimal | None = None
    side: Literal["buy", "sell"] | None = None
    orderType: str | None = None
    orderSize: WireDecimal | None = None
    limitPrice: WireDecimal | None = None
    triggerPx: WireDecimal | None = None
    clientOrderId: str | None = None
    reason: str | None = None
    timestamp: int | None = None

    @property
    def is_complete(self) -> bool:
        """True when the update carries what a new order needs (side, type, size and, for a limit, its price)."""
        return self.side is not None and self.orderType is not None and self.orderSize is not None and (
            self.limitPrice is not None or self.orderType in ("market", "stop"))


class WsLevel1Data(_Wire):
    """``data`` of ``level1``: ``{"symbol", "bid": [px, qty], "ask": [px, qty], "timestamp": <ns>}``."""

    symbol: str
    bid: list[WireDecimal] | None = None
    ask: list[WireDecimal] | None = None
    timestamp: int | None = None


class WsDepthData(_Wire):
    """``data`` of ``depth``: ``bid``/``ask`` lists of ``[px, qty]``; a delta's sizes are taken as absolute (the
    documentation leaves it open; ``0`` removes the level)."""

    symbol: str
    bid: list[list[WireDecimal]] = Field(default_factory=list)
    ask: list[list[WireDecimal]] = Field(default_factory=list)
    timestamp: int | None = None


class WsTradeData(_Wire):
    """``data`` of ``trade`` (aggregated, no trade id): ``takerSide``, ``minPx``, ``maxPx``, ``volume``, ``vwap``."""

    symbol: str
    takerSide: Literal["buy", "sell"]
    minPx: WireDecimal
    maxPx: WireDecimal
    volume: WireDecimal
    vwap: WireDecimal
    timestamp: int | None = None
