"""Parse-level validation of an order request (side, type, options, client order id): no order id yet."""

from __future__ import annotations

from console.exchange.engine.choices import (
    CLIENT_ORDER_ID_MAX_LEN,
    CONFLICTING_OPTIONS_MESSAGE,
    ORDER_TYPES,
    STOP_LIMIT,
    SUPPORTED_OPTIONS,
)
from console.exchange.engine.common import ExchangeError

_SIDES = {"buy": True, "sell": False}


def _parse_side(side: object, symbol: str) -> bool:
    is_buy = _SIDES.get(side.lower()) if isinstance(side, str) else None
    if is_buy is not None:
        return is_buy
    raise ExchangeError("InvalidSide", f"Invalid side for symbol {symbol}: '{side}'")


def _parse_order_type(order_type: object) -> str:
    lowered = order_type.lower() if isinstance(order_type, str) else None
    if lowered in ORDER_TYPES:
        return lowered
    raise ExchangeError("InvalidOrderType", f"Invalid order type for order: {order_type!r}")


def _parse_options(options: object, order_type: str) -> tuple[str, ...]:
    if options is None:
        return ()
    if not isinstance(options, (list, tuple)):  # a tuple of types: checked faster than list | tuple
        raise ExchangeError("OptionsMustBeArray", "Options must be an array, e.g. [\"maker-or-cancel\"]")
    for option in options:
        if not isinstance(option, str) or option not in SUPPORTED_OPTIONS:
            raise ExchangeError("UnsupportedOption", f"Option '{option}' is not supported.")
    if len(options) > 1:
        raise ExchangeError("ConflictingOptions", CONFLICTING_OPTIONS_MESSAGE)
    if options and order_type == STOP_LIMIT:
        raise ExchangeError("UnsupportedOption", f"Option {options[0]!r} is not supported on stop-limit orders")
    return tuple(options)  # a tuple: () is shared, and tuples of strings drop out of the garbage collector's view


def _parse_client_order_id(client_order_id: object) -> str | None:
    if client_order_id is None:
        return None
    if not isinstance(client_order_id, str):
        raise ExchangeError("ClientOrderIdMustBeString", "client_order_id must be a string")
    if len(client_order_id) >= CLIENT_ORDER_ID_MAX_LEN:
        raise ExchangeError(
            "ClientOrderIdTooLong", f"client_order_id must be under {CLIENT_ORDER_ID_MAX_LEN} characters"
        )
    return client_order_id
