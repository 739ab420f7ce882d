"""Nonces (ordering, persistence, InvalidNonce recovery), the rate limiter, auth halts and clock skew."""

from __future__ import annotations

import asyncio
import logging
import os
import random
import time

import httpx
import pytest
from pydantic import SecretStr

from console.domain.model import OrderState, Side
from console.exchange.faults import FaultKind
from console.exchange.keys import DEMO_API_KEY, DEMO_API_SECRET, DEMO_AUDITOR_API_KEY, DEMO_AUDITOR_API_SECRET
from console.trading.session import ConnectionState, TradingBlocked
from console.venues.gemini.auth import HANDOFF_BOUND_S, NONCE_LEASE_MS, NonceSource, nonce_state_path
from console.venues.gemini.credentials import Credentials
from console.venues.gemini.ratelimit import BURST, RateLimiter, TokenBucket
from console.venues.gemini.rest import GeminiRestClient
from tests.support.reliability import rig, wait_until


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self):
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds


# -- nonces -----------------------------------------------------------------------------------------------------
def test_nonce_high_water_mark_survives_a_restart_even_when_the_clock_went_back(tmp_path):
    clock = Clock(1_800_000_000_000)
    first = NonceSource.persistent(DEMO_API_KEY, time_ms=clock)
    issued = [first.next() for _ in range(3)]
    path = nonce_state_path(DEMO_API_KEY)
    assert path.is_file() and DEMO_API_KEY not in str(path)
    assert str(path).startswith(os.environ["XDG_STATE_HOME"])  # the test's own state dir, never the user's
    clock.now -= 3_600_000  # the machine's clock stepped back an hour between the two runs
    second = NonceSource.persistent(DEMO_API_KEY, time_ms=clock)
    assert second.next() > max(issued)
    assert int(path.read_text()) >= max(issued)
    assert int(path.read_text()) <= max(issued) + 2 * NONCE_LEASE_MS


def test_a_crash_between_writes_cannot_reuse_a_nonce():
    clock = Clock(1_800_000_000_000)
    source = NonceSource.persistent(DEMO_API_KEY, time_ms=clock)
    last = 0
    for _ in range(100):  # within one lease: the file is not rewritten, yet it already covers these nonces
        clock.now += 10
        last = source.next()
    restarted = NonceSource.persistent(DEMO_API_KEY, time_ms=Clock(0))
    assert restarted.next() > last


class JitterTransport(httpx.AsyncBaseTransport):
    """Real loopback HTTP with seeded network jitter before each request leaves: arrival order is not send order."""

    def __init__(self, seed: int = 3) -> None:
        self._inner = httpx.AsyncHTTPTransport()
        self._rng = random.Random(seed)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(self._rng.random() * 0.01)
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()


async def test_concurrent_private_calls_never_cause_invalid_nonce(caplog):
    caplog.set_level(logging.WARNING, logger="console.venues.gemini.rest")
    async with rig(start_stream=False) as r:
        credentials = Credentials(api_key=DEMO_API_KEY, api_secret=SecretStr(DEMO_API_SECRET))
        nonce = NonceSource(lambda: 1_800_000_000_000)  # a stalled clock: every nonce comes from the counter
        fast = RateLimiter(private_per_minute=600_000, burst=100)
        async with GeminiRestClient(r.server.rest_url, credentials, nonce=nonce, limiter=fast,
                                    transport=JitterTransport()) as rest:
            results = await asyncio.gather(*(rest.active_orders() for _ in range(40)),
                                           *(rest.balances() for _ in range(20)))
        assert len(results) == 60
    assert not [rec for rec in caplog.records if "InvalidNonce" in rec.getMessage()]  # not even one recovered


async def test_invalid_nonce_is_recovered_by_signing_again_past_the_venue_mark():
    async with rig(start_stream=False) as r:
        credentials = Credentials(api_key=DEMO_API_KEY, api_secret=SecretStr(DEMO_API_SECRET))
        ahead = time.time_ns() // 1_000_000 + 30_000  # another program used the key with a clock 30 s ahead
        async with GeminiRestClient(r.server.rest_url, credentials, nonce=NonceSource(lambda: ahead)) as other:
            await other.balances()
        nonce = NonceSource()
        async with GeminiRestClient(r.server.rest_url, credentials, nonce=nonce) as rest:
            assert isinstance(await rest.balances(), list)
        assert nonce.last > ahead


async def test_a_slow_answer_holds_no_later_request_of_the_key_behind_it():
    """The ordering lock is released once the request is written (httpcore's trace), not after a fixed bound."""
    async with rig(start_stream=False, session_kwargs={"rest_timeout_s": 30.0}) as r:
        r.server.faults.arm(FaultKind.HANG, path="/v1/balances", delay_s=20.0)
        slow = asyncio.create_task(r.session.venue.rest.balances())
        await wait_until(lambda: any(p == "/v1/balances" for p, _ in r.server.faults.arrivals), what="arrival")
        start = time.monotonic()
        await r.session.venue.rest.active_orders()
        assert time.monotonic() - start < HANDOFF_BOUND_S / 2
        r.server.faults.clear()
        # Held, it reached the venue after the later nonce: refused unexecuted, signed again, answered.
        assert isinstance(await asyncio.wait_for(slow, 5), list)


