"""Authentication of private requests to the local exchange: headers, HMAC-SHA384 signature, payload, nonce, roles.

Follows Gemini's documented private API rules (https://docs.gemini.com/websocket/overview/requests/private-api,
https://developer.gemini.com/authentication/api-key). Order of checks, each raising
:class:`~console.exchange.engine.ExchangeError` with HTTP 400 unless said otherwise:

1. ``X-GEMINI-APIKEY``, ``X-GEMINI-PAYLOAD``, ``X-GEMINI-SIGNATURE`` present → ``MissingApikeyHeader`` /
   ``MissingPayloadHeader`` / ``MissingSignatureHeader``; an empty payload header → ``InvalidJson``.
2. The key is known → else ``InvalidSignature`` (see :data:`UNKNOWN_KEY_REASON`).
3. The signature equals ``hex(HMAC_SHA384(payload header as received, secret))`` → else ``InvalidSignature``.
4. The payload header is base64 of a JSON object → else ``InvalidJson``.
5. ``request`` is present (else ``EndpointNotFound``) and equals the URL path (else ``EndpointMismatch``).
6. ``nonce`` is present (else ``MissingNonce``) and greater than the key's last nonce, or for time-based keys within
   ±30 s of server time (else ``InvalidNonce``).

Only then is the nonce recorded and the call counted as a heartbeat. Roles are checked afterwards by
:func:`require_role` (``MissingRole``, HTTP 403), so a request rejected for its role still used up its nonce.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import logging
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

from console.exchange.engine import ExchangeError
from console.exchange.keys import AUDITOR, FUND_MANAGER, TRADER, ApiKey, KeyStore
from console.venues.gemini.auth import sign

__all__ = [
    "APIKEY_HEADER",
    "ENDPOINT_ROLES",
    "HEARTBEAT_TIMEOUT_MS",
    "PAYLOAD_HEADER",
    "SIGNATURE_HEADER",
    "TIME_NONCE_WINDOW_S",
    "UNKNOWN_KEY_REASON",
    "expire_heartbeat_sessions",
    "require_role",
    "verify_private_request",
]

log = logging.getLogger(__name__)

APIKEY_HEADER = "X-GEMINI-APIKEY"
PAYLOAD_HEADER = "X-GEMINI-PAYLOAD"
SIGNATURE_HEADER = "X-GEMINI-SIGNATURE"

# CHOICE: an unknown API key is reported as InvalidSignature (400). Gemini's error table has no "unknown key" reason
# (InvalidApiKey appears only in client libraries' maps, UNCONFIRMED; https://docs.gemini.com/rest/error-codes), and
# from the server's point of view a request signed with a key it does not know has no valid signature.
UNKNOWN_KEY_REASON = "InvalidSignature"

# CHOICE: a payload without "request" gets EndpointNotFound ("no endpoint given" in the error table) with HTTP 400,
# not 404: the URL did name an existing endpoint, it is the payload that is malformed.
MISSING_REQUEST_STATUS = 400

# Time-based nonces must be Unix seconds within this many seconds of server time
# (https://developer.gemini.com/authentication/api-key).
TIME_NONCE_WINDOW_S = 30

# "Require Heartbeat" sessions expire after this long without an authenticated call
# (https://developer.gemini.com/authentication/api-key).
HEARTBEAT_TIMEOUT_MS = 30_000

# Which roles may call which endpoint (https://developer.gemini.com/authentication/api-key;
# order events need Trader or Auditor, https://docs.gemini.com/websocket/archived/order-events).
# The first role of each tuple is the one a MissingRole message suggests first.
ENDPOINT_ROLES: dict[str, tuple[str, ...]] = {
    "/v1/order/new": (TRADER,),
    "/v1/order/cancel": (TRADER,),
    "/v1/order/cancel/all": (TRADER,),
    "/v1/order/cancel/session": (TRADER,),
    "/v1/heartbeat": (TRADER,),
    "/v1/order/status": (TRADER, AUDITOR),
    "/v1/orders": (TRADER, AUDITOR),
    "/v1/mytrades": (TRADER, AUDITOR),
    "/v1/order/events": (TRADER, AUDITOR),
    "/v1/balances": (TRADER, FUND_MANAGER, AUDITOR),
    "/v1/orders/history": (TRADER, AUDITOR),
    "/v1/tradevolume": (TRADER, AUDITOR),
    "/v1/notionalvolume": (TRADER, AUDITOR),
    "/v1/wrap/{symbol}": (TRADER,),  # keyed by the route template: the URL names the symbol
}

# Stable order in which roles are listed in messages.
_ROLE_ORDER = (TRADER, FUND_MANAGER, AUDITOR)


def _bad_json(message: str) -> ExchangeError:
    # Gemini's sandbox answers InvalidJson with the reason as its message; the detail goes to the log only.
    log.info("InvalidJson: %s", message)
    return ExchangeError("InvalidJson", "InvalidJson", 400)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _decode_payload(payload_b64: str) -> dict[str, Any]:
    """Decode the ``X-GEMINI-PAYLOAD`` header into a JSON object (floats kept exact as ``Decimal``).

    Raises:
        ExchangeError: ``InvalidJson`` (400) for bad base64, bad UTF-8, bad JSON or a JSON value that is no object.
    """
    try:
        raw = base64.b64decode(payload_b64.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise _bad_json("The X-GEMINI-PAYLOAD header is not valid base64") from None
    try:
        payload = json.loads(raw.decode("utf-8"), parse_float=Decimal, parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError):
        raise _bad_json("The X-GEMINI-PAYLOAD header does not hold valid JSON") from None
    if not isinstance(payload, dict):
        raise _bad_json("The X-GEMINI-PAYLOAD header must hold a JSON object")
    return payload


def _nonce_value(raw: Any) -> tuple[Decimal, str]:
    """Return ``(numeric value, text as sent)`` of a nonce given as int, float (Decimal) or numeric string.

    Raises:
        ExchangeError: ``InvalidNonce`` (400) if the nonce is not a finite number.
    """
    if isinstance(raw, bool):  # bool is an int subclass in Python; true/false is no nonce
        text = "true" if raw else "false"
    elif isinstance(raw, int):
        return Decimal(raw), str(raw)
    elif isinstance(raw, Decimal):
        return raw, str(raw)
    elif isinstance(raw, str):
        text = raw
        try:
            value = Decimal(raw.strip())
        except InvalidOperation:
            value = None
        if value is not None and value.is_finite():
            return value, raw
    else:
        text = json.dumps(raw, default=str)
    raise ExchangeError("InvalidNonce", f"Nonce '{text}' is not a number.", 400)


def _check_nonce(key: ApiKey, keystore: KeyStore, raw_nonce: Any, now_ms: int) -> Decimal:
    """Validate the nonce of ``key`` and return its numeric value (not yet recorded).

    Sequence keys: the nonce must be greater than the key's previous one (the first must be > 0).
    CHOICE: time-based keys only need to fall within ±30 s of server time; they are not also required to
    increase, since with one-second resolution that would allow one request per second
    (https://developer.gemini.com/authentication/api-key).

    Raises:
        ExchangeError: ``InvalidNonce`` (400), with Gemini's observed message wording.
    """
    value, text = _nonce_value(raw_nonce)
    if key.time_based_nonce:
        now_s = Decimal(now_ms // 1000)  # server time in whole seconds, as the error message quotes it
        if abs(value - now_s) > TIME_NONCE_WINDOW_S:
            raise ExchangeError(
                "InvalidNonce",
                f"Nonce '{text}' is not within {TIME_NONCE_WINDOW_S} seconds of server time '{now_ms // 1000}'",
                400,
            )
        return value
    last = keystore.last_nonce(key.key)
    if value <= (last if last is not None else Decimal(0)):
        raise ExchangeError(
            "InvalidNonce", f"Nonce '{text}' has not increased since your last call to the Gemini API.", 400
        )
    return value


def verify_private_request(
    headers: Mapping[str, str], path: str, keystore: KeyStore, now_ms: int
) -> tuple[ApiKey, dict[str, Any]]:
    """Authenticate one private request and return its key and decoded payload.

    Args:
        headers: the request headers (a case-insensitive mapping such as aiohttp's ``CIMultiDictProxy``).
        path: the URL path without query string, e.g. ``"/v1/order/new"``; the payload's ``request`` must equal it.
        keystore: the API keys table; on success the nonce is recorded and the call counted as a heartbeat.
        now_ms: server time in Unix ms (time-based nonces, heartbeat timer).

    Returns:
        ``(api_key, payload)``; JSON floats in the payload are ``Decimal`` so no digits are lost, e.g.
        ``{"request": "/v1/order/status", "nonce": 123456, "order_id": 18834}``.

    Raises:
        ExchangeError: one of the reasons listed in the module docstring, all HTTP 400.
    """
    api_key_str = headers.get(APIKEY_HEADER)
    if not api_key_str:
        raise ExchangeError("MissingApikeyHeader", f"The {APIKEY_HEADER} header is missing", 400)
    payload_b64 = headers.get(PAYLOAD_HEADER)
    if payload_b64 is None:
        raise ExchangeError("MissingPayloadHeader", f"The {PAYLOAD_HEADER} header is missing", 400)
    if not payload_b64.strip():  # present but empty: Gemini's sandbox answers InvalidJson, not MissingPayloadHeader
        raise _bad_json(f"The {PAYLOAD_HEADER} header is empty")
    signature = headers.get(SIGNATURE_HEADER)
    if not signature:
        raise ExchangeError("MissingSignatureHeader", f"The {SIGNATURE_HEADER} header is missing", 400)

    if not payload_b64.isascii():  # base64 is ASCII; anything else cannot be decoded (nor signed as Gemini does)
        raise _bad_json("The X-GEMINI-PAYLOAD header is not valid base64")
    key = keystore.get(api_key_str)
    if key is None:
        log.info("unknown API key %r", api_key_str)
        raise ExchangeError(UNKNOWN_KEY_REASON, UNKNOWN_KEY_REASON, 400)  # Gemini: the message is the reason
    # The HMAC covers the payload header exactly as received (no normalisation), keyed with the secret's UTF-8 bytes.
    expected = sign(payload_b64, key.secret.get_secret_value())
    if not hmac.compare_digest(expected.encode("ascii"), signature.encode("utf-8", "replace")):
        log.info("the %s header does not match the payload and API secret of %s", SIGNATURE_HEADER, key.key)
        raise ExchangeError("InvalidSignature", "InvalidSignature", 400)  # Gemini: the message is the reason

    payload = _decode_payload(payload_b64)
    request_path = payload.get("request")
    if request_path is None or request_path == "":
        raise ExchangeError("EndpointNotFound", "The payload has no 'request' field naming the endpoint", 400)
    if request_path != path:
        raise ExchangeError(
            "EndpointMismatch",
            f"The payload's request '{request_path}' does not match the URL path '{path}'",
            400,
        )
    if "nonce" not in payload or payload["nonce"] is None:
        raise ExchangeError("MissingNonce", "A nonce was not provided in the payload", 400)
    nonce = _check_nonce(key, keystore, payload["nonce"], now_ms)

    keystore.record_nonce(key.key, nonce)
    keystore.touch(key.key, now_ms)
    return key, payload


def require_role(key: ApiKey, endpoint: str) -> None:
    """Check that ``key`` holds one of the roles ``endpoint`` needs
    (https://developer.gemini.com/authentication/api-key).

    Endpoints missing from :data:`ENDPOINT_ROLES` need no role. ``endpoint`` is the route template for paths
    with parameters (``"/v1/wrap/{symbol}"``).

    Raises:
        ExchangeError: ``MissingRole`` with HTTP 403 and Gemini's message style, e.g. "To access this endpoint, you
            need to log in to the website and go to the settings page to assign one of these roles [Trader] to API
            key account-... which currently has roles [Auditor]".
    """
    needed = ENDPOINT_ROLES.get(endpoint)
    if needed is None or key.roles.intersection(needed):
        return
    current = ", ".join(r for r in _ROLE_ORDER if r in key.roles)
    raise ExchangeError(
        "MissingRole",
        "To access this endpoint, you need to log in to the website and go to the settings page to assign one of "
        f"these roles [{', '.join(needed)}] to API key {key.key} which currently has roles [{current}]",
        403,
    )


class _SessionCanceller(Protocol):
    def cancel_session(self, account_id: int, api_session: str) -> dict[str, list[int]]: ...


def expire_heartbeat_sessions(
    keystore: KeyStore, engine: _SessionCanceller, now_ms: int
) -> dict[str, dict[str, list[int]]]:
    """Cancel the orders of every "Require Heartbeat" key silent for 30 s or more
    (https://developer.gemini.com/authentication/api-key).

    A key's timer starts with its first authenticated call; once expired it stops until the next call, so a silent
    key is cancelled once, not on every check.

    Args:
        keystore: the API keys table with last-seen times.
        engine: the matching engine; ``engine.cancel_session(account_id, api_key)`` is called per expired key.
        now_ms: server time in Unix ms.

    Returns:
        ``{api_key: engine.cancel_session result}`` for each key that expired on this check, e.g.
        ``{"account-...": {"cancelledOrders": [73000000001], "cancelRejects": []}}``.
    """
    expired: dict[str, dict[str, list[int]]] = {}
    for key in keystore:
        if not key.require_heartbeat:
            continue
        seen = keystore.last_seen_ms(key.key)
        if seen is None or now_ms - seen < HEARTBEAT_TIMEOUT_MS:
            continue
        keystore.forget_seen(key.key)
        result = engine.cancel_session(key.account_id, key.key)
        log.info(
            "heartbeat expired for API key %s after %d ms; cancelled orders %s",
            key.key,
            now_ms - seen,
            result.get("cancelledOrders"),
        )
        expired[key.key] = result
    return expired
