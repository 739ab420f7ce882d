"""`trading-console --venue roxom`'s app, built by the app factory against the embedded local Roxom venue (the same
child process the command line starts): place an order from the ticket, see its row from the stream, cancel it with
`x`, and read the status pane's decoding."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from console.app.cli import build_settings
from console.app.config import load_config
from console.app.settings import RoxomKey, Venue
from console.domain.model import OrderState
from console.exchange.process import LocalExchangeInfo, LocalExchangeProcess
from console.tui.screens.guard_confirm import GuardConfirm
from console.tui.widgets.orders_table import OrdersTable
from console.tui.widgets.status_pane import StatusPane
from tests.support.console_app import wait_for, wait_until_ready
from tests.support.roxom_scenarios import roxom_console


@pytest.fixture(scope="module")
def roxom() -> Iterator[LocalExchangeInfo]:
    with LocalExchangeProcess() as process:
        yield process.start(venue="roxom", simulator=False)


async def test_place_see_the_row_from_the_stream_cancel_with_x(roxom: LocalExchangeInfo) -> None:
    app = roxom_console(roxom, "roxpilot")
    async with app.run_test(size=(140, 40)) as pilot:
        await wait_until_ready(pilot)
        assert "ROXOM LOCAL" in str(app.screen.query_one("#environment").render())
        table = app.screen.query_one(OrdersTable)
        await pilot.press("o")
        await pilot.press(*"0.025000", "tab", *"1.00", "enter")
        # The venue runs without its market maker: no market price, so the guard asks first.
        await wait_for(pilot, lambda: isinstance(app.screen, GuardConfirm), what="the guard")
        assert "No market price for GOLD-BTC" in " ".join(str(s.content) for s in app.screen.query(".breach"))
        await pilot.press("y")
        await wait_for(pilot, lambda: table.order_count() == 1 and table.selected_order.state is OrderState.LIVE,
                       what="the order's row, live from the stream")
        order = table.selected_order
        assert len(order.order_id) == 36 and order.client_order_id is not None
        assert order.client_order_id.startswith("tc-roxpilot-") and order.price == Decimal("0.025")
        await pilot.press("escape", "x")
        await wait_for(pilot, lambda: (o := app.session.blotter.get(order.order_id)) is not None
                       and o.state is OrderState.CANCELLED, what="cancelled from the stream")
        pane = app.screen.query_one(StatusPane)
        await wait_for(pilot, lambda: any("usercancel" in line for line in pane.entries_text()),
                       what="the cancel decoded")
        line = next(line for line in pane.entries_text() if "usercancel" in line)
        assert order.client_order_id in line and "Cancelled at your request." in line
        await wait_for(pilot, lambda: table.order_count() == 0, what="the row to leave")


def test_the_command_line_builds_roxom_settings(tmp_path: Path) -> None:
    key = tmp_path / "key.pem"
    key.write_text("x")
    args = argparse.Namespace(venue="roxom", sandbox=False, production=False, rest_url="http://127.0.0.1:1",
                              ws_url=None, symbols=None, accounts="", settings=None, theme=None, config=None)
    settings = build_settings(args, {"ROXOM_API_KEY": "xrxk_key_0123456789abcdef0123456789abcdef",
                                     "ROXOM_PRIVATE_KEY_FILE": str(key)}, load_config({}, environ={}))
    assert settings is not None and settings.venue is Venue.ROXOM and settings.ws_url == "ws://127.0.0.1:1/ws"
    assert settings.symbols[0] == "gold-btc" and settings.masked_key == "xrxk_key_…cdef"
    assert settings.roxom_key == RoxomKey("xrxk_key_0123456789abcdef0123456789abcdef", key)


async def test_cancelling_can_still_fill_then_cancelled_decoded(tmp_path: Path) -> None:
    """The venue in the test's loop with a 1 s cancel latency: `x` shows the row cancelling, a fill arrives while
    the cancel is pending, then the venue's cancel ends it, and the status pane says both."""
    from console.exchange.roxom.app import RoxomServer
    from console.venues.roxom.auth import RoxomSigner, load_private_key
    from console.venues.roxom.rest import RoxomRestClient

    server = RoxomServer(port=0, simulator=False, state_dir=tmp_path, cancel_latency_s=1.0)
    await server.start()
    pem = (Path(__file__).resolve().parents[1] / "fixtures" / "roxom" / "test_private_key.pem").read_bytes()
    maker_key = load_private_key(pem)
    entry = server.add_key(maker_key.public_key(), "maker", Decimal(100))
    maker = RoxomRestClient(server.rest_url, RoxomSigner(entry.key_id, maker_key))
    info = LocalExchangeInfo(rest_url=server.rest_url, ws_url=server.ws_url, api_key=server.api_key,
                             private_key_path=str(server.private_key_path))
    app = roxom_console(info, "roxpilot")
    try:
        async with app.run_test(size=(140, 40)) as pilot:
            await wait_until_ready(pilot)
            table = app.screen.query_one(OrdersTable)
            await pilot.press("o", *"0.025000", "tab", *"1.00", "enter")
            await wait_for(pilot, lambda: isinstance(app.screen, GuardConfirm), what="the guard")
            await pilot.press("y")
            await wait_for(pilot, lambda: table.order_count() == 1 and table.selected_order.state is OrderState.LIVE,
                           what="the live row")
            order_id = table.selected_order.order_id
            await pilot.press("escape", "x")
            await wait_for(pilot, lambda: table.selected_order.state is OrderState.PENDING_CANCEL,
                           what="the row cancelling")
            await maker.place_order(symbol="GOLD-BTC", side="sell", order_type="limit", qty=Decimal("0.40"),
                                    px=Decimal("0.025000"))
            await wait_for(pilot, lambda: (o := app.session.blotter.get(order_id)) is not None
                           and o.filled == Decimal("0.40") and o.state is OrderState.PENDING_CANCEL,
                           what="a fill while the cancel is pending")
            await wait_for(pilot, lambda: (o := app.session.blotter.get(order_id)) is not None
                           and o.state is OrderState.CANCELLED, what="cancelled")
            pane = app.screen.query_one(StatusPane)
            await wait_for(pilot, lambda: any("usercancel" in line for line in pane.entries_text()),
                           what="the cancel decoded")
            lines = pane.entries_text()
            # The fill shows in the order's one completion line (issue 19), not a line of its own.
            await wait_for(pilot, lambda: any("done: 0.4 of 1 @ avg" in line and "rest cancelled" in line
                                              for line in pane.entries_text()), what="the completion line")
            assert not any("Filled 0.4" in line for line in lines), lines
            ended = app.session.blotter.get(order_id)
            assert ended is not None and ended.filled == Decimal("0.40") and ended.price == Decimal("0.025")
    finally:
        await maker.close()
        await server.stop()


