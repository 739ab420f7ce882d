"""A trading hotkey always places a new order: with the ticket left in replace mode (`e`, then Tab past the Place
button to the orders table), `B` must not cancel-replace the loaded order (found at the desk)."""

from __future__ import annotations

from decimal import Decimal

from console.app.config import load_config
from console.domain.model import OrderType, Side
from console.domain.ticket import TicketInput
from console.tui.widgets.orders_table import OrdersTable
from console.tui.widgets.ticket import OrderTicket
from tests.support.console_app import make_app, wait_for, wait_until_ready


def _active(exchange) -> list[dict]:
    return exchange.call(exchange.server.engine.active_orders, exchange.server.demo_account_id)


async def test_B_after_tabbing_out_of_a_replace_places_a_new_order_and_keeps_the_old_one(exchange) -> None:
    desk = load_config({"toasts": "false", "bell": "false", "ticket.default_size.btcusd": "0.01"}, environ={})
    app = make_app(exchange.server.rest_url, exchange.server.ws_url, desk=desk)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until_ready(pilot)
        order = app.session.prepare(TicketInput("btcusd", Side.BUY, OrderType.LIMIT, "60000.00", "0.02"))
        await app.session.submit(order)
        table = app.main_screen.query_one(OrdersTable)
        await wait_for(pilot, lambda: table.order_count() == 1 and table.selected_order is not None
                       and table.selected_order.order_id, what="the resting order")
        old_id = table.selected_order.order_id
        table.focus()
        await pilot.press("e")
        ticket = app.main_screen.query_one(OrderTicket)
        await wait_for(pilot, lambda: ticket.replacing is not None, what="replace mode")
        for _ in range(12):  # Tab walks the ticket's fields, the status pane, then the orders table
            if app.focused is table:
                break
            await pilot.press("tab")
        assert app.focused is table and ticket.replacing is not None
        await pilot.press("B")
        await wait_for(pilot, lambda: len(_active(exchange)) == 2, what="the hotkey's new order beside the old one")
        ids = {o["order_id"] for o in _active(exchange)}
        assert old_id in ids
        assert {Decimal(o["original_amount"]) for o in _active(exchange)} == {Decimal("0.02"), Decimal("0.01")}
        assert ticket.replacing is None
