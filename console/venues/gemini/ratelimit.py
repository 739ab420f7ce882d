"""Client-side rate limiter at Gemini's documented rates, with a back-off after the venue answers HTTP 429.

Gemini (https://docs.gemini.com/rest/rate-limits): public endpoints 120 requests/minute, private
endpoints 600 requests/minute; above the rate a burst of 5 extra requests is queued, further ones get HTTP 429.
The limiter is a token bucket per class (refill at the documented rate, capacity = the burst of 5), so the console
never exceeds the rate by itself: callers wait for a token instead of being refused. A 429 anyway (another
program on the same key, a stricter venue) pauses that class for a capped, doubling back-off; the request that got
the 429 is not retried by the limiter (a new order that got a 429 is settled by its client order id, never re-sent).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from console.util.backoff import Backoff

#: Gemini's documented rates (requests per minute) and the burst the venue queues above them.
PRIVATE_PER_MINUTE = 600
PUBLIC_PER_MINUTE = 120
BURST = 5

#: Back-off after a 429: first pause and cap (seconds); each further 429 doubles the pause.
BACKOFF_INITIAL_S = 1.0
BACKOFF_CAP_S = 30.0

_EPSILON = 1e-9


@dataclass
class TokenBucket:
    """A token bucket: ``rate_per_s`` tokens per second, at most ``capacity``; ``acquire`` waits for one.

    Args:
        rate_per_s: refill rate (tokens per second), e.g. ``10.0`` for 600/min.
        capacity: largest burst (tokens), e.g. ``5``.
        clock_s: monotonic clock in seconds (injectable for tests).
        sleep: awaitable sleep in seconds (injectable for tests).
    """

    rate_per_s: float
    capacity: float = BURST
    clock_s: Callable[[], float] = time.monotonic
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    tokens: float = field(init=False)
    updated_s: float = field(init=False)
    paused_until_s: float = field(init=False, default=0.0)
    backoff_s: float = field(init=False, default=0.0)
    rate_limited_count: int = field(init=False, default=0)

    def __post_init__(self) -> None:
        self.tokens = self.capacity
        self._backoff = Backoff(BACKOFF_INITIAL_S, BACKOFF_CAP_S)  # no jitter: the pause is exactly the step
        self.updated_s = self.clock_s()
        self._lock = asyncio.Lock()

    def _refill(self, now_s: float) -> None:
        self.tokens = min(self.capacity, self.tokens + (now_s - self.updated_s) * self.rate_per_s)
        self.updated_s = now_s

    async def acquire(self) -> float:
        """Wait until a request may be sent; return how long it waited (seconds).

        Callers are served first come, first served (the lock), so a burst is spread at the rate in order.
        """
        waited = 0.0
        async with self._lock:
            while True:
                now = self.clock_s()
                if now < self.paused_until_s:
                    delay = self.paused_until_s - now
                else:
                    self._refill(now)
                    if self.tokens >= 1 - _EPSILON:  # float refills land a hair under 1
                        self.tokens = max(0.0, self.tokens - 1)
                        return waited
                    delay = max((1 - self.tokens) / self.rate_per_s, _EPSILON)
                waited += delay
                await self.sleep(delay)

    def take_priority(self) -> None:
        """Take a token for a cancel at once: never waits, not even through a 429 pause.

        A cancel takes risk off the book, so it is never queued behind the requests waiting for a token (nor behind
        the pause after a 429): the venue queues a burst above the rate, and at worst it answers 429, which leaves
        the cancel unconfirmed and retried. The token is still counted (the balance may go negative), so the
        requests that do wait are held back by as much and the console's average rate stays the documented one.
        """
        now = self.clock_s()
        self._refill(now)
        self.tokens = max(-self.capacity, self.tokens - 1)

    def rate_limited(self) -> float:
        """The venue answered 429: pause this class; return the pause in seconds (1, 2, 4 … capped at 30)."""
        self.rate_limited_count += 1
        self.backoff_s = self._backoff.next_delay()
        now = self.clock_s()
        self.paused_until_s = max(self.paused_until_s, now + self.backoff_s)
        self.tokens = 0.0
        self.updated_s = now
        return self.backoff_s

    def succeeded(self) -> None:
        """The venue answered without a 429: the next 429 starts the back-off from its first step again."""
        self._backoff.reset()
        self.backoff_s = 0.0

    def paused_for_s(self) -> float:
        """Seconds left in the current 429 pause (0 when not paused)."""
        return max(0.0, self.paused_until_s - self.clock_s())


@dataclass
class RateLimiter:
    """The private and public buckets of one REST client.

    Args:
        private_per_minute / public_per_minute: the rates (Gemini's documented values by default).
        burst: bucket capacity.
        clock_s / sleep: injectable monotonic clock (seconds) and sleep, for tests.
    """

    private_per_minute: float = PRIVATE_PER_MINUTE
    public_per_minute: float = PUBLIC_PER_MINUTE
    burst: float = BURST
    clock_s: Callable[[], float] = time.monotonic
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep

    def __post_init__(self) -> None:
        self.private = TokenBucket(self.private_per_minute / 60.0, self.burst, self.clock_s, self.sleep)
        self.public = TokenBucket(self.public_per_minute / 60.0, self.burst, self.clock_s, self.sleep)

    def bucket(self, private: bool) -> TokenBucket:
        """The bucket for a private or a public call."""
        return self.private if private else self.public
