"""Handshake authentication of the local exchange's new WebSocket API: headers, signature, time-based nonce, key kind.

Gemini authenticates the new API once, at the WebSocket handshake (https://docs.gemini.com/websocket/introduction,
"Authentication"): ``X-GEMINI-APIKEY``; ``X-GEMINI-NONCE`` = Unix time in seconds; ``X-GEMINI-PAYLOAD`` = base64
of the nonce's text; ``X-GEMINI-SIGNATURE`` = ``hex(HMAC_SHA384(payload, secret))``. Only account-level keys
created with a time-based nonce and the Trader role may use it. Failures raise :class:`HandshakeRefused` with the
-1002 error the server turns into a 401 answer (CHOICE ws:handshake-failure in
:data:`~console.exchange.server.ws_api_wire.WS_API_CHOICES`).
"""

from __future__ import annotations

import base64
import binascii
import hmac
import logging
from collections.abc import Mapping

from console.exchange.auth import APIKEY_HEADER, PAYLOAD_HEADER, SIGNATURE_HEADER, TIME_NONCE_WINDOW_S
from console.exchange.keys import TRADER, ApiKey, KeyStore
from console.exchange.server.ws_api_wire import UNAUTHENTICATED, ErrorCode
from console.venues.gemini.auth import sign

__all__ = ["NONCE_HEADER", "HandshakeRefused", "verify_handshake"]

log = logging.getLogger(__name__)

NONCE_HEADER = "X-GEMINI-NONCE"
_AUTH_HEADERS = (APIKEY_HEADER, NONCE_HEADER, PAYLOAD_HEADER, SIGNATURE_HEADER)


class HandshakeRefused(Exception):
    """The handshake is refused: ``error`` (code, HTTP status) and a human ``msg``."""

    def __init__(self, error: ErrorCode, msg: str) -> None:
        super().__init__(msg)
        self.error = error
        self.msg = msg


def _refuse(msg: str) -> HandshakeRefused:
    return HandshakeRefused(UNAUTHENTICATED, msg)


def verify_handshake(headers: Mapping[str, str], keystore: KeyStore, now_ms: int) -> ApiKey | None:
    """Authenticate a new-API handshake.

    Args:
        headers: the upgrade request's headers (case-insensitive mapping).
        keystore: the API keys table; on success the call counts as the key's heartbeat.
        now_ms: server time in Unix ms.

    Returns:
        The key, or None when the request carries none of the four auth headers (a market-data-only connection).

    Raises:
        HandshakeRefused: -1002 for a missing header (when some are present), an unknown key, a wrong signature,
            a payload that is not base64 of the nonce, a nonce that is not whole seconds within ±30 s of server
            time, or a key that may not use the new API (counter nonce, master key, no Trader role).
    """
    present = {name: headers.get(name) for name in _AUTH_HEADERS}
    if not any(present.values()):
        return None
    for name, value in present.items():
        if not value:
            raise _refuse(f"The {name} header is missing")
    api_key, nonce_text = str(present[APIKEY_HEADER]), str(present[NONCE_HEADER])
    payload, signature = str(present[PAYLOAD_HEADER]), str(present[SIGNATURE_HEADER])
    key = keystore.get(api_key)
    if key is None:
        log.info("new API handshake with unknown key %r", api_key)
        raise _refuse("InvalidSignature")
    expected = sign(payload, key.secret.get_secret_value()) if payload.isascii() else ""
    if not expected or not hmac.compare_digest(expected.encode("ascii"), signature.encode("utf-8", "replace")):
        log.info("new API handshake of %s: signature does not match", key.key)
        raise _refuse("InvalidSignature")
    try:
        decoded = base64.b64decode(payload, validate=True).decode("ascii")
    except (binascii.Error, ValueError):
        raise _refuse(f"The {PAYLOAD_HEADER} header is not base64 of the nonce") from None
    if decoded != nonce_text:
        raise _refuse(f"The {PAYLOAD_HEADER} header does not encode the {NONCE_HEADER} value")
    if not key.time_based_nonce:  # CHOICE ws:key-kind (and the master key and role checks below)
        raise _refuse(
            f"InvalidNonce: API key {key.key} uses a counter nonce; the WebSocket API needs a key created with "
            "'Uses a time based nonce'"
        )
    if key.is_master:
        raise _refuse("NotGroupApiCompatible: the WebSocket API takes account-level keys only")
    if TRADER not in key.roles:
        raise _refuse(f"MissingRole: API key {key.key} needs the {TRADER} role for the WebSocket API")
    if not nonce_text.isascii() or not nonce_text.isdigit():  # CHOICE ws:handshake-nonce
        raise _refuse(f"InvalidNonce: Nonce '{nonce_text}' is not a whole number of seconds")
    now_s = now_ms // 1000
    if abs(int(nonce_text) - now_s) > TIME_NONCE_WINDOW_S:
        raise _refuse(
            f"InvalidNonce: Nonce '{nonce_text}' is not within {TIME_NONCE_WINDOW_S} seconds of server time '{now_s}'"
        )
    keystore.touch(key.key, now_ms)
    return key