# -- rate limits ------------------------------------------------------------------------------------------------
async def test_limiter_spreads_a_burst_at_the_documented_private_rate():
    clock = Clock(0.0)
    limiter = RateLimiter(clock_s=clock, sleep=clock.sleep)
    waits = [await limiter.private.acquire() for _ in range(20)]
    assert waits[:BURST] == [0.0] * BURST
    assert clock.now == pytest.approx((20 - BURST) / 10.0)  # 600/min = 10/s after the burst of 5


async def test_limiter_public_rate_and_429_backoff_doubles_capped_then_resets():
    clock = Clock(0.0)
    bucket = TokenBucket(120 / 60.0, BURST, clock, clock.sleep)
    for _ in range(BURST + 2):
        await bucket.acquire()
    assert clock.now == pytest.approx(2 / 2.0)  # 120/min = 2/s
    pauses = [bucket.rate_limited() for _ in range(7)]
    assert pauses == [1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0]
    before = clock.now
    await bucket.acquire()
    assert clock.now - before >= 30.0  # nothing is sent during the pause
    bucket.succeeded()
    assert bucket.rate_limited() == 1.0


async def test_a_429_storm_is_never_retried_and_is_reported():
    async with rig() as r:
        r.server.faults.arm(FaultKind.HTTP_429, path="/v1/orders", count=None)
        with pytest.raises(Exception) as caught:
            await r.session.reconcile()
        assert getattr(caught.value, "reason", None) == "RateLimit"
        assert r.server.faults.fired["http-429"] == 1
        assert [s.code for s in r.statuses].count("RateLimit") == 1


# -- auth halts -------------------------------------------------------------------------------------------------
async def test_invalid_signature_halts_with_a_clear_message_and_no_retry_loop():
    async with rig(start_stream=False, session_kwargs={"secret": "not-the-right-secret"}) as r:
        attempts = 0
        connect = r.session.venue.order_events.connect

        def counting_connect():
            nonlocal attempts
            attempts += 1
            return connect()

        r.session.venue.order_events.connect = counting_connect
        await asyncio.wait_for(r.session.run_order_events(), 5.0)  # returns: no retry loop
        assert r.session.connection is ConnectionState.HALTED and r.session.halt_reason == "InvalidSignature"
        assert attempts == 1
        assert any("Trading halted" in s.text for s in r.statuses)
        with pytest.raises(TradingBlocked):
            await r.place(Side.BUY, "50000.00")


async def test_missing_role_halts_trading():
    kwargs = {"key": DEMO_AUDITOR_API_KEY, "secret": DEMO_AUDITOR_API_SECRET}
    async with rig(session_kwargs=kwargs) as r:
        answer = await r.place(Side.BUY, "50000.00")
        assert answer.state is OrderState.REJECTED and answer.reason == "MissingRole"
        assert r.session.connection is ConnectionState.HALTED
        assert r.session.order_entry_block() is not None and "MissingRole" in r.session.order_entry_block()
        assert any("lacks a role" in s.text for s in r.statuses)


# -- clock skew -------------------------------------------------------------------------------------------------
async def test_exchange_clock_skew_does_not_break_ordering_or_state():
    async with rig() as r:
        r.server.faults.arm(FaultKind.CLOCK_SKEW, skew_ms=-3_600_000)
        order = await r.place(Side.BUY, "50000.00")
        venue = r.exchange_order(order.order_id)
        assert venue["timestampms"] < time.time_ns() // 1_000_000 - 3_000_000
        await r.settled()
        r.server.faults.arm(FaultKind.SEQ_SKIP)
        await wait_until(lambda: r.session.reconcile_count >= 2 and r.session.connection is ConnectionState.LIVE)
        await r.settled()


def test_rest_client_timeout_is_explicit():
    assert isinstance(GeminiRestClient("http://127.0.0.1:1")._http.timeout, httpx.Timeout)


async def test_a_cancel_takes_its_token_at_once_yet_is_counted():
    clock = Clock(0.0)
    limiter = RateLimiter(clock_s=clock, sleep=clock.sleep)
    for _ in range(BURST):
        await limiter.private.acquire()
    limiter.private.take_priority()  # the bucket is empty: a cancel still goes at once
    assert clock.now == 0.0
    await limiter.private.acquire()  # the next ordinary request waits for its own token and the cancel's
    assert clock.now == pytest.approx(2 / 10.0)
    limiter.private.rate_limited()  # a 429: ordinary requests pause 1 s ...
    limiter.private.take_priority()  # ... a cancel does not
    assert clock.now == pytest.approx(2 / 10.0)
    assert limiter.private.paused_for_s() == pytest.approx(1.0)
