"""Low-bandwidth mode (``--low-bandwidth``, ``low_bandwidth = true``): the header says so, market data repaints at
a few frames a second, the ladder writes only what changed, orders still show at the next (reduced) frame."""

from __future__ import annotations

import re
from decimal import Decimal

from textual.geometry import Region

from console.app.config import load_config
from console.domain.model import OrderType, Side
from console.domain.ticket import TicketInput
from console.tui.messages import BookUpdated
from console.tui.pacing import (
    LOW_BANDWIDTH_AGE_RESOLUTION_S,
    LOW_BANDWIDTH_MARKET_FPS,
    LOW_BANDWIDTH_ORDERS_FPS,
    MARKET_FPS,
)
from console.tui.screens.main import MainScreen
from console.tui.widgets.depth_ladder import DepthLadder
from console.tui.widgets.header import SessionHeader
from console.tui.widgets.orders_table import MIN_FLUSH_INTERVAL_S, OrdersTable
from console.tui.widgets.status_pane import StatusPane
from console.tui.widgets.trades import TradesPanel
from tests.support.console_app import make_app, wait_for, wait_until_ready


def low_bandwidth_app(exchange, on: bool = True):
    desk = load_config({"toasts": "false", "bell": "false", "low_bandwidth": "true" if on else "false"}, environ={})
    return make_app(exchange.server.rest_url, exchange.server.ws_url, desk=desk)


def header_text(app) -> str:
    return " ".join(str(s.render()) for s in app.screen.query_one(SessionHeader).query("Static"))


async def test_the_setting_shows_in_the_header_and_slows_market_data_not_orders(exchange):
    app = low_bandwidth_app(exchange)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until_ready(pilot)
        screen = app.screen
        assert isinstance(screen, MainScreen)
        assert "low bandwidth" in header_text(app)
        assert screen.has_class("-low-bandwidth")
        assert screen.market_pacer.interval_s == 1 / LOW_BANDWIDTH_MARKET_FPS
        table = screen.query_one(OrdersTable)
        assert table.flush_interval_s == 1 / LOW_BANDWIDTH_ORDERS_FPS
        assert screen.query_one(DepthLadder).one_style and screen.query_one(TradesPanel).one_style

        # A burst of book updates: the ladder is given the book once now and once at the end of the interval.
        ladder = screen.query_one(DepthLadder)
        calls = []
        original = ladder.set_book
        ladder.set_book = lambda book, state: (calls.append(book), original(book, state))  # type: ignore[method-assign]
        await pilot.pause(1 / LOW_BANDWIDTH_MARKET_FPS)  # past any repaint already due
        calls.clear()
        for _ in range(50):
            screen.post_message(BookUpdated("btcusd"))
        await pilot.pause()
        assert len(calls) <= 1
        await wait_for(pilot, lambda: len(calls) >= 1, what="the coalesced repaint")
        await pilot.pause(1.5 / LOW_BANDWIDTH_MARKET_FPS)
        assert 1 <= len(calls) <= 2

        # An order shows as soon as the session has it, through the table's own (3 fps) flush, not the pacer.
        session = app.session
        order = await session.submit(session.prepare(TicketInput("btcusd", Side.BUY, OrderType.LIMIT, "60000.00",
                                                                 "0.01")))
        await wait_for(pilot, lambda: table.view.get(order.client_order_id) is not None, what="the order in the view")
        await wait_for(pilot, lambda: any(order.client_order_id in str(table.render_line(y).text)
                                          or "60,000.00" in str(table.render_line(y).text) for y in range(1, 10)),
                       timeout=1 / LOW_BANDWIDTH_ORDERS_FPS + 1, what="the order painted")


async def test_default_mode_has_no_header_label_and_full_rate(exchange):
    app = low_bandwidth_app(exchange, on=False)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until_ready(pilot)
        assert "low bandwidth" not in header_text(app)
        assert app.screen.market_pacer.interval_s == 1 / MARKET_FPS
        assert app.screen.query_one(OrdersTable).flush_interval_s == MIN_FLUSH_INTERVAL_S


async def test_the_ladder_marks_only_the_changed_cells_dirty(console_app):
    app = console_app
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until_ready(pilot)
        ladder = app.screen.query_one(DepthLadder)
        book, state = app.market.book, app.market.state
        await pilot.pause()
        regions: list[tuple[Region, ...]] = []
        original = ladder.refresh
        ladder.refresh = lambda *r, **kw: (regions.append(r), original(*r, **kw))[1]  # type: ignore[method-assign]
        ladder.set_book(book, state)  # nothing changed: nothing to repaint
        assert regions == []
        level = book.bids(1)[0]
        book.set_level(Side.BUY, level.price, level.amount + Decimal("1"))  # one size at the best bid
        ladder.set_book(book, state)
        assert len(regions) == 1 and len(regions[0]) == 1
        region = regions[0][0]
        assert region.height == 1 and region.width < ladder.size.width  # a few cells of one row, not the ladder


