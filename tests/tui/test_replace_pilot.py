"""Cancel-replace from the blotter: `e` loads the selected order into the ticket in replace mode; Enter replaces it."""

from __future__ import annotations

from decimal import Decimal

from textual.widgets import Input

from console.domain.model import OrderState
from console.exchange.faults import FaultKind
from console.trading.journal import Journal, default_path
from console.tui.widgets.orders_table import OrdersTable
from console.tui.widgets.status_pane import StatusPane
from console.tui.widgets.ticket import OrderTicket
from tests.support.console_app import wait_for, wait_until_ready


async def place_order(pilot, app) -> str:
    await pilot.press("o", *"62500.00", "tab", *"0.01", "enter")
    await wait_for(pilot, lambda: len(app.session.blotter.open_orders()) == 1
                   and app.session.blotter.open_orders()[0].order_id != "", what="the working order")
    await pilot.press("escape")
    assert isinstance(app.focused, OrdersTable)
    return app.session.blotter.open_orders()[0].order_id


def status_lines(app) -> list[str]:
    return app.main_screen.query_one(StatusPane).entries_text()


async def test_e_loads_the_order_into_the_ticket_and_enter_replaces_it(console_app, exchange):
    app = console_app
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until_ready(pilot)
        old_id = await place_order(pilot, app)
        ticket = app.main_screen.query_one(OrderTicket)
        await pilot.press("e")
        short = old_id[-6:]
        assert ticket.replacing is not None and ticket.replacing.order_id == old_id
        assert ticket.border_title == f"Replace #{short}" and ticket.has_class("-replace")
        assert ticket.place_label.startswith(f"REPLACE #{short}: BUY 0.01 BTCUSD")
        price = ticket.query_one("#price", Input)
        assert (price.value, ticket.query_one("#amount", Input).value) == ("62500.00", "0.01")
        assert app.focused is price
        await pilot.press(*["backspace"] * 8, *"62400.00", "enter")
        await wait_for(pilot, lambda: any("replaced #" in line for line in status_lines(app)), what="the story")
        old = app.session.blotter.get(old_id)
        assert old.state is OrderState.CANCELLED
        (new,) = app.session.blotter.open_orders()
        assert new.order_id != old_id and new.price == Decimal("62400.00") and new.amount == Decimal("0.01")
        story = next(line for line in status_lines(app) if "replaced #" in line)
        assert f"replaced #{short} by #{new.order_id[-6:]}, nothing filled before the cancel." in story
        table = app.main_screen.query_one(OrdersTable)
        await wait_for(pilot, lambda: [o.order_id for o in table.view.rows()] == [new.order_id],
                       what="the table to show the new row only")
        assert ticket.replacing is None and ticket.border_title == "Order ticket"
        active = exchange.call(exchange.server.engine.active_orders, exchange.server.demo_account_id)
        assert [o["order_id"] for o in active] == [new.order_id]
        # The journal has both legs: the old order's cancel (request and answer) and the replacement's place.
        journal = Journal(default_path())
        try:
            cancel_leg = [(r.direction, r.path) for r in journal.records(order=old_id) if "cancel" in r.path]
            place_leg = [(r.direction, r.path) for r in journal.records(order=new.client_order_id)
                         if r.path.endswith("/order/new")]
        finally:
            journal.close()
        assert {"request", "response"} <= {direction for direction, _ in cancel_leg}, cancel_leg
        assert {"request", "response"} <= {direction for direction, _ in place_leg}, place_leg


async def test_esc_leaves_replace_mode_and_a_side_change_is_refused(console_app, exchange):
    app = console_app
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until_ready(pilot)
        old_id = await place_order(pilot, app)
        ticket = app.main_screen.query_one(OrderTicket)
        await pilot.press("e")
        assert ticket.replacing is not None
        await pilot.press("ctrl+s", "enter")  # a sell replacing a buy is no replacement: nothing is sent
        await pilot.pause()
        assert "keeps the side BUY" in str(ticket.query_one("#error-side").content)
        assert app.session.blotter.get(old_id).state is OrderState.LIVE
        await pilot.press("escape")
        assert ticket.replacing is None and not ticket.has_class("-replace")
        assert ticket.border_title == "Order ticket" and not ticket.place_label.startswith("REPLACE")
        await pilot.press("e", "escape")  # from the table too: Esc leaves replace mode
        assert ticket.replacing is None


async def test_e_on_nothing_or_on_an_order_being_cancelled_changes_nothing_and_says_why(console_app, exchange):
    app = console_app
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until_ready(pilot)
        ticket = app.main_screen.query_one(OrderTicket)
        await pilot.press("escape", "e")
        await wait_for(pilot, lambda: any("Not replaced: Select an order" in line for line in status_lines(app)),
                       what="the reason")
        assert ticket.replacing is None and ticket.border_title == "Order ticket"
        old_id = await place_order(pilot, app)
        # The cancel is held at the exchange: the order stays pending-cancel, and cannot be replaced meanwhile.
        exchange.call(exchange.server.faults.arm, FaultKind.HANG, path="/v1/order/cancel", delay_s=5.0)
        await pilot.press("x")
        await wait_for(pilot, lambda: app.session.blotter.get(old_id).state is OrderState.PENDING_CANCEL,
                       what="the pending cancel")
        await pilot.press("e")
        await wait_for(pilot, lambda: any(f"Not replaced: #{old_id[-6:]} is already being cancelled" in line
                                          for line in status_lines(app)), what="the reason")
        assert ticket.replacing is None and ticket.query_one("#price", Input).value == "62500.00"
        exchange.call(exchange.server.faults.clear)
        await wait_for(pilot, lambda: app.session.blotter.get(old_id).state is OrderState.CANCELLED,
                       what="the cancel")
