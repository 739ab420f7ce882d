"""The watchlist's model: change against the day's first trade and spread in exact Decimal, staleness, the service
over a multi-symbol feed, the per-symbol adapter, and the ``watchlist`` setting."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from decimal import Decimal

import pytest
from pydantic import SecretStr

from console.app.config import ConfigError, load_config
from console.app.settings import Environment, Settings
from console.domain.book import OrderBook, Trade
from console.domain.feed import FeedListener, FeedState
from console.domain.model import Side
from console.domain.watchlist import DAY_MS, WatchQuote
from console.trading.watchlist import PerSymbolFeeds, Watchlist
from console.tui.widgets.watchlist import change_text
from console.venues.gemini.credentials import Credentials

D = Decimal
#: 2026-11-22 14:30:00 UTC.
NOW_MS = 1_795_444_200_000
MIDNIGHT_MS = NOW_MS - NOW_MS % DAY_MS


def trade(trade_id: int, price: str, time_ms: int = NOW_MS) -> Trade:
    return Trade(trade_id, time_ms, D(price), D("0.1"), Side.BUY)


def test_spread_and_change_are_exact_decimals():
    quote = WatchQuote("BTCUSD")
    assert quote.symbol == "btcusd"
    quote.set_touch(D("0.10000001"), D("0.30000003"))
    quote.add_trades([trade(1, "0.10000001", MIDNIGHT_MS + 1), trade(2, "0.30000003")])
    row = quote.row(NOW_MS)
    assert row.spread == D("0.20000002")
    assert row.change == D("0.20000002")
    assert row.change_pct == D("0.20000002") / D("0.10000001") * 100
    assert row.change_pct == D(200)
    assert all(isinstance(v, Decimal) for v in (row.bid, row.ask, row.last, row.change, row.change_pct, row.spread))


def test_one_sided_book_has_no_spread_and_no_trade_no_change():
    quote = WatchQuote("ethusd")
    quote.set_touch(D("3150.00"), None)
    row = quote.row(NOW_MS)
    assert row.bid == D("3150.00") and row.ask is None and row.spread is None
    assert row.last is None and row.change is None and row.change_pct is None


def test_reference_is_the_first_trade_of_the_newest_utc_day_and_last_the_newest_trade():
    quote = WatchQuote("btcusd")
    yesterday = MIDNIGHT_MS - 60_000
    # A snapshot's trades in any order, yesterday's included: the reference is today's earliest.
    assert quote.add_trades([trade(12, "64300.00"), trade(10, "63000.00", yesterday), trade(11, "64000.00",
                                                                                          MIDNIGHT_MS + 5)])
    row = quote.row(NOW_MS)
    assert quote.reference == D("64000.00") and row.last == D("64300.00") and row.change == D("300.00")
    # An old or repeated trade (a reconnect's snapshot) changes nothing.
    assert not quote.add_trades([trade(11, "64000.00", MIDNIGHT_MS + 5), trade(12, "64300.00")])
    # Past midnight, before any trade of the new day: no change against yesterday's reference.
    tomorrow_ms = NOW_MS + DAY_MS
    assert quote.row(tomorrow_ms).change is None and quote.row(tomorrow_ms).last == D("64300.00")
    # The new day's first trade is its reference.
    quote.add_trades([trade(13, "65000.00", MIDNIGHT_MS + DAY_MS + 10), trade(14, "64350.00", tomorrow_ms)])
    row = quote.row(tomorrow_ms)
    assert row.change == D("-650.00") and change_text(row.change_pct) == "-1.00%"


def test_a_stale_row_keeps_its_numbers_and_is_not_live():
    quote = WatchQuote("btcusd")
    quote.set_state(FeedState.LIVE)
    quote.set_touch(D("64000.00"), D("64010.00"))
    assert quote.row(NOW_MS).live
    assert quote.set_state(FeedState.STALE)
    assert not quote.set_state(FeedState.STALE)  # no change, no repaint
    row = quote.row(NOW_MS)
    assert not row.live and row.state is FeedState.STALE and row.bid == D("64000.00") and row.spread == D("10.00")


def test_change_text_rounds_to_hundredths_with_a_sign():
    assert change_text(D("0.0338")) == "+0.03%"
    assert change_text(D("-1.5")) == "-1.50%"
    assert change_text(D("0.001")) == "0.00%"
    assert change_text(None) == "—"


class FakeMultiFeed:
    """Records what the watchlist gives it and lets the test drive each symbol's listener."""

    def __init__(self) -> None:
        self.books: Mapping[str, OrderBook] = {}
        self.listeners: Mapping[str, FeedListener] = {}
        self.started = asyncio.Event()

    async def run_many(self, books: Mapping[str, OrderBook], listeners: Mapping[str, FeedListener]) -> None:
        self.books, self.listeners = books, listeners
        self.started.set()
        await asyncio.Event().wait()


