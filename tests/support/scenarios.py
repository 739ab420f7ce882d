"""Screen states shared by the snapshot tests and ``make screenshots``: each drives the real pipeline."""

from __future__ import annotations

import asyncio
from decimal import Decimal, InvalidOperation

from console.domain.book import own_levels
from console.domain.model import ExecOption, OrderState, OrderType, Side
from console.domain.ticket import TicketInput
from console.exchange.keys import DEMO_API_KEY
from console.tui.widgets.depth_ladder import OWN_MARK
from console.tui.widgets.position_line import position_text
from tests.support.console_app import FIXED_NOW_MS, settle_market, wait_for, wait_until_ready
from tests.support.exchange_thread import ExchangeThread


def seed_resting_orders(exchange: ExchangeThread) -> None:
    """Rest a few demo-account orders away from the touch: from this key, and one 'from the web UI'."""
    engine = exchange.server.engine
    account = exchange.server.demo_account_id
    orders = [
        (DEMO_API_KEY, "btcusd", "buy", "0.25", "63000.00", None, "desk-bid-1"),
        (DEMO_API_KEY, "btcusd", "sell", "0.10", "65500.00", None, "desk-ask-1"),
        (DEMO_API_KEY, "ethusd", "buy", "2.5", "3050.00", None, "desk-eth-1"),
        (DEMO_API_KEY, "solusd", "buy", "40", "150.000", "149.500", "desk-sol-stop"),
        ("UI", "btcusd", "buy", "0.05", "62500.00", None, None),
    ]
    for session, symbol, side, amount, price, stop, cid in orders:
        exchange.call(
            engine.place_order,
            account,
            session,
            symbol=symbol,
            side=side,
            order_type="exchange stop limit" if stop else "exchange limit",
            amount=amount,
            price=price,
            stop_price=stop,
            options=[],
            client_order_id=cid,
        )


async def main_screen(pilot) -> None:
    """The console live with resting orders."""
    await wait_until_ready(pilot)
    await wait_for(pilot, lambda: pilot.app.session.open_order_count() >= 5, what="the seeded orders")
    await settle_market(pilot)
    await pilot.pause()


async def ticket_errors(pilot) -> None:
    """A stop-limit buy with a stop above its price, an off-tick price and an amount below the minimum."""
    await wait_until_ready(pilot)
    await pilot.press("o")
    ticket = pilot.app.screen.query_one("#ticket")
    ticket.query_one("#type").value = OrderType.STOP_LIMIT.value
    await pilot.pause()
    for field, text in (("#price", "64250.005"), ("#stop_price", "64300"), ("#amount", "0.000001")):
        ticket.query_one(field).value = text
    ticket.query_one("#price").focus()
    await pilot.press("enter")
    await settle_market(pilot)
    await pilot.pause()


async def cancel_all_confirmation(pilot) -> None:
    """The cancel-all confirmation over live orders from this session and the web UI."""
    await main_screen(pilot)
    await pilot.press("a")
    await pilot.pause()


async def status_reasons(pilot) -> None:
    """Orders ended by execution options, a fill, a reject and a requested cancel, decoded in the status pane.

    Every order here ends in one place (REST answer or stream event, whichever comes first), so the pane's
    order of entries does not depend on that race.
    """
    await wait_until_ready(pilot)
    session = pilot.app.session
    book = await session.venue.rest.book("btcusd", limit_bids=1, limit_asks=1)
    best_bid, best_ask = book.bids[0], book.asks[0]
    tickets = [
        TicketInput("btcusd", Side.BUY, OrderType.LIMIT, str(best_ask.price + Decimal("5.00")), "0.01",
                    option=ExecOption.MAKER_OR_CANCEL),
        TicketInput("btcusd", Side.BUY, OrderType.LIMIT, str(best_ask.price), str(best_ask.amount + Decimal("0.5")),
                    option=ExecOption.FILL_OR_KILL),
        TicketInput("btcusd", Side.BUY, OrderType.LIMIT, str(best_bid.price), "0.02",
                    option=ExecOption.IMMEDIATE_OR_CANCEL),
        TicketInput("btcusd", Side.BUY, OrderType.LIMIT, str(best_ask.price), "0.01"),
        TicketInput("btcusd", Side.BUY, OrderType.LIMIT, "60000.00", "1000"),
    ]
    pane = pilot.app.screen.query_one("#status")
    for ticket in tickets:  # one status entry each; wait for it so the pane's order is deterministic
        expected = len(pane.entries_text()) + 1
        await session.submit(session.prepare(ticket))
        await wait_for(pilot, lambda expected=expected: len(pane.entries_text()) >= expected,
                       what=f"the outcome of {ticket}")
    resting = await session.submit(session.prepare(TicketInput("ethusd", Side.BUY, OrderType.LIMIT, "3000.00", "1")))
    expected = len(pane.entries_text()) + 1
    await session.cancel(resting.order_id)
    await wait_for(pilot, lambda: len(pane.entries_text()) >= expected, what="the requested cancel")
    await settle_market(pilot)
    await pilot.pause()


