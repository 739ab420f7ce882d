"""Fault injection for the local exchange, on the server side of real sockets (tests, soak runs and demos).

A :class:`FaultPlan` belongs to one :class:`~console.exchange.server.app.ExchangeServer` (``server.faults``). The server
consults it at a few points: an aiohttp middleware in front of every REST route, the order events sender (sequence
numbers, batches, heartbeats) and its clock. The client code is never mocked: it sees exactly what a misbehaving
venue or network would send it.

Faults (``FaultKind``):

=====================  ==============================================================================================
``http-error``         answer ``status`` (default 500; 502/503/504 too) with Gemini's error body, without processing
``http-429``           answer 429 ``RateLimit`` without processing
``delay``              process the request, then wait ``delay_s`` before answering
``hang``               hold the request unprocessed for ``delay_s`` (or until the faults are cleared), then process
                       it: a request the network delivers late. With ``path="/v1/order/events"`` it black-holes
                       the order-events upgrade instead: no answer, the client waits out its open timeout, and the
                       held upgrade is dropped when released (arm it, then ``close_streams(abrupt=True)``)
``drop-response``      process the request (an order *is* placed), then drop the connection without an answer
``drop-request``       drop the connection without processing the request
``stall-heartbeats``   send no heartbeats while armed (the socket stays open)
``seq-skip``           the next order-events message skips one ``socket_sequence`` number
``seq-repeat``         the next message repeats the previous number
``seq-reset``          the next message restarts the count at 0 without a reconnect
``duplicate-events``   the next event batch is sent twice (same events, next sequence number)
``reorder-events``     the next event batch is held back and sent after the one that follows it
``bad-frame``          send ``raw`` (text) before the next message, e.g. ``'{"type":'``; a ``{socket_sequence}``
                       placeholder in it is replaced by the next number (so only its content is wrong)
``close-clean``        (action) close every order-events socket with 1000
``close-abrupt``       (action) drop every order-events TCP connection without a close frame
``clock-skew``         shift the server clock by ``skew_ms`` (time-based nonces, heartbeats, timestamps)
=====================  ==============================================================================================

Every request that reaches the server (REST, upgrades and new-API requests as ``"/ws:<method>"``; not the admin
route) is logged in ``arrivals`` as
``(path, time.monotonic())`` before any fault applies: when the exchange received it, for latency tests.

Faults of the new WebSocket API (:mod:`console.exchange.server.ws_api`) are armed on the path ``"/ws:<method>"``,
e.g. ``arm(FaultKind.DROP_RESPONSE, path="/ws:order.place")``: the request is processed (an order *is* placed) and
its answer is never sent (the socket stays open). ``http-error`` answers -1000 and ``http-429`` answers -1003
without processing; ``delay`` processes then waits before answering; ``hang`` waits then processes;
``drop-request`` ignores the request. Only faults naming the method apply (a fault with no path is REST's).

REST faults match a request path (``path``, e.g. ``"/v1/order/new"``; None = every private or public route) and
fire ``count`` times (None = until cleared). Control:

* tests: ``server.faults.arm(FaultKind.DROP_RESPONSE, path="/v1/order/new")``;
  ``await server.faults.close_streams(abrupt=True)``; ``server.faults.clear()``.
* CLI (demos): ``trading-console exchange --fault drop-response:path=/v1/order/new,count=1``.
* HTTP on the exchange's own loopback port (demos, while a console runs against it)::

      curl -X POST http://127.0.0.1:8787/_faults -d '{"kind": "close-abrupt"}'
      curl -X POST http://127.0.0.1:8787/_faults -d '{"kind": "http-error", "status": 502, "path": "/v1/order/new"}'
      curl http://127.0.0.1:8787/_faults            # armed faults
      curl -X DELETE http://127.0.0.1:8787/_faults  # clear all

The server binds loopback only (its demo keys are public), and so does this admin route.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import json
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

from aiohttp import WSCloseCode, web

from console.exchange.server.ws_api_wire import WS_API_PATH

__all__ = ["ADMIN_PATH", "WS_API_KINDS", "Fault", "FaultKind", "FaultPlan", "parse_fault_spec"]

log = logging.getLogger(__name__)


class _Numbered(Protocol):
    """An order events connection, as far as the sequence faults need it (its next ``socket_sequence``)."""

    socket_sequence: int

#: The admin route of the fault plan on the exchange's own port.
ADMIN_PATH = "/_faults"


class FaultKind(enum.StrEnum):
    """What goes wrong (see the module docstring)."""

    HTTP_ERROR = "http-error"
    HTTP_429 = "http-429"
    DELAY = "delay"
    HANG = "hang"
    DROP_RESPONSE = "drop-response"
    DROP_REQUEST = "drop-request"
    STALL_HEARTBEATS = "stall-heartbeats"
    SEQ_SKIP = "seq-skip"
    SEQ_REPEAT = "seq-repeat"
    SEQ_RESET = "seq-reset"
    DUPLICATE_EVENTS = "duplicate-events"
    REORDER_EVENTS = "reorder-events"
    BAD_FRAME = "bad-frame"
    CLOSE_CLEAN = "close-clean"
    CLOSE_ABRUPT = "close-abrupt"
    CLOCK_SKEW = "clock-skew"


HTTP_KINDS = frozenset({FaultKind.HTTP_ERROR, FaultKind.HTTP_429, FaultKind.DELAY, FaultKind.HANG,
                        FaultKind.DROP_RESPONSE, FaultKind.DROP_REQUEST})
SEQUENCE_KINDS = frozenset({FaultKind.SEQ_SKIP, FaultKind.SEQ_REPEAT, FaultKind.SEQ_RESET})
ACTIONS = frozenset({FaultKind.CLOSE_CLEAN, FaultKind.CLOSE_ABRUPT})
#: The faults a new-API request may meet (armed on ``"/ws:<method>"``).
WS_API_KINDS = HTTP_KINDS

#: How many request arrivals ``FaultPlan.arrivals`` keeps (the oldest are dropped).
ARRIVALS_KEPT = 10_000

_HTTP_ERROR_REASONS = {500: "System", 502: "System", 503: "Maintenance", 504: "System"}


@dataclass
class Fault:
    """One armed fault.

    Attributes:
        kind: what goes wrong.
        count: how many more times it fires (None = until cleared).
        path: REST path it applies to (None = all); REST faults only.
        status: HTTP status of ``http-error`` (500, 502, 503, 504).
        delay_s: seconds of ``delay`` and ``hang``.
        raw: the text of ``bad-frame``.
        skew_ms: the shift of ``clock-skew`` (ms, may be negative).
        reason: the ``reason`` of ``http-error``'s body, e.g. ``"OrderNotFound"`` with status 404 (a refusal, not
            a failure); empty: the status's usual reason (``System``, ``Maintenance``).
    """

    kind: FaultKind
    count: int | None = 1
    path: str | None = None
    status: int = 500
    delay_s: float = 1.0
    raw: str = ""
    skew_ms: int = 0
    reason: str = ""

    def to_json(self) -> dict[str, Any]:
        """The fault as a JSON object (the admin route's answer)."""
        return {k: (v.value if isinstance(v, enum.Enum) else v) for k, v in asdict(self).items()}


class StreamConnection(Protocol):
    """One open order-events socket, as the server keeps it: what :meth:`FaultPlan.close_streams` closes."""

    transport: Any  # the TCP transport (``asyncio.Transport``), None before it is known
    ws: web.WebSocketResponse


@dataclass
class FaultPlan:
    """The faults armed on one exchange server, and the counters of what fired.

    Attributes:
        fired: how many times each kind fired, e.g. ``{"drop-response": 1}``.
        arrivals: the latest requests received, ``(path, time.monotonic() seconds)``, oldest first.
    """

    faults: list[Fault] = field(default_factory=list)
    fired: dict[str, int] = field(default_factory=dict)
    arrivals: deque[tuple[str, float]] = field(default_factory=lambda: deque(maxlen=ARRIVALS_KEPT))
    _released: asyncio.Event | None = None
    _connections: Callable[[], Iterable[StreamConnection]] | None = None
    _held: dict[int, list[dict[str, Any]]] = field(default_factory=dict)

    def attach(self, connections: Callable[[], Iterable[StreamConnection]]) -> None:
        """Bind the plan to its server: ``connections()`` lists the server's open order-events sockets (the server
        calls this with its :meth:`~console.exchange.server.app.ExchangeServer.order_events_connections`)."""
        self._connections = connections

    # -- control -----------------------------------------------------------------------------------------------------
    def arm(self, kind: FaultKind | str, *, count: int | None = 1, path: str | None = None, **params: Any) -> Fault:
        """Arm a fault; returns it. ``close-clean`` / ``close-abrupt`` are actions: use :meth:`close_streams`.

        Raises:
            ValueError: unknown kind, or an action kind.
        """
        kind = FaultKind(kind)
        if kind in ACTIONS:
            raise ValueError(f"{kind} is an action: call close_streams()")
        if kind is FaultKind.CLOCK_SKEW:
            self.faults = [f for f in self.faults if f.kind is not FaultKind.CLOCK_SKEW]
            count = None
        fault = Fault(kind, count=count, path=path, **params)
        self.faults.append(fault)
        log.warning("fault armed: %s", fault.to_json())
        return fault

    def clear(self, kind: FaultKind | str | None = None) -> None:
        """Disarm every fault (or every fault of ``kind``); events held back for reordering are released."""
        if kind is None:
            self.faults.clear()
        else:
            self.faults = [f for f in self.faults if f.kind is not FaultKind(kind)]
        if self._released is not None and (kind is None or FaultKind(kind) is FaultKind.HANG):  # release the held
            self._released.set()
            self._released = None
        log.warning("faults cleared: %s", kind or "all")

    def armed(self, kind: FaultKind) -> bool:
        """True while a fault of ``kind`` is armed."""
        return any(f.kind is kind for f in self.faults)

    async def close_streams(self, *, abrupt: bool = False) -> int:
        """Close every order-events socket: a clean 1000 close, or a TCP drop without a close frame.

        Returns:
            How many sockets were closed.
        """
        if self._connections is None:
            return 0
        conns = list(self._connections())
        kind = FaultKind.CLOSE_ABRUPT if abrupt else FaultKind.CLOSE_CLEAN
        for conn in conns:
            self._count(kind)
            if abrupt and conn.transport is not None:
                conn.transport.abort()
            else:
                with contextlib.suppress(Exception):
                    await conn.ws.close(code=WSCloseCode.OK, message=b"fault: clean close")
        return len(conns)

    # -- consulted by the server -------------------------------------------------------------------------------------
    @property
    def skew_ms(self) -> int:
        """The server clock's shift (ms)."""
        for fault in self.faults:
            if fault.kind is FaultKind.CLOCK_SKEW:
                return fault.skew_ms
        return 0

    def _count(self, kind: FaultKind) -> None:
        self.fired[kind.value] = self.fired.get(kind.value, 0) + 1

    def _take(self, kinds: Iterable[FaultKind], path: str | None = None) -> Fault | None:
        kinds = frozenset(kinds)
        for fault in self.faults:
            if fault.kind in kinds and (fault.path is None or path is None or fault.path == path):
                if fault.count is not None:
                    fault.count -= 1
                    if fault.count <= 0:
                        self.faults.remove(fault)
                self._count(fault.kind)
                return fault
        return None

    def take_ws_api(self, method: str) -> Fault | None:
        """The armed fault for one new-API request of ``method`` (a fault whose path is ``"/ws:<method>"``), once."""
        path = f"{WS_API_PATH}:{method}"
        for fault in self.faults:
            if fault.kind in WS_API_KINDS and fault.path == path:
                if fault.count is not None:
                    fault.count -= 1
                    if fault.count <= 0:
                        self.faults.remove(fault)
                self._count(fault.kind)
                return fault
        return None

    async def hold(self, delay_s: float) -> None:
        """Wait ``delay_s`` seconds, or less if the hang faults are cleared meanwhile (a new-API ``hang``)."""
        await self._hold(delay_s)

    def heartbeats_stalled(self) -> bool:
        """True while heartbeats must not be sent."""
        stalled = self.armed(FaultKind.STALL_HEARTBEATS)
        if stalled:
            self._count(FaultKind.STALL_HEARTBEATS)
        return stalled

    def sequence(self, conn: _Numbered) -> int:
        """Return the ``socket_sequence`` of ``conn``'s next message and advance its counter (with faults)."""
        seq = conn.socket_sequence
        conn.socket_sequence += 1
        # Waits for the second message: a repeat or a reset of the very first number would be no fault at all.
        fault = self._take(SEQUENCE_KINDS) if seq > 0 else None
        if fault is None:
            return seq
        if fault.kind is FaultKind.SEQ_SKIP:
            conn.socket_sequence = seq + 2
            return seq + 1
        if fault.kind is FaultKind.SEQ_REPEAT:
            conn.socket_sequence = seq
            return max(seq - 1, 0)
        conn.socket_sequence = 1  # SEQ_RESET
        return 0

    def take_bad_frame(self) -> str | None:
        """The raw text of an armed ``bad-frame`` fault, once; None when none is armed."""
        fault = self._take({FaultKind.BAD_FRAME})
        return None if fault is None else fault.raw

    def outgoing(self, conn: Any, events: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
        """The batches to send now for one engine batch (duplicated, held back or released behind it)."""
        key = id(conn)
        held = self._held.pop(key, None)
        if held is None and self._take({FaultKind.REORDER_EVENTS}) is not None:
            self._held[key] = events
            return []
        batches = [events]
        if self._take({FaultKind.DUPLICATE_EVENTS}) is not None:
            batches.append(events)
        if held is not None:
            batches.append(held)
        return batches

    # -- REST ----------------------------------------------------------------------------------------------------
    @web.middleware
    async def middleware(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        """aiohttp middleware in front of every route: applies the armed REST faults."""
        if request.path == ADMIN_PATH:
            return await handler(request)
        self.arrivals.append((request.path, time.monotonic()))
        if request.path.startswith("/v1/order/events"):
            # Only a hang aimed at the stream itself applies to the upgrade (a REST fault with no path does not).
            hang = next((f for f in self.faults if f.kind is FaultKind.HANG and f.path == request.path), None)
            if hang is None:
                return await handler(request)
            self._take({FaultKind.HANG}, request.path)
            log.warning("fault hang on the order-events upgrade: no answer")
            await self._hold(hang.delay_s)
            _abort(request)  # a black-holed upgrade never reaches the venue
            return web.Response(status=500)
        if request.path == WS_API_PATH:  # the new API's faults apply per method (take_ws_api), not to its upgrade
            return await handler(request)
        fault = self._take(HTTP_KINDS, request.path)
        if fault is None:
            return await handler(request)
        log.warning("fault %s on %s %s", fault.kind, request.method, request.path)
        if fault.kind is FaultKind.HTTP_ERROR:
            reason = fault.reason or _HTTP_ERROR_REASONS.get(fault.status, "System")
            return _error(fault.status, reason, f"fault injected: {fault.reason or 'technical issues'}")
        if fault.kind is FaultKind.HTTP_429:
            return _error(429, "RateLimit", "fault injected: too many requests")
        if fault.kind is FaultKind.DROP_REQUEST:
            _abort(request)
            return web.Response(status=500)
        if fault.kind is FaultKind.HANG:
            await self._hold(fault.delay_s)
            return await handler(request)
        response = await handler(request)
        if fault.kind is FaultKind.DELAY:
            await asyncio.sleep(fault.delay_s)
            return response
        _abort(request)  # DROP_RESPONSE: processed, answer lost
        return response

    async def _hold(self, delay_s: float) -> None:
        """Wait ``delay_s`` seconds, or less if the hang faults are cleared meanwhile."""
        if self._released is None:
            self._released = asyncio.Event()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(delay_s):
                await self._released.wait()

    def add_routes(self, app: web.Application) -> None:
        """Add the admin route (``GET``/``POST``/``DELETE`` :data:`ADMIN_PATH`)."""
        app.router.add_get(ADMIN_PATH, self._admin_list, allow_head=False)
        app.router.add_post(ADMIN_PATH, self._admin_arm)
        app.router.add_delete(ADMIN_PATH, self._admin_clear)

    async def _admin_list(self, request: web.Request) -> web.Response:
        return web.json_response({"armed": [f.to_json() for f in self.faults], "fired": self.fired})

    async def _admin_arm(self, request: web.Request) -> web.Response:
        try:
            body = json.loads(await request.text() or "{}")
            if not isinstance(body, dict):
                raise ValueError("the body must be a JSON object")
            kind = FaultKind(body.pop("kind"))
            if kind in ACTIONS:
                closed = await self.close_streams(abrupt=kind is FaultKind.CLOSE_ABRUPT)
                return web.json_response({"closed": closed})
            fault = self.arm(kind, **body)
        except (KeyError, ValueError, TypeError) as exc:
            return _error(400, "InvalidJson", f"bad fault: {exc}")
        return web.json_response({"armed": fault.to_json()})

    async def _admin_clear(self, request: web.Request) -> web.Response:
        self.clear()
        return web.json_response({"armed": []})


def _abort(request: web.Request) -> None:
    transport = request.transport
    if transport is not None:
        transport.abort()


def _error(status: int, reason: str, message: str) -> web.Response:
    return web.json_response({"result": "error", "reason": reason, "message": message}, status=status)


def parse_fault_spec(spec: str) -> dict[str, Any]:
    """Parse a CLI fault spec ``KIND[:key=value,key=value]`` into :meth:`FaultPlan.arm` arguments.

    ``"http-error:status=502,path=/v1/order/new,count=2"`` →
    ``{"kind": "http-error", "status": 502, "path": "/v1/order/new", "count": 2}``; ``count=0`` means until cleared.

    Raises:
        ValueError: unknown kind or key, or a malformed value.
    """
    kind_text, _, rest = spec.partition(":")
    args: dict[str, Any] = {"kind": FaultKind(kind_text.strip()).value}
    converters: dict[str, Callable[[str], Any]] = {
        "count": lambda v: int(v) or None, "path": str, "status": int, "delay_s": float, "raw": str, "skew_ms": int,
    }
    for part in filter(None, (p.strip() for p in rest.split(","))):
        key, sep, value = part.partition("=")
        if not sep or key not in converters:
            raise ValueError(f"bad fault parameter {part!r}: use one of {', '.join(converters)}")
        args[key] = converters[key](value)
    return args
