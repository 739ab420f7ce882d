"""Hotkeys from the watchlist trade only what the trader is looking at: with the watchlist's cursor on another
symbol than the ticket's, B/S/K/J and F send nothing and say so (found at the desk: t, Down to ETHUSD, B bought
BTCUSD, the ticket's symbol, while the highlighted row was ETHUSD)."""

from __future__ import annotations

from console.app.config import load_config
from console.tui.screens.scoped import ConfirmFlatten
from console.tui.widgets.status_pane import StatusPane
from console.tui.widgets.ticket import OrderTicket
from console.tui.widgets.watchlist import WatchlistPanel
from tests.support.console_app import make_app, wait_for, wait_until_ready


def _active(exchange) -> list[dict]:
    return exchange.call(exchange.server.engine.active_orders, exchange.server.demo_account_id)


def _desk():
    return load_config({"toasts": "false", "bell": "false", "watchlist": "btcusd,ethusd,solusd",
                        "ticket.default_size.btcusd": "0.01", "ticket.default_size.ethusd": "0.5"}, environ={})


async def test_a_hotkey_with_the_watchlist_cursor_on_another_symbol_sends_nothing(exchange) -> None:
    app = make_app(exchange.server.rest_url, exchange.server.ws_url, desk=_desk())
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until_ready(pilot)
        screen = app.screen
        ticket = screen.query_one(OrderTicket)
        assert ticket.symbol == "btcusd"
        await wait_for(pilot, lambda: app.market.symbol == "btcusd" and app.market.live and app.market.book.best_bid,
                       what="the BTCUSD book")
        await pilot.press("t")
        panel = screen.query_one(WatchlistPanel)
        assert screen.focused is panel and panel.selected_symbol == "btcusd"
        await pilot.press("down")
        assert panel.selected_symbol == "ethusd"
        for key in ("B", "S", "K", "J", "F"):
            await pilot.press(key)
        await pilot.pause(0.3)
        assert not isinstance(app.screen, ConfirmFlatten)
        assert _active(exchange) == [] and len(app.session.blotter) == 0
        lines = screen.query_one(StatusPane).entries_text()
        assert any("ETHUSD" in line and "BTCUSD" in line and "Enter" in line for line in lines), lines

        # On the ticket's own row the hotkey trades as usual.
        await pilot.press("up", "B")
        await wait_for(pilot, lambda: len(_active(exchange)) == 1, what="the BTCUSD buy")
        assert _active(exchange)[0]["symbol"] == "btcusd"

        # Enter moves the ticket to the row's symbol; then B buys that one.
        await pilot.press("down", "enter")
        await wait_for(pilot, lambda: app.market.symbol == "ethusd" and app.market.live and app.market.book.best_bid,
                       what="the ETHUSD book")
        await pilot.press("B")
        await wait_for(pilot, lambda: len(_active(exchange)) == 2, what="the ETHUSD buy")
        assert {o["symbol"] for o in _active(exchange)} == {"btcusd", "ethusd"}


async def test_at_80_columns_m_and_t_take_turns_in_the_orders_place(exchange) -> None:
    """`t` then `m` at 80 columns showed the book but left the watchlist on (hidden, its feed running, focused);
    the next `t` then turned it off and nothing seemed to happen."""
    app = make_app(exchange.server.rest_url, exchange.server.ws_url, desk=_desk())
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until_ready(pilot)
        screen = app.screen
        panel = screen.query_one(WatchlistPanel)
        await pilot.press("t")
        assert panel.display and screen.focused is panel and panel.running
        await pilot.press("m")  # the book in the orders' place: the watchlist gives way and its feed stops
        await pilot.pause()
        assert not panel.display and not panel.running and screen.focused is not panel
        assert screen.query_one("#market").display
        await pilot.press("t")  # and back: the watchlist again, focused
        await pilot.pause()
        assert panel.display and screen.focused is panel and panel.running
        assert not screen.query_one("#market").display


async def test_s_in_the_watchlist_does_not_cancel_the_session_s_orders(exchange) -> None:
    """`s` is "cancel this session's orders" from the orders table; in the watchlist a trader may mean "sell":
    it must not pull every order (found at the desk: the screen-level binding fired from the watchlist)."""
    app = make_app(exchange.server.rest_url, exchange.server.ws_url, desk=_desk())
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until_ready(pilot)
        await wait_for(pilot, lambda: app.market.live and app.market.book.best_bid, what="the BTCUSD book")
        await pilot.press("B")  # 0.01 BTCUSD resting at the bid
        await wait_for(pilot, lambda: len(_active(exchange)) == 1, what="the resting order")
        await pilot.press("escape", "t")
        assert isinstance(app.screen.focused, WatchlistPanel)
        await pilot.press("s")
        await pilot.pause(0.3)
        assert len(_active(exchange)) == 1 and app.session.blotter.open_orders()
