"""The watchlist panel (t): shown in the orders' place, rows of the configured symbols filled from the local
exchange's live market data, Enter moving the ticket and the ladder, paced repaints, stale rows; and its pictures."""

from __future__ import annotations

import pytest
from textual.widgets import Select

from console.app.config import load_config
from console.domain.feed import FeedState
from console.tui.pacing import LOW_BANDWIDTH_MARKET_FPS, WATCHLIST_FPS, fps_interval
from console.tui.widgets.depth_ladder import DepthLadder
from console.tui.widgets.orders_table import OrdersTable
from console.tui.widgets.ticket import OrderTicket
from console.tui.widgets.watchlist import WatchlistPanel
from tests.support import scenarios
from tests.support.console_app import make_app, snapshot_app, wait_for, wait_until_ready
from tests.support.exchange_thread import ExchangeThread

WATCHED = "btcusd,ethusd,solusd,ltcusd,dogeusd"


def _desk(**flags: str):
    return load_config({"toasts": "false", "bell": "false", **flags}, environ={})


async def test_t_shows_the_watchlist_whose_rows_fill_from_live_data_and_enter_moves_the_ticket(exchange):
    app = make_app(exchange.server.rest_url, exchange.server.ws_url, desk=_desk(watchlist=WATCHED))
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until_ready(pilot)
        screen = app.screen
        panel = screen.query_one(WatchlistPanel)
        assert not panel.display and not panel.running  # hidden, and no market data for it until shown
        assert screen.query_one(OrdersTable).display

        await pilot.press("t")
        assert panel.display and screen.focused is panel and panel.running
        assert not screen.query_one(OrdersTable).display  # the watchlist holds the orders' place
        assert [row.symbol for row in panel.rows] == WATCHED.split(",")
        await scenarios.settle_watchlist(pilot)  # every row live and equal to the exchange's REST answers
        for row in panel.rows:
            assert row.bid is not None and row.ask is not None and row.spread == row.ask - row.bid
        assert "DOGEUSD" in str(panel.render())

        # Down three rows to LTCUSD (a symbol the ticket did not offer before the watchlist named it), Enter.
        await pilot.press("down", "down", "down", "enter")
        ticket = screen.query_one(OrderTicket)
        assert ticket.symbol == "ltcusd" and panel.selected_symbol == "ltcusd"
        await wait_for(pilot, lambda: app.market.symbol == "ltcusd" and app.market.live, what="the LTCUSD book")
        ladder = screen.query_one(DepthLadder)
        await wait_for(pilot, lambda: "LTCUSD" in str(ladder.border_title), what="the ladder's title")
        assert "ltcusd" in app.session.rules  # the ticket can trade it: its rules were loaded
        assert screen.focused is panel  # the trader can go on browsing

        await pilot.press("up", "up", "up", "up", "up")  # clamped at the first row
        assert panel.selected_symbol == "btcusd"

        await pilot.press("escape")  # back to the orders; the watchlist's feed stops
        assert not panel.display and screen.query_one(OrdersTable).display
        assert isinstance(screen.focused, OrdersTable)
        await wait_for(pilot, lambda: not panel.running, what="the watchlist's feed to stop")
        await wait_for(pilot, lambda: not any(row.live for row in app.main_screen.watchlist.rows(0)),
                       what="the rows to be not live")

        await pilot.press("t")  # again: it opens on the ticket's symbol
        assert panel.display and panel.selected_symbol == "ltcusd"
        await pilot.press("t")
        assert not panel.display


