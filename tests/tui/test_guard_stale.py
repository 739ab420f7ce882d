"""The price-band dialog answered with y after the order stream went stale: nothing is sent, and the ticket and
the status pane say why."""

from __future__ import annotations

import pytest

from console.exchange.faults import FaultKind
from console.trading.session import ConnectionState
from console.tui.screens.guard_confirm import GuardConfirm
from console.tui.widgets.status_pane import StatusPane
from tests.support.console_app import make_app, wait_for, wait_until_ready
from tests.support.exchange_thread import ExchangeThread


@pytest.fixture
def fast_exchange():
    with ExchangeThread(port=0, simulator=True, seed=7, heartbeat_interval_s=0.05) as running:
        yield running


async def test_y_after_the_stream_went_stale_sends_nothing_and_says_why(fast_exchange):
    """Issue 14: ``y`` in the price-band dialog after the stream went STALE sent nothing and said nothing."""
    app = make_app(fast_exchange.server.rest_url, fast_exchange.server.ws_url)
    app.session.stale_after_s = 0.3
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until_ready(pilot)
        fast_exchange.call(fast_exchange.server.pause_simulation)
        await pilot.press("o", *"70000.00", "tab", *"0.01", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, GuardConfirm), what="the price-band dialog")
        faults = fast_exchange.server.faults
        fast_exchange.call(faults.arm, FaultKind.HTTP_ERROR, status=503, path="/v1/orders", count=None)
        fast_exchange.call(faults.arm, FaultKind.STALL_HEARTBEATS, count=None)  # silent, and cannot reconcile
        await wait_for(pilot, lambda: app.session.connection is not ConnectionState.LIVE, what="stale")
        await pilot.press("y")
        pane = app.main_screen.query_one(StatusPane)
        await wait_for(pilot, lambda: any("Not sent" in t for t in pane.entries_text()), what="the status entry")
        # The ticket says why too: "Not sent: …" at once, then (after the next connection change) the block itself.
        error = app.main_screen.query_one("#error-symbol")
        assert "not live" in str(error.content) or "Reconciling" in str(error.content)
        (said,) = [t for t in pane.entries_text() if "Not sent" in t]
        assert "BUY 0.01 BTCUSD" in said and "70,000.00" in said
        assert not app.session.blotter.orders()  # nothing was sent
        assert fast_exchange.call(fast_exchange.server.engine.active_orders, fast_exchange.server.demo_account_id) == []
