"""Request signing for Gemini's private API: payload encoding, HMAC-SHA384 signature, headers and nonces."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import logging
import os
import re
import threading
from collections.abc import Callable, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

from console.util.clock import wall_clock_ms
from console.venues.gemini.credentials import Credentials

log = logging.getLogger(__name__)

T = TypeVar("T")

#: The longest the nonce-ordering lock waits for a request to be written before letting the next request go (s).
#: A request on a warm connection is written within a millisecond; one whose connection is still being opened
#: (TCP + TLS, a black-holed route) may take its whole connect timeout. Holding every other request of the key for
#: that long is what made cancels wait seconds; letting the next one overtake costs at worst one ``InvalidNonce``
#: refusal of the slow request, which is signed again and re-sent at once (the venue executed nothing).
HANDOFF_BOUND_S = 0.25

#: How far ahead of the last nonce issued the persisted high-water mark is reserved (ms). The file is written once
#: per lease, not on every call; a restart starts above the reservation, so a crash can never reuse a nonce.
NONCE_LEASE_MS = 60_000


def _json_default(value: object) -> object:
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"non-finite decimal in payload: {value}")
        return format(value, "f")
    raise TypeError(f"cannot encode {type(value).__name__} in a Gemini payload")


def encode_payload(payload: Mapping[str, Any]) -> str:
    """Encode a private-API payload as compact JSON, then base64 (the ``X-GEMINI-PAYLOAD`` header value).

    https://docs.gemini.com/websocket/overview/requests/private-api

    Args:
        payload: e.g. ``{"request": "/v1/order/status", "nonce": 1700000000000, "order_id": 18834}``.
            ``Decimal`` values are written as plain decimal strings (``Decimal("1E-8")`` → ``"0.00000001"``).

    Returns:
        The base64 text (ASCII), e.g. ``"eyJyZXF1ZXN0Ijoi..."``.

    Raises:
        TypeError: for a value JSON cannot hold.
        ValueError: for a NaN or infinite number.
    """
    text = json.dumps(dict(payload), separators=(",", ":"), ensure_ascii=True, allow_nan=False, default=_json_default)
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def sign(payload_b64: str, secret: str) -> str:
    """Return the ``X-GEMINI-SIGNATURE`` of a base64 payload.

    The HMAC-SHA384 is computed over the base64 **string** (not the JSON), keyed with the secret's UTF-8 bytes,
    and written as lowercase hex (https://docs.gemini.com/websocket/overview/requests/private-api; Gemini's worked
    example is the golden vector of tests/unit/test_signing.py).

    Args:
        payload_b64: the ``X-GEMINI-PAYLOAD`` value exactly as sent.
        secret: the API secret in clear (callers unwrap their ``SecretStr`` only for this call).

    Returns:
        96 lowercase hex characters.
    """
    return hmac.new(secret.encode("utf-8"), payload_b64.encode("ascii"), hashlib.sha384).hexdigest()


def private_headers(credentials: Credentials, payload: Mapping[str, Any]) -> dict[str, str]:
    """Build the headers of a signed private request (REST POST or the order events upgrade).

    Args:
        credentials: key and secret.
        payload: must already hold ``"request"`` (the URL path, no query string) and ``"nonce"``.

    Returns:
        ``Content-Type: text/plain``, ``Content-Length: 0``, ``X-GEMINI-APIKEY``, ``X-GEMINI-PAYLOAD``,
        ``X-GEMINI-SIGNATURE``, ``Cache-Control: no-cache``. The signature header is a secret-derived value:
        never log these headers.
    """
    payload_b64 = encode_payload(payload)
    return {
        "Content-Type": "text/plain",
        "Content-Length": "0",
        "X-GEMINI-APIKEY": credentials.api_key,
        "X-GEMINI-PAYLOAD": payload_b64,
        "X-GEMINI-SIGNATURE": sign(payload_b64, credentials.api_secret.get_secret_value()),
        "Cache-Control": "no-cache",
    }


def nonce_state_path(api_key: str, state_dir: Path | None = None) -> Path:
    """Where the nonce high-water mark of ``api_key`` is kept across restarts.

    ``$XDG_STATE_HOME/trading-console/nonces/<sha256(api key)[:16]>`` (``~/.local/state`` when the variable is
    unset). The file name is a hash so the key itself never appears on disk.
    """
    if state_dir is None:
        state_dir = Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state") / "trading-console"
    digest = hashlib.sha256(api_key.encode("utf-8")).hexdigest()[:16]
    return state_dir / "nonces" / digest


_NONCE_IN_MESSAGE = re.compile(r"(\d{10,})")


def nonce_quoted_in(message: str) -> int | None:
    """The largest number of 10+ digits in an ``InvalidNonce`` message (Gemini quotes the refused nonce).

    ``"Nonce '1490722675108' has not increased since your last call"`` → ``1490722675108``; None when absent.
    """
    values = [int(m) for m in _NONCE_IN_MESSAGE.findall(message or "")]
    return max(values) if values else None


class NonceSource:
    """Strictly increasing nonces in milliseconds since the epoch, for one API key.

    Gemini requires each nonce of a key (a "session") to be greater than the last one it saw from that key
    (https://developer.gemini.com/authentication/api-key), across REST calls and WebSocket upgrades alike: share one
    ``NonceSource`` between every client that signs with the same key. ``next()`` returns ``max(now_ms, last + 1)``,
    so a clock that stalls or steps back still gives increasing values. It holds a ``threading.Lock`` and never
    awaits, so it is safe from many asyncio tasks and from threads.

    Signing in order is not enough: two requests signed 1 ms apart can still *arrive* out of order over two pooled
    connections, and Gemini then refuses the later nonce. Clients therefore take :meth:`ordered` (an asyncio lock)
    around "take a nonce, sign, hand the request to its connection" and release it as soon as the request is
    written (see :func:`hold_until_sent`), never for the answer: a request the venue is slow to answer (a hung
    ``order/new``, a WebSocket handshake into a black hole) must not hold every later request of the key behind it.
    Once the lock is released a later request may still overtake one that is slow on the network; the venue then
    refuses the earlier nonce with ``InvalidNonce`` *without executing the request*, and the client signs it again
    with a fresh nonce and sends it at once. Cancels do not take the lock at all (they must leave at once whatever
    is in flight) and rely on that re-sign alone.

    With ``path`` the high-water mark survives restarts: the first nonce is above the value stored there, and the
    file is rewritten (atomically) with a reservation ``NONCE_LEASE_MS`` ahead whenever a nonce crosses the last
    reservation, so even a crash or a clock that jumped back between two runs never reuses a nonce.

    Not for keys created with "Uses a time based nonce" (those want seconds within ±30 s of server time).

    Args:
        time_ms: clock returning ms since the epoch (injectable for tests).
        start: initial floor: the first nonce is greater than this (e.g. the last nonce persisted on disk).
        path: file holding the persisted high-water mark (see :func:`nonce_state_path`); None = not persisted.
    """

    def __init__(self, time_ms: Callable[[], int] = wall_clock_ms, *, start: int = 0, path: Path | None = None) -> None:
        self._time_ms = time_ms
        self._last = int(start)
        self._lock = threading.Lock()
        self._ordered: asyncio.Lock | None = None
        self._path = path
        self._reserved = 0
        if path is not None:
            self._last = max(self._last, self._read(path))
            self._reserved = self._last

    @classmethod
    def persistent(cls, api_key: str, *, time_ms: Callable[[], int] = wall_clock_ms, state_dir: Path | None = None
                   ) -> NonceSource:
        """A source whose high-water mark is kept in the user's state directory (see :func:`nonce_state_path`)."""
        return cls(time_ms, path=nonce_state_path(api_key, state_dir))

    @staticmethod
    def _read(path: Path) -> int:
        try:
            return int(path.read_text(encoding="ascii").strip() or 0)
        except FileNotFoundError:
            return 0
        except (OSError, ValueError) as exc:
            log.warning("nonce high-water mark unreadable (%s): starting from the clock", exc.__class__.__name__)
            return 0

    def _persist(self, floor: int) -> None:
        """Reserve nonces up to ``floor + NONCE_LEASE_MS`` on disk (called with the lock held)."""
        if self._path is None or floor <= self._reserved:
            return
        reserve = floor + NONCE_LEASE_MS
        try:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self._path.with_suffix(".tmp")
            tmp.write_text(str(reserve), encoding="ascii")
            os.replace(tmp, self._path)
            self._reserved = reserve
        except OSError as exc:
            log.warning("could not persist the nonce high-water mark: %s", exc.__class__.__name__)

    @property
    def last(self) -> int:
        """The last nonce issued (or the floor set by ``start``/``advance_to``)."""
        with self._lock:
            return self._last

    def ordered(self) -> asyncio.Lock:
        """The asyncio lock held around take-nonce/sign/hand-off so requests normally reach the venue in nonce order.

        Held only until the request is written (:func:`hold_until_sent`), never while its answer is awaited.
        """
        if self._ordered is None:
            self._ordered = asyncio.Lock()
        return self._ordered

    def next(self) -> int:
        """Return a nonce greater than every nonce this source returned before (ms since the epoch)."""
        with self._lock:
            nonce = max(int(self._time_ms()), self._last + 1)
            self._last = nonce
            self._persist(nonce)
            return nonce

    def advance_to(self, floor: int) -> None:
        """Raise the floor so the next nonce is greater than ``floor`` (never lowers it).

        Use it with a nonce persisted from an earlier run, or the value quoted by an ``InvalidNonce`` error.
        """
        with self._lock:
            self._last = max(self._last, int(floor))
            self._persist(self._last)


class TimeNonceSource(NonceSource):
    """Nonces for a key created with "Uses a time based nonce": Unix time in whole **seconds**.

    Gemini accepts such a nonce within ±30 s of its clock and does not require it to increase
    (https://docs.gemini.com/authentication/api-key, "Time-based nonce"), so ``next()`` is simply the clock and
    ``advance_to`` (a counter key's recovery from an overtaken nonce) changes nothing. The new WebSocket API takes only
    such keys (https://docs.gemini.com/websocket/introduction); the REST client works with either kind.

    Args:
        time_ms: clock returning ms since the epoch (injectable for tests).
    """

    def __init__(self, time_ms: Callable[[], int] = wall_clock_ms) -> None:
        super().__init__(time_ms)

    def next(self) -> int:
        """Return the current Unix time in whole seconds."""
        with self._lock:
            nonce = int(self._time_ms()) // 1000
            self._last = nonce
            return nonce

    def advance_to(self, floor: int) -> None:
        """Nothing to do: a time-based nonce need not exceed the last one (an ``InvalidNonce`` means clock skew)."""


async def hold_until_sent(
    task: asyncio.Future[T], sent: asyncio.Event | None, bound_s: float = HANDOFF_BOUND_S
) -> None:
    """Wait, under the nonce-ordering lock, until a signed request has left (what the lock is held for).

    Returns as soon as ``sent`` is set (the request's last byte was written to its socket), ``task`` (the send)
    finished in any way, or ``bound_s`` seconds passed, whichever comes first. The caller then releases the lock
    and awaits ``task`` for the answer. If this wait is cancelled, ``task`` is cancelled with it.

    Args:
        task: the running send (an HTTP request or a WebSocket handshake).
        sent: set when the request is written; None when the transport cannot tell (then ``task`` or the bound).
        bound_s: upper bound of the wait in seconds (see :data:`HANDOFF_BOUND_S`).
    """
    waits: set[asyncio.Future[Any]] = {task}
    sent_wait: asyncio.Task[Any] | None = None
    if sent is not None:
        sent_wait = asyncio.ensure_future(sent.wait())
        waits.add(sent_wait)
    try:
        await asyncio.wait(waits, timeout=bound_s, return_when=asyncio.FIRST_COMPLETED)
    except BaseException:
        task.cancel()
        raise
    finally:
        if sent_wait is not None:
            sent_wait.cancel()
