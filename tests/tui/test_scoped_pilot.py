"""Scoped cancels (`d`: chooser → preview → one cancel per order) and flatten (`F`: confirmation → IOC order) on
the console against the local exchange; escape at each dialog sends nothing."""

from __future__ import annotations

from decimal import Decimal

from console.domain.model import Side
from console.exchange.keys import DEMO_API_KEY
from console.tui.screens.guard_confirm import GuardConfirm
from console.tui.screens.scoped import ConfirmFlatten, ConfirmScopedCancel, ScopeChooser
from console.tui.widgets.orders_table import OrdersTable
from console.tui.widgets.status_pane import StatusPane
from tests.support.console_app import wait_for, wait_until_ready
from tests.support.desk import buy_eth, ethusd_in_the_ticket


def active(exchange) -> list[dict]:
    return exchange.call(exchange.server.engine.active_orders, exchange.server.demo_account_id)


def seed(exchange) -> None:
    """Three ETHUSD orders of this key (two buys, one sell), one from the web UI, and one BTCUSD buy."""
    engine, account = exchange.server.engine, exchange.server.demo_account_id
    for session, symbol, side, price in [
        (DEMO_API_KEY, "ethusd", "buy", "3000.00"),
        (DEMO_API_KEY, "ethusd", "buy", "3010.00"),
        (DEMO_API_KEY, "ethusd", "sell", "3300.00"),
        ("UI", "ethusd", "buy", "2990.00"),
        (DEMO_API_KEY, "btcusd", "buy", "63000.00"),
    ]:
        exchange.call(engine.place_order, account, session, symbol=symbol, side=side, order_type="exchange limit",
                      amount="1" if symbol == "ethusd" else "0.01", price=price, stop_price=None, options=[],
                      client_order_id=None)


def status_lines(app) -> list[str]:
    return app.main_screen.query_one(StatusPane).entries_text()


async def select_symbol_row(pilot, symbol: str) -> None:
    table = pilot.app.main_screen.query_one(OrdersTable)
    table.focus()
    await pilot.press("home")
    for _ in range(len(table.view)):
        if table.selected_order is not None and table.selected_order.symbol == symbol:
            return
        await pilot.press("down")
    raise AssertionError(f"no {symbol} row")


async def ready_with_orders(pilot, exchange) -> None:
    app = pilot.app
    await wait_until_ready(pilot)
    await wait_for(pilot, lambda: app.session.open_order_count() == 5, what="the seeded orders")


def symbols_left(exchange) -> list[tuple[str, str, str]]:
    return sorted((o["symbol"], o["side"], o["price"]) for o in active(exchange))


async def test_d_symbol_scope_previews_then_cancels_exactly_that_symbols_orders(exchange, console_app) -> None:
    seed(exchange)
    app = console_app
    async with app.run_test(size=(120, 36)) as pilot:
        await ready_with_orders(pilot, exchange)
        await select_symbol_row(pilot, "ethusd")
        await pilot.press("d")
        await wait_for(pilot, lambda: isinstance(app.screen, ScopeChooser), what="the chooser")
        choices = [str(s.content) for s in app.screen.query(".choice")]
        assert choices[:3] == ["a  ETHUSD: 4 orders", "b  ETHUSD buy: 3 orders", "s  ETHUSD sell: 1 order"]
        await pilot.press("a")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScopedCancel), what="the preview")
        titles = [str(s.content) for s in app.screen.query(".group-title")]
        assert titles == ["This session: 3", "Other API sessions: 0", "Web UI: 1"]
        assert str(app.screen.query_one("#title").content) == "Cancel 4 orders of ETHUSD?"
        await pilot.press("y")
        await wait_for(pilot, lambda: symbols_left(exchange) == [("btcusd", "buy", "63000.00")],
                       what="the ETHUSD orders cancelled, the BTCUSD order working")
        await wait_for(pilot, lambda: any("cancelled 4 ETHUSD orders" in line for line in status_lines(app)),
                       what="the scope's status line")


async def test_d_side_scope_cancels_only_that_side(exchange, console_app) -> None:
    seed(exchange)
    app = console_app
    async with app.run_test(size=(120, 36)) as pilot:
        await ready_with_orders(pilot, exchange)
        await select_symbol_row(pilot, "ethusd")
        await pilot.press("d")
        await wait_for(pilot, lambda: isinstance(app.screen, ScopeChooser), what="the chooser")
        await pilot.press("s")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScopedCancel), what="the preview")
        await pilot.press("enter")  # the focused Cancel button
        await wait_for(pilot, lambda: len(active(exchange)) == 4, what="the sell cancelled")
        assert all(o["side"] == "buy" for o in active(exchange))
        await wait_for(pilot, lambda: any("cancelled 1 ETHUSD sell order" in line for line in status_lines(app)),
                       what="the scope's status line")


