"""The local exchange's HTTP + WebSocket server: Gemini's REST endpoints and order events on one loopback port.

Built on ``aiohttp.web`` and run in the caller's asyncio loop. It speaks Gemini's wire protocol: private REST
(auth: https://docs.gemini.com/websocket/overview/requests/private-api; endpoints: https://docs.gemini.com/rest/orders
and https://docs.gemini.com/rest/fund-management), public REST (https://docs.gemini.com/rest/market-data) and the order
events WebSocket (https://docs.gemini.com/websocket/archived/order-events). All business rules live in the synchronous
:class:`~console.exchange.engine.MatchingEngine`; this module checks the HTTP request (auth, roles, field presence
and JSON types), calls the engine, and turns its ``ExchangeError`` into Gemini's error body
``{"result": "error", "reason": ..., "message": ...}`` with the error's HTTP status
(https://docs.gemini.com/rest/error-codes).

Behaviours the documentation leaves open are decided by the ``CHOICE`` comments (one place each) in this module and
its parts: :mod:`console.exchange.server.private` (private REST), :mod:`console.exchange.server.public` (public REST),
:mod:`console.exchange.server.events` (order events WebSocket) and :mod:`console.exchange.server.payload` (field
checks and error bodies). This module wires them into :class:`ExchangeServer`: construction, start/stop, routes and
the error middleware.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from aiohttp import WSCloseCode, web
from pydantic import SecretStr

from console.exchange.auth import expire_heartbeat_sessions
from console.exchange.engine import ExchangeError, MatchingEngine
from console.exchange.faults import FaultPlan
from console.exchange.keys import (
    DEMO_BALANCES,
    DEMO_SECONDARY_ACCOUNT_NAME,
    DEMO_SECONDARY_BALANCES,
    TRADER,
    ApiKey,
    KeyStore,
    demo_keys,
    demo_master_key,
)
from console.exchange.server.events import (
    DEFAULT_WS_QUEUE_SIZE,
    ORDER_EVENTS_PATH,
    OrderEventsMixin,
    _OrderEventsConnection,
)
from console.exchange.server.market_data import MARKET_DATA_PATH, TICKER_V2_PATH, MarketDataHub
from console.exchange.server.payload import ORDER_NEW_REQUIRED, _error_response, _not_found, error_body
from console.exchange.server.private import PrivateEndpointsMixin
from console.exchange.server.public import PublicEndpointsMixin
from console.exchange.server.ws_api import WS_API_PATH, WsApiHub
from console.util.clock import wall_clock_ms

__all__ = ["DEMO_ACCOUNT_NAME", "ORDER_EVENTS_PATH", "ORDER_NEW_REQUIRED", "ExchangeServer", "error_body"]

log = logging.getLogger(__name__)

DEMO_ACCOUNT_NAME = "primary"

# How often the "Require Heartbeat" timers are checked (seconds).
SESSION_CHECK_INTERVAL_S = 1.0


# -- the server -------------------------------------------------------------------------------------------------------


class ExchangeServer(PrivateEndpointsMixin, PublicEndpointsMixin, OrderEventsMixin):
    """A Gemini-compatible exchange on one loopback port: private/public REST and order events WebSocket.

    Example::

        server = ExchangeServer(port=0, simulator=False)
        await server.start()
        print(server.rest_url, server.ws_url + "/v1/order/events")
        ...
        await server.stop()

    Args:
        host: interface to bind; loopback by default (the demo keys are public: never expose this server).
        port: TCP port; 0 picks a free one (read it back from :attr:`rest_url`).
        engine: the matching engine; a fresh :class:`MatchingEngine` (sharing ``clock_ms``) when None. The demo
            account ``"primary"`` with :data:`~console.exchange.keys.DEMO_BALANCES` is added to it either way.
        keystore: the API keys table; when None, the demo Trader and Auditor keys on the demo account.
        api_keys: extra keys added to the keystore (a key with the same public string replaces the existing one).
        simulator: run the market maker (:class:`~console.exchange.liquidity.MarketSimulator`) while serving.
        seed: the simulator's random seed.
        simulated_symbols: the symbols the simulator quotes (any case); None for
            :data:`~console.exchange.symbols.SIMULATED_SYMBOLS`. Every other listed symbol is a quiet book.
        heartbeat_interval_s: order events heartbeat period, seconds (Gemini: 5 s).
        mid_interval_s: period of the simulator's mid-price steps, seconds.
        flow_interval_s: period of the simulator's order-flow steps, seconds.
        clock_ms: server clock in Unix ms (time-based nonces, heartbeat expiry, heartbeats); injectable for tests.
        ws_queue_size: messages an order events client may fall behind before it is closed with 1011.
        session_check_interval_s: period of the "Require Heartbeat" expiry check, seconds.
        marketdata_heartbeat_interval_s: heartbeat period of the market data WebSocket v2, seconds.
        faults: the fault plan consulted by REST, order events and the clock (:mod:`console.exchange.faults`);
            a fresh, empty one when None. Reachable as :attr:`faults`.
        opening_trades: give every market that has not traded an opening trade at its seeded mid at once, so
            ``last`` is a price from the first second (engine CHOICES 26); False leaves ``last`` null until the
            first trade (tests whose prices sit far from the seeded mids).
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        engine: MatchingEngine | None = None,
        keystore: KeyStore | None = None,
        api_keys: Iterable[ApiKey] | None = None,
        simulator: bool = True,
        seed: int = 7,
        simulated_symbols: Iterable[str] | None = None,
        heartbeat_interval_s: float = 5.0,
        mid_interval_s: float = 1.0,
        flow_interval_s: float = 0.7,
        clock_ms: Callable[[], int] | None = None,
        ws_queue_size: int = DEFAULT_WS_QUEUE_SIZE,
        session_check_interval_s: float = SESSION_CHECK_INTERVAL_S,
        marketdata_heartbeat_interval_s: float = 5.0,
        faults: FaultPlan | None = None,
        opening_trades: bool = True,
    ) -> None:
        self._host = host
        self._port = port
        self.faults = faults if faults is not None else FaultPlan()
        self.faults.attach(self.order_events_connections)
        base_clock_ms: Callable[[], int] = clock_ms or wall_clock_ms
        self._clock_ms: Callable[[], int] = lambda: base_clock_ms() + self.faults.skew_ms
        if engine is None:
            engine = MatchingEngine(clock_ms=self._clock_ms)
        self._engine = engine
        self._demo_account_id = engine.add_account(DEMO_ACCOUNT_NAME, DEMO_BALANCES)
        self._secondary_account_id = engine.add_account(DEMO_SECONDARY_ACCOUNT_NAME, DEMO_SECONDARY_BALANCES)
        self._account_names = {
            self._demo_account_id: DEMO_ACCOUNT_NAME,
            self._secondary_account_id: DEMO_SECONDARY_ACCOUNT_NAME,
        }
        if opening_trades:
            engine.open_markets()
        if keystore is None:
            master = demo_master_key(
                {DEMO_ACCOUNT_NAME: self._demo_account_id, DEMO_SECONDARY_ACCOUNT_NAME: self._secondary_account_id}
            )
            keystore = KeyStore([*demo_keys(self._demo_account_id), master])
        self._keystore = keystore
        for key in api_keys or ():
            self._keystore.add(key)
        self._simulator_enabled = simulator
        self._seed = seed
        self._simulated_symbols = None if simulated_symbols is None else tuple(simulated_symbols)
        self._heartbeat_interval_s = heartbeat_interval_s
        self._mid_interval_s = mid_interval_s
        self._flow_interval_s = flow_interval_s
        self._ws_queue_size = ws_queue_size
        self._session_check_interval_s = session_check_interval_s

        self._simulator: Any = None
        self._sim_running = asyncio.Event()
        self._sim_running.set()
        self._background: list[asyncio.Task[None]] = []
        self._connections: dict[int, set[_OrderEventsConnection]] = {}
        self._runner: web.AppRunner | None = None
        self._bound_port: int | None = None
        self._listening = False
        self._marketdata = MarketDataHub(
            engine, clock_ms=self._clock_ms, heartbeat_interval_s=marketdata_heartbeat_interval_s
        )
        self._ws_api = WsApiHub(engine, self._keystore, clock_ms=self._clock_ms, faults=self.faults)

    # -- properties --------------------------------------------------------------------------------------------------

    @property
    def engine(self) -> MatchingEngine:
        """The matching engine behind the server (tests may call it directly from the server's loop)."""
        return self._engine

    @property
    def secondary_account_id(self) -> int:
        """The engine account id of the demo master key's second sub-account ``"secondary"``."""
        return self._secondary_account_id

    @property
    def marketdata(self) -> MarketDataHub:
        """The market data WebSocket v2 publisher (``/v2/marketdata``; tests use its fault hooks)."""
        return self._marketdata

    @property
    def ws_api(self) -> WsApiHub:
        """The new WebSocket API (``/ws``; tests change its ``rate_limits`` or drop its sockets)."""
        return self._ws_api

    @property
    def ws_api_url(self) -> str:
        """URL of the new WebSocket API, e.g. ``"ws://127.0.0.1:8787/ws"``
        (Gemini: ``wss://ws.gemini.com``, https://docs.gemini.com/websocket/introduction)."""
        return f"{self.ws_url}{WS_API_PATH}"

    @property
    def keystore(self) -> KeyStore:
        """The API keys table."""
        return self._keystore

    @property
    def demo_account_id(self) -> int:
        """The engine account id of the demo account ``"primary"``."""
        return self._demo_account_id

    @property
    def port(self) -> int:
        """The bound TCP port.

        Raises:
            RuntimeError: before :meth:`start`.
        """
        if self._bound_port is None:
            raise RuntimeError("the exchange server is not started")
        return self._bound_port

    @property
    def rest_url(self) -> str:
        """Base URL of the REST API, e.g. ``"http://127.0.0.1:8787"`` (no trailing slash)."""
        return f"http://{self._url_host()}:{self.port}"

    @property
    def ws_url(self) -> str:
        """Base URL of the WebSockets, e.g. ``"ws://127.0.0.1:8787"``; order events are at ``/v1/order/events``."""
        return f"ws://{self._url_host()}:{self.port}"

    def _url_host(self) -> str:
        return f"[{self._host}]" if ":" in self._host else self._host

    # -- keys --------------------------------------------------------------------------------------------------------

    def add_api_key(
        self,
        key: str,
        secret: str | SecretStr,
        *,
        roles: Iterable[str] = (TRADER,),
        account_id: int | None = None,
        require_heartbeat: bool = False,
        time_based_nonce: bool = False,
    ) -> ApiKey:
        """Add (or replace) an API key, on the demo account unless ``account_id`` is given.

        Returns:
            The stored :class:`ApiKey`.
        """
        api_key = ApiKey(
            key=key,
            secret=secret if isinstance(secret, SecretStr) else SecretStr(secret),
            account_id=self._demo_account_id if account_id is None else account_id,
            roles=frozenset(roles),
            require_heartbeat=require_heartbeat,
            time_based_nonce=time_based_nonce,
        )
        self._keystore.add(api_key)
        return api_key

    # -- lifecycle ---------------------------------------------------------------------------------------------------

    async def start(self) -> None:
        """Bind the port and start serving (and the simulator, if enabled).

        Raises:
            OSError: if the address cannot be bound (e.g. the port is in use).
            RuntimeError: if already started.
        """
        if self._runner is not None:
            raise RuntimeError("the exchange server is already started")
        app = web.Application(middlewares=[self.faults.middleware, self._error_middleware])
        self._add_routes(app)
        self.faults.add_routes(app)
        runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=2.0)
        await runner.setup()
        site = web.TCPSite(runner, self._host, self._port)
        try:
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        self._bound_port = int(runner.addresses[0][1])
        self._engine.add_listener(self._on_engine_events)
        self._marketdata.start()
        self._ws_api.start()
        self._listening = True
        loop = asyncio.get_running_loop()
        if self._simulator_enabled:
            try:
                from console.exchange.liquidity import MarketSimulator  # imported only when used

                self._simulator = MarketSimulator(self._engine, seed=self._seed, symbols=self._simulated_symbols)
                self._simulator.start_quotes()
            except BaseException:
                await self.stop()
                raise
            self._background.append(loop.create_task(self._every(self._mid_interval_s, self._simulator.step_mid)))
            self._background.append(loop.create_task(self._every(self._flow_interval_s, self._simulator.step_flow)))
        self._background.append(
            loop.create_task(self._every(self._session_check_interval_s, self.expire_heartbeat_sessions, sim=False))
        )
        log.info("local exchange listening on %s (order events at %s%s)", self.rest_url, self.ws_url, ORDER_EVENTS_PATH)

    async def stop(self) -> None:
        """Stop the simulator, close every order events socket (1001 going away) and the listening port.

        Safe to call twice or before :meth:`start`.
        """
        tasks, self._background = self._background, []
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self._listening:
            self._engine.remove_listener(self._on_engine_events)
            await self._marketdata.stop()
            await self._ws_api.stop()
            self._listening = False
        for conn in self.order_events_connections():
            with contextlib.suppress(Exception):
                await conn.ws.close(code=WSCloseCode.GOING_AWAY, message=b"server shutting down")
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()
            log.info("local exchange on port %s stopped", self._bound_port)

    def order_events_connections(self) -> list[_OrderEventsConnection]:
        """Every open order-events socket, of every account (a copy: closing one does not disturb the list)."""
        return [conn for conns in self._connections.values() for conn in conns]

    async def __aenter__(self) -> ExchangeServer:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    # -- simulator ---------------------------------------------------------------------------------------------------

    def pause_simulation(self) -> None:
        """Pause the simulator's mid and flow steps (its resting quotes stay on the book)."""
        self._sim_running.clear()

    def resume_simulation(self) -> None:
        """Resume the simulator's steps after :meth:`pause_simulation`."""
        self._sim_running.set()

    async def _every(self, interval_s: float, step: Callable[[], object], *, sim: bool = True) -> None:
        """Call ``step`` every ``interval_s`` seconds until cancelled; log and survive its errors."""
        while True:
            await asyncio.sleep(interval_s)
            if sim:
                await self._sim_running.wait()
            try:
                step()
            except Exception:
                log.exception("background step %s failed", getattr(step, "__qualname__", step))

    def expire_heartbeat_sessions(self) -> dict[str, dict[str, list[int]]]:
        """Cancel the orders of "Require Heartbeat" keys silent for 30 s by the server clock
        (https://developer.gemini.com/authentication/api-key).

        Runs every ``session_check_interval_s`` while serving; tests with an injected clock call it directly.

        Returns:
            ``{api_key: {"cancelledOrders": [...], "cancelRejects": [...]}}`` for the keys that expired now.
        """
        return expire_heartbeat_sessions(self._keystore, self._engine, self._clock_ms())

    # -- routing and errors ------------------------------------------------------------------------------------------

    def _add_routes(self, app: web.Application) -> None:
        private: dict[str, Callable[[ApiKey, dict[str, Any]], object]] = {
            "/v1/order/new": self._order_new,
            "/v1/order/cancel": self._order_cancel,
            "/v1/order/cancel/all": self._order_cancel_all,
            "/v1/order/cancel/session": self._order_cancel_session,
            "/v1/order/status": self._order_status,
            "/v1/orders": self._orders,
            "/v1/balances": self._balances,
            "/v1/heartbeat": self._heartbeat,
            "/v1/mytrades": self._mytrades,
            "/v1/orders/history": self._orders_history,
            "/v1/tradevolume": self._tradevolume,
            "/v1/notionalvolume": self._notionalvolume,
        }
        for path, handler in private.items():
            app.router.add_post(path, self._private_route(handler))
        app.router.add_post("/v1/wrap/{symbol}", self._wrap)
        app.router.add_get("/v1/symbols", self._symbols, allow_head=False)
        app.router.add_get("/v1/symbols/details/{symbol}", self._symbol_details, allow_head=False)
        app.router.add_get("/v1/pubticker/{symbol}", self._pubticker, allow_head=False)
        app.router.add_get("/v1/book/{symbol}", self._book, allow_head=False)
        app.router.add_get("/v1/trades/{symbol}", self._trades, allow_head=False)
        app.router.add_get(ORDER_EVENTS_PATH, self._order_events, allow_head=False)
        app.router.add_get(MARKET_DATA_PATH, self._marketdata.handle, allow_head=False)
        app.router.add_get(TICKER_V2_PATH, self._marketdata.ticker_v2, allow_head=False)
        app.router.add_get(WS_API_PATH, self._ws_api.handle, allow_head=False)

    @web.middleware
    async def _error_middleware(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        """Turn every failure into Gemini's error body (https://docs.gemini.com/rest/error-codes)."""
        try:
            return await handler(request)
        except ExchangeError as exc:
            return _error_response(getattr(exc, "status", 400), exc.reason, exc.message)
        except web.HTTPException as exc:
            # CHOICE: a known path with the wrong method is answered like an unknown one (404 EndpointNotFound):
            # Gemini's error codes list no 405, and for a Gemini client both mean "no such entry point".
            if exc.status in (404, 405):
                return _not_found(request.path)
            if exc.status < 400:
                raise
            reason = "System" if exc.status >= 500 else "InvalidJson"
            return _error_response(exc.status, reason, exc.reason)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("unhandled error in %s %s", request.method, request.path)
            return _error_response(500, "System", "Technical issues: see the local exchange's log")
