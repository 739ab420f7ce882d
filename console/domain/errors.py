"""The venue-neutral error tree: what the trading session needs to know about a failed venue call.

Every venue adapter's errors derive from ``VenueError`` (its own root, e.g. ``GeminiError``, inherits from it), and
each error says itself what its failure means for trading, so the session never inspects status codes::

    VenueError                 .outcome_unknown  .halts_trading  .retry_safe  .reason
    ├── TransportError         the request may or may not have reached the venue: outcome unknown
    │   └── StreamClosed       the order-event stream closed abnormally (``.code``, ``.close_reason``)
    └── VenueRefused           the venue answered with an error (``.reason``, ``.message``)
        ├── AuthenticationFailed   the key or its signature was refused: halts trading
        ├── PermissionDenied       the key lacks a role the request needs: halts trading
        ├── OrderNotFound          the venue has no such order (never raised for a network failure)
        └── RateLimited            too many requests

The three properties (NautilusTrader keeps ``should_retry`` beside its errors in the same way):

* ``outcome_unknown``: a request that changes state (place, cancel) may or may not have been executed: the
  order's fate must be asked of the venue, never assumed, and a place is never sent again.
* ``halts_trading``: retrying cannot help (the key itself is refused); trading stops until the trader acts.
* ``retry_safe``: the venue certainly did not act on the request and the same request may succeed if sent again
  (e.g. a nonce refused before execution): sending it again cannot duplicate anything.

``reason`` is the venue's reason code (e.g. ``"InvalidSignature"``), or the class name when the venue gave none.
"""

from __future__ import annotations

from typing import ClassVar

__all__ = [
    "AuthenticationFailed",
    "OrderNotFound",
    "PermissionDenied",
    "RateLimited",
    "StreamClosed",
    "TransportError",
    "VenueError",
    "VenueRefused",
    "network_cause",
]


class VenueError(Exception):
    """Root of every error a venue adapter raises; its properties classify the failure for the session."""

    #: Class-level defaults of the three properties; a subclass sets these, or overrides a property when the
    #: answer depends on the instance (e.g. an HTTP status).
    _outcome_unknown: ClassVar[bool] = False
    _halts_trading: ClassVar[bool] = False
    _retry_safe: ClassVar[bool] = False
    _reason: str | None = None

    @property
    def outcome_unknown(self) -> bool:
        """True when the failed request may or may not have been executed by the venue."""
        return self._outcome_unknown

    @property
    def halts_trading(self) -> bool:
        """True when trading must stop: the venue refuses the key itself, so nothing may be retried."""
        return self._halts_trading

    @property
    def retry_safe(self) -> bool:
        """True when the venue certainly did not act and the same request may simply be sent again."""
        return self._retry_safe

    @property
    def reason(self) -> str:
        """The venue's reason code, e.g. ``"InvalidNonce"``; the class name when there is none."""
        return self._reason or type(self).__name__

    @reason.setter
    def reason(self, value: str) -> None:
        self._reason = value


class TransportError(VenueError):
    """The network failed (connect refused, reset, timeout, TLS): the request's outcome is unknown."""

    _outcome_unknown = True


class StreamClosed(TransportError):
    """The order-event stream closed with an error code (or without a close frame).

    Attributes:
        code: the WebSocket close code received (1006 when the connection dropped without a close frame), or None.
        close_reason: the close reason text, possibly empty.
    """

    def __init__(self, code: int | None, close_reason: str = "") -> None:
        self.code = code
        self.close_reason = close_reason
        super().__init__(f"order events stream closed: code {code} {close_reason}".rstrip())

    @property
    def dropped(self) -> bool:
        """True when the connection was lost without a close frame (the network dropped it)."""
        return self.code == 1006


class VenueRefused(VenueError):
    """The venue answered the request with an error: it was refused, not lost.

    Attributes:
        reason: the venue's reason code, e.g. ``"InvalidPrice"`` (``"Unknown"`` when it gave none).
        message: the venue's own text (possibly empty).
    """

    message: str = ""

    def __init__(self, reason: str, message: str = "") -> None:
        self.reason = reason
        self.message = message
        super().__init__(reason, message)

    def __str__(self) -> str:
        return f"{self.reason}: {self.message}" if self.message else self.reason


class AuthenticationFailed(VenueRefused):
    """The venue refused the key, its signature or its credentials: trading halts (retrying cannot help)."""

    _halts_trading = True


class PermissionDenied(VenueRefused):
    """The key lacks the role (or address) the request needs: trading halts."""

    _halts_trading = True


class OrderNotFound(VenueRefused):
    """The venue says it has no such order. Never raised for a network failure (that is ``TransportError``)."""


class RateLimited(VenueRefused):
    """The venue refused the request for going too fast."""


def network_cause(exc: BaseException) -> str:
    """Say why a network call failed, in the operating system's words, e.g. ``"ConnectError: Name or service not
    known"`` (DNS) or ``"ConnectError: Connection refused"``.

    The class named is the first one in the ``__cause__``/``__context__`` chain that is not ours (the transport
    library's error, e.g. ``ConnectError``), and the text is the innermost ``OSError``'s ``strerror`` (httpx
    says only "All connection attempts failed" for a refused connection); without an ``OSError`` it is the
    exception's own text.
    """
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and all(current is not seen for seen in chain):
        chain.append(current)
        current = current.__cause__ or current.__context__
    outer = next((e for e in chain if not isinstance(e, VenueError)), exc)
    detail = str(outer)
    for error in chain:
        if isinstance(error, ConnectionRefusedError):
            detail = "Connection refused"
        elif isinstance(error, OSError) and error.strerror:
            detail = error.strerror
    name = outer.__class__.__name__
    return f"{name}: {detail}" if detail and detail != name else name
