"""The local exchange's new WebSocket API (``/ws``): handshake, request/response by ``id``, order methods, streams.

Serves Gemini's current WebSocket API (``wss://ws.gemini.com``, https://docs.gemini.com/websocket/introduction) on
the local exchange's one port at :data:`~console.exchange.server.ws_api_wire.WS_API_PATH`. One socket,
authenticated once at the handshake (:mod:`console.exchange.server.ws_api_auth`), carries:

* requests ``{"id", "method", "params"}`` answered ``{"id", "status": 200, "result"?}`` or
  ``{"id", "status", "error": {"code", "msg"}}``: ``ping``, ``time``, ``conninfo``, ``subscribe``,
  ``unsubscribe``, ``list_subscriptions``, ``depth``, ``order.place``, ``order.cancel``, ``order.cancel_all``,
  ``order.cancel_session``;
* pushed stream messages: ``orders@session``, ``orders@account``, ``balances@account`` (``@1s``),
  ``{symbol}@bookTicker``, ``{symbol}@depth5|10|20`` (``@100ms``), ``{symbol}@depth`` (``@100ms``),
  ``{symbol}@trade``.

It is the same :class:`~console.exchange.engine.MatchingEngine` as REST and the order events WebSocket: an order
placed here is on ``/v1/orders`` and ``/v1/order/events``, and a REST order shows on ``orders@account``. Connection
query parameters: ``snapshot`` (int) and ``cancelOnDisconnect`` (bool). Every choice made where the documentation is
silent is a row of :data:`~console.exchange.server.ws_api_wire.WS_API_CHOICES`. Faults: see
:mod:`console.exchange.faults` (path ``"/ws:<method>"``).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from aiohttp import WSCloseCode, WSMsgType, web

from console.exchange.engine import ExchangeError, MatchingEngine
from console.exchange.faults import FaultKind, FaultPlan
from console.exchange.keys import ApiKey, KeyStore
from console.exchange.server.ws_api_auth import HandshakeRefused, verify_handshake
from console.exchange.server.ws_api_streams import Connection, Refused, StreamsMixin, dumps, window_count
from console.exchange.server.ws_api_wire import (
    BAD_PARAMS,
    DEFAULT_DEPTH_LIMIT,
    DEFAULT_RATE_LIMITS,
    INTERNAL,
    MAX_DEPTH_LIMIT,
    ORDER_REJECTED,
    PARAM_ERROR_REASONS,
    RATE_LIMITED,
    TIME_IN_FORCE_OPTIONS,
    UNAUTHENTICATED,
    UNSUPPORTED,
    WS_API_PATH,
    RateLimit,
    error_body,
    order_result,
    reject_reason,
)

__all__ = ["WS_API_PATH", "WsApiHub"]

log = logging.getLogger(__name__)

#: Messages a connection may fall behind before it is closed with 1011 (CHOICE ws:slow-client).
DEFAULT_QUEUE_SIZE = 4096
_CLOSE_TIMEOUT_S = 3.0
_OPTION_TIF = {option: tif for tif, option in TIME_IN_FORCE_OPTIONS.items() if option is not None}
_METHODS = frozenset(
    {"ping", "time", "conninfo", "subscribe", "unsubscribe", "list_subscriptions", "depth", "order.place",
     "order.cancel", "order.cancel_all", "order.cancel_session"}
)


class WsApiHub(StreamsMixin):
    """Serves the new WebSocket API from a :class:`MatchingEngine`; one per :class:`ExchangeServer`.

    Call :meth:`start` in the server's loop (engine listener, stream timers) and :meth:`stop` on shutdown. Tests may
    change :attr:`rate_limits` (e.g. a low ``ORDERS`` limit to meet -1003).

    Args:
        engine: the matching engine (shared with REST).
        keystore: the API keys table (shared with REST).
        clock_ms: the server clock, Unix ms (nonce window, timestamps).
        faults: the server's fault plan (``"/ws:<method>"`` faults).
        fast_interval_s: period of the ``@100ms`` streams, seconds.
        slow_interval_s: period of the 1 s streams (partial and diff depth, ``balances@account@1s``), seconds.
        queue_size: messages a socket may fall behind before it is closed with 1011.
    """

    def __init__(
        self,
        engine: MatchingEngine,
        keystore: KeyStore,
        *,
        clock_ms: Callable[[], int],
        faults: FaultPlan,
        fast_interval_s: float = 0.1,
        slow_interval_s: float = 1.0,
        queue_size: int = DEFAULT_QUEUE_SIZE,
    ) -> None:
        self._engine = engine
        self._keystore = keystore
        self._clock_ms = clock_ms
        self._faults = faults
        self._fast_s = fast_interval_s
        self._slow_every = max(1, round(slow_interval_s / fast_interval_s))
        self._queue_size = queue_size
        self.rate_limits: list[RateLimit] = list(DEFAULT_RATE_LIMITS)
        self._attempts: dict[int, list[int]] = {}
        self._ids = itertools.count(1)
        self._conns: set[Connection] = set()
        self._by_account: dict[int, set[Connection]] = {}
        self._by_stream: dict[str, set[Connection]] = {}
        self._market_subs = 0
        self._market_attached = False
        self._update_id: dict[str, int] = {}
        self._pending_diff: dict[tuple[str, bool], tuple[int, dict[tuple[str, str], str]]] = {}
        self._last_ticker: dict[str, dict[str, Any]] = {}
        self._task: asyncio.Task[None] | None = None

    # -- lifecycle ---------------------------------------------------------------------------------------------------
    def start(self) -> None:
        """Listen to the engine's order events and start the stream timer (in the running loop)."""
        self._engine.add_listener(self._on_events)
        self._task = asyncio.get_running_loop().create_task(self._tick_loop())

    async def stop(self) -> None:
        """Stop listening and close every connection with 1001 (going away)."""
        self._engine.remove_listener(self._on_events)
        self._detach_market()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
            self._task = None
        for conn in tuple(self._conns):
            await conn._close(WSCloseCode.GOING_AWAY, b"server shutting down")

    @property
    def connection_count(self) -> int:
        """Open new-API sockets."""
        return len(self._conns)

    async def drop_all(self, *, abrupt: bool = True) -> int:
        """Close every new-API socket (a TCP drop without close frame, or a clean 1000); returns how many."""
        conns = tuple(self._conns)
        for conn in conns:
            if abrupt and conn.transport is not None:
                conn.transport.abort()
            else:
                await conn._close(WSCloseCode.OK, b"fault: clean close")
        return len(conns)

    # -- rate limits ---------------------------------------------------------------------------------------------
    def _rate_limits_json(self, conn: Connection, now_ms: int) -> list[dict[str, Any]]:
        out = []
        for index, limit in enumerate(self.rate_limits):
            windows = self._attempts if limit.kind == "CONNECTION_ATTEMPTS" else conn.windows
            out.append(limit.to_json(window_count(windows, index, limit, now_ms, 0)))
        return out

    def _charge(self, windows: dict[int, list[int]], kind: str, now_ms: int) -> None:
        """Count one ``kind`` in every window of that kind; -1003 when one is over its limit."""
        over = False
        for index, limit in enumerate(self.rate_limits):
            if limit.kind == kind and window_count(windows, index, limit, now_ms, 1) > limit.limit:
                over = True
        if over:
            raise Refused(RATE_LIMITED, f"Too many requests: {kind} limit reached")

    # -- the handshake and the socket ------------------------------------------------------------------------------
    async def handle(self, request: web.Request) -> web.StreamResponse:
        """``GET /ws``: authenticate the handshake, then serve requests and streams until the socket closes."""
        now_ms = self._clock_ms()
        try:
            self._charge(self._attempts, "CONNECTION_ATTEMPTS", now_ms)
            key = verify_handshake(request.headers, self._keystore, now_ms)
            cancel_on_disconnect = _query_flag(request.query.get("cancelOnDisconnect"))
            snapshot = _query_int(request.query.get("snapshot"))
        except HandshakeRefused as exc:
            return web.json_response(error_body(None, exc.error, exc.msg), status=exc.error.status)
        except Refused as exc:
            return web.json_response(error_body(None, exc.error, exc.msg), status=exc.error.status)
        ws = web.WebSocketResponse(autoping=True, heartbeat=None, timeout=_CLOSE_TIMEOUT_S)
        if not ws.can_prepare(request).ok:
            text = f"{WS_API_PATH} is a WebSocket endpoint: send an upgrade request"
            return web.json_response(error_body(None, UNSUPPORTED, text), status=UNSUPPORTED.status)
        await ws.prepare(request)
        conn = Connection(ws, key, next(self._ids), cancel_on_disconnect, snapshot,
                           asyncio.Queue(maxsize=self._queue_size), transport=request.transport)
        self._conns.add(conn)
        if key is not None:
            self._by_account.setdefault(key.account_id, set()).add(conn)
        log.info("new API connection %s (key %s, cancelOnDisconnect=%s)", conn.conn_id,
                 key.key if key else None, cancel_on_disconnect)
        writer = asyncio.get_running_loop().create_task(self._write_loop(conn))
        try:
            async for msg in ws:
                if msg.type == WSMsgType.TEXT:
                    await self._on_frame(conn, msg.data)
                elif msg.type == WSMsgType.BINARY:
                    conn.offer(dumps(error_body(None, BAD_PARAMS, "Binary frames are not supported")))
                elif msg.type == WSMsgType.ERROR:
                    log.info("new API connection %s error: %s", conn.conn_id, ws.exception())
        except ConnectionError as exc:
            log.info("new API connection %s dropped: %s", conn.conn_id, exc)
        finally:
            self._forget(conn)
            writer.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await writer
            if not ws.closed:
                with contextlib.suppress(Exception):
                    await ws.close()
            log.info("new API connection %s closed (code %s)", conn.conn_id, ws.close_code)
        return ws

    def _forget(self, conn: Connection) -> None:
        """Unregister a closed connection; with cancelOnDisconnect, cancel the orders it placed (CHOICE ws:session)."""
        self._conns.discard(conn)
        for name in list(conn.subs):
            self._unsubscribe(conn, name)
        if conn.key is None:
            return
        self._by_account.get(conn.key.account_id, set()).discard(conn)
        if conn.cancel_on_disconnect and conn.placed:
            placed, conn.placed = sorted(conn.placed), set()
            for order_id in placed:
                with contextlib.suppress(ExchangeError):
                    self._engine.cancel_order(conn.key.account_id, order_id, conn.key.key)
            log.info("new API connection %s dropped: cancelled its orders %s", conn.conn_id, placed)

    async def _write_loop(self, conn: Connection) -> None:
        try:
            while True:
                await conn.ws.send_str(await conn.queue.get())
        except ConnectionError as exc:
            log.info("new API connection %s dropped while sending: %s", conn.conn_id, exc)

    # -- requests --------------------------------------------------------------------------------------------------
    async def _on_frame(self, conn: Connection, text: str) -> None:
        """Answer one request frame (CHOICE ws:bad-frame, ws:answer-first), applying an armed fault."""
        try:
            request = json.loads(text, parse_float=Decimal)
        except ValueError:
            conn.offer(dumps(error_body(None, BAD_PARAMS, "The message is not valid JSON")))
            return
        if not isinstance(request, dict):
            conn.offer(dumps(error_body(None, BAD_PARAMS, "The message must be a JSON object")))
            return
        rid = request.get("id")
        if rid is not None and (isinstance(rid, bool) or not isinstance(rid, (str, int))):
            conn.offer(dumps(error_body(None, BAD_PARAMS, "'id' must be a string or a number")))
            return
        method = request.get("method")
        if not isinstance(method, str) or method not in _METHODS:
            conn.offer(dumps(error_body(rid, UNSUPPORTED, f"Unsupported method {method!r}")))
            return
        # When the exchange received it, as for REST requests (FaultPlan.arrivals: latency tests).
        self._faults.arrivals.append((f"{WS_API_PATH}:{method}", time.monotonic()))
        fault = self._faults.take_ws_api(method)
        if fault is not None:
            log.warning("fault %s on new API %s", fault.kind, method)
            if fault.kind is FaultKind.DROP_REQUEST:
                return
            if fault.kind is FaultKind.HTTP_ERROR:
                conn.offer(dumps(error_body(rid, INTERNAL, "fault injected: technical issues")))
                return
            if fault.kind is FaultKind.HTTP_429:
                conn.offer(dumps(error_body(rid, RATE_LIMITED, "fault injected: too many requests")))
                return
            if fault.kind is FaultKind.HANG:
                await self._faults.hold(fault.delay_s)
        conn.held = []
        try:
            body = self._call(conn, rid, method, request.get("params"))
        except Refused as exc:
            body = error_body(rid, exc.error, exc.msg)
        except Exception:
            log.exception("new API %s failed", method)
            body = error_body(rid, INTERNAL)
        finally:
            held, conn.held = conn.held, None
        if fault is not None and fault.kind in (FaultKind.DROP_RESPONSE, FaultKind.DELAY):
            for item in held:
                conn.put(item)
            if fault.kind is FaultKind.DROP_RESPONSE:
                return
            await asyncio.sleep(fault.delay_s)
            conn.put(dumps(body))
            return
        conn.put(dumps(body))
        for item in held:
            conn.put(item)

    def _call(self, conn: Connection, rid: object, method: str, params: object) -> dict[str, Any]:
        now_ms = self._clock_ms()
        self._charge(conn.windows, "REQUEST_WEIGHT", now_ms)
        if conn.key is not None:  # any authenticated call is a "Require Heartbeat" key's heartbeat
            self._keystore.touch(conn.key.key, now_ms)  # (https://developer.gemini.com/authentication/api-key)
        ok: dict[str, Any] = {"id": rid, "status": 200}
        if method == "ping":
            _params(params)
            return ok
        if method == "time":
            _params(params)
            return {**ok, "result": {"serverTime": now_ms}}  # CHOICE ws:time
        if method == "conninfo":
            _params(params)
            return {**ok, "rateLimits": self._rate_limits_json(conn, now_ms)}
        if method in ("subscribe", "unsubscribe"):
            specs = self._streams(conn, params)
            for spec in specs:
                if method == "subscribe":
                    self._subscribe(conn, spec)
                else:
                    self._unsubscribe(conn, spec.name)
            return ok
        if method == "list_subscriptions":
            _params(params)
            return {**ok, "result": list(conn.subs) or None}  # CHOICE ws:list-subscriptions
        if method == "depth":
            return {**ok, "result": self._depth(_params(params))}
        key = conn.key
        if key is None:
            raise Refused(UNAUTHENTICATED)
        if method == "order.place":
            result = self._place(conn, key, _params(params), now_ms)
        elif method == "order.cancel":
            result = self._cancel(key, _params(params), now_ms)
        elif method == "order.cancel_all":  # both answer REST's details (CHOICE ws:cancel-all-result)
            _params(params)
            result = self._engine.cancel_all(key.account_id)
        else:  # order.cancel_session: a session is the API key (CHOICE ws:session)
            _params(params)
            result = self._engine.cancel_session(key.account_id, key.key)
        return {**ok, "result": result, "rateLimits": self._rate_limits_json(conn, now_ms)}

    def _depth(self, p: dict[str, Any]) -> dict[str, Any]:
        symbol = p.get("symbol")
        limit = p.get("limit", DEFAULT_DEPTH_LIMIT)
        if not isinstance(symbol, str) or symbol.lower() not in self._engine.symbols():
            raise Refused(BAD_PARAMS, f"UnknownInstrument: no symbol {symbol!r}")
        if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_DEPTH_LIMIT:
            raise Refused(BAD_PARAMS, f"'limit' must be an integer from 1 to {MAX_DEPTH_LIMIT}")
        return self._book_message(symbol.lower(), limit, with_symbol=False)

    def _place(self, conn: Connection, key: ApiKey, p: dict[str, Any], now_ms: int) -> dict[str, Any]:
        """``order.place`` (CHOICE ws:order-place-result, ws:market-orders, ws:duplicate-order, ws:reject-reason)."""
        symbol, side, otype = p.get("symbol"), p.get("side"), p.get("type")
        tif = p.get("timeInForce", "GTC")
        if "eventOutcome" in p or otype == "MARKET":
            raise Refused(UNSUPPORTED, "The local exchange takes LIMIT orders only (no MARKET, no eventOutcome)")
        if otype != "LIMIT":
            raise Refused(BAD_PARAMS, "'type' must be LIMIT or MARKET")
        if not isinstance(symbol, str) or not symbol:
            raise Refused(BAD_PARAMS, "'symbol' is required")
        if side not in ("BUY", "SELL"):
            raise Refused(BAD_PARAMS, "'side' must be BUY or SELL")
        if not isinstance(tif, str) or tif not in TIME_IN_FORCE_OPTIONS:
            raise Refused(BAD_PARAMS, f"'timeInForce' must be one of {', '.join(TIME_IN_FORCE_OPTIONS)}")
        for name in ("quantity", "price"):
            if p.get(name) is None:
                raise Refused(BAD_PARAMS, f"'{name}' is required")
        self._charge(conn.windows, "ORDERS", now_ms)
        client_order_id = p.get("clientOrderId")
        if isinstance(client_order_id, str):
            try:
                previous = self._engine.order_status(key.account_id, client_order_id=client_order_id)
            except ExchangeError:
                previous = None
            if previous is not None and previous["is_live"]:
                raise Refused(ORDER_REJECTED, f"DuplicateOrder: order {previous['order_id']} with clientOrderId "
                               f"{client_order_id!r} is live")
        option = TIME_IN_FORCE_OPTIONS[tif]
        stop_price = p.get("stopPrice")
        try:
            order = self._engine.place_order(
                key.account_id,
                key.key,
                symbol=symbol,
                side=side.lower(),
                order_type="exchange limit" if stop_price is None else "exchange stop limit",
                amount=p["quantity"],
                price=p["price"],
                stop_price=stop_price,
                options=None if option is None else [option],
                client_order_id=client_order_id,
            )
        except ExchangeError as exc:
            if exc.reason in PARAM_ERROR_REASONS:
                raise Refused(BAD_PARAMS, f"{exc.reason}: {exc.message}") from None
            raise Refused(ORDER_REJECTED, f"{reject_reason(exc.reason)}: {exc.message}") from None
        if order["is_live"]:
            conn.placed.add(int(order["order_id"]))
        return order_result(order, tif, now_ms * 1_000_000)

    def _cancel(self, key: ApiKey, p: dict[str, Any], now_ms: int) -> dict[str, Any]:
        """``order.cancel`` (CHOICE ws:order-cancel-result)."""
        order_id = p.get("orderId")
        if isinstance(order_id, bool) or not isinstance(order_id, (str, int)) or not str(order_id).isdigit():
            raise Refused(BAD_PARAMS, "'orderId' must be an order id (digits)")
        try:
            order = self._engine.cancel_order(key.account_id, order_id, key.key)
        except ExchangeError as exc:
            raise Refused(ORDER_REJECTED, f"{exc.reason}: {exc.message}") from None
        options = order.get("options") or []
        return order_result(order, _OPTION_TIF.get(options[0], "GTC") if options else "GTC", now_ms * 1_000_000)

def _params(params: object) -> dict[str, Any]:
    """A method's ``params`` object (absent = ``{}``); -1013 for any other JSON type."""
    if params is None:
        return {}
    if not isinstance(params, dict):
        raise Refused(BAD_PARAMS, "params must be a JSON object")
    return params


def _query_flag(text: str | None) -> bool:
    if text is None or text.lower() in ("false", "0"):
        return False
    if text.lower() in ("true", "1"):
        return True
    raise Refused(BAD_PARAMS, f"cancelOnDisconnect must be true or false, not {text!r}")


def _query_int(text: str | None) -> int:
    if text is None:
        return 0
    try:
        return int(text)
    except ValueError:
        raise Refused(BAD_PARAMS, f"snapshot must be an integer, not {text!r}") from None
