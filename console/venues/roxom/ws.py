"""Client of Roxom's WebSocket: signed handshake, subscribe, ping/pong, typed messages.

https://docs.roxom.com/reference/websockets/overview, …/connection, …/account-updates/orders. The handshake carries
``X-API-Key`` and ``X-API-Signature`` over ``GET:/ws`` (a refused key fails the HTTP upgrade: ``AuthenticationError``).
Client messages: ``{"op": "subscribe"|"unsubscribe", "args": [{"channel": "orders"}]}`` and ``{"op": "ping"}``.
Account messages (``{"type": "order"|"balance"|"position", "data": ...}``) are pushed to every authenticated
connection, subscribed or not. Market messages: ``{"topic": "level1.GOLD-BTC", "type": "snapshot"|"delta",
"createdTime": <ns>, "data": {...}}``. Errors: ``{"event": "error", "code": "600010", "msg": ..., "connId": ...}``.
Nothing carries a sequence number. The documentation requires ping/pong without an interval: the connection sends
``{"op": "ping"}`` every ``ping_interval_s`` and yields each pong, so a silent stream is seen by the reader's watchdog.

What ``RoxomWsConnection.recv`` yields: ``Subscribed``, ``Pong``, ``OrderUpdate`` (the model), ``WsError``,
``AccountMessage`` (balance/position, data kept raw), ``MarketMessage``, and ``BadFrame`` for a frame that is not
JSON or not a known shape (logged, cut to 200 characters, and skipped by the caller).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from websockets.asyncio.client import ClientConnection
from websockets.asyncio.client import connect as ws_connect
from websockets.exceptions import ConnectionClosed, InvalidStatus, WebSocketException

from console.domain.errors import network_cause
from console.venues.roxom.auth import RoxomSigner
from console.venues.roxom.errors import StreamClosed, TransportError, error_from_roxom_answer
from console.venues.roxom.models import OrderUpdate

__all__ = [
    "PING_INTERVAL_S",
    "AccountMessage",
    "BadFrame",
    "MarketMessage",
    "Pong",
    "RoxomWsClient",
    "RoxomWsConnection",
    "Subscribed",
    "WsError",
    "WsMessage",
    "parse_frame",
]

log = logging.getLogger(__name__)

#: Seconds between our ``{"op": "ping"}`` messages (the documentation states no interval; the session's watchdog
#: declares a stream stale after 10 s without a message, so a pong every 4 s keeps a healthy one alive).
PING_INTERVAL_S = 4.0
OPEN_TIMEOUT_S = 10.0
CLOSE_TIMEOUT_S = 2.0
#: The error code of a refused authentication.
WS_AUTH_FAILED = "600010"


@dataclass(frozen=True, slots=True)
class Subscribed:
    """``{"event": "subscribe"|"unsubscribe", "success": true, "args": [{"channel": ..., "symbol": ...}]}``."""

    event: str
    channel: str
    symbol: str | None
    success: bool


@dataclass(frozen=True, slots=True)
class Pong:
    """``{"op": "pong", "timestamp": <ns>}``."""

    timestamp_ns: int | None


@dataclass(frozen=True, slots=True)
class WsError:
    """``{"event": "error", "code": "600010", "msg": "Authentication failed"}``."""

    code: str
    msg: str


@dataclass(frozen=True, slots=True)
class AccountMessage:
    """A ``balance`` or ``position`` account message; ``data`` as received."""

    type: str
    data: Any


@dataclass(frozen=True, slots=True)
class MarketMessage:
    """A market-data message: ``channel`` (``level1``, ``depth``, ``trade``, ``ticker``), ``symbol``, ``kind``
    (``snapshot``/``delta``), ``data`` as received (decimal strings)."""

    channel: str
    symbol: str
    kind: str
    data: dict[str, Any]


@dataclass(frozen=True, slots=True)
class BadFrame:
    """A frame that could not be read (``reason``), ``raw`` cut to 200 characters; ``maybe_order``: it may have been
    an order update (not JSON at all, or ``"type": "order"``)."""

    reason: str
    raw: str
    maybe_order: bool


WsMessage = Subscribed | Pong | WsError | AccountMessage | MarketMessage | OrderUpdate | BadFrame


def _bad(reason: str, raw: str, maybe_order: bool) -> BadFrame:
    log.warning("Roxom WebSocket: bad frame (%s): %s", reason, raw[:200])
    return BadFrame(reason, raw[:200], maybe_order)


def parse_frame(raw: str) -> WsMessage:
    """One text frame as a typed message; a frame that cannot be read is a ``BadFrame`` (logged)."""
    try:
        message = json.loads(raw)
    except ValueError:
        return _bad("invalid JSON", raw, True)
    if not isinstance(message, dict):
        return _bad("not a JSON object", raw, True)
    kind = message.get("type")
    if kind == "order":
        try:
            return OrderUpdate.model_validate(message.get("data"))
        except ValidationError as exc:
            return _bad(f"order update: {exc.errors()[0].get('msg', 'invalid')}", raw, True)
    if message.get("op") == "pong":
        timestamp = message.get("timestamp")
        return Pong(timestamp if isinstance(timestamp, int) else None)
    event = message.get("event")
    if event == "error":
        return WsError(str(message.get("code", "")), str(message.get("msg", "")))
    if event in ("subscribe", "unsubscribe"):
        args = message.get("args")
        arg = args[0] if isinstance(args, list) and args and isinstance(args[0], dict) else {}
        return Subscribed(event, str(arg.get("channel", "")), arg.get("symbol"), message.get("success") is True)
    if kind in ("balance", "position", "positions", "account"):
        return AccountMessage(kind, message.get("data"))
    topic = message.get("topic")
    if isinstance(topic, str) and "." in topic and isinstance(message.get("data"), dict):
        channel, _, symbol = topic.partition(".")
        return MarketMessage(channel, symbol, str(kind or ""), message["data"])
    return _bad("unknown message", raw, False)


class RoxomWsConnection:
    """One open WebSocket connection (pings in the background while open).

    Args:
        ws: the open connection.
        ping_interval_s: seconds between ``{"op": "ping"}`` messages (0: none).
    """

    def __init__(self, ws: ClientConnection, ping_interval_s: float = PING_INTERVAL_S) -> None:
        self.ws = ws
        self._pinger: asyncio.Task[None] | None = None
        if ping_interval_s > 0:
            self._pinger = asyncio.get_running_loop().create_task(self._ping_loop(ping_interval_s))

    async def _ping_loop(self, interval_s: float) -> None:
        with contextlib.suppress(ConnectionClosed, WebSocketException, OSError):
            while True:
                await asyncio.sleep(interval_s)
                await self.ws.send('{"op":"ping"}')

    async def send_json(self, message: dict[str, Any]) -> None:
        """Send one client message.

        Raises:
            StreamClosed: the connection is closed.
        """
        try:
            await self.ws.send(json.dumps(message, separators=(",", ":")))
        except ConnectionClosed as exc:
            raise self._closed(exc) from exc

    async def subscribe(self, channel: str, symbol: str | None = None) -> None:
        """Send ``{"op": "subscribe", "args": [{"channel": channel[, "symbol": symbol]}]}``."""
        arg: dict[str, str] = {"channel": channel}
        if symbol is not None:
            arg["symbol"] = symbol
        await self.send_json({"op": "subscribe", "args": [arg]})

    @staticmethod
    def _closed(exc: ConnectionClosed) -> StreamClosed:
        code = exc.rcvd.code if exc.rcvd is not None else 1006
        reason = exc.rcvd.reason if exc.rcvd is not None else ""
        return StreamClosed(code, reason)

    async def recv(self) -> WsMessage:
        """The next message.

        Raises:
            StreamClosed: the connection closed (``code`` 1006 without a close frame).
        """
        try:
            frame = await self.ws.recv()
        except ConnectionClosed as exc:
            self._stop_pinger()
            raise self._closed(exc) from exc
        if isinstance(frame, bytes):
            return _bad("binary frame", repr(frame[:200]), True)
        return parse_frame(frame)

    def _stop_pinger(self) -> None:
        if self._pinger is not None:
            self._pinger.cancel()
            self._pinger = None

    def abort(self) -> None:
        """Drop the TCP connection without a closing handshake."""
        self._stop_pinger()
        transport = self.ws.transport
        if transport is not None:
            transport.abort()

    async def close(self) -> None:
        """Close normally (bounded wait for the closing handshake)."""
        self._stop_pinger()
        with contextlib.suppress(Exception):
            await self.ws.close()


class RoxomWsClient:
    """Opens signed WebSocket connections.

    Args:
        ws_url: e.g. ``"wss://ws.roxom.com/ws"`` or the local venue's ``ws://127.0.0.1:PORT/ws``.
        signer: signs the handshake (None: a public connection, market data only).
        ping_interval_s: see ``RoxomWsConnection``.
    """

    def __init__(self, ws_url: str, signer: RoxomSigner | None, *, ping_interval_s: float = PING_INTERVAL_S,
                 open_timeout_s: float = OPEN_TIMEOUT_S) -> None:
        self.ws_url = ws_url
        self.signer = signer
        self.ping_interval_s = ping_interval_s
        self.open_timeout_s = open_timeout_s

    def __repr__(self) -> str:
        return f"RoxomWsClient({self.ws_url!r}, signer={self.signer!r})"

    async def connect(self) -> RoxomWsConnection:
        """Open a connection (a fresh signature per handshake).

        Raises:
            AuthenticationError: the upgrade was refused with 401 (other statuses: their ``ApiError``).
            TransportError: the connection failed or timed out.
        """
        headers = self.signer.ws_headers() if self.signer is not None else None
        try:
            ws = await ws_connect(self.ws_url, additional_headers=headers, open_timeout=self.open_timeout_s,
                                  close_timeout=CLOSE_TIMEOUT_S, ping_interval=None, max_size=1 << 22)
        except InvalidStatus as exc:
            response = exc.response
            body = (response.body or b"").decode(errors="replace")
            raise error_from_roxom_answer(response.status_code, body) from exc
        except TimeoutError as exc:
            raise TransportError(f"WebSocket: no upgrade within {self.open_timeout_s} s") from exc
        except (OSError, WebSocketException) as exc:
            raise TransportError(f"WebSocket: {network_cause(exc)}") from exc
        return RoxomWsConnection(ws, self.ping_interval_s)
