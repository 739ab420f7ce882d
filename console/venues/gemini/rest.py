"""Async REST client for Gemini's private order API and public market data (one ``httpx.AsyncClient``)."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from types import TracebackType
from typing import Any, Self, TypeVar

import httpx
from pydantic import TypeAdapter, ValidationError

from console.venues.gemini.auth import NonceSource, hold_until_sent, nonce_quoted_in, private_headers
from console.venues.gemini.cancel_lane import CANCEL_PATHS, _CancelLane
from console.venues.gemini.credentials import Credentials
from console.venues.gemini.errors import (
    AuthenticationError,
    InvalidResponse,
    NonceError,
    RateLimited,
    RequestTimeout,
    TransportError,
    error_from_response,
)
from console.venues.gemini.models import validate_json_exact
from console.venues.gemini.ratelimit import RateLimiter
from console.venues.gemini.rest_account import AccountEndpoints
from console.venues.gemini.rest_history import MAX_PAGE, walk_history
from console.venues.gemini.rest_market import MarketDataEndpoints
from console.venues.gemini.rest_orders import WIRE_ORDER_TYPES, OrderEndpoints
from console.venues.gemini.tap import Observer, TapTransport, forwarded_to_loop

__all__ = ["CANCEL_PATHS", "DEFAULT_TIMEOUT", "MAX_PAGE", "WIRE_ORDER_TYPES", "GeminiRestClient", "walk_history"]

logger = logging.getLogger(__name__)

_T = TypeVar("_T")

#: Default timeouts: 5 s to connect, 10 s for each read/write/pool wait.
DEFAULT_TIMEOUT = httpx.Timeout(10.0, connect=5.0)

#: After an ``InvalidNonce``, how far past the refused nonce the source jumps before each new attempt (ms): the
#: venue's high-water mark is unknown (its message quotes our nonce), so the second retry leaps a minute ahead.
_NONCE_RETRY_JUMPS_MS = (0, 60_000)

#: httpcore trace events meaning "the request's last byte is written to the socket" (HTTP/1.1 and HTTP/2).
_SENT_EVENTS = frozenset({"http11.send_request_body.complete", "http2.send_request_body.complete"})

_ADAPTERS: dict[Any, TypeAdapter[Any]] = {}


def _adapter(tp: type[_T]) -> TypeAdapter[_T]:
    adapter = _ADAPTERS.get(tp)
    if adapter is None:
        adapter = _ADAPTERS[tp] = TypeAdapter(tp)
    return adapter


def _reject_constant(name: str) -> Any:
    raise ValueError(f"invalid JSON constant {name}")


class GeminiRestClient(OrderEndpoints, AccountEndpoints, MarketDataEndpoints):
    """Typed async client of Gemini's REST API.

    Private calls POST to ``base_url + path`` with an empty body and the signed headers of
    ``console.venues.gemini.auth.private_headers``; the payload is ``{"request": path, "nonce": n, ...fields}`` plus
    ``"account"`` when ``account`` is set (master keys,
    https://developer.gemini.com/authentication/api-key). Public calls are plain GETs.

    Errors (see ``console.venues.gemini.errors``):
        AuthenticationError: a private call without credentials (raised before anything is sent), or refused auth.
        ApiError and subclasses: any non-200 answer, mapped from its ``reason``.
        RequestTimeout / TransportError: the network failed; the outcome of the request is unknown.
        InvalidResponse: HTTP 200 with a body that is not the documented JSON.
        ValueError: invalid arguments, raised before sending.

    Args:
        base_url: e.g. ``"https://api.gemini.com"`` or ``"http://127.0.0.1:8787"``.
        credentials: needed for private calls only.
        nonce: the nonce source of this key; share it with the order events client of the same key.
        timeout: httpx timeouts (default 5 s connect, 10 s read/write/pool).
        transport: httpx transport (tests pass ``httpx.MockTransport``).
        account: sub-account nickname added to every private payload (master keys only).
        limiter: the client-side rate limiter (Gemini's documented 600/min private, 120/min public, burst 5).
        on_rate_limited: called with ``(path, pause_s)`` when the venue answers 429, so the UI can show it.

    Ordering and recovery (a nonce must increase per key,
    https://docs.gemini.com/websocket/overview/requests/private-api):
        Private calls take the key's ``NonceSource.ordered()`` lock around nonce, signature and hand-off, and
        release it once the request is written to its socket (httpcore's ``trace`` events) or after
        ``auth.HANDOFF_BOUND_S``, never while the answer is awaited: a hung ``order/new`` or a slow status call
        holds no one else back. So concurrent calls normally reach the venue in nonce order. When one is overtaken
        anyway (a slow connect, a cancel, another program on the key, a clock far ahead before a restart) the venue
        answers ``InvalidNonce``: the request was refused *unexecuted* (the nonce is checked before anything else),
        so it is signed again with a fresh nonce and re-sent at once, even a new order (this is no blind re-send
        of an order whose outcome is unknown). The source is advanced past the nonce quoted in the message first;
        a second refusal jumps a minute ahead. ``InvalidSignature`` / ``MissingRole`` are never retried. A 429
        pauses the limiter (1 s, doubling, capped at 30 s) and raises ``RateLimited``: the request is not retried.

    Cancels (``/v1/order/cancel``, ``cancel/session``, ``cancel/all``) must leave the console at once whatever
    else is in flight, so they skip every queue: they take no ordering lock (a cancel overtaking an earlier nonce
    costs that request one re-sign; a cancel overtaken is re-signed itself, safe since cancelling is
    idempotent), do not wait for a rate-limit token or a 429 pause (``TokenBucket.take_priority``), and are sent
    from a thread of their own on a connection pool of their own (``_CancelLane``), so neither a pool slot held by
    hung requests nor work on the console's event loop (a repaint) delays their bytes; with a test ``transport``
    they use a second pool on the caller's loop instead (the seam cannot be shared between loops). (A second API key
    for cancels would need a second key and secret from every user, and its cancel/session would cancel the
    other key's session; one key with re-signing needs neither.)
    """

    def __init__(
        self,
        base_url: str,
        credentials: Credentials | None = None,
        *,
        nonce: NonceSource | None = None,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        transport: httpx.AsyncBaseTransport | None = None,
        account: str | None = None,
        limiter: RateLimiter | None = None,
        on_rate_limited: Callable[[str, float], None] | None = None,
        observers: Sequence[Observer] = (),
    ) -> None:
        self._base_url = base_url.rstrip("/")
        self._limiter = limiter if limiter is not None else RateLimiter()
        self.on_rate_limited = on_rate_limited
        self._credentials = credentials
        self._nonce = nonce if nonce is not None else NonceSource()
        self._account = account
        # The loop of the first private call: where the cancel lane's observer calls are delivered.
        self._caller_loop: asyncio.AbstractEventLoop | None = None
        self._http = httpx.AsyncClient(
            base_url=self._base_url,
            timeout=timeout,
            transport=TapTransport(observers, transport) if observers else transport,
            follow_redirects=False,
            headers={"User-Agent": "trading-console"},
        )
        # The cancel lane (class docstring). A test transport is the seam, bound to the caller's loop: then the
        # lane is a second pool on that loop.
        # With observers (the journal, latency), the lane's requests are tapped too, and the lane's tap hands each
        # call to the caller's loop (forwarded_to_loop): the lane never waits for an observer.
        def cancel_client() -> httpx.AsyncClient:
            tapped: httpx.AsyncBaseTransport | None = transport
            if observers and transport is None:
                tapped = TapTransport(forwarded_to_loop(observers, lambda: self._caller_loop))
            elif observers:
                tapped = TapTransport(observers, transport)
            return httpx.AsyncClient(base_url=self._base_url, timeout=timeout, transport=tapped,
                                     follow_redirects=False, headers={"User-Agent": "trading-console"})

        self._cancel_http: httpx.AsyncClient | None = cancel_client() if transport is not None else None
        self._cancel_lane: _CancelLane | None = _CancelLane(cancel_client) if transport is None else None

    def __repr__(self) -> str:
        key = self._credentials.masked_key if self._credentials else None
        return f"GeminiRestClient(base_url={self._base_url!r}, api_key={key!r}, account={self._account!r})"

    @property
    def base_url(self) -> str:
        """The REST base URL, without a trailing slash."""
        return self._base_url

    @property
    def nonce(self) -> NonceSource:
        """The nonce source used for private calls."""
        return self._nonce

    @property
    def account(self) -> str | None:
        """The sub-account nickname sent as ``"account"`` with every private call (master keys), or None."""
        return self._account

    @account.setter
    def account(self, name: str | None) -> None:
        if name is not None and (not isinstance(name, str) or not name.strip()):
            raise ValueError("account must be a non-empty sub-account nickname or None")
        self._account = name

    @property
    def is_master_key(self) -> bool:
        """True when the key is a master (group) key (``master-...``): private calls then need ``account``."""
        return self._credentials is not None and self._credentials.api_key.startswith("master-")

    @property
    def limiter(self) -> RateLimiter:
        """The client-side rate limiter."""
        return self._limiter

    @property
    def has_credentials(self) -> bool:
        """True when private calls can be signed."""
        return self._credentials is not None

    async def close(self) -> None:
        """Close the HTTP connection pools."""
        await self._http.aclose()
        if self._cancel_http is not None:
            await self._cancel_http.aclose()
        if self._cancel_lane is not None:
            await self._cancel_lane.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    # --- plumbing -------------------------------------------------------------------------------------------

    async def _send(self, request: httpx.Request, *, cancel: bool = False) -> httpx.Response:
        try:
            if cancel and self._cancel_lane is not None:
                return await self._cancel_lane.send(request)
            if cancel and self._cancel_http is not None:
                return await self._cancel_http.send(request)
            return await self._http.send(request)
        except httpx.TimeoutException as exc:
            raise RequestTimeout(f"{request.method} {request.url.path}: timed out ({type(exc).__name__})") from exc
        except httpx.TransportError as exc:
            raise TransportError(f"{request.method} {request.url.path}: {type(exc).__name__}: {exc}") from exc

    def _parse(self, response: httpx.Response, tp: type[_T], *, private: bool = True) -> _T:
        path = response.request.url.path
        logger.debug("%s %s -> HTTP %s", response.request.method, path, response.status_code)
        bucket = self._limiter.bucket(private)
        if response.status_code != 200:
            error = error_from_response(response.status_code, response.content)
            if isinstance(error, RateLimited) or response.status_code == 429:
                pause_s = bucket.rate_limited()
                logger.warning("%s: rate limited (HTTP 429); pausing %s requests for %.1f s",
                               path, "private" if private else "public", pause_s)
                if self.on_rate_limited is not None:
                    self.on_rate_limited(path, pause_s)
            else:
                bucket.succeeded()
            raise error
        bucket.succeeded()
        text = response.content.decode("utf-8", errors="replace")
        if text.startswith("["):  # an array is never an error body: try the one-pass parse (10,000 orders)
            parsed = validate_json_exact(_adapter(tp), text)
            if parsed is not None:
                return parsed
        try:
            # Floats as Decimal so JSON numbers such as tick_size 1e-8 stay exact.
            data = json.loads(text, parse_float=Decimal, parse_constant=_reject_constant)
        except ValueError as exc:
            raise InvalidResponse(f"{path}: body is not JSON: {text[:200]!r}") from exc
        if isinstance(data, dict) and data.get("result") == "error":
            raise error_from_response(response.status_code, text)
        try:
            return _adapter(tp).validate_python(data)
        except ValidationError as exc:
            detail = "; ".join(
                f"{'.'.join(str(p) for p in err['loc']) or '<root>'}: {err['msg']}" for err in exc.errors()[:5]
            )
            raise InvalidResponse(f"{path}: unexpected shape ({detail}); body {text[:200]!r}") from exc

    async def _private(self, path: str, fields: Mapping[str, Any], tp: type[_T]) -> _T:
        if self._credentials is None:
            raise AuthenticationError("MissingCredentials", f"no API key configured for private call {path}")
        cancel = path in CANCEL_PATHS
        if self._cancel_lane is not None:
            if self._caller_loop is None:
                self._caller_loop = asyncio.get_running_loop()
            self._cancel_lane.start()  # ready before the first cancel (see _CancelLane)
        attempts = len(_NONCE_RETRY_JUMPS_MS) + 1
        for attempt in range(1, attempts + 1):
            if cancel:
                self._limiter.private.take_priority()
                payload, request = self._signed(path, fields, None)
                response = await self._send(request, cancel=True)
            else:
                await self._limiter.private.acquire()
                sent = asyncio.Event()
                async with self._nonce.ordered():
                    payload, request = self._signed(path, fields, sent)
                    task = asyncio.ensure_future(self._send(request))
                    await hold_until_sent(task, sent)
                try:
                    response = await task
                except BaseException:
                    task.cancel()
                    raise
            try:
                return self._parse(response, tp)
            except NonceError as exc:
                if attempt == attempts or exc.reason != "InvalidNonce":
                    raise
                # Refused unexecuted (safe to sign again, even a new order): move past the venue's high-water mark.
                quoted = nonce_quoted_in(exc.message)
                self._nonce.advance_to(max(quoted or 0, payload["nonce"]) + _NONCE_RETRY_JUMPS_MS[attempt - 1])
                logger.warning("%s: InvalidNonce; nonce source advanced, request signed again", path)
        raise AssertionError("unreachable")  # pragma: no cover

    def _signed(self, path: str, fields: Mapping[str, Any], sent: asyncio.Event | None
                ) -> tuple[dict[str, Any], httpx.Request]:
        """Take a nonce and build the signed request; ``sent`` is set once its last byte is written."""
        if self._credentials is None:  # checked by _private before; kept for the type checker
            raise AuthenticationError("MissingCredentials", f"no API key configured for private call {path}")
        payload: dict[str, Any] = {"request": path, "nonce": self._nonce.next(), **fields}
        if self._account is not None:
            payload["account"] = self._account
        headers = private_headers(self._credentials, payload)
        extensions: dict[str, Any] = {}
        if sent is not None:
            async def trace(event: str, info: Mapping[str, Any]) -> None:
                if event in _SENT_EVENTS or event.endswith(".failed"):
                    sent.set()

            extensions["trace"] = trace
        return payload, self._http.build_request("POST", path, content=b"", headers=headers, extensions=extensions)

    async def _public(self, path: str, params: Mapping[str, Any] | None, tp: type[_T]) -> _T:
        clean = {k: v for k, v in (params or {}).items() if v is not None}
        await self._limiter.public.acquire()
        request = self._http.build_request("GET", path, params=clean)
        response = await self._send(request)
        return self._parse(response, tp, private=False)
