"""The local exchange's HTTP + WebSocket server: Gemini's REST endpoints and order events on one loopback port.

Built on ``aiohttp.web`` and run in the caller's asyncio loop. It speaks Gemini's wire protocol: private REST
(auth: https://docs.gemini.com/websocket/overview/requests/private-api; endpoints: https://docs.gemini.com/rest/orders
and https://docs.gemini.com/rest/fund-management), public REST (https://docs.gemini.com/rest/market-data) and the order
events WebSocket (https://docs.gemini.com/websocket/archived/order-events). All business rules live in the synchronous
:class:`~console.exchange.engine.MatchingEngine`; this module checks the HTTP request (auth, roles, field presence
and JSON types), calls the engine, and turns its ``ExchangeError`` into Gemini's error body
``{"result": "error", "reason": ..., "message": ...}`` with the error's HTTP status
(https://docs.gemini.com/rest/error-codes).

Behaviours the documentation leaves open are decided by the ``CHOICE`` comments below (one place each).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import dataclasses
import json
import logging
import secrets
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from aiohttp import WSCloseCode, WSMsgType, web
from pydantic import SecretStr

from console.exchange.accounts import (
    DEMO_BALANCES,
    DEMO_SECONDARY_ACCOUNT_NAME,
    DEMO_SECONDARY_BALANCES,
    TRADER,
    ApiKey,
    KeyStore,
    demo_keys,
    demo_master_key,
)
from console.exchange.auth import expire_heartbeat_sessions, require_role, verify_private_request
from console.exchange.engine import ExchangeError, MatchingEngine
from console.exchange.faults import FaultPlan
from console.exchange.marketdata import MARKET_DATA_PATH, TICKER_V2_PATH, MarketDataHub

__all__ = ["DEMO_ACCOUNT_NAME", "ORDER_EVENTS_PATH", "ExchangeServer", "error_body"]

log = logging.getLogger(__name__)

ORDER_EVENTS_PATH = "/v1/order/events"
DEMO_ACCOUNT_NAME = "primary"

# CHOICE: endpoints a master key may not call even with an "account" (NotGroupApiCompatible,
# https://docs.gemini.com/rest/error-codes). Gemini says master keys do not support cancel-on-disconnect via
# heartbeat (https://developer.gemini.com/authentication/api-key), so /v1/heartbeat is the one such endpoint here;
# every other private endpoint is a single-account endpoint that takes "account". The role is checked before the
# account (MissingRole first), so an Auditor master key gets MissingRole there, as on any Trader-only endpoint.
MASTER_INCOMPATIBLE_PATHS = frozenset({"/v1/heartbeat"})
# CHOICE: a master key on the order events WebSocket without "account" streams every sub-account of its group, each
# event carrying `account_name` (https://docs.gemini.com/websocket/archived/order-events); with "account" it streams
# that sub-account only.

# CHOICE: the order events `heartbeat` query parameter defaults to true. The archived page says false, the
# event-types page says true (https://docs.gemini.com/websocket/order-events/event-types); the filtering page
# (https://docs.gemini.com/websocket/order-events/filtering) says heartbeats cannot be filtered out
# and the response page promises "heartbeats every five seconds", so true is the more consistent reading.
HEARTBEAT_DEFAULT = True

# CHOICE: when the account has no active orders (or the filters remove them all), no `initial` array is sent at
# all, rather than an empty `[]`: order events are "one or more event objects"
# (https://docs.gemini.com/websocket/order-events/response), so an empty array would be
# a message the real venue never sends.
SEND_EMPTY_INITIAL = False

# CHOICE: messages waiting for one order events socket. A client that falls this far behind is closed with 1011
# (internal error) so it can never slow the engine down or grow memory without bound; the client's reconnect
# logic then resynchronises from the `initial` snapshot.
DEFAULT_WS_QUEUE_SIZE = 4096

# How often the "Require Heartbeat" timers are checked (seconds).
SESSION_CHECK_INTERVAL_S = 1.0

# Close handshake timeout for server-initiated closes (seconds).
WS_CLOSE_TIMEOUT_S = 3.0

# Gemini's public trade endpoints accept `timestamp`/`since` in seconds or milliseconds
# (https://docs.gemini.com/websocket/overview/data-types/timestamps): values below
# this are taken as seconds.
_SECONDS_MS_THRESHOLD = 1_000_000_000_000  # the same cut-off as MatchingEngine.my_trades


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


def _json_default(value: object) -> object:
    if isinstance(value, Decimal):
        return format(value, "f")
    raise TypeError(f"cannot encode {type(value).__name__} as JSON")


def _dumps(obj: object) -> str:
    return json.dumps(obj, separators=(",", ":"), default=_json_default)


def error_body(reason: str, message: str) -> dict[str, str]:
    """Return Gemini's error body ``{"result": "error", "reason": reason, "message": message}``
    (https://docs.gemini.com/rest/error-codes)."""
    return {"result": "error", "reason": reason, "message": message}


def _error_response(status: int, reason: str, message: str) -> web.Response:
    return web.json_response(error_body(reason, message), status=status, dumps=_dumps)


def _ok(body: object) -> web.Response:
    return web.json_response(body, dumps=_dumps)


def _not_found(path: str) -> web.Response:
    return _error_response(404, "EndpointNotFound", f"API entry point `{path}` not found")


# -- payload and query field checks (types and presence; business rules are the engine's) -----------------------------


def _missing_key(name: str) -> ExchangeError:
    return ExchangeError("MissingPayloadKey", f"The payload is missing the required key '{name}'", 400)


def _require(payload: Mapping[str, Any], name: str) -> Any:
    value = payload.get(name)
    if value is None:
        raise _missing_key(name)
    return value


#: The required fields of ``/v1/order/new`` in the order they are checked, each with the reason Gemini's sandbox
#: answers when it is missing (its message: "Order for symbol BTCUSD was missing required field 'amount'").
ORDER_NEW_REQUIRED = {
    "symbol": "MissingSymbol",
    "amount": "MissingQuantity",
    "price": "MissingPrice",
    "side": "MissingSide",
    "type": "MissingType",
}


def _require_order_fields(payload: Mapping[str, Any]) -> None:
    """Raise the first missing field's own reason (ORDER_NEW_REQUIRED), e.g. ``MissingQuantity`` (400)."""
    for name, reason in ORDER_NEW_REQUIRED.items():
        if payload.get(name) is None:
            symbol = payload.get("symbol")
            # CHOICE: with no symbol at all the message names none ("Order was missing ...").
            subject = f"Order for symbol {symbol.upper()}" if isinstance(symbol, str) and symbol else "Order"
            raise ExchangeError(reason, f"{subject} was missing required field '{name}'", 400)


def _order_id_field(payload: Mapping[str, Any]) -> int | None:
    """Return ``order_id`` as an int, or None when absent.

    CHOICE: Gemini documents ``order_id`` as an integer JSON number; a string of digits (the form order ids take in
    responses) is accepted as well. Any other value is reported as ``MissingOrderField``, the documented reason
    closest to "no usable order_id" (the error table has no "invalid order id" reason).
    """
    value = payload.get("order_id")
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    if isinstance(value, str) and value.isascii() and value.isdigit():
        return int(value)
    raise ExchangeError("MissingOrderField", f"order_id must be an integer, got {_dumps(value)}", 400)


def _int_field(payload: Mapping[str, Any], name: str, reason: str = "InvalidJson") -> int | None:
    value = payload.get(name)
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, Decimal) and value.is_finite():  # a JSON float such as 1547232911.5 (seconds)
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    raise ExchangeError(reason, f"'{name}' must be an integer, got {_dumps(value)}", 400)


