"""Issue 19: hotkeys with default sizes (B/S join the touch, K/J take the other side, n flips the ticket's side),
through the ticket's own validation and guards; and one completion line per order instead of a line per fill."""

from __future__ import annotations

from decimal import Decimal

from textual.widgets import Static

from console.app.config import load_config
from console.domain.model import OrderState, Side
from console.tui.screens.guard_confirm import GuardConfirm
from console.tui.screens.help import HelpScreen
from console.tui.widgets.orders_table import OrdersTable
from console.tui.widgets.status_pane import StatusPane
from console.tui.widgets.ticket import OrderTicket
from tests.support.console_app import make_app, wait_for, wait_until_ready
from tests.support.exchange_thread import ExchangeThread


def _desk(**settings: str):
    return load_config({"toasts": "false", "bell": "false", **settings}, environ={})


def _active(exchange):
    return exchange.call(exchange.server.engine.active_orders, exchange.server.demo_account_id)


def _pane(app) -> list[str]:
    return app.screen.query_one(StatusPane).entries_text()


async def test_B_and_S_place_the_default_size_joining_the_touch_from_the_orders_table(exchange):
    app = make_app(exchange.server.rest_url, exchange.server.ws_url,
                   desk=_desk(**{"ticket.default_size.btcusd": "0.01"}))
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until_ready(pilot)
        table = app.screen.query_one(OrdersTable)
        assert app.focused is table
        bid, ask = exchange.call(exchange.server.engine.best_bid_ask, "btcusd")
        await pilot.press("B")
        await wait_for(pilot, lambda: table.order_count() == 1 and table.selected_order.state is OrderState.LIVE,
                       what="the hotkey's order in the table")
        ticket = app.screen.query_one(OrderTicket)
        assert ticket.read().price == format(bid, "f") and ticket.read().amount == "0.01" and ticket.side is Side.BUY
        await pilot.press("S")
        await wait_for(pilot, lambda: len(_active(exchange)) == 2, what="the sell at the ask")
        placed = {(o["side"], Decimal(o["price"]), Decimal(o["original_amount"])) for o in _active(exchange)}
        assert placed == {("buy", bid, Decimal("0.01")), ("sell", ask, Decimal("0.01"))}
        assert app.focused is table  # the hotkey leaves the focus where it was


async def test_a_default_size_above_the_guard_asks_first_and_a_no_sends_nothing(exchange):
    app = make_app(exchange.server.rest_url, exchange.server.ws_url,
                   desk=_desk(**{"ticket.default_size.btcusd": "1", "guards.max_quantity.btcusd": "0.5"}))
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until_ready(pilot)
        await pilot.press("K")  # buy at the ask
        await wait_for(pilot, lambda: isinstance(app.screen, GuardConfirm), what="the guard's question")
        assert "Amount 1 BTC is above the maximum 0.5 BTC for BTCUSD." in " ".join(
            str(s.content) for s in app.screen.query(".breach"))
        await pilot.press("n")
        error = app.main_screen.query_one(OrderTicket).query_one("#error-amount")
        await wait_for(pilot, lambda: error.has_class("-visible"), what="the reason under the amount")
        assert str(error.content).startswith("Not sent: Amount 1 BTC is above the maximum")
        assert _active(exchange) == [] and app.session.blotter.orders() == []


async def test_n_flips_the_tickets_side_from_the_main_screen(console_app):
    app = console_app
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until_ready(pilot)
        ticket = app.screen.query_one(OrderTicket)
        assert ticket.side is Side.BUY
        await pilot.press("n")
        assert ticket.side is Side.SELL and ticket.has_class("-sell")
        await pilot.press("l", "n")  # from the status pane too
        assert ticket.side is Side.BUY
        await pilot.press("escape", "question_mark")  # the help screen lists them
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen), what="the help screen")
        shown = str(app.screen.query_one("#key-list", Static).content).splitlines()
        for key, words, binding_id in (("B", "Buy default @ bid", "main.buy_join"),
                                       ("S", "Sell default @ ask", "main.sell_join"),
                                       ("K", "Buy default @ ask", "main.buy_take"),
                                       ("J", "Sell default @ bid", "main.sell_take"),
                                       ("n", "Flip ticket side", "main.flip_side")):
            assert f"  {key:<11} {words:<22} {binding_id}" in shown


