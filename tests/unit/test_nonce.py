"""NonceSource: strictly increasing millisecond nonces, from many tasks and threads, whatever the clock does."""

from __future__ import annotations

import asyncio
import threading

from hypothesis import given
from hypothesis import strategies as st

from console.venues.gemini.auth import NonceSource

TOTAL = 10_000


class FixedClock:
    """A clock the test moves by hand (ms)."""

    def __init__(self, now_ms: int) -> None:
        self.now_ms = now_ms

    def __call__(self) -> int:
        return self.now_ms


def test_uses_clock_when_it_is_ahead() -> None:
    clock = FixedClock(1_700_000_000_000)
    nonces = NonceSource(clock)
    assert nonces.next() == 1_700_000_000_000
    clock.now_ms += 500
    assert nonces.next() == 1_700_000_000_500
    assert nonces.last == 1_700_000_000_500


def test_stalled_clock_still_increases() -> None:
    nonces = NonceSource(FixedClock(1000))
    assert [nonces.next() for _ in range(5)] == [1000, 1001, 1002, 1003, 1004]


def test_clock_going_backwards_still_increases() -> None:
    clock = FixedClock(1_700_000_000_000)
    nonces = NonceSource(clock)
    first = nonces.next()
    clock.now_ms -= 60_000  # NTP step back by a minute
    second = nonces.next()
    third = nonces.next()
    assert first < second < third
    assert second == first + 1


def test_default_clock_is_milliseconds() -> None:
    import time

    before = time.time_ns() // 1_000_000
    nonce = NonceSource().next()
    after = time.time_ns() // 1_000_000
    assert before <= nonce <= after + 1


def test_advance_to_raises_floor_but_never_lowers_it() -> None:
    nonces = NonceSource(FixedClock(1000))
    nonces.advance_to(5000)
    assert nonces.next() == 5001
    nonces.advance_to(10)
    assert nonces.next() == 5002
    assert NonceSource(FixedClock(1000), start=9000).next() == 9001


@given(st.lists(st.integers(min_value=0, max_value=2**53), min_size=1, max_size=200))
def test_any_clock_sequence_gives_strictly_increasing_nonces(readings: list[int]) -> None:
    it = iter(readings)
    nonces = NonceSource(lambda: next(it))
    issued = [nonces.next() for _ in readings]
    assert all(a < b for a, b in zip(issued, issued[1:], strict=False))
    assert all(n >= r for n, r in zip(issued, readings, strict=True))


async def test_concurrent_asyncio_tasks() -> None:
    nonces = NonceSource(FixedClock(1_700_000_000_000))
    issued: list[int] = []
    per_task = TOTAL // 50

    async def worker() -> None:
        for _ in range(per_task):
            issued.append(nonces.next())  # no await between issue and record: list order = issue order
            await asyncio.sleep(0)  # yield to the other tasks so they interleave

    await asyncio.gather(*(worker() for _ in range(50)))
    assert len(issued) == TOTAL
    assert len(set(issued)) == TOTAL
    assert all(a < b for a, b in zip(issued, issued[1:], strict=False))


def test_concurrent_threads() -> None:
    clock_lock = threading.Lock()
    ticks = [1_700_000_000_000]

    def jittery_clock() -> int:
        # Goes back and forth: the source must still never repeat or decrease.
        with clock_lock:
            ticks[0] += 1 if len(ticks) % 2 else -3
            ticks.append(0)
            return ticks[0]

    nonces = NonceSource(jittery_clock)
    per_thread = TOTAL // 8
    results: list[list[int]] = [[] for _ in range(8)]
    barrier = threading.Barrier(8)

    def worker(index: int) -> None:
        barrier.wait()
        out = results[index]
        for _ in range(per_thread):
            out.append(nonces.next())

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    everything = [n for out in results for n in out]
    assert len(everything) == TOTAL
    assert len(set(everything)) == TOTAL
    for out in results:  # each thread sees its own nonces in issue order
        assert all(a < b for a, b in zip(out, out[1:], strict=False))
    assert nonces.last == max(everything)


def test_concurrent_threads_with_stalled_clock_issue_a_contiguous_range() -> None:
    nonces = NonceSource(FixedClock(0), start=100)
    results: list[list[int]] = [[] for _ in range(8)]

    def worker(index: int) -> None:
        for _ in range(TOTAL // 8):
            results[index].append(nonces.next())

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(n for out in results for n in out) == list(range(101, 101 + TOTAL))