async def test_idle_screen_repaints_nothing_each_second(console_app):
    """No orders, nothing changing: the table's age tick, the desk status tick and a book update that brings no
    new trade repaint nothing."""
    app = console_app
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until_ready(pilot)
        table = app.screen.query_one(OrdersTable)
        pane = app.screen.query_one(StatusPane)
        trades = app.screen.query_one(TradesPanel)
        refreshed = []
        for widget in (table, pane, trades):
            original = widget.refresh
            widget.refresh = (lambda w, o: lambda *r, **kw: (refreshed.append(w), o(*r, **kw))[1])(  # type: ignore[method-assign]
                widget, original)
        table.refresh_ages()
        app.refresh_desk_status()
        app.refresh_desk_status()
        trades.set_trades(list(app.market.trades()))  # a book update passes the same trades again
        assert refreshed == []


async def test_a_burst_of_order_changes_repaints_the_rows_and_the_title_line_not_the_whole_table(exchange):
    # No latency figures: their once-a-second text in the status pane's border would repaint the pane's border
    # whenever a figure changes, which is not what a burst of order changes costs.
    app = make_app(exchange.server.rest_url, exchange.server.ws_url, measure_latency=False)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until_ready(pilot)
        table = app.screen.query_one(OrdersTable)
        pane = app.screen.query_one(StatusPane)
        session = app.session
        # A first order sizes the columns to their content (the columns move: a whole repaint, rightly); the
        # burst after it changes no column width.
        first = await session.submit(session.prepare(TicketInput("btcusd", Side.BUY, OrderType.LIMIT, "60000.00",
                                                                 "0.01")))
        await wait_for(pilot, lambda: table.view.get(first.client_order_id) is not None, what="the first order")
        await wait_for(pilot, lambda: "1 open" in (table.border_title or ""), what="the open count in the title")
        await pilot.pause()
        calls: list[tuple[Region, ...]] = []
        for widget in (table, pane):
            original = widget.refresh
            widget.refresh = (lambda o: lambda *r, **kw: (calls.append(r), o(*r, **kw))[1])(  # type: ignore[method-assign]
                original)
        order = await session.submit(session.prepare(TicketInput("btcusd", Side.BUY, OrderType.LIMIT, "60001.00",
                                                                 "0.02")))
        await wait_for(pilot, lambda: table.view.get(order.client_order_id) is not None, what="the order")
        await wait_for(pilot, lambda: "2 open" in (table.border_title or ""), what="the open count in the title")
        await pilot.pause()
        assert calls and all(regions for regions in calls)  # never the whole widget (border, scrollbars) again
        title_lines = [r for regions in calls for r in regions if r.y < 0]
        assert title_lines and all(r.height == 1 for r in title_lines)


async def test_ages_show_in_steps_so_a_row_changes_once_per_step():
    """Low-bandwidth mode's age column: rounded down to LOW_BANDWIDTH_AGE_RESOLUTION_S, so each row's age text
    (and so its bytes on the link, ScreenDiff writing only changed cells) changes once per step, not every second."""
    from textual.app import App, ComposeResult

    from console.app.paths import styles_dir
    from console.domain.model import Order, OrderState

    now = [100_000]

    class TableApp(App[None]):
        CSS_PATH = [styles_dir() / "app.tcss"]

        def compose(self) -> ComposeResult:
            yield OrdersTable(clock_ms=lambda: now[0], id="orders")

    app = TableApp()
    async with app.run_test(size=(120, 10)) as pilot:
        table = app.query_one(OrdersTable)
        table.age_resolution_s = LOW_BANDWIDTH_AGE_RESOLUTION_S
        table.apply_changes([Order(order_id="1", client_order_id="c-1", symbol="btcusd", side=Side.BUY,
                                   order_type=OrderType.LIMIT, price=Decimal("60000"), amount=Decimal("1"),
                                   state=OrderState.LIVE, created_ms=100_000)])
        await pilot.pause()
        texts = []
        for second in range(0, 21):
            now[0] = 100_000 + second * 1000 + 400
            table.refresh_ages()
            texts.append(re.findall(r"\b\d+s\b", str(table.render_line(1).text))[-1])  # the age cell
        assert texts[:5] == ["0s"] * 5 and texts[5:10] == ["5s"] * 5 and texts[12] == "10s" and texts[20] == "20s"
        assert len(set(texts)) == 5  # 21 seconds, five age texts


async def test_low_bandwidth_status_pane_and_ages_follow_the_reduced_frame(exchange):
    app = low_bandwidth_app(exchange)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until_ready(pilot)
        assert app.screen.query_one(StatusPane).flush_interval_s == 1 / LOW_BANDWIDTH_ORDERS_FPS
        assert app.screen.query_one(OrdersTable).age_resolution_s == LOW_BANDWIDTH_AGE_RESOLUTION_S
        assert app.screen.query_one(OrdersTable).one_style  # rows without side and status colours
        assert app.screen.query_one(StatusPane).one_style  # lines in their severity's colour only
    app = low_bandwidth_app(exchange, on=False)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until_ready(pilot)
        assert app.screen.query_one(OrdersTable).age_resolution_s == 1  # the default: every second
