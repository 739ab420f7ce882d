"""Roxom's signing choices as settings (``[roxom]`` in console/app/config.py), end to end over loopback sockets.

The local Roxom venue verifies with the choice it was started with (``--signature-padding``, ``--body-encoding``).
Requests signed by openssl with each choice (tests/fixtures/roxom/signing_vectors*.json) pass a venue set the same
way and fail, as a clear 401 Invalid Signature naming the venue's choice, on a venue set the other way; the console's
signer follows the settings; ``doctor`` names the settings when the signature is refused.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from console.app.config import DeskConfig, RoxomConfig, load_config
from console.app.doctor_roxom import check_roxom
from console.app.settings import Environment, RoxomKey, Settings, Venue
from console.app.wiring import roxom_parts
from console.domain.model import OrderType, Side
from console.domain.ticket import NewOrder
from console.exchange.roxom import cli as roxom_cli
from console.exchange.roxom.app import RoxomServer
from console.venues.roxom import errors
from console.venues.roxom.auth import BodyEncoding, Padding, RoxomSigner, SigningScheme, load_private_key
from console.venues.roxom.rest import RoxomRestClient

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "roxom"
KEY_ID_IN_VECTORS = "xrxk_key_3437401edb0560e2de84efe7d34327c4"


def _vectors() -> list[dict[str, Any]]:
    base: list[dict[str, Any]] = json.loads((FIXTURES / "signing_vectors.json").read_text())["vectors"]
    alternatives: list[dict[str, Any]] = json.loads((FIXTURES / "signing_vectors_alternatives.json").read_text())[
        "vectors"]
    return [{"padding": "pkcs1v15", "body_encoding": "key=value", **v} for v in base] + alternatives


@pytest.fixture(scope="module")
def state_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("roxom-signing-state")


async def _server(state_dir: Path, scheme: SigningScheme) -> RoxomServer:
    server = RoxomServer(port=0, simulator=False, state_dir=state_dir, padding=scheme.padding,
                         body_encoding=scheme.body_encoding)
    await server.start()
    return server


@pytest.fixture
async def servers(state_dir: Path) -> AsyncIterator[dict[SigningScheme, RoxomServer]]:
    """One venue per combination of the two settings, each knowing the fixture key under the vectors' key id."""
    public = load_private_key((FIXTURES / "test_private_key.pem").read_bytes()).public_key()
    made: dict[SigningScheme, RoxomServer] = {}
    try:
        for padding in Padding:
            for encoding in BodyEncoding:
                server = await _server(state_dir, SigningScheme(padding, encoding))
                entry = server.add_key(public, "fixture", Decimal(10))
                server.keys.add(public, entry.account_id, KEY_ID_IN_VECTORS)  # the vectors name the documented id
                made[SigningScheme(padding, encoding)] = server
        yield made
    finally:
        for server in made.values():
            await server.stop()


async def _send(server: RoxomServer, vector: dict[str, Any]) -> httpx.Response:
    headers = {"X-API-Key": KEY_ID_IN_VECTORS, "X-API-Signature": vector["signature"],
               "Content-Type": "application/json"}
    url = vector["path"] + (f"?{vector['query']}" if vector["query"] else "")
    async with httpx.AsyncClient(base_url=server.rest_url, timeout=5.0) as http:
        body = json.dumps(vector["body"]) if vector["body"] is not None else None
        return await http.request(vector["method"], url, headers=headers, content=body)


def _accepts(scheme: SigningScheme, vector: dict[str, Any]) -> bool:
    """Whether a venue set to ``scheme`` must accept the vector: the same padding, and the same encoding unless the
    request has no body (then both encodings sign the same text)."""
    if scheme.padding.value != vector["padding"]:
        return False
    return not vector["body"] or scheme.body_encoding.value == vector["body_encoding"]


@pytest.mark.parametrize("vector", [v for v in _vectors() if v["path"] != "/ws"],
                         ids=lambda v: f"{v['padding']}-{v['body_encoding']}-{v['method']}-{v['path'][-12:]}")
async def test_the_venue_verifies_with_its_setting(servers: dict[SigningScheme, RoxomServer],
                                                    vector: dict[str, Any]) -> None:
    for scheme, server in servers.items():
        response = await _send(server, vector)
        if _accepts(scheme, vector):
            assert response.status_code != 401, (scheme, response.text)  # auth passed (the order itself may be 400)
        else:
            assert response.status_code == 401, (scheme, response.text)
            error = response.json()["error"]
            assert error["message"] == "Invalid Signature"
            assert f"padding {scheme.padding.value}" in error["details"]
            assert f"body encoding {scheme.body_encoding.value}" in error["details"]


