"""The account views: each reachable by its key at 80x24, showing the local exchange's data; plus snapshots."""

from __future__ import annotations

import itertools
from decimal import Decimal

import pytest

from console.domain.model import Liquidity
from console.exchange.keys import AUDITOR, DEMO_API_KEY, DEMO_API_SECRET, ApiKey
from console.tui.screens.order_detail import OrderDetailScreen
from tests.support import account_scenarios as scenarios
from tests.support.console_app import FIXED_NOW_MS, wait_for, wait_until_ready


@pytest.fixture
def account_exchange():
    # A clock that moves one second per reading: distinct, deterministic times (paging needs distinct times).
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


def engine_call(exchange, name, *args, **kwargs):
    return exchange.call(getattr(exchange.server.engine, name), *args, **kwargs)


async def test_history_pages_filters_and_shows_fills(account_exchange) -> None:
    app = scenarios.app_for(account_exchange)
    async with app.run_test(size=(80, 24)) as pilot:
        await scenarios.history_view(pilot)
        screen = app.screen
        closed = engine_call(account_exchange, "orders_history", account_exchange.server.demo_account_id)
        table = screen.query_one("#history-orders")
        assert [row[9] for row in cells(table)] == [o["order_id"] for o in closed]
        assert "cancelled" in [row[7] for row in cells(table)] and "partial" in [row[7] for row in cells(table)]
        fills = screen.query_one("#history-fills")
        assert fills.row_count == len(closed[2]["trades"]) == 1  # the scenario selected the third order
        # Side filter (client side) and symbol filter (asks the venue).
        screen.query_one("#filter-side").value = "sell"
        await pilot.pause()
        assert {row[2] for row in cells(table)} == {"sell"}
        screen.query_one("#filter-side").value = "all"
        screen.query_one("#filter-symbol").value = "btcusd"
        screen.query_one("#filter-symbol").focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: {row[1] for row in cells(table)} == {"BTCUSD"}, what="the btcusd page")
        screen.query_one("#filter-date").value = "1999-01-01"
        await pilot.pause()
        assert table.row_count == 0
        await pilot.press("escape")
        assert app.screen is app.main_screen


async def test_history_pages_newest_first(account_exchange) -> None:
    app = scenarios.app_for(account_exchange)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until_ready(pilot)
        await pilot.press("h")
        screen = app.screen
        screen.page_size = 2
        screen.action_reload()
        table = screen.query_one("#history-orders")
        await wait_for(pilot, lambda: screen.page and len(screen.page) == 2 and table.row_count == 2, what="page 1")
        first = [row[9] for row in cells(table)]
        await pilot.press("n")
        await wait_for(pilot, lambda: [row[9] for row in cells(table)] not in ([], first), what="page 2")
        second = [row[9] for row in cells(table)]
        assert not set(first) & set(second)  # no order twice across the boundary
        closed = engine_call(account_exchange, "orders_history", account_exchange.server.demo_account_id)
        assert first + second == [o["order_id"] for o in closed][: len(first + second)]


async def test_fills_flag_broken_trades_and_reload_on_fill(account_exchange) -> None:
    app = scenarios.app_for(account_exchange)
    async with app.run_test(size=(80, 24)) as pilot:
        await scenarios.fills_view(pilot)
        rows = cells(app.screen.query_one("#fills-table"))
        assert len(rows) == 4
        assert [r[10] for r in rows if r[10]] == ["BROKEN (manual)"]
        assert {r[6] for r in rows} == {"Maker", "Taker"}
        assert cells(app.screen.query_one("#fills-table"))[0][3] == "63,500.00"  # newest first, at the tick size
        # Issue 13: fees showed every decimal the venue sent (0.25 BTC at 64,250.00, 35 bps = 56.21875 USD).
        assert "56.22 USD" in [r[5] for r in rows] and all(len(r[5].split()[0].split(".")[1]) == 2 for r in rows)
        assert "desk-btc-1" in [r[8] for r in rows] and all(r[5].endswith(" USD") for r in rows)
        # A new fill on the account reaches the view through the session's fill event.
        engine_call(account_exchange, "place_order", account_exchange.ids["counterparty"], "UI",
                    symbol="btcusd", side="sell", order_type="exchange limit", amount="0.05", price="63500.00")
        await wait_for(pilot, lambda: app.screen.query_one("#fills-table").row_count == 5, what="the new fill")


