"""The console as `trading-console` wires it, over loopback: journal, latency, heartbeats, cancel on quit/SIGHUP."""

from __future__ import annotations

import json
import os
import signal

from pydantic import SecretStr

from console.app.config import load_config
from console.app.settings import Environment, Settings
from console.app.wiring import build_console, finish_exit
from console.domain.ticket import ClientOrderIds
from console.trading.journal import Journal
from console.venues.gemini.credentials import Credentials
from tests.support.console_app import fixed_clock, wait_for, wait_until_ready
from tests.support.scenarios import seed_resting_orders

HB_KEY = "account-HeartbeatKey000000001"
HB_SECRET = "HeartbeatSecretLocalOnly0001"


def build_app(settings, **options):
    """The console as the app factory builds it for ``trading-console``: ``(app, journal)``."""
    console = build_console(settings, **options)
    return console.app, console.journal


def wired_app(exchange, tmp_path, **desk_settings):
    exchange.call(exchange.server.add_api_key, HB_KEY, HB_SECRET, require_heartbeat=True)
    desk = load_config({"journal_path": str(tmp_path / "journal.sqlite3"), "toasts": "false", "bell": "false",
                        **desk_settings}, environ={})
    settings = Settings(environment=Environment.LOCAL, rest_url=exchange.server.rest_url,
                        ws_url=exchange.server.ws_url, credentials=Credentials(HB_KEY, SecretStr(HB_SECRET)),
                        desk=desk)
    return build_app(settings, clock_ms=fixed_clock(), client_order_ids=ClientOrderIds("wire"))


def key_orders(exchange, key=HB_KEY):
    return [o for o in exchange.call(exchange.server.engine.active_orders, exchange.server.demo_account_id)
            if o.get("api_session", key) == key]


async def test_journal_latency_heartbeat_and_cancel_on_quit(exchange, tmp_path):
    seed_resting_orders(exchange)  # includes a web-UI order that cancel-session must leave alone
    app, journal = wired_app(exchange, tmp_path, heartbeat="true", cancel_on_exit="true")
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until_ready(pilot)
        await pilot.press("o", *"62500.00", "tab", *"0.01", "enter")
        await wait_for(pilot, lambda: app.latency.summary()["ack"][2] == 1, what="the ack latency")
        (order,) = [o for o in app.session.blotter.open_orders() if o.api_session == HB_KEY]
        assert app.latency.for_order(order.order_id).ack_ms is not None
        await wait_for(pilot, lambda: "heartbeat" in str(app.main_screen.query_one("#status").border_subtitle)
                       and "ack p50" in str(app.main_screen.query_one("#status").border_subtitle),
                       what="countdown and latency in the status pane")
        assert 0 < app.deadman.seconds_left() <= 30
        await pilot.press("q")
    assert app.deadman.exit_cancelled == 1
    assert exchange.call(exchange.server.engine.active_orders, exchange.server.demo_account_id)  # others stay
    records = Journal(tmp_path / "journal.sqlite3").records()
    paths = [(r.direction, r.path) for r in records]
    assert ("request", "/v1/heartbeat") in paths and ("request", "/v1/order/cancel/session") in paths
    new = next(json.loads(r.data) for r in records if (r.direction, r.path) == ("request", "/v1/order/new"))
    assert new["payload"]["client_order_id"] == "tc-wire-000001" and new["api_key"].startswith("account-")
    everything = "".join(r.data for r in records)
    assert HB_SECRET not in everything and "signature" not in everything.lower()
    assert all(HB_KEY not in r.data for r in records)  # masked everywhere, the order events' api_session too
    assert {(r.venue, r.url) for r in records} == {("LOCAL", exchange.server.rest_url)}
    assert any(r.kind == "booked" and r.client_order_id == "tc-wire-000001" and r.order_id for r in records)
    events = [json.loads(r.data) for r in records if r.direction == "event"]
    assert any(e["type"] in ("accepted", "booked") and e.get("client_order_id") == "tc-wire-000001" for e in events)
    journal.close()


