"""The Line API status pane: wraps entries to its width, follows the newest, keeps its place when scrolled up."""

from __future__ import annotations

from textual.app import App, ComposeResult

from console.app.paths import styles_dir
from console.domain.reasons import Severity
from console.trading.session import StatusEntry
from console.tui.widgets import status_pane
from console.tui.widgets.status_pane import StatusPane
from tests.support.console_app import wait_for


class PaneApp(App):
    CSS_PATH = [styles_dir() / "app.tcss"]

    def compose(self) -> ComposeResult:
        yield StatusPane(id="status")


def entry(n: int, severity: Severity = Severity.INFO, text: str = "Cancelled at your request.") -> StatusEntry:
    return StatusEntry(1_700_000_000_000 + n * 1000, severity, f"BUY 0.01 BTCUSD #{n}", "Requested", text)


def screen_text(app: App) -> list[str]:
    pane = app.query_one(StatusPane)
    return [pane.render_line(y).text for y in range(pane.scrollable_content_region.height)]


async def test_entries_wrap_to_the_width_and_the_pane_follows_the_newest():
    app = PaneApp()
    async with app.run_test(size=(60, 8)) as pilot:
        pane = app.query_one(StatusPane)
        long_text = "Immediate-or-cancel: what could trade now did; the unfilled remainder was cancelled."
        for n in range(30):
            pane.add_entry(entry(n, Severity.WARNING if n % 2 else Severity.INFO, long_text if n == 29 else "ok."))
        await pilot.pause(2 / status_pane.FLUSHES_PER_S)
        await pilot.pause()
        lines = screen_text(app)
        # The last entry is longer than the pane is wide: it continues on the next line(s), nothing is cut.
        joined = " ".join(line.strip() for line in lines)
        assert "#29" in joined and "unfilled remainder was cancelled." in joined
        assert all(len(line) <= pane.scrollable_content_region.width for line in lines)
        assert pane.scroll_offset.y == pane.max_scroll_y > 0  # following the newest
        assert len(pane.entries_text()) == 30 and pane.entries_text()[0].endswith("ok.")


async def test_scrolled_up_the_pane_stays_put_and_old_entries_leave_past_the_limit(monkeypatch):
    monkeypatch.setattr(status_pane, "MAX_ENTRIES", 50)
    app = PaneApp()
    async with app.run_test(size=(60, 8)) as pilot:
        pane = app.query_one(StatusPane)
        for n in range(40):
            pane.add_entry(entry(n))
        await pilot.pause(2 / status_pane.FLUSHES_PER_S)
        pane.scroll_to(y=0, animate=False, immediate=True)
        await pilot.pause()
        for n in range(40, 60):
            pane.add_entry(entry(n, Severity.ERROR))
        await pilot.pause(2 / status_pane.FLUSHES_PER_S)
        await pilot.pause()
        # 60 entries, 50 kept: the 10 oldest have gone; the trader, scrolled to the top, was not moved to the end.
        texts = pane.entries_text()
        assert len(texts) == 50 and "#10 " in texts[0] and "#59 " in texts[-1]
        assert pane.scroll_offset.y == 0 and pane.max_scroll_y > 0
        assert "#10 " in screen_text(app)[0]


async def test_after_a_terminal_resize_the_pane_still_follows_the_newest():
    """Issue 14: after a resize the newest entry stayed off screen (for 40 s, until the trader scrolled)."""
    app = PaneApp()
    async with app.run_test(size=(60, 20)) as pilot:
        pane = app.query_one(StatusPane)
        newest = [0]

        async def add(start: int, stop: int) -> None:
            for n in range(start, stop):
                pane.add_entry(entry(n))
            newest[0] = stop - 1
            await wait_for(pilot, lambda: len(pane.entries_text()) == stop, what="the entries on screen")
            await pilot.pause()

        def newest_on_screen() -> bool:
            return any(f"#{newest[0]} " in line for line in screen_text(app))

        await add(0, 40)
        assert newest_on_screen()
        for size in ((60, 10), (90, 10), (40, 30), (40, 6), (120, 12)):
            await pilot.resize_terminal(*size)
            await pilot.pause()
            await add(newest[0] + 1, newest[0] + 6)
            assert newest_on_screen(), (size, screen_text(app))
            assert pane.scroll_offset.y == pane.max_scroll_y