async def test_prices_show_at_the_tick_everywhere_and_amounts_in_contracts(tmp_path: Path) -> None:
    """Roxom writes BTC prices with 8 decimals; the table (formatted with the tick), the ladder, the ticket's touch
    and the status pane all show GOLD-BTC's 100-sat tick (6 decimals), and amounts are contracts, not ``GOLD``."""
    from console.exchange.roxom.app import RoxomServer
    from console.tui.widgets.depth_ladder import DepthLadder
    from console.tui.widgets.ticket import OrderTicket
    from console.venues.roxom.auth import RoxomSigner, load_private_key
    from console.venues.roxom.rest import RoxomRestClient

    server = RoxomServer(port=0, simulator=False, state_dir=tmp_path)
    await server.start()
    pem = (Path(__file__).resolve().parents[1] / "fixtures" / "roxom" / "test_private_key.pem").read_bytes()
    maker_key = load_private_key(pem)
    entry = server.add_key(maker_key.public_key(), "maker", Decimal(100))
    maker = RoxomRestClient(server.rest_url, RoxomSigner(entry.key_id, maker_key))
    await maker.place_order(symbol="GOLD-BTC", side="sell", order_type="limit", qty=Decimal("2.00"),
                            px=Decimal("0.025300"))
    await maker.place_order(symbol="GOLD-BTC", side="buy", order_type="limit", qty=Decimal("2.00"),
                            px=Decimal("0.024800"))
    info = LocalExchangeInfo(rest_url=server.rest_url, ws_url=server.ws_url, api_key=server.api_key,
                             private_key_path=str(server.private_key_path))
    app = roxom_console(info, "roxpilot")
    try:
        async with app.run_test(size=(140, 40)) as pilot:
            await wait_until_ready(pilot)
            ticket = app.screen.query_one(OrderTicket)
            ladder = app.screen.query_one(DepthLadder)
            await wait_for(pilot, lambda: app.market.live and app.market.book.best_ask is not None, what="the book")
            await pilot.pause()
            touch = str(ticket.query_one("#quote-touch").render())
            assert "bid 0.024800" in touch and "ask 0.025300" in touch and "0.0253000" not in touch, touch
            rows = " ".join(ladder.visible_rows())
            assert "0.025300" in rows and "0.02530000" not in rows, rows
            hint = str(ticket.query_one("#rules-hint").render())
            assert "min 0.01 contracts" in hint and "GOLD" not in hint, hint
            await pilot.press("o", *"0.025", "tab", *"1.00", "enter")
            table = app.screen.query_one(OrdersTable)
            await wait_for(pilot, lambda: table.order_count() == 1 and table.selected_order.state is OrderState.LIVE,
                           what="the live row")
            order = table.selected_order
            assert str(order.price) == "0.025000"  # from the venue, at the tick
            pane = app.screen.query_one(StatusPane)
            await pilot.press("escape", "x")  # the cancel's lines name the order with its price
            await wait_for(pilot, lambda: (o := app.session.blotter.get(order.order_id)) is not None
                           and o.state is OrderState.CANCELLED, what="cancelled")
            await wait_for(pilot, lambda: any("@" in line for line in pane.entries_text()),
                           what=f"the order in the status pane: {pane.entries_text()}")
            lines = [line for line in pane.entries_text() if "GOLD-BTC" in line and "@" in line]
            assert lines and all("@ 0.025000" in line for line in lines), lines
            assert not any("0.02500000" in line for line in pane.entries_text())
    finally:
        await maker.close()
        await server.stop()


