"""The local exchange server's request checks and JSON responses: payload/query field types and Gemini's error body."""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, overload

from aiohttp import web

from console.exchange.engine import ExchangeError

__all__ = ["ORDER_NEW_REQUIRED", "error_body"]

# Gemini's public trade endpoints accept `timestamp`/`since` in seconds or milliseconds
# (https://docs.gemini.com/websocket/overview/data-types/timestamps): values below
# this are taken as seconds.
_SECONDS_MS_THRESHOLD = 1_000_000_000_000  # the same cut-off as MatchingEngine.my_trades


def _json_default(value: object) -> object:
    if isinstance(value, Decimal):
        return format(value, "f")
    raise TypeError(f"cannot encode {type(value).__name__} as JSON")


def _dumps(obj: object) -> str:
    return json.dumps(obj, separators=(",", ":"), default=_json_default)


def error_body(reason: str, message: str) -> dict[str, str]:
    """Return Gemini's error body ``{"result": "error", "reason": reason, "message": message}``
    (https://docs.gemini.com/rest/error-codes)."""
    return {"result": "error", "reason": reason, "message": message}


def _error_response(status: int, reason: str, message: str) -> web.Response:
    return web.json_response(error_body(reason, message), status=status, dumps=_dumps)


def _ok(body: object) -> web.Response:
    return web.json_response(body, dumps=_dumps)


def _not_found(path: str) -> web.Response:
    return _error_response(404, "EndpointNotFound", f"API entry point `{path}` not found")


# -- payload and query field checks (types and presence; business rules are the engine's) -----------------------------


def _missing_key(name: str) -> ExchangeError:
    return ExchangeError("MissingPayloadKey", f"The payload is missing the required key '{name}'", 400)


def _require(payload: Mapping[str, Any], name: str) -> Any:
    value = payload.get(name)
    if value is None:
        raise _missing_key(name)
    return value


#: The required fields of ``/v1/order/new`` in the order they are checked, each with the reason Gemini's sandbox
#: answers when it is missing (its message: "Order for symbol BTCUSD was missing required field 'amount'").
ORDER_NEW_REQUIRED = {
    "symbol": "MissingSymbol",
    "amount": "MissingQuantity",
    "price": "MissingPrice",
    "side": "MissingSide",
    "type": "MissingType",
}


def _require_order_fields(payload: Mapping[str, Any]) -> None:
    """Raise the first missing field's own reason (ORDER_NEW_REQUIRED), e.g. ``MissingQuantity`` (400)."""
    for name, reason in ORDER_NEW_REQUIRED.items():
        if payload.get(name) is None:
            symbol = payload.get("symbol")
            # CHOICE: with no symbol at all the message names none ("Order was missing ...").
            subject = f"Order for symbol {symbol.upper()}" if isinstance(symbol, str) and symbol else "Order"
            raise ExchangeError(reason, f"{subject} was missing required field '{name}'", 400)


def _order_id_field(payload: Mapping[str, Any]) -> int | None:
    """Return ``order_id`` as an int, or None when absent.

    CHOICE: Gemini documents ``order_id`` as an integer JSON number; a string of digits (the form order ids take in
    responses) is accepted as well. Any other value is reported as ``MissingOrderField``, the documented reason
    closest to "no usable order_id" (the error table has no "invalid order id" reason).
    """
    value = payload.get("order_id")
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    if isinstance(value, str) and value.isascii() and value.isdigit():
        return int(value)
    raise ExchangeError("MissingOrderField", f"order_id must be an integer, got {_dumps(value)}", 400)


def _int_field(payload: Mapping[str, Any], name: str, reason: str = "InvalidJson") -> int | None:
    value = payload.get(name)
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, Decimal) and value.is_finite():  # a JSON float such as 1547232911.5 (seconds)
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    raise ExchangeError(reason, f"'{name}' must be an integer, got {_dumps(value)}", 400)


def _bool_field(payload: Mapping[str, Any], name: str) -> bool | None:
    value = payload.get(name)
    if value is None or isinstance(value, bool):
        return value
    raise ExchangeError("InvalidJson", f"'{name}' must be true or false, got {_dumps(value)}", 400)


def _to_ms(value: int) -> int:
    """Convert a timestamp given in seconds or milliseconds to milliseconds."""
    return value * 1000 if abs(value) < _SECONDS_MS_THRESHOLD else value


@overload
def _query_int(request: web.Request, name: str, default: int) -> int: ...


@overload
def _query_int(request: web.Request, name: str, default: None) -> int | None: ...


def _query_int(request: web.Request, name: str, default: int | None) -> int | None:
    """Parse a non-negative integer query parameter.

    CHOICE: a malformed query parameter is a 400 ``InvalidJson`` (the table's only generic "malformed request"
    reason; public endpoints' exact errors are undocumented).
    """
    raw = request.query.get(name)
    if raw is None or raw == "":
        return default
    if not (raw.isascii() and raw.isdigit()):
        raise ExchangeError("InvalidJson", f"Query parameter {name} must be a non-negative integer, got '{raw}'", 400)
    return int(raw)


def _query_bool(request: web.Request, name: str, default: bool) -> bool:
    raw = request.query.get(name)
    if raw is None or raw == "":
        return default
    lowered = raw.lower()
    if lowered in ("true", "1", "yes"):
        return True
    if lowered in ("false", "0", "no"):
        return False
    raise ExchangeError("InvalidJson", f"Query parameter {name} must be true or false, got '{raw}'", 400)
