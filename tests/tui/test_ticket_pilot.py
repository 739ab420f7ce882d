"""The ticket makes side and size impossible to mistake: a two-state side in the side's colour, a button that says
what it sends, a symbol change that never carries a price over, a maximum quantity, the available balance, and a
stop already through the market warned before it is sent."""

from __future__ import annotations

from decimal import Decimal

from textual.widgets import Button, Input, Select

from console.app.config import load_config
from console.app.settings import Environment
from console.domain.fmt import fmt_money
from console.domain.model import ExecOption, OrderType, Side
from console.tui.screens.confirm import ConfirmProduction
from console.tui.screens.guard_confirm import GuardConfirm
from console.tui.widgets.side_toggle import SideToggle
from console.tui.widgets.ticket import OrderTicket
from tests.support.console_app import make_app, wait_for, wait_until_ready
from tests.support.scenarios import seed_trades


def _ticket(app) -> OrderTicket:
    return app.screen.query_one(OrderTicket)


def _available(exchange, currency: str) -> Decimal:
    rows = exchange.call(exchange.server.engine.balances, exchange.server.demo_account_id)
    return next(Decimal(row["available"]) for row in rows if row["currency"] == currency)


def _active(exchange):
    return exchange.call(exchange.server.engine.active_orders, exchange.server.demo_account_id)


async def test_side_is_two_states_that_never_wrap_with_one_key_to_flip(console_app, exchange):
    app = console_app
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until_ready(pilot)
        ticket = _ticket(app)
        await pilot.press("o", "shift+tab", "shift+tab")  # price → type → side
        toggle = ticket.query_one("#side", SideToggle)
        assert app.focused is toggle and ticket.side is Side.BUY
        # The keys that turned a dropdown's BUY into SELL (Enter Up Enter, Down) change nothing here.
        await pilot.press("enter", "up", "enter", "down", "up", "left")
        assert ticket.side is Side.BUY and app.focused is toggle
        await pilot.press("s", "s")  # choosing SELL twice is still SELL: nothing cycles
        assert ticket.side is Side.SELL
        assert ticket.has_class("-sell") and not ticket.has_class("-buy")
        assert ticket.query_one("#place", Button).variant == "error"
        assert toggle.has_class("-sell")
        await pilot.press("b", "b")
        assert ticket.side is Side.BUY and ticket.has_class("-buy")
        assert ticket.query_one("#place", Button).variant == "success"
        await pilot.press("space")  # the one key that flips
        assert ticket.side is Side.SELL
        # s and b on the side control choose the side; the screen's keys (s: cancel session, b: balances) wait.
        assert type(app.screen).__name__ == "MainScreen"
        # ctrl+s flips while typing in a field, and leaves the field's text alone.
        await pilot.press("tab", "tab", *"65000")
        price = ticket.query_one("#price", Input)
        assert app.focused is price
        await pilot.press("ctrl+s")
        assert ticket.side is Side.BUY and price.value == "65000" and app.focused is price
        await pilot.press("ctrl+s")
        assert ticket.side is Side.SELL
        # The order goes out on the side shown (a sell above the ask, so it rests).
        await pilot.press("tab", *"0.01", "enter")
        await wait_for(pilot, lambda: len(_active(exchange)) == 1, what="the order at the exchange")
        assert _active(exchange)[0]["side"] == "sell"


async def test_place_button_says_what_it_sends_and_the_guard_names_the_option(console_app, exchange):
    app = console_app
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until_ready(pilot)
        ticket = _ticket(app)
        ticket.query_one("#symbol", Select).value = "ethusd"
        await pilot.press("o", *"3150", "tab", *"0.5")
        assert ticket.place_label == "BUY 0.5 ETHUSD ≈ 1,575.00 USD"
        await pilot.press("ctrl+s")
        assert ticket.place_label == "SELL 0.5 ETHUSD ≈ 1,575.00 USD"
        await pilot.press("backspace", "backspace", "backspace", *"12")
        assert ticket.place_label == "SELL 12 ETHUSD ≈ 37,800.00 USD"
        ticket.query_one("#option", Select).value = ExecOption.IMMEDIATE_OR_CANCEL.value
        await pilot.pause()
        assert ticket.place_label == "SELL 12 ETHUSD ≈ 37,800.00 USD IOC"
        ticket.query_one("#type", Select).value = OrderType.STOP_LIMIT.value
        await pilot.pause()
        ticket.query_one("#stop_price", Input).value = "3200"
        await pilot.pause()
        assert ticket.place_label == "SELL 12 ETHUSD stop 3,200 ≈ 37,800.00 USD"
        # The guard dialog states the option: an IOC sell far below the market.
        ticket.query_one("#type", Select).value = OrderType.LIMIT.value
        await pilot.pause()
        ticket.query_one("#option", Select).value = ExecOption.IMMEDIATE_OR_CANCEL.value
        ticket.query_one("#price", Input).value = "2800"
        ticket.query_one("#amount", Input).value = "0.5"
        await pilot.pause()
        ticket.query_one("#price", Input).focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, GuardConfirm), what="the guard")
        line = str(app.screen.query_one("#order").content)
        assert line.startswith("SELL 0.5 ETHUSD limit IOC @ 2,800")
        assert app.screen.query_one("#order").has_class("-sell")
        await pilot.press("n")


