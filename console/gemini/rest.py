"""Async REST client for Gemini's private order API and public market data (one ``httpx.AsyncClient``)."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable, Mapping, Sequence
from decimal import Decimal
from types import TracebackType
from typing import Any, Self, TypeVar
from urllib.parse import quote

import httpx
from pydantic import TypeAdapter, ValidationError

from console.gemini.auth import NonceSource, hold_until_sent, nonce_quoted_in, private_headers
from console.gemini.credentials import Credentials
from console.gemini.errors import (
    AuthenticationError,
    InvalidResponse,
    NonceError,
    RateLimited,
    RequestTimeout,
    TransportError,
    error_from_response,
)
from console.gemini.models import (
    Balance,
    Book,
    CancelAllResponse,
    HeartbeatResponse,
    MyTrade,
    NotionalVolume,
    OrderStatus,
    PublicTrade,
    PubTicker,
    SymbolDetails,
    TradeVolumeDay,
    WrapResponse,
    validate_json_exact,
)
from console.gemini.ratelimit import RateLimiter
from console.orders.model import ExecOption, OrderType, Side

logger = logging.getLogger(__name__)

T = TypeVar("T")

#: Default timeouts: 5 s to connect, 10 s for each read/write/pool wait.
DEFAULT_TIMEOUT = httpx.Timeout(10.0, connect=5.0)

#: Gemini's ``type`` value for each order type of the ticket (https://docs.gemini.com/rest/orders#new-order).
WIRE_ORDER_TYPES: dict[OrderType, str] = {
    OrderType.LIMIT: "exchange limit",
    OrderType.STOP_LIMIT: "exchange stop limit",
}

#: After an ``InvalidNonce``, how far past the refused nonce the source jumps before each new attempt (ms): the
#: venue's high-water mark is unknown (its message quotes our nonce), so the second retry leaps a minute ahead.
_NONCE_RETRY_JUMPS_MS = (0, 60_000)

#: The cancel endpoints: they go out at once on their own connection pool (see ``GeminiRestClient``).
CANCEL_PATHS = frozenset({"/v1/order/cancel", "/v1/order/cancel/session", "/v1/order/cancel/all"})

#: httpcore trace events meaning "the request's last byte is written to the socket" (HTTP/1.1 and HTTP/2).
_SENT_EVENTS = frozenset({"http11.send_request_body.complete", "http2.send_request_body.complete"})

_ADAPTERS: dict[Any, TypeAdapter[Any]] = {}


class _CancelLane:
    """Sends cancels from a thread with an event loop of its own, on a connection pool of its own.

    On the console's event loop a cancel's bytes leave only when the loop gets to them: after whatever runs first
    (the screen repainting after a modal closes, a burst of stream events), which can take longer than the whole
    budget of a cancel. Here the request is handed to another thread at once and written there; Python switches
    threads at least every few milliseconds (``sys.getswitchinterval``), so the console's work cannot hold it.
    The answer comes back to the caller's loop as an ordinary awaitable. The thread is started by the client's
    first private call (:meth:`start`; building an ``httpx.AsyncClient`` takes a while, which a cancel must not
    wait for) and stops with :meth:`close`.

    Args:
        make_client: builds the lane's ``httpx.AsyncClient`` (called on the lane's thread).
    """

    def __init__(self, make_client: Callable[[], httpx.AsyncClient]) -> None:
        self._make_client = make_client
        self._start_lock = threading.Lock()
        self._ready = threading.Event()
        self._closed = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._client: httpx.AsyncClient | None = None

    def start(self) -> threading.Event:
        """Start the lane's thread unless it runs already; returns the event set once it can send.

        Raises:
            RuntimeError: the lane was closed (as httpx does for a closed client).
        """
        with self._start_lock:
            if self._closed:
                raise RuntimeError("Cannot send a request, as the cancel lane has been closed.")
            if self._thread is None:
                self._ready = threading.Event()
                loop = asyncio.new_event_loop()
                ready = self._ready

                def run() -> None:
                    asyncio.set_event_loop(loop)
                    client = self._make_client()
                    self._client, self._loop = client, loop
                    ready.set()
                    loop.create_task(self._warm_up(client))
                    loop.run_forever()

                self._thread = threading.Thread(target=run, name="cancel-lane", daemon=True)
                self._thread.start()
            return self._ready

    @staticmethod
    async def _warm_up(client: httpx.AsyncClient) -> None:
        """Pay the lane's one-time costs when it starts, not on the first cancel: its loop's resolver thread.

        Resolves the venue's host (as the first connection would). No request is sent. A failure is only logged.
        """
        url = client.base_url
        try:
            await asyncio.get_running_loop().getaddrinfo(url.host, url.port or (443 if url.scheme == "https" else 80))
        except OSError as exc:
            logger.debug("cancel lane warm-up failed: %s", type(exc).__name__)

    def _started(self) -> tuple[asyncio.AbstractEventLoop, httpx.AsyncClient]:
        self.start().wait()
        if self._loop is None or self._client is None:
            raise RuntimeError("the cancel lane is closed")
        return self._loop, self._client

    async def send(self, request: httpx.Request) -> httpx.Response:
        """Send ``request`` from the lane's thread and return its (fully read) response; raises what httpx raises."""
        loop, client = self._started()
        future = asyncio.run_coroutine_threadsafe(client.send(request), loop)
        return await asyncio.wrap_future(future)  # cancelling the caller cancels the send on the lane too

    async def close(self) -> None:
        """Close the lane's pool and stop its thread (nothing to do if it never started); it cannot start again."""
        with self._start_lock:
            self._closed = True
            thread = self._thread
            if thread is not None:
                self._ready.wait()
            loop, client = self._loop, self._client
            self._loop = self._thread = self._client = None
        if loop is None or thread is None or client is None:
            return
        async def shutdown() -> None:  # on the lane: nothing left pending (a warm-up into a black hole)
            pending = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
            await client.aclose()

        await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(shutdown(), loop))
        loop.call_soon_threadsafe(loop.stop)
        await asyncio.to_thread(thread.join, 5.0)
        if not thread.is_alive():
            loop.close()


