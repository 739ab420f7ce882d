"""The Roxom server's request checks: the RSA signature over each request, the JSON body, errors as Roxom's body."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from aiohttp import web
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from console.exchange.roxom.app_state import _ServerState
from console.exchange.roxom.engine import RoxomError
from console.exchange.roxom.keys import ApiKey
from console.exchange.roxom.wire import error_body
from console.venues.roxom.auth import BodyEncoding, Padding

__all__ = ["canonical_params"]

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _json(data: Any, status: int = 200) -> web.Response:
    return web.json_response(data, status=status, dumps=lambda o: json.dumps(o, separators=(",", ":")))


def _error(status: int, message: str, details: str | None = None) -> web.Response:
    return _json(error_body(status, message, details), status)


def canonical_params(body: Mapping[str, Any], encoding: BodyEncoding = BodyEncoding.KEY_VALUE) -> str:
    """The server's reading of the signed body part: sorted ``key=value`` (or, with ``BodyEncoding.VALUES``, the
    values alone) joined by ``&``, nulls omitted, values as JSON text (strings unquoted). Kept apart from the client's
    signing code on purpose (only the setting's names are shared): two readings that must agree catch a mistake one
    of them would hide."""
    parts = []
    for key in sorted(body):
        value = body[key]
        if value is None:
            continue
        text = value if isinstance(value, str) else json.dumps(value, separators=(",", ":"), sort_keys=True)
        parts.append(f"{key}={text}" if encoding is BodyEncoding.KEY_VALUE else text)
    return "&".join(parts)


def _verify_padding(choice: Padding) -> padding.AsymmetricPadding:
    """The padding the venue verifies with. PSS accepts any salt length (the signer's choice is not documented)."""
    if choice is Padding.PSS:
        return padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.AUTO)
    return padding.PKCS1v15()


class _AuthMixin(_ServerState):
    """RoxomServer's auth and errors: verify the signed headers, read the body, answer errors in Roxom's shape."""

    # -- auth and errors -------------------------------------------------------------------------------------------

    @web.middleware
    async def _errors(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            return await handler(request)
        except RoxomError as error:
            return _error(error.status, error.message, error.details)
        except web.HTTPNotFound:
            return _error(404, "Not found", f"no endpoint {request.method} {request.path}")
        except web.HTTPMethodNotAllowed:
            return _error(405, "Method not allowed", f"{request.method} {request.path}")

    def _verify(self, request: web.Request, body: Mapping[str, Any] | None) -> ApiKey:
        """Check the signed headers; returns the key. Raises RoxomError 401 (Missing API Key, Missing Signature,
        Invalid API Key, Invalid Signature)."""
        key_id = request.headers.get("X-API-Key")
        if not key_id:
            raise RoxomError(401, "Missing API Key", "send X-API-Key")
        signature_b64 = request.headers.get("X-API-Signature")
        if not signature_b64:
            raise RoxomError(401, "Missing Signature", "send X-API-Signature")
        key = self.keys.get(key_id)
        if key is None:
            raise RoxomError(401, "Invalid API Key", "unknown key id")
        # The path and query exactly as sent (percent-encoding kept): what the client had in hand when it signed.
        message = f"{request.method.upper()}:{request.rel_url.raw_path}"
        if request.rel_url.raw_query_string:
            message += f"?{request.rel_url.raw_query_string}"
        params = canonical_params(body, self.body_encoding) if body else ""
        if params:
            message += f":{params}"
        try:
            signature = base64.b64decode(signature_b64, validate=True)
            key.public_key.verify(signature, message.encode(), _verify_padding(self.padding), hashes.SHA256())
        except (InvalidSignature, binascii.Error, ValueError):
            # The details name this venue's signing choices (the points Roxom's documentation leaves open), so a
            # client signing with the other choice learns which setting to check.
            raise RoxomError(
                401,
                "Invalid Signature",
                f"the signature does not match the request (this venue verifies padding {self.padding.value}, "
                f"body encoding {self.body_encoding.value})",
            ) from None
        return key

    async def _body(self, request: web.Request) -> dict[str, Any]:
        raw = await request.read()
        if not raw.strip():
            return {}
        try:
            body = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            raise RoxomError(400, "Validation error", "the body is not valid JSON") from None
        if not isinstance(body, dict):
            raise RoxomError(400, "Validation error", "the body must be a JSON object")
        return body

    async def _authed(self, request: web.Request) -> tuple[ApiKey, dict[str, Any]]:
        """The caller's key and the JSON body; auth errors (401) come before the body's (400)."""
        try:
            body = await self._body(request)
        except RoxomError:
            self._verify(request, None)
            raise
        return self._verify(request, body), body