async def test_without_a_book_or_a_default_size_a_hotkey_says_so_and_sends_nothing():
    with ExchangeThread(port=0, simulator=False, heartbeat_interval_s=0.5) as empty:  # no market maker: no book
        app = make_app(empty.server.rest_url, empty.server.ws_url,
                       desk=_desk(**{"ticket.default_size.btcusd": "0.01"}))
        async with app.run_test(size=(120, 36)) as pilot:
            await wait_until_ready(pilot)
            assert empty.call(empty.server.engine.best_bid_ask, "btcusd") == (None, None)
            await pilot.press("B")
            await wait_for(pilot, lambda: any("No live bid in the BTCUSD book: nothing sent." in line
                                              for line in _pane(app)), what="the status line")
            await pilot.press("J")
            await wait_for(pilot, lambda: any("No live bid" in line for line in _pane(app)[1:]), what="J's line")
            app.screen.query_one(OrderTicket).query_one("#symbol").value = "solusd"  # no default size configured
            await pilot.pause()
            await pilot.press("S")
            await wait_for(pilot, lambda: any("No live ask in the SOLUSD book" in line for line in _pane(app)),
                           what="S's line")
            await pilot.pause()
            assert app.session.blotter.orders() == [] and _active(empty) == []


async def test_no_default_size_says_so_and_sends_nothing(exchange):
    app = make_app(exchange.server.rest_url, exchange.server.ws_url)  # no [ticket.default_size]
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until_ready(pilot)
        await pilot.press("B")
        await wait_for(pilot, lambda: any("No default size for BTCUSD" in line for line in _pane(app)),
                       what="the status line")
        await pilot.pause()
        assert app.session.blotter.orders() == [] and _active(exchange) == []


async def test_the_last_ticket_amount_of_a_symbol_is_its_default_size(exchange):
    app = make_app(exchange.server.rest_url, exchange.server.ws_url,
                   desk=_desk(**{"ticket.default_size.btcusd": "0.01"}))
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until_ready(pilot)
        bid, _ = exchange.call(exchange.server.engine.best_bid_ask, "btcusd")
        await pilot.press("o", *str(bid - Decimal("100")), "tab", *"0.02", "enter", "escape")
        await wait_for(pilot, lambda: len(_active(exchange)) == 1, what="the ticket's order")
        await pilot.press("B")
        await wait_for(pilot, lambda: len(_active(exchange)) == 2, what="the hotkey's order")
        assert sorted(Decimal(o["original_amount"]) for o in _active(exchange)) == [Decimal("0.02")] * 2


async def test_an_order_filled_in_several_fills_shows_one_completion_line(exchange):
    engine = exchange.server.engine
    seller = exchange.call(engine.add_account, "seller", {"BTC": "1", "USD": "0"})
    bid, ask = exchange.call(engine.best_bid_ask, "btcusd")
    inside = ask - Decimal("1.00")  # inside the spread: these two sells are the whole best ask
    assert inside > bid
    for _ in range(2):
        exchange.call(engine.place_order, seller, "UI", symbol="btcusd", side="sell", order_type="exchange limit",
                      amount="0.01", price=str(inside))
    app = make_app(exchange.server.rest_url, exchange.server.ws_url)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until_ready(pilot)
        await pilot.press("o", *str(inside), "tab", *"0.02", "enter")  # buy at the ask: two fills
        await wait_for(pilot, lambda: any(line for line in _pane(app) if "done:" in line), what="the completion line")
        (order,) = app.session.blotter.orders()
        assert order.state is OrderState.FILLED and len(order.fills) == 2
        fees = sum((f.fee for f in order.fills), start=Decimal(0))
        await pilot.pause()
        lines = _pane(app)
        done = [line for line in lines if "done:" in line]
        assert len(done) == 1, lines
        assert done[0].endswith(f"done: 0.02 @ avg {inside:,.2f}, fees {fees:,.2f} USD"), done
        assert not any("Filled" in line for line in lines), lines  # no line per fill
