"""`trading-console doctor --venue roxom`: a Roxom key's checks against the local Roxom venue (real sockets)."""

from __future__ import annotations

import io
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from console.app import doctor
from console.app.doctor_roxom import check_roxom
from console.exchange.roxom.app import RoxomServer


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[RoxomServer]:
    venue = RoxomServer(port=0, simulator=False, state_dir=tmp_path / "state")
    await venue.start()
    try:
        yield venue
    finally:
        await venue.stop()


async def test_a_good_key_passes_every_check(server: RoxomServer) -> None:
    checks = await check_roxom(server.rest_url, server.ws_url, server.api_key, Path(server.private_key_path))
    assert [(name, ok) for name, ok, _ in checks] == [
        ("private key", True), ("instruments", True), ("signature", True), ("WebSocket", True)]
    assert "GOLD-BTC" in checks[1][2] and "orders subscribed" in checks[3][2]


async def test_a_wrong_key_fails_the_signature_and_the_stream(server: RoxomServer, tmp_path: Path) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path = tmp_path / "other.pem"
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    os.chmod(path, 0o600)
    checks = {name: (ok, detail) for name, ok, detail in
              await check_roxom(server.rest_url, server.ws_url, server.api_key, path)}
    assert checks["instruments"][0] is True  # public
    ok, detail = checks["signature"]
    assert not ok and detail.startswith("Invalid Signature: the signature does not match the request")
    assert "if the key is right" in detail  # the hint names the signing settings without blaming them
    assert checks["WebSocket"][0] is False and "Invalid Signature" in checks["WebSocket"][1]


async def test_an_unsafe_key_file_is_refused_before_anything_is_sent(server: RoxomServer, tmp_path: Path) -> None:
    path = tmp_path / "open.pem"
    path.write_bytes(Path(server.private_key_path).read_bytes())
    os.chmod(path, 0o644)
    (check,) = await check_roxom(server.rest_url, server.ws_url, server.api_key, path)
    assert check[0] == "private key" and check[1] is False and "chmod 600" in check[2]


def test_doctor_with_no_url_checks_the_embedded_roxom_venue(monkeypatch: pytest.MonkeyPatch) -> None:
    out = io.StringIO()
    monkeypatch.setattr("sys.stdout", out)
    assert doctor.main(["--venue", "roxom"], environ={}) == 0
    text = out.getvalue()
    assert "PASS  signature" in text and "PASS  WebSocket" in text and "all checks passed" in text
