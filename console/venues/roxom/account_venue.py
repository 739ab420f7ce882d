"""Roxom as an ``AccountVenue`` and ``ReferenceQuotes`` (``console.trading.venue_account``): balance, closed orders,
fills from the transaction log, order detail, fee rates from the instruments, and the book's top.

Roxom has no sub-accounts, no roles on a key (every key trades) and nothing to wrap. Money is BTC
(https://docs.roxom.com/reference/api-reference/account/transaction-log,
https://docs.roxom.com/reference/api-reference/market-data/orderbook).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from decimal import Decimal

from console.domain.account import BalanceRow, FeeSummary, WrapReceipt
from console.domain.feed import Quote
from console.domain.model import Fill, Order, Side
from console.domain.positions import VenuePosition
from console.venues.roxom.convert import domain_symbol, fills_from_log, order_from_rest, wire_symbol
from console.venues.roxom.models import CLOSED_STATUSES
from console.venues.roxom.venue import RoxomVenue

__all__ = ["RoxomAccountVenue", "RoxomQuotes"]

_BPS = Decimal(10_000)


class RoxomAccountVenue:
    """The account views' queries over ``venue``'s REST client (its known orders give api sessions and fills).

    Args:
        venue: the trading adapter (shares its REST client and what it knows).
    """

    name = "Roxom"
    is_master_key = False

    def __init__(self, venue: RoxomVenue) -> None:
        self.venue = venue

    @property
    def account(self) -> str | None:
        """Always None: Roxom has no sub-accounts."""
        return None

    @account.setter
    def account(self, name: str | None) -> None:
        if name is not None:
            raise ValueError("Roxom has no sub-accounts")

    async def can_trade(self) -> bool:
        """True once the venue accepted the key (a signed balance call): a Roxom key has no roles.

        Raises:
            AuthenticationError: the key or its signature was refused. TransportError: the venue is unreachable.
        """
        await self.venue.rest.balance()
        return True

    async def closed_orders(self, *, symbol: str | None = None) -> AsyncIterator[Order]:
        """The closed orders the venue still lists (``includeClosed=true``; the list has no pagination)."""
        await self.venue.load_ticks()
        wires = await self.venue.rest.orders(symbol=wire_symbol(symbol) if symbol else None, include_closed=True)
        for wire in sorted(wires, key=lambda w: (w.createdAt or 0, w.id)):
            if wire.status.lower() in CLOSED_STATUSES:
                yield self.venue.ticks.order(order_from_rest(wire, api_session=self.venue.api_session))

    async def _fills(self, symbol: str | None) -> list[Fill]:
        await self.venue.load_ticks()
        entries = await self.venue.rest.transaction_log()
        fills = [self.venue.ticks.fill(f) for f in fills_from_log(entries, {})]
        return [f for f in fills if symbol is None or f.symbol == symbol]

    async def recent_fills(self, *, symbol: str | None = None, limit: int = 500) -> list[Fill]:
        """The newest ``limit`` fills of the transaction log, newest first."""
        return list(reversed(await self._fills(symbol)))[:limit]

    async def all_fills(self, *, symbol: str | None = None, since_ms: int = 0) -> AsyncIterator[Fill]:
        """Every fill of the transaction log from ``since_ms`` (ms since the epoch) on (the walk is bounded), oldest
        first."""
        for fill in await self._fills(symbol):
            if fill.timestamp_ms >= since_ms:
                yield fill

    async def order_detail(self, order_id: str) -> Order:
        """``GET /api/v1/orders/{orderId}`` with its fills."""
        return await self.venue.order_status(order_id=order_id)

    async def balances(self) -> list[BalanceRow]:
        """``GET /api/v1/accounts/balance?unit=btc``: total = ``current``, held = ``lockedInOrders``."""
        data = await self.venue.rest.balance()
        return [BalanceRow(b.asset, b.current, b.available, b.lockedInOrders) for b in data.balances]

    async def fee_summary(self) -> FeeSummary:
        """Maker/taker rates of the first instrument, in bps (Roxom publishes no volume tiers)."""
        instruments = await self.venue.rest.instruments()
        first = instruments[0] if instruments else None
        maker = first.makerFee if first is not None and first.makerFee is not None else Decimal(0)
        taker = first.takerFee if first is not None and first.takerFee is not None else Decimal(0)
        return FeeSummary(maker * _BPS, taker * _BPS, Decimal(0))

    async def venue_positions(self, symbols: Sequence[str]) -> list[VenuePosition]:
        """The venue's own positions (``GET /api/v1/positions``, one call per symbol): entry, mark, liquidation
        price and unrealised P&L as Roxom keeps them (``console.trading.venue_account.VenuePositions``)."""
        return await self.venue.positions(symbols)

    def listen_positions(self, listener: Callable[[VenuePosition], None]) -> None:
        """``listener`` hears every position Roxom pushes on the orders connection (``position`` messages)."""
        self.venue.position_listeners.append(listener)

    async def wrap_enabled(self, symbol: str) -> bool:
        """False: Roxom has nothing to wrap."""
        return False

    async def wrap(self, symbol: str, side: Side, amount: Decimal) -> WrapReceipt:
        """Refused: Roxom has nothing to wrap.

        Raises:
            ValueError: always (nothing is sent).
        """
        raise ValueError("Roxom has nothing to wrap")


class RoxomQuotes:
    """Reference prices from the public order book snapshot (Roxom has no REST ticker)."""

    def __init__(self, venue: RoxomVenue) -> None:
        self.venue = venue

    async def book_top(self, symbol: str) -> Quote:
        """The best bid and ask of ``GET /api/v1/orderbook/snapshot`` (``levels=1``)."""
        await self.venue.load_ticks()
        book = await self.venue.rest.order_book(wire_symbol(domain_symbol(symbol)), levels=1)
        ticks = self.venue.ticks
        bid = ticks.price(symbol, book.buys[0].price) if book.buys else None
        ask = ticks.price(symbol, book.sells[0].price) if book.sells else None
        return Quote(bid, ask)

    async def ticker(self, symbol: str) -> Quote:
        """The book's top; ``last`` None (no REST ticker or trades endpoint is documented)."""
        return await self.book_top(symbol)
