"""The Roxom server's WebSocket: connections, subscribe/unsubscribe, account pushes and market data channels."""

from __future__ import annotations

import asyncio
import contextlib
import json
from decimal import Decimal
from typing import Any

from aiohttp import WSCloseCode, WSMsgType, web
from uuid_utils import uuid7

from console.exchange.roxom.auth import _AuthMixin
from console.exchange.roxom.connection import _Connection
from console.exchange.roxom.engine import TradeTick

#: Depth levels of the ``depth`` channel and the default of the book snapshot (documented default 20, max 100).
DEPTH_LEVELS = 20
#: CHOICE: at most this many subscriptions per connection (error 60016 past it; the number is not documented).
MAX_SUBSCRIPTIONS = 50
PUBLIC_CHANNELS = frozenset({"level1", "depth", "trade", "ticker"})
PRIVATE_CHANNELS = frozenset({"orders", "balance", "positions", "account"})

# WebSocket error codes (https://docs.roxom.com/reference/websockets/overview).
WS_AUTH_FAILED = "600010"
WS_BAD_CHANNEL = "60014"
WS_BAD_SYMBOL = "60015"
WS_SUBSCRIPTION_LIMIT = "60016"
WS_PARSE_ERROR = "60017"
WS_BINARY = "60018"


class _StreamsMixin(_AuthMixin):
    """RoxomServer's WebSocket ``/ws`` (https://docs.roxom.com/reference/websockets/overview)."""

    # -- WebSocket -------------------------------------------------------------------------------------------------

    async def _ws(self, request: web.Request) -> web.StreamResponse:
        account_id: int | None = None
        if "X-API-Key" in request.headers or "X-API-Signature" in request.headers:
            account_id = self._verify(request, None).account_id  # a bad key fails the HTTP handshake (401)
        ws = web.WebSocketResponse(heartbeat=self._ws_ping_interval_s, max_msg_size=1 << 16)
        await ws.prepare(request)
        connection = _Connection(str(uuid7()), account_id, ws, request, lambda: self.faults.stream_stalled)
        self._connections.add(connection)
        writer = asyncio.create_task(self._ws_writer(ws, connection))
        try:
            async for message in ws:
                if message.type == WSMsgType.TEXT:
                    self._on_client_message(connection, message.data)
                elif message.type == WSMsgType.BINARY:
                    self._ws_error(connection, WS_BINARY, "Binary messages are not supported")
                if connection.closed:
                    break
        finally:
            # The client left: what is still queued for it is dropped, not sent into a closing socket.
            self._connections.discard(connection)
            connection.closed = True
            writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await writer
            await ws.close()
        return ws

    async def _ws_writer(self, ws: web.WebSocketResponse, connection: _Connection) -> None:
        while True:
            message = await connection.queue.get()
            if message is None:
                if connection.closed and not ws.closed:
                    await ws.close(code=WSCloseCode.INTERNAL_ERROR, message=b"client too slow")
                return
            try:
                await ws.send_str(json.dumps(message, separators=(",", ":")))
            except (ConnectionError, RuntimeError):
                return

    def _ws_error(self, connection: _Connection, code: str, msg: str) -> None:
        connection.send({"event": "error", "code": code, "msg": msg, "connId": connection.conn_id})

    def _on_client_message(self, connection: _Connection, text: str) -> None:
        try:
            message = json.loads(text)
        except ValueError:
            self._ws_error(connection, WS_PARSE_ERROR, "Invalid JSON")
            return
        if not isinstance(message, dict):
            self._ws_error(connection, WS_PARSE_ERROR, "A message must be a JSON object")
            return
        op = message.get("op")
        if op == "ping":
            connection.send({"op": "pong", "timestamp": self._clock_ns()})
            return
        if op not in ("subscribe", "unsubscribe"):
            self._ws_error(connection, WS_PARSE_ERROR, "op must be subscribe, unsubscribe or ping")
            return
        args = message.get("args")
        if not isinstance(args, list) or not args or not all(isinstance(a, dict) for a in args):
            self._ws_error(connection, WS_PARSE_ERROR, "args must be a non-empty list of objects")
            return
        for arg in args:
            channel, symbol = arg.get("channel"), arg.get("symbol")
            if channel in PRIVATE_CHANNELS:
                if connection.account_id is None:
                    self._ws_error(connection, WS_AUTH_FAILED, "Authentication failed")
                    continue
                subscription: tuple[str, str | None] = (channel, None)
            elif channel in PUBLIC_CHANNELS:
                if symbol not in self.engine.instruments:
                    self._ws_error(connection, WS_BAD_SYMBOL, f"Invalid symbol: {symbol!r}")
                    continue
                subscription = (channel, symbol)
            else:
                self._ws_error(connection, WS_BAD_CHANNEL, f"Invalid channel: {channel!r}")
                continue
            if op == "unsubscribe":
                connection.subscriptions.discard(subscription)
                connection.send({"event": "unsubscribe", "success": True, "args": [arg], "connId": connection.conn_id})
                continue
            if subscription not in connection.subscriptions and len(connection.subscriptions) >= MAX_SUBSCRIPTIONS:
                self._ws_error(connection, WS_SUBSCRIPTION_LIMIT, f"At most {MAX_SUBSCRIPTIONS} subscriptions")
                continue
            connection.subscriptions.add(subscription)
            connection.send({"event": "subscribe", "success": True, "args": [arg], "connId": connection.conn_id})
            if symbol is not None and channel in ("level1", "depth", "ticker"):
                connection.send(self._snapshot(channel, symbol))

    # -- pushes ----------------------------------------------------------------------------------------------------

    def _on_account_message(self, account_id: int, message: dict[str, Any]) -> None:
        # Account events go to every authenticated connection of the account, subscribed or not (documented).
        for connection in list(self._connections):
            if connection.account_id == account_id:
                connection.send(message)

    def _market_message(self, channel: str, symbol: str, kind: str, data: dict[str, Any]) -> dict[str, Any]:
        return {"topic": f"{channel}.{symbol}", "type": kind, "createdTime": self._clock_ns(), "data": data}

    def _level1_data(self, symbol: str) -> dict[str, Any]:
        book = self.engine.book(symbol)
        bids, asks = book.levels(True, 1), book.levels(False, 1)
        return {
            "symbol": symbol,
            "bid": [_px(bids[0][0]), _qty(bids[0][1])] if bids else None,
            "ask": [_px(asks[0][0]), _qty(asks[0][1])] if asks else None,
            "timestamp": self._clock_ns(),
        }

    def _depth_levels(self, symbol: str) -> dict[str, dict[str, str]]:
        book = self.engine.book(symbol)
        return {
            "bid": {_px(px): _qty(size) for px, size in book.levels(True, DEPTH_LEVELS)},
            "ask": {_px(px): _qty(size) for px, size in book.levels(False, DEPTH_LEVELS)},
        }

    def _ticker_data(self, symbol: str) -> dict[str, Any]:
        book = self.engine.book(symbol)
        bids, asks = book.levels(True, 1), book.levels(False, 1)
        return {
            "symbol": symbol,
            "lastPrice": None if book.last_px is None else _px(book.last_px),
            "indexPrice": None,
            "markPrice": _px(book.mark()),
            "bestBid": _px(bids[0][0]) if bids else None,
            "bestAsk": _px(asks[0][0]) if asks else None,
            "bestBidQty": _qty(bids[0][1]) if bids else None,
            "bestAskQty": _qty(asks[0][1]) if asks else None,
            "openInterest": None,
            "openInterestValue": None,
            "fundingRate": None,
            "timestamp": self._clock_ns(),
            "unit": "btc",
        }

    def _snapshot(self, channel: str, symbol: str) -> dict[str, Any]:
        if channel == "level1":
            return self._market_message("level1", symbol, "snapshot", self._level1_data(symbol))
        if channel == "ticker":
            return self._market_message("ticker", symbol, "snapshot", self._ticker_data(symbol))
        levels = self._depth_levels(symbol)
        self._depth[symbol] = levels
        data = {
            "symbol": symbol,
            "bid": [[px, size] for px, size in levels["bid"].items()],
            "ask": [[px, size] for px, size in levels["ask"].items()],
            "timestamp": self._clock_ns(),
        }
        return self._market_message("depth", symbol, "snapshot", data)

    def _subscribers(self, channel: str, symbol: str) -> list[_Connection]:
        return [c for c in self._connections if (channel, symbol) in c.subscriptions]

    def _on_market(self, symbol: str, trades: list[TradeTick]) -> None:
        level1_subs = self._subscribers("level1", symbol)
        if level1_subs:
            data = self._level1_data(symbol)
            top = (data["bid"], data["ask"])
            if self._level1.get(symbol) != top:
                self._level1[symbol] = top
                message = self._market_message("level1", symbol, "snapshot", data)
                for connection in level1_subs:
                    connection.send(message)
        depth_subs = self._subscribers("depth", symbol)
        if depth_subs:
            self._publish_depth(symbol, depth_subs)
        else:
            self._depth.pop(symbol, None)
        trade_subs = self._subscribers("trade", symbol)
        if trades and trade_subs:
            message = self._market_message("trade", symbol, "delta", _aggregate(symbol, trades, self._clock_ns()))
            for connection in trade_subs:
                connection.send(message)
        if trades:
            for connection in self._subscribers("ticker", symbol):
                connection.send(self._snapshot("ticker", symbol))

    def _publish_depth(self, symbol: str, subscribers: list[_Connection]) -> None:
        """CHOICE: a depth delta carries each changed level's new absolute size; ``"0"`` removes the level."""
        before = self._depth.get(symbol, {"bid": {}, "ask": {}})
        after = self._depth_levels(symbol)
        self._depth[symbol] = after
        delta: dict[str, list[list[str]]] = {}
        for side in ("bid", "ask"):
            changes = [[px, size] for px, size in after[side].items() if before[side].get(px) != size]
            changes += [[px, "0"] for px in before[side] if px not in after[side]]
            delta[side] = changes
        if not delta["bid"] and not delta["ask"]:
            return
        message = self._market_message("depth", symbol, "delta", {"symbol": symbol, **delta,
                                                                   "timestamp": self._clock_ns()})
        for connection in subscribers:
            connection.send(message)


def _px(value: Decimal) -> str:
    return f"{value:.8f}"


def _qty(value: Decimal) -> str:
    return f"{value:.2f}"


def _aggregate(symbol: str, trades: list[TradeTick], now_ns: int) -> dict[str, Any]:
    """One ``trade`` message for the trades of one action (documented as aggregated, without a trade id)."""
    prices = [px for _, px, _ in trades]
    volume = sum((qty for _, _, qty in trades), Decimal(0))
    notional = sum((px * qty for _, px, qty in trades), Decimal(0))
    return {
        "symbol": symbol,
        "takerSide": trades[0][0],
        "minPx": _px(min(prices)),
        "maxPx": _px(max(prices)),
        "volume": _qty(volume),
        "vwap": _px(notional / volume),
        "timestamp": now_ns,
    }
