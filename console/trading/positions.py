"""Positions and P&L of the account, kept live: fills since the chosen start from the venue, then every fill the
session's blotter records, re-loaded after every reconnect; marked at the live book's mid (or last) or the venue's
quotes.

The costing is :mod:`console.domain.positions` (weighted average cost). The service never drifts from the venue:
each (re)connect of the order stream (the session's reconciliation) is followed by :meth:`PositionsService.reload`,
which rebuilds every position from the venue's fills (``AccountVenue.all_fills`` since the start, broken trades
flagged) plus the live fills seen meanwhile, each trade once.

A venue that keeps positions itself (:class:`~console.trading.venue_account.VenuePositions`: Roxom's perpetuals) is
the truth for the symbols it holds: their rows show the venue's size, entry price, mark, liquidation price and
unrealised P&L, loaded with every reload and updated by the venue's pushed position messages; fees still come from
the fills.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from decimal import Decimal

from console.domain.blotter import Blotter
from console.domain.errors import VenueError
from console.domain.model import Fill, Order, SymbolRules
from console.domain.positions import (
    Position,
    PositionLedger,
    PositionRow,
    PositionStart,
    PositionsTotal,
    VenuePosition,
    mark_price,
    start_ms,
    total,
    usd_rates,
    value,
)
from console.trading.market import MarketSession
from console.trading.venue_account import AccountVenue, ReferenceQuotes, VenuePositions

__all__ = ["PositionsService"]

log = logging.getLogger(__name__)


class PositionsService:
    """The account's positions per symbol since a chosen start, updated on every fill the blotter records.

    Args:
        venue: the venue's account interface (``all_fills`` over the venue's trade history, e.g. ``/v1/mytrades``).
        blotter: the trading session's blotter; its changes bring the live fills (a listener is added here).
        clock_ms: the console's clock (ms since the epoch).
        quotes: the venue's one-off quotes, to mark symbols the live book is not on (None: the live book only).
        market: the market session whose live book marks its selected symbol (None: quotes only).
        start: where fills start counting (default today, UTC); ``since_ms`` is the time of ``SINCE``.

    :attr:`changed` is called (no arguments) whenever a position or a mark may have changed.
    """

    def __init__(
        self,
        venue: AccountVenue,
        blotter: Blotter,
        *,
        clock_ms: Callable[[], int],
        quotes: ReferenceQuotes | None = None,
        market: MarketSession | None = None,
        start: PositionStart = PositionStart.TODAY,
        since_ms: int | None = None,
    ) -> None:
        self._venue = venue
        self._quotes = quotes
        self.market = market
        self.clock_ms = clock_ms
        #: When this console session started (ms): the ``SESSION`` start.
        self.session_start_ms = clock_ms()
        self.start = start
        self.since_ms = since_ms
        self.changed: Callable[[], None] = lambda: None
        #: Why the last load failed (None after a good one); the positions view shows it.
        self.error: str | None = None
        #: How many loads from the venue have completed.
        self.loads = 0
        self._currencies: dict[str, tuple[str, str]] = {}
        self._rules: dict[str, SymbolRules] = {}
        self.ledger = PositionLedger(self.first_ms(), self._currencies)
        #: Live fills seen since the last load began: kept across a load, so a fill racing it is never lost.
        self._live: dict[str, Fill] = {}
        self._quoted: dict[str, tuple[Decimal, str]] = {}
        self._load_lock = asyncio.Lock()
        #: The venue's own positions by symbol (empty for a venue that keeps none).
        self.venue_held: dict[str, VenuePosition] = {}
        self._venue_positions = venue if isinstance(venue, VenuePositions) else None
        if self._venue_positions is not None:
            self._venue_positions.listen_positions(self.venue_position_changed)
        blotter.add_listener(self.orders_changed)

    # -- inputs ---------------------------------------------------------------------------------------------------
    def first_ms(self) -> int:
        """The first fill time (ms) that counts for the current start."""
        return start_ms(self.start, now_ms=self.clock_ms(), session_start_ms=self.session_start_ms,
                        since_ms=self.since_ms)

    @property
    def has_venue_positions(self) -> bool:
        """True when the venue keeps positions itself (the view adds its liquidation price)."""
        return self._venue_positions is not None

    def venue_position_changed(self, position: VenuePosition) -> None:
        """A position the venue pushed: it replaces that symbol's (a flat one removes it)."""
        if position.net:
            self.venue_held[position.symbol.lower()] = position
        else:
            self.venue_held.pop(position.symbol.lower(), None)
        self.changed()

    async def _load_venue_positions(self) -> None:
        if self._venue_positions is None:
            return
        symbols = sorted({*self._rules, *self.venue_held, *(p.symbol for p in self.ledger.positions())})
        try:
            held = await self._venue_positions.venue_positions(symbols)
        except VenueError as exc:
            log.warning("positions: loading the venue's positions failed: %r", exc)
            self.error = f"{exc.__class__.__name__}: {exc}"
            return
        self.venue_held = {p.symbol.lower(): p for p in held if p.net}

    def set_rules(self, rules: Mapping[str, SymbolRules]) -> None:
        """Learn the symbols' base and quote currencies and price steps (from the session's symbol rules)."""
        self._rules = dict(rules)
        self._currencies = {s.lower(): (r.base_currency.upper(), r.quote_currency.upper()) for s, r in rules.items()}
        self.ledger.set_currencies(self._currencies)
        self.changed()

    def rules(self, symbol: str) -> SymbolRules | None:
        """The trading rules of ``symbol`` when loaded (price step for display)."""
        return self._rules.get(symbol.lower())

    def orders_changed(self, orders: Iterable[Order]) -> None:
        """Blotter listener: count every fill of the changed orders not counted yet (symbol and side from the
        order when the fill's message did not carry them)."""
        changed = False
        for order in orders:
            for fill in order.fills:
                if fill.trade_id in self._live or self.ledger.knows(fill.trade_id):
                    continue
                if fill.symbol is None or fill.side is None:
                    fill = replace(fill, timestamp_ms=fill.timestamp_ms or order.updated_ms,
                                   symbol=fill.symbol or order.symbol, side=fill.side or order.side,
                                   client_order_id=fill.client_order_id or order.client_order_id)
                self._live[fill.trade_id] = fill
                try:
                    changed = self.ledger.apply(fill) or changed
                except ValueError as exc:
                    log.warning("fill %s not counted in positions: %s", fill.trade_id, exc)
        if changed:
            self.changed()

    async def reload(self) -> None:
        """Rebuild every position from the venue's fills since the start, plus the live fills seen meanwhile.

        Called after every (re)connect of the order stream, when the start changes and on the view's reload key.
        A failure keeps the positions as they were and sets :attr:`error` (the view says so).

        Raises:
            Nothing: the venue's errors are logged and kept in :attr:`error`.
        """
        async with self._load_lock:
            first = self.first_ms()
            live_before = dict(self._live)
            try:
                fills = [fill async for fill in self._venue.all_fills(since_ms=first)]
            except VenueError as exc:
                log.warning("positions: loading fills failed: %r", exc)
                self.error = f"{exc.__class__.__name__}: {exc}"
                self.changed()
                return
            ledger = PositionLedger(first, self._currencies)
            bad = 0
            for fill in fills:
                try:
                    ledger.apply(fill)
                except ValueError as exc:
                    bad += 1
                    log.warning("positions: fill %s from the venue not counted: %s", fill.trade_id, exc)
            for fill in self._live.values():  # the stream's fills: the venue's copy (above) wins, each trade once
                ledger.apply(fill)
            self.ledger = ledger
            # Fills seen before this load began are in the venue's answer now; later ones stay until the next load.
            self._live = {tid: f for tid, f in self._live.items() if tid not in live_before}
            self.error = f"{bad} fills from the venue not counted (see the log)" if bad else None
            await self._load_venue_positions()
            self.loads += 1
        await self.refresh_quotes()
        self.changed()

    def set_start(self, start: PositionStart, since_ms: int | None = None) -> None:
        """Count fills from another start (the caller then runs :meth:`reload`).

        Raises:
            ValueError: ``SINCE`` without a time (nothing changes).
        """
        start_ms(start, now_ms=self.clock_ms(), session_start_ms=self.session_start_ms, since_ms=since_ms)
        self.start, self.since_ms = start, since_ms

    # -- marks ----------------------------------------------------------------------------------------------------
    def mark(self, symbol: str) -> tuple[Decimal | None, str]:
        """``(mark, "mid" | "last")`` of ``symbol``: the live book's when the market session is live on it, else the
        venue's last quote (:meth:`refresh_quotes`); ``(None, "")`` when neither is known."""
        symbol = symbol.lower()
        market = self.market
        if market is not None and market.live and market.symbol == symbol:
            book = market.book
            price, label = mark_price(book.best_bid, book.best_ask, book.last)
            if price is not None:
                return price, label
        quoted = self._quoted.get(symbol)
        return quoted if quoted is not None else (None, "")

    async def refresh_quotes(self) -> None:
        """Ask the venue's quotes (ticker: bid, ask, last) of every held symbol and of the ``…USD`` symbols that
        turn their quote and fee currencies into USD. A failed request leaves that symbol's last quote."""
        if self._quotes is None:
            return
        wanted: set[str] = set()
        for p in self.ledger.positions():
            wanted.add(p.symbol)
            for currency in (p.quote_currency, *(c for c, _ in p.other_fees)):
                if currency != "USD":
                    wanted.add(f"{currency.lower()}usd")
        for symbol in sorted(wanted):
            try:
                quote = await self._quotes.ticker(symbol)
            except VenueError as exc:
                log.info("positions: no quote for %s: %r", symbol, exc)
                continue
            price, label = mark_price(quote.bid, quote.ask, quote.last)
            if price is not None:
                self._quoted[symbol] = (price, label)

    # -- outputs --------------------------------------------------------------------------------------------------
    def rates(self) -> dict[str, Decimal]:
        """USD per unit of each currency whose rate is known from the marks."""
        marks: dict[str, Decimal] = {}
        for symbol in {*self._quoted, *(p.symbol for p in self.ledger.positions()),
                       *((self.market.symbol,) if self.market is not None else ())}:
            price, _ = self.mark(symbol)
            if price is not None:
                marks[symbol] = price
        return usd_rates(marks, self._currencies)

    def position(self, symbol: str) -> Position | None:
        """The position of ``symbol``, None when no fill of it counts since the start."""
        return self.ledger.position(symbol)

    def net(self, symbol: str) -> Decimal | None:
        """The open quantity of ``symbol`` the trader sees (negative when short, None when flat or not known): the
        venue's own position where the venue keeps positions (Roxom), else the fills counted since the start."""
        if self.has_venue_positions:
            held = self.venue_held.get(symbol.lower())
            return held.net if held is not None and held.net else None
        position = self.ledger.position(symbol)
        return position.net if position is not None and position.net else None

    def row(self, symbol: str, rates: Mapping[str, Decimal] | None = None) -> PositionRow | None:
        """``symbol``'s position valued at its mark (the venue's own position where it keeps one), None when it
        has none."""
        rates = self.rates() if rates is None else rates
        held = self.venue_held.get(symbol.lower())
        if held is not None:
            return self._venue_row(held, rates)
        position = self.ledger.position(symbol)
        if position is None:
            return None
        mark, label = self.mark(symbol)
        return value(position, mark, label, rates)

    def rows(self) -> tuple[list[PositionRow], PositionsTotal]:
        """Every position valued at its mark (sorted by symbol), and their USD total; the venue's own positions
        replace the fills' costing of their symbols."""
        rates = self.rates()
        symbols = sorted({*(p.symbol for p in self.ledger.positions()), *self.venue_held})
        rows = [row for s in symbols if (row := self.row(s, rates)) is not None]
        return rows, total(rows, rates)

    def _venue_row(self, held: VenuePosition, rates: Mapping[str, Decimal]) -> PositionRow:
        """The venue's position as a row: its size and entry price (the cost basis), its mark, unrealised and
        realised P&L and liquidation price; the fees of the fills counted since the start."""
        fills = self.ledger.position(held.symbol)
        base, _ = self._currencies.get(held.symbol, (held.symbol.upper(), held.quote_currency))
        entry = held.entry_price if held.entry_price is not None else Decimal(0)
        position = Position(held.symbol, base, held.quote_currency, net=held.net, cost=held.net * entry,
                            realised=held.realised if held.realised is not None else
                            (fills.realised if fills is not None else Decimal(0)),
                            fees=fills.fees if fills is not None else Decimal(0),
                            other_fees=fills.other_fees if fills is not None else (),
                            trades=fills.trades if fills is not None else 0)
        valued = value(position, held.mark_price, "venue", rates)
        unrealised = held.unrealised if held.unrealised is not None else valued.unrealised
        return PositionRow(position, held.mark_price, "venue", unrealised, valued.exposure, valued.fees,
                           valued.unconverted_fees, held.liquidation_price)
