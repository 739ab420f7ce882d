"""The local exchange's market data WebSocket v2 (``/v2/marketdata``) and the ``/v2/ticker`` endpoint.

Gemini's level-2 feed (https://docs.gemini.com/websocket/market-data/v2/level-2-data):
the client sends ``{"type": "subscribe", "subscriptions": [{"name": "l2", "symbols": ["BTCUSD"]}]}``; the first
``l2_updates`` per symbol is the full book (``changes`` holds every level) plus the last 50 trades; later
``l2_updates`` carry level deltas ``[side, price, new level total]`` (``"0"`` removes the level) and each public
trade comes as its own ``trade`` message. The book and trades come from the matching engine's market listener, so
a subscriber's book always equals ``GET /v1/book/:symbol?limit_bids=0&limit_asks=0`` after each message.

Behaviours the documentation leaves open are decided by the ``CHOICE`` comments below (one place each).
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final

from aiohttp import WSCloseCode, WSMsgType, web

from console.exchange.engine import ExchangeError, MatchingEngine

__all__ = ["MARKET_DATA_PATH", "TICKER_V2_PATH", "MarketDataHub"]

log = logging.getLogger(__name__)

MARKET_DATA_PATH = "/v2/marketdata"
TICKER_V2_PATH = "/v2/ticker/{symbol}"

#: Trades sent with a symbol's first ``l2_updates`` (the docs: "the last 50 trades").
SNAPSHOT_TRADES = 50

# CHOICE: a heartbeat ``{"type": "heartbeat", "timestamp": ms}`` every HEARTBEAT_INTERVAL_S seconds on every market
# data socket, so a client can tell a quiet market from a stalled stream. The v2 pages show no heartbeat sample;
# a client that does not know the type ignores it.
HEARTBEAT_INTERVAL_S = 5.0

# CHOICE: a bad client message (invalid JSON, unknown `type`, unknown feed name, unknown symbol, wrong shapes) is
# answered with `{"type": "error", "reason": ..., "message": ...}` (Gemini's error body words) and the socket stays
# open; nothing about the subscriptions changes. The docs do not show the venue's answer.
ERROR_TYPE = "error"

# CHOICE: the snapshot's `trades` are newest first, like GET /v1/trades; each has the `trade` message's fields.
# Candle feeds are accepted by name (so a client listing them gets no error) but produce no messages here.
FEEDS = frozenset({"l2", "candles_1m", "candles_5m", "candles_15m", "candles_30m", "candles_1h", "candles_6h",
                   "candles_1d"})

# Messages a market data socket may fall behind before it is closed with 1011 (then the client resyncs).
DEFAULT_QUEUE_SIZE = 4096

class _Marker(enum.Enum):
    """A queue marker (a typed sentinel: the queue holds message texts or this)."""

    CLOSE = "close"  # close the socket (test fault hook)


_CLOSE: Final = _Marker.CLOSE


def _dumps(obj: object) -> str:
    return json.dumps(obj, separators=(",", ":"))


def _trade_message(symbol: str, trade: dict[str, Any]) -> dict[str, Any]:
    """A ``GET /v1/trades`` trade → the v2 ``trade`` message (``side`` = taker side, ``timestamp`` in ms)."""
    return {
        "type": "trade",
        "symbol": symbol,
        "event_id": trade["tid"],
        "timestamp": trade["timestampms"],
        "price": trade["price"],
        "quantity": trade["amount"],
        "side": trade["type"],
        "tid": trade["tid"],
    }


@dataclass(eq=False)
class _Subscriber:
    """One market data socket: its l2 symbols, its bounded outgoing queue, and test fault switches."""

    ws: web.WebSocketResponse
    queue: asyncio.Queue[str | _Marker]
    symbols: set[str] = field(default_factory=set)
    stalled: bool = False
    overflowed: bool = False

    def offer(self, item: str | _Marker) -> None:
        """Queue ``item`` without blocking; on overflow, close the socket with 1011 (the engine never waits)."""
        if self.stalled or self.overflowed:
            return
        try:
            self.queue.put_nowait(item)
        except asyncio.QueueFull:
            self.overflowed = True
            log.warning("market data client fell %d messages behind; closing it with 1011", self.queue.maxsize)
            asyncio.get_running_loop().create_task(self._close(WSCloseCode.INTERNAL_ERROR, b"client too slow"))

    async def _close(self, code: int, message: bytes) -> None:
        with contextlib.suppress(Exception):
            await self.ws.close(code=code, message=message)


class MarketDataHub:
    """Serves ``/v2/marketdata`` and ``/v2/ticker/:symbol`` from a :class:`MatchingEngine`.

    Call :meth:`start` once in the server's loop (it subscribes to the engine's market listener and starts the
    heartbeats) and :meth:`stop` on shutdown.

    Args:
        engine: the matching engine whose books and trades are published.
        clock_ms: the server clock in Unix ms (heartbeat timestamps).
        heartbeat_interval_s: seconds between heartbeats on each socket.
        queue_size: messages a socket may fall behind before it is closed with 1011.
    """

    def __init__(
        self,
        engine: MatchingEngine,
        *,
        clock_ms: Callable[[], int],
        heartbeat_interval_s: float = HEARTBEAT_INTERVAL_S,
        queue_size: int = DEFAULT_QUEUE_SIZE,
    ) -> None:
        self._engine = engine
        self._clock_ms = clock_ms
        self._heartbeat_interval_s = heartbeat_interval_s
        self._queue_size = queue_size
        self._subscribers: set[_Subscriber] = set()
        self._by_symbol: dict[str, set[_Subscriber]] = {}
        self._heartbeat_task: asyncio.Task[None] | None = None
        self._refusing = False
        self._listening = False

    # -- lifecycle -----------------------------------------------------------------------------------------------
    def start(self) -> None:
        """Start the heartbeat task (in the running loop).

        The engine's market listener is attached only while some socket holds an ``l2`` subscription, so an
        exchange nobody watches pays nothing for market data.
        """
        self._heartbeat_task = asyncio.get_running_loop().create_task(self._heartbeats())

    async def stop(self) -> None:
        """Stop listening and close every market data socket with 1001 (going away)."""
        self._engine.remove_market_listener(self._on_market)
        self._listening = False
        if self._heartbeat_task is not None:
            self._heartbeat_task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._heartbeat_task
            self._heartbeat_task = None
        for sub in tuple(self._subscribers):
            await sub._close(WSCloseCode.GOING_AWAY, b"server shutting down")

    @property
    def listening(self) -> bool:
        """True while the engine's market listener is attached (some socket holds an ``l2`` subscription)."""
        return self._listening

    @property
    def subscriber_count(self) -> int:
        """Open market data sockets."""
        return len(self._subscribers)

    # -- test fault hooks (server side of real sockets) ------------------------------------------------------------
    def fault_close_all(self) -> int:
        """Close every market data socket now (1011); returns how many. For fault-injection tests."""
        subs = tuple(self._subscribers)
        for sub in subs:
            sub.offer(_CLOSE)
        return len(subs)

    def fault_send_raw(self, text: str) -> int:
        """Send ``text`` as-is, in order, on every open market data socket; returns how many sockets."""
        subs = tuple(self._subscribers)
        for sub in subs:
            sub.offer(text)
        return len(subs)

    def fault_stall_all(self) -> int:
        """Make every open socket silent (no deltas, trades or heartbeats; it stays open); returns how many.

        Sockets opened later behave normally, so a client that reconnects recovers.
        """
        subs = tuple(self._subscribers)
        for sub in subs:
            sub.stalled = True
        return len(subs)

    def fault_refuse_new(self, refuse: bool) -> None:
        """While ``refuse`` is True, close each new market data socket (1013, try again later) right after the
        upgrade, before any message; the client then keeps retrying. For fault-injection tests."""
        self._refusing = refuse

    # -- engine listener (synchronous) -------------------------------------------------------------------------
    def _on_market(self, symbol: str, changes: list[tuple[str, str, str]], trades: list[dict[str, Any]]) -> None:
        subs = self._by_symbol.get(symbol)
        if not subs:
            return
        messages: list[str] = []
        if changes:
            messages.append(_dumps({"type": "l2_updates", "symbol": symbol, "changes": [list(c) for c in changes]}))
        messages.extend(_dumps(_trade_message(symbol, t)) for t in trades)
        for sub in tuple(subs):
            for text in messages:
                sub.offer(text)

    # -- the WebSocket ---------------------------------------------------------------------------------------------
    async def handle(self, request: web.Request) -> web.StreamResponse:
        """``GET /v2/marketdata``: public (no authentication); subscribe / unsubscribe messages drive it."""
        ws = web.WebSocketResponse(autoping=True, heartbeat=None)
        if not ws.can_prepare(request).ok:
            raise ExchangeError(
                "EndpointNotFound", f"{MARKET_DATA_PATH} is a WebSocket endpoint: send an upgrade request", 400
            )
        await ws.prepare(request)
        if self._refusing:
            await ws.close(code=WSCloseCode.TRY_AGAIN_LATER, message=b"fault injected: refused")
            return ws
        sub = _Subscriber(ws=ws, queue=asyncio.Queue(maxsize=self._queue_size))
        self._subscribers.add(sub)
        writer = asyncio.get_running_loop().create_task(self._write_loop(sub))
        try:
            async for msg in ws:
                if msg.type == WSMsgType.TEXT:
                    self._on_client_message(sub, msg.data)
                elif msg.type == WSMsgType.BINARY:
                    self._error(sub, "InvalidJson", "send subscribe messages as JSON text frames")
                elif msg.type == WSMsgType.ERROR:
                    log.info("market data socket error: %s", ws.exception())
        except ConnectionError as exc:
            log.info("market data socket dropped: %s", exc)
        finally:
            self._subscribers.discard(sub)
            for symbol in sub.symbols:
                self._by_symbol.get(symbol, set()).discard(sub)
            self._listen_if_needed()
            writer.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await writer
            if not ws.closed:
                with contextlib.suppress(Exception):
                    await ws.close()
        return ws

    def _error(self, sub: _Subscriber, reason: str, message: str) -> None:
        sub.offer(_dumps({"type": ERROR_TYPE, "result": "error", "reason": reason, "message": message}))

    def _on_client_message(self, sub: _Subscriber, text: str) -> None:
        """Apply one subscribe / unsubscribe message; anything malformed gets an error message and changes nothing."""
        try:
            data = json.loads(text)
        except ValueError:
            self._error(sub, "InvalidJson", "the message is not valid JSON")
            return
        kind = data.get("type") if isinstance(data, dict) else None
        if kind not in ("subscribe", "unsubscribe"):
            self._error(sub, "InvalidJson", "type must be 'subscribe' or 'unsubscribe'")
            return
        subscriptions = data.get("subscriptions")
        if not isinstance(subscriptions, list) or not subscriptions:
            self._error(sub, "InvalidJson", "subscriptions must be a non-empty array of {name, symbols}")
            return
        wanted: list[str] = []
        for entry in subscriptions:
            name = entry.get("name") if isinstance(entry, dict) else None
            symbols = entry.get("symbols") if isinstance(entry, dict) else None
            if name not in FEEDS:
                self._error(sub, "InvalidJson", f"unknown feed name {_dumps(name)[:40]}")
                return
            if not isinstance(symbols, list) or not all(isinstance(s, str) for s in symbols) or not symbols:
                self._error(sub, "InvalidJson", "symbols must be a non-empty array of strings")
                return
            for symbol in symbols:
                try:
                    spec = self._engine.symbol_spec(symbol)
                except ExchangeError:
                    self._error(sub, "InvalidSymbol", f"unknown symbol {symbol[:40]!r}")
                    return
                if name == "l2":
                    wanted.append(spec.symbol.upper())
        for symbol in dict.fromkeys(wanted):
            if kind == "subscribe":
                self._subscribe(sub, symbol)
            else:
                sub.symbols.discard(symbol)
                self._by_symbol.get(symbol, set()).discard(sub)
        self._listen_if_needed()

    def _listen_if_needed(self) -> None:
        """Attach the engine's market listener while any socket holds a subscription; detach it otherwise."""
        wanted = any(self._by_symbol.values())
        if wanted and not self._listening:
            self._engine.add_market_listener(self._on_market)
        elif not wanted and self._listening:
            self._engine.remove_market_listener(self._on_market)
        self._listening = wanted

    def _subscribe(self, sub: _Subscriber, symbol: str) -> None:
        """Queue the full book + last trades, and register for deltas, with no await in between.

        Every later engine change of ``symbol`` is therefore queued after this snapshot. Subscribing again to a
        symbol already subscribed sends a fresh snapshot.
        """
        book = self._engine.book(symbol, limit_bids=0, limit_asks=0)
        trades = self._engine.public_trades(symbol, limit_trades=SNAPSHOT_TRADES)
        changes = [["buy", lvl["price"], lvl["amount"]] for lvl in book["bids"]]
        changes += [["sell", lvl["price"], lvl["amount"]] for lvl in book["asks"]]
        sub.offer(
            _dumps(
                {
                    "type": "l2_updates",
                    "symbol": symbol,
                    "changes": changes,
                    "trades": [_trade_message(symbol, t) for t in trades],
                    "auction_events": [],
                }
            )
        )
        sub.symbols.add(symbol)
        self._by_symbol.setdefault(symbol, set()).add(sub)

    async def _write_loop(self, sub: _Subscriber) -> None:
        try:
            while True:
                item = await sub.queue.get()
                if item is _CLOSE:
                    await sub.ws.close(code=WSCloseCode.INTERNAL_ERROR, message=b"fault injected: closed")
                    return
                if not sub.stalled:
                    await sub.ws.send_str(item)
        except ConnectionError as exc:
            log.info("market data socket dropped: %s", exc)
        except Exception:
            log.exception("market data socket: sending failed")
            await sub._close(WSCloseCode.INTERNAL_ERROR, b"internal error")

    async def _heartbeats(self) -> None:
        while True:
            await asyncio.sleep(self._heartbeat_interval_s)
            text = _dumps({"type": "heartbeat", "timestamp": self._clock_ms()})
            for sub in tuple(self._subscribers):
                sub.offer(text)

    # -- REST ---------------------------------------------------------------------------------------------------
    async def ticker_v2(self, request: web.Request) -> web.Response:
        """``GET /v2/ticker/{symbol}`` → ``{"symbol", "open", "high", "low", "close", "changes", "bid", "ask"}``."""
        body = self._engine.ticker_v2(request.match_info["symbol"])
        return web.json_response(body, dumps=_dumps)
