"""The exception tree of the Gemini client, and the mapping from Gemini's error bodies to it.

Every error raised by ``console.venues.gemini`` derives from ``GeminiError``, which derives from the venue-neutral
``console.domain.errors.VenueError``; the neutral class each one also derives from is in brackets. The tree says
what a failure means for trading (``outcome_unknown``, ``halts_trading``, ``retry_safe``), never the caller::

    GeminiError [VenueError]
    ├── TransportError [TransportError]    the request may or may not have reached Gemini: outcome UNKNOWN
    │   ├── RequestTimeout                 connect, read, write or pool timeout
    │   └── StreamClosed [StreamClosed]    the order events WebSocket closed abnormally
    ├── InvalidResponse                    HTTP 200 whose body is not the documented JSON: outcome UNKNOWN
    └── ApiError [VenueRefused]            Gemini answered with an error body (``.reason``, ``.message``, ``.status``);
        │                                  outcome UNKNOWN when the status is 5xx or 429
        ├── AuthenticationError [AuthenticationFailed]  InvalidSignature, Missing*Header, InvalidApiKey; credentials
        │                                  missing locally: halts trading
        ├── NonceError                     InvalidNonce, MissingNonce: refused unexecuted, safe to sign again
        ├── PermissionDenied [PermissionDenied]  MissingRole (HTTP 403), RemoteAddressForbidden: halts trading
        ├── OrderRejected                  InvalidPrice, InvalidQuantity, InvalidStopPrice*, Missing<Field>, …
        │   └── InsufficientFunds          InsufficientFunds (HTTP 406)
        ├── OrderNotFound [OrderNotFound]  OrderNotFound (HTTP 404)
        ├── RateLimited [RateLimited]      RateLimit (HTTP 429)
        ├── ServerError                    System, Maintenance, any 5xx
        └── AccountError                   master-group / sub-account reasons (AccountsOnGroupOnlyApi, …)

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

from console.domain import errors as venue_errors
from console.domain.errors import network_cause

__all__ = [
    "AccountError",
    "ApiError",
    "AuthenticationError",
    "GeminiError",
    "InsufficientFunds",
    "InvalidResponse",
    "NonceError",
    "OrderNotFound",
    "OrderRejected",
    "PermissionDenied",
    "RateLimited",
    "RequestTimeout",
    "ServerError",
    "StreamClosed",
    "TransportError",
    "error_class_for",
    "error_from_response",
    "network_cause",
]

#: Longest message kept from an error body (the rest is cut and marked with "…").
MAX_MESSAGE_CHARS = 500


class GeminiError(venue_errors.VenueError):
    """Root of every error raised by the Gemini client."""


class TransportError(GeminiError, venue_errors.TransportError):
    """The network failed (connect refused, reset, TLS, protocol); the request's outcome is unknown."""


class RequestTimeout(TransportError):
    """A connect, read, write or pool timeout; the request's outcome is unknown (it may have executed)."""


class StreamClosed(TransportError, venue_errors.StreamClosed):
    """The order events WebSocket closed with an error code (or without a close frame).

    Attributes:
        code: the close code received (1006 when the connection dropped without a close frame), or None.
        close_reason: the close reason text, possibly empty.
    """


class InvalidResponse(GeminiError):
    """Gemini answered HTTP 200 but the body is not valid JSON or does not match the documented shape.

    Attributes:
        status: the HTTP status (200).
        detail: what was wrong, with the body cut to a few hundred characters.
    """

    # A 200 that cannot be read may still have been executed (e.g. an order placed, its answer garbled).
    _outcome_unknown = True

    def __init__(self, detail: str, status: int = 200) -> None:
        self.status = status
        self.detail = detail
        super().__init__(detail)


class ApiError(GeminiError, venue_errors.VenueRefused):
    """Gemini rejected the request with an error body ``{"result":"error","reason":...,"message":...}``.

    Attributes:
        reason: Gemini's reason code, e.g. ``"InvalidNonce"`` (``"Unknown"`` when the body had none).
        message: Gemini's human text (cut to ``MAX_MESSAGE_CHARS``).
        status: the HTTP status, or None when raised locally (e.g. missing credentials).

    ``str(error)`` is ``"Reason: message"``. The outcome is unknown when the status is 5xx (Gemini failed while it
    may have acted) or 429 (the console does not assume a throttled request was dropped).
    """

    def __init__(self, reason: str, message: str = "", status: int | None = None) -> None:
        self.reason = reason
        self.message = message
        self.status = status
        # Exception's own constructor: ``args`` stay ``(reason, message, status)``.
        Exception.__init__(self, reason, message, status)

    @property
    def outcome_unknown(self) -> bool:
        """True for a 5xx or 429 answer: the request may have been executed before the error."""
        status = self.status or 0
        return status >= 500 or status == 429

    @property
    def retry_safe(self) -> bool:
        """True when the class says so and the status does not leave the outcome unknown."""
        return self._retry_safe and not self.outcome_unknown

    def __str__(self) -> str:
        return f"{self.reason}: {self.message}" if self.message else self.reason

    def __repr__(self) -> str:
        return f"{type(self).__name__}(reason={self.reason!r}, message={self.message!r}, status={self.status!r})"


class AuthenticationError(ApiError, venue_errors.AuthenticationFailed):
    """Signature, key or auth headers refused (HTTP 400), or no credentials to sign a private call with."""


class NonceError(ApiError):
    """Nonce missing, not greater than the last one of this key, or outside ±30 s for a time-based key.

    Refused before execution (https://docs.gemini.com/rest/error-codes): signing again with a greater nonce is safe.
    """

    _retry_safe = True


class PermissionDenied(ApiError, venue_errors.PermissionDenied):
    """The key lacks the role the endpoint needs (HTTP 403 ``MissingRole``), or its IP is not allowed."""


class OrderRejected(ApiError):
    """The new order was refused before reaching the book (bad price, quantity, symbol, options, …)."""


class InsufficientFunds(OrderRejected):
    """Not enough available balance for the order (HTTP 406)."""


class OrderNotFound(ApiError, venue_errors.OrderNotFound):
    """Gemini says the order does not exist (HTTP 404, reason ``OrderNotFound``)."""


class RateLimited(ApiError, venue_errors.RateLimited):
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
