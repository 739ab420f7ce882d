"""On screen: the STALE banner with its age, new orders blocked while untrusted, the reconcile summary; and a known
secret that never reaches a log file, the state directory, a screen capture or an exception text."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

from console.exchange.faults import FaultKind
from console.trading.session import ConnectionState
from console.tui.widgets.status_pane import StatusPane
from console.venues.gemini.errors import GeminiError
from tests.support.console_app import make_app, wait_for, wait_until_ready
from tests.support.exchange_thread import ExchangeThread

KNOWN_KEY = "account-SecretsTestKey000001"
KNOWN_SECRET = "Kn0wn-S3cret-Never-Shown-7f3a9c"


@pytest.fixture
def fast_exchange():
    with ExchangeThread(port=0, simulator=True, seed=7, heartbeat_interval_s=0.05) as running:
        running.call(running.server.add_api_key, KNOWN_KEY, KNOWN_SECRET)
        yield running


def _clock():
    now = [1_795_444_200_000]

    def clock() -> int:
        return now[0]

    return now, clock


async def test_stale_banner_blocks_new_orders_then_reconciled_summary(fast_exchange):
    now, clock = _clock()
    app = make_app(fast_exchange.server.rest_url, fast_exchange.server.ws_url, clock_ms=clock)
    app.session.stale_after_s = 0.3
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until_ready(pilot)
        faults = fast_exchange.server.faults
        fast_exchange.call(fast_exchange.server.pause_simulation)
        fast_exchange.call(faults.arm, FaultKind.HTTP_ERROR, status=503, path="/v1/orders", count=None)
        fast_exchange.call(faults.arm, FaultKind.STALL_HEARTBEATS, count=None)  # silent, and cannot reconcile
        await wait_for(pilot, lambda: app.session.connection is not ConnectionState.LIVE, what="stale")
        now[0] += 12_000  # the console's clock moves on: the banner shows the age of the last message
        header = app.screen.query_one("#connection")
        await wait_for(pilot, lambda: "STALE 12s" in str(header.content), what="the banner's age")
        assert header.has_class("-untrusted")
        await pilot.press("o")
        await pilot.press(*"63000.00", "tab", *"0.015", "enter")
        error = app.screen.query_one("#error-symbol")
        await wait_for(pilot, lambda: "blocked" in str(error.content) or "Reconciling" in str(error.content),
                       what="the ticket to refuse")
        assert not any(o.client_order_id for o in app.session.blotter.orders())  # nothing was sent
        fast_exchange.call(fast_exchange.server.faults.clear)
        await wait_for(pilot, lambda: app.session.connection is ConnectionState.LIVE, what="live again")
        pane = app.screen.query_one(StatusPane)
        await wait_for(pilot, lambda: any("Reconciled after" in t for t in pane.entries_text()), what="summary")
        assert not header.has_class("-untrusted")
        assert str(app.screen.query_one("#error-symbol").content) == ""  # the block message is gone
        assert any("Reconciled after the stream was down 12.0 s (last message 12.0 s ago)" in t
                   for t in pane.entries_text())


async def test_known_secret_never_appears_in_logs_state_screen_or_errors(fast_exchange, tmp_path):
    log_file = tmp_path / "console.log"
    handler = logging.FileHandler(log_file)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    handler.setLevel(logging.DEBUG)
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    texts: list[str] = []
    try:
        app = make_app(fast_exchange.server.rest_url, fast_exchange.server.ws_url, api_key=KNOWN_KEY,
                       api_secret=KNOWN_SECRET)
        async with app.run_test(size=(100, 30)) as pilot:
            await wait_until_ready(pilot)
            faults = fast_exchange.server.faults
            fast_exchange.call(faults.arm, FaultKind.HTTP_ERROR, status=502, path="/v1/order/new")
            await pilot.press("o")
            await pilot.press(*"63000.00", "tab", *"0.015", "enter")
            await wait_for(pilot, lambda: any(o.state.value == "rejected" for o in app.session.blotter.orders()),
                           what="the unknown order to be settled")
            fast_exchange.run(faults.close_streams(abrupt=True))
            await wait_for(pilot, lambda: app.session.reconcile_count >= 2, what="a reconnect")
            texts.append(app.export_screenshot())
            texts.extend(app.screen.query_one(StatusPane).entries_text())
            venue = app.session.venue
            texts.extend([repr(venue), repr(venue.rest), repr(venue.order_events), repr(app.settings)])
            for call in (lambda: app.session.venue.rest.order_status(client_order_id="nope"),):
                try:
                    await call()
                except GeminiError as exc:
                    texts.extend([str(exc), repr(exc)])
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
        handler.close()
    texts.append(log_file.read_text())
    state = Path(os.environ["XDG_STATE_HOME"])
    texts.extend(p.read_text(errors="replace") for p in state.rglob("*") if p.is_file())
    written = log_file.read_text()
    assert "/v1/order/new" in written and "console.venues.gemini.rest" in written  # it was written
    for text in texts:
        assert KNOWN_SECRET not in text
