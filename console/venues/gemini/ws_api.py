"""Low-level asyncio client of Gemini's new WebSocket API: signed handshake, requests by ``id``, pushed streams.

https://docs.gemini.com/websocket/introduction. One socket (``wss://ws.gemini.com``; the local exchange serves it at
``ws_api_url``), authenticated once at the handshake with a **time-based nonce** (Unix seconds, within ±30 s of the
venue's clock; the key must be created with "Uses a time based nonce"). Requests ``{"id", "method", "params"}`` are
matched to their answers by ``id``; everything else the socket carries is a stream message, parsed into the models
of :mod:`console.venues.gemini.models.ws_api` and queued for :meth:`WsApiClient.next_message`.

Errors (all from :class:`~console.venues.gemini.errors.GeminiError`):

* :class:`WsApiError` (an ``ApiError``): the venue answered with ``{"error": {"code", "msg"}}``; ``.code`` is the
  documented code (-1000, -1002, -1003, -1013, -1020, -2010), ``.reason`` the reject reason when the message names
  one (``"InsufficientFunds"``). :class:`HandshakeRefused` is one raised by :meth:`WsApiClient.connect`.
* :class:`WsApiRequestTimeout` (a ``RequestTimeout``): no answer in time. The outcome is UNKNOWN: an ``order.place``
  may have been executed; settle it by client order id (an ``orders@…`` update, or REST order status).
* :class:`WsApiDisconnected` (a ``TransportError``): the socket closed or could not be opened; requests waiting for an
  answer fail with it, outcome unknown.

This is the wire client only; the venue adapter the console uses sits on top of it.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import json
import logging
import re
import time
from collections.abc import Callable, Sequence
from decimal import Decimal
from types import TracebackType
from typing import Any, Self
from urllib.parse import urlencode

from pydantic import ValidationError
from websockets.asyncio.client import ClientConnection
from websockets.asyncio.client import connect as ws_connect
from websockets.exceptions import ConnectionClosed, InvalidStatus, WebSocketException

from console.venues.gemini.auth import sign
from console.venues.gemini.credentials import Credentials
from console.venues.gemini.errors import ApiError, RequestTimeout, TransportError
from console.venues.gemini.models.ws_api import (
    CancelManyResult,
    DepthSnapshot,
    OrderResult,
    PushedMessage,
    RateLimitStatus,
    ServerTime,
    WsResponse,
    parse_pushed,
)

__all__ = [
    "APIKEY_HEADER",
    "NONCE_HEADER",
    "PAYLOAD_HEADER",
    "SIGNATURE_HEADER",
    "HandshakeRefused",
    "WsApiClient",
    "WsApiDisconnected",
    "WsApiError",
    "WsApiRequestTimeout",
    "handshake_headers",
]

log = logging.getLogger(__name__)

APIKEY_HEADER = "X-GEMINI-APIKEY"
NONCE_HEADER = "X-GEMINI-NONCE"
PAYLOAD_HEADER = "X-GEMINI-PAYLOAD"
SIGNATURE_HEADER = "X-GEMINI-SIGNATURE"

_REASON = re.compile(r"^([A-Z][A-Za-z]+): ")
_CLOSED = object()  # queue marker: the socket closed


class WsApiError(ApiError):
    """The venue answered a request (or the handshake) with an error.

    The reject reason is read from the message's first word (``"InsufficientFunds: ..."``): the documentation
    names no reason field for -2010 (CHOICE ws:reject-reason of the local exchange).

    Attributes:
        code: the documented error code, e.g. -2010 (order rejected).
        status: the answer's ``status`` (HTTP-like: 400, 401, 429, 500).
        msg: the venue's text.
    """

    def __init__(self, code: int, status: int, msg: str) -> None:
        self.code = code
        self.msg = msg
        match = _REASON.match(msg)
        super().__init__(match.group(1) if match else str(code), msg, status)

    @property
    def reject_reason(self) -> str | None:
        """The reason word that opens the message (``"InsufficientFunds: ..."`` → ``"InsufficientFunds"``)."""
        match = _REASON.match(self.msg)
        return match.group(1) if match else None


class HandshakeRefused(WsApiError):
    """The handshake was refused (bad signature, nonce outside ±30 s, a counter-nonce key, ...)."""


class WsApiRequestTimeout(RequestTimeout):
    """No answer within the timeout: the request's outcome is unknown (it may have been executed)."""


