"""The exception tree of the Roxom client, and the mapping from Roxom's error bodies to it.

Every error raised by ``console.venues.roxom`` derives from ``RoxomError``, itself a venue-neutral
``console.domain.errors.VenueError``; the neutral class each one also derives from is in brackets::

    RoxomError [VenueError]
    ├── TransportError [TransportError]     the request may or may not have reached Roxom: outcome UNKNOWN
    │   └── StreamClosed [StreamClosed]     the WebSocket closed abnormally
    ├── InvalidResponse                     a 2xx whose body is not the documented JSON: outcome UNKNOWN
    └── ApiError [VenueRefused]             Roxom answered with an error body (``.status``, ``.reason``, ``.message``)
        ├── AuthenticationError [AuthenticationFailed]  401: missing/invalid key or signature: halts trading
        ├── ValidationError                 400: a field or rule (tick, step, band, notional): nothing was done
        ├── OrderNotFound [OrderNotFound]   404 ``Order not found``
        ├── CannotCancel                    409 ``Order cannot be cancelled``: the order is already ``.order_status``
        ├── RateLimited [RateLimited]       429: outcome UNKNOWN (the venue publishes no limits)
        └── ServerError                     5xx: outcome UNKNOWN

Error body (the create page, https://docs.roxom.com/reference/api-reference/orders/create; the documentation shows
no body for "order not found" or "cannot cancel": the local venue's choices, docs/local-roxom.md)::

    {"error": {"code": 400, "message": "Insufficient balance", "details": "..."},
     "timestamp": "...", "requestId": "..."}

An older page's ``{"error": 401, "message": "Invalid API key"}`` is read too. Texts hold Roxom's message and details,
never a header or a signature.
"""

from __future__ import annotations

import json
import re
from typing import Any

from console.domain import errors as venue_errors

__all__ = [
    "ApiError",
    "AuthenticationError",
    "CannotCancel",
    "InvalidResponse",
    "OrderNotFound",
    "RateLimited",
    "RoxomError",
    "ServerError",
    "StreamClosed",
    "TransportError",
    "ValidationError",
    "error_from_roxom_answer",
]

#: Longest message kept from an error body.
MAX_MESSAGE_CHARS = 500
_STATUS_IN_DETAILS = re.compile(r"order is (\w+)")


class RoxomError(venue_errors.VenueError):
    """Root of every error raised by the Roxom client."""


class TransportError(RoxomError, venue_errors.TransportError):
    """The network failed (connect refused, reset, timeout); the request's outcome is unknown."""


class StreamClosed(TransportError, venue_errors.StreamClosed):
    """The WebSocket closed with an error code, or without a close frame (code 1006)."""


class InvalidResponse(RoxomError):
    """A success status whose body is not the documented JSON: what the venue did is unknown."""

    _outcome_unknown = True


class ApiError(RoxomError, venue_errors.VenueRefused):
    """Roxom answered with an error body.

    Attributes:
        status: the HTTP status (e.g. 400).
        reason: Roxom's ``message`` (e.g. ``"Price outside allowed range"``), the reason shown to the trader.
        message: Roxom's ``details`` (may be empty).
    """

    status: int = 0

    def __init__(self, reason: str, message: str = "", status: int = 0) -> None:
        super().__init__(reason, message)
        self.status = status

    @property
    def outcome_unknown(self) -> bool:
        """5xx and 429 answers may come from a proxy after the venue acted: the outcome is unknown."""
        return self.status >= 500 or self.status == 429 or self._outcome_unknown


class AuthenticationError(ApiError, venue_errors.AuthenticationFailed):
    """401: the key, its signature or the headers were refused; trading halts (retrying cannot help)."""


class ValidationError(ApiError):
    """400: a field or a rule refused the request (tick, step, size, price band, notional); nothing was done."""


class OrderNotFound(ApiError, venue_errors.OrderNotFound):
    """404 ``Order not found`` (also another account's order). Never raised for a network failure."""


class CannotCancel(ApiError):
    """409 ``Order cannot be cancelled``: the order already ended (or its cancel is pending).

    Not a failure for the trader: the order is already ``order_status`` (e.g. ``"filled"``, ``"cancelled"``,
    ``"pendingcancel"``); the venue adapter answers the cancel with the order as it is.

    Attributes:
        order_status: Roxom's status from ``details`` (``"order is filled"`` → ``"filled"``), or None.
    """

    @property
    def order_status(self) -> str | None:
        """The order's status as the refusal states it, or None."""
        match = _STATUS_IN_DETAILS.search(self.message)
        return match.group(1) if match else None


class RateLimited(ApiError, venue_errors.RateLimited):
    """429: too many requests (Roxom publishes no limits)."""


class ServerError(ApiError):
    """5xx: the venue failed; the request may or may not have been executed."""

    _outcome_unknown = True


def _cut(text: str) -> str:
    return text if len(text) <= MAX_MESSAGE_CHARS else text[:MAX_MESSAGE_CHARS] + "…"


def error_from_roxom_answer(status: int, text: str) -> ApiError:
    """The error for an HTTP answer with an error ``status`` and body ``text``.

    Args:
        status: the HTTP status (4xx/5xx).
        text: the body as received (JSON or not).

    Returns:
        The ``ApiError`` subclass for the status (and, for 409, the cannot-cancel message).
    """
    message = f"HTTP {status}"
    details = ""
    try:
        body: Any = json.loads(text) if text.strip() else None
    except ValueError:
        body = None
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict):
            message = str(error.get("message") or message)
            details = str(error.get("details") or "")
        elif "message" in body:  # the older page's {"error": 401, "message": "Invalid API key"}
            message = str(body.get("message") or message)
    elif text.strip():
        details = text.strip()
    message, details = _cut(message), _cut(details)
    cls: type[ApiError]
    if status == 401:
        cls = AuthenticationError
    elif status == 404 and message.lower().startswith("order not found"):
        cls = OrderNotFound
    elif status == 409 or message.lower().startswith("order cannot be cancelled"):
        cls = CannotCancel
    elif status == 429:
        cls = RateLimited
    elif status >= 500:
        cls = ServerError
    elif status == 400:
        cls = ValidationError
    else:
        cls = ApiError
    return cls(message, details, status)
