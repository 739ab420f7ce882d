"""Quitting with orders working asks first, saying how many and what cancel-on-exit will do; otherwise at once."""

from __future__ import annotations

from decimal import Decimal

import pytest

from console.domain.model import Order, OrderState, OrderType, Side
from console.trading.deadman import DeadManSwitch
from console.tui.screens.confirm import ConfirmQuit
from console.tui.widgets.orders_table import OrdersTable
from tests.support.console_app import wait_for, wait_until_ready


def dialog_text(dialog: ConfirmQuit) -> str:
    return " ".join(str(dialog.query_one(f"#{part}").content) for part in ("title", "body"))


async def place_order(pilot, app) -> None:
    await pilot.press("o", *"62500.00", "tab", *"0.01", "enter")
    await wait_for(pilot, lambda: len(app.session.blotter.open_orders()) == 1
                   and app.session.blotter.open_orders()[0].order_id != "", what="the working order")
    await pilot.press("escape")
    assert isinstance(app.focused, OrdersTable)


@pytest.mark.parametrize("key", ["q", "ctrl+q"])
async def test_quit_without_working_orders_is_immediate(console_app, key):
    app = console_app
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until_ready(pilot)
        await pilot.press(key)
        await wait_for(pilot, lambda: app.return_code is not None, what="the exit")
        assert not isinstance(app.screen, ConfirmQuit)


async def test_quit_with_a_working_order_asks_and_says_the_order_stays(console_app):
    app = console_app  # no dead-man switch: nothing cancels on exit
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until_ready(pilot)
        await place_order(pilot, app)
        await pilot.press("q")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmQuit), what="the quit dialog")
        text = dialog_text(app.screen)
        assert "Quit with 1 order working?" in text
        assert "Cancel-on-exit is off: 1 order stays working on the exchange after you quit." in text
        await pilot.press("q")  # not a key of the dialog: nothing happens
        await pilot.press("n")
        await wait_for(pilot, lambda: app.screen is app.main_screen, what="the main screen again")
        assert app.return_code is None
        await pilot.press("ctrl+q")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmQuit), what="the quit dialog for Ctrl+Q")
        await pilot.press("ctrl+q")  # a second Ctrl+Q neither quits nor stacks a second dialog
        await pilot.pause()
        assert app.return_code is None and [type(s) for s in app.screen_stack].count(ConfirmQuit) == 1
        await pilot.press("y")
        await wait_for(pilot, lambda: app.return_code is not None, what="the exit")
    assert len(app.session.blotter.open_orders()) == 1


async def test_quit_with_cancel_on_exit_says_the_session_orders_are_cancelled(console_app):
    app = console_app
    app.deadman = DeadManSwitch(app.session, heartbeat=False, cancel_on_exit=True)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until_ready(pilot)
        await place_order(pilot, app)
        await pilot.press("q")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmQuit), what="the quit dialog")
        assert ("Cancel-on-exit is on: quitting cancels this session's 1 order (/v1/order/cancel/session)."
                in dialog_text(app.screen))
        await pilot.press("y")
        await wait_for(pilot, lambda: app.return_code is not None, what="the exit")
    assert app.deadman.exit_cancelled == 1


def test_the_dialog_counts_other_sessions_orders_as_staying():
    def order(n: int, api_session: str) -> Order:
        return Order(order_id=str(n), client_order_id=f"c-{n}", symbol="btcusd", side=Side.BUY,
                     order_type=OrderType.LIMIT, price=Decimal("60000"), amount=Decimal("0.01"),
                     state=OrderState.LIVE, created_ms=n, api_session=api_session)

    orders = [order(1, "key-1"), order(2, "UI"), order(3, "key-2")]
    on = ConfirmQuit(orders=orders, api_key="key-1", cancel_on_exit=True, heartbeat=False)
    assert on.outcome() == ("Cancel-on-exit is on: quitting cancels this session's 1 order "
                            "(/v1/order/cancel/session). The other 2 orders stay working on the exchange "
                            "(web UI, other API sessions).")
    off = ConfirmQuit(orders=orders, api_key="key-1", cancel_on_exit=False, heartbeat=True)
    assert off.outcome() == ("Cancel-on-exit is off: 3 orders stay working on the exchange after you quit. "
                             "With a Require-Heartbeat key the exchange cancels them 30 s after the last "
                             "heartbeat.")
