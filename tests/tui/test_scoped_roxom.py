"""Scoped cancels and flatten on the embedded local Roxom venue (its market maker quoting): the same keys, the same
dialogs, through the venue interface; a perpetual's long is not capped by a spot balance."""

from __future__ import annotations

import time
from collections.abc import Iterator
from decimal import Decimal

import pytest
from textual.pilot import Pilot

from console.domain.model import OrderState, OrderType, Side
from console.domain.positions import PositionStart
from console.domain.ticket import TicketInput
from console.exchange.process import LocalExchangeInfo, LocalExchangeProcess
from console.tui.app import TradingConsoleApp
from console.tui.screens.scoped import ConfirmFlatten, ConfirmScopedCancel, ScopeChooser
from console.tui.widgets.orders_table import OrdersTable
from tests.support.console_app import wait_for, wait_until_ready
from tests.support.roxom_scenarios import roxom_console


@pytest.fixture(scope="module")
def roxom() -> Iterator[LocalExchangeInfo]:
    with LocalExchangeProcess() as process:
        yield process.start(venue="roxom", simulator=True)


async def buy_one_through_the_ask(app: TradingConsoleApp, pilot: Pilot[None]) -> Decimal:
    """Buy 1 GOLD-BTC through the ask once the book and the positions are loaded; returns the venue's own position
    before the buy (the module's venue keeps it across tests) once the venue reports it 1 higher."""
    book = app.market.book
    await wait_for(pilot, lambda: book.best_ask is not None, what="the GOLD-BTC book")
    rules = app.session.rules["gold-btc"]
    through = format((book.best_ask * Decimal("1.005")).quantize(rules.price_increment), "f")
    await wait_for(pilot, lambda: app.positions.loads >= 1, what="the positions loaded")
    before = app.positions.net("gold-btc") or Decimal(0)
    await app.session.submit(app.session.prepare(TicketInput("gold-btc", Side.BUY, OrderType.LIMIT, through, "1")))
    await wait_for(pilot, lambda: app.positions.net("gold-btc") == before + 1, what="the bought position")
    return before


async def test_roxom_symbol_scope_cancels_each_order_by_id(roxom: LocalExchangeInfo) -> None:
    app = roxom_console(roxom, "roxscope")
    async with app.run_test(size=(140, 40)) as pilot:
        await wait_until_ready(pilot)
        book = app.market.book
        await wait_for(pilot, lambda: book.best_bid is not None, what="the GOLD-BTC book")
        rules = app.session.rules["gold-btc"]
        below = (book.best_bid * Decimal("0.99")).quantize(rules.price_increment)
        for step in range(2):
            price = format(below - step * rules.price_increment, "f")
            order = app.session.prepare(TicketInput("gold-btc", Side.BUY, OrderType.LIMIT, price, "1"))
            await app.session.submit(order)
        table = app.screen.query_one(OrdersTable)
        await wait_for(pilot, lambda: table.order_count() == 2
                       and all(o.state is OrderState.LIVE for o in app.session.blotter.open_orders()),
                       what="two live GOLD-BTC orders")
        table.focus()
        await pilot.press("d")
        await wait_for(pilot, lambda: isinstance(app.screen, ScopeChooser), what="the chooser")
        await pilot.press("a")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScopedCancel), what="the preview")
        assert [str(s.content) for s in app.screen.query(".group-title")][0] == "This session: 2"
        await pilot.press("y")
        await wait_for(pilot, lambda: not app.session.blotter.open_orders(), what="both cancelled")


async def test_roxom_flatten_sells_the_whole_perpetual_long(roxom: LocalExchangeInfo) -> None:
    app = roxom_console(roxom, "roxscope")
    async with app.run_test(size=(140, 40)) as pilot:
        await wait_until_ready(pilot)
        before = await buy_one_through_the_ask(app, pilot)
        await pilot.press("F")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmFlatten), what="the flatten confirmation")
        assert app.screen.plan.order.side is Side.SELL and app.screen.plan.order.amount == before + 1
        body = str(app.screen.query_one("#body").content)  # the base unit is GOLD, not the symbol's "GOLD-"
        assert f"Sell {before + 1} GOLD," in body and "GOLD-," not in body and "GOLD- (" not in body, body
        await pilot.press("y")
        await wait_for(pilot, lambda: app.positions.net("gold-btc") is None, what="flat")


async def test_roxom_flatten_closes_the_venue_s_position_even_with_no_fill_since_the_start(
        roxom: LocalExchangeInfo) -> None:
    """Roxom keeps positions itself: F flattens what the venue holds (the positions view's number), not only the
    fills counted since the positions' start (a position carried over from yesterday would otherwise stay open)."""
    app = roxom_console(roxom, "roxscope")
    async with app.run_test(size=(140, 40)) as pilot:
        await wait_until_ready(pilot)
        before = await buy_one_through_the_ask(app, pilot)
        app.positions.set_start(PositionStart.SINCE, since_ms=int(time.time() * 1000) + 60_000)  # no fill counts
        await app.positions.reload()
        assert app.positions.position("gold-btc") is None and app.positions.net("gold-btc") == before + 1
        await pilot.press("F")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmFlatten), what="the flatten confirmation")
        assert app.screen.plan.order.side is Side.SELL and app.screen.plan.order.amount == before + 1
        await pilot.press("y")
        await wait_for(pilot, lambda: app.positions.net("gold-btc") is None, what="flat at the venue")
