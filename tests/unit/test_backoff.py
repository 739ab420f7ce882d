"""Reconnect back-off: capped exponential with jitter, seeded; reset after a successful reconcile."""

import random

from console.util.backoff import Backoff


def test_backoff_doubles_with_jitter_up_to_the_cap_and_resets():
    backoff = Backoff(initial_s=0.25, cap_s=10.0, rng=random.Random(5))
    delays = [backoff.next_delay() for _ in range(12)]
    for attempt, delay in enumerate(delays):
        base = min(10.0, 0.25 * 2**attempt)
        assert base * 0.5 <= delay < base  # jitter in [0.5, 1) of the step
    assert max(delays) < 10.0 and delays[-1] >= 5.0  # capped, and it stays at the cap
    assert len(set(delays)) == len(delays)  # jittered: no two reconnects line up
    backoff.reset()
    assert backoff.next_delay() < 0.25
