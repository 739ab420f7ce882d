"""The watchlist on the embedded local Roxom venue: one market data feed per watched symbol, rows live, Enter moves
the ticket."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from console.exchange.process import LocalExchangeInfo, LocalExchangeProcess
from console.tui.widgets.ticket import OrderTicket
from console.tui.widgets.watchlist import WatchlistPanel
from tests.support.console_app import wait_for, wait_until_ready
from tests.support.roxom_scenarios import roxom_console


@pytest.fixture(scope="module")
def roxom() -> Iterator[LocalExchangeInfo]:
    with LocalExchangeProcess() as process:
        yield process.start(venue="roxom", simulator=False)


async def test_roxom_watchlist_rows_go_live_and_enter_moves_the_ticket(roxom: LocalExchangeInfo) -> None:
    app = roxom_console(roxom, "roxwatch", symbols=("gold-btc",), watchlist="gold-btc,us500-btc,oil-btc")
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until_ready(pilot)
        panel = app.screen.query_one(WatchlistPanel)
        await pilot.press("t")
        assert [row.symbol for row in panel.rows] == ["gold-btc", "us500-btc", "oil-btc"]
        await wait_for(pilot, lambda: all(row.live for row in panel.rows), what="every Roxom row live")
        await pilot.press("down", "enter")
        assert app.screen.query_one(OrderTicket).symbol == "us500-btc"
        await wait_for(pilot, lambda: app.market.symbol == "us500-btc" and app.market.live, what="the US500 book")
        assert "us500-btc" in app.session.rules
