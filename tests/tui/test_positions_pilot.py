"""Positions on screen: ``p`` opens the positions view; the ticket's symbol's position and P&L sit in the ticket and
follow every fill; a reconnect re-loads them; snapshots of the view and of the main screen with a position."""

from __future__ import annotations

import itertools
from decimal import Decimal

import pytest

from console.tui.screens.positions import PositionsScreen
from console.tui.widgets.position_line import PositionLine
from tests.support import account_scenarios as scenarios
from tests.support.console_app import FIXED_NOW_MS, wait_for, wait_until_ready

#: The seeded account (tests/support/account_scenarios.py): BTCUSD bought 0.25 @ 64,250.00 and 0.02 @ 63,500.00,
#: SOLUSD sold 10 @ 142.500, the ETHUSD trade broken (it never counts).
BTC_AVG = (Decimal("0.25") * Decimal("64250") + Decimal("0.02") * Decimal("63500")) / Decimal("0.27")


@pytest.fixture
def account_exchange():
    ticks = itertools.count(FIXED_NOW_MS, 1000)
    with scenarios.account_exchange(port=0, clock_ms=lambda: next(ticks)) as running:
        running.ids = scenarios.seed_account_activity(running)
        yield running


@pytest.fixture
def snapshot_account_exchange():
    with scenarios.account_exchange() as running:
        scenarios.seed_account_activity(running)
        yield running


def cells(table) -> list[list[str]]:
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


def line_text(app) -> str:
    return str(app.main_screen.query_one(PositionLine).render())


async def test_p_opens_the_positions_view_with_each_symbol_and_the_usd_total(account_exchange) -> None:
    app = scenarios.app_for(account_exchange)
    async with app.run_test(size=(80, 24)) as pilot:
        await scenarios.positions_view(pilot)
        assert isinstance(app.screen, PositionsScreen)
        rows = {row[0]: row for row in cells(app.screen.query_one("#positions-table"))}
        assert set(rows) == {"BTCUSD", "SOLUSD", "TOTAL"}  # the broken ETHUSD trade does not count
        assert rows["BTCUSD"][1] == "+0.27" and rows["BTCUSD"][2] == f"{BTC_AVG.quantize(Decimal('0.01')):,}"
        assert rows["SOLUSD"][1] == "-10" and rows["SOLUSD"][5] == "0.00"
        assert rows["TOTAL"][4] == "-187.50"  # 0.27 BTC marked at the last 63,500
        assert rows["BTCUSD"][3].endswith(" last")  # no book in this scenario: the mark says where it comes from
        # every row quotes in USD: no quote column, the title says it, and nothing needs a sideways scroll at 80
        assert all(len(row) == 8 for row in rows.values())
        assert "· in USD" in str(app.screen.query_one("#view-title").render())
        await pilot.pause()
        assert app.screen.query_one("#positions-table").max_scroll_x == 0
        assert str(app.screen.query_one("#view-status").render()).startswith("P&L after fees -246.41 USD")
        assert "today (since 2026-11-23 00:00 UTC)" in str(app.screen.query_one("#view-title").render())
        await pilot.press("t")  # since this session: the fixed clock started it at the seeded trades' time
        await wait_for(pilot, lambda: "this session" in str(app.screen.query_one("#view-title").render()),
                       what="the session start")
        await pilot.press("escape")
        assert app.screen is app.main_screen


async def test_a_fill_updates_the_position_beside_the_ticket(account_exchange) -> None:
    app = scenarios.app_for(account_exchange)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until_ready(pilot)
        await wait_for(pilot, lambda: line_text(app).startswith("Pos +0.27 BTC avg 64,194.44"),
                       what="the loaded position")
        assert app.main_screen.query_one(PositionLine).display
        # The counterparty fills the rest of the resting buy (0.03 @ 63,500.00): the stream's fill moves the line.
        account_exchange.call(account_exchange.server.engine.place_order, account_exchange.ids["counterparty"],
                              "UI", symbol="btcusd", side="sell", order_type="exchange limit", amount="0.03",
                              price="63500.00")
        await wait_for(pilot, lambda: line_text(app).startswith("Pos +0.3 BTC"), what="the fill in the line")
        position = app.positions.position("btcusd")
        assert position is not None and position.net == Decimal("0.3")
        # Another symbol in the ticket: its own position (SOLUSD is short 10).
        app.main_screen.query_one("#symbol").value = "solusd"
        await wait_for(pilot, lambda: line_text(app).startswith("Pos -10 SOL avg 142.5"), what="SOLUSD's line")


async def test_a_symbol_without_fills_shows_no_position_line(account_exchange) -> None:
    app = scenarios.app_for(account_exchange)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until_ready(pilot)
        await wait_for(pilot, lambda: app.positions.loads >= 1, what="the first load")
        app.main_screen.query_one("#symbol").value = "ethusd"  # its only trade was broken
        await wait_for(pilot, lambda: not app.main_screen.query_one(PositionLine).display, what="the line hidden")


async def test_a_reconnect_reloads_the_positions(account_exchange) -> None:
    app = scenarios.app_for(account_exchange)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until_ready(pilot)
        await wait_for(pilot, lambda: app.positions.loads >= 1, what="the first load")
        loads, reconciled = app.positions.loads, app.session.reconcile_count
        server = account_exchange.server
        trade = next(t for t in account_exchange.call(server.engine.my_trades, server.demo_account_id)
                     if t["symbol"] == "SOLUSD")
        account_exchange.call(server.engine.break_trade, trade["tid"], "manual")  # the stream does not say
        account_exchange.run(server.faults.close_streams(abrupt=True))
        await wait_for(pilot, lambda: app.session.reconcile_count > reconciled and app.positions.loads > loads,
                       what="the reconnect's re-load")
        assert app.positions.position("solusd") is None  # the broken trade is reversed


def test_positions_view_snapshot(snap_compare, snapshot_account_exchange) -> None:
    app = scenarios.app_for(snapshot_account_exchange)
    assert snap_compare(app, terminal_size=(80, 24), run_before=scenarios.positions_view)


@pytest.mark.parametrize("size", [(120, 36), (80, 24)], ids=["120x36", "80x24"])
def test_main_screen_with_a_position_snapshot(snap_compare, snapshot_account_exchange, size) -> None:
    app = scenarios.app_for(snapshot_account_exchange)
    assert snap_compare(app, terminal_size=size, run_before=scenarios.main_screen_with_position)
