"""The local Roxom venue's JSON shapes: the place-order body parsed, orders, fills, the book, errors.

Shapes follow Roxom's reference pages: create order (https://docs.roxom.com/reference/api-reference/orders/create),
order by id and list, transaction log (https://docs.roxom.com/reference/api-reference/account/transaction-log), order
book (https://docs.roxom.com/reference/api-reference/market-data/orderbook). Every success body is ``{"data": ...,
"error": false}``; every error body is the create page's ``{"error": {"code", "message", "details"}, "timestamp",
"requestId"}`` (docs/local-roxom.md, "Errors"). Prices are in the request's ``unit``: ``btc`` decimal strings or
``sats`` integer strings; quantities are contracts either way.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from uuid_utils import uuid7

from console.exchange.roxom.engine import ORDER_TYPES, TIME_IN_FORCE, Fill, Order, OrderRequest, RoxomError, to_unit
from console.exchange.roxom.instruments import SATS_PER_BTC

__all__ = ["UNITS", "error_body", "fill_wire", "log_wire", "ok", "order_wire", "parse_order_request", "parse_unit"]

UNITS = frozenset({"btc", "sats"})
_FIELDS = frozenset({
    "symbol", "instType", "side", "orderType", "qty", "px", "triggerPx", "timeInForce", "unit", "cancelAt",
    "postOnly", "clientOrderId",
})
MAX_CLIENT_ORDER_ID = 64  # CHOICE: the documentation gives no limit


def ok(data: Any) -> dict[str, Any]:
    """A success body: ``{"data": data, "error": false}``."""
    return {"data": data, "error": False}


def error_body(status: int, message: str, details: str | None = None) -> dict[str, Any]:
    """An error body: ``{"error": {"code": 404, "message": "Order not found", "details": "..."}, "timestamp":
    "2026-01-01T00:00:00.000Z", "requestId": "<uuid v7>"}``."""
    now = datetime.datetime.now(datetime.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return {
        "error": {"code": status, "message": message, "details": details},
        "timestamp": now,
        "requestId": str(uuid7()),
    }


def parse_unit(value: object, default: str) -> str:
    """``unit`` from a query or body: ``btc`` or ``sats`` (``default`` when absent).

    Raises:
        RoxomError: 400 for any other value.
    """
    if value is None:
        return default
    if value not in UNITS:
        raise RoxomError(400, "Validation error", "unit must be 'btc' or 'sats'")
    return str(value)


def _decimal(body: Mapping[str, Any], name: str, unit: str | None) -> Decimal | None:
    """A decimal-string field (ints accepted; floats refused: they lose precision); prices converted from sats."""
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise RoxomError(400, "Validation error", f"{name} must be a decimal string")
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise RoxomError(400, "Validation error", f"{name} must be a decimal string") from None
    if not number.is_finite():
        raise RoxomError(400, "Validation error", f"{name} must be a finite decimal")
    if unit == "sats":
        if number != number.to_integral_value():
            raise RoxomError(400, "Validation error", f"{name} in sats must be a whole number")
        number = number / SATS_PER_BTC
    return number


def parse_order_request(body: object) -> OrderRequest:
    """Parse a ``POST /api/v1/orders`` body into an :class:`OrderRequest` (prices in BTC).

    Args:
        body: the decoded JSON, e.g. ``{"symbol": "GOLD-BTC", "instType": "perpetual", "side": "buy",
            "orderType": "limit", "qty": "1.00", "px": "0.025200", "timeInForce": "gtc", "postOnly": true}``.

    Raises:
        RoxomError: 400 ``Validation error`` naming the field (missing, wrong type, unknown value, unknown field).
    """
    if not isinstance(body, dict):
        raise RoxomError(400, "Validation error", "the body must be a JSON object")
    unknown = sorted(set(body) - _FIELDS)
    if unknown:
        raise RoxomError(400, "Validation error", f"unknown field(s): {', '.join(unknown)}")
    for name in ("symbol", "instType", "side", "orderType", "qty"):
        if body.get(name) is None:
            raise RoxomError(400, "Validation error", f"{name} is required")
    symbol = body["symbol"]
    if not isinstance(symbol, str):
        raise RoxomError(400, "Validation error", "symbol must be a string")
    if body["instType"] != "perpetual":
        raise RoxomError(400, "Validation error", "instType must be 'perpetual'")
    side = body["side"]
    if side not in ("buy", "sell"):
        raise RoxomError(400, "Validation error", "side must be 'buy' or 'sell'")
    order_type = body["orderType"]
    if order_type not in ORDER_TYPES:
        raise RoxomError(400, "Validation error", f"orderType must be one of {', '.join(sorted(ORDER_TYPES))}")
    tif = body.get("timeInForce", "gtc")
    if tif not in TIME_IN_FORCE:
        raise RoxomError(400, "Validation error", "timeInForce must be 'gtc', 'ioc' or 'gtd'")
    unit = parse_unit(body.get("unit"), "btc")
    qty = _decimal(body, "qty", None)
    px = _decimal(body, "px", unit)
    trigger_px = _decimal(body, "triggerPx", unit)
    assert qty is not None
    if order_type in ("limit", "stoplimit") and px is None:
        raise RoxomError(400, "Validation error", f"px is required for {order_type} orders")
    if order_type in ("market", "stop") and px is not None:
        raise RoxomError(400, "Validation error", f"px is not allowed on {order_type} orders")
    if order_type in ("stop", "stoplimit") and trigger_px is None:
        raise RoxomError(400, "Validation error", f"triggerPx is required for {order_type} orders")
    if order_type in ("limit", "market") and trigger_px is not None:
        raise RoxomError(400, "Validation error", f"triggerPx is not allowed on {order_type} orders")
    cancel_at = body.get("cancelAt")
    if tif == "gtd":
        if isinstance(cancel_at, bool) or not isinstance(cancel_at, int):
            raise RoxomError(400, "Validation error", "cancelAt (ms) is required for gtd orders")
    elif cancel_at is not None:
        raise RoxomError(400, "Validation error", "cancelAt is only allowed with timeInForce 'gtd'")
    post_only = body.get("postOnly", False)
    if not isinstance(post_only, bool):
        raise RoxomError(400, "Validation error", "postOnly must be a boolean")
    if post_only and (order_type in ("market", "stop") or tif == "ioc"):
        raise RoxomError(400, "Validation error", "postOnly needs a resting order type (limit/stoplimit, not ioc)")
    coid = body.get("clientOrderId")
    if coid is not None and (not isinstance(coid, str) or not coid or len(coid) > MAX_CLIENT_ORDER_ID):
        raise RoxomError(400, "Validation error", f"clientOrderId must be a string of 1..{MAX_CLIENT_ORDER_ID} chars")
    return OrderRequest(symbol, side, order_type, qty, px, trigger_px, tif, cancel_at, post_only, coid, unit)


def _price(value: Decimal | None, unit: str) -> str | None:
    return None if value is None else to_unit(value, unit)


def order_wire(order: Order, account_uuid: str, unit: str) -> dict[str, Any]:
    """An order as ``GET /api/v1/orders/{orderId}`` and the order list give it (prices in ``unit``, ``createdAt``
    in ms), with the newer schema's ``amountFilled``/``triggeredAt`` and our ``avgPx``, ``postOnly``, ``reason``."""
    request = order.request
    avg = order.avg_px
    return {
        "id": order.id,
        "symbol": request.symbol,
        "instType": "perpetual",
        "accountId": account_uuid,
        "type": request.order_type,
        "timeInForce": request.time_in_force,
        "side": request.side,
        "qty": f"{request.qty:.2f}",
        "size": f"{request.qty:.2f}",
        "px": _price(request.px, unit),
        "triggerPx": _price(request.trigger_px, unit),
        "status": order.status,
        "clientOrderId": request.client_order_id,
        "createdAt": order.created_ms,
        "cancelAt": request.cancel_at_ms,
        "isTriggered": order.is_triggered,
        "triggeredAt": order.triggered_ms,
        "amountFilled": f"{order.executed:.2f}",
        "avgPx": None if avg is None else to_unit(avg, unit),
        "postOnly": request.post_only,
        "reason": order.reason,
        "unit": unit,
    }


