"""`trading-console exchange` with a key of its own: only it is accepted, the banner masks keys, exposure warns."""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import subprocess
import sys

import pytest
from pydantic import SecretStr

from console.exchange.cli import _exposure_warning, _is_loopback
from console.exchange.keys import (
    DEMO_API_KEY,
    DEMO_API_SECRET,
    DEMO_AUDITOR_API_KEY,
    DEMO_AUDITOR_API_SECRET,
    DEMO_MASTER_API_KEY,
    KeyStore,
    demo_keys,
)
from console.venues.gemini.credentials import Credentials, mask_key
from console.venues.gemini.errors import AuthenticationError
from console.venues.gemini.rest import GeminiRestClient

WAIT_S = 30.0


class _Cli:
    """``python -m console.exchange ... --ready-json --exit-with-stdin`` in a child process."""

    def __init__(self, *args: str) -> None:
        env = {k: v for k, v in os.environ.items() if k not in ("GEMINI_API_KEY", "GEMINI_API_SECRET")}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "console.exchange", "--port", "0", "--no-simulator", "--ready-json",
             "--exit-with-stdin", *args],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
        )

    def ready(self) -> dict:
        assert self.proc.stdout is not None
        return json.loads(self.proc.stdout.readline())

    def stop(self) -> tuple[int, str]:
        """Close stdin (the child exits), return its exit status and everything it wrote besides the ready line."""
        assert self.proc.stdin is not None and self.proc.stdout is not None and self.proc.stderr is not None
        try:
            self.proc.stdin.close()
            code = self.proc.wait(timeout=WAIT_S)
            return code, self.proc.stderr.read().decode() + self.proc.stdout.read().decode()
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()


def _rest(url: str, key: str, secret: str) -> GeminiRestClient:
    return GeminiRestClient(url, Credentials(api_key=key, api_secret=SecretStr(secret)))


async def _can_read_balances(url: str, key: str, secret: str) -> bool:
    async with _rest(url, key, secret) as rest:
        try:
            await rest.balances()
        except AuthenticationError as exc:
            assert exc.reason == "InvalidSignature"  # how the local exchange answers an unknown key
            return False
        return True


async def test_own_key_replaces_the_demo_keys_and_exposure_warns() -> None:
    key = "account-" + secrets.token_hex(10)
    secret = secrets.token_hex(16)
    cli = _Cli("--host", "0.0.0.0", "--api-key", key, "--api-secret", secret)
    try:
        ready = await asyncio.to_thread(cli.ready)
        url = ready["rest_url"].replace("0.0.0.0", "127.0.0.1")
        assert await _can_read_balances(url, key, secret)
        # The demo keys' secrets are in the source: with a key of one's own they must not open the account.
        assert not await _can_read_balances(url, DEMO_API_KEY, DEMO_API_SECRET)
        assert not await _can_read_balances(url, DEMO_AUDITOR_API_KEY, DEMO_AUDITOR_API_SECRET)
    finally:
        code, output = await asyncio.to_thread(cli.stop)
    assert code == 0
    assert "warning: listening on 0.0.0.0, not loopback" in output
    assert f"    {mask_key(key)}" in output  # the one accepted key, masked
    assert key not in output and secret not in output
    assert mask_key(DEMO_API_KEY) not in output and DEMO_API_SECRET not in output


async def test_demo_keys_only_when_asked_for() -> None:
    key = "account-" + secrets.token_hex(10)
    secret = secrets.token_hex(16)
    cli = _Cli("--api-key", key, "--api-secret", secret, "--demo-keys")
    try:
        url = (await asyncio.to_thread(cli.ready))["rest_url"]
        assert await _can_read_balances(url, key, secret)
        assert await _can_read_balances(url, DEMO_API_KEY, DEMO_API_SECRET)
    finally:
        code, output = await asyncio.to_thread(cli.stop)
    assert code == 0
    assert "warning" not in output  # loopback
    for accepted in (key, DEMO_API_KEY, DEMO_AUDITOR_API_KEY, DEMO_MASTER_API_KEY):
        assert f"    {mask_key(accepted)}" in output
    assert key not in output and secret not in output


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("127.0.0.1", True), ("127.0.0.2", True), ("localhost", True), ("::1", True), ("[::1]", True),
     ("0.0.0.0", False), ("::", False), ("192.168.1.10", False), ("example.org", False)],
)
def test_loopback_hosts(host: str, loopback: bool) -> None:
    assert _is_loopback(host) is loopback
    assert (_exposure_warning(host, KeyStore()) is None) is loopback


def test_exposure_warning_names_the_public_demo_keys() -> None:
    warning = _exposure_warning("0.0.0.0", KeyStore(demo_keys(1)))
    assert warning is not None and "anyone on the network can trade" in warning
    assert mask_key(DEMO_API_KEY) in warning and DEMO_API_KEY not in warning
    assert "anyone" not in (_exposure_warning("0.0.0.0", KeyStore()) or "")
