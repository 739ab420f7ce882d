"""The exception tree of the Gemini client, and the mapping from Gemini's error bodies to it.

Every error raised by ``console.venues.gemini`` derives from ``GeminiError``::

    GeminiError
    ├── TransportError           the request may or may not have reached Gemini: outcome UNKNOWN
    │   ├── RequestTimeout       connect, read, write or pool timeout
    │   └── StreamClosed         the order events WebSocket closed abnormally
    ├── InvalidResponse          HTTP 200 whose body is not the documented JSON
    └── ApiError                 Gemini answered with an error body (``.reason``, ``.message``, ``.status``)
        ├── AuthenticationError  InvalidSignature, Missing*Header, InvalidApiKey; credentials missing locally
        ├── NonceError           InvalidNonce, MissingNonce
        ├── PermissionDenied     MissingRole (HTTP 403), RemoteAddressForbidden
        ├── OrderRejected        InvalidPrice, InvalidQuantity, InvalidStopPrice*, Missing<Field>, …
        │   └── InsufficientFunds   InsufficientFunds (HTTP 406)
        ├── OrderNotFound        OrderNotFound (HTTP 404)
        ├── RateLimited          RateLimit (HTTP 429)
        ├── ServerError          System, Maintenance, any 5xx
        └── AccountError         master-group / sub-account reasons (AccountsOnGroupOnlyApi, …)

A ``TransportError`` is never turned into ``OrderNotFound``: a request that timed out may have been executed.
An HTTP 404 becomes ``OrderNotFound`` only when its body says ``"reason": "OrderNotFound"``: a 404 without that
reason (an unknown entry point, a proxy's HTML page) is a plain ``ApiError``.

The ``reason`` decides the class; the HTTP status only decides when the reason is unknown. Unknown reason
strings still give an ``ApiError`` carrying them. Exception texts hold the reason and Gemini's message, never a
header, a payload signature or a secret.

Error body (https://docs.gemini.com/rest/error-codes)::

    {"result": "error", "reason": "InvalidNonce", "message": "Nonce '1490722675108' has not increased ..."}
"""

from __future__ import annotations

import json

#: Longest message kept from an error body (the rest is cut and marked with "…").
MAX_MESSAGE_CHARS = 500


class GeminiError(Exception):
    """Root of every error raised by the Gemini client."""


class TransportError(GeminiError):
    """The network failed (connect refused, reset, TLS, protocol); the request's outcome is unknown."""


class RequestTimeout(TransportError):
    """A connect, read, write or pool timeout; the request's outcome is unknown (it may have executed)."""


class StreamClosed(TransportError):
    """The order events WebSocket closed with an error code (or without a close frame).

    Attributes:
        code: the close code received (1006 when the connection dropped without a close frame), or None.
        close_reason: the close reason text, possibly empty.
    """

    def __init__(self, code: int | None, close_reason: str = "") -> None:
        self.code = code
        self.close_reason = close_reason
        super().__init__(f"order events stream closed: code {code} {close_reason}".rstrip())


class InvalidResponse(GeminiError):
    """Gemini answered HTTP 200 but the body is not valid JSON or does not match the documented shape.

    Attributes:
        status: the HTTP status (200).
        detail: what was wrong, with the body cut to a few hundred characters.
    """

    def __init__(self, detail: str, status: int = 200) -> None:
        self.status = status
        self.detail = detail
        super().__init__(detail)


class ApiError(GeminiError):
    """Gemini rejected the request with an error body ``{"result":"error","reason":...,"message":...}``.

    Attributes:
        reason: Gemini's reason code, e.g. ``"InvalidNonce"`` (``"Unknown"`` when the body had none).
        message: Gemini's human text (cut to ``MAX_MESSAGE_CHARS``).
        status: the HTTP status, or None when raised locally (e.g. missing credentials).

    ``str(error)`` is ``"Reason: message"``.
    """

    def __init__(self, reason: str, message: str = "", status: int | None = None) -> None:
        self.reason = reason
        self.message = message
        self.status = status
        super().__init__(reason, message, status)

    def __str__(self) -> str:
        return f"{self.reason}: {self.message}" if self.message else self.reason

    def __repr__(self) -> str:
        return f"{type(self).__name__}(reason={self.reason!r}, message={self.message!r}, status={self.status!r})"


class AuthenticationError(ApiError):
    """Signature, key or auth headers refused (HTTP 400), or no credentials to sign a private call with."""


class NonceError(ApiError):
    """Nonce missing, not greater than the last one of this key, or outside ±30 s for a time-based key."""


class PermissionDenied(ApiError):
    """The key lacks the role the endpoint needs (HTTP 403 ``MissingRole``), or its IP is not allowed."""


class OrderRejected(ApiError):
    """The new order was refused before reaching the book (bad price, quantity, symbol, options, …)."""


class InsufficientFunds(OrderRejected):
    """Not enough available balance for the order (HTTP 406)."""


class OrderNotFound(ApiError):
    """Gemini says the order does not exist (HTTP 404, reason ``OrderNotFound``)."""


class RateLimited(ApiError):
    """Too many requests (HTTP 429, reason ``RateLimit``); back off and retry later."""


class ServerError(ApiError):
    """Gemini failed or is in maintenance (HTTP 5xx, reasons ``System`` / ``Maintenance``)."""


class AccountError(ApiError):
    """A master-group or sub-account problem (``account`` field missing, wrong or not allowed)."""


