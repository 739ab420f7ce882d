"""The one app factory: the test suite's console is the one ``trading-console`` builds (tap, journal, latency,
dead-man switch, account service), and the factory's explicit options are the only differences."""

from __future__ import annotations

import os
from pathlib import Path

from console.trading.journal import Journal, default_path
from tests.support.console_app import SHOWN_URL, make_app, snapshot_app, wait_for, wait_until_ready


async def test_the_test_console_runs_the_tap_journal_latency_and_dead_man_switch(exchange):
    app = make_app(exchange.server.rest_url, exchange.server.ws_url)
    assert app.deadman is not None and app.latency is not None and app.account is not None
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until_ready(pilot)
        await pilot.press("o", *"62500.00", "tab", *"0.01", "enter")
        await wait_for(pilot, lambda: app.latency.summary()["ack"][2] == 1, what="the ack latency")
    assert app.deadman.report is not None  # the dead-man switch ran at the exit
    path = default_path(os.environ)  # $XDG_STATE_HOME: a temporary directory in every test
    assert Path(os.environ["XDG_STATE_HOME"]) in path.parents
    journal = Journal(path)
    try:
        paths = {(record.direction, record.path) for record in journal.records()}
    finally:
        journal.close()
    assert ("request", "/v1/order/new") in paths and ("event", "/v1/order/events") in paths


async def test_a_picture_shows_the_fixed_url_whatever_port_the_exchange_got(exchange):
    app = snapshot_app(exchange.server.rest_url, exchange.server.ws_url)
    assert exchange.server.rest_url != SHOWN_URL  # a free port
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        assert str(app.main_screen.query_one("#url").render()) == SHOWN_URL
    assert app.latency is None  # timings would differ on every run



async def test_the_desk_status_tick_after_the_screen_is_gone_does_nothing(exchange):
    """The 1 s tick of the heartbeat countdown and latency figures can fire while the app is shutting down, after
    the main screen's widgets are gone: it must not raise (an error on the way out would be reported as a crash)."""
    app = make_app(exchange.server.rest_url, exchange.server.ws_url)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until_ready(pilot)
    app.refresh_desk_status()


async def test_the_users_console_sends_cancels_on_the_lane_and_still_journals_them(exchange):
    """The journal and latency taps must not take away the cancel lane (cancels from a thread of their own): the
    console users run is tapped, and its REST client still has the lane; the cancel sent on it is journaled
    (request and answer, handed back to the console's loop) and its latency is measured."""
    app = make_app(exchange.server.rest_url, exchange.server.ws_url)
    rest = app.session.venue.rest
    assert rest._cancel_lane is not None, "a tapped REST client lost its cancel lane"
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until_ready(pilot)
        await pilot.press("o", *"62500.00", "tab", *"0.01", "enter")
        await wait_for(pilot, lambda: len(app.session.blotter.open_orders()) == 1, what="the order on the blotter")
        await pilot.press("escape", "x")
        await wait_for(pilot, lambda: not app.session.blotter.open_orders(), what="the order cancelled")
        await wait_for(pilot, lambda: app.latency.summary()["cancel"][2] == 1, what="the cancel latency")
        assert rest._cancel_lane._thread is not None  # the cancel went out on the lane's thread
    journal = Journal(default_path(os.environ))
    try:
        records = [(r.direction, r.path) for r in journal.records()]
    finally:
        journal.close()
    assert ("request", "/v1/order/cancel") in records and ("response", "/v1/order/cancel") in records
    assert records.index(("request", "/v1/order/cancel")) < records.index(("response", "/v1/order/cancel"))
