"""The local Roxom venue's server: Roxom's REST API and WebSocket on one loopback port (aiohttp), RSA-signed.

Endpoints (https://docs.roxom.com/reference/api-reference/...): ``POST /api/v1/orders``, ``GET /api/v1/orders``,
``GET /api/v1/orders/{orderId}``, ``POST /api/v1/orders/{orderId}/cancel``, ``POST /api/v1/orders/cancel-all``,
``GET /api/v1/market/instruments``, ``GET /api/v1/orderbook/snapshot``, ``GET /api/v1/accounts/balance``,
``GET /api/v1/positions``, ``GET /api/v1/accounts/transaction-log``; the WebSocket ``/ws``
(https://docs.roxom.com/reference/websockets/overview) with a signed handshake, ``subscribe``/``unsubscribe``, the
account messages pushed to every authenticated connection and ``level1``/``depth``/``trade``/``ticker``.

Auth (https://docs.roxom.com/reference/authentication) is verified here independently of the client's signing code:
``X-API-Key`` names a key, ``X-API-Signature`` must be the base64 RSASSA-PKCS1-v1_5 signature over SHA-256 of
``METHOD:path[?query][:key=value&... sorted]``. A cancel answers at once with the order in ``pendingcancel``; a
cancel worker completes it ``cancel_latency_s`` later, one at a time with ``cancel_service_s`` between completions,
so under a burst of cancels they stay pending longer: fills that arrive in between are real fills. Every choice where
the documentation is open is listed in docs/local-roxom.md.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import json
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from aiohttp import WSCloseCode, WSMsgType, web
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from uuid_utils import uuid7

from console.exchange.roxom.engine import RoxomEngine, RoxomError, TradeTick, to_unit
from console.exchange.roxom.faults import RoxomFaults
from console.exchange.roxom.instruments import DEFAULT_INSTRUMENTS, Instrument
from console.exchange.roxom.keys import ApiKey, KeyTable, default_state_dir, ensure_demo_key, key_id_for
from console.exchange.roxom.market_maker import MarketMaker
from console.exchange.roxom.wire import (
    error_body,
    fill_wire,
    log_wire,
    ok,
    order_wire,
    parse_order_request,
    parse_unit,
)

__all__ = ["DEMO_ACCOUNT_NAME", "DEMO_BALANCE_BTC", "RoxomServer"]

log = logging.getLogger(__name__)

DEMO_ACCOUNT_NAME = "primary"
DEMO_BALANCE_BTC = Decimal(5)
#: Depth levels of the ``depth`` channel and the default of the book snapshot (documented default 20, max 100).
DEPTH_LEVELS = 20
MAX_BOOK_LEVELS = 100
#: Transaction log ``limit``: 1..1000, default 100 (documented).
LOG_LIMIT_DEFAULT = 100
LOG_LIMIT_MAX = 1000
#: CHOICE: at most this many subscriptions per connection (error 60016 past it; the number is not documented).
MAX_SUBSCRIPTIONS = 50
#: Messages a WebSocket client may fall behind before it is closed with 1011.
WS_QUEUE_SIZE = 4096
PUBLIC_CHANNELS = frozenset({"level1", "depth", "trade", "ticker"})
PRIVATE_CHANNELS = frozenset({"orders", "balance", "positions", "account"})

# WebSocket error codes (https://docs.roxom.com/reference/websockets/overview).
WS_AUTH_FAILED = "600010"
WS_BAD_CHANNEL = "60014"
WS_BAD_SYMBOL = "60015"
WS_SUBSCRIPTION_LIMIT = "60016"
WS_PARSE_ERROR = "60017"
WS_BINARY = "60018"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _json(data: Any, status: int = 200) -> web.Response:
    return web.json_response(data, status=status, dumps=lambda o: json.dumps(o, separators=(",", ":")))


def _error(status: int, message: str, details: str | None = None) -> web.Response:
    return _json(error_body(status, message, details), status)


def canonical_params(body: Mapping[str, Any]) -> str:
    """The server's reading of the signed body part: sorted ``key=value`` joined by ``&``, nulls omitted, values
    as JSON text (strings unquoted). Kept apart from the client's signing code on purpose: two readings that must
    agree catch a mistake one of them would hide."""
    parts = []
    for key in sorted(body):
        value = body[key]
        if value is None:
            continue
        text = value if isinstance(value, str) else json.dumps(value, separators=(",", ":"), sort_keys=True)
        parts.append(f"{key}={text}")
    return "&".join(parts)


@dataclass(eq=False)
class _Connection:
    """One WebSocket connection: its account (None when unauthenticated), subscriptions and send queue."""

    conn_id: str
    account_id: int | None
    ws: web.WebSocketResponse
    request: web.Request
    stalled: Callable[[], bool]
    queue: asyncio.Queue[dict[str, Any] | None] = field(default_factory=lambda: asyncio.Queue(WS_QUEUE_SIZE))
    subscriptions: set[tuple[str, str | None]] = field(default_factory=set)
    closed: bool = False

    def send(self, message: dict[str, Any]) -> None:
        if self.closed or self.stalled():
            return  # a stall-stream fault loses the message, as a silent network would
        try:
            self.queue.put_nowait(message)
        except asyncio.QueueFull:
            self.closed = True  # the writer sees None next and closes with 1011
            with contextlib.suppress(asyncio.QueueFull):
                self.queue.get_nowait()
                self.queue.put_nowait(None)


class RoxomServer:
    """A Roxom-compatible venue on one loopback port.

    Example::

        server = RoxomServer(port=0, simulator=False, state_dir=tmp_path)
        await server.start()
        print(server.rest_url, server.ws_url, server.api_key, server.private_key_path)
        await server.stop()

    Args:
        host / port: where to listen (port 0 picks a free one).
        simulator: run the seeded market maker and taker flow.
        seed: the simulator's seed.
        state_dir: where the demo private key lives (:func:`~console.exchange.roxom.keys.default_state_dir`).
        cancel_latency_s: how long a cancel stays ``pendingcancel`` before it completes, seconds.
        cancel_service_s: time the cancel worker spends per completed cancel (a burst queues behind it), seconds.
        ws_ping_interval_s: WebSocket protocol ping period; a client that does not answer is closed.
        step_interval_s: the simulator's step period, seconds.
        expiry_interval_s: how often GTD orders are checked against their ``cancelAt``, seconds.
        instruments: the listed instruments.
        clock_ns: the venue's clock in ns since the epoch.

    Attributes:
        faults: the fault plan (:mod:`console.exchange.roxom.faults`), also at ``/_faults`` on the same port.
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        simulator: bool = True,
        seed: int = 7,
        state_dir: Path | None = None,
        cancel_latency_s: float = 0.1,
        cancel_service_s: float = 0.002,
        ws_ping_interval_s: float = 15.0,
        step_interval_s: float = 1.0,
        expiry_interval_s: float = 0.05,
        instruments: Mapping[str, Instrument] = DEFAULT_INSTRUMENTS,
        clock_ns: Callable[[], int] = time.time_ns,
    ) -> None:
        self._host = host
        self._port = port
        self._state_dir = state_dir if state_dir is not None else default_state_dir()
        self.cancel_latency_s = cancel_latency_s
        self.cancel_service_s = cancel_service_s
        self._ws_ping_interval_s = ws_ping_interval_s
        self._step_interval_s = step_interval_s
        self._expiry_interval_s = expiry_interval_s
        self._clock_ns = clock_ns
        self.engine = RoxomEngine(instruments, clock_ns=clock_ns)
        self.demo_account_id = self.engine.add_account(DEMO_ACCOUNT_NAME, DEMO_BALANCE_BTC)
        self.keys = KeyTable()
        self.market_maker = MarketMaker(self.engine, seed=seed) if simulator else None
        self._connections: set[_Connection] = set()
        self._cancels: asyncio.Queue[tuple[float, str]] = asyncio.Queue()
        self._tasks: list[asyncio.Task[None]] = []
        self._runner: web.AppRunner | None = None
        self._bound_port = 0
        self.api_key = ""
        self.private_key_path = self._state_dir
        self._level1: dict[str, tuple[Any, Any]] = {}
        self._depth: dict[str, dict[str, dict[str, str]]] = {}
        self.engine.add_listener(self._on_account_message)
        self.engine.add_market_listener(self._on_market)
        self.faults = RoxomFaults(self.close_streams)

    # -- lifecycle -------------------------------------------------------------------------------------------------

    @property
    def rest_url(self) -> str:
        """``http://127.0.0.1:<port>`` (REST paths start with ``/api/v1``)."""
        return f"http://{self._host}:{self._bound_port}"

    @property
    def ws_url(self) -> str:
        """``ws://127.0.0.1:<port>/ws``."""
        return f"ws://{self._host}:{self._bound_port}/ws"

    def add_key(self, public_key: rsa.RSAPublicKey, account_name: str, balance_btc: Decimal) -> ApiKey:
        """Open another account with its own key (tests: the other side of trades). Returns the key entry."""
        account_id = self.engine.add_account(account_name, balance_btc)
        return self.keys.add(public_key, account_id)

    async def start(self) -> None:
        """Make (or load) the demo key pair, then listen.

        Raises:
            KeyFileError: the demo key file exists but is unsafe or unreadable (the message says why).
            OSError: the port cannot be bound or the state directory cannot be written.
        """
        self.private_key_path, public_key = ensure_demo_key(self._state_dir)
        self.api_key = key_id_for(public_key)
        self.keys.add(public_key, self.demo_account_id)
        app = web.Application(middlewares=[self.faults.middleware, self._errors])
        self.faults.add_routes(app)
        routes = [
            web.post("/api/v1/orders", self._place),
            web.get("/api/v1/orders", self._list_orders),
            web.post("/api/v1/orders/cancel-all", self._cancel_all),
            web.get("/api/v1/orders/{orderId}", self._get_order),
            web.post("/api/v1/orders/{orderId}/cancel", self._cancel),
            web.get("/api/v1/market/instruments", self._instruments),
            web.get("/api/v1/orderbook/snapshot", self._orderbook),
            web.get("/api/v1/accounts/balance", self._balance),
            web.get("/api/v1/positions", self._positions),
            web.get("/api/v1/accounts/transaction-log", self._transaction_log),
            web.post("/_control/restriction", self._restriction),
            web.get("/ws", self._ws),
        ]
        app.add_routes(routes)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self._host, self._port)
        await site.start()
        self._bound_port = int(self._runner.addresses[0][1])  # port 0: the one the OS picked
        if self.market_maker is not None:
            self.market_maker.requote()
        self._tasks = [asyncio.create_task(self._cancel_worker()), asyncio.create_task(self._expiry_loop())]
        if self.market_maker is not None:
            self._tasks.append(asyncio.create_task(self._simulate()))

    async def stop(self) -> None:
        """Close every connection and stop listening."""
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for connection in list(self._connections):
            connection.closed = True
            with contextlib.suppress(asyncio.QueueFull):
                connection.queue.put_nowait(None)
        if self._runner is not None:
            await self._runner.cleanup()

    async def close_streams(self, abrupt: bool) -> int:
        """Close every WebSocket: with 1000, or (``abrupt``) by dropping the TCP connection. Returns how many."""
        connections = list(self._connections)
        for connection in connections:
            if abrupt:
                transport = connection.request.transport
                if transport is not None:
                    transport.abort()
            else:
                await connection.ws.close(code=WSCloseCode.OK, message=b"closed by the venue")
        return len(connections)

    async def _simulate(self) -> None:
        assert self.market_maker is not None
        while True:
            await asyncio.sleep(self._step_interval_s)
            self.market_maker.step()

    async def _expiry_loop(self) -> None:
        while True:
            await asyncio.sleep(self._expiry_interval_s)
            self.engine.expire(self._clock_ns() // 1_000_000)

    async def _cancel_worker(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            due, order_id = await self._cancels.get()
            delay = due - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            try:
                self.engine.complete_cancel(order_id)
            except Exception:  # one bad cancel must not stop every later one from completing
                log.exception("completing the cancel of order %s failed", order_id)
            if self.cancel_service_s > 0:
                await asyncio.sleep(self.cancel_service_s)

    def _queue_cancel(self, order_id: str) -> None:
        self._cancels.put_nowait((asyncio.get_running_loop().time() + self.cancel_latency_s, order_id))

    # -- auth and errors -------------------------------------------------------------------------------------------

    @web.middleware
    async def _errors(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            return await handler(request)
        except RoxomError as error:
            return _error(error.status, error.message, error.details)
        except web.HTTPNotFound:
            return _error(404, "Not found", f"no endpoint {request.method} {request.path}")
        except web.HTTPMethodNotAllowed:
            return _error(405, "Method not allowed", f"{request.method} {request.path}")

    def _verify(self, request: web.Request, body: Mapping[str, Any] | None) -> ApiKey:
        """Check the signed headers; returns the key. Raises RoxomError 401 (Missing API Key, Missing Signature,
        Invalid API Key, Invalid Signature)."""
        key_id = request.headers.get("X-API-Key")
        if not key_id:
            raise RoxomError(401, "Missing API Key", "send X-API-Key")
        signature_b64 = request.headers.get("X-API-Signature")
        if not signature_b64:
            raise RoxomError(401, "Missing Signature", "send X-API-Signature")
        key = self.keys.get(key_id)
        if key is None:
            raise RoxomError(401, "Invalid API Key", "unknown key id")
        # The path and query exactly as sent (percent-encoding kept): what the client had in hand when it signed.
        message = f"{request.method.upper()}:{request.rel_url.raw_path}"
        if request.rel_url.raw_query_string:
            message += f"?{request.rel_url.raw_query_string}"
        params = canonical_params(body) if body else ""
        if params:
            message += f":{params}"
        try:
            signature = base64.b64decode(signature_b64, validate=True)
            key.public_key.verify(signature, message.encode(), padding.PKCS1v15(), hashes.SHA256())
        except (InvalidSignature, binascii.Error, ValueError):
            raise RoxomError(401, "Invalid Signature", "the signature does not match the request") from None
        return key

    async def _body(self, request: web.Request) -> dict[str, Any]:
        raw = await request.read()
        if not raw.strip():
            return {}
        try:
            body = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            raise RoxomError(400, "Validation error", "the body is not valid JSON") from None
        if not isinstance(body, dict):
            raise RoxomError(400, "Validation error", "the body must be a JSON object")
        return body

    async def _authed(self, request: web.Request) -> tuple[ApiKey, dict[str, Any]]:
        """The caller's key and the JSON body; auth errors (401) come before the body's (400)."""
        try:
            body = await self._body(request)
        except RoxomError:
            self._verify(request, None)
            raise
        return self._verify(request, body), body

    # -- orders ----------------------------------------------------------------------------------------------------

    async def _place(self, request: web.Request) -> web.Response:
        key, body = await self._authed(request)
        order_request = parse_order_request(body)
        self.engine.validate(order_request)
        order = self.engine.place(key.account_id, order_request)
        return _json(ok({"orderId": order.id}))

    async def _list_orders(self, request: web.Request) -> web.Response:
        key, _ = await self._authed(request)
        query = request.query
        if query.get("instType") is None:
            raise RoxomError(400, "Validation error", "instType is required")
        if query["instType"] != "perpetual":
            raise RoxomError(400, "Validation error", "instType must be 'perpetual' on this venue")
        unit = parse_unit(query.get("unit"), "btc")
        symbol = query.get("symbol")
        include_closed = query.get("includeClosed", "false").lower() == "true"
        account = self.engine.account(key.account_id)
        orders = self.engine.orders(key.account_id, symbol=symbol, include_closed=include_closed)
        return _json(ok({"orders": [order_wire(o, account.account_uuid, unit) for o in orders]}))

    async def _get_order(self, request: web.Request) -> web.Response:
        key, _ = await self._authed(request)
        unit = parse_unit(request.query.get("unit"), "btc")
        order = self.engine.order(key.account_id, request.match_info["orderId"])
        account = self.engine.account(key.account_id)
        return _json(ok({
            "order": order_wire(order, account.account_uuid, unit),
            "fills": [fill_wire(f, unit) for f in order.fills],
        }))

    async def _cancel(self, request: web.Request) -> web.Response:
        key, _ = await self._authed(request)
        order = self.engine.request_cancel(key.account_id, request.match_info["orderId"])
        self._queue_cancel(order.id)
        return _json(ok({"success": True}))

    async def _cancel_all(self, request: web.Request) -> web.Response:
        key, _ = await self._authed(request)
        orders = self.engine.cancel_all_requests(key.account_id)
        for order in orders:
            self._queue_cancel(order.id)
        return _json(ok({"cancelledOrderIds": [o.id for o in orders]}))

    async def _restriction(self, request: web.Request) -> web.Response:
        """Local only: ``{"restricted": true}`` restricts the caller's account (its orders go ``inactive``)."""
        key, body = await self._authed(request)
        restricted = body.get("restricted")
        if not isinstance(restricted, bool):
            raise RoxomError(400, "Validation error", "restricted must be a boolean")
        self.engine.set_restricted(key.account_id, restricted)
        return _json(ok({"restricted": restricted}))

    # -- market data -----------------------------------------------------------------------------------------------

    async def _instruments(self, request: web.Request) -> web.Response:
        ids = self.engine.instrument_ids
        return _json(ok([spec.wire(ids[symbol]) for symbol, spec in self.engine.instruments.items()]))

    def _symbol(self, value: str | None) -> str:
        if value is None:
            raise RoxomError(400, "Validation error", "symbol is required")
        if value not in self.engine.instruments:
            raise RoxomError(400, "Market not available", f"unknown symbol {value!r}")
        return value

    async def _orderbook(self, request: web.Request) -> web.Response:
        query = request.query
        symbol = self._symbol(query.get("symbol"))
        unit = parse_unit(query.get("unit"), "btc")
        try:
            levels = int(query.get("levels", DEPTH_LEVELS))
        except ValueError:
            raise RoxomError(400, "Validation error", "levels must be an integer") from None
        if not 1 <= levels <= MAX_BOOK_LEVELS:
            raise RoxomError(400, "Validation error", f"levels must be within 1..{MAX_BOOK_LEVELS}")
        book = self.engine.book(symbol)

        def side(is_bid: bool) -> list[dict[str, str]]:
            total = Decimal(0)
            out = []
            for px, size in book.levels(is_bid, levels):
                total += px * size  # CHOICE: cumulative notional in the unit, best level first
                out.append({"price": to_unit(px, unit), "size": f"{size:.2f}", "total": to_unit(total, unit)})
            return out

        bid, ask = book.best_bid(), book.best_ask()
        return _json(ok({
            "instrumentId": self.engine.instrument_ids[symbol],
            "buys": side(True),
            "sells": side(False),
            "buySellVersus": {
                "buy": None if bid is None else to_unit(bid, unit),
                "sell": None if ask is None else to_unit(ask, unit),
            },
        }))

    # -- account ---------------------------------------------------------------------------------------------------

    async def _balance(self, request: web.Request) -> web.Response:
        key, _ = await self._authed(request)
        unit = parse_unit(request.query.get("unit"), "sats")
        account = self.engine.account(key.account_id)
        return _json(ok({
            "balances": [{
                "asset": "BTC",
                "assetClass": "crypto",
                "available": to_unit(self.engine.available(key.account_id), unit),
                "current": to_unit(account.balance, unit),
                "lockedInOrders": to_unit(self.engine.locked(key.account_id), unit),
            }],
            "unit": unit,
            "lastUpdated": self._clock_ns() // 1_000_000,
        }))

    async def _positions(self, request: web.Request) -> web.Response:
        key, _ = await self._authed(request)
        symbol = self._symbol(request.query.get("symbol"))
        unit = parse_unit(request.query.get("unit"), "sats")
        account = self.engine.account(key.account_id)
        position = account.positions.get(symbol)
        positions = []
        if position is not None and position.qty:
            positions.append(self.engine.position_wire(account, symbol, position, unit, self._clock_ns()))
        return _json(ok({"positions": positions}))

    async def _transaction_log(self, request: web.Request) -> web.Response:
        """Fills oldest first; ``cursor`` is opaque (CHOICE: the next entry's index); null on the last page."""
        key, _ = await self._authed(request)
        query = request.query
        unit = parse_unit(query.get("unit"), "sats")
        now_ms = self._clock_ns() // 1_000_000
        try:
            start = int(query.get("from", now_ms - 365 * 86_400_000))
            end = int(query.get("to", now_ms))
            limit = int(query.get("limit", LOG_LIMIT_DEFAULT))
        except ValueError:
            raise RoxomError(400, "Validation error", "from, to and limit must be integers") from None
        if not 1 <= limit <= LOG_LIMIT_MAX:
            raise RoxomError(400, "Validation error", f"limit must be within 1..{LOG_LIMIT_MAX}")
        cursor = query.get("cursor")
        offset = 0
        if cursor:
            try:
                offset = int(base64.urlsafe_b64decode(cursor.encode()).decode().removeprefix("log:"))
            except (ValueError, binascii.Error):
                raise RoxomError(400, "Validation error", "cursor is not one this venue gave") from None
        entries = [f for f in self.engine.account(key.account_id).log if start <= f.time_ms <= end]
        page = entries[offset : offset + limit]
        more = offset + limit < len(entries)
        next_cursor = base64.urlsafe_b64encode(f"log:{offset + limit}".encode()).decode() if more else None
        return _json(ok({"logs": [log_wire(f, unit) for f in page], "cursor": next_cursor}))

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