class WsApiDisconnected(TransportError):
    """The socket is closed (or never opened): a request without its answer has an unknown outcome."""


def _plain(value: Decimal | str | int) -> str:
    return format(value, "f") if isinstance(value, Decimal) else str(value)


def handshake_headers(credentials: Credentials, now_s: int) -> dict[str, str]:
    """The handshake's auth headers (https://docs.gemini.com/websocket/introduction, "Authentication").

    ``X-GEMINI-NONCE`` = ``now_s``; ``X-GEMINI-PAYLOAD`` = base64 of that text; ``X-GEMINI-SIGNATURE`` =
    ``hex(HMAC_SHA384(payload, secret))``.

    Args:
        credentials: key and secret (the secret is unwrapped only to sign).
        now_s: Unix time in whole seconds (the venue accepts ±30 s).
    """
    nonce = str(int(now_s))
    payload = base64.b64encode(nonce.encode("ascii")).decode("ascii")
    return {
        APIKEY_HEADER: credentials.api_key,
        NONCE_HEADER: nonce,
        PAYLOAD_HEADER: payload,
        SIGNATURE_HEADER: sign(payload, credentials.api_secret.get_secret_value()),
    }


def _error_of(body: bytes, status: int) -> HandshakeRefused:
    try:
        data = json.loads(body.decode("utf-8", "replace"))
        error = data["error"]
        return HandshakeRefused(int(error["code"]), status, str(error.get("msg", "")))
    except (ValueError, KeyError, TypeError):
        return HandshakeRefused(0, status, body[:200].decode("utf-8", "replace"))


