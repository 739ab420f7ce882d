"""Account data for the console's views: typed history, fills, balances, fees, order detail, wrap and access.

``AccountService`` wraps the REST client (``console.venues.gemini.rest.GeminiRestClient``) and turns every wire answer
into the frozen dataclasses below, so no view ever sees a wire dict or a Gemini field name. It shares the
trading session's REST client, so a sub-account switch (master keys) applies to trading and views alike.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from console.domain.model import Side
from console.venues.gemini.errors import AccountError, PermissionDenied
from console.venues.gemini.models import Balance, MyTrade, OrderStatus, TradeVolumeDay
from console.venues.gemini.rest import GeminiRestClient

_ZERO = Decimal(0)


class HistoryStatus(enum.StrEnum):
    """How a closed order ended (``/v1/orders/history`` holds closed orders only)."""

    FILLED = "filled"
    PARTIALLY_FILLED = "partial"  # cancelled after some fills
    CANCELLED = "cancelled"
    LIVE = "live"  # only from /v1/order/status


@dataclass(frozen=True, slots=True)
class FillRecord:
    """One of the account's fills (a ``/v1/mytrades`` entry).

    Attributes:
        trade_id: the venue's trade id.
        order_id / client_order_id: the order it filled ("" when the order had no client order id).
        symbol: lowercase, e.g. ``"btcusd"``.
        side: the account's side of the trade.
        price / amount: execution price (quote) and amount (base), decimals.
        fee / fee_currency: the fee charged and its currency.
        is_maker: True when the order was resting (maker), False when it took liquidity (taker).
        time_ms: trade time, ms since the epoch.
        broken: ``"manual"`` / ``"full"`` when the venue broke the trade, else None.
        is_auction / is_clearing: auction or clearing fills.
    """

    trade_id: int
    order_id: str
    client_order_id: str
    symbol: str
    side: Side
    price: Decimal
    amount: Decimal
    fee: Decimal
    fee_currency: str
    is_maker: bool
    time_ms: int
    broken: str | None = None
    is_auction: bool = False
    is_clearing: bool = False

    @property
    def liquidity(self) -> str:
        """``"Maker"`` or ``"Taker"``."""
        return "Maker" if self.is_maker else "Taker"


@dataclass(frozen=True, slots=True)
class OrderRecord:
    """Everything ``/v1/order/status`` (or an ``/v1/orders/history`` entry) says about one order.

    Attributes:
        order_id / client_order_id: ids ("" when none).
        symbol / side / order_type: e.g. ``"btcusd"``, ``Side.BUY``, ``"exchange limit"``.
        price / stop_price: limit price and stop price (None unless stop-limit), quote currency.
        amount / filled / remaining / avg_price: original amount, executed, remaining (base) and average price.
        status: how it ended (or LIVE).
        reason: the cancel reason, e.g. ``"Requested"`` ("" when none).
        options: execution options as sent, e.g. ``("maker-or-cancel",)``.
        is_live / is_cancelled / is_hidden / was_forced: the venue's flags.
        time_ms: submit time, ms since the epoch.
        fills: the order's fills, oldest first (empty when unknown or none).
    """

    order_id: str
    client_order_id: str
    symbol: str
    side: Side
    order_type: str
    price: Decimal
    stop_price: Decimal | None
    amount: Decimal
    filled: Decimal
    remaining: Decimal
    avg_price: Decimal
    status: HistoryStatus
    reason: str
    options: tuple[str, ...]
    is_live: bool
    is_cancelled: bool
    is_hidden: bool
    was_forced: bool
    time_ms: int
    fills: tuple[FillRecord, ...] = ()


@dataclass(frozen=True, slots=True)
class BalanceRow:
    """One currency's balance: ``total`` = ``available`` + ``held`` (held by open orders), decimals."""

    currency: str
    total: Decimal
    available: Decimal
    held: Decimal


@dataclass(frozen=True, slots=True)
class SymbolVolume:
    """Traded volume of one symbol summed over the days ``/v1/tradevolume`` reports.

    Attributes:
        base_volume: total base amount traded; notional: total quote notional (maker + taker, buy + sell).
        maker_count / taker_count: number of maker and taker executions.
    """

    symbol: str
    base_currency: str
    quote_currency: str
    base_volume: Decimal
    notional: Decimal
    maker_count: int
    taker_count: int


