"""The pacer that coalesces market data repaints (console/tui/pacing.py)."""

from __future__ import annotations

import pytest

from console.tui.pacing import Pacer, fps_interval


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_the_first_update_runs_at_once_and_a_burst_folds_into_one_scheduled_run():
    clock = FakeClock()
    pacer = Pacer(0.25, clock)
    assert pacer.request() == 0.0  # nothing ran yet: at the next opportunity
    assert pacer.request() is None  # already scheduled: folded in
    assert pacer.request() is None
    pacer.ran()
    clock.now += 0.05
    assert pacer.request() == pytest.approx(0.20)  # the rest of the interval
    assert [pacer.request() for _ in range(100)] == [None] * 100
    clock.now += 0.20
    pacer.ran()
    assert not pacer.scheduled


def test_an_update_after_a_quiet_spell_runs_at_once():
    clock = FakeClock()
    pacer = Pacer(0.1, clock)
    assert pacer.request() == 0.0
    pacer.ran()
    clock.now += 5.0
    assert pacer.request() == 0.0


def test_runs_are_at_least_one_interval_apart():
    clock = FakeClock()
    pacer = Pacer(0.25, clock)
    runs = []
    due: float | None = None
    for _ in range(1000):  # an update every 10 ms for 10 s, the flush run when its delay has passed
        clock.now += 0.01
        delay = pacer.request()
        if delay is not None:
            due = clock.now + delay
        if due is not None and clock.now >= due:
            pacer.ran()
            runs.append(clock.now)
            due = None
    gaps = [b - a for a, b in zip(runs, runs[1:], strict=False)]
    assert min(gaps) >= 0.25 - 1e-9
    assert 35 <= len(runs) <= 41  # about 4 a second for 10 s, not 1000


def test_zero_interval_never_waits_and_bad_values_are_refused():
    pacer = Pacer(0.0, FakeClock())
    assert pacer.request() == 0.0
    pacer.ran()
    assert pacer.request() == 0.0
    with pytest.raises(ValueError):
        Pacer(-1)
    with pytest.raises(ValueError):
        fps_interval(0)
    assert fps_interval(4) == 0.25