class WsApiClient:
    """One connection to the new WebSocket API.

    Example::

        async with WsApiClient(url, credentials, cancel_on_disconnect=True) as api:
            await api.subscribe(["orders@session"])
            placed = await api.place_order("btcusd", "BUY", Decimal("0.01"), Decimal("60000"), client_order_id="c-1")
            update = await api.next_message(timeout_s=5)

    Args:
        url: e.g. ``"wss://ws.gemini.com"`` or the local exchange's ``"ws://127.0.0.1:8787/ws"``.
        credentials: a time-based-nonce key, or None for market data only.
        cancel_on_disconnect: ask the venue to cancel this connection's orders when the socket drops.
        snapshot: ``snapshot`` connection parameter (0 none, negative the full book, N the top N levels) sent on
            subscribing a diff-depth stream.
        request_timeout_s: default time to wait for an answer, seconds.
        open_timeout_s: time to wait for the handshake, seconds.
        clock_s: Unix time in seconds (the nonce); injectable for tests.
        max_pending_messages: stream messages kept unread; one more closes the connection (the consumer is too
            slow to keep a true picture, and must reconcile after reconnecting).
    """

    def __init__(
        self,
        url: str,
        credentials: Credentials | None = None,
        *,
        cancel_on_disconnect: bool = False,
        snapshot: int = 0,
        request_timeout_s: float = 5.0,
        open_timeout_s: float = 5.0,
        clock_s: Callable[[], float] = time.time,
        max_pending_messages: int = 100_000,
    ) -> None:
        self._url = url
        self._credentials = credentials
        self._query = {"cancelOnDisconnect": "true" if cancel_on_disconnect else "false", "snapshot": str(snapshot)}
        self._request_timeout_s = request_timeout_s
        self._open_timeout_s = open_timeout_s
        self._clock_s = clock_s
        self._ids = itertools.count(1)
        self._pending: dict[str, asyncio.Future[WsResponse]] = {}
        self._messages: asyncio.Queue[object] = asyncio.Queue(maxsize=max_pending_messages)
        self._ws: ClientConnection | None = None
        self._reader: asyncio.Task[None] | None = None
        self.bad_frames = 0
        #: The close code and reason of the last connection once it closed (None / "" while open or never opened;
        #: 1006 when it dropped without a close frame).
        self.close_code: int | None = None
        self.close_reason = ""

    @property
    def connected(self) -> bool:
        """True while the socket is open."""
        return self._ws is not None and self._reader is not None and not self._reader.done()

    # -- connection ------------------------------------------------------------------------------------------------
    async def connect(self) -> None:
        """Open the socket (signed when credentials were given).

        Raises:
            HandshakeRefused: the venue refused the handshake (its code and text).
            WsApiDisconnected: the connection could not be opened.
        """
        headers = handshake_headers(self._credentials, int(self._clock_s())) if self._credentials else {}
        url = f"{self._url}?{urlencode(self._query)}"
        try:
            self._ws = await ws_connect(
                url, additional_headers=headers, open_timeout=self._open_timeout_s, max_size=2**24,
                ping_interval=20, ping_timeout=20,
            )
        except InvalidStatus as exc:
            raise _error_of(bytes(exc.response.body or b""), exc.response.status_code) from None
        except (OSError, TimeoutError, WebSocketException) as exc:
            raise WsApiDisconnected(f"cannot open {self._url}: {exc}") from None
        self._reader = asyncio.get_running_loop().create_task(self._read_loop(self._ws))

    async def close(self) -> None:
        """Close the socket cleanly (code 1000); safe to call twice."""
        ws, self._ws = self._ws, None
        if ws is not None:
            with contextlib.suppress(Exception):
                await ws.close()
        if self._reader is not None:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._reader

    def abort(self) -> None:
        """Drop the TCP connection without a close frame (a lost link, as the venue sees it)."""
        if self._ws is not None:
            self._ws.transport.abort()

    async def __aenter__(self) -> Self:
        await self.connect()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def _read_loop(self, ws: ClientConnection) -> None:
        try:
            async for frame in ws:
                self._on_frame(frame if isinstance(frame, str) else frame.decode("utf-8", "replace"))
        except ConnectionClosed:
            pass
        finally:
            self.close_code = ws.close_code if ws.close_code is not None else 1006
            self.close_reason = ws.close_reason or ""
            for future in self._pending.values():
                if not future.done():
                    future.set_exception(WsApiDisconnected("the WebSocket API connection closed"))
            self._pending.clear()
            with contextlib.suppress(asyncio.QueueFull):
                self._messages.put_nowait(_CLOSED)

    def _on_frame(self, text: str) -> None:
        try:
            data = json.loads(text)
            if not isinstance(data, dict):
                raise ValueError("not a JSON object")
            if "status" in data and ("id" in data or "error" in data):
                response = WsResponse.model_validate(data)
                future = self._pending.pop(str(response.id), None) if response.id is not None else None
                if future is None:
                    log.warning("WebSocket API answer for no pending request: %s", text[:200])
                elif not future.done():
                    future.set_result(response)
                return
            message = parse_pushed(data)
        except (ValueError, ValidationError) as exc:
            self.bad_frames += 1
            log.warning("bad WebSocket API frame skipped (%s): %s", exc, text[:200])
            return
        try:
            self._messages.put_nowait(message)
        except asyncio.QueueFull:
            log.error("WebSocket API: %d stream messages unread; closing the connection", self._messages.maxsize)
            self.abort()

    # -- requests --------------------------------------------------------------------------------------------------
    async def request(
        self, method: str, params: dict[str, Any] | Sequence[str] | None = None, *, timeout_s: float | None = None
    ) -> WsResponse:
        """Send one request and wait for its answer.

        Returns:
            The success answer (``status`` 200).

        Raises:
            WsApiError: an error answer.
            WsApiRequestTimeout: no answer within ``timeout_s`` (default ``request_timeout_s``); outcome unknown.
            WsApiDisconnected: the socket is closed, or closed before the answer; outcome unknown.
        """
        ws = self._ws
        if ws is None or not self.connected:
            raise WsApiDisconnected("the WebSocket API connection is not open")
        request_id = str(next(self._ids))
        body: dict[str, Any] = {"id": request_id, "method": method}
        if params is not None:
            body["params"] = params if isinstance(params, dict) else list(params)
        future: asyncio.Future[WsResponse] = asyncio.get_running_loop().create_future()
        self._pending[request_id] = future
        try:
            await ws.send(json.dumps(body, separators=(",", ":")))
            async with asyncio.timeout(self._request_timeout_s if timeout_s is None else timeout_s):
                response = await future
        except TimeoutError:
            raise WsApiRequestTimeout(f"no answer to {method} (id {request_id})") from None
        except ConnectionClosed:
            raise WsApiDisconnected(f"the connection closed while sending {method}") from None
        finally:
            self._pending.pop(request_id, None)
        if response.error is not None or response.status != 200:
            code = response.error.code if response.error is not None else 0
            raise WsApiError(code, response.status, response.error.msg if response.error is not None else "")
        return response

    async def ping(self) -> None:
        """``ping``."""
        await self.request("ping")

    async def server_time_ms(self) -> int:
        """``time``: the venue's clock, Unix ms."""
        return ServerTime.model_validate((await self.request("time")).result).server_time_ms

    async def conninfo(self) -> list[RateLimitStatus]:
        """``conninfo``: the rate-limit counters of this connection."""
        return (await self.request("conninfo")).rate_limits or []

    async def subscribe(self, streams: Sequence[str]) -> None:
        """``subscribe`` to stream names, e.g. ``["orders@session", "btcusd@bookTicker"]``."""
        await self.request("subscribe", list(streams))

    async def unsubscribe(self, streams: Sequence[str]) -> None:
        """``unsubscribe`` from stream names."""
        await self.request("unsubscribe", list(streams))

    async def list_subscriptions(self) -> list[str]:
        """``list_subscriptions``: the stream names subscribed (``[]`` for none)."""
        result = (await self.request("list_subscriptions")).result
        return [str(name) for name in result] if isinstance(result, list) else []

    async def depth(self, symbol: str, limit: int = 100) -> DepthSnapshot:
        """``depth``: the book's top ``limit`` levels per side."""
        return DepthSnapshot.model_validate((await self.request("depth", {"symbol": symbol, "limit": limit})).result)

    async def place_order(
        self,
        symbol: str,
        side: str,
        quantity: Decimal,
        price: Decimal,
        *,
        time_in_force: str = "GTC",
        stop_price: Decimal | None = None,
        client_order_id: str | None = None,
        timeout_s: float | None = None,
    ) -> OrderResult:
        """``order.place`` a LIMIT order (``side`` ``"BUY"``/``"SELL"``; decimals sent as plain strings).

        Raises:
            WsApiError: -2010 (rejected: ``.reject_reason``), -1013 (bad parameters), -1003 (rate limited), ...
            WsApiRequestTimeout / WsApiDisconnected: outcome unknown; settle by ``client_order_id``.
        """
        params: dict[str, Any] = {"symbol": symbol, "side": side, "type": "LIMIT", "timeInForce": time_in_force,
                                  "quantity": _plain(quantity), "price": _plain(price)}
        if stop_price is not None:
            params["stopPrice"] = _plain(stop_price)
        if client_order_id is not None:
            params["clientOrderId"] = client_order_id
        response = await self.request("order.place", params, timeout_s=timeout_s)
        return OrderResult.model_validate(response.result)

    async def cancel_order(self, order_id: int | str, *, timeout_s: float | None = None) -> OrderResult:
        """``order.cancel`` one order by id; the answer is the order with its status after the cancel."""
        response = await self.request("order.cancel", {"orderId": str(order_id)}, timeout_s=timeout_s)
        return OrderResult.model_validate(response.result)

    async def cancel_all(self) -> CancelManyResult:
        """``order.cancel_all``: every live order of the account."""
        return CancelManyResult.model_validate((await self.request("order.cancel_all")).result)

    async def cancel_session(self) -> CancelManyResult:
        """``order.cancel_session``: this session's (API key's) live orders."""
        return CancelManyResult.model_validate((await self.request("order.cancel_session")).result)

    # -- streams ---------------------------------------------------------------------------------------------------
    async def next_message(self, timeout_s: float | None = None) -> PushedMessage:
        """The next stream message, in arrival order.

        Raises:
            WsApiDisconnected: the socket closed (after every message received before was returned).
            TimeoutError: none within ``timeout_s``.
        """
        async with asyncio.timeout(timeout_s):
            item = await self._messages.get()
        if item is _CLOSED:
            self._messages.put_nowait(_CLOSED)  # later calls see the close too
            raise WsApiDisconnected("the WebSocket API connection closed")
        return item  # type: ignore[return-value]  # the queue holds PushedMessage or the _CLOSED marker
