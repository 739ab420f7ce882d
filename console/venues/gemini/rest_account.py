"""Account endpoints of the REST client (balances, heartbeat, fees, volume, wrap) and the history walkers."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar

from console.domain.model import Side
from console.venues.gemini.models import (
    Balance,
    HeartbeatResponse,
    MyTrade,
    NotionalVolume,
    OrderStatus,
    TradeVolumeDay,
    WrapResponse,
)
from console.venues.gemini.rest_history import MAX_PAGE, _limit, walk_history
from console.venues.gemini.rest_orders import _decimal_text

_T = TypeVar("_T")

__all__ = ["AccountEndpoints"]


class AccountEndpoints:
    """The private account endpoints of ``GeminiRestClient`` (a mixin: ``_private``, ``my_trades`` are the client's)."""

    if TYPE_CHECKING:  # GeminiRestClient's: POST a signed request, return the body validated as ``tp``

        async def _private(self, path: str, fields: Mapping[str, Any], tp: type[_T]) -> _T: ...

    my_trades: Callable[..., Awaitable[list[MyTrade]]]

    # --- private: account -----------------------------------------------------------------------------------

    async def balances(self) -> list[Balance]:
        """Balances per currency: ``POST /v1/balances``.

        https://docs.gemini.com/rest/fund-management#get-available-balances
        """
        return await self._private("/v1/balances", {}, list[Balance])

    async def heartbeat(self) -> HeartbeatResponse:
        """Keep a "require heartbeat" session alive: ``POST /v1/heartbeat`` → ``{"result":"ok"}``.

        https://docs.gemini.com/rest/orders#heartbeat. Any private call resets Gemini's 30 s timer too.
        """
        return await self._private("/v1/heartbeat", {}, HeartbeatResponse)

    async def notional_volume(self) -> NotionalVolume:
        """Fee rates (bps) and 30-day volume: ``POST /v1/notionalvolume``.

        https://docs.gemini.com/rest/fund-management#get-notional-volume
        """
        return await self._private("/v1/notionalvolume", {}, NotionalVolume)

    async def orders_history(
        self, *, symbol: str | None = None, limit_orders: int | None = None, timestamp: int | None = None
    ) -> list[OrderStatus]:
        """Closed orders, newest first, each with ``trades``: ``POST /v1/orders/history``.

        https://developer.gemini.com/trading/rest-api/orders/list-past-orders

        Args:
            symbol: e.g. ``"btcusd"``; all symbols when None.
            limit_orders: at most this many, 1..500 (Gemini's default 50).
            timestamp: only orders submitted at or after this time, seconds or ms; the venue then answers the
                OLDEST ``limit_orders`` from it (newest first), so the history is walked forward from 0 (see
                :meth:`iter_orders_history`, which does it for you). Without it, the newest orders.

        Raises:
            ValueError: ``limit_orders`` outside 1..500 (nothing is sent).
        """
        fields: dict[str, Any] = {}
        if symbol is not None:
            fields["symbol"] = symbol
        if limit_orders is not None:
            fields["limit_orders"] = _limit(limit_orders, "limit_orders")
        if timestamp is not None:
            fields["timestamp"] = int(timestamp)
        return await self._private("/v1/orders/history", fields, list[OrderStatus])

    async def iter_orders_history(
        self, *, symbol: str | None = None, page_size: int = MAX_PAGE, since_ms: int = 0
    ) -> AsyncIterator[OrderStatus]:
        """Walk every closed order submitted at or after ``since_ms``, oldest first, each ``order_id`` once.

        Follows Gemini's recipe for the full order history (see :func:`walk_history`): ``timestamp`` is a lower
        bound, the first page holds the oldest orders from it, and the walk moves forward. It stops on a short
        page or a page that brings nothing new, so it never loops whatever the venue answers.

        Args:
            symbol: one symbol or all.
            page_size: ``limit_orders`` per request (1..500).
            since_ms: the walk's first ``timestamp`` (ms); 0 for the whole history.

        Raises:
            ValueError: ``page_size`` outside 1..500 (nothing is sent).
            GeminiError: as :meth:`orders_history`; orders already yielded stay yielded.
        """
        _limit(page_size, "page_size")

        async def fetch(bound: int) -> list[OrderStatus]:
            return await self.orders_history(symbol=symbol, limit_orders=page_size, timestamp=bound)

        async for order in walk_history(
            fetch, ident=lambda o: o.order_id, time_ms=lambda o: o.timestampms, page_size=page_size, since_ms=since_ms
        ):
            yield order

    async def iter_my_trades(
        self, *, symbol: str | None = None, page_size: int = MAX_PAGE, since_ms: int = 0
    ) -> AsyncIterator[MyTrade]:
        """Walk every trade of the account from ``since_ms`` on, oldest first, each ``tid`` once.

        ``/v1/mytrades`` only has a lower bound (``timestamp``: trades "on or after" it); the walk follows the
        documented recipe forward (see :func:`walk_history`) and stops on a short page or a page that brings
        nothing new.

        Raises:
            ValueError: ``page_size`` outside 1..500 (nothing is sent).
            GeminiError: as :meth:`my_trades`; trades already yielded stay yielded.
        """
        _limit(page_size, "page_size")

        async def fetch(bound: int) -> list[MyTrade]:
            return await self.my_trades(symbol=symbol, limit_trades=page_size, timestamp=bound)

        async for trade in walk_history(
            fetch, ident=lambda t: t.tid, time_ms=lambda t: t.timestampms, page_size=page_size, since_ms=since_ms
        ):
            yield trade

    async def trade_volume(self) -> list[list[TradeVolumeDay]]:
        """Traded volume per symbol and day: ``POST /v1/tradevolume`` (an array of arrays).

        https://docs.gemini.com/rest/fund-management#get-trade-volume
        """
        return await self._private("/v1/tradevolume", {}, list[list[TradeVolumeDay]])

    async def wrap(
        self, symbol: str, *, amount: Decimal, side: Side, client_order_id: str | None = None
    ) -> WrapResponse:
        """Wrap or unwrap a wrap-enabled pair at 1: ``POST /v1/wrap/{symbol}`` (e.g. ``GUSDUSD``).

        https://docs.gemini.com/rest/orders#wrap-order. Sends ``amount`` as a plain
        decimal string and ``side`` (``buy``: quote → base).

        Raises:
            ValueError: a non-finite amount or an empty symbol (nothing is sent).
            ApiError: e.g. InvalidSymbol for a symbol that is not wrap-enabled, InsufficientFunds.
        """
        if not symbol or not symbol.isalnum():
            raise ValueError(f"symbol must be alphanumeric, got {symbol!r}")
        fields: dict[str, Any] = {"amount": _decimal_text(amount, "amount"), "side": Side(side).value}
        if client_order_id is not None:
            fields["client_order_id"] = client_order_id
        return await self._private(f"/v1/wrap/{symbol.upper()}", fields, WrapResponse)