#: Exchange settings of every picture: the exchange's clock is fixed (like the console's), so public trades show
#: the same times in every picture.
SNAPSHOT_EXCHANGE_KWARGS = {"clock_ms": lambda: FIXED_NOW_MS}


def seed_trades(exchange: ExchangeThread) -> None:
    """Two public trades from another account: a buy lifting the best ask, then a sell hitting the best bid."""
    engine = exchange.server.engine
    flow = exchange.call(engine.add_account, "flow", {"USD": "1000000", "BTC": "100"})
    bid, ask = exchange.call(engine.best_bid_ask, "btcusd")
    for side, price, amount in (("buy", ask, "0.1"), ("sell", bid, "0.3")):
        exchange.call(engine.place_order, flow, "flow-desk", symbol="btcusd", side=side,
                      order_type="exchange limit", amount=amount, price=str(price),
                      options=["immediate-or-cancel"])


async def ticket_and_ladder(pilot) -> None:
    """Join the best bid with one key and place it (marked on the ladder), then start an order one tick better."""
    await wait_until_ready(pilot)
    app = pilot.app
    await wait_for(pilot, lambda: len(app.market.trades()) >= 2, what="the seeded trades")
    ladder = app.screen.query_one("#ladder")

    def marked() -> int:
        return sum(row.startswith("◆") for row in ladder.visible_rows())

    before = marked()  # the seeded resting orders' levels are marked already
    await pilot.press("o", "ctrl+y", "tab", *"0.25", "enter")
    await wait_for(pilot, lambda: marked() > before, what="the new order's level marked on the ladder")
    await pilot.press("escape", "o", "ctrl+t")
    app.screen.query_one("#ticket").query_one("#amount").value = "0.1"
    await settle_market(pilot)
    await pilot.pause()


async def ticket_sell_stop(pilot) -> None:
    """A sell stop-limit whose stop is above the last trade: red from the side control to the button, the button
    saying what it sends, the warning that the stop triggers at once, the available BTC on the border."""
    await wait_until_ready(pilot)
    app = pilot.app
    await wait_for(pilot, lambda: app.market.book.last is not None, what="the seeded trades")
    ticket = app.screen.query_one("#ticket")
    ticket.query_one("#type").value = OrderType.STOP_LIMIT.value
    await pilot.pause()
    await pilot.press("o", "ctrl+s")
    for field, text in (("#price", "64350.00"), ("#stop_price", "64400.00"), ("#amount", "0.25")):
        ticket.query_one(field).value = text
    ticket.query_one("#side").focus()
    await settle_market(pilot)
    await pilot.pause()


async def guard_confirmation(pilot) -> None:
    """A buy limit far above the market and above the notional maximum: the guard asks, stating the numbers."""
    await wait_until_ready(pilot)
    await pilot.press("o")
    await pilot.press(*"70000.00", "tab", *"2", "enter")
    await wait_for(pilot, lambda: type(pilot.app.screen).__name__ == "GuardConfirm", what="the guard confirmation")
    await pilot.pause()