async def test_d_filter_scope_takes_the_tables_filter(exchange, console_app) -> None:
    seed(exchange)
    app = console_app
    async with app.run_test(size=(120, 36)) as pilot:
        await ready_with_orders(pilot, exchange)
        table = app.main_screen.query_one(OrdersTable)
        table.focus()
        await pilot.press("2")  # side filter: buys (every symbol)
        await wait_for(pilot, lambda: table.view.filter.side is Side.BUY, what="the buy filter")
        await pilot.press("d")
        await wait_for(pilot, lambda: isinstance(app.screen, ScopeChooser), what="the chooser")
        assert "f  filter buy: 4 orders" in [str(s.content) for s in app.screen.query(".choice")]
        await pilot.press("f")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScopedCancel), what="the preview")
        await pilot.press("y")
        await wait_for(pilot, lambda: symbols_left(exchange) == [("ethusd", "sell", "3300.00")],
                       what="every buy cancelled, the sell working")


async def test_escape_at_the_chooser_and_at_the_preview_cancels_nothing(exchange, console_app) -> None:
    seed(exchange)
    app = console_app
    async with app.run_test(size=(120, 36)) as pilot:
        await ready_with_orders(pilot, exchange)
        await select_symbol_row(pilot, "ethusd")
        await pilot.press("d")
        await wait_for(pilot, lambda: isinstance(app.screen, ScopeChooser), what="the chooser")
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is app.main_screen, what="the main screen")
        await pilot.press("d")
        await wait_for(pilot, lambda: isinstance(app.screen, ScopeChooser), what="the chooser again")
        await pilot.press("a")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScopedCancel), what="the preview")
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is app.main_screen, what="the main screen")
        await pilot.pause(0.2)
        assert len(active(exchange)) == 5
        assert app.session.open_order_count() == 5
        assert not any(o.state.value == "pending_cancel" for o in app.session.blotter.open_orders())


async def test_f_flattens_the_position_after_the_confirmation(exchange, console_app) -> None:
    app = console_app
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until_ready(pilot)
        await ethusd_in_the_ticket(pilot)
        await buy_eth(pilot, "0.5")
        app.main_screen.query_one(OrdersTable).focus()
        await pilot.press("F")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmFlatten), what="the flatten confirmation")
        order = app.screen.plan.order
        assert order.side is Side.SELL and order.amount == Decimal("0.5")
        assert order.options == (order.options[0],) and order.options[0].value == "immediate-or-cancel"
        body = str(app.screen.query_one("#body").content)
        assert "Sell 0.5 ETH, immediate-or-cancel, at a price limit of" in body and "notional" in body
        assert "best bid" in body and "50 bps" in body
        assert str(app.screen.query_one("#order").content).startswith("SELL 0.5 ETHUSD limit IOC @ ")
        await pilot.press("y")
        await wait_for(pilot, lambda: app.positions.position("ethusd").net == 0, what="the position flat")
        assert not isinstance(app.screen, GuardConfirm)
        assert any("Flatten ETHUSD" in line for line in status_lines(app))


async def test_escape_at_the_flatten_confirmation_sends_nothing(exchange, console_app) -> None:
    app = console_app
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until_ready(pilot)
        await ethusd_in_the_ticket(pilot)
        await buy_eth(pilot, "0.3")
        orders_before = len(app.session.blotter)
        app.main_screen.query_one(OrdersTable).focus()
        await pilot.press("F")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmFlatten), what="the flatten confirmation")
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is app.main_screen, what="the main screen")
        await pilot.pause(0.2)
        assert len(app.session.blotter) == orders_before
        assert app.positions.position("ethusd").net == Decimal("0.3")


async def test_f_without_a_position_says_so_and_sends_nothing(exchange, console_app) -> None:
    app = console_app
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until_ready(pilot)
        await wait_for(pilot, lambda: app.positions.loads >= 1, what="the positions loaded")
        symbol = app.main_screen.query_one("#symbol").value
        await pilot.press("F")
        await wait_for(pilot, lambda: any("NotSent" in line and "position to flatten" in line
                                          for line in status_lines(app)), what="the refusal")
        assert app.screen is app.main_screen
        assert len(app.session.blotter) == 0 and active(exchange) == []
        assert symbol.upper() in " ".join(status_lines(app))


async def test_f_never_sells_more_than_the_available_balance(exchange, console_app) -> None:
    app = console_app
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until_ready(pilot)
        await ethusd_in_the_ticket(pilot)
        await buy_eth(pilot, "0.5")
        # A resting sell from the web UI holds all but 0.2 of the account's ETH (200 at the start, 200.5 now).
        exchange.call(exchange.server.engine.place_order, exchange.server.demo_account_id, "UI", symbol="ethusd",
                      side="sell", order_type="exchange limit", amount="200.3", price="3300.00", stop_price=None,
                      options=[], client_order_id=None)
        app.main_screen.query_one(OrdersTable).focus()
        await pilot.press("F")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmFlatten), what="the flatten confirmation")
        assert app.screen.plan.order.amount == Decimal("0.2")
        body = str(app.screen.query_one("#body").content)
        assert "Sell 0.2 ETH" in body and "Capped at the available 0.2 ETH" in body
        await pilot.press("n")
        await wait_for(pilot, lambda: app.screen is app.main_screen, what="the main screen")