async def test_balances_show_held_funds_and_update_after_fills(account_exchange) -> None:
    app = scenarios.app_for(account_exchange)
    async with app.run_test(size=(80, 24)) as pilot:
        await scenarios.balances_view(pilot)
        screen = app.screen
        usd = next(r for r in screen.rows if r.currency == "USD")
        assert usd.held == Decimal("0.03") * Decimal("63500.00") * Decimal("1.0035")  # the live buy's hold
        assert usd.total == usd.available + usd.held
        before_btc = next(r for r in screen.rows if r.currency == "BTC").total
        engine_call(account_exchange, "place_order", account_exchange.ids["counterparty"], "UI",
                    symbol="btcusd", side="sell", order_type="exchange limit", amount="0.05", price="63500.00")
        await wait_for(pilot, lambda: next(r for r in screen.rows if r.currency == "BTC").total != before_btc,
                       what="balances after the fill")
        assert next(r for r in screen.rows if r.currency == "USD").held == 0


async def test_fees_show_tier_and_volume(account_exchange) -> None:
    app = scenarios.app_for(account_exchange)
    async with app.run_test(size=(80, 24)) as pilot:
        await scenarios.fees_view(pilot)
        summary = app.screen.summary
        assert (summary.maker_bps, summary.taker_bps) == (10, 35)
        expected = (Decimal("0.25") * Decimal("64250") + Decimal("1.5") * Decimal("3150") + 10 * Decimal("142.5")
                    + Decimal("0.02") * Decimal("63500"))
        assert summary.notional_30d == expected
        assert [v.symbol for v in summary.volumes] == ["btcusd", "ethusd", "solusd"]
        assert "Maker 10 bps" in str(app.screen.query_one("#fees-rates").render())


async def test_order_detail_of_the_selected_order(account_exchange) -> None:
    app = scenarios.app_for(account_exchange)
    async with app.run_test(size=(80, 24)) as pilot:
        await scenarios.order_detail_view(pilot)
        record = app.screen.record
        assert record.order_id == account_exchange.ids["resting"] and record.client_order_id == "desk-btc-3"
        values = dict((r[0], r[1]) for r in cells(app.screen.query_one("#detail-fields")))
        assert values["status"] == "live" and values["price"] == "63,500.00" and values["remaining"] == "0.03"
        assert [f.amount for f in record.fills] == [Decimal("0.02")] and record.fills[0].liquidity is Liquidity.MAKER
        assert app.screen.query_one("#detail-fills").row_count == 1


async def test_an_unfilled_order_shows_no_average_price(account_exchange) -> None:
    """Issue 13: the average price of an order without a fill read ``0`` in history and detail (``—`` in the
    blotter)."""
    app = scenarios.app_for(account_exchange)
    async with app.run_test(size=(80, 24)) as pilot:
        await scenarios.history_view(pilot)
        rows = {row[9]: row for row in cells(app.screen.query_one("#history-orders"))}
        cancelled, filled = rows[account_exchange.ids["cancelled"]], rows[account_exchange.ids["filled"]]
        assert (cancelled[5], cancelled[6]) == ("0", "—")
        assert (filled[3], filled[4], filled[6]) == ("64,250.00", "0.25", "64,250.00")
        await pilot.press("escape")
        app.push_screen(OrderDetailScreen(app.account, app.clock_ms, order_id=account_exchange.ids["cancelled"]))
        await wait_for(pilot, lambda: getattr(app.screen, "record", None) is not None, what="the order's detail")
        await pilot.pause()
        values = dict((r[0], r[1]) for r in cells(app.screen.query_one("#detail-fields")))
        assert (values["avg price"], values["filled"], values["price"]) == ("—", "0", "60,000.00")


