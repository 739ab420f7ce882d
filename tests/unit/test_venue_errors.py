"""Error classification is a property of the error tree: the venue-neutral base, and Gemini's tree inheriting it."""

from __future__ import annotations

import pytest

from console.domain import errors as neutral
from console.venues.gemini.errors import (
    AccountError,
    ApiError,
    AuthenticationError,
    GeminiError,
    InsufficientFunds,
    InvalidResponse,
    NonceError,
    OrderNotFound,
    OrderRejected,
    PermissionDenied,
    RateLimited,
    RequestTimeout,
    ServerError,
    StreamClosed,
    TransportError,
    error_from_response,
)


def body(reason: str, message: str = "details") -> bytes:
    return f'{{"result":"error","reason":"{reason}","message":"{message}"}}'.encode()


# -- the neutral tree ---------------------------------------------------------------------------------------------
def test_a_network_failure_leaves_the_outcome_unknown_and_does_not_halt():
    error = neutral.TransportError("connect reset")
    assert (error.outcome_unknown, error.halts_trading, error.retry_safe) == (True, False, False)
    assert error.reason == "TransportError"  # no venue reason: the class names it


def test_a_stream_closed_without_a_close_frame_says_it_was_dropped():
    assert neutral.StreamClosed(1006).dropped
    closed = neutral.StreamClosed(1011, "internal error")
    assert not closed.dropped and closed.outcome_unknown
    assert (closed.code, closed.close_reason) == (1011, "internal error")


@pytest.mark.parametrize(("cls", "halts"), [
    (neutral.AuthenticationFailed, True),
    (neutral.PermissionDenied, True),
    (neutral.OrderNotFound, False),
    (neutral.RateLimited, False),
    (neutral.VenueRefused, False),
])
def test_a_refusal_is_a_known_outcome_and_only_a_refused_key_halts(cls, halts):
    error = cls("SomeReason", "the venue's words")
    assert error.halts_trading is halts
    assert not error.outcome_unknown and not error.retry_safe
    assert (error.reason, error.message, str(error)) == ("SomeReason", "the venue's words",
                                                          "SomeReason: the venue's words")


# -- Gemini's tree inherits the neutral one ---------------------------------------------------------------------------
@pytest.mark.parametrize(("gemini", "base"), [
    (GeminiError, neutral.VenueError),
    (TransportError, neutral.TransportError),
    (RequestTimeout, neutral.TransportError),
    (StreamClosed, neutral.StreamClosed),
    (ApiError, neutral.VenueRefused),
    (AuthenticationError, neutral.AuthenticationFailed),
    (PermissionDenied, neutral.PermissionDenied),
    (OrderNotFound, neutral.OrderNotFound),
    (RateLimited, neutral.RateLimited),
])
def test_each_gemini_error_is_its_neutral_counterpart(gemini, base):
    assert issubclass(gemini, base) and issubclass(gemini, GeminiError)


@pytest.mark.parametrize(("status", "reason", "cls", "unknown", "halts", "retry_safe"), [
    (400, "InvalidSignature", AuthenticationError, False, True, False),
    (400, "InvalidApiKey", AuthenticationError, False, True, False),
    (403, "MissingRole", PermissionDenied, False, True, False),
    (400, "InvalidNonce", NonceError, False, False, True),
    (400, "InvalidPrice", OrderRejected, False, False, False),
    (406, "InsufficientFunds", InsufficientFunds, False, False, False),
    (404, "OrderNotFound", OrderNotFound, False, False, False),
    (429, "RateLimit", RateLimited, True, False, False),
    (500, "System", ServerError, True, False, False),
    (503, "Maintenance", ServerError, True, False, False),
    (502, "Unknown", ServerError, True, False, False),
    (400, "AccountClosed", AccountError, False, False, False),
    # The status decides the outcome even under a reason that names a refusal: a 5xx may have executed.
    (500, "InvalidPrice", OrderRejected, True, False, False),
    (500, "InvalidNonce", NonceError, True, False, False),
])
def test_gemini_answers_classify_themselves(status, reason, cls, unknown, halts, retry_safe):
    error = error_from_response(status, body(reason))
    assert type(error) is cls
    assert (error.outcome_unknown, error.halts_trading, error.retry_safe) == (unknown, halts, retry_safe)
    assert error.reason == reason


@pytest.mark.parametrize("error", [
    TransportError("connect failed"),
    RequestTimeout("read timeout"),
    StreamClosed(1006),
    InvalidResponse("body is not JSON"),
])
def test_a_lost_or_unreadable_answer_leaves_the_outcome_unknown(error):
    assert error.outcome_unknown and not error.halts_trading and not error.retry_safe


def test_missing_credentials_refused_locally_halt_trading():
    error = AuthenticationError("MissingCredentials", "no API key configured")  # raised before any request
    assert error.status is None and error.halts_trading and not error.outcome_unknown


def test_gemini_errors_keep_their_constructor_arguments_and_texts():
    error = error_from_response(400, body("InvalidPrice", "price too precise"))
    assert error.args == ("InvalidPrice", "price too precise", 400)
    assert str(error) == "InvalidPrice: price too precise"
    assert repr(error) == "OrderRejected(reason='InvalidPrice', message='price too precise', status=400)"
    assert str(StreamClosed(1011, "bye")) == "order events stream closed: code 1011 bye"


def _old_ambiguous(exc: GeminiError) -> bool:
    """The session's rule before it moved into the tree (``getattr(exc, "status")``), kept as the reference."""
    if isinstance(exc, TransportError | InvalidResponse):
        return True
    status = getattr(exc, "status", None) or 0
    return status >= 500 or status == 429


def _old_halts(exc: GeminiError) -> bool:
    return isinstance(exc, AuthenticationError | PermissionDenied)


@pytest.mark.parametrize("status", [None, 200, 400, 401, 403, 404, 406, 429, 500, 502, 503])
@pytest.mark.parametrize("cls", [ApiError, AuthenticationError, NonceError, PermissionDenied, OrderRejected,
                                 InsufficientFunds, OrderNotFound, RateLimited, ServerError, AccountError])
def test_the_tree_classifies_exactly_as_the_session_did(cls, status):
    error = cls("Reason", "message", status)
    assert error.outcome_unknown is _old_ambiguous(error)
    assert error.halts_trading is _old_halts(error)