def _adapter(tp: Any) -> TypeAdapter[Any]:
    adapter = _ADAPTERS.get(tp)
    if adapter is None:
        adapter = _ADAPTERS[tp] = TypeAdapter(tp)
    return adapter


def _reject_constant(name: str) -> Any:
    raise ValueError(f"invalid JSON constant {name}")


def _decimal_text(value: Decimal, field: str) -> str:
    """Plain decimal string for the wire (``Decimal("1E-8")`` → ``"0.00000001"``)."""
    if not isinstance(value, Decimal):
        raise TypeError(f"{field} must be a Decimal, got {type(value).__name__}")
    if not value.is_finite():
        raise ValueError(f"{field} must be finite")
    return format(value, "f")


#: Gemini's maximum page size for ``limit_orders`` and ``limit_trades``.
MAX_PAGE = 500


def _limit(value: int, field: str) -> int:
    """Check a page size: an int in 1..500 (Gemini's documented maximum)."""
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_PAGE:
        raise ValueError(f"{field} must be an integer from 1 to {MAX_PAGE}, got {value!r}")
    return value


def _order_id_int(order_id: str | int) -> int:
    if isinstance(order_id, bool):
        raise ValueError("order_id must be digits")
    if isinstance(order_id, int):
        value = order_id
    elif isinstance(order_id, str) and order_id.strip().isdigit():
        value = int(order_id.strip())
    else:
        raise ValueError(f"order_id must be digits, got {order_id!r}")
    if value < 0:
        raise ValueError("order_id must not be negative")
    return value


_H = TypeVar("_H")


