"""A cancel asked while a cancel-replace is in flight wins: `e`, Enter, then `d` `a` `y` (or `x`, `s`, `a`) on the
order being replaced must leave nothing working. Found at the desk: the replacement waited for the old order's
cancel confirmation, then was sent after the trader had cancelled every order of the symbol."""

from __future__ import annotations

import asyncio

from console.tui.screens.scoped import ConfirmScopedCancel, ScopeChooser
from console.tui.widgets.orders_table import OrdersTable
from console.tui.widgets.status_pane import StatusPane
from console.tui.widgets.ticket import OrderTicket
from tests.support.console_app import wait_for, wait_until_ready


def _active(exchange) -> list[dict]:
    return exchange.call(exchange.server.engine.active_orders, exchange.server.demo_account_id)


def status_lines(app) -> list[str]:
    return app.main_screen.query_one(StatusPane).entries_text()


async def test_d_during_a_replace_leaves_nothing_working(console_app, exchange) -> None:
    app = console_app
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until_ready(pilot)
        await pilot.press("o", *"62500.00", "tab", *"0.01", "enter")
        await wait_for(pilot, lambda: len(app.session.blotter.open_orders()) == 1
                       and app.session.blotter.open_orders()[0].order_id != "", what="the working order")
        await pilot.press("escape")
        assert isinstance(app.focused, OrdersTable)
        old_id = app.session.blotter.open_orders()[0].order_id
        # The venue's cancel answers are held back: the replace waits for its cancel's confirmation.
        gate = asyncio.Event()
        venue = app.session.venue
        cancel = venue.cancel
        cancels: list[str] = []

        async def held_cancel(order_id: str):
            cancels.append(order_id)
            await gate.wait()
            return await cancel(order_id)

        venue.cancel = held_cancel
        await pilot.press("e")
        ticket = app.main_screen.query_one(OrderTicket)
        assert ticket.replacing is not None
        await pilot.press(*["backspace"] * 8, *"62400.00", "enter")
        await wait_for(pilot, lambda: cancels == [old_id], what="the replace's cancel on its way")
        await pilot.press("escape")
        await pilot.press("d")
        await wait_for(pilot, lambda: isinstance(app.screen, ScopeChooser), what="the scope chooser")
        await pilot.press("a")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScopedCancel), what="the preview")
        await pilot.press("y")
        await wait_for(pilot, lambda: app.screen is app.main_screen, what="the main screen")
        gate.set()
        await wait_for(pilot, lambda: any("not sent" in line and "cancel" in line for line in status_lines(app)),
                       what="the replace withdrawn")
        await pilot.pause(0.3)
        assert _active(exchange) == []
        assert app.session.blotter.open_orders() == []