@dataclass(frozen=True, slots=True)
class FeeSummary:
    """Fee rates and volumes: maker/taker fees in basis points, 30-day notional (USD), per-symbol volume."""

    maker_bps: Decimal
    taker_bps: Decimal
    notional_30d: Decimal
    volumes: tuple[SymbolVolume, ...] = field(default_factory=tuple)


@dataclass(frozen=True, slots=True)
class WrapReceipt:
    """What a wrap did: ``quantity`` of ``quantity_currency`` for ``total_spend`` of ``spend_currency``."""

    order_id: int
    pair: str
    side: Side
    quantity: Decimal
    quantity_currency: str
    total_spend: Decimal
    spend_currency: str
    fee: Decimal
    fee_currency: str


def fill_from_wire(trade: MyTrade) -> FillRecord:
    """Convert one ``/v1/mytrades`` object (``type`` ``"Buy"``/``"Sell"``, ``aggressor`` = taker)."""
    return FillRecord(
        trade_id=trade.tid,
        order_id=trade.order_id,
        client_order_id=trade.client_order_id or "",
        symbol=trade.symbol.lower(),
        side=Side.BUY if trade.type == "Buy" else Side.SELL,
        price=trade.price,
        amount=trade.amount,
        fee=trade.fee_amount,
        fee_currency=trade.fee_currency,
        is_maker=not trade.aggressor,
        time_ms=trade.timestampms,
        broken=trade.break_,
        is_auction=trade.is_auction_fill,
        is_clearing=trade.is_clearing_fill,
    )


def record_from_wire(status: OrderStatus) -> OrderRecord:
    """Convert an order object (order/status, orders/history) with its ``trades`` when present."""
    remaining = status.remaining_amount if status.remaining_amount is not None else status.original_amount - (
        status.executed_amount)
    if status.is_live:
        state = HistoryStatus.LIVE
    elif status.is_cancelled:
        state = HistoryStatus.PARTIALLY_FILLED if status.executed_amount > 0 else HistoryStatus.CANCELLED
    else:
        state = HistoryStatus.FILLED
    return OrderRecord(
        order_id=status.order_id,
        client_order_id=status.client_order_id or "",
        symbol=status.symbol.lower(),
        side=Side(status.side),
        order_type=status.type,
        price=status.price,
        stop_price=status.stop_price,
        amount=status.original_amount,
        filled=status.executed_amount,
        remaining=remaining,
        avg_price=status.avg_execution_price,
        status=state,
        reason=status.reason or "",
        options=tuple(status.options),
        is_live=status.is_live,
        is_cancelled=status.is_cancelled,
        is_hidden=status.is_hidden,
        was_forced=status.was_forced,
        time_ms=status.timestampms,
        fills=tuple(fill_from_wire(t) for t in status.trades or ()),
    )


def balance_from_wire(balance: Balance) -> BalanceRow:
    """Convert one ``/v1/balances`` entry; ``held`` is what open orders hold (total − available)."""
    return BalanceRow(balance.currency, balance.amount, balance.available, balance.amount - balance.available)


def volumes_from_wire(days: Iterable[Iterable[TradeVolumeDay]]) -> tuple[SymbolVolume, ...]:
    """Sum ``/v1/tradevolume``'s per-day objects per symbol, sorted by symbol."""
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