async def test_sighup_cancels_the_session_orders(exchange, tmp_path):
    app, journal = wired_app(exchange, tmp_path, cancel_on_exit="true", journal="false")
    assert journal is None
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until_ready(pilot)
        await pilot.press("o", *"62500.00", "tab", *"0.01", "enter")
        await wait_for(pilot, lambda: app.session.session_order_count() == 1, what="the order")
        (order_id,) = [o.order_id for o in app.session.blotter.open_orders() if o.api_session == HB_KEY]
        os.kill(os.getpid(), signal.SIGHUP)  # the handler is installed: this does not kill pytest
        await wait_for(pilot, lambda: app.return_code == 129, what="the hangup exit")
    assert app.deadman.exit_cancelled == 1 and key_orders(exchange) == []
    report = app.deadman.report
    assert report.reason == "SIGHUP" and [o.order_id for o in report.cancelled] == [order_id]
    # the terminal is gone: printing fails quietly, the journal gets the summary, the hangup code stays
    journal = Journal(tmp_path / "exit.sqlite3")
    assert finish_exit(report, journal, 129, out=_GoneTerminal()) == 129
    (record,) = journal.records(direction="exit")
    assert json.loads(record.data)["reason"] == "SIGHUP" and json.loads(record.data)["cancelled"] == [order_id]
    journal.close()


class _GoneTerminal:
    def write(self, text: str) -> int:
        raise OSError(5, "Input/output error")

    def flush(self) -> None:
        raise OSError(5, "Input/output error")


async def test_local_default_leaves_orders_on_quit(exchange, tmp_path):
    app, _ = wired_app(exchange, tmp_path, journal="false")
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until_ready(pilot)
        await pilot.press("o", *"62500.00", "tab", *"0.01", "enter")
        await wait_for(pilot, lambda: app.session.session_order_count() == 1, what="the order")
        await pilot.press("q")
    assert app.deadman.exit_cancelled is None and len(key_orders(exchange)) == 1


async def test_a_crash_still_cancels_the_session_orders(exchange, tmp_path):
    import pytest

    app, _ = wired_app(exchange, tmp_path, cancel_on_exit="true", journal="false")
    with pytest.raises(RuntimeError, match="boom"):
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_until_ready(pilot)
            await pilot.press("o", *"62500.00", "tab", *"0.01", "enter")
            await wait_for(pilot, lambda: app.session.session_order_count() == 1, what="the order")

            def boom() -> None:
                raise RuntimeError("boom")

            app.call_later(boom)  # an unhandled error inside the app
            await wait_for(pilot, lambda: app.deadman.exit_cancelled is not None, what="the exit cancel")
    assert app.deadman.exit_cancelled == 1 and key_orders(exchange) == []
    assert app.deadman.report.reason == "error" and not app.deadman.report.cancel_failed


async def test_declining_production_sends_nothing_on_the_way_out(exchange, tmp_path):
    exchange.call(exchange.server.add_api_key, HB_KEY, HB_SECRET, require_heartbeat=True)
    desk = load_config({"journal_path": str(tmp_path / "journal.sqlite3"), "toasts": "false", "bell": "false",
                        "cancel_on_exit": "true"}, environ={})
    settings = Settings(environment=Environment.PRODUCTION, rest_url=exchange.server.rest_url,
                        ws_url=exchange.server.ws_url, credentials=Credentials(HB_KEY, SecretStr(HB_SECRET)),
                        desk=desk)
    app, journal = build_app(settings, clock_ms=fixed_clock())
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("escape")  # "type PRODUCTION to continue": the trader declines
        await wait_for(pilot, lambda: app.return_code == 3, what="the declined exit")
    assert journal.records() == []  # not one request: no cancel-session, no /v1/orders
    assert app.deadman.report.lines() == ["Trading never started: nothing was sent to the exchange."]
    journal.close()
