"""Capped exponential back-off, with or without jitter: the one rule every retry and reconnect of the console follows.

Step ``n`` (from 0) waits ``min(cap_s, initial_s * 2**min(n, max_exponent))`` seconds; with a random source, that
step is multiplied by a jitter factor drawn uniformly from [0.5, 1), so clients that failed together do not come
back together. Every delay is in seconds (float).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

#: The exponent is clamped here so ``2**n`` stays a small float however long a venue stays away.
MAX_EXPONENT = 30


def capped_delay_s(attempt: int, initial_s: float, cap_s: float, *, max_exponent: int = MAX_EXPONENT) -> float:
    """The un-jittered pause before retry number ``attempt``: ``min(cap_s, initial_s * 2**min(attempt, max_exponent))``.

    Args:
        attempt: how many retries came before this one (0 for the first).
        initial_s: the first pause, seconds.
        cap_s: the longest pause, seconds.
        max_exponent: clamp of the exponent (the cap is reached long before in practice).

    Returns:
        The pause in seconds.
    """
    return min(cap_s, initial_s * (1 << min(attempt, max_exponent)))  # 1 << n: 2**n as an exact int


def jittered(delay_s: float, rng: random.Random) -> float:
    """``delay_s`` times a factor drawn from [0.5, 1) (one ``rng.random()`` call): "equal jitter".

    Args:
        delay_s: the step, seconds.
        rng: the random source (a seeded ``random.Random`` makes the sequence repeatable).

    Returns:
        A pause in ``[delay_s / 2, delay_s)`` seconds.
    """
    return delay_s * (0.5 + rng.random() / 2)


@dataclass
class Backoff:
    """The pauses of one retry loop: doubling from ``initial_s`` up to ``cap_s``, jittered when ``rng`` is given.

    Attributes:
        initial_s: the first pause, seconds.
        cap_s: the longest pause, seconds.
        rng: the jitter's random source; None for no jitter (the pause is exactly the step).
        max_exponent: clamp of the exponent (see :func:`capped_delay_s`).
        attempt: the number of the next step (0 after :meth:`reset`).
    """

    initial_s: float
    cap_s: float
    rng: random.Random | None = field(default=None, repr=False)
    max_exponent: int = MAX_EXPONENT
    attempt: int = 0

    def next_delay(self) -> float:
        """The next pause in seconds (jittered if this back-off has a random source); counts one attempt."""
        delay = capped_delay_s(self.attempt, self.initial_s, self.cap_s, max_exponent=self.max_exponent)
        self.attempt += 1
        return delay if self.rng is None else jittered(delay, self.rng)

    def reset(self) -> None:
        """Start again from the first step (after a success)."""
        self.attempt = 0
