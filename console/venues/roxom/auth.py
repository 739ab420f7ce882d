"""Roxom request signing: the string to sign, RSA-2048 keys (PKCS#8) and the ``X-API-Key``/``X-API-Signature`` headers.

Roxom's authentication page (https://docs.roxom.com/reference/authentication) says: every private REST request and
the WebSocket handshake carry ``X-API-Key`` (the key id, e.g. ``xrxk_key_3437401edb0560e2de84efe7d34327c4``) and
``X-API-Signature``: the base64 RSA signature, made with the user's RSA-2048 private key (PKCS#8), over the SHA-256
digest of the string to sign ``METHOD:path[?query][:body]`` (method upper-case; the path with its query string; the
body's parameters sorted alphabetically by key, null ones omitted). Examples from the endpoint pages:
``POST:/api/v1/orders:<sorted body params>``, ``POST:/api/v1/orders/{orderId}/cancel``, ``GET:/ws``.

Two points the documentation leaves open are named settings here (:class:`SigningScheme`), so they can be switched
once Roxom's sandbox confirms them:

* the padding (:class:`Padding`): RSASSA-PKCS1-v1_5 is chosen, the scheme the documented ``openssl`` command
  (``openssl dgst -sha256 -sign priv.pem``) produces; PSS is the alternative;
* the encoding of the body parameters (:class:`BodyEncoding`): ``key=value`` pairs joined by ``&`` is chosen ("sorted
  alphabetically ... concatenated with an ampersand"); the values alone joined by ``&`` is the alternative.

Values in the body are written as their JSON text without quotes: strings as they are, ``true``/``false``, numbers
as sent; a nested list or object as compact JSON. The private key is unwrapped only inside :meth:`RoxomSigner.sign`;
``repr`` shows the masked key id only.
"""

from __future__ import annotations

import base64
import enum
import hashlib
import json
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding as rsa_padding
from cryptography.hazmat.primitives.asymmetric import rsa, utils

__all__ = [
    "DEFAULT_SCHEME",
    "MIN_KEY_BITS",
    "WS_HANDSHAKE_PATH",
    "BodyEncoding",
    "KeyFileError",
    "Padding",
    "RoxomSigner",
    "SigningScheme",
    "encode_body_params",
    "load_private_key",
    "mask_key_id",
    "string_to_sign",
]

#: Roxom's keys are RSA-2048 (https://docs.roxom.com/reference/authentication); smaller keys are refused.
MIN_KEY_BITS = 2048

#: The path the WebSocket handshake signs: ``GET:/ws`` (https://docs.roxom.com/reference/websockets/connection).
WS_HANDSHAKE_PATH = "/ws"


class Padding(enum.Enum):
    """The RSA signature padding (not stated by Roxom's documentation)."""

    PKCS1V15 = "pkcs1v15"  #: RSASSA-PKCS1-v1_5, what ``openssl dgst -sha256 -sign`` produces (chosen)
    PSS = "pss"  #: RSASSA-PSS with MGF1-SHA-256 and a 32-byte salt (the digest's length)


class BodyEncoding(enum.Enum):
    """How the sorted body parameters are joined in the string to sign (the documentation leaves it open)."""

    KEY_VALUE = "key=value"  #: ``px=0.5&qty=1&side=buy`` (chosen)
    VALUES = "values"  #: ``0.5&1&buy``


@dataclass(frozen=True, slots=True)
class SigningScheme:
    """The open points of Roxom's signing, as one setting.

    Attributes:
        padding: the RSA padding; :attr:`Padding.PKCS1V15` by default.
        body_encoding: the body parameters' encoding; :attr:`BodyEncoding.KEY_VALUE` by default.
    """

    padding: Padding = Padding.PKCS1V15
    body_encoding: BodyEncoding = BodyEncoding.KEY_VALUE


DEFAULT_SCHEME = SigningScheme()


class KeyFileError(ValueError):
    """A private key could not be loaded safely; the message says why and never contains the key."""


