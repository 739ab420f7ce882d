"""The console's clocks in integer milliseconds: wall time (epoch) for records and display, monotonic for durations.

Every "now" of the console and of the local exchange comes from here, so a test can hand any component a fixed clock
of the same shape (a ``Callable[[], int]`` returning ms).
"""

from __future__ import annotations

import time
from collections.abc import Callable

#: A clock: a function returning milliseconds (since the epoch for a wall clock, from an arbitrary point for a
#: monotonic one).
ClockMs = Callable[[], int]


def wall_clock_ms() -> int:
    """Milliseconds since the Unix epoch (UTC), from the system's wall clock; it may step backwards.

    Returns:
        e.g. ``1795444200000`` for 2026-11-22 14:30:00 UTC.
    """
    return time.time_ns() // 1_000_000


def monotonic_ms() -> int:
    """Milliseconds from an arbitrary fixed point that never goes backwards: for durations and latencies only.

    Returns:
        ``time.monotonic_ns()`` in whole milliseconds; meaningless as a date.
    """
    return time.monotonic_ns() // 1_000_000
