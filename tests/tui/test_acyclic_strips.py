"""Painted lines are freed by reference counting: ``install_acyclic_strips`` (console/tui/internals.py).

Textual 8.2.8's ``Strip.crop_extend`` and ``Strip.divide`` cache the strip itself on the strip when nothing is cut,
so every painted line becomes garbage in a reference cycle. The replacements must return what Textual's methods
return, and a painted screen must leave no strip to the cyclic collector.
"""

from __future__ import annotations

import gc
import random
from collections.abc import Iterator
from contextlib import contextmanager

from rich.segment import Segment
from rich.style import Style
from textual.app import App, ComposeResult
from textual.strip import Strip
from textual.widgets import Label

from console.tui import internals

STYLES = [Style(), Style(bold=True), Style(color="red"), Style(bgcolor="blue", italic=True)]


def random_strip(rng: random.Random) -> Strip:
    segments = [Segment(rng.choice(["a", "bc", "def", " ", "wxyz1"]), rng.choice(STYLES))
                for _ in range(rng.randint(0, 6))]
    return Strip(segments)


def same(a: Strip, b: Strip) -> bool:
    return a.cell_length == b.cell_length and list(a) == list(b)


@contextmanager
def textual_strips() -> Iterator[None]:
    """Textual's own methods for the duration (the cycle the fix removes)."""
    Strip.crop_extend = internals.ORIGINAL_CROP_EXTEND  # type: ignore[method-assign]
    Strip.divide = internals.ORIGINAL_DIVIDE  # type: ignore[method-assign]
    try:
        yield
    finally:
        internals.install_acyclic_strips()


def test_the_replacements_return_what_textuals_methods_return():
    internals.install_acyclic_strips()
    rng = random.Random(7)
    for _ in range(2_000):
        strip = random_strip(rng)
        length = strip.cell_length
        start, end = rng.randint(-2, length + 2), rng.randint(-1, length + 3)
        style = rng.choice([None, *STYLES])
        expected = internals.ORIGINAL_CROP_EXTEND(strip, start, end, style)
        assert same(Strip.crop_extend(strip, start, end, style), expected), (list(strip), start, end)
        cuts = sorted(rng.sample(range(0, length + 3), rng.randint(0, min(4, length + 3))))
        if rng.random() < 0.3:
            cuts = [length]
        got = Strip.divide(strip, cuts)
        want = internals.ORIGINAL_DIVIDE(strip, cuts)
        assert len(got) == len(want) and all(same(g, w) for g, w in zip(got, want, strict=True)), (list(strip), cuts)


def test_a_strip_cut_at_its_own_length_is_returned_and_not_cached_on_itself():
    internals.install_acyclic_strips()
    strip = Strip([Segment("abc")])
    assert strip.crop_extend(0, 3, None) is strip
    assert strip.divide([3]) == [strip]
    assert not strip._crop_extend_cache and not strip._divide_cache


class Lines(App[None]):
    def compose(self) -> ComposeResult:
        for i in range(20):
            yield Label(f"line {i} " * 5, id=f"l{i}")


async def strips_left_to_the_collector() -> int:
    """Paint a few frames with every collected object kept; how many were strips."""
    app = Lines()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        gc.collect()
        gc.set_debug(gc.DEBUG_SAVEALL)
        try:
            for i in range(10):
                app.query_one(f"#l{i}", Label).update(f"changed {i}")
                await pilot.pause()
            gc.collect()
        finally:
            gc.set_debug(0)
        count = sum(isinstance(o, Strip) for o in gc.garbage)
        gc.garbage.clear()
    return count


async def test_painted_frames_leave_no_strip_to_the_cyclic_collector():
    internals.install_acyclic_strips()
    assert await strips_left_to_the_collector() == 0


async def test_textuals_own_strips_are_left_in_cycles_which_is_why_the_fix_exists():
    # If this fails after a Textual upgrade, Textual no longer caches a strip on itself: drop the fix.
    with textual_strips():
        assert await strips_left_to_the_collector() > 0
