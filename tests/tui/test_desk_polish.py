"""Desk polish on the main screen: footer keys by priority at 120 and 80 columns; `u` says why it cannot switch;
toasts keep off the status pane; an open dropdown hides the ticket's hint line."""

from __future__ import annotations

import pytest
from textual.widgets import Footer, Select
from textual.widgets._footer import FooterKey  # textual 8.2.8: the footer's key widgets, to read what is shown
from textual.widgets._toast import Toast  # textual 8.2.8: the toast widgets, to read where they are drawn

from console.app.config import load_config
from console.domain.reasons import Severity
from console.trading.session import StatusEntry
from console.tui.messages import StatusReported
from console.tui.screens.main import MAX_TOASTS
from console.tui.widgets.status_pane import StatusPane
from tests.support.console_app import make_app, wait_for, wait_until_ready

#: What the footer must show in full, by terminal width (the orders table has the focus).
SHOWN = {
    120: ["x", "o", "s", "a", "h", "f", "b", "v", "i", "question_mark"],
    80: ["x", "o", "s", "a"],
}


def fully_shown_keys(app) -> list[str]:
    footer = app.screen.query_one(Footer)
    width = app.screen.size.width
    return [k.key for k in footer.query(FooterKey) if k.region.width and k.region.right <= width]


@pytest.mark.parametrize("width", [120, 80])
async def test_footer_shows_the_key_bindings_first(console_app, width):
    """Issue 13: at 120 columns the footer was cut at ``f Fill▏`` (b, v, i and ? hidden)."""
    app = console_app
    async with app.run_test(size=(width, 36)) as pilot:
        await wait_until_ready(pilot)
        await wait_for(pilot, lambda: all(k in fully_shown_keys(app) for k in SHOWN[width]),
                       timeout=3, what=f"{SHOWN[width]} in the footer, got {fully_shown_keys(app)}")


@pytest.mark.parametrize("width", [120, 80])
async def test_in_the_ticket_the_footer_shows_its_own_keys(console_app, width):
    """In the ticket the plain keys are the ticket's, so the footer showed nothing at all: it shows how to flip the
    side and how to get back to the orders (Esc, which it leaves out where the orders already have the focus)."""
    app = console_app
    async with app.run_test(size=(width, 36)) as pilot:
        await wait_until_ready(pilot)
        await wait_for(pilot, lambda: "x" in fully_shown_keys(app), timeout=3, what="the table's footer")
        assert "escape" not in fully_shown_keys(app)
        await pilot.press("o")
        await wait_for(pilot, lambda: {"ctrl+s", "escape"} <= set(fully_shown_keys(app)), timeout=3,
                       what=f"ctrl+s and escape in the footer, got {fully_shown_keys(app)}")


async def test_u_without_a_master_key_says_why(console_app):
    """Issue 13: ``u`` on an account-level key did nothing and said nothing."""
    app = console_app
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until_ready(pilot)
        await pilot.press("u")
        await wait_for(pilot, lambda: any("sub-account" in n.message.lower() for n in app._notifications),
                       what="a notification")
        (note,) = [n for n in app._notifications if "sub-account" in n.message.lower()]
        assert "master" in note.message and note.severity == "warning"
        assert app.screen is app.main_screen


async def test_stacked_fill_toasts_never_cover_the_status_pane(exchange):
    """Issue 13: a stack of fill toasts covered the newest status lines."""
    desk = load_config({"toasts": "true", "bell": "false"}, environ={})
    app = make_app(exchange.server.rest_url, exchange.server.ws_url, desk=desk)
    async with app.run_test(size=(120, 36), notifications=True) as pilot:
        await wait_until_ready(pilot)
        for n in range(12):
            app.main_screen.post_message(StatusReported(StatusEntry(
                0, Severity.INFO, f"BUY 0.01 BTCUSD #{n}", "Done", "done: 0.01 @ avg 64,250.00, fees 0.64 USD")))
        await wait_for(pilot, lambda: "#11" in " ".join(str(t.render()) for t in app.screen.query(Toast)),
                       what="the newest fill's toast")
        await pilot.pause()
        assert len(app.screen.query(Toast)) <= MAX_TOASTS
        pane = app.screen.query_one(StatusPane).region
        # What is drawn of each toast: its region clipped by its (scrolling) rack and the screen.
        shown = [app.screen.find_widget(t).visible_region for t in app.screen.query(Toast)]
        shown = [region for region in shown if region.area]
        assert shown and not any(region.overlaps(pane) for region in shown), (pane, shown)
        newest = app.screen.find_widget(app.screen.query(Toast).last())
        assert newest.visible_region == newest.region  # the newest toast is the one in full view


async def test_an_open_option_dropdown_covers_the_rules_hint_entirely(console_app):
    """Issue 13: the open Option dropdown left ``tick 0.`` of the rules hint showing beside it."""
    app = console_app
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until_ready(pilot)
        hint = app.screen.query_one("#rules-hint")
        await wait_for(pilot, lambda: "tick" in str(hint.render()), what="the rules hint")
        option = app.screen.query_one("#option", Select)
        option.focus()
        option.expanded = True
        overlay = option.query_one("SelectOverlay")
        await wait_for(pilot, lambda: overlay.display and overlay.region.area > 0, what="the open dropdown")
        await pilot.pause()
        text = hint.content_region
        below = overlay.region
        assert below.y <= text.y < below.bottom  # the list opens over the hint...
        assert below.x <= text.x and text.right <= below.right, (below, text)  # ...and hides every column of it
