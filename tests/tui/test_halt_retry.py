"""An exchange that cannot be reached halts the console with the real cause on screen, and ctrl+r retries."""

from __future__ import annotations

import socket

from textual.widgets import Input, Static

from console.trading.session import ConnectionState
from console.tui.widgets.status_pane import StatusPane
from tests.support.console_app import make_app, wait_for, wait_until_ready
from tests.support.exchange_thread import ExchangeThread


def _closed_port() -> int:
    with socket.socket() as s:  # a port nobody listens on (until the test starts the exchange there)
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_an_unreachable_exchange_halts_with_its_cause_and_ctrl_r_connects_again():
    port = _closed_port()
    app = make_app(f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{port}")
    app.retry_initial_s = app.retry_cap_s = 600.0  # only the key retries within this test
    async with app.run_test(size=(120, 36)) as pilot:
        screen = app.main_screen
        await wait_for(pilot, lambda: app.session.connection is ConnectionState.HALTED, what="the halt")
        await pilot.pause()
        header = str(screen.query_one("#connection", Static).render())
        assert header == "✖ HALTED (ConnectError: Connection refused)"
        assert app.session.halt_reason == "ConnectError: Connection refused"
        # the ticket says the same, with the key that retries (not "Connecting…")
        await pilot.press("o", *"62500", "tab", *"0.01", "enter")
        await pilot.pause()
        said = str(screen.query_one("#error-symbol", Static).render())
        assert said.startswith("Trading halted (ConnectError: Connection refused)") and "ctrl+r" in said
        assert "Connecting" not in said
        await wait_for(pilot, lambda: any("could not be reached: ConnectError: Connection refused" in line
                                          and "retrying in 600 s (ctrl+r: retry now)" in line
                                          for line in screen.query_one(StatusPane).entries_text()),
                       what="the cause in the status pane")
        # shown in the footer while halted
        assert "ctrl+r" in screen.active_bindings
        assert screen.active_bindings["ctrl+r"].binding.description == "Retry"
        # typing an "r" in the ticket is typing, not a retry
        price = screen.query_one("#price", Input)
        price.focus()
        await pilot.press("r")
        await pilot.pause()
        assert app.session.connection is ConnectionState.HALTED
        # the exchange comes up; ctrl+r from inside the ticket connects again
        with ExchangeThread(port=port, simulator=False, heartbeat_interval_s=0.5):
            await pilot.press("ctrl+r")
            await wait_until_ready(pilot)
            await pilot.pause()
            assert str(screen.query_one("#connection", Static).render()) == "● LIVE"
            assert "ctrl+r" not in screen.active_bindings  # hidden once live
            assert str(screen.query_one("#error-symbol", Static).render()) == ""
            await pilot.press("ctrl+r")  # does nothing while live
            await pilot.pause()
            assert app.session.connection is ConnectionState.LIVE


async def test_the_console_retries_on_its_own_with_back_off_until_the_exchange_answers():
    port = _closed_port()
    app = make_app(f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{port}")
    app.retry_initial_s = 0.1
    async with app.run_test(size=(120, 36)) as pilot:
        pane = app.main_screen.query_one(StatusPane)

        def retries_said() -> list[str]:
            return [line.split("retrying in ", 1)[1].split(" s ")[0] for line in pane.entries_text()
                    if "retrying in " in line]

        await wait_for(pilot, lambda: len(retries_said()) >= 3, what="three automatic retries")
        assert retries_said()[:3] == ["0.1", "0.2", "0.4"]  # doubling
        with ExchangeThread(port=port, simulator=False, heartbeat_interval_s=0.5):
            await wait_until_ready(pilot)  # no key pressed
            assert app._retry_backoff is None  # live: the back-off starts again at the next failure