async def walk_history(
    fetch: Callable[[int], Awaitable[list[_H]]],
    *,
    ident: Callable[[_H], Hashable],
    time_ms: Callable[[_H], int],
    page_size: int,
    since_ms: int = 0,
) -> AsyncIterator[_H]:
    """Walk a history endpoint with a ``timestamp`` lower bound forward: every item once, oldest first.

    Gemini's recipe for ``/v1/orders/history`` and ``/v1/mytrades``
    (https://developer.gemini.com/trading/rest-api/orders/list-past-orders and
    https://developer.gemini.com/trading/rest-api/orders/list-past-trades, "How to retrieve your ... history"):
    first ``timestamp: 0`` with a limit of 500, then ``timestamp`` = the page's highest timestamp + 1, until an
    empty list. Taken literally, ``+ 1`` would skip the items of the page's newest millisecond that did not fit
    in the page, so this asks again from that millisecond itself and drops the ids it has seen; once a page
    brings nothing new, it steps past the millisecond (ms + 1). It stops:

    - on a page shorter than ``page_size`` (nothing more at or after the bound), or an empty one;
    - when the next bound would not move forward: a page with nothing new after the step past its newest
      millisecond, or a page older than the bound. A venue that ignores ``timestamp`` or answers the same page
      forever therefore costs at most three requests, never a loop.

    Items of one millisecond beyond ``page_size`` cannot be reached through such an API; the walk steps past them.

    Args:
        fetch: one request: the page for a ``timestamp`` (ms), as the venue sends it (newest first).
        ident: the item's id (``order_id``, ``tid``).
        time_ms: the item's time in ms (``timestampms``).
        page_size: the limit sent with each request (a shorter page is the last one).
        since_ms: the first ``timestamp`` (ms); 0 for the whole history.

    Raises:
        Whatever ``fetch`` raises; items already yielded stay yielded.
    """
    seen: set[Hashable] = set()
    bound = since_ms
    while True:
        page = await fetch(bound)
        # The venue sends newest first: reversed and stably sorted by time, same-ms items keep ascending ids.
        fresh = sorted((item for item in reversed(page) if ident(item) not in seen), key=time_ms)
        for item in fresh:
            seen.add(ident(item))
            yield item
        if len(page) < page_size or not page:
            return
        newest_ms = max(time_ms(item) for item in page)
        next_bound = newest_ms if fresh and newest_ms > bound else newest_ms + 1
        if next_bound <= bound:
            return
        bound = next_bound