async def test_the_service_tells_which_symbol_changed_and_only_when_a_row_changed():
    feed = FakeMultiFeed()
    watchlist = Watchlist(feed, ["BTCUSD", "ethusd", "btcusd", " "])
    assert watchlist.symbols == ("btcusd", "ethusd")  # lowercase, duplicates and blanks dropped, order kept
    changed: list[str] = []
    watchlist.changed = changed.append
    task = asyncio.create_task(watchlist.run())
    await feed.started.wait()
    assert list(feed.books) == ["btcusd", "ethusd"]
    assert all(book.symbol == symbol for symbol, book in feed.books.items())
    eth_book, eth = feed.books["ethusd"], feed.listeners["ethusd"]
    eth.state_changed(FeedState.LIVE, "")
    eth_book.set_level(Side.BUY, D("3150.00"), D("2"))
    eth_book.set_level(Side.SELL, D("3151.00"), D("1"))
    eth.book_changed(eth_book)
    eth_book.set_level(Side.BUY, D("3149.00"), D("5"))  # below the touch: the row does not change
    eth.book_changed(eth_book)
    eth.trades_added([trade(1, "3150.50")])
    assert changed == ["ethusd", "ethusd", "ethusd"]
    btc_row, eth_row = watchlist.rows(NOW_MS)
    assert not btc_row.live and btc_row.bid is None
    assert eth_row.live and (eth_row.bid, eth_row.ask, eth_row.last, eth_row.spread) == (
        D("3150.00"), D("3151.00"), D("3150.50"), D("1.00"))
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert not watchlist.rows(NOW_MS)[1].live  # no feed any more: nothing is shown live
    assert changed[-1] == "ethusd"


def test_a_watchlist_needs_a_symbol():
    with pytest.raises(ValueError, match="at least one symbol"):
        Watchlist(FakeMultiFeed(), [" "])


class FakeSingleFeed:
    def __init__(self) -> None:
        self.running: set[str] = set()
        self.cancelled: set[str] = set()

    async def run(self, symbol: str, book: OrderBook, listener: FeedListener) -> None:
        self.running.add(symbol)
        listener.state_changed(FeedState.LIVE, "")
        try:
            await asyncio.Event().wait()
        finally:
            self.cancelled.add(symbol)


async def test_per_symbol_feeds_run_one_feed_per_symbol_and_stop_them_all():
    single = FakeSingleFeed()
    watchlist = Watchlist(PerSymbolFeeds(single), ["gold-btc", "oil-btc"])
    task = asyncio.create_task(watchlist.run())
    for _ in range(100):
        if len(single.running) == 2:
            break
        await asyncio.sleep(0)
    assert single.running == {"gold-btc", "oil-btc"}
    assert all(row.live for row in watchlist.rows(NOW_MS))
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert single.cancelled == {"gold-btc", "oil-btc"}


def _settings(**flags: str) -> Settings:
    return Settings(Environment.LOCAL, "http://127.0.0.1:1", "ws://127.0.0.1:1",
                    Credentials(api_key="k", api_secret=SecretStr("s")), desk=load_config(flags, environ={}))


def test_the_watchlist_setting_picks_the_symbols_and_the_ticket_offers_them():
    default = _settings()
    assert default.watchlist_symbols == ["btcusd", "ethusd", "solusd"]
    assert default.ticket_symbols == ["btcusd", "ethusd", "solusd"]
    desk = _settings(watchlist="ETHUSD, ltcusd,dogeusd", default_symbol="solusd")
    assert desk.watchlist_symbols == ["ethusd", "ltcusd", "dogeusd"]
    # The ticket (and so the session's symbol rules) gains the watched symbols it did not offer.
    assert desk.ticket_symbols == ["solusd", "btcusd", "ethusd", "ltcusd", "dogeusd"]
    assert load_config(environ={"TRADING_CONSOLE_WATCHLIST": "xrpusd,btcusd"}).watchlist == ("xrpusd", "btcusd")
    with pytest.raises(ConfigError, match="watchlist must name at least one symbol"):
        load_config({"watchlist": " , "}, environ={})
