"""Flatten (`F`) pressed twice in a hurry must never flatten twice: a second `F` while the first flatten is still in
flight is refused, and a confirmation whose position changed before `y` sends nothing (found at the desk: `F y F y`
sent a second SELL of the whole position, stopped only by the duplicate guard)."""

from __future__ import annotations

import asyncio
from decimal import Decimal

from console.domain.ticket import NewOrder
from console.tui.screens.scoped import ConfirmFlatten
from console.tui.widgets.orders_table import OrdersTable
from console.tui.widgets.status_pane import StatusPane
from tests.support.console_app import wait_for, wait_until_ready
from tests.support.desk import buy_eth, ethusd_in_the_ticket


def status_lines(app) -> list[str]:
    return app.main_screen.query_one(StatusPane).entries_text()


async def test_a_second_f_while_the_first_flatten_is_in_flight_is_refused(exchange, console_app) -> None:
    app = console_app
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until_ready(pilot)
        await ethusd_in_the_ticket(pilot)
        await buy_eth(pilot, "0.5", "0.5")
        # The venue's answer to the flatten order is held back: the order stays in flight (sending).
        gate = asyncio.Event()
        venue = app.session.venue
        place = venue.place
        sent: list[NewOrder] = []

        async def held_place(order: NewOrder):
            sent.append(order)
            await gate.wait()
            return await place(order)

        venue.place = held_place
        app.main_screen.query_one(OrdersTable).focus()
        await pilot.press("F")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmFlatten), what="the flatten confirmation")
        await pilot.press("y")
        await wait_for(pilot, lambda: len(sent) == 1, what="the flatten order on its way")
        await pilot.press("F")
        await wait_for(pilot, lambda: any("NotSent" in line and "already under way" in line
                                          for line in status_lines(app)), what="the second flatten refused")
        assert not isinstance(app.screen, ConfirmFlatten)
        gate.set()
        await wait_for(pilot, lambda: app.positions.position("ethusd").net == 0, what="the position flat")
        await pilot.pause(0.2)
        assert len(sent) == 1
        assert app.positions.position("ethusd").net == 0


async def test_a_flatten_confirmed_after_the_position_changed_sends_nothing(exchange, console_app) -> None:
    app = console_app
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until_ready(pilot)
        await ethusd_in_the_ticket(pilot)
        await buy_eth(pilot, "0.5", "0.5")
        app.main_screen.query_one(OrdersTable).focus()
        await pilot.press("F")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmFlatten), what="the flatten confirmation")
        assert app.screen.plan.order.amount == Decimal("0.5")
        await buy_eth(pilot, "0.3", "0.8")  # a fill lands while the confirmation is open
        orders_before = len(app.session.blotter)
        await pilot.press("y")
        await wait_for(pilot, lambda: any("NotSent" in line and "changed" in line for line in status_lines(app)),
                       what="the stale flatten refused")
        await pilot.pause(0.2)
        assert len(app.session.blotter) == orders_before
        assert app.positions.position("ethusd").net == Decimal("0.8")
