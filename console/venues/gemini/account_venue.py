"""Gemini's account queries as domain objects: history, fills, order detail, balances, fees, wrap, sub-accounts.

:class:`GeminiAccountVenue` implements ``console.trading.venue_account.AccountVenue`` over a
:class:`~console.venues.gemini.rest.GeminiRestClient` (shared with the trading session, so a sub-account switch
applies to trading and views alike). Every wire answer becomes a ``console.domain`` object here: orders and fills
through :mod:`console.venues.gemini.convert`, balances, volumes and wrap receipts through the converters below.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from decimal import Decimal

from console.domain.account import BalanceRow, FeeSummary, SymbolVolume, WrapReceipt
from console.domain.model import Fill, Order, Side
from console.venues.gemini.convert import fill_from_my_trade, order_from_status
from console.venues.gemini.errors import AccountError, PermissionDenied
from console.venues.gemini.models import Balance, TradeVolumeDay, WrapResponse
from console.venues.gemini.rest import GeminiRestClient

__all__ = ["GeminiAccountVenue", "balance_from_wire", "receipt_from_wire", "volumes_from_wire"]

_ZERO = Decimal(0)


def balance_from_wire(balance: Balance) -> BalanceRow:
    """Convert one ``/v1/balances`` entry; ``held`` is what open orders hold (``amount`` − ``available``).

    https://docs.gemini.com/rest/fund-management#get-available-balances
    """
    return BalanceRow(balance.currency, balance.amount, balance.available, balance.amount - balance.available)


def volumes_from_wire(days: Iterable[Iterable[TradeVolumeDay]]) -> tuple[SymbolVolume, ...]:
    """Sum ``/v1/tradevolume``'s per-day objects per symbol (lowercased), sorted by symbol.

    https://docs.gemini.com/rest/fund-management#get-trade-volume. The notional is maker + taker, buy + sell.
    """
    totals: dict[str, SymbolVolume] = {}
    for per_symbol in days:
        for day in per_symbol:
            key = day.symbol.lower()
            notional = day.buy_maker_notional + day.sell_maker_notional + day.buy_taker_notional + (
                day.sell_taker_notional)
            before = totals.get(key) or SymbolVolume(key, day.base_currency, day.notional_currency, _ZERO, _ZERO, 0, 0)
            totals[key] = SymbolVolume(
                key,
                day.base_currency,
                day.notional_currency,
                before.base_volume + day.total_volume_base,
                before.notional + notional,
                before.maker_count + day.buy_maker_count + day.sell_maker_count,
                before.taker_count + day.buy_taker_count + day.sell_taker_count,
            )
    return tuple(totals[k] for k in sorted(totals))


def receipt_from_wire(answer: WrapResponse) -> WrapReceipt:
    """Convert a ``/v1/wrap/{symbol}`` answer (https://docs.gemini.com/rest/orders#wrap-order); the id as a string."""
    return WrapReceipt(
        str(answer.orderId),
        answer.pair,
        Side(answer.side),
        answer.quantity,
        answer.quantityCurrency,
        answer.totalSpend,
        answer.totalSpendCurrency,
        answer.fee,
        answer.feeCurrency,
    )


class GeminiAccountVenue:
    """Gemini's account endpoints as ``console.trading.venue_account.AccountVenue``.

    Args:
        rest: the REST client (shared with the trading session; this never closes it).

    Every method raises ``console.venues.gemini.errors.GeminiError`` subclasses on failure.
    """

    name = "Gemini"

    def __init__(self, rest: GeminiRestClient) -> None:
        self._rest = rest

    @property
    def is_master_key(self) -> bool:
        """True for a master key (``master-…``): every private call then names a sub-account."""
        return self._rest.is_master_key

    @property
    def account(self) -> str | None:
        """The sub-account every call acts on (master keys), or None."""
        return self._rest.account

    @account.setter
    def account(self, name: str | None) -> None:
        self._rest.account = name

    async def can_trade(self) -> bool:
        """False when a Trader-only call (``/v1/heartbeat``) answers ``MissingRole``; else True.

        The probe is harmless for a Trader key (a heartbeat). A master key cannot call ``/v1/heartbeat``
        (``NotGroupApiCompatible``); it is then taken as able to trade, and a later ``MissingRole`` still shows.

        Raises:
            GeminiError: any other failure (network, authentication).
        """
        try:
            await self._rest.heartbeat()
        except PermissionDenied as exc:
            if exc.reason == "MissingRole":
                return False
            raise
        except AccountError as exc:
            if exc.reason != "NotGroupApiCompatible":
                raise
        return True

    async def closed_orders(self, *, symbol: str | None = None) -> AsyncIterator[Order]:
        """Every closed order, oldest first, each with its fills: ``/v1/orders/history`` walked forward.

        Gemini's documented paging reads the history forward from the oldest order (``timestamp`` is a lower
        bound: :meth:`GeminiRestClient.iter_orders_history`), and the walk stops on a page that brings nothing new.
        """
        async for status in self._rest.iter_orders_history(symbol=symbol):
            yield order_from_status(status)

    async def recent_fills(self, *, symbol: str | None = None, limit: int = 500) -> list[Fill]:
        """The newest ``limit`` fills (``/v1/mytrades``), newest first."""
        return [fill_from_my_trade(t) for t in await self._rest.my_trades(symbol=symbol, limit_trades=limit)]

    async def all_fills(self, *, symbol: str | None = None, since_ms: int = 0) -> AsyncIterator[Fill]:
        """Every fill from ``since_ms`` on, oldest first: ``/v1/mytrades`` walked forward
        (:meth:`GeminiRestClient.iter_my_trades`)."""
        async for trade in self._rest.iter_my_trades(symbol=symbol, since_ms=since_ms):
            yield fill_from_my_trade(trade)

    async def order_detail(self, order_id: str) -> Order:
        """``/v1/order/status`` with ``include_trades``.

        Raises:
            OrderNotFound: Gemini does not know the order.
        """
        return order_from_status(await self._rest.order_status(order_id=order_id, include_trades=True))

    async def balances(self) -> list[BalanceRow]:
        """``/v1/balances``, in the venue's order."""
        return [balance_from_wire(b) for b in await self._rest.balances()]

    async def fee_summary(self) -> FeeSummary:
        """``/v1/notionalvolume`` (fee bps, 30-day notional; 0 when absent) with ``/v1/tradevolume`` per symbol."""
        notional = await self._rest.notional_volume()
        volumes = volumes_from_wire(await self._rest.trade_volume())
        return FeeSummary(
            notional.api_maker_fee_bps,
            notional.api_taker_fee_bps,
            notional.notional_30d_volume or _ZERO,
            volumes,
        )

    async def wrap_enabled(self, symbol: str) -> bool:
        """``wrap_enabled`` of ``/v1/symbols/details/{symbol}``."""
        return bool((await self._rest.symbol_details(symbol)).wrap_enabled)  # absent in older answers: no

    async def wrap(self, symbol: str, side: Side, amount: Decimal) -> WrapReceipt:
        """``/v1/wrap/{symbol}``.

        Raises:
            ValueError: a non-finite amount or a symbol that is not alphanumeric (nothing is sent).
            ApiError: e.g. InvalidSymbol, InvalidQuantity, InsufficientFunds, MissingRole.
        """
        return receipt_from_wire(await self._rest.wrap(symbol, amount=amount, side=side))