def mask_key_id(key_id: str) -> str:
    """Return a Roxom key id masked for display: ``"xrxk_key_…27c4"`` (prefix and last 4 characters)."""
    prefix, sep, rest = key_id.rpartition("_")
    if sep and len(rest) > 8:
        return f"{prefix}_…{rest[-4:]}"
    return f"…{key_id[-2:]}" if len(key_id) > 4 else "…"


def _param_text(value: Any) -> str:
    """One body value as it appears in the string to sign (JSON text; strings without their quotes).

    Raises:
        TypeError: a value JSON cannot carry as is (e.g. a ``Decimal``: send money as a decimal string, so the text
            signed is the text sent).
    """
    if isinstance(value, str):
        return value
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


def encode_body_params(body: Mapping[str, Any] | None, encoding: BodyEncoding = BodyEncoding.KEY_VALUE) -> str:
    """The body part of the string to sign: parameters sorted by key, null ones omitted, joined by ``&``.

    Args:
        body: the JSON body object as sent (e.g. ``{"symbol": "GOLD-BTC", "qty": "1", "postOnly": True}``), or None.
        encoding: ``KEY_VALUE`` gives ``postOnly=true&qty=1&symbol=GOLD-BTC``; ``VALUES`` gives ``true&1&GOLD-BTC``.

    Returns:
        The encoded parameters; ``""`` for no body or a body with only null values. Keys sort by code point.

    Raises:
        TypeError: a value that is not a JSON type (str, int, float, bool, list, dict).
    """
    if not body:
        return ""
    items = sorted((key, value) for key, value in body.items() if value is not None)
    if encoding is BodyEncoding.KEY_VALUE:
        return "&".join(f"{key}={_param_text(value)}" for key, value in items)
    return "&".join(_param_text(value) for _, value in items)


def string_to_sign(
    method: str,
    path: str,
    query: str = "",
    body: Mapping[str, Any] | None = None,
    encoding: BodyEncoding = BodyEncoding.KEY_VALUE,
) -> str:
    """Roxom's string to sign, ``METHOD:path[?query][:body]`` (https://docs.roxom.com/reference/authentication).

    Args:
        method: HTTP method, any case (upper-cased).
        path: the request path, e.g. ``"/api/v1/orders"``.
        query: the query string as sent, without ``?`` (e.g. ``"instType=perpetual"``); ``""`` for none.
        body: the JSON body object, or None.
        encoding: see :func:`encode_body_params`.

    Returns:
        e.g. ``"POST:/api/v1/orders:instType=perpetual&orderType=limit&px=0.0301&qty=1&side=buy&symbol=GOLD-BTC"``,
        ``"GET:/api/v1/orders?instType=perpetual"`` or ``"GET:/ws"``.
    """
    text = f"{method.upper()}:{path}"
    if query:
        text += f"?{query}"
    params = encode_body_params(body, encoding)
    if params:
        text += f":{params}"
    return text


def _padding(scheme: SigningScheme) -> rsa_padding.AsymmetricPadding:
    if scheme.padding is Padding.PSS:
        # Salt as long as the digest (32 bytes): RFC 8017's usual choice, which verifiers that expect a fixed salt
        # length (the digest's) and those that detect it both accept.
        return rsa_padding.PSS(mgf=rsa_padding.MGF1(hashes.SHA256()), salt_length=rsa_padding.PSS.DIGEST_LENGTH)
    return rsa_padding.PKCS1v15()


