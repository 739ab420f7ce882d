"""Order endpoints of the REST client (new, cancel, status, active orders, trades) and their wire arguments."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar

from console.domain.model import ExecOption, OrderType, Side
from console.venues.gemini.models import CancelAllResponse, MyTrade, OrderStatus

_T = TypeVar("_T")

__all__ = ["WIRE_ORDER_TYPES", "OrderEndpoints"]

#: Gemini's ``type`` value for each order type of the ticket (https://docs.gemini.com/rest/orders#new-order).
WIRE_ORDER_TYPES: dict[OrderType, str] = {
    OrderType.LIMIT: "exchange limit",
    OrderType.STOP_LIMIT: "exchange stop limit",
}


def _decimal_text(value: Decimal, field: str) -> str:
    """Plain decimal string for the wire (``Decimal("1E-8")`` → ``"0.00000001"``)."""
    if not isinstance(value, Decimal):
        raise TypeError(f"{field} must be a Decimal, got {type(value).__name__}")
    if not value.is_finite():
        raise ValueError(f"{field} must be finite")
    return format(value, "f")


def _order_id_int(order_id: str | int) -> int:
    if isinstance(order_id, bool):
        raise ValueError("order_id must be digits")
    if isinstance(order_id, int):
        value = order_id
    elif isinstance(order_id, str) and order_id.strip().isdigit():
        value = int(order_id.strip())
    else:
        raise ValueError(f"order_id must be digits, got {order_id!r}")
    if value < 0:
        raise ValueError("order_id must not be negative")
    return value


class OrderEndpoints:
    """The private order endpoints of ``GeminiRestClient`` (a mixin: ``_private`` is the client's)."""

    if TYPE_CHECKING:  # GeminiRestClient's: POST a signed request, return the body validated as ``tp``

        async def _private(self, path: str, fields: Mapping[str, Any], tp: type[_T]) -> _T: ...


    # --- private: orders ------------------------------------------------------------------------------------

    async def new_order(
        self,
        *,
        symbol: str,
        side: Side,
        amount: Decimal,
        price: Decimal,
        order_type: OrderType = OrderType.LIMIT,
        stop_price: Decimal | None = None,
        options: Sequence[ExecOption] = (),
        client_order_id: str | None = None,
    ) -> OrderStatus:
        """Place a limit or stop-limit order: ``POST /v1/order/new`` (https://docs.gemini.com/rest/orders#new-order).

        Sends ``{"symbol", "amount", "price", "side", "type", "options", ["stop_price"], ["client_order_id"]}``
        with decimals as plain strings (``"0.00000001"``), ``type`` ``"exchange limit"`` or
        ``"exchange stop limit"``, and ``options`` always a list (``[]`` for a plain GTC limit).

        Returns:
            The order's status. A maker-or-cancel/IOC/FOK order that could not rest comes back HTTP 200 with
            ``is_cancelled: true`` and a ``reason``, not as an error.

        Raises:
            ValueError: stop-limit without ``stop_price``, limit with one, or a non-finite decimal.
            OrderRejected / InsufficientFunds / ...: Gemini refused the order (see the class docstring).
        """
        if order_type is OrderType.STOP_LIMIT and stop_price is None:
            raise ValueError("a stop-limit order needs stop_price")
        if order_type is OrderType.LIMIT and stop_price is not None:
            raise ValueError("stop_price is only for stop-limit orders")
        fields: dict[str, Any] = {
            "symbol": symbol,
            "amount": _decimal_text(amount, "amount"),
            "price": _decimal_text(price, "price"),
            "side": Side(side).value,
            "type": WIRE_ORDER_TYPES[OrderType(order_type)],
            "options": [ExecOption(option).value for option in options],
        }
        if stop_price is not None:
            fields["stop_price"] = _decimal_text(stop_price, "stop_price")
        if client_order_id is not None:
            fields["client_order_id"] = client_order_id
        return await self._private("/v1/order/new", fields, OrderStatus)

    async def cancel_order(self, order_id: str | int) -> OrderStatus:
        """Cancel one order: ``POST /v1/order/cancel`` with ``order_id`` as a JSON integer.

        https://docs.gemini.com/rest/orders#cancel-order. Cancelling an already-cancelled order succeeds and
        returns its status.

        Raises:
            ValueError: ``order_id`` is not digits.
            OrderNotFound: Gemini does not know the order.
        """
        return await self._private("/v1/order/cancel", {"order_id": _order_id_int(order_id)}, OrderStatus)

    async def cancel_all(self) -> CancelAllResponse:
        """Cancel every open order of the account, from all sessions including the UI: ``/v1/order/cancel/all``.

        https://docs.gemini.com/rest/orders#cancel-all-active-orders
        """
        return await self._private("/v1/order/cancel/all", {}, CancelAllResponse)

    async def cancel_session(self) -> CancelAllResponse:
        """Cancel the open orders placed with this key only: ``POST /v1/order/cancel/session``.

        https://docs.gemini.com/rest/orders#cancel-all-session-orders
        """
        return await self._private("/v1/order/cancel/session", {}, CancelAllResponse)

    async def order_status(
        self,
        *,
        order_id: str | int | None = None,
        client_order_id: str | None = None,
        include_trades: bool = False,
    ) -> OrderStatus:
        """Fetch one order: ``POST /v1/order/status`` (https://docs.gemini.com/rest/orders#order-status).

        Give exactly one of ``order_id`` (sent as a JSON integer) or ``client_order_id`` (a string).
        ``include_trades`` is always sent as a JSON boolean.

        Raises:
            ValueError: both or neither id given, or ``order_id`` not digits (nothing is sent).
            OrderNotFound: no such order.
        """
        if (order_id is None) == (client_order_id is None):
            raise ValueError("give exactly one of order_id or client_order_id")
        fields: dict[str, Any] = {}
        if order_id is not None:
            fields["order_id"] = _order_id_int(order_id)
        else:
            fields["client_order_id"] = client_order_id
        fields["include_trades"] = bool(include_trades)
        return await self._private("/v1/order/status", fields, OrderStatus)

    async def active_orders(self) -> list[OrderStatus]:
        """List the account's live orders: ``POST /v1/orders``.

        https://docs.gemini.com/rest/orders#get-active-orders
        """
        return await self._private("/v1/orders", {}, list[OrderStatus])

    async def my_trades(
        self, *, symbol: str | None = None, limit_trades: int | None = None, timestamp: int | None = None
    ) -> list[MyTrade]:
        """List your trades, newest first: ``POST /v1/mytrades`` (https://docs.gemini.com/rest/orders#get-past-trades).

        Args:
            symbol: e.g. ``"btcusd"``; all symbols when None.
            limit_trades: at most this many (Gemini: default 50, max 500).
            timestamp: only trades at or after this time, seconds or ms since the epoch (Gemini accepts both).
        """
        fields: dict[str, Any] = {}
        if symbol is not None:
            fields["symbol"] = symbol
        if limit_trades is not None:
            fields["limit_trades"] = int(limit_trades)
        if timestamp is not None:
            fields["timestamp"] = int(timestamp)
        return await self._private("/v1/mytrades", fields, list[MyTrade])