async def help_screen(pilot) -> None:
    """The help screen over the main screen."""
    await wait_until_ready(pilot)
    await pilot.press("question_mark")
    await wait_for(pilot, lambda: type(pilot.app.screen).__name__ == "HelpScreen", what="the help screen")
    await pilot.pause()


async def settle_watchlist(pilot, timeout: float = 10.0) -> None:
    """Wait until every row the watchlist panel shows is live and equals the exchange (REST best bid, best ask and
    last trade of its symbol), so a picture never catches a quote in flight."""
    app = pilot.app
    panel = app.screen.query_one("#watchlist")
    rest = app.session.venue.rest

    async def exchange_rows() -> list[tuple]:
        rows = []
        for symbol in panel.watchlist.symbols:
            book = await rest.book(symbol, limit_bids=1, limit_asks=1)
            trades = await rest.public_trades(symbol, limit_trades=1)
            rows.append((symbol, book.bids[0].price if book.bids else None, book.asks[0].price if book.asks else None,
                         trades[0].price if trades else None))
        return rows

    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        shown = [(row.symbol, row.bid, row.ask, row.last) for row in panel.rows]
        if all(row.live for row in panel.rows) and shown == await exchange_rows():
            break
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for the watchlist to match the exchange: {panel.rows}")
        await pilot.pause(0.05)


async def watchlist(pilot) -> None:
    """The watchlist (t) in the orders' place, live; ETHUSD chosen with Enter: the ticket and the book follow."""
    await wait_until_ready(pilot)
    app = pilot.app
    await pilot.press("t")
    await settle_watchlist(pilot)
    await pilot.press("down", "enter")
    await wait_for(pilot, lambda: app.market.symbol == "ethusd" and app.market.live, what="the ETHUSD book")
    await settle_market(pilot)
    await settle_watchlist(pilot)


async def cancel_replace(pilot) -> None:
    """Cancel-replace: `e` on the BTC bid loads it into the ticket; a better price and Enter replace it (the story line
    in the status pane); then `e` on the BTC ask shows the ticket in replace mode."""
    await main_screen(pilot)
    app = pilot.app
    table = app.screen.query_one("#orders")

    async def select(client_order_id: str) -> None:
        await pilot.press("escape", "home")
        rows = [o.client_order_id for o in table.view.rows()]
        await pilot.press(*["down"] * rows.index(client_order_id))

    await select("desk-bid-1")
    await pilot.press("e")
    app.screen.query_one("#ticket").query_one("#price").value = "63100.00"
    await pilot.press("enter")
    await wait_for(pilot, lambda: any(o.price == Decimal("63100.00") and o.order_id
                                      for o in app.session.blotter.open_orders()), what="the replacement")
    await wait_for(pilot, lambda: any("replaced #" in line for line in app.screen.query_one("#status").entries_text()),
                   what="the story line")
    await select("desk-ask-1")
    await pilot.press("e")
    await settle_market(pilot)
    # The price field has focus: its cursor blinks every 0.5 s, so the picture would depend on when it is taken.
    app.screen.query_one("#ticket").query_one("#price").cursor_blink = False  # no blink: the cursor always shows
    await pilot.pause()


def _ladder_marks_match(app) -> bool:
    """Whether every level the ladder shows is marked ◆ exactly when the blotter has an order resting there."""
    own = own_levels(app.session.blotter.iter_open_orders(), app.market.symbol)
    side = Side.SELL  # asks above the spread line, bids below it
    for row in app.main_screen.query_one("#ladder").visible_rows():
        if row.strip().startswith("spread"):
            side = Side.BUY
            continue
        if not row.strip():
            continue
        try:
            price = Decimal(row[1:].split()[0].replace(",", ""))
        except InvalidOperation:  # "waiting for the book…"
            return False
        if row.startswith(OWN_MARK) != ((side, price) in own):
            return False
    return True


async def settle_ladder_marks(pilot) -> None:
    """Wait until the ladder's own-order marks match the blotter: the screen redraws them once a second, so a
    picture taken sooner could miss a new order's mark."""
    await wait_for(pilot, lambda: _ladder_marks_match(pilot.app), what="the ladder's marks to match the blotter")
    await pilot.pause()