async def test_a_burst_of_quotes_is_one_repaint_and_the_rate_is_bounded(exchange):
    app = make_app(exchange.server.rest_url, exchange.server.ws_url)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until_ready(pilot)
        panel = app.screen.query_one(WatchlistPanel)
        assert panel.pacer.interval_s == fps_interval(WATCHLIST_FPS) == 0.25
        await pilot.press("t")
        await scenarios.settle_watchlist(pilot)
        await pilot.pause(0.3)  # a quiet spell (the simulator is paused): the next change repaints at once
        before = panel.repaints
        for _ in range(50):
            panel.watchlist.changed("btcusd")
        await pilot.pause()
        assert panel.repaints == before + 1
        for _ in range(50):
            panel.watchlist.changed("ethusd")
        await pilot.pause()
        assert panel.repaints == before + 1  # within the interval: folded into one scheduled repaint
        await wait_for(pilot, lambda: panel.repaints == before + 2, what="the paced repaint")


async def test_low_bandwidth_mode_repaints_the_watchlist_once_a_second(exchange):
    app = make_app(exchange.server.rest_url, exchange.server.ws_url, desk=_desk(low_bandwidth="true"))
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until_ready(pilot)
        assert app.screen.query_one(WatchlistPanel).pacer.interval_s == fps_interval(LOW_BANDWIDTH_MARKET_FPS) == 1


async def test_a_stalled_stream_marks_every_row_stale_then_live_again():
    with ExchangeThread(port=0, simulator=True, seed=7, marketdata_heartbeat_interval_s=0.05) as exchange:
        app = make_app(exchange.server.rest_url, exchange.server.ws_url, stall_timeout_s=0.5)
        hub = exchange.server.marketdata
        async with app.run_test(size=(120, 36)) as pilot:
            await wait_until_ready(pilot)
            panel = app.screen.query_one(WatchlistPanel)
            await pilot.press("t")
            await scenarios.settle_watchlist(pilot)
            assert not panel.has_class("-stale") and panel.border_subtitle == "● live"
            exchange.call(hub.fault_refuse_new, True)  # the resync cannot complete until the test allows it
            assert exchange.call(hub.fault_stall_all) == 2  # the ladder's socket and the watchlist's one
            await wait_for(pilot, lambda: panel.has_class("-stale"), what="the watchlist's stale marker")
            assert not any(row.live for row in panel.rows)
            assert all(row.state in (FeedState.STALE, FeedState.RESYNCING) for row in panel.rows)
            assert all(row.bid is not None for row in panel.rows)  # the last numbers stay, dimmed
            assert str(panel.border_subtitle).endswith(" 3/3")
            exchange.call(hub.fault_refuse_new, False)
            await wait_for(pilot, lambda: not panel.has_class("-stale"), what="the rows live again")
            assert all(row.live for row in panel.rows)


async def test_the_ticket_symbol_select_offers_the_watched_symbols(exchange):
    app = make_app(exchange.server.rest_url, exchange.server.ws_url, desk=_desk(watchlist="ethusd,xrpusd"))
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until_ready(pilot)
        ticket = app.screen.query_one(OrderTicket)
        ticket.select_symbol("xrpusd")  # only the watchlist names it
        await pilot.pause()
        assert ticket.symbol == "xrpusd" and ticket.query_one("#symbol", Select).value == "xrpusd"
        await wait_for(pilot, lambda: app.market.symbol == "xrpusd" and app.market.live, what="the XRPUSD book")
        ticket.select_symbol("adausd")  # not offered: nothing changes
        await pilot.pause()
        assert ticket.symbol == "xrpusd"


@pytest.mark.parametrize("size", [(120, 36), (80, 24)], ids=["120x36", "80x24"])
def test_watchlist_snapshot(snap_compare, snapshot_exchange, size):
    """The watchlist in the orders' place with ETHUSD chosen: the ticket and the book on ETHUSD; at 80 columns the
    spread column gives way (bid and ask show it). Two BTCUSD trades give its row a change."""
    scenarios.seed_trades(snapshot_exchange)
    app = snapshot_app(snapshot_exchange.server.rest_url, snapshot_exchange.server.ws_url)
    assert snap_compare(app, terminal_size=size, run_before=scenarios.watchlist)
