"""Roxom's ``depth`` and ``trade`` channels as a ``MarketDataFeed`` (``console.trading.venue_account``): the ladder and
the trades panel of one symbol.

https://docs.roxom.com/reference/websockets/overview: ``{"op": "subscribe", "args": [{"channel": "depth", "symbol":
"GOLD-BTC"}]}``; messages ``{"topic": "depth.GOLD-BTC", "type": "snapshot"|"delta", "data": {"bid": [[px, qty], …],
"ask": [[px, qty], …]}}`` and ``{"topic": "trade.GOLD-BTC", "data": {"takerSide", "minPx", "maxPx", "volume",
"vwap", "timestamp"}}``. No sequence numbers. Choices where the documentation is open (docs/local-roxom.md):

* a delta's sizes are absolute (the level's new size); a size ≤ 0 removes the level;
* the book is LIVE once a snapshot arrived; a delta before any snapshot, an unreadable depth frame or silence past
  ``stall_timeout_s`` (STALE) makes the feed reconnect for a fresh snapshot (RESYNCING);
* a trade message is aggregated (one per matching step, no trade id): it becomes one ``Trade`` at its ``vwap`` for
  its ``volume``, numbered by the feed (ids grow within a run).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from collections.abc import Awaitable, Callable
from decimal import Decimal

from pydantic import ValidationError

from console.domain.book import OrderBook, Trade
from console.domain.errors import VenueError
from console.domain.feed import FeedListener, FeedState
from console.domain.model import Side
from console.venues.roxom.convert import PriceTicks, wire_symbol
from console.venues.roxom.models import WsDepthData, WsTradeData
from console.venues.roxom.ws import BadFrame, MarketMessage, RoxomWsClient

__all__ = ["RoxomMarketFeed"]

log = logging.getLogger(__name__)

#: Seconds without any message (pongs count) before the book is STALE and the feed reconnects.
STALL_TIMEOUT_S = 15.0
#: Seconds between reconnect attempts.
RECONNECT_S = 1.0


class RoxomMarketFeed:
    """Keeps an ``OrderBook`` live from Roxom's ``depth`` and ``trade`` channels.

    Args:
        ws: the WebSocket client (signed or public: market channels need no key on the local venue).
        stall_timeout_s: silence (seconds) before the book is STALE.
        reconnect_s: pause before reconnecting (seconds).
        ticks: the instruments' ticks (the venue's ``RoxomVenue.ticks``): prices at the tick's decimals.
        load_ticks: reads the ticks (the venue's ``RoxomVenue.load_ticks``), awaited before the first connection so
            the first snapshot already shows the tick's decimals.
    """

    def __init__(self, ws: RoxomWsClient, *, stall_timeout_s: float = STALL_TIMEOUT_S,
                 reconnect_s: float = RECONNECT_S, ticks: PriceTicks | None = None,
                 load_ticks: Callable[[], Awaitable[None]] | None = None) -> None:
        self.ws = ws
        self._load_ticks = load_ticks
        self.ticks = ticks if ticks is not None else PriceTicks()
        self.stall_timeout_s = stall_timeout_s
        self.reconnect_s = reconnect_s
        self._trade_ids = itertools.count(1)

    async def run(self, symbol: str, book: OrderBook, listener: FeedListener) -> None:
        """Keep ``book`` live for ``symbol`` (lowercase, e.g. ``"gold-btc"``) until cancelled; never raises on the
        wire."""
        wire = wire_symbol(symbol)
        listener.state_changed(FeedState.CONNECTING, "")
        if self._load_ticks is not None and not self.ticks:
            await self._load_ticks()  # never raises: a failure leaves the prices as sent
        while True:
            detail = await self._connection(wire, book, listener)
            listener.state_changed(FeedState.STALE if detail.startswith("no message") else FeedState.RESYNCING,
                                   detail)
            await asyncio.sleep(self.reconnect_s)

    async def _connection(self, wire: str, book: OrderBook, listener: FeedListener) -> str:
        """One connection; returns why it ended."""
        try:
            connection = await self.ws.connect()
        except VenueError as exc:
            return f"connect failed: {exc}"
        try:
            await connection.subscribe("depth", wire)
            await connection.subscribe("trade", wire)
            have_snapshot = False
            while True:
                try:
                    async with asyncio.timeout(self.stall_timeout_s):
                        message = await connection.recv()
                except TimeoutError:
                    connection.abort()
                    return f"no message for {self.stall_timeout_s:g} s"
                if isinstance(message, BadFrame):
                    if message.maybe_order or "depth" in message.raw:
                        return f"unreadable frame ({message.reason})"
                    continue
                if not isinstance(message, MarketMessage) or message.symbol != wire:
                    continue
                try:
                    if message.channel == "depth":
                        depth = WsDepthData.model_validate(message.data)
                        if message.kind == "snapshot":
                            book.clear()
                            have_snapshot = True
                        elif not have_snapshot:
                            return "depth delta before any snapshot"
                        self._apply(book, depth, wire)
                        listener.book_changed(book)
                        if message.kind == "snapshot":
                            listener.state_changed(FeedState.LIVE, "")
                    elif message.channel == "trade":
                        wire_trade = WsTradeData.model_validate(message.data)
                        trade = Trade(next(self._trade_ids), (wire_trade.timestamp or 0) // 1_000_000,
                                      self.ticks.price(wire, wire_trade.vwap), wire_trade.volume,
                                      Side(wire_trade.takerSide))
                        book.add_trades([trade])
                        listener.trades_added([trade])
                except (ValidationError, ValueError) as exc:
                    log.warning("Roxom %s message skipped: %s", message.channel, exc)
                    if message.channel == "depth":
                        return "unreadable depth message"
        except VenueError as exc:
            return f"connection lost: {exc}"
        finally:
            with contextlib.suppress(Exception):
                await connection.close()

    def _apply(self, book: OrderBook, depth: WsDepthData, symbol: str) -> None:
        for side, levels in ((Side.BUY, depth.bid), (Side.SELL, depth.ask)):
            for level in levels:
                if len(level) < 2:
                    raise ValueError(f"depth level {level!r} is not [price, size]")
                price, size = self.ticks.price(symbol, level[0]), level[1]
                book.set_level(side, price, max(size, Decimal(0)))
