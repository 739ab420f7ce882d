"""The market context in the console: price keys fill the ticket from the live book, the book follows the
ticket's symbol, own orders are marked on the ladder, and a stalled stream is never shown as live."""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from textual.widgets import Input, Select

from console.domain.fmt import fmt_price
from console.domain.model import Side
from console.trading.market import FeedState
from console.tui.widgets.depth_ladder import OWN_MARK, DepthLadder
from console.tui.widgets.ticket import OrderTicket
from tests.support.console_app import make_app, wait_for, wait_until_ready
from tests.support.exchange_thread import ExchangeThread

TICK = Decimal("0.01")  # btcusd's price increment (https://docs.gemini.com/market-data/symbols-and-minimums)


def touch(exchange, symbol: str = "btcusd") -> tuple[Decimal, Decimal]:
    bid, ask = exchange.call(exchange.server.engine.best_bid_ask, symbol)
    assert bid is not None and ask is not None
    return bid, ask


async def test_price_keys_fill_the_ticket_from_the_book(console_app, exchange):
    app = console_app
    bid, ask = touch(exchange)
    mid = (bid + ask) / 2
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until_ready(pilot)
        ticket = app.screen.query_one(OrderTicket)
        price = ticket.query_one("#price", Input)
        await pilot.press("o")  # the cursor is in the price field: the keys work while typing
        await pilot.press(*"1.5")

        async def key(name: str) -> str:
            await pilot.press(name)
            await pilot.pause()
            return price.value

        assert await key("ctrl+l") == format(bid, "f")
        assert await key("ctrl+o") == format(ask, "f")
        assert await key("ctrl+g") == format((mid / TICK).to_integral_value(ROUND_FLOOR) * TICK, "f")
        assert await key("ctrl+y") == format(bid, "f")  # join: a buy joins the best bid
        assert await key("ctrl+t") == format(bid + TICK, "f")  # improve: one tick above it

        await pilot.press("ctrl+s")  # flip to SELL while typing in the price field
        assert ticket.side is Side.SELL
        assert await key("ctrl+g") == format((mid / TICK).to_integral_value(ROUND_CEILING) * TICK, "f")
        assert await key("ctrl+y") == format(ask, "f")
        assert await key("ctrl+t") == format(ask - TICK, "f")
        assert await key("ctrl+l") == format(bid, "f")
        # the quote line of the ticket shows the same book
        assert ticket.query_one("#quote-touch").render().plain == f"bid {fmt_price(bid)}  ask {fmt_price(ask)}"


async def test_switching_symbol_switches_the_book_and_own_orders_are_marked(console_app, exchange):
    app = console_app
    eth_bid, eth_ask = touch(exchange, "ethusd")
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until_ready(pilot)
        ticket = app.screen.query_one(OrderTicket)
        ladder = app.screen.query_one(DepthLadder)
        assert app.market.symbol == "btcusd" and ladder.border_title == "Book BTCUSD"

        ticket.query_one("#symbol", Select).value = "ethusd"
        await wait_for(pilot, lambda: app.market.symbol == "ethusd" and app.market.live, what="the ETHUSD book")
        await pilot.pause()
        assert (app.market.book.best_bid, app.market.book.best_ask) == (eth_bid, eth_ask)
        assert ladder.border_title == "Book ETHUSD"
        assert any(row.strip().startswith(fmt_price(eth_bid)) for row in ladder.visible_rows())

        # join the best bid from the ticket: the resting order is marked at that level of the ladder
        await pilot.press("o", "ctrl+y", "tab", *"0.5", "enter")
        await wait_for(pilot, lambda: any(row.startswith(OWN_MARK) for row in ladder.visible_rows()),
                       what="the own-order mark")
        marked = [row for row in ladder.visible_rows() if row.startswith(OWN_MARK)]
        assert len(marked) == 1 and marked[0][1:].split()[0] == fmt_price(eth_bid)


async def test_a_stalled_stream_is_shown_stale_and_price_keys_refuse():
    # market data heartbeats every 50 ms keep a quiet book live; a stalled socket is silent for 0.5 s
    with ExchangeThread(port=0, simulator=True, seed=7, marketdata_heartbeat_interval_s=0.05) as exchange:
        await _stalled_stream(exchange)


async def _stalled_stream(exchange) -> None:
    app = make_app(exchange.server.rest_url, exchange.server.ws_url, stall_timeout_s=0.5)
    hub = exchange.server.marketdata
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until_ready(pilot)
        ladder = app.screen.query_one(DepthLadder)
        price = app.screen.query_one(OrderTicket).query_one("#price", Input)
        states: list[FeedState] = []
        app.market.listener.state_changed = _chain(app.market.listener.state_changed, states)
        # the book live on its one socket first: on a loaded host a slow start can still be resyncing
        await wait_for(pilot, lambda: app.market.live and exchange.call(lambda: hub.subscriber_count) == 1,
                       what="the book live on one market data socket")
        exchange.call(hub.fault_refuse_new, True)  # the resync cannot complete until the test allows it
        assert exchange.call(hub.fault_stall_all) == 1
        await wait_for(pilot, lambda: FeedState.STALE in states, what="the stale state")
        await wait_for(pilot, lambda: ladder.has_class("-stale"), what="the ladder's stale marker")
        assert ladder.border_subtitle in ("✖ STALE", "◌ resyncing")
        await pilot.press("o", "ctrl+l")
        await pilot.pause()
        assert price.value == "" and not app.market.live  # a book that is not live never fills the ticket
        assert app.screen.query_one("#quote-touch").has_class("-stale")

        exchange.call(hub.fault_refuse_new, False)
        await wait_for(pilot, lambda: app.market.live and not ladder.has_class("-stale"), what="the resync")
        await pilot.press("ctrl+l")
        await pilot.pause()
        assert price.value == format(touch(exchange)[0], "f")


def _chain(first, record: list):
    def both(symbol, state, detail):
        record.append(state)
        first(symbol, state, detail)

    return both


async def test_at_80x24_the_book_hides_behind_m(console_app, exchange):
    app = console_app
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until_ready(pilot)
        ladder = app.screen.query_one(DepthLadder)
        table = app.screen.query_one("#orders")
        assert not ladder.display or ladder.region.width == 0
        assert table.region.width > 0
        await pilot.press("m")
        await pilot.pause()
        assert ladder.region.width > 0 and ladder.region.height >= 9 and table.region.width == 0
        rows = [row for row in ladder.visible_rows() if row.strip()]
        assert len(rows) >= 9 and any(row.strip().startswith("spread") for row in rows)
        await pilot.press("m")
        await pilot.pause()
        assert table.region.width > 0 and ladder.region.width == 0


def test_high_rate_market_messages_collapse_to_the_newest():
    from console.tui.messages import BookUpdated, MarketStateChanged, TradesUpdated

    assert BookUpdated("btcusd").can_replace(BookUpdated("btcusd"))
    assert TradesUpdated("btcusd").can_replace(TradesUpdated("btcusd"))
    assert not BookUpdated("btcusd").can_replace(TradesUpdated("btcusd"))
    assert MarketStateChanged("btcusd", FeedState.LIVE, "").can_replace(
        MarketStateChanged("btcusd", FeedState.STALE, "stalled"))