async def test_symbol_change_clears_prices_and_restores_that_symbols_amount(console_app, exchange):
    app = console_app
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until_ready(pilot)
        ticket = _ticket(app)
        symbol = ticket.query_one("#symbol", Select)
        ticket.query_one("#type", Select).value = OrderType.STOP_LIMIT.value
        await pilot.pause()
        await pilot.press("o", *"64000", "tab", *"63500", "tab", *"0.25")
        price, stop, amount = (ticket.query_one(f"#{name}", Input) for name in ("price", "stop_price", "amount"))
        assert (price.value, stop.value, amount.value) == ("64000", "63500", "0.25")
        symbol.value = "ethusd"
        await pilot.pause()
        # A BTC price is never left on an ETH ticket, and the BTC amount does not come along.
        assert (price.value, stop.value, amount.value) == ("", "", "")
        amount.value = "3"
        symbol.value = "btcusd"
        await pilot.pause()
        assert (price.value, stop.value, amount.value) == ("", "", "0.25")
        symbol.value = "ethusd"
        await pilot.pause()
        assert amount.value == "3"
        assert ticket.place_label == "BUY 3 ETHUSD stop ?"


async def test_quantity_above_the_symbols_maximum_asks_and_above_the_hard_limit_never_goes(exchange):
    desk = load_config({"toasts": "false", "bell": "false", "guards.max_quantity.btcusd": "0.5",
                        "guards.hard_max_quantity.btcusd": "1"}, environ={})
    app = make_app(exchange.server.rest_url, exchange.server.ws_url, desk=desk)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until_ready(pilot)
        bid, _ = exchange.call(exchange.server.engine.best_bid_ask, "btcusd")
        low = str(bid - Decimal("500"))
        await pilot.press("o", *low, "tab", *"0.75", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, GuardConfirm), what="the guard")
        text = " ".join(str(s.content) for s in app.screen.query(".breach"))
        assert "Amount 0.75 BTC is above the maximum 0.5 BTC for BTCUSD." in text and not app.screen.verdict.blocked
        await pilot.press("y")
        await wait_for(pilot, lambda: len(_active(exchange)) == 1, what="the confirmed order")
        amount = _ticket(app).query_one("#amount", Input)
        amount.value = "2"
        amount.focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, GuardConfirm), what="the guard")
        assert app.screen.verdict.blocked
        assert "above the hard limit 1 BTC" in " ".join(str(s.content) for s in app.screen.query(".breach"))
        await pilot.press("y")  # refused: a hard limit is never overridden here
        await pilot.press("n")
        error = _ticket(app).query_one("#error-amount")
        await wait_for(pilot, lambda: error.has_class("-visible"), what="the reason under the amount")
        assert str(error.content).startswith("Not sent: Amount 2 BTC is above the hard limit")
        assert len(_active(exchange)) == 1


async def test_a_burst_of_orders_and_cancels_reads_the_balances_once(console_app):
    """Each read of /v1/balances is one of the key's private requests: a burst costs one read, not one per order."""
    app = console_app
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until_ready(pilot)
        reads = []
        real = app.account.balances

        async def counted():
            reads.append(1)
            return await real()

        app.account.balances = counted
        for _ in range(5):
            app.main_screen._balances_soon()
        await wait_for(pilot, lambda: reads, what="the balances read")
        await pilot.pause(0.3)
        assert len(reads) == 1