def _bool_field(payload: Mapping[str, Any], name: str) -> bool | None:
    value = payload.get(name)
    if value is None or isinstance(value, bool):
        return value
    raise ExchangeError("InvalidJson", f"'{name}' must be true or false, got {_dumps(value)}", 400)


def _to_ms(value: int) -> int:
    """Convert a timestamp given in seconds or milliseconds to milliseconds."""
    return value * 1000 if abs(value) < _SECONDS_MS_THRESHOLD else value


def _query_int(request: web.Request, name: str, default: int | None) -> int | None:
    """Parse a non-negative integer query parameter.

    CHOICE: a malformed query parameter is a 400 ``InvalidJson`` (the table's only generic "malformed request"
    reason; public endpoints' exact errors are undocumented).
    """
    raw = request.query.get(name)
    if raw is None or raw == "":
        return default
    if not (raw.isascii() and raw.isdigit()):
        raise ExchangeError("InvalidJson", f"Query parameter {name} must be a non-negative integer, got '{raw}'", 400)
    return int(raw)


def _query_bool(request: web.Request, name: str, default: bool) -> bool:
    raw = request.query.get(name)
    if raw is None or raw == "":
        return default
    lowered = raw.lower()
    if lowered in ("true", "1", "yes"):
        return True
    if lowered in ("false", "0", "no"):
        return False
    raise ExchangeError("InvalidJson", f"Query parameter {name} must be true or false, got '{raw}'", 400)