@pytest.mark.parametrize("padding", list(Padding))
async def test_the_ws_handshake_verifies_with_the_padding_setting(servers: dict[SigningScheme, RoxomServer],
                                                                   padding: Padding) -> None:
    golden = next(v for v in _vectors() if v["path"] == "/ws" and v["padding"] == padding.value)
    headers = {"X-API-Key": KEY_ID_IN_VECTORS, "X-API-Signature": golden["signature"]}
    for scheme, server in servers.items():
        if scheme.padding is padding:
            async with connect(server.ws_url, additional_headers=headers):
                pass
        else:
            with pytest.raises(InvalidStatus) as refused:
                async with connect(server.ws_url, additional_headers=headers):
                    pass
            assert refused.value.response.status_code == 401


async def test_a_mismatched_padding_is_a_clear_authentication_error(state_dir: Path) -> None:
    server = await _server(state_dir, SigningScheme(Padding.PSS))
    rest = RoxomRestClient(server.rest_url, RoxomSigner(server.api_key, load_private_key(server.private_key_path)))
    try:
        with pytest.raises(errors.AuthenticationError) as refused:
            await rest.balance()
        assert refused.value.reason == "Invalid Signature"
        assert "padding pss" in refused.value.message and refused.value.halts_trading
    finally:
        await rest.close()
        await server.stop()


async def test_the_console_signs_with_its_settings(state_dir: Path) -> None:
    """The app factory's signer follows ``[roxom]``: a PSS + values venue takes the console's orders when the desk
    says so, and refuses them (401) with the defaults."""
    scheme = SigningScheme(Padding.PSS, BodyEncoding.VALUES)
    server = await _server(state_dir, scheme)
    desk = DeskConfig(roxom=RoxomConfig(signature_padding="pss", body_encoding="values"))
    order = NewOrder("gold-btc", Side.BUY, OrderType.LIMIT, Decimal("0.025000"), Decimal("1.00"), "sig-1")
    try:
        for config, works in ((desk, True), (DeskConfig(), False)):
            settings = Settings(environment=Environment.LOCAL, rest_url=server.rest_url, ws_url=server.ws_url,
                                credentials=None, symbols=("gold-btc",), desk=config, venue=Venue.ROXOM,
                                roxom_key=RoxomKey(server.api_key, server.private_key_path))
            parts = roxom_parts(settings)
            try:
                if works:
                    placed = await parts.venue.place(order)
                    assert placed.client_order_id == "sig-1"
                else:
                    with pytest.raises(errors.AuthenticationError, match="Invalid Signature"):
                        await parts.venue.place(NewOrder("gold-btc", Side.BUY, OrderType.LIMIT, Decimal("0.025000"),
                                                         Decimal("1.00"), "sig-2"))
            finally:
                await parts.venue.close()
    finally:
        await server.stop()


async def test_doctor_names_the_signing_settings_when_the_signature_is_refused(state_dir: Path) -> None:
    server = await _server(state_dir, SigningScheme(Padding.PSS))
    try:
        refused = dict((name, (ok, detail)) for name, ok, detail in
                       await check_roxom(server.rest_url, server.ws_url, server.api_key, server.private_key_path))
        ok, detail = refused["signature"]
        assert not ok
        assert "Invalid Signature" in detail and "roxom.signature_padding = pkcs1v15" in detail
        assert "roxom.body_encoding = key=value" in detail
        accepted = await check_roxom(server.rest_url, server.ws_url, server.api_key, server.private_key_path,
                                     SigningScheme(Padding.PSS))
        assert all(ok for _, ok, _ in accepted), accepted
    finally:
        await server.stop()


def test_the_settings_and_the_venue_flags_agree() -> None:
    config = load_config({"roxom.signature_padding": "PSS", "roxom.body_encoding": "values"}, 
                         environ={"XDG_CONFIG_HOME": "/nonexistent"})
    assert config.roxom.signing_scheme() == SigningScheme(Padding.PSS, BodyEncoding.VALUES)
    args = roxom_cli.build_parser().parse_args(list(config.roxom.venue_args()))
    assert (args.signature_padding, args.body_encoding) == ("pss", "values")
    defaults = roxom_cli.build_parser().parse_args([])
    assert (defaults.signature_padding, defaults.body_encoding) == ("pkcs1v15", "key=value")
    assert DeskConfig().roxom.signing_scheme() == SigningScheme()
