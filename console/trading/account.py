"""Account data for the console's views: history, fills, balances, fees, order detail, wrap and sub-accounts.

``AccountService`` drives a venue through :class:`~console.trading.venue_account.AccountVenue`; the venue adapter
turns every wire answer into ``console.domain`` objects (orders and fills are the domain's
:class:`~console.domain.model.Order` and :class:`~console.domain.model.Fill`), so no view ever sees a wire dict or a
venue's field name. The adapter shares the trading session's client, so a sub-account switch (master keys)
applies to trading and views alike.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from console.domain.account import BalanceRow, FeeSummary, WrapReceipt
from console.domain.model import Fill, Order, Side
from console.trading.venue_account import AccountVenue, BalancePushes, BalancesListener

__all__ = ["AccountService"]


class AccountService:
    """Typed account queries for the console's views, over a venue's account interface.

    Args:
        venue: the venue's account interface (sharing the trading session's client; this never closes it).
        sub_accounts: the sub-account nicknames a master key may switch between (empty for account keys).

    Every method raises the venue's errors (``console.domain.errors.VenueError`` and below) on failure.
    """

    def __init__(self, venue: AccountVenue, sub_accounts: Iterable[str] = ()) -> None:
        self._venue = venue
        self.sub_accounts: tuple[str, ...] = tuple(sub_accounts)
        if venue.is_master_key and venue.account is None and self.sub_accounts:
            venue.account = self.sub_accounts[0]

    @property
    def venue(self) -> AccountVenue:
        """The venue's account interface (e.g. for the positions service, which walks its fills)."""
        return self._venue

    @property
    def venue_name(self) -> str:
        """The venue's name for texts, e.g. ``"Gemini"``."""
        return self._venue.name

    @property
    def is_master_key(self) -> bool:
        """True for a master key: the views then offer the sub-account switcher."""
        return self._venue.is_master_key

    @property
    def account(self) -> str | None:
        """The sub-account every call acts on (master keys), or None."""
        return self._venue.account

    def switch_account(self, name: str) -> None:
        """Act on sub-account ``name`` from now on (trading and views).

        Raises:
            ValueError: ``name`` is not one of :attr:`sub_accounts`, or the key is not a master key.
        """
        if not self.is_master_key:
            raise ValueError("only a master key can switch sub-accounts")
        if name not in self.sub_accounts:
            raise ValueError(f"unknown sub-account {name!r}; known: {', '.join(self.sub_accounts)}")
        self._venue.account = name

    def watch_balances(self, listener: BalancesListener | None) -> bool:
        """Have ``listener`` told the available balances the venue pushes (None: stop).

        Returns:
            True when the venue pushes balances (:class:`~console.trading.venue_account.BalancePushes`); False when
            it does not (the views then read them after orders and fills).
        """
        if isinstance(self._venue, BalancePushes):
            self._venue.watch_balances(listener)
            return True
        return False

    async def can_trade(self) -> bool:
        """Whether the key may trade: False only when the venue says the trading role is missing.

        Raises:
            VenueError: any other failure (network, authentication).
        """
        return await self._venue.can_trade()

    async def closed_orders(self, *, symbol: str | None = None) -> list[Order]:
        """Every closed order of the account, newest first, each with its fills.

        The venue's history may only be readable forward from the oldest order, so the newest page is known only
        once the whole history has been read; this walks it all, each order once.

        Args:
            symbol: one symbol (lowercase) or all.

        Raises:
            VenueError: a request failed (nothing is returned then).
        """
        orders = [order async for order in self._venue.closed_orders(symbol=symbol)]
        orders.reverse()  # the walk yields oldest first
        return orders

    async def fills(self, *, symbol: str | None = None, limit: int = 500) -> list[Fill]:
        """The newest ``limit`` fills, newest first, broken ones flagged (``Fill.broken``)."""
        return await self._venue.recent_fills(symbol=symbol, limit=limit)

    async def all_fills(self, *, symbol: str | None = None) -> list[Fill]:
        """Every fill of the account, newest first (walks the whole fill history)."""
        fills = [fill async for fill in self._venue.all_fills(symbol=symbol)]
        fills.reverse()
        return fills

    async def order_detail(self, order_id: str) -> Order:
        """Everything the venue says about one order, with its fills.

        Raises:
            VenueError: the venue does not know the order, or the request failed.
        """
        return await self._venue.order_detail(order_id)

    async def balances(self) -> list[BalanceRow]:
        """Balances per currency, sorted by currency."""
        return sorted(await self._venue.balances(), key=lambda r: r.currency)

    async def fees(self) -> FeeSummary:
        """Maker/taker fee bps and 30-day notional with the traded volume per symbol."""
        return await self._venue.fee_summary()

    async def wrap_symbols(self, symbols: Iterable[str]) -> list[str]:
        """Those of ``symbols`` whose details say they can be wrapped, lowercase."""
        return [symbol.lower() for symbol in symbols if await self._venue.wrap_enabled(symbol)]

    async def wrap(self, symbol: str, side: Side, amount: Decimal) -> WrapReceipt:
        """Wrap (buy) or unwrap (sell) ``amount`` of a wrap-enabled pair.

        Raises:
            ValueError: amount not a positive finite decimal (nothing is sent).
            VenueApiError: e.g. an invalid symbol or quantity, insufficient funds, a missing role.
        """
        if not isinstance(amount, Decimal) or not amount.is_finite() or amount <= 0:
            raise ValueError("amount must be a positive decimal")
        return await self._venue.wrap(symbol, side, amount)