async def test_ticket_shows_the_available_balance_of_the_side_it_spends(console_app, exchange):
    app = console_app
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until_ready(pilot)
        ticket = _ticket(app)
        usd = _available(exchange, "USD")
        await wait_for(pilot, lambda: ticket.available_text == f"avail {usd:,.2f} USD", what="the USD balance")
        await pilot.press("o", "ctrl+s")
        btc = _available(exchange, "BTC")
        assert ticket.available_text == f"avail {fmt_money(btc, 'BTC')}"  # money at its currency's precision
        await pilot.press("ctrl+s", *"62000.00", "tab", *"1")
        await pilot.press("enter")
        await wait_for(pilot, lambda: len(_active(exchange)) == 1, what="the order")
        held = _available(exchange, "USD")
        assert held <= usd - Decimal("62000.00")  # the order holds its notional (and the fee it may pay)
        # After the order, the line shows what is left.
        await wait_for(pilot, lambda: ticket.available_text == f"avail {held:,.2f} USD", what="the new balance")
        # More than that is flagged.
        ticket.query_one("#amount", Input).value = "100"
        await pilot.pause()
        assert ticket.has_class("-short")
        ticket.query_one("#symbol", Select).value = "ethusd"
        await pilot.pause()
        assert ticket.available_text.endswith(" USD") and not ticket.has_class("-short")


async def test_stop_already_through_the_market_is_warned_in_the_ticket_and_asked_again(console_app, exchange):
    app = console_app
    seed_trades(exchange)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until_ready(pilot)
        await wait_for(pilot, lambda: app.market.book.last is not None, what="a last trade")
        last = app.market.book.last
        ticket = _ticket(app)
        ticket.query_one("#type", Select).value = OrderType.STOP_LIMIT.value
        await pilot.pause()
        warning = ticket.query_one("#stop-warning")
        # A buy stop below the last trade triggers at once (stop 64000 with last 64290).
        stop = last - Decimal("100")
        await pilot.press("o", *str(stop + Decimal("50")), "tab", *str(stop), "tab", *"0.01")
        assert warning.has_class("-visible") and ticket.stop_warning.startswith("⚠ Triggers at once: last")
        # A buy stop above the last trade waits: no warning.
        ticket.query_one("#stop_price", Input).value = str(last + Decimal("100"))
        ticket.query_one("#price", Input).value = str(last + Decimal("150"))
        await pilot.pause()
        assert not warning.has_class("-visible") and ticket.stop_warning == ""
        # A sell stop at or above the last trade triggers at once.
        await pilot.press("ctrl+s")
        ticket.query_one("#price", Input).value = str(last + Decimal("50"))
        await pilot.pause()
        assert warning.has_class("-visible")
        # Back to the buy stop through the market: the guard asks before sending it.
        await pilot.press("ctrl+s")
        ticket.query_one("#stop_price", Input).value = str(stop)
        ticket.query_one("#price", Input).value = str(stop + Decimal("50"))
        await pilot.pause()
        ticket.query_one("#amount", Input).focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, GuardConfirm), what="the guard")
        text = " ".join(str(s.content) for s in app.screen.query(".breach"))
        assert f"Stop price {stop:,} is at or below the last trade" in text and "triggers at once" in text
        await pilot.press("n")
        assert _active(exchange) == []


async def test_production_start_reads_no_balances_before_it_is_confirmed(exchange):
    """The ticket's balance read is a private call: like every other, it waits for the PRODUCTION confirmation."""
    app = make_app(exchange.server.rest_url, exchange.server.ws_url, environment=Environment.PRODUCTION)
    calls = []
    read = app.account.balances

    async def counted():
        calls.append("balances")
        return await read()

    app.account.balances = counted
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmProduction), what="the production dialog")
        for _ in range(5):
            await pilot.pause(0.05)
        assert calls == []
        await pilot.press("escape")
        await pilot.pause()
    assert calls == [] and app.return_code == 3


async def test_a_click_chooses_the_side_clicked(console_app, exchange):
    app = console_app
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until_ready(pilot)
        ticket = _ticket(app)
        await pilot.click("#side", offset=(8, 0))
        assert ticket.side is Side.SELL
        await pilot.click("#side", offset=(8, 0))  # the same place again: still SELL, never a toggle
        assert ticket.side is Side.SELL
        await pilot.click("#side", offset=(1, 0))
        assert ticket.side is Side.BUY