class AccountService:
    """Typed account queries for the console's views, over the session's REST client.

    Args:
        rest: the REST client (shared with the trading session; this service never closes it).
        sub_accounts: the sub-account nicknames a master key may switch between (empty for account keys).

    Every method raises the client's ``GeminiError`` subclasses (see ``console.venues.gemini.errors``) on failure.
    """

    def __init__(self, rest: GeminiRestClient, sub_accounts: Iterable[str] = ()) -> None:
        self._rest = rest
        self.sub_accounts: tuple[str, ...] = tuple(sub_accounts)
        if rest.is_master_key and rest.account is None and self.sub_accounts:
            rest.account = self.sub_accounts[0]

    @property
    def is_master_key(self) -> bool:
        """True for a master key: the views then offer the sub-account switcher."""
        return self._rest.is_master_key

    @property
    def account(self) -> str | None:
        """The sub-account every call acts on (master keys), or None."""
        return self._rest.account

    def switch_account(self, name: str) -> None:
        """Act on sub-account ``name`` from now on (trading and views).

        Raises:
            ValueError: ``name`` is not one of :attr:`sub_accounts`, or the key is not a master key.
        """
        if not self.is_master_key:
            raise ValueError("only a master key can switch sub-accounts")
        if name not in self.sub_accounts:
            raise ValueError(f"unknown sub-account {name!r}; known: {', '.join(self.sub_accounts)}")
        self._rest.account = name

    async def can_trade(self) -> bool:
        """Whether the key may trade: False when a Trader-only call (``/v1/heartbeat``) answers ``MissingRole``.

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

    async def closed_orders(self, *, symbol: str | None = None) -> list[OrderRecord]:
        """Every closed order of the account, newest first, each with its fills (``/v1/orders/history``).

        Gemini's documented paging reads the history forward from the oldest order (``timestamp`` is a lower
        bound: :meth:`GeminiRestClient.iter_orders_history`), so the newest page is known only once the whole
        history has been read; this walks it all, each order once, and stops on a page that brings nothing new.

        Args:
            symbol: one symbol (lowercase) or all.

        Raises:
            GeminiError: a request failed (nothing is returned then).
        """
        records = [record_from_wire(o) async for o in self._rest.iter_orders_history(symbol=symbol)]
        records.reverse()  # the walk yields oldest first
        return records

    async def fills(self, *, symbol: str | None = None, limit: int = 500) -> list[FillRecord]:
        """The newest ``limit`` fills (``/v1/mytrades``), newest first, broken ones flagged."""
        return [fill_from_wire(t) for t in await self._rest.my_trades(symbol=symbol, limit_trades=limit)]

    async def all_fills(self, *, symbol: str | None = None) -> list[FillRecord]:
        """Every fill of the account, newest first (walks the whole ``/v1/mytrades`` history)."""
        fills = [fill_from_wire(t) async for t in self._rest.iter_my_trades(symbol=symbol)]
        fills.reverse()
        return fills

    async def order_detail(self, order_id: str) -> OrderRecord:
        """Everything ``/v1/order/status`` says about one order, with its trades.

        Raises:
            OrderNotFound: the venue does not know the order.
        """
        return record_from_wire(await self._rest.order_status(order_id=order_id, include_trades=True))

    async def balances(self) -> list[BalanceRow]:
        """Balances per currency (``/v1/balances``), sorted by currency."""
        rows = [balance_from_wire(b) for b in await self._rest.balances()]
        return sorted(rows, key=lambda r: r.currency)

    async def fees(self) -> FeeSummary:
        """Maker/taker fee bps and 30-day notional (``/v1/notionalvolume``) with per-symbol volume
        (``/v1/tradevolume``)."""
        notional = await self._rest.notional_volume()
        volumes = volumes_from_wire(await self._rest.trade_volume())
        return FeeSummary(
            notional.api_maker_fee_bps,
            notional.api_taker_fee_bps,
            notional.notional_30d_volume or _ZERO,
            volumes,
        )

    async def wrap_symbols(self, symbols: Iterable[str]) -> list[str]:
        """Those of ``symbols`` whose details say ``wrap_enabled`` (``/v1/symbols/details``), lowercase."""
        out = []
        for symbol in symbols:
            details = await self._rest.symbol_details(symbol)
            if details.wrap_enabled:
                out.append(symbol.lower())
        return out

    async def wrap(self, symbol: str, side: Side, amount: Decimal) -> WrapReceipt:
        """Wrap (buy) or unwrap (sell) ``amount`` of a wrap-enabled pair (``/v1/wrap/:symbol``).

        Raises:
            ValueError: amount not a positive finite decimal (nothing is sent).
            ApiError: e.g. InvalidSymbol, InvalidQuantity, InsufficientFunds, MissingRole.
        """
        if not isinstance(amount, Decimal) or not amount.is_finite() or amount <= 0:
            raise ValueError("amount must be a positive decimal")
        answer = await self._rest.wrap(symbol, amount=amount, side=side)
        return WrapReceipt(
            answer.orderId,
            answer.pair,
            Side(answer.side),
            answer.quantity,
            answer.quantityCurrency,
            answer.totalSpend,
            answer.totalSpendCurrency,
            answer.fee,
            answer.feeCurrency,
        )
