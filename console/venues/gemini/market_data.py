"""Client of Gemini's market data WebSocket v2: level-2 books and trades of one symbol (the ladder) or several over one
socket (the watchlist), resynchronised on any doubt.

https://docs.gemini.com/websocket/market-data/v2/level-2-data. The client connects to
``<ws base>/v2/marketdata`` (public, no signature), sends
``{"type":"subscribe","subscriptions":[{"name":"l2","symbols":["BTCUSD"]}]}`` and then reads:

* the first ``l2_updates`` for the symbol: the **full book** (every level in ``changes``) plus the last trades in
  ``trades``. It replaces the book in one step.
* later ``l2_updates``: level deltas ``[side, price, new level total]`` (``"0"`` removes the level);
* ``trade`` messages (``side`` = taker side), and heartbeats.

The book is only ever shown as ``LIVE`` when it is known to be right. On any doubt the client drops the socket,
marks the book not live, reconnects with capped back-off and starts again from a fresh snapshot:

* a delta before the snapshot (an ``l2_updates`` without ``trades`` as the first one, or a ``trade`` first) —
  the snapshot is recognised by carrying ``trades`` (an array, possibly empty), as in Gemini's sample;
* an update that leaves the book crossed (best bid >= best ask);
* a malformed frame: invalid JSON, a known type failing validation (``""`` as a price, a bad side, a
  negative size), a message for another symbol, or an ``error`` message from the venue;
* a stall: no frame at all for ``stall_timeout_s`` (the local exchange sends heartbeats every 5 s);
* the socket closing or failing.

:class:`L2Feed` is the pure state machine (no IO: tests and benchmarks feed it frames);
:class:`MarketDataClient` runs it over a real socket.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from pydantic import ValidationError
from websockets.asyncio.client import connect as ws_connect
from websockets.exceptions import ConnectionClosed, WebSocketException

from console.domain.book import OrderBook, Trade
from console.domain.feed import FeedListener, FeedState
from console.domain.model import Side
from console.util.backoff import capped_delay_s, jittered
from console.venues.gemini.models import L2Updates, MarketError, MarketTrade

__all__ = [
    "MARKET_DATA_PATH",
    "L2Feed",
    "MarketDataClient",
    "Resync",
    "market_data_url",
]

logger = logging.getLogger(__name__)

MARKET_DATA_PATH = "/v2/marketdata"
#: Largest frame accepted (a deep book's snapshot can be big).
MAX_FRAME_BYTES = 16 * 1024 * 1024
#: Seconds allowed for a close handshake (a socket dropped on doubt is aborted without one).
CLOSE_TIMEOUT_S = 1.0
#: How much of a bad frame goes into the log line.
LOG_FRAME_CHARS = 200


def market_data_url(ws_base: str) -> str:
    """``"wss://api.gemini.com"`` → ``"wss://api.gemini.com/v2/marketdata"`` (a trailing slash is allowed)."""
    return ws_base.rstrip("/") + MARKET_DATA_PATH


class Resync(Exception):
    """The stream can no longer be trusted; ``str(exc)`` says why (e.g. ``"crossed book after update"``)."""

    went_live: bool  # set by _resync: the feed had a snapshot before it broke (absent on a bare Resync)


@dataclass(frozen=True, slots=True)
class FeedResult:
    """What one frame did.

    Attributes:
        book_changed: the book's levels changed (a snapshot or a delta).
        trades: new trades (oldest first).
        snapshot: the frame was the full book.
    """

    book_changed: bool = False
    trades: list[Trade] = field(default_factory=list)
    snapshot: bool = False


_NOTHING = FeedResult()
_SIDES = {"buy": Side.BUY, "sell": Side.SELL}


def _trade(wire: MarketTrade) -> Trade:
    return Trade(wire.tid, wire.timestamp, wire.price, wire.quantity, _SIDES[wire.side])


class L2Feed:
    """Applies v2 market data frames for one symbol to an :class:`OrderBook` (no IO).

    Args:
        symbol: e.g. ``"btcusd"`` (any case).
        book: the book to fill; it is cleared when a snapshot arrives.

    Use :meth:`feed` for each text frame; it raises :class:`Resync` on any doubt, after which this feed must be
    discarded (start a new one for the new connection).
    """

    def __init__(self, symbol: str, book: OrderBook) -> None:
        self.symbol = symbol.upper()
        self.book = book
        self.has_snapshot = False
        self.updates = 0  # l2_updates messages applied

    def feed(self, frame: str | bytes) -> FeedResult:
        """Apply one frame.

        Returns:
            What changed (nothing for a heartbeat or a message of a type this client does not use).

        Raises:
            Resync: invalid JSON, a bad message, a delta before the snapshot, a crossed book, or a venue error.
        """
        return self.apply(self.parse(frame), frame)

    def parse(self, frame: str | bytes) -> dict[str, Any]:
        """One frame as a JSON object.

        Raises:
            Resync: invalid JSON, or not an object.
        """
        try:
            data = json.loads(frame)
        except ValueError:
            raise self._bad("invalid JSON", frame) from None
        if not isinstance(data, dict):
            raise self._bad("not a JSON object", frame)
        return data

    def apply(self, data: dict[str, Any], frame: str | bytes) -> FeedResult:
        """Apply one frame already parsed into ``data`` (``frame`` is its text, for the log); as :meth:`feed`."""
        kind = data.get("type")
        if kind == "l2_updates":
            return self._l2(data, frame)
        if kind == "trade":
            return self._trade_message(data, frame)
        if kind == "heartbeat":
            return _NOTHING
        if kind == "error":
            err = MarketError.model_validate({k: v for k, v in data.items() if isinstance(v, str)})
            raise Resync(f"venue error {err.reason}: {err.message}")
        logger.debug("market data: ignored a %r message", kind)
        return _NOTHING

    def _bad(self, reason: str, frame: str | bytes) -> Resync:
        text = frame if isinstance(frame, str) else frame.decode("utf-8", "replace")
        logger.warning("market data %s: bad frame (%s): %s", self.symbol, reason, text[:LOG_FRAME_CHARS])
        return Resync(f"bad frame: {reason}")

    def _l2(self, data: dict[str, Any], frame: str | bytes) -> FeedResult:
        try:
            msg = L2Updates.model_validate(data)
        except ValidationError as exc:
            raise self._bad(_summary(exc), frame) from None
        if msg.symbol.upper() != self.symbol:
            raise self._bad(f"update for {msg.symbol[:20]!r}, subscribed to {self.symbol}", frame)
        for change in msg.changes:
            if change.quantity < 0 or change.price <= 0:
                raise self._bad(f"bad level {change.side} {change.price} {change.quantity}", frame)
        book = self.book
        snapshot = msg.trades is not None
        if not snapshot and not self.has_snapshot:
            raise Resync("delta before the snapshot")
        trades: list[Trade] = []
        if snapshot:
            book.clear()
            self.has_snapshot = True
            trades = sorted((_trade(t) for t in msg.trades or ()), key=lambda t: t.trade_id)
            book.add_trades(trades)
        buy = Side.BUY
        sell = Side.SELL
        for change in msg.changes:
            book.set_level(buy if change.side == "buy" else sell, change.price, change.quantity)
        self.updates += 1
        if book.crossed:
            raise Resync(f"crossed book after update (bid {book.best_bid} >= ask {book.best_ask})")
        return FeedResult(book_changed=True, trades=trades, snapshot=snapshot)

    def _trade_message(self, data: dict[str, Any], frame: str | bytes) -> FeedResult:
        try:
            msg = MarketTrade.model_validate(data)
        except ValidationError as exc:
            raise self._bad(_summary(exc), frame) from None
        if msg.symbol.upper() != self.symbol:
            raise self._bad(f"trade for {msg.symbol[:20]!r}, subscribed to {self.symbol}", frame)
        if not self.has_snapshot:
            raise Resync("trade before the snapshot")
        trade = _trade(msg)
        self.book.add_trades([trade])
        return FeedResult(trades=[trade])


def _summary(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors()[:2]:
        loc = ".".join(str(p) for p in err["loc"]) or "<root>"
        parts.append(f"{loc}: {err['msg']}")
    return "; ".join(parts)


class MarketDataClient:
    """Keeps one symbol's book live from Gemini's market data WebSocket v2.

    Args:
        ws_base_url: e.g. ``"wss://api.gemini.com"`` or ``"ws://127.0.0.1:8787"``.
        stall_timeout_s: seconds without any frame after which the book is STALE and the client resyncs.
        open_timeout_s: seconds allowed for TCP + TLS + upgrade.
        backoff_initial_s / backoff_cap_s: reconnect delays (doubling, with jitter), seconds.
        rng: randomness for the jitter (tests pass a seeded one).
    """

    def __init__(
        self,
        ws_base_url: str,
        *,
        stall_timeout_s: float = 15.0,
        open_timeout_s: float = 10.0,
        backoff_initial_s: float = 0.2,
        backoff_cap_s: float = 10.0,
        rng: random.Random | None = None,
    ) -> None:
        self.url = market_data_url(ws_base_url)
        self.stall_timeout_s = stall_timeout_s
        self.open_timeout_s = open_timeout_s
        self._backoff_initial_s = backoff_initial_s
        self._backoff_cap_s = backoff_cap_s
        self._rng = rng or random.Random()
        self.resyncs = 0  # times the client dropped a connection to resynchronise
        self.last_resync_reason = ""

    def __repr__(self) -> str:
        return f"MarketDataClient(url={self.url!r})"

    async def run(self, symbol: str, book: OrderBook, listener: FeedListener) -> None:
        """Keep ``book`` live for ``symbol`` until cancelled; never returns otherwise, never raises on the wire.

        Args:
            symbol: e.g. ``"btcusd"``.
            book: filled from each snapshot and its deltas.
            listener: told about book changes, trades and the feed state.
        """
        await self.run_many({symbol: book}, {symbol: listener})

    async def run_many(self, books: Mapping[str, OrderBook], listeners: Mapping[str, FeedListener]) -> None:
        """Keep several symbols' books live over one socket until cancelled (one subscription names them all, as
        https://docs.gemini.com/websocket/market-data/v2/level-2-data allows); never raises on the wire.

        Every doubt about any symbol (see the module docstring) drops the socket and resynchronises them all: each
        listener hears RESYNCING (or STALE on a stall), then LIVE again at its symbol's fresh snapshot.

        Args:
            books: lowercase symbol → the book filled from that symbol's snapshot and deltas.
            listeners: lowercase symbol → its listener (the same keys as ``books``).
        """
        label = ",".join(books)
        attempt = 0
        for listener in listeners.values():
            listener.state_changed(FeedState.CONNECTING, "")
        while True:
            try:
                went_live = await self._stream_once(books, listeners)
                reason = "stream closed by the venue"
            except Resync as exc:
                went_live, reason = bool(getattr(exc, "went_live", False)), str(exc)
            except (OSError, WebSocketException, TimeoutError) as exc:
                went_live, reason = False, f"connection failed: {type(exc).__name__}"
            self.resyncs += 1
            self.last_resync_reason = reason
            logger.info("market data %s: resync (%s)", label, reason)
            stalled = reason.startswith("stream stalled")
            if not stalled:  # a stalled book stays STALE while the client waits to reconnect
                for listener in listeners.values():
                    listener.state_changed(FeedState.RESYNCING, reason)
            attempt = 0 if went_live else attempt + 1
            delay = capped_delay_s(attempt, self._backoff_initial_s, self._backoff_cap_s, max_exponent=16)
            await asyncio.sleep(jittered(delay, self._rng))
            if stalled:
                for listener in listeners.values():
                    listener.state_changed(FeedState.RESYNCING, reason)

    async def _stream_once(self, books: Mapping[str, OrderBook], listeners: Mapping[str, FeedListener]) -> bool:
        """One connection: subscribe, read until doubt. Returns (on a clean close) whether it went live."""
        feeds = {symbol.upper(): (L2Feed(symbol, book), listeners[symbol]) for symbol, book in books.items()}
        first = next(iter(feeds.values()))  # frames without a known symbol (heartbeat, error, another symbol's)
        subscribe = {"type": "subscribe", "subscriptions": [{"name": "l2", "symbols": list(feeds)}]}
        async with ws_connect(
            self.url, open_timeout=self.open_timeout_s, close_timeout=CLOSE_TIMEOUT_S, max_size=MAX_FRAME_BYTES
        ) as ws:
            await ws.send(json.dumps(subscribe))
            while True:
                try:
                    # asyncio.timeout, not wait_for: on Python 3.11 wait_for can swallow a cancellation that
                    # arrives as the frame does, and the task (the console quitting, a test stopping it) never ends.
                    async with asyncio.timeout(self.stall_timeout_s):
                        frame = await ws.recv()
                except TimeoutError:
                    for _feed, listener in feeds.values():
                        listener.state_changed(FeedState.STALE, f"stream stalled {self.stall_timeout_s:g} s")
                    ws.transport.abort()  # a doubtful stream gets no close handshake: reconnect at once
                    raise _resync(f"stream stalled {self.stall_timeout_s:g} s", feeds) from None
                except ConnectionClosed:
                    if _went_live(feeds):
                        raise _resync("stream closed by the venue", feeds) from None
                    raise
                try:
                    data = first[0].parse(frame)
                    symbol = data.get("symbol")
                    feed, listener = feeds.get(symbol.upper(), first) if isinstance(symbol, str) else first
                    result = feed.apply(data, frame)
                except Resync as exc:
                    ws.transport.abort()
                    raise _resync(str(exc), feeds) from None
                if result.snapshot:
                    listener.state_changed(FeedState.LIVE, "")
                if result.book_changed:
                    listener.book_changed(feed.book)
                if result.trades:
                    listener.trades_added(result.trades)


def _went_live(feeds: Mapping[str, tuple[L2Feed, FeedListener]]) -> bool:
    """Whether any symbol of the connection had its snapshot."""
    return any(feed.has_snapshot for feed, _listener in feeds.values())


def _resync(reason: str, feeds: Mapping[str, tuple[L2Feed, FeedListener]]) -> Resync:
    exc = Resync(reason)
    exc.went_live = _went_live(feeds)
    return exc



def decimal_text(value: Decimal | None) -> str:
    """``Decimal("64250.00")`` → ``"64250.00"`` (plain, never exponent form); None → ``"—"``."""
    return "—" if value is None else format(value, "f")