async def test_a_price_outside_roxom_s_band_is_blocked_and_nothing_is_sent(tmp_path: Path) -> None:
    """Roxom's documented bands (buy ≤ best ask × 1.1, ±50% of the mark) checked before sending: the guard dialog
    says BLOCKED with the numbers, `y` cannot send it, the ticket says why, and the venue never sees an order."""
    from console.exchange.roxom.app import RoxomServer
    from console.tui.widgets.ticket import OrderTicket
    from console.venues.roxom.auth import RoxomSigner, load_private_key
    from console.venues.roxom.rest import RoxomRestClient

    server = RoxomServer(port=0, simulator=False, state_dir=tmp_path)
    await server.start()
    pem = (Path(__file__).resolve().parents[1] / "fixtures" / "roxom" / "test_private_key.pem").read_bytes()
    maker_key = load_private_key(pem)
    entry = server.add_key(maker_key.public_key(), "maker", Decimal(100))
    maker = RoxomRestClient(server.rest_url, RoxomSigner(entry.key_id, maker_key))
    await maker.place_order(symbol="GOLD-BTC", side="sell", order_type="limit", qty=Decimal("2.00"),
                            px=Decimal("0.025300"))
    await maker.place_order(symbol="GOLD-BTC", side="buy", order_type="limit", qty=Decimal("2.00"),
                            px=Decimal("0.024800"))
    info = LocalExchangeInfo(rest_url=server.rest_url, ws_url=server.ws_url, api_key=server.api_key,
                             private_key_path=str(server.private_key_path))
    app = roxom_console(info, "roxpilot")
    try:
        async with app.run_test(size=(140, 40)) as pilot:
            await wait_until_ready(pilot)
            await wait_for(pilot, lambda: app.market.live and app.market.book.best_ask is not None, what="the book")
            # 0.027900 is 10.3% above the best ask: the console's own bands are widened so only the venue's speaks.
            app.screen.guards.limits = type(app.screen.guards.limits)(price_band_pct=Decimal(50),
                                                                       hard_price_band_pct=None)
            await pilot.press("o", *"0.027900", "tab", *"1.00", "enter")
            await wait_for(pilot, lambda: isinstance(app.screen, GuardConfirm), what="the guard")
            dialog = app.screen
            assert isinstance(dialog, GuardConfirm) and dialog.verdict.blocked
            text = " ".join(str(s.content) for s in dialog.query(".breach"))
            assert "above Roxom's price band: a buy may be at most 0.027830 (best ask 0.025300 + 10%" in text, text
            await pilot.press("y")  # a hard breach: `y` does not send
            await pilot.pause()
            assert isinstance(app.screen, GuardConfirm)
            await pilot.press("n")
            await wait_for(pilot, lambda: not isinstance(app.screen, GuardConfirm), what="back to the ticket")
            ticket = app.screen.query_one(OrderTicket)
            shown = str(ticket.query_one("#error-price").render())
            assert shown.startswith("Not sent: Limit price 0.027900 is above Roxom's price band"), shown
            ours = server.engine.orders(server.demo_account_id, include_closed=True)
            assert ours == [] and app.screen.query_one(OrdersTable).order_count() == 0  # nothing was sent
    finally:
        await maker.close()
        await server.stop()


