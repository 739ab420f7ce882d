"""The local Roxom venue's server: Roxom's REST API and WebSocket on one loopback port (aiohttp), RSA-signed.

Endpoints (https://docs.roxom.com/reference/api-reference/...): ``POST /api/v1/orders``, ``GET /api/v1/orders``,
``GET /api/v1/orders/{orderId}``, ``POST /api/v1/orders/{orderId}/cancel``, ``POST /api/v1/orders/cancel-all``,
``GET /api/v1/market/instruments``, ``GET /api/v1/orderbook/snapshot``, ``GET /api/v1/accounts/balance``,
``GET /api/v1/positions``, ``GET /api/v1/accounts/transaction-log``; the WebSocket ``/ws``
(https://docs.roxom.com/reference/websockets/overview) with a signed handshake, ``subscribe``/``unsubscribe``, the
account messages pushed to every authenticated connection and ``level1``/``depth``/``trade``/``ticker``.

Auth (https://docs.roxom.com/reference/authentication) is verified here independently of the client's signing code:
``X-API-Key`` names a key, ``X-API-Signature`` must be the base64 RSA signature over SHA-256 of
``METHOD:path[?query][:key=value&... sorted]`` (RSASSA-PKCS1-v1_5 by default; ``padding`` and ``body_encoding``
switch to the alternatives the client's settings offer). A cancel answers at once with the order in ``pendingcancel``; a
cancel worker completes it ``cancel_latency_s`` later, one at a time with ``cancel_service_s`` between completions,
so under a burst of cancels they stay pending longer: fills that arrive in between are real fills. Every choice where
the documentation is open is listed in docs/local-roxom.md.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

from aiohttp import WSCloseCode, web
from cryptography.hazmat.primitives.asymmetric import rsa

from console.exchange.roxom.connection import _Connection
from console.exchange.roxom.engine import RoxomEngine
from console.exchange.roxom.faults import RoxomFaults
from console.exchange.roxom.instruments import DEFAULT_INSTRUMENTS, Instrument
from console.exchange.roxom.keys import ApiKey, KeyTable, default_state_dir, ensure_demo_key, key_id_for
from console.exchange.roxom.market_maker import MarketMaker
from console.exchange.roxom.rest import _RestMixin
from console.exchange.roxom.streams import _StreamsMixin
from console.venues.roxom.auth import BodyEncoding, Padding

__all__ = ["DEMO_ACCOUNT_NAME", "DEMO_BALANCE_BTC", "RoxomServer"]

log = logging.getLogger(__name__)

DEMO_ACCOUNT_NAME = "primary"
DEMO_BALANCE_BTC = Decimal(5)


class RoxomServer(_RestMixin, _StreamsMixin):
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
        padding / body_encoding: the signing choices the venue verifies (the points Roxom's documentation leaves
            open; the client's ``[roxom]`` settings must match, else every signed request is 401 Invalid Signature).

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
        padding: Padding = Padding.PKCS1V15,
        body_encoding: BodyEncoding = BodyEncoding.KEY_VALUE,
    ) -> None:
        self.padding = padding
        self.body_encoding = body_encoding
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
