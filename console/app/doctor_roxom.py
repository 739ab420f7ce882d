"""``trading-console doctor --venue roxom``: the Roxom key's checks, one PASS/FAIL line each.

In order: the private key file (found, mode 0600, an RSA key of at least 2048 bits), instruments loaded (public
``GET /api/v1/market/instruments``), the signature accepted (a signed ``GET /api/v1/accounts/balance``), and the
``orders`` stream subscribed (signed WebSocket handshake over ``GET:/ws``, then the subscription acknowledgement).
https://docs.roxom.com/reference/authentication, https://docs.roxom.com/reference/websockets/connection.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from console.domain.errors import VenueError, network_cause
from console.venues.roxom.auth import (
    DEFAULT_SCHEME,
    KeyFileError,
    RoxomSigner,
    SigningScheme,
    load_private_key,
    mask_key_id,
)
from console.venues.roxom.errors import ApiError, AuthenticationError
from console.venues.roxom.rest import RoxomRestClient
from console.venues.roxom.ws import RoxomWsClient, Subscribed, WsError

__all__ = ["TIMEOUT_S", "Check", "check_roxom"]

#: Seconds each network step may take.
TIMEOUT_S = 5.0

#: One line of the report: ``(name, ok, detail)``; ``console.app.doctor`` prints it as PASS/FAIL.
Check = tuple[str, bool, str]


def _why(exc: VenueError) -> str:
    if isinstance(exc, ApiError):
        return f"{exc.reason}: {exc.message}".rstrip(": ")
    return network_cause(exc)


def _signature_hint(exc: VenueError, scheme: SigningScheme) -> str:
    """A refused signature names the signing settings in use: the points Roxom's documentation leaves open."""
    if isinstance(exc, AuthenticationError) and "signature" in exc.reason.lower():
        return (f"{_why(exc)} (signed with roxom.signature_padding = {scheme.padding.value}, "
                f"roxom.body_encoding = {scheme.body_encoding.value}: if the key is right, check these against the "
                "venue)")
    return _why(exc)


async def check_roxom(rest_url: str, ws_url: str, key_id: str, private_key_path: Path,
                      scheme: SigningScheme = DEFAULT_SCHEME) -> list[Check]:
    """The Roxom checks for one key.

    Args:
        rest_url / ws_url: the venue (``ws_url`` ends in ``/ws``).
        key_id: the key id (``X-API-Key``); private_key_path: its PKCS#8 PEM file.
        scheme: the signing settings (``[roxom]`` in the configuration).

    Returns:
        One ``Check`` per step; the steps after a key that cannot be loaded are skipped.
    """
    try:
        signer = RoxomSigner(key_id, load_private_key(private_key_path), scheme)
    except KeyFileError as exc:
        return [("private key", False, str(exc))]
    checks: list[Check] = [("private key", True, f"{mask_key_id(key_id)}, RSA key at {private_key_path}")]
    rest = RoxomRestClient(rest_url, signer, timeout_s=TIMEOUT_S)
    try:
        try:
            instruments = await rest.instruments()
            names = ", ".join(i.symbol for i in instruments[:5])
            checks.append(("instruments", bool(instruments), f"{len(instruments)} loaded ({names})"))
        except VenueError as exc:
            checks.append(("instruments", False, _why(exc)))
        try:
            await rest.balance()
            checks.append(("signature", True, f"{rest_url}: signed request accepted"))
        except VenueError as exc:
            checks.append(("signature", False, _signature_hint(exc, scheme)))
    finally:
        await rest.close()
    checks.append(await _check_stream(RoxomWsClient(ws_url, signer)))
    return checks


async def _check_stream(client: RoxomWsClient) -> Check:
    try:
        async with asyncio.timeout(TIMEOUT_S):
            connection = await client.connect()
            try:
                await connection.subscribe("orders")
                while True:
                    message = await connection.recv()
                    if isinstance(message, Subscribed) and message.channel == "orders":
                        return ("WebSocket", message.success, f"{client.ws_url}: orders subscribed")
                    if isinstance(message, WsError):
                        return ("WebSocket", False, f"error {message.code}: {message.msg}")
            finally:
                await connection.close()
    except TimeoutError:
        return ("WebSocket", False, f"no subscription acknowledgement within {TIMEOUT_S:g} s")
    except VenueError as exc:
        return ("WebSocket", False, _why(exc))
