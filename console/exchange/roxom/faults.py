"""Fault injection for the local Roxom venue, on the server side of real sockets (tests, soak runs and demos).

The venue's REST middleware and WebSocket sender consult one :class:`RoxomFaults`; the client is never mocked.

=================  ==================================================================================================
``http-error``     answer ``status`` (default 500; 502/503/504 too) with Roxom's error body, without processing
``delay``          process the request, then wait ``delay_s`` before answering
``drop-response``  process the request (an order *is* placed, a cancel *is* requested), then drop the connection
``drop-request``   drop the connection without processing the request
``stall-stream``   while armed, the WebSockets send nothing (account and market messages and pongs are lost; the
                   sockets stay open): the silence a client's watchdog must notice, and the gap it must reconcile
``close-clean``    (action) close every WebSocket with 1000
``close-abrupt``   (action) drop every WebSocket's TCP connection without a close frame
=================  ==================================================================================================

REST faults match a path (``path``, e.g. ``"/api/v1/orders"``, or a route's template such as
``"/api/v1/orders/{orderId}/cancel"`` for every order's cancel; None = every REST route) and fire ``count`` times
(None = until cleared). Control: ``server.faults.arm("drop-response", path="/api/v1/orders")`` in tests;
``trading-console exchange --venue roxom --fault http-error:status=503,count=2`` at start; or, while it runs,
``curl -X POST http://127.0.0.1:8788/_faults -d '{"kind": "stall-stream"}'`` (``GET`` lists, ``DELETE`` clears).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from typing import Any

from aiohttp import web

from console.exchange.roxom.wire import error_body

__all__ = ["ADMIN_PATH", "ACTIONS", "KINDS", "Fault", "RoxomFaults", "parse_fault_spec"]

log = logging.getLogger(__name__)

ADMIN_PATH = "/_faults"
REST_KINDS = frozenset({"http-error", "delay", "drop-response", "drop-request"})
ACTIONS = frozenset({"close-clean", "close-abrupt"})
KINDS = REST_KINDS | ACTIONS | {"stall-stream"}
HTTP_ERROR_STATUSES = frozenset({500, 502, 503, 504})


@dataclass
class Fault:
    """One armed fault (see the module docstring for the kinds)."""

    kind: str
    count: int | None = 1
    path: str | None = None
    status: int = 500
    delay_s: float = 1.0


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
CloseStreams = Callable[[bool], Awaitable[int]]


class RoxomFaults:
    """The armed faults of one venue.

    Args:
        close_streams: ``await close_streams(abrupt)`` closes every WebSocket and returns how many it closed.
    """

    def __init__(self, close_streams: CloseStreams) -> None:
        self.faults: list[Fault] = []
        self.fired: list[str] = []
        self._close_streams = close_streams

    def arm(
        self,
        kind: str,
        *,
        count: int | None = 1,
        path: str | None = None,
        status: int = 500,
        delay_s: float = 1.0,
    ) -> Fault:
        """Arm a fault; ``stall-stream`` stays armed until cleared (its ``count`` is ignored).

        Raises:
            ValueError: an unknown or action kind, a status other than 500/502/503/504, a negative delay or a
                count below 1.
        """
        if kind not in KINDS or kind in ACTIONS:
            raise ValueError(f"unknown fault kind {kind!r}: use one of {', '.join(sorted(KINDS - ACTIONS))}")
        if status not in HTTP_ERROR_STATUSES:
            raise ValueError("status must be 500, 502, 503 or 504")
        if delay_s < 0 or (count is not None and count < 1):
            raise ValueError("delay_s must not be negative and count must be at least 1 (None: until cleared)")
        fault = Fault(kind, None if kind == "stall-stream" else count, path, status, delay_s)
        self.faults.append(fault)
        return fault

    def clear(self) -> None:
        """Disarm every fault."""
        self.faults.clear()

    @property
    def stream_stalled(self) -> bool:
        """True while ``stall-stream`` is armed."""
        return any(f.kind == "stall-stream" for f in self.faults)

    def _take(self, path: str, template: str | None = None) -> Fault | None:
        for fault in self.faults:
            if fault.kind in REST_KINDS and (fault.path is None or fault.path in (path, template)):
                if fault.count is not None:
                    fault.count -= 1
                    if not fault.count:
                        self.faults.remove(fault)
                self.fired.append(fault.kind)
                return fault
        return None

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """aiohttp middleware in front of every REST route (not the admin route, not the WebSocket upgrade)."""
        if request.path in (ADMIN_PATH, "/ws"):
            return await handler(request)
        fault = self._take(request.path, _template(request))
        if fault is None:
            return await handler(request)
        log.warning("fault %s on %s %s", fault.kind, request.method, request.path)
        if fault.kind == "http-error":
            body = error_body(fault.status, "Internal error", "fault injected")
            return web.json_response(body, status=fault.status)
        if fault.kind == "drop-request":
            _abort(request)
            return web.Response(status=500)
        response = await handler(request)
        if fault.kind == "delay":
            await asyncio.sleep(fault.delay_s)
            return response
        _abort(request)  # drop-response: processed, answer lost
        return response

    def add_routes(self, app: web.Application) -> None:
        """Add ``GET``/``POST``/``DELETE`` :data:`ADMIN_PATH`."""
        app.router.add_get(ADMIN_PATH, self._admin_list, allow_head=False)
        app.router.add_post(ADMIN_PATH, self._admin_arm)
        app.router.add_delete(ADMIN_PATH, self._admin_clear)

    async def _admin_list(self, request: web.Request) -> web.Response:
        return web.json_response({"armed": [asdict(f) for f in self.faults], "fired": self.fired})

    async def _admin_arm(self, request: web.Request) -> web.Response:
        try:
            body = json.loads(await request.text() or "{}")
            if not isinstance(body, dict):
                raise ValueError("the body must be a JSON object")
            kind = str(body.pop("kind"))
            if kind in ACTIONS:
                return web.json_response({"closed": await self._close_streams(kind == "close-abrupt")})
            fault = self.arm(kind, **body)
        except (KeyError, ValueError, TypeError) as exc:
            return web.json_response(error_body(400, "Validation error", f"bad fault: {exc}"), status=400)
        return web.json_response({"armed": asdict(fault)})

    async def _admin_clear(self, request: web.Request) -> web.Response:
        self.clear()
        return web.json_response({"armed": []})


def _template(request: web.Request) -> str | None:
    """The matched route's path template (``/api/v1/orders/{orderId}/cancel``); aiohttp routes before middlewares."""
    route = request.match_info.route
    resource = route.resource if route is not None else None
    return resource.canonical if resource is not None else None


def _abort(request: web.Request) -> None:
    transport = request.transport
    if transport is not None:
        transport.abort()


def parse_fault_spec(spec: str) -> dict[str, Any]:
    """Parse ``KIND[:key=value,...]`` into :meth:`RoxomFaults.arm` arguments (``count=0``: until cleared).

    ``"http-error:status=503,path=/api/v1/orders,count=2"`` →
    ``{"kind": "http-error", "status": 503, "path": "/api/v1/orders", "count": 2}``.

    Raises:
        ValueError: an unknown kind or key, or a malformed value.
    """
    kind, _, rest = spec.partition(":")
    kind = kind.strip()
    if kind not in KINDS or kind in ACTIONS:
        raise ValueError(f"unknown fault kind {kind!r}")
    args: dict[str, Any] = {"kind": kind}
    converters: dict[str, Callable[[str], Any]] = {
        "count": lambda v: int(v) or None, "path": str, "status": int, "delay_s": float,
    }
    for part in filter(None, (p.strip() for p in rest.split(","))):
        key, sep, value = part.partition("=")
        if not sep or key not in converters:
            raise ValueError(f"bad fault parameter {part!r}: use one of {', '.join(converters)}")
        args[key] = converters[key](value)
    return args