async def test_the_positions_view_shows_the_venue_s_own_position(tmp_path: Path) -> None:
    """On Roxom the `p` view's row is the venue's position: size, entry price, the venue's mark and unrealised P&L,
    and the liquidation price; a pushed position message after another fill moves the open view."""
    from console.domain.model import OrderType, Side
    from console.domain.ticket import TicketInput
    from console.exchange.roxom.app import RoxomServer
    from console.tui.screens.positions import PositionsScreen
    from console.tui.widgets.position_line import signed_money
    from console.venues.roxom.auth import RoxomSigner, load_private_key
    from console.venues.roxom.rest import RoxomRestClient

    server = RoxomServer(port=0, simulator=False, state_dir=tmp_path)
    await server.start()
    pem = (Path(__file__).resolve().parents[1] / "fixtures" / "roxom" / "test_private_key.pem").read_bytes()
    maker_key = load_private_key(pem)
    entry = server.add_key(maker_key.public_key(), "maker", Decimal(100))
    maker = RoxomRestClient(server.rest_url, RoxomSigner(entry.key_id, maker_key))
    await maker.place_order(symbol="GOLD-BTC", side="buy", order_type="limit", qty=Decimal("3.00"),
                            px=Decimal("0.025000"))
    info = LocalExchangeInfo(rest_url=server.rest_url, ws_url=server.ws_url, api_key=server.api_key,
                             private_key_path=str(server.private_key_path))
    app = roxom_console(info, "roxpilot")
    sell = TicketInput("gold-btc", Side.SELL, OrderType.LIMIT, "0.025000", "1.00")

    def rows() -> dict[str, list[str]]:
        table = app.screen.query_one("#positions-table")
        return {str(r[0]): [str(c) for c in r] for r in (table.get_row_at(i) for i in range(table.row_count))}

    try:
        async with app.run_test(size=(160, 40)) as pilot:
            await wait_until_ready(pilot)
            await app.session.submit(app.session.prepare(sell))  # into the maker's bid: short 1 at 0.025000
            await wait_for(pilot, lambda: "gold-btc" in app.positions.venue_held, what="the venue's position")
            await pilot.press("p")
            await wait_for(pilot, lambda: isinstance(app.screen, PositionsScreen) and app.screen.loaded >= 1
                           and "GOLD-BTC" in rows(), what="the positions view")
            row = rows()["GOLD-BTC"]
            held = app.positions.venue_held["gold-btc"]
            assert row[1] == "-1" and row[2] == "0.025000"  # net and the venue's entry price
            assert row[3].endswith(" venue") and row[-1] == "0.027500"  # the venue's mark; liq = entry × 1.1
            assert row[4] == signed_money(held.unrealised, "BTC")  # the venue's unrealised P&L
            await app.session.submit(app.session.prepare(sell))  # another fill: the pushed message moves the row
            await wait_for(pilot, lambda: rows().get("GOLD-BTC", ["", ""])[1] == "-2", what="the pushed position")
            assert rows()["GOLD-BTC"][2] == "0.025000"
    finally:
        await maker.close()
        await server.stop()