async def test_wrap_form_sends_and_refuses_bad_amounts(account_exchange) -> None:
    app = scenarios.app_for(account_exchange)
    async with app.run_test(size=(80, 24)) as pilot:
        await scenarios.wrap_view(pilot)
        assert "buy 250.00 GUSD for 250.00 USD" in app.screen.receipt_text
        balances = {b["currency"]: b["amount"]
                    for b in engine_call(account_exchange, "balances", account_exchange.server.demo_account_id)}
        assert balances["GUSD"] == "25250"
        # Issue 13: the symbol dropdown kept a stale "loading…" line after the symbols had loaded.
        select = app.screen.query_one("#wrap-symbol")
        select.expanded = True
        await pilot.pause()
        overlay = select.query_one("SelectOverlay")
        lines = [str(overlay.get_option_at_index(i).prompt) for i in range(overlay.option_count)]
        assert "GUSDUSD" in lines and not any("loading" in line for line in lines), lines
        select.expanded = False
        await pilot.pause()
        app.screen.query_one("#wrap-amount").value = "-3"
        app.screen.query_one("#wrap-amount").focus()
        await pilot.press("enter")
        await pilot.pause()
        assert "positive decimal" in str(app.screen.query_one("#view-status").render())


async def test_master_key_switches_sub_accounts(account_exchange) -> None:
    app = scenarios.app_for(account_exchange, "master")
    async with app.run_test(size=(80, 24)) as pilot:
        await scenarios.sub_account_switcher(pilot)
        await pilot.press("down", "enter")
        await wait_for(pilot, lambda: app.account.account == "secondary", what="the switch")
        assert app.session.venue.rest.account == "secondary"
        await pilot.press("b")
        await wait_for(pilot, lambda: getattr(app.screen, "rows", None), what="balances")
        assert {r.currency: r.total for r in app.screen.rows} == {"BTC": 1.5, "ETH": 20, "USD": 75000}


async def test_account_key_has_no_sub_account_switcher(account_exchange) -> None:
    app = scenarios.app_for(account_exchange)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until_ready(pilot)
        await pilot.press("u")
        await pilot.pause()
        assert app.screen is app.main_screen


async def test_auditor_key_runs_read_only(account_exchange) -> None:
    app = scenarios.app_for(account_exchange, "auditor")
    async with app.run_test(size=(80, 24)) as pilot:
        await scenarios.read_only(pilot)
        assert app.main_screen.query_one("#read-only-banner").display
        assert app.main_screen.query_one("#ticket").disabled
        await pilot.press("o")
        await pilot.press("a")
        await pilot.pause()
        assert app.screen is app.main_screen  # no cancel-all confirmation
        await pilot.press("b")  # reading still works
        await wait_for(pilot, lambda: getattr(app.screen, "rows", None), what="balances")
        assert engine_call(account_exchange, "open_order_count", account_exchange.server.demo_account_id) == 1
        assert {b.currency for b in app.screen.rows} >= {"USD", "BTC"}


VIEWS = [
    ("trader", scenarios.history_view),
    ("trader", scenarios.fills_view),
    ("trader", scenarios.balances_view),
    ("trader", scenarios.fees_view),
    ("trader", scenarios.order_detail_view),
    ("trader", scenarios.wrap_view),
    ("master", scenarios.sub_account_switcher),
    ("auditor", scenarios.read_only),
]


@pytest.mark.parametrize(("role", "scenario"), VIEWS, ids=[s.__name__ for _, s in VIEWS])
def test_account_view_snapshots(snap_compare, snapshot_account_exchange, role, scenario) -> None:
    app = scenarios.app_for(snapshot_account_exchange, role)
    assert snap_compare(app, terminal_size=(80, 24), run_before=scenario)


async def test_missing_role_on_an_order_turns_the_console_read_only(account_exchange) -> None:
    # The key starts as a Trader, then loses the role on the venue mid-session (as when it is edited on the
    # website): the start-up probe passed, so the refused order is what switches the console to read-only.
    server = account_exchange.server
    app = scenarios.app_for(account_exchange)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until_ready(pilot)
        assert not app.read_only
        demoted = ApiKey(DEMO_API_KEY, DEMO_API_SECRET, server.demo_account_id, frozenset({AUDITOR}))
        account_exchange.call(server.keystore.add, demoted)
        await pilot.press("o", *"63000.00", "tab", *"0.01", "enter")
        await wait_for(pilot, lambda: app.read_only, what="read-only after MissingRole")
        assert app.main_screen.query_one("#read-only-banner").display
        assert app.main_screen.query_one("#ticket").disabled
        assert engine_call(account_exchange, "open_order_count", server.demo_account_id) == 1  # nothing placed