class GeminiRestClient:
    """Typed async client of Gemini's REST API.

    Private calls POST to ``base_url + path`` with an empty body and the signed headers of
    ``console.gemini.auth.private_headers``; the payload is ``{"request": path, "nonce": n, ...fields}`` plus
    ``"account"`` when ``account`` is set (master keys,
    https://developer.gemini.com/authentication/api-key). Public calls are plain GETs.

    Errors (see ``console.gemini.errors``):
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
    ) -> None:
        self._base_url = base_url.rstrip("/")
        self._limiter = limiter if limiter is not None else RateLimiter()
        self.on_rate_limited = on_rate_limited
        self._credentials = credentials
        self._nonce = nonce if nonce is not None else NonceSource()
        self._account = account
        self._http = httpx.AsyncClient(
            base_url=self._base_url,
            timeout=timeout,
            transport=transport,
            follow_redirects=False,
            headers={"User-Agent": "trading-console"},
        )
        # The cancel lane (class docstring). A test transport is the seam, bound to the caller's loop: then the
        # lane is a second pool on that loop.
        def cancel_client() -> httpx.AsyncClient:
            return httpx.AsyncClient(base_url=self._base_url, timeout=timeout, transport=transport,
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

    def _parse(self, response: httpx.Response, tp: Any, *, private: bool = True) -> Any:
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

    async def _private(self, path: str, fields: Mapping[str, Any], tp: Any) -> Any:
        if self._credentials is None:
            raise AuthenticationError("MissingCredentials", f"no API key configured for private call {path}")
        cancel = path in CANCEL_PATHS
        if self._cancel_lane is not None:
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

    async def _public(self, path: str, params: Mapping[str, Any] | None, tp: Any) -> Any:
        clean = {k: v for k, v in (params or {}).items() if v is not None}
        await self._limiter.public.acquire()
        request = self._http.build_request("GET", path, params=clean)
        response = await self._send(request)
        return self._parse(response, tp, private=False)

    # --- private: orders ------------------------------------------------------------------------------------

    async def new_order(
        self,
        *,
        symbol: str,
        side: Side,
        amount: Decimal,
        price: Decimal,
        order_type: OrderType = OrderType.LIMIT,
        stop_price: Decimal | None = None,
        options: Sequence[ExecOption] = (),
        client_order_id: str | None = None,
    ) -> OrderStatus:
        """Place a limit or stop-limit order: ``POST /v1/order/new`` (https://docs.gemini.com/rest/orders#new-order).

        Sends ``{"symbol", "amount", "price", "side", "type", "options", ["stop_price"], ["client_order_id"]}``
        with decimals as plain strings (``"0.00000001"``), ``type`` ``"exchange limit"`` or
        ``"exchange stop limit"``, and ``options`` always a list (``[]`` for a plain GTC limit).

        Returns:
            The order's status. A maker-or-cancel/IOC/FOK order that could not rest comes back HTTP 200 with
            ``is_cancelled: true`` and a ``reason``, not as an error.

        Raises:
            ValueError: stop-limit without ``stop_price``, limit with one, or a non-finite decimal.
            OrderRejected / InsufficientFunds / ...: Gemini refused the order (see the class docstring).
        """
        if order_type is OrderType.STOP_LIMIT and stop_price is None:
            raise ValueError("a stop-limit order needs stop_price")
        if order_type is OrderType.LIMIT and stop_price is not None:
            raise ValueError("stop_price is only for stop-limit orders")
        fields: dict[str, Any] = {
            "symbol": symbol,
            "amount": _decimal_text(amount, "amount"),
            "price": _decimal_text(price, "price"),
            "side": Side(side).value,
            "type": WIRE_ORDER_TYPES[OrderType(order_type)],
            "options": [ExecOption(option).value for option in options],
        }
        if stop_price is not None:
            fields["stop_price"] = _decimal_text(stop_price, "stop_price")
        if client_order_id is not None:
            fields["client_order_id"] = client_order_id
        return await self._private("/v1/order/new", fields, OrderStatus)

    async def cancel_order(self, order_id: str | int) -> OrderStatus:
        """Cancel one order: ``POST /v1/order/cancel`` with ``order_id`` as a JSON integer.

        https://docs.gemini.com/rest/orders#cancel-order. Cancelling an already-cancelled order succeeds and
        returns its status.

        Raises:
            ValueError: ``order_id`` is not digits.
            OrderNotFound: Gemini does not know the order.
        """
        return await self._private("/v1/order/cancel", {"order_id": _order_id_int(order_id)}, OrderStatus)

    async def cancel_all(self) -> CancelAllResponse:
        """Cancel every open order of the account, from all sessions including the UI: ``/v1/order/cancel/all``.

        https://docs.gemini.com/rest/orders#cancel-all-active-orders
        """
        return await self._private("/v1/order/cancel/all", {}, CancelAllResponse)

    async def cancel_session(self) -> CancelAllResponse:
        """Cancel the open orders placed with this key only: ``POST /v1/order/cancel/session``.

        https://docs.gemini.com/rest/orders#cancel-all-session-orders
        """
        return await self._private("/v1/order/cancel/session", {}, CancelAllResponse)

    async def order_status(
        self,
        *,
        order_id: str | int | None = None,
        client_order_id: str | None = None,
        include_trades: bool = False,
    ) -> OrderStatus:
        """Fetch one order: ``POST /v1/order/status`` (https://docs.gemini.com/rest/orders#order-status).

        Give exactly one of ``order_id`` (sent as a JSON integer) or ``client_order_id`` (a string).
        ``include_trades`` is always sent as a JSON boolean.

        Raises:
            ValueError: both or neither id given, or ``order_id`` not digits (nothing is sent).
            OrderNotFound: no such order.
        """
        if (order_id is None) == (client_order_id is None):
            raise ValueError("give exactly one of order_id or client_order_id")
        fields: dict[str, Any] = {}
        if order_id is not None:
            fields["order_id"] = _order_id_int(order_id)
        else:
            fields["client_order_id"] = client_order_id
        fields["include_trades"] = bool(include_trades)
        return await self._private("/v1/order/status", fields, OrderStatus)

    async def active_orders(self) -> list[OrderStatus]:
        """List the account's live orders: ``POST /v1/orders``.

        https://docs.gemini.com/rest/orders#get-active-orders
        """
        return await self._private("/v1/orders", {}, list[OrderStatus])

    async def my_trades(
        self, *, symbol: str | None = None, limit_trades: int | None = None, timestamp: int | None = None
    ) -> list[MyTrade]:
        """List your trades, newest first: ``POST /v1/mytrades`` (https://docs.gemini.com/rest/orders#get-past-trades).

        Args:
            symbol: e.g. ``"btcusd"``; all symbols when None.
            limit_trades: at most this many (Gemini: default 50, max 500).
            timestamp: only trades at or after this time, seconds or ms since the epoch (Gemini accepts both).
        """
        fields: dict[str, Any] = {}
        if symbol is not None:
            fields["symbol"] = symbol
        if limit_trades is not None:
            fields["limit_trades"] = int(limit_trades)
        if timestamp is not None:
            fields["timestamp"] = int(timestamp)
        return await self._private("/v1/mytrades", fields, list[MyTrade])

    # --- private: account -----------------------------------------------------------------------------------

    async def balances(self) -> list[Balance]:
        """Balances per currency: ``POST /v1/balances``.

        https://docs.gemini.com/rest/fund-management#get-available-balances
        """
        return await self._private("/v1/balances", {}, list[Balance])

    async def heartbeat(self) -> HeartbeatResponse:
        """Keep a "require heartbeat" session alive: ``POST /v1/heartbeat`` → ``{"result":"ok"}``.

        https://docs.gemini.com/rest/orders#heartbeat. Any private call resets Gemini's 30 s timer too.
        """
        return await self._private("/v1/heartbeat", {}, HeartbeatResponse)

    async def notional_volume(self) -> NotionalVolume:
        """Fee rates (bps) and 30-day volume: ``POST /v1/notionalvolume``.

        https://docs.gemini.com/rest/fund-management#get-notional-volume
        """
        return await self._private("/v1/notionalvolume", {}, NotionalVolume)

    async def orders_history(
        self, *, symbol: str | None = None, limit_orders: int | None = None, timestamp: int | None = None
    ) -> list[OrderStatus]:
        """Closed orders, newest first, each with ``trades``: ``POST /v1/orders/history``.

        https://developer.gemini.com/trading/rest-api/orders/list-past-orders

        Args:
            symbol: e.g. ``"btcusd"``; all symbols when None.
            limit_orders: at most this many, 1..500 (Gemini's default 50).
            timestamp: only orders submitted at or after this time, seconds or ms; the venue then answers the
                OLDEST ``limit_orders`` from it (newest first), so the history is walked forward from 0 (see
                :meth:`iter_orders_history`, which does it for you). Without it, the newest orders.

        Raises:
            ValueError: ``limit_orders`` outside 1..500 (nothing is sent).
        """
        fields: dict[str, Any] = {}
        if symbol is not None:
            fields["symbol"] = symbol
        if limit_orders is not None:
            fields["limit_orders"] = _limit(limit_orders, "limit_orders")
        if timestamp is not None:
            fields["timestamp"] = int(timestamp)
        return await self._private("/v1/orders/history", fields, list[OrderStatus])

    async def iter_orders_history(
        self, *, symbol: str | None = None, page_size: int = MAX_PAGE, since_ms: int = 0
    ) -> AsyncIterator[OrderStatus]:
        """Walk every closed order submitted at or after ``since_ms``, oldest first, each ``order_id`` once.

        Follows Gemini's recipe for the full order history (see :func:`walk_history`): ``timestamp`` is a lower
        bound, the first page holds the oldest orders from it, and the walk moves forward. It stops on a short
        page or a page that brings nothing new, so it never loops whatever the venue answers.

        Args:
            symbol: one symbol or all.
            page_size: ``limit_orders`` per request (1..500).
            since_ms: the walk's first ``timestamp`` (ms); 0 for the whole history.

        Raises:
            ValueError: ``page_size`` outside 1..500 (nothing is sent).
            GeminiError: as :meth:`orders_history`; orders already yielded stay yielded.
        """
        _limit(page_size, "page_size")

        async def fetch(bound: int) -> list[OrderStatus]:
            return await self.orders_history(symbol=symbol, limit_orders=page_size, timestamp=bound)

        async for order in walk_history(
            fetch, ident=lambda o: o.order_id, time_ms=lambda o: o.timestampms, page_size=page_size, since_ms=since_ms
        ):
            yield order

    async def iter_my_trades(
        self, *, symbol: str | None = None, page_size: int = MAX_PAGE, since_ms: int = 0
    ) -> AsyncIterator[MyTrade]:
        """Walk every trade of the account from ``since_ms`` on, oldest first, each ``tid`` once.

        ``/v1/mytrades`` only has a lower bound (``timestamp``: trades "on or after" it); the walk follows the
        documented recipe forward (see :func:`walk_history`) and stops on a short page or a page that brings
        nothing new.

        Raises:
            ValueError: ``page_size`` outside 1..500 (nothing is sent).
            GeminiError: as :meth:`my_trades`; trades already yielded stay yielded.
        """
        _limit(page_size, "page_size")

        async def fetch(bound: int) -> list[MyTrade]:
            return await self.my_trades(symbol=symbol, limit_trades=page_size, timestamp=bound)

        async for trade in walk_history(
            fetch, ident=lambda t: t.tid, time_ms=lambda t: t.timestampms, page_size=page_size, since_ms=since_ms
        ):
            yield trade

    async def trade_volume(self) -> list[list[TradeVolumeDay]]:
        """Traded volume per symbol and day: ``POST /v1/tradevolume`` (an array of arrays).

        https://docs.gemini.com/rest/fund-management#get-trade-volume
        """
        return await self._private("/v1/tradevolume", {}, list[list[TradeVolumeDay]])

    async def wrap(
        self, symbol: str, *, amount: Decimal, side: Side, client_order_id: str | None = None
    ) -> WrapResponse:
        """Wrap or unwrap a wrap-enabled pair at 1: ``POST /v1/wrap/{symbol}`` (e.g. ``GUSDUSD``).

        https://docs.gemini.com/rest/orders#wrap-order. Sends ``amount`` as a plain
        decimal string and ``side`` (``buy``: quote → base).

        Raises:
            ValueError: a non-finite amount or an empty symbol (nothing is sent).
            ApiError: e.g. InvalidSymbol for a symbol that is not wrap-enabled, InsufficientFunds.
        """
        if not symbol or not symbol.isalnum():
            raise ValueError(f"symbol must be alphanumeric, got {symbol!r}")
        fields: dict[str, Any] = {"amount": _decimal_text(amount, "amount"), "side": Side(side).value}
        if client_order_id is not None:
            fields["client_order_id"] = client_order_id
        return await self._private(f"/v1/wrap/{symbol.upper()}", fields, WrapResponse)

    # --- public market data ---------------------------------------------------------------------------------

    async def symbols(self) -> list[str]:
        """All symbol ids, lowercase: ``GET /v1/symbols`` (https://docs.gemini.com/rest/market-data#symbols)."""
        return await self._public("/v1/symbols", None, list[str])

    async def symbol_details(self, symbol: str) -> SymbolDetails:
        """Increments, minimum and status of one symbol: ``GET /v1/symbols/details/{symbol}``.

        https://docs.gemini.com/rest/market-data#get-symbol-details
        """
        return await self._public(f"/v1/symbols/details/{quote(symbol, safe='')}", None, SymbolDetails)

    async def pubticker(self, symbol: str) -> PubTicker:
        """Bid, ask, last and 24 h volume: ``GET /v1/pubticker/{symbol}``.

        https://docs.gemini.com/rest/market-data#get-ticker
        """
        return await self._public(f"/v1/pubticker/{quote(symbol, safe='')}", None, PubTicker)

    async def book(self, symbol: str, *, limit_bids: int | None = None, limit_asks: int | None = None) -> Book:
        """Aggregated order book: ``GET /v1/book/{symbol}?limit_bids=&limit_asks=`` (default 50 each, 0 = all).

        https://docs.gemini.com/rest/market-data#get-current-order-book
        """
        params = {"limit_bids": limit_bids, "limit_asks": limit_asks}
        return await self._public(f"/v1/book/{quote(symbol, safe='')}", params, Book)

    async def public_trades(
        self, symbol: str, *, limit_trades: int | None = None, since_ms: int | None = None
    ) -> list[PublicTrade]:
        """Recent public trades, newest first: ``GET /v1/trades/{symbol}``.

        https://docs.gemini.com/rest/market-data#get-trade-history

        Args:
            symbol: e.g. ``"btcusd"``.
            limit_trades: at most this many (default 50, max 500).
            since_ms: only trades after this time, ms since the epoch (sent as ``timestamp``).
        """
        params = {"limit_trades": limit_trades, "timestamp": since_ms}
        return await self._public(f"/v1/trades/{quote(symbol, safe='')}", params, list[PublicTrade])
