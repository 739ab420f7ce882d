"""The main screen's footer: its keys by priority at 120 and 80 columns; `u` says why when it cannot switch."""

from __future__ import annotations

import pytest
from textual.widgets import Footer
from textual.widgets._footer import FooterKey  # textual 8.2.8: the footer's key widgets, to read what is shown

from tests.support.console_app import wait_for, wait_until_ready

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