# -- order events connections ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Filters:
    """Parsed order events filters (https://docs.gemini.com/websocket/order-events/filtering); an empty tuple means "no
    filter"."""

    symbols: tuple[str, ...] = ()
    api_sessions: tuple[str, ...] = ()
    event_types: tuple[str, ...] = ()

    def wants_initial(self) -> bool:
        return not self.event_types or "initial" in self.event_types

    def keep(self, event: Mapping[str, Any]) -> bool:
        if self.symbols and str(event.get("symbol", "")).lower() not in self.symbols:
            return False
        if self.api_sessions and event.get("api_session") not in self.api_sessions:
            return False
        return not self.event_types or str(event.get("type", "")).lower() in self.event_types


_HEARTBEAT = object()  # queue marker: send a heartbeat now


@dataclass(eq=False)
class _OrderEventsConnection:
    """One order events socket: its filters, its bounded outgoing queue and its counters."""

    ws: web.WebSocketResponse
    account_id: int
    filters: _Filters
    trace_id: str
    queue: asyncio.Queue[object]
    socket_sequence: int = 0
    heartbeat_sequence: int = 0
    overflowed: bool = False
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    close_task: asyncio.Task[None] | None = None
    account_names: dict[int, str] | None = None  # master keys: sub-account id → nickname added as account_name
    faults: FaultPlan | None = None  # fault injection (console.exchange.faults); None = none
    transport: Any = None  # the TCP transport, for an abrupt close fault

    def offer(self, item: object) -> None:
        """Queue ``item`` without blocking; on overflow, close the socket with 1011 (the engine never waits)."""
        if self.overflowed:
            return
        try:
            self.queue.put_nowait(item)
        except asyncio.QueueFull:
            self.overflowed = True
            log.warning(
                "order events client of account %s (trace %s) fell %d messages behind; closing it with 1011",
                self.account_id,
                self.trace_id,
                self.queue.maxsize,
            )
            for task in self.tasks:
                task.cancel()
            self.close_task = asyncio.get_running_loop().create_task(self._close_slow())

    async def _close_slow(self) -> None:
        with contextlib.suppress(Exception):
            await self.ws.close(code=WSCloseCode.INTERNAL_ERROR, message=b"client too slow: event queue overflow")

    async def send_events(self, events: list[dict[str, Any]]) -> None:
        """Send one JSON array; every event of it carries this message's ``socket_sequence``
        (https://docs.gemini.com/websocket/overview/sequence-numbers)."""
        if self.faults is None:
            seq = self.socket_sequence
            self.socket_sequence += 1
            await self.ws.send_str(_dumps([{**event, "socket_sequence": seq} for event in events]))
            return
        for batch in self.faults.outgoing(self, events):
            await self._send_bad_frame()
            seq = self.faults.sequence(self)
            await self.ws.send_str(_dumps([{**event, "socket_sequence": seq} for event in batch]))

    async def _send_bad_frame(self) -> None:
        raw = self.faults.take_bad_frame() if self.faults is not None else None
        if raw is not None:
            if "{socket_sequence}" in raw:  # the frame takes the next number, so only its content is wrong
                raw = raw.replace("{socket_sequence}", str(self.faults.sequence(self)))
            await self.ws.send_str(raw)

    async def send_heartbeat(self, now_ms: int) -> None:
        """Send one heartbeat object: ``sequence`` counts heartbeats, ``socket_sequence`` counts messages."""
        if self.faults is not None and self.faults.heartbeats_stalled():
            return
        await self._send_bad_frame()
        if self.faults is not None:
            seq = self.faults.sequence(self)
        else:
            seq = self.socket_sequence
            self.socket_sequence += 1
        body = {
            "type": "heartbeat",
            "timestampms": now_ms,
            "sequence": self.heartbeat_sequence,
            "trace_id": self.trace_id,
            "socket_sequence": seq,
        }
        self.heartbeat_sequence += 1
        await self.ws.send_str(_dumps(body))


