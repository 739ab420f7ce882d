"""Fixtures for integration tests: a local exchange on a free loopback port and signed-request helpers."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import AsyncIterator, Iterator, Mapping
from typing import Any

import httpx
import pytest

from console.exchange.keys import (
    DEMO_API_KEY,
    DEMO_API_SECRET,
    DEMO_AUDITOR_API_KEY,
    DEMO_AUDITOR_API_SECRET,
)
from console.exchange.server.app import ExchangeServer
from console.venues.gemini.auth import sign

# A second account that provides the other side of trades in tests (the simulator is off).
MAKER_API_KEY = "account-TestMakerKey00000001"
MAKER_API_SECRET = "TestMakerSecretLocalOnly0001"
MAKER_BALANCES = {"USD": "10000000", "BTC": "1000", "ETH": "10000", "SOL": "100000", "LTC": "10000", "DOGE": "1e8"}

# Bounded waits only: every receive in these tests is wrapped in asyncio.wait_for with this timeout (seconds).
WAIT_S = 5.0

_last_nonce = 0


def next_nonce() -> int:
    """Return a nonce larger than any returned before: Unix time in ns, bumped if the clock did not move.

    Derived from the clock (not a counter) so that test modules importing this file as ``tests.integration.conftest``
    (a second copy of the module next to pytest's own) still hand out increasing nonces for a shared key.
    """
    global _last_nonce
    _last_nonce = max(time.time_ns(), _last_nonce + 1)
    return _last_nonce


def encode(payload: Mapping[str, Any]) -> str:
    """Base64 of the compact JSON of ``payload`` (the X-GEMINI-PAYLOAD value)."""
    return base64.b64encode(json.dumps(dict(payload), separators=(",", ":")).encode()).decode()


def signed_headers(key: str, secret: str, payload_b64: str) -> dict[str, str]:
    """The private-API headers for an already-encoded payload."""
    return {
        "Content-Type": "text/plain",
        "Content-Length": "0",
        "Cache-Control": "no-cache",
        "X-GEMINI-APIKEY": key,
        "X-GEMINI-PAYLOAD": payload_b64,
        "X-GEMINI-SIGNATURE": sign(payload_b64, secret),
    }


class Signer:
    """Signs private requests for one key; each ``payload()`` gets a fresh increasing nonce unless one is given."""

    def __init__(self, key: str, secret: str) -> None:
        self.key = key
        self.secret = secret

    def payload(self, request: str, **fields: Any) -> dict[str, Any]:
        body: dict[str, Any] = {"request": request, "nonce": next_nonce()}
        body.update(fields)
        return body

    def headers(self, request: str, **fields: Any) -> dict[str, str]:
        return signed_headers(self.key, self.secret, encode(self.payload(request, **fields)))

    def headers_for(self, payload: Mapping[str, Any]) -> dict[str, str]:
        return signed_headers(self.key, self.secret, encode(payload))


class PrivateClient:
    """Posts signed private requests to the exchange under test."""

    def __init__(self, http: httpx.AsyncClient, signer: Signer) -> None:
        self.http = http
        self.signer = signer

    async def post(self, path: str, **fields: Any) -> httpx.Response:
        return await self.http.post(path, headers=self.signer.headers(path, **fields))

    async def ok(self, path: str, **fields: Any) -> Any:
        """POST and return the JSON body, asserting HTTP 200."""
        response = await self.post(path, **fields)
        assert response.status_code == 200, response.text
        return response.json()


@pytest.fixture
def clock() -> Iterator[list[int]]:
    """A settable server clock: ``clock[0]`` is "now" in Unix ms (starts at the real time)."""
    yield [time.time_ns() // 1_000_000]


@pytest.fixture
async def exchange(clock: list[int]) -> AsyncIterator[ExchangeServer]:
    """A started local exchange: simulator off, no opening trades, seed 7, heartbeats every 0.2 s, the ``clock``.

    Besides the demo account it has a "maker" account (key :data:`MAKER_API_KEY`) to trade against.
    """
    # No opening trades: these tests trade far from the seeded mids, and an opening trade would be the reference of
    # the price band (engine CHOICES 9, 24). tests/integration/test_opening_trade.py covers them.
    server = ExchangeServer(port=0, simulator=False, seed=7, heartbeat_interval_s=0.2, clock_ms=lambda: clock[0],
                            opening_trades=False)
    maker_id = server.engine.add_account("maker", MAKER_BALANCES)
    server.add_api_key(MAKER_API_KEY, MAKER_API_SECRET, account_id=maker_id)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
async def http(exchange: ExchangeServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=exchange.rest_url, timeout=WAIT_S) as client:
        yield client


@pytest.fixture
def trader_signer() -> Signer:
    return Signer(DEMO_API_KEY, DEMO_API_SECRET)


@pytest.fixture
def trader(http: httpx.AsyncClient, trader_signer: Signer) -> PrivateClient:
    """The demo Trader key."""
    return PrivateClient(http, trader_signer)


@pytest.fixture
def auditor(http: httpx.AsyncClient) -> PrivateClient:
    """The demo Auditor key (read-only) on the same account."""
    return PrivateClient(http, Signer(DEMO_AUDITOR_API_KEY, DEMO_AUDITOR_API_SECRET))


@pytest.fixture
def maker(http: httpx.AsyncClient) -> PrivateClient:
    """A Trader key on the separate "maker" account."""
    return PrivateClient(http, Signer(MAKER_API_KEY, MAKER_API_SECRET))