def fill_wire(fill: Fill, unit: str) -> dict[str, Any]:
    """One element of the order's ``fills`` array (our shape: the documentation shows the array, not its items)."""
    return {
        "tradeId": fill.trade_id,
        "qty": f"{fill.qty:.2f}",
        "px": to_unit(fill.px, unit),
        "fee": to_unit(fill.fee, unit),
        "isTaker": fill.is_taker,
        "time": fill.time_ms,
    }


def log_wire(fill: Fill, unit: str) -> dict[str, Any]:
    """One transaction log entry of type ``orderFill`` (money and prices in ``unit``, ``time`` in ms)."""
    return {
        "txId": fill.tx_id,
        "time": fill.time_ms,
        "transactionType": "orderFill",
        "symbol": fill.symbol,
        "side": fill.side,
        "amount": f"{fill.qty:.2f}",
        "fillPrice": to_unit(fill.px, unit),
        "fee": to_unit(fill.fee, unit),
        "pnl": to_unit(fill.pnl, unit),
        "orderId": fill.order_id,
        "tradeId": fill.trade_id,
        "isTaker": fill.is_taker,
        "positionBefore": f"{fill.position_before:.2f}",
        "positionAfter": f"{fill.position_after:.2f}",
        "balanceBefore": to_unit(fill.balance_before, unit),
        "balanceAfter": to_unit(fill.balance_after, unit),
        "fundingRate": None,
    }