_AUTH_REASONS = frozenset(
    {"InvalidSignature", "MissingApikeyHeader", "MissingPayloadHeader", "MissingSignatureHeader", "InvalidApiKey"}
)
_NONCE_REASONS = frozenset({"InvalidNonce", "MissingNonce", "BadNonce"})
_PERMISSION_REASONS = frozenset({"MissingRole", "RemoteAddressForbidden"})
_REJECT_REASONS = frozenset(
    {
        "InvalidPrice",
        "InvalidQuantity",
        "InvalidSide",
        "InvalidSymbol",
        "InvalidOrderType",
        "ConflictingOptions",
        "UnsupportedOption",
        "OptionsMustBeArray",
        "MarketNotOpen",
        "AuctionNotOpen",
        # A required field of /v1/order/new missing, as Gemini's sandbox answers it (e.g. MissingQuantity).
        "MissingSymbol",
        "MissingQuantity",
        "MissingPrice",
        "MissingSide",
        "MissingType",
        # New WebSocket API reject reasons (https://docs.gemini.com/websocket/introduction); harmless here if REST ever
        # uses them.
        "LimitPriceOffTick",
        "InvalidTotalSpend",
        "DuplicateOrder",
        "InsufficientLiquidity",
        "UnknownInstrument",
    }
)
_REJECT_PREFIXES = ("InvalidStopPrice", "ClientOrderId")
_SERVER_REASONS = frozenset({"System", "Maintenance"})
_ACCOUNT_REASONS = frozenset(
    {
        "MoreThanOneAccount",
        "AccountClosed",
        "AccountsOnGroupOnlyApi",
        "AccountLimitExceeded",
        "NoAccountOfTypeRequired",
        "AccountNotOfTypeRequired",
        "NotGroupApiCompatible",
        "ExceededMaxAccountsInGroup",
        "MissingAccountName",
        "MissingAccounts",
        "InvalidAccountName",
        "InvalidAccountType",
        "ConflictingAccountName",
        "HasNotAgreedToCustodyTerms",
        "BadAccountType",
    }
)


def error_class_for(reason: str, status: int | None) -> type[ApiError]:
    """Return the ``ApiError`` subclass for a reason code, falling back on the HTTP status for unknown reasons.

    Args:
        reason: Gemini's ``reason``, e.g. ``"InsufficientFunds"``; ``"Unknown"`` when the body had none.
        status: the HTTP status, or None.
    """
    if reason in _AUTH_REASONS:
        return AuthenticationError
    if reason in _NONCE_REASONS:
        return NonceError
    if reason in _PERMISSION_REASONS:
        return PermissionDenied
    if reason == "InsufficientFunds":
        return InsufficientFunds
    if reason in _REJECT_REASONS or reason.startswith(_REJECT_PREFIXES):
        return OrderRejected
    if reason == "OrderNotFound":
        return OrderNotFound
    if reason == "RateLimit":
        return RateLimited
    if reason in _SERVER_REASONS:
        return ServerError
    if reason in _ACCOUNT_REASONS:
        return AccountError
    # Unknown reason: the status is the only clue. 404 is deliberately absent (see the module docstring).
    if status == 401:
        return AuthenticationError
    if status == 403:
        return PermissionDenied
    if status == 406:
        return InsufficientFunds
    if status == 429:
        return RateLimited
    if status is not None and status >= 500:
        return ServerError
    return ApiError


def _cut(text: str, limit: int = MAX_MESSAGE_CHARS) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


def error_from_response(status: int, body: bytes | bytearray | str) -> ApiError:
    """Turn a non-200 HTTP answer (REST, or a refused WebSocket upgrade) into the matching ``ApiError``.

    Args:
        status: the HTTP status, e.g. 400.
        body: the raw body, normally ``{"result":"error","reason":"InvalidSignature","message":"..."}``
            (https://docs.gemini.com/rest/error-codes). A non-JSON or malformed body is accepted too: the reason is
            then ``"Unknown"`` and the message the body's text, cut to ``MAX_MESSAGE_CHARS``
            (or ``"HTTP <status>"`` when empty).

    Returns:
        The exception to raise (this function never raises).
    """
    text = body.decode("utf-8", errors="replace") if isinstance(body, bytes | bytearray) else str(body)
    reason = "Unknown"
    message = _cut(text.strip()) or f"HTTP {status}"
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if isinstance(data, dict):
        raw_reason = data.get("reason")
        if isinstance(raw_reason, str) and raw_reason.strip():
            reason = raw_reason.strip()
        raw_message = data.get("message")
        if isinstance(raw_message, str):
            message = _cut(raw_message)
        elif raw_reason is not None and raw_message is None:
            message = ""
    cls = error_class_for(reason, status)
    return cls(reason, message, status)


def network_cause(exc: BaseException) -> str:
    """Say why a network call failed, in the operating system's words, e.g. ``"ConnectError: Name or service not
    known"`` (DNS) or ``"ConnectError: Connection refused"``.

    The class named is the first one in the ``__cause__``/``__context__`` chain that is not ours (httpx's or
    websockets' error, e.g. ``ConnectError``), and the text is the innermost ``OSError``'s ``strerror`` (httpx
    says only "All connection attempts failed" for a refused connection); without an ``OSError`` it is the
    exception's own text.
    """
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and all(current is not seen for seen in chain):
        chain.append(current)
        current = current.__cause__ or current.__context__
    outer = next((e for e in chain if not isinstance(e, GeminiError)), exc)
    detail = str(outer)
    for error in chain:
        if isinstance(error, ConnectionRefusedError):
            detail = "Connection refused"
        elif isinstance(error, OSError) and error.strerror:
            detail = error.strerror
    name = outer.__class__.__name__
    return f"{name}: {detail}" if detail and detail != name else name
