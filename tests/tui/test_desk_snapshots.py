"""SVG snapshots of this session's desk features (issue 19), each reached through the real exchange over loopback:
scoped cancels (the `d` chooser and its preview grouped by origin), flatten (`F`'s confirmation after a buy
filled) and hotkeys (`B`: the default size at the bid)."""

from __future__ import annotations

import pytest

from console.app.config import load_config
from tests.support import scenarios
from tests.support.console_app import snapshot_app

SIZES = pytest.mark.parametrize("size", [(120, 36), (80, 24)], ids=["120x36", "80x24"])


@SIZES
def test_scope_chooser(snap_compare, snapshot_exchange, size):
    scenarios.seed_resting_orders(snapshot_exchange)
    app = snapshot_app(snapshot_exchange.server.rest_url, snapshot_exchange.server.ws_url)
    assert snap_compare(app, terminal_size=size, run_before=scenarios.scope_chooser)


@SIZES
def test_scoped_cancel_preview(snap_compare, snapshot_exchange, size):
    scenarios.seed_resting_orders(snapshot_exchange)
    app = snapshot_app(snapshot_exchange.server.rest_url, snapshot_exchange.server.ws_url)
    assert snap_compare(app, terminal_size=size, run_before=scenarios.scoped_cancel_preview)


@SIZES
def test_flatten_confirmation(snap_compare, snapshot_exchange, size):
    app = snapshot_app(snapshot_exchange.server.rest_url, snapshot_exchange.server.ws_url)
    assert snap_compare(app, terminal_size=size, run_before=scenarios.flatten_confirmation)


def test_hotkey_buy_at_the_bid(snap_compare, snapshot_exchange):
    desk = load_config({"toasts": "false", "bell": "false", "ticket.default_size.btcusd": "0.01"}, environ={})
    app = snapshot_app(snapshot_exchange.server.rest_url, snapshot_exchange.server.ws_url, desk=desk)
    assert snap_compare(app, terminal_size=(120, 36), run_before=scenarios.hotkey_join_bid)