def _new_trace_id() -> str:
    """Return a 20-character lowercase base32 trace id like Gemini's ``"b8bk32clqeb13g9tk8p0"``."""
    return base64.b32hexencode(secrets.token_bytes(15)).decode("ascii").lower()[:20]


# -- the server -------------------------------------------------------------------------------------------------------


class ExchangeServer:
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
            account ``"primary"`` with :data:`~console.exchange.accounts.DEMO_BALANCES` is added to it either way.
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
        self.faults.attach(self)
        base_clock_ms: Callable[[], int] = clock_ms or _now_ms
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
            self._listening = False
        connections = [c for conns in self._connections.values() for c in conns]
        for conn in connections:
            with contextlib.suppress(Exception):
                await conn.ws.close(code=WSCloseCode.GOING_AWAY, message=b"server shutting down")
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()
            log.info("local exchange on port %s stopped", self._bound_port)

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

    def expire_heartbeat_sessions(self) -> dict[str, dict]:
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

    def _authenticate(self, request: web.Request) -> tuple[ApiKey, dict[str, Any]]:
        """Authenticate a private request against its URL path and check the key's role for it.

        The request body is never read: the payload header is authoritative
        (https://docs.gemini.com/websocket/overview/requests/private-api).
        """
        key, payload = verify_private_request(request.headers, request.path, self._keystore, self._clock_ms())
        route = request.match_info.route.resource
        require_role(key, route.canonical if route is not None else request.path)
        return self._resolve_account(key, payload, request.path), payload

    def _resolve_account(self, key: ApiKey, payload: Mapping[str, Any], path: str) -> ApiKey:
        """Return ``key`` acting on the account the payload names (master keys), checking ``account``
        (https://developer.gemini.com/authentication/api-key).

        Raises:
            ExchangeError (400): ``AccountsOnGroupOnlyApi`` (``account`` from an account-level key),
                ``NotGroupApiCompatible`` (a master key on :data:`MASTER_INCOMPATIBLE_PATHS`),
                ``MissingAccountName`` (a master key without ``account``), ``InvalidAccountName`` (no such
                sub-account in the key's group, or not a string).
        """
        name = payload.get("account")
        if not key.is_master:
            if name is not None:
                raise ExchangeError(
                    "AccountsOnGroupOnlyApi",
                    "The 'account' field is only accepted from master API keys; this key acts on its own account",
                    400,
                )
            return key
        if path in MASTER_INCOMPATIBLE_PATHS:
            raise ExchangeError("NotGroupApiCompatible", f"{path} cannot be called with a master API key", 400)
        if name is None:
            if path == ORDER_EVENTS_PATH:
                return key
            raise ExchangeError(
                "MissingAccountName", "A master API key must name the sub-account in the payload's 'account'", 400
            )
        if not isinstance(name, str) or name not in key.accounts:
            raise ExchangeError("InvalidAccountName", f"No account named {_dumps(name)} in this group", 400)
        return dataclasses.replace(key, account_id=key.accounts[name], accounts={name: key.accounts[name]})

    def _private_route(
        self, handler: Callable[[ApiKey, dict[str, Any]], object]
    ) -> Callable[[web.Request], Awaitable[web.Response]]:
        async def route(request: web.Request) -> web.Response:
            key, payload = self._authenticate(request)
            return _ok(handler(key, payload))

        route.__name__ = getattr(handler, "__name__", "route")
        return route

    # -- private endpoints (each returns the JSON body of a 200 response) ----------------------------------------------

    def _order_new(self, key: ApiKey, p: dict[str, Any]) -> object:
        """``POST /v1/order/new`` (https://docs.gemini.com/rest/orders#new-order) → the order object.

        Only presence is checked here; the engine parses and validates every value (symbol, side, type, decimals,
        options, client order id), so its reasons and its ``rejected`` events stay in one place.
        """
        _require_order_fields(p)
        return self._engine.place_order(
            key.account_id,
            key.key,
            symbol=p["symbol"],
            side=p["side"],
            order_type=p["type"],
            amount=p["amount"],
            price=p["price"],
            stop_price=p.get("stop_price"),
            options=p.get("options"),
            client_order_id=p.get("client_order_id"),
        )

    def _order_cancel(self, key: ApiKey, p: dict[str, Any]) -> object:
        """``POST /v1/order/cancel`` (https://docs.gemini.com/rest/orders#cancel-order) → the order object."""
        order_id = _order_id_field(p)
        if order_id is None:
            raise ExchangeError("MissingOrderField", "The payload is missing the required key 'order_id'", 400)
        return self._engine.cancel_order(key.account_id, order_id, key.key)

    def _order_cancel_all(self, key: ApiKey, p: dict[str, Any]) -> object:
        """``POST /v1/order/cancel/all`` (https://docs.gemini.com/rest/orders#cancel-all-active-orders) →
        ``{"result": "ok", "details": {...}}``."""
        return {"result": "ok", "details": self._engine.cancel_all(key.account_id)}

    def _order_cancel_session(self, key: ApiKey, p: dict[str, Any]) -> object:
        """``POST /v1/order/cancel/session`` (https://docs.gemini.com/rest/orders#cancel-all-session-orders) →
        ``{"result": "ok", "details": {...}}``."""
        return {"result": "ok", "details": self._engine.cancel_session(key.account_id, key.key)}

    def _order_status(self, key: ApiKey, p: dict[str, Any]) -> object:
        """``POST /v1/order/status`` (https://docs.gemini.com/rest/orders#order-status) → the order object (with
        ``trades`` when ``include_trades``)."""
        order_id = _order_id_field(p)
        client_order_id = p.get("client_order_id")
        if client_order_id is not None and not isinstance(client_order_id, str):
            raise ExchangeError("ClientOrderIdMustBeString", "client_order_id must be a string", 400)
        # Neither identifier → MissingOrderField; both → order_id wins (the engine's documented choice 14).
        if order_id is None and client_order_id is None:
            raise ExchangeError("MissingOrderField", "The payload needs order_id or client_order_id", 400)
        include_trades = bool(_bool_field(p, "include_trades"))
        return self._engine.order_status(
            key.account_id, order_id=order_id, client_order_id=client_order_id, include_trades=include_trades
        )

    def _orders(self, key: ApiKey, p: dict[str, Any]) -> object:
        """``POST /v1/orders`` (https://docs.gemini.com/rest/orders#get-active-orders) → array of live order objects."""
        return self._engine.active_orders(key.account_id)

    def _balances(self, key: ApiKey, p: dict[str, Any]) -> object:
        """``POST /v1/balances`` (https://docs.gemini.com/rest/fund-management#get-available-balances) → array of
        balance objects."""
        return self._engine.balances(key.account_id)

    def _heartbeat(self, key: ApiKey, p: dict[str, Any]) -> object:
        """``POST /v1/heartbeat`` (https://docs.gemini.com/rest/orders#heartbeat) → ``{"result": "ok"}`` (authentication
        already reset the timer)."""
        return {"result": "ok"}

    def _mytrades(self, key: ApiKey, p: dict[str, Any]) -> object:
        """``POST /v1/mytrades`` (https://docs.gemini.com/rest/orders#get-past-trades) → array of the account's trades,
        newest first."""
        symbol = p.get("symbol")  # the engine checks it (InvalidSymbol)
        limit_trades = _int_field(p, "limit_trades")
        timestamp = _int_field(p, "timestamp", "InvalidTimestampInPayload")
        kwargs: dict[str, Any] = {}
        if limit_trades is not None:
            kwargs["limit_trades"] = limit_trades
        if timestamp is not None:
            kwargs["timestamp"] = timestamp
        return self._engine.my_trades(key.account_id, symbol, **kwargs)

    def _orders_history(self, key: ApiKey, p: dict[str, Any]) -> object:
        """``POST /v1/orders/history`` → closed orders, newest first, each with ``trades`` (CHOICES 19).

        https://developer.gemini.com/trading/rest-api/orders/list-past-orders
        """
        limit_orders = _int_field(p, "limit_orders")
        timestamp = _int_field(p, "timestamp", "InvalidTimestampInPayload")
        kwargs: dict[str, Any] = {}
        if limit_orders is not None:
            kwargs["limit_orders"] = limit_orders
        if timestamp is not None:
            kwargs["timestamp"] = timestamp
        return self._engine.orders_history(key.account_id, p.get("symbol"), **kwargs)

    def _tradevolume(self, key: ApiKey, p: dict[str, Any]) -> object:
        """``POST /v1/tradevolume`` (https://docs.gemini.com/rest/fund-management#get-trade-volume) → one array per
        symbol of per-day volume objects."""
        return self._engine.trade_volume(key.account_id)

    def _notionalvolume(self, key: ApiKey, p: dict[str, Any]) -> object:
        """``POST /v1/notionalvolume`` (https://docs.gemini.com/rest/fund-management#get-notional-volume) → fee bps of
        the account's tier and its 30-day notional volume."""
        return self._engine.notional_volume(key.account_id)

    async def _wrap(self, request: web.Request) -> web.Response:
        """``POST /v1/wrap/:symbol`` (https://docs.gemini.com/rest/orders#wrap-order) → the wrap receipt; only for
        wrap-enabled symbols (CHOICES 22).

        The payload's ``request`` names the full path (``"/v1/wrap/GUSDUSD"``); the symbol comes from the URL.
        """
        key, p = self._authenticate(request)
        for name in ("amount", "side"):
            _require(p, name)
        receipt = self._engine.wrap(
            key.account_id,
            request.match_info["symbol"],
            amount=p["amount"],
            side=p["side"],
            client_order_id=p.get("client_order_id"),
        )
        return _ok(receipt)

    # -- public endpoints --------------------------------------------------------------------------------------------

    async def _symbols(self, request: web.Request) -> web.Response:
        """``GET /v1/symbols`` → array of lowercase symbols (https://docs.gemini.com/rest/market-data#symbols)."""
        return _ok(self._engine.symbols())

    async def _symbol_details(self, request: web.Request) -> web.Response:
        """``GET /v1/symbols/details/{symbol}`` → symbol details object
        (https://docs.gemini.com/rest/market-data#get-symbol-details)."""
        return _ok(self._engine.symbol_details(request.match_info["symbol"]))

    async def _pubticker(self, request: web.Request) -> web.Response:
        """``GET /v1/pubticker/{symbol}`` → ``{"bid", "ask", "last", "volume"}``
        (https://docs.gemini.com/rest/market-data#get-ticker)."""
        return _ok(self._engine.ticker(request.match_info["symbol"]))

    async def _book(self, request: web.Request) -> web.Response:
        """``GET /v1/book/{symbol}?limit_bids=&limit_asks=`` → ``{"bids": [...], "asks": [...]}``
        (https://docs.gemini.com/rest/market-data#get-current-order-book)."""
        limit_bids = _query_int(request, "limit_bids", 50)
        limit_asks = _query_int(request, "limit_asks", 50)
        return _ok(self._engine.book(request.match_info["symbol"], limit_bids=limit_bids, limit_asks=limit_asks))

    async def _trades(self, request: web.Request) -> web.Response:
        """``GET /v1/trades/{symbol}?limit_trades=&since=|timestamp=`` → public trades, newest first
        (https://docs.gemini.com/rest/market-data#get-trade-history)."""
        limit_trades = _query_int(request, "limit_trades", 50)
        since = _query_int(request, "since", None)
        if since is None:
            since = _query_int(request, "timestamp", None)
        since_ms = None if since is None else _to_ms(since)
        symbol = request.match_info["symbol"]
        return _ok(self._engine.public_trades(symbol, limit_trades=limit_trades, since_ms=since_ms))

    # -- order events WebSocket --------------------------------------------------------------------------------------

    def _on_engine_events(self, account_id: int, events: list[dict[str, Any]]) -> None:
        """Engine listener (synchronous): hand one batch to each subscribed socket of ``account_id``."""
        for conn in tuple(self._connections.get(account_id, ())):
            kept = [event for event in events if conn.filters.keep(event)]
            if kept and conn.account_names is not None:
                name = conn.account_names[account_id]
                kept = [{**event, "account_name": name} for event in kept]
            if kept:
                conn.offer(kept)

    async def _order_events(self, request: web.Request) -> web.StreamResponse:
        """``GET /v1/order/events``: authenticate the upgrade, then stream order events
        (https://docs.gemini.com/websocket/archived/order-events).

        Messages: the ``subscription_ack`` object; the ``initial`` array (unless filtered out or empty); then one
        array per engine batch (after filtering) interleaved with heartbeat objects. Authentication failures are
        plain HTTP error responses; no upgrade happens.
        """
        key, _payload = self._authenticate(request)
        filters = _Filters(
            symbols=tuple(s.lower() for s in request.query.getall("symbolFilter", [])),
            api_sessions=tuple(request.query.getall("apiSessionFilter", [])),
            event_types=tuple(t.lower() for t in request.query.getall("eventTypeFilter", [])),
        )
        heartbeat = _query_bool(request, "heartbeat", HEARTBEAT_DEFAULT)
        ws = web.WebSocketResponse(autoping=True, timeout=WS_CLOSE_TIMEOUT_S, heartbeat=None)
        if not ws.can_prepare(request).ok:
            # CHOICE: an authenticated plain GET (no upgrade headers) is a 400; reason EndpointNotFound as this URL
            # has no REST endpoint behind it.
            return _error_response(
                400, "EndpointNotFound", f"{ORDER_EVENTS_PATH} is a WebSocket endpoint: send an upgrade request"
            )
        await ws.prepare(request)

        trace_id = _new_trace_id()
        conn = _OrderEventsConnection(
            ws=ws,
            account_id=key.account_id,
            filters=filters,
            trace_id=trace_id,
            queue=asyncio.Queue(maxsize=self._ws_queue_size),
            account_names={aid: name for name, aid in key.accounts.items()} if key.is_master else None,
            faults=self.faults,
            transport=request.transport,
        )
        account_ids = list(conn.account_names) if conn.account_names is not None else [key.account_id]
        log.info("order events subscription %s for account %s (key %s)", trace_id, key.account_id, key.key)
        try:
            # Subscribe and take the snapshot with no await in between: every later engine batch queues after it.
            for account_id in account_ids:
                self._connections.setdefault(account_id, set()).add(conn)
            initial: list[dict[str, Any]] = []
            if filters.wants_initial():
                for account_id in account_ids:
                    events = [e for e in self._engine.initial_events(account_id) if filters.keep(e)]
                    if conn.account_names is not None:
                        events = [{**e, "account_name": conn.account_names[account_id]} for e in events]
                    initial.extend(events)
            await ws.send_str(
                _dumps(
                    {
                        "type": "subscription_ack",
                        "accountId": key.account_id,
                        "subscriptionId": f"ws-order-events-{key.account_id}-{trace_id}",
                        "symbolFilter": list(filters.symbols),
                        "apiSessionFilter": list(filters.api_sessions),
                        "eventTypeFilter": list(filters.event_types),
                    }
                )
            )
            if initial or SEND_EMPTY_INITIAL:
                await conn.send_events(initial)
            if not conn.overflowed:
                loop = asyncio.get_running_loop()
                conn.tasks.append(loop.create_task(self._write_loop(conn)))
                if heartbeat:
                    conn.tasks.append(loop.create_task(self._heartbeat_loop(conn)))
            async for msg in ws:  # reading answers pings (autoping) and notices the close
                if msg.type == WSMsgType.ERROR:
                    log.info("order events socket %s error: %s", trace_id, ws.exception())
        except ConnectionError as exc:  # the client went away mid-send
            log.info("order events socket %s dropped: %s", trace_id, exc)
        except Exception:
            log.exception("order events socket %s failed", trace_id)
            with contextlib.suppress(Exception):
                await ws.close(code=WSCloseCode.INTERNAL_ERROR, message=b"internal error")
        finally:
            for account_id in account_ids:
                self._connections.get(account_id, set()).discard(conn)
            for task in conn.tasks:
                task.cancel()
            for task in conn.tasks:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
            if conn.close_task is not None:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await conn.close_task
            if not ws.closed:
                with contextlib.suppress(Exception):
                    await ws.close()
            log.info("order events subscription %s closed (code %s)", trace_id, ws.close_code)
        return ws

    async def _write_loop(self, conn: _OrderEventsConnection) -> None:
        """Send queued batches and heartbeats in order, numbering each message
        (https://docs.gemini.com/websocket/overview/sequence-numbers).

        If a send fails the socket is closed (1011 unless the client is already gone), so a client never waits on a
        stream that silently stopped.
        """
        try:
            while True:
                item = await conn.queue.get()
                if item is _HEARTBEAT:
                    await conn.send_heartbeat(self._clock_ms())
                else:
                    await conn.send_events(item)  # type: ignore[arg-type]
        except ConnectionError as exc:
            log.info("order events socket %s dropped: %s", conn.trace_id, exc)
        except Exception:
            log.exception("order events socket %s: sending failed", conn.trace_id)
            with contextlib.suppress(Exception):
                await conn.ws.close(code=WSCloseCode.INTERNAL_ERROR, message=b"internal error")

    async def _heartbeat_loop(self, conn: _OrderEventsConnection) -> None:
        """Queue a heartbeat every ``heartbeat_interval_s`` (through the same queue, so numbering stays in order)."""
        while True:
            await asyncio.sleep(self._heartbeat_interval_s)
            conn.offer(_HEARTBEAT)