def load_private_key(source: Path | bytes, password: bytes | None = None) -> rsa.RSAPrivateKey:
    """Load an RSA private key in PKCS#8 PEM (``-----BEGIN PRIVATE KEY-----``) from a file or from bytes.

    Args:
        source: a path to the PEM file, or the PEM bytes (e.g. read from the keyring).
        password: the key's passphrase when it is encrypted (``BEGIN ENCRYPTED PRIVATE KEY``).

    Raises:
        KeyFileError: the file is missing, not a regular file, readable or writable by group or others (``chmod
            600`` fixes it); the data is not PKCS#8 PEM, not an RSA key, smaller than 2048 bits, or cannot be
            decrypted.
    """
    where = "private key"
    if isinstance(source, Path):
        where = f"private key file {source}"
        try:
            info = source.stat()
        except OSError as exc:
            raise KeyFileError(f"{where}: {exc.strerror}") from None
        if not stat.S_ISREG(info.st_mode):
            raise KeyFileError(f"{where}: not a regular file")
        if info.st_mode & 0o077:
            raise KeyFileError(
                f"{where} is accessible by group or others (mode {stat.S_IMODE(info.st_mode):o}); "
                f"run: chmod 600 {source}"
            )
        data = source.read_bytes()
    else:
        data = bytes(source)
    if b"-----BEGIN PRIVATE KEY-----" not in data and b"-----BEGIN ENCRYPTED PRIVATE KEY-----" not in data:
        raise KeyFileError(
            f"{where}: not a PKCS#8 PEM private key (expected '-----BEGIN PRIVATE KEY-----'; convert a PKCS#1 key "
            "with: openssl pkcs8 -topk8 -nocrypt -in old.pem -out key.pem)"
        )
    try:
        key = serialization.load_pem_private_key(data, password=password)
    except (ValueError, TypeError) as exc:
        # The library's message names the problem (bad password, malformed data), never the key material.
        raise KeyFileError(f"{where}: cannot be loaded ({exc})") from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise KeyFileError(f"{where}: not an RSA key (Roxom uses RSA-2048)")
    if key.key_size < MIN_KEY_BITS:
        raise KeyFileError(f"{where}: RSA key of {key.key_size} bits; Roxom keys are RSA-{MIN_KEY_BITS}")
    return key


class RoxomSigner:
    """Signs Roxom requests with one key id and its RSA private key.

    Example::

        signer = RoxomSigner("xrxk_key_…", load_private_key(Path("~/.config/roxom/key.pem").expanduser()))
        headers = signer.headers("POST", "/api/v1/orders", body={"symbol": "GOLD-BTC", ...})

    Args:
        key_id: the API key id sent as ``X-API-Key``.
        private_key: the RSA private key (from :func:`load_private_key`).
        scheme: the open points' settings (:data:`DEFAULT_SCHEME`).

    Raises:
        ValueError: an empty key id.
    """

    __slots__ = ("_key", "_key_id", "_scheme")

    def __init__(self, key_id: str, private_key: rsa.RSAPrivateKey, scheme: SigningScheme = DEFAULT_SCHEME) -> None:
        if not key_id:
            raise ValueError("Roxom API key id is empty")
        self._key_id = key_id
        self._key = private_key
        self._scheme = scheme

    def __repr__(self) -> str:
        return f"RoxomSigner(key_id={mask_key_id(self._key_id)!r}, scheme={self._scheme!r})"

    @property
    def key_id(self) -> str:
        """The API key id (public; mask it with :func:`mask_key_id` for display)."""
        return self._key_id

    @property
    def scheme(self) -> SigningScheme:
        """The signing settings in use."""
        return self._scheme

    def sign(self, message: str) -> str:
        """Base64 of the RSA signature over SHA-256(``message``) with the configured padding."""
        digest = hashlib.sha256(message.encode("utf-8")).digest()
        signature = self._key.sign(digest, _padding(self._scheme), utils.Prehashed(hashes.SHA256()))
        return base64.b64encode(signature).decode("ascii")

    def headers(
        self, method: str, path: str, query: str = "", body: Mapping[str, Any] | None = None
    ) -> dict[str, str]:
        """The auth headers of one REST request: ``X-API-Key``, ``X-API-Signature`` and ``Content-Type``.

        Args:
            method / path / query / body: as for :func:`string_to_sign`; send exactly this body and query.
        """
        message = string_to_sign(method, path, query, body, self._scheme.body_encoding)
        return {
            "X-API-Key": self._key_id,
            "X-API-Signature": self.sign(message),
            "Content-Type": "application/json",
        }

    def ws_headers(self) -> dict[str, str]:
        """The WebSocket handshake headers: ``X-API-Key`` and ``X-API-Signature`` over ``GET:/ws``."""
        return {"X-API-Key": self._key_id, "X-API-Signature": self.sign(string_to_sign("GET", WS_HANDSHAKE_PATH))}