async def _select_order(pilot, client_order_id: str) -> None:
    """Put the orders table's cursor on the order with ``client_order_id`` (the table focused)."""
    table = pilot.app.main_screen.query_one("#orders")
    await pilot.press("escape", "home")
    rows = [o.client_order_id for o in table.view.rows()]
    await pilot.press(*["down"] * rows.index(client_order_id))
    await wait_for(pilot, lambda: table.selected_order is not None
                   and table.selected_order.client_order_id == client_order_id, what=f"{client_order_id} selected")


async def scope_chooser(pilot) -> None:
    """Scoped cancels: `d` on the BTC bid (resting orders on three symbols) offers BTCUSD, its buys, its sells."""
    await main_screen(pilot)
    await settle_ladder_marks(pilot)
    await _select_order(pilot, "desk-bid-1")
    await pilot.press("d")
    await wait_for(pilot, lambda: type(pilot.app.screen).__name__ == "ScopeChooser", what="the scope chooser")
    await settle_market(pilot)
    await pilot.pause()


async def scoped_cancel_preview(pilot) -> None:
    """Scoped cancels: `d` then `a` on the BTC bid: the preview of BTCUSD's three orders grouped by origin (two from
    this session, one from the web UI)."""
    await scope_chooser(pilot)
    await pilot.press("a")
    await wait_for(pilot, lambda: type(pilot.app.screen).__name__ == "ConfirmScopedCancel", what="the preview")
    await settle_market(pilot)
    await pilot.pause()


#: The BTC bought before the flatten picture (less than the market maker's best ask: one fill at one price).
FLATTEN_BUY = Decimal("0.05")


async def flatten_confirmation(pilot) -> None:
    """Flatten: a BTC buy at the best ask fills (a long of 0.05 BTC), then `F`: the IOC sell's confirmation."""
    await wait_until_ready(pilot)
    app = pilot.app
    session = app.session
    book = await session.venue.rest.book("btcusd", limit_bids=1, limit_asks=1)
    best_ask = book.asks[0]
    assert best_ask.amount >= FLATTEN_BUY, "the buy must fill at one price"
    await session.submit(session.prepare(TicketInput("btcusd", Side.BUY, OrderType.LIMIT, str(best_ask.price),
                                                     str(FLATTEN_BUY))))
    await wait_for(pilot, lambda: (p := app.positions.position("btcusd")) is not None and p.net == FLATTEN_BUY,
                   what="the BTCUSD position")
    await wait_for(pilot, lambda: any("done:" in line for line in app.main_screen.query_one("#status").entries_text()),
                   what="the buy's completion line")
    await settle_market(pilot)  # the flatten prices off the live book: let it equal the exchange's first
    line = app.main_screen.query_one("#position-line")  # the position and its P&L marked at the settled mid
    rules = app.positions.rules("btcusd")
    await wait_for(pilot, lambda: str(line.content) == "\n".join(
        position_text("btcusd", app.positions.row("btcusd"), rules.price_increment if rules else None)),
        what="the position line at the settled mid")
    await pilot.press("escape", "F")
    await wait_for(pilot, lambda: type(app.screen).__name__ == "ConfirmFlatten", what="the flatten confirmation")
    await settle_market(pilot)
    await pilot.pause()


async def hotkey_join_bid(pilot) -> None:
    """Hotkeys: `B` from the orders table places the default size (0.01 BTC, set in the config) at the best bid: the
    order live in the table, the ticket holding what was sent."""
    await wait_until_ready(pilot)
    app = pilot.app
    table = app.main_screen.query_one("#orders")
    await pilot.press("escape", "B")
    await wait_for(pilot, lambda: table.order_count() == 1 and table.selected_order is not None
                   and table.selected_order.state is OrderState.LIVE, what="the hotkey's order live in the table")
    await settle_ladder_marks(pilot)
    await settle_market(pilot)
    for field in app.main_screen.query("Input"):  # a focused Input's cursor blinks every 0.5 s
        field.cursor_blink = False
    await pilot.pause()
