"""Gemini's new WebSocket API, wire to domain: its error answers as the console's errors, its order results and
status values as domain orders and states (https://docs.gemini.com/websocket/introduction).

The one place the new API's answers become domain objects; ``console.venues.gemini.ws_venue`` drives the socket.
"""

from __future__ import annotations

from decimal import Decimal

from console.domain.model import CancelResult, EventKind, ExecOption, Order, OrderState, OrderType, Side
from console.venues.gemini.errors import (
    ApiError,
    AuthenticationError,
    GeminiError,
    OrderRejected,
    RateLimited,
    ServerError,
    error_class_for,
)
from console.venues.gemini.models.ws_api import BalanceUpdate, CancelManyResult, OrderResult
from console.venues.gemini.ws_api import WsApiError

__all__ = [
    "EVENT_KINDS",
    "TIME_IN_FORCE",
    "NotConnected",
    "WsRateLimited",
    "available_from_update",
    "cancel_result",
    "order_from_result",
    "state_of",
    "venue_error",
]

#: The execution option → the new API's ``timeInForce`` (GTC when none).
TIME_IN_FORCE = {
    ExecOption.MAKER_OR_CANCEL: "MOC",
    ExecOption.IMMEDIATE_OR_CANCEL: "IOC",
    ExecOption.FILL_OR_KILL: "FOK",
}
#: An order update's status ``X`` → the event it is (``MODIFIED``: none).
EVENT_KINDS = {
    "NEW": EventKind.ACCEPTED,
    "OPEN": EventKind.BOOKED,
    "PARTIALLY_FILLED": EventKind.FILL,
    "FILLED": EventKind.FILL,
    "CANCELED": EventKind.CANCELLED,
    "REJECTED": EventKind.REJECTED,
}


class NotConnected(ApiError):
    """The order socket is not open, so the request was not sent (new orders wait for the stream to be live).

    Refused locally before anything left: nothing can have been executed, and the same request may be sent later.
    """

    _retry_safe = True

    def __init__(self, message: str = "the WebSocket API connection is not open") -> None:
        super().__init__("NotConnected", message, None)


class WsRateLimited(RateLimited):
    """``-1003`` (HTTP-like 429): the venue refused this request for the connection's rate limit.

    Unlike a REST 429 (where the console does not assume a throttled request was dropped), the new API answers the
    request's own ``id`` with an error: the request was refused, not executed, and may be sent again later.
    """

    _retry_safe = True

    @property
    def outcome_unknown(self) -> bool:
        """False: the venue answered this request with a refusal."""
        return False

    @property
    def retry_safe(self) -> bool:
        """True: nothing was executed."""
        return True


def venue_error(exc: WsApiError) -> GeminiError:
    """The console's error for an error answer of the new API (https://docs.gemini.com/websocket/introduction,
    "Error Codes"), with ``outcome_unknown`` / ``halts_trading`` / ``retry_safe`` right.

    * ``-1000`` (500, internal error): ``ServerError``, outcome unknown (the venue may have acted).
    * ``-1002`` (401, authentication required): ``AuthenticationError``, halts trading.
    * ``-1003`` (429, rate limit): ``WsRateLimited``, refused (not executed).
    * ``-2010`` (400, order rejected; the message opens with the reason, e.g. ``"InsufficientFunds: ..."``): the class
      of that reason (``InsufficientFunds``, ``OrderNotFound`` for a cancel of an unknown order, else
      ``OrderRejected``).
    * ``-1013`` (invalid parameters) and ``-1020`` (unsupported operation): ``OrderRejected``.
    """
    reason = exc.reject_reason
    code, msg = exc.code, exc.msg
    if reason is not None:
        msg = msg[len(reason) + 1:].strip()  # "InsufficientFunds: text" → "text" (the reason is kept apart)
    if code == -1000:
        return ServerError(reason or "InternalError", msg, exc.status or 500)
    if code == -1002:
        return AuthenticationError(reason or "AuthenticationRequired", msg, exc.status or 401)
    if code == -1003:
        return WsRateLimited(reason or "RateLimit", msg, exc.status or 429)
    if code == -2010:
        cls = error_class_for(reason or "OrderRejected", 400)
        if cls is ApiError:
            cls = OrderRejected
        return cls(reason or "OrderRejected", msg, 400)
    if code == -1013:
        return OrderRejected(reason or "InvalidParameters", msg, 400)
    if code == -1020:
        return OrderRejected(reason or "UnsupportedOperation", msg, 400)
    return ApiError(reason or str(code), msg, exc.status)


def state_of(status: str, executed: Decimal) -> OrderState:
    """The domain state of an order whose status ``X`` is ``status`` with ``executed`` filled."""
    if status == "NEW":
        return OrderState.ACCEPTED
    if status in ("OPEN", "MODIFIED"):
        return OrderState.PARTIALLY_FILLED if executed > 0 else OrderState.LIVE
    if status == "PARTIALLY_FILLED":
        return OrderState.PARTIALLY_FILLED
    if status == "FILLED":
        return OrderState.FILLED
    if status == "CANCELED":
        return OrderState.CANCELLED
    return OrderState.REJECTED


def order_from_result(result: OrderResult, *, api_session: str | None, known: Order | None = None,
                      options: tuple[ExecOption, ...] = (), updated_ms: int = 0) -> Order:
    """Convert an ``order.place`` / ``order.cancel`` result (the local exchange's shape, UNCONFIRMED in the docs:
    docs/local-exchange.md ``ws:order-place-result``) to an ``Order``.

    Args:
        result: the answer's ``result``.
        api_session: what to mark the order with (this connection's key for its own orders).
        known: what the venue knew of the order before (fills the fields the result leaves out).
        options: the execution option sent (the result names only ``timeInForce``).
        updated_ms: ms since the epoch.
    """
    amount = result.orig_qty if result.orig_qty is not None else (known.amount if known else Decimal(0))
    executed = result.executed_qty if result.executed_qty is not None else (known.filled if known else Decimal(0))
    price = result.price if result.price is not None else (known.price if known else Decimal(0))
    side = Side(result.side.lower()) if result.side else (known.side if known else Side.BUY)
    stop = result.stop_price if result.stop_price is not None else (known.stop_price if known else None)
    return Order(
        order_id=str(result.order_id),
        client_order_id=result.client_order_id or (known.client_order_id if known else None),
        symbol=result.symbol.lower(),
        side=side,
        order_type=OrderType.STOP_LIMIT if stop is not None else OrderType.LIMIT,
        price=price,
        amount=amount,
        stop_price=stop,
        options=options or (known.options if known else ()),
        filled=executed,
        remaining=amount - executed,
        avg_price=known.avg_price if known else Decimal(0),
        state=state_of(result.status, executed),
        reason=result.reason,
        api_session=api_session,
        updated_ms=updated_ms,
    )


def cancel_result(result: CancelManyResult) -> CancelResult:
    """``order.cancel_all`` / ``order.cancel_session``'s result: the ids cancelled and the ids refused."""
    return CancelResult(tuple(str(i) for i in result.cancelled_orders), tuple(str(i) for i in result.cancel_rejects))


def available_from_update(update: BalanceUpdate) -> dict[str, Decimal]:
    """A ``balanceUpdate`` (``balances@account``) as upper-case currency → available amount.

    https://docs.gemini.com/websocket/introduction ("Balances"): ``B`` lists ``{"a": asset, "f": free}``; ``f`` is
    the amount not held by open orders (the console's *available*). The message names no total, so a view keeps
    the total it last read and derives what orders hold from it.
    """
    return {entry.asset.upper(): entry.free for entry in update.balances}
