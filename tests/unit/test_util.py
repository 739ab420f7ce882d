"""console.util: the one back-off every retry follows, the clocks, and the venue-neutral redaction helpers."""

from __future__ import annotations

import random
import time

from console.util.backoff import Backoff, capped_delay_s, jittered
from console.util.clock import monotonic_ms, wall_clock_ms
from console.util.redact import SECRET_KEYS, mask_key, redact


def test_jittered_backoff_is_the_old_doubling_loop_draw_for_draw():
    """The session's cancel retries and UNKNOWN-order status calls used ``delay * (0.5 + rng.random() / 2)`` then
    ``delay = min(cap, delay * 2)``; the same seed gives the same pauses through :class:`Backoff`."""
    old_rng, new_rng = random.Random(11), random.Random(11)
    delay, old = 0.5, []
    for _ in range(12):
        old.append(delay * (0.5 + old_rng.random() / 2))
        delay = min(5.0, delay * 2)
    backoff = Backoff(0.5, 5.0, rng=new_rng)
    assert [backoff.next_delay() for _ in range(12)] == old


def test_backoff_without_jitter_doubles_to_the_cap_and_starts_again_after_reset():
    """The rate limiter's 429 pause and the app's automatic retry: 1, 2, 4 … capped, exactly."""
    backoff = Backoff(1.0, 30.0)
    assert [backoff.next_delay() for _ in range(7)] == [1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0]
    backoff.reset()
    assert backoff.next_delay() == 1.0


def test_capped_delay_clamps_the_exponent_and_jitter_stays_in_half_to_whole():
    assert capped_delay_s(0, 0.2, 10.0) == 0.2
    assert capped_delay_s(3, 0.2, 10.0) == 0.2 * 8
    assert capped_delay_s(10_000, 0.2, 1e300, max_exponent=16) == 0.2 * 2**16  # no overflow however many failures
    rng = random.Random(3)
    assert all(2.0 <= jittered(4.0, rng) < 4.0 for _ in range(1000))


def test_clocks_are_integer_milliseconds():
    before = time.time_ns() // 1_000_000
    now = wall_clock_ms()
    assert isinstance(now, int) and before <= now <= time.time_ns() // 1_000_000
    first = monotonic_ms()
    assert isinstance(first, int) and monotonic_ms() >= first


def test_redaction_helpers_are_the_ones_the_venue_re_exports():
    from console.venues.gemini import credentials, tap

    assert credentials.mask_key is mask_key and tap.redact is redact and tap.SECRET_KEYS is SECRET_KEYS
    assert mask_key("account-abcdefgh12345678") == "account-…5678"
    assert redact({"a": 1, "Signature": "x", "n": [{"secret": 1, "b": 2}]}) == {"a": 1, "n": [{"b": 2}]}
