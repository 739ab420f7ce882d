"""SVG snapshots of the console's states, each reached through the real exchange over loopback."""

from __future__ import annotations

import pytest

from tests.support import scenarios
from tests.support.console_app import snapshot_app


@pytest.fixture
def app(snapshot_exchange):
    return snapshot_app(snapshot_exchange.server.rest_url, snapshot_exchange.server.ws_url)


def test_main_screen(snap_compare, snapshot_exchange):
    scenarios.seed_resting_orders(snapshot_exchange)
    app = snapshot_app(snapshot_exchange.server.rest_url, snapshot_exchange.server.ws_url)
    assert snap_compare(app, terminal_size=(120, 36), run_before=scenarios.main_screen)


def test_main_screen_80x24(snap_compare, snapshot_exchange):
    scenarios.seed_resting_orders(snapshot_exchange)
    app = snapshot_app(snapshot_exchange.server.rest_url, snapshot_exchange.server.ws_url)
    assert snap_compare(app, terminal_size=(80, 24), run_before=scenarios.main_screen)


def test_ticket_with_validation_errors(snap_compare, app):
    assert snap_compare(app, terminal_size=(120, 36), run_before=scenarios.ticket_errors)


def test_cancel_all_confirmation(snap_compare, snapshot_exchange):
    scenarios.seed_resting_orders(snapshot_exchange)
    app = snapshot_app(snapshot_exchange.server.rest_url, snapshot_exchange.server.ws_url)
    assert snap_compare(app, terminal_size=(120, 36), run_before=scenarios.cancel_all_confirmation)


def test_status_pane_with_several_reasons(snap_compare, app):
    assert snap_compare(app, terminal_size=(120, 36), run_before=scenarios.status_reasons)


def test_ticket_beside_the_ladder(snap_compare, snapshot_exchange):
    scenarios.seed_resting_orders(snapshot_exchange)
    scenarios.seed_trades(snapshot_exchange)
    app = snapshot_app(snapshot_exchange.server.rest_url, snapshot_exchange.server.ws_url)
    assert snap_compare(app, terminal_size=(120, 36), run_before=scenarios.ticket_and_ladder)


@pytest.mark.parametrize("size", [(120, 36), (80, 24)], ids=["120x36", "80x24"])
def test_ticket_sell_stop_through_the_market(snap_compare, snapshot_exchange, size):
    """Side in colour across the ticket, the button saying what it sends, the stop warning; it fits 80x24."""
    scenarios.seed_trades(snapshot_exchange)
    app = snapshot_app(snapshot_exchange.server.rest_url, snapshot_exchange.server.ws_url)
    assert snap_compare(app, terminal_size=size, run_before=scenarios.ticket_sell_stop)


def test_guard_confirmation(snap_compare, app):
    assert snap_compare(app, terminal_size=(120, 36), run_before=scenarios.guard_confirmation)


def test_help_screen(snap_compare, app):
    assert snap_compare(app, terminal_size=(80, 24), run_before=scenarios.help_screen)


def test_main_screen_monochrome(snap_compare, snapshot_exchange):
    """No colour at all: LIVE, the environment and each status severity still differ by bold/reverse/underline."""
    from console.app.config import load_config

    scenarios.seed_resting_orders(snapshot_exchange)
    desk = load_config({"theme": "monochrome", "toasts": "false", "bell": "false"}, environ={})
    app = snapshot_app(snapshot_exchange.server.rest_url, snapshot_exchange.server.ws_url, desk=desk)
    assert snap_compare(app, terminal_size=(80, 24), run_before=scenarios.main_screen)


def test_main_screen_low_bandwidth(snap_compare, snapshot_exchange):
    """Low-bandwidth mode: "low bandwidth" in the header; the ladder in one colour, the touch in bold with no
    background (nothing changes background on a tick); trades in one colour, buys in bold."""
    from console.app.config import load_config

    scenarios.seed_resting_orders(snapshot_exchange)
    scenarios.seed_trades(snapshot_exchange)
    desk = load_config({"low_bandwidth": "true", "toasts": "false", "bell": "false"}, environ={})
    app = snapshot_app(snapshot_exchange.server.rest_url, snapshot_exchange.server.ws_url, desk=desk)
    assert snap_compare(app, terminal_size=(120, 36), run_before=scenarios.ticket_and_ladder)
