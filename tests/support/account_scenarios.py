"""Account-view states shared by the Pilot tests, the snapshot tests and ``make screenshots``.

Each runs against a local exchange WITHOUT the market simulator and with a fixed clock, seeded with the demo
account's fills, cancels and one broken trade through the engine, so every picture is the same on every run.
"""

from __future__ import annotations

from textual.coordinate import Coordinate
from textual.widgets import DataTable

from console.exchange.keys import (
    DEMO_API_KEY,
    DEMO_AUDITOR_API_KEY,
    DEMO_AUDITOR_API_SECRET,
    DEMO_MASTER_API_KEY,
    DEMO_MASTER_API_SECRET,
)
from tests.support.console_app import (
    FIXED_NOW_MS,
    fixed_clock,
    settle_balances,
    snapshot_app,
    wait_for,
    wait_until_ready,
)
from tests.support.exchange_thread import ExchangeThread

COUNTERPARTY_BALANCES = {"USD": "10000000", "BTC": "1000", "ETH": "10000", "SOL": "100000"}


def account_exchange(port: int = 0, clock_ms=None) -> ExchangeThread:
    """A local exchange for the account views: no simulator, every timestamp at the fixed "now" by default."""
    return ExchangeThread(port=port, simulator=False, paused=False, heartbeat_interval_s=60,
                          clock_ms=clock_ms or fixed_clock(FIXED_NOW_MS))


def seed_account_activity(exchange: ExchangeThread) -> dict[str, str]:
    """Give the demo account four fills (one broken), a cancel after a partial fill, a cancel and a live order.

    Returns:
        ``{"filled": order id, "resting": order id, ...}`` of the demo account's orders, and ``"counterparty"``:
        the engine account id of the other side.
    """
    server = exchange.server
    engine = server.engine
    me = server.demo_account_id
    other = exchange.call(engine.add_account, "counterparty", COUNTERPARTY_BALANCES)

    def place(account, session, symbol, side, amount, price, cid=None, options=()):
        return exchange.call(engine.place_order, account, session, symbol=symbol, side=side,
                             order_type="exchange limit", amount=amount, price=price, options=list(options),
                             client_order_id=cid)

    ids = {"counterparty": other}
    place(other, "UI", "btcusd", "sell", "0.25", "64250.00")
    ids["filled"] = place(me, DEMO_API_KEY, "btcusd", "buy", "0.25", "64250.00", "desk-btc-1")["order_id"]
    place(other, "UI", "ethusd", "buy", "1.5", "3150.00")
    ids["sold"] = place(me, DEMO_API_KEY, "ethusd", "sell", "2", "3150.00", "desk-eth-1",
                        ["immediate-or-cancel"])["order_id"]  # 1.5 filled, the rest cancelled
    ids["maker"] = place(me, DEMO_API_KEY, "solusd", "sell", "10", "142.500", "desk-sol-1")["order_id"]
    place(other, "UI", "solusd", "buy", "10", "142.500")  # takes the demo account's resting sell: a maker fill
    cancelled = place(me, DEMO_API_KEY, "btcusd", "buy", "0.1", "60000.00", "desk-btc-2")["order_id"]
    exchange.call(engine.cancel_order, me, cancelled, DEMO_API_KEY)
    ids["cancelled"] = cancelled
    ids["resting"] = place(me, DEMO_API_KEY, "btcusd", "buy", "0.05", "63500.00", "desk-btc-3")["order_id"]
    place(other, "UI", "btcusd", "sell", "0.02", "63500.00")  # a partial fill: the resting order stays live
    trades = exchange.call(engine.my_trades, me)
    broken = next(t for t in trades if t["symbol"] == "ETHUSD")
    exchange.call(engine.break_trade, broken["tid"], "manual")
    return ids


def app_for(exchange: ExchangeThread, role: str = "trader"):
    """The console on ``exchange`` with the demo Trader key, the Auditor key (``"auditor"``) or the master key, as
    pictures show it (:func:`tests.support.console_app.snapshot_app`)."""
    server = exchange.server
    if role == "auditor":
        return snapshot_app(server.rest_url, server.ws_url, api_key=DEMO_AUDITOR_API_KEY,
                        api_secret=DEMO_AUDITOR_API_SECRET)
    if role == "master":
        return snapshot_app(server.rest_url, server.ws_url, api_key=DEMO_MASTER_API_KEY,
                        api_secret=DEMO_MASTER_API_SECRET, sub_accounts=("primary", "secondary"))
    return snapshot_app(server.rest_url, server.ws_url)


def _measured(table: DataTable) -> bool:
    """True once every column of ``table`` is as wide as its widest cell: a DataTable measures new rows when its
    queue next goes idle, so a picture taken before then shows every column cut to its header's width."""
    for index, column in enumerate(table.ordered_columns):
        widest = max((len(str(table.get_cell_at(Coordinate(row, index)))) for row in range(table.row_count)),
                     default=0)
        if column.content_width < widest:
            return False
    return True


async def wait_tables_measured(pilot) -> None:
    """Wait until every table of the screen has measured its rows (see :func:`_measured`)."""
    await wait_for(pilot, lambda: all(_measured(t) for t in pilot.app.screen.query(DataTable)),
                   what="the tables' column widths")


async def _open(pilot, key: str, table_id: str, rows: int) -> None:
    await wait_until_ready(pilot)
    await pilot.press(key)
    await wait_for(pilot, lambda: pilot.app.screen.query(f"#{table_id}")
                   and pilot.app.screen.query_one(f"#{table_id}").row_count >= rows, what=f"{table_id} rows")
    await pilot.pause()
    await wait_tables_measured(pilot)


async def history_view(pilot) -> None:
    """``h``: the closed orders; the partly filled one selected, its (broken) fill below."""
    await _open(pilot, "h", "history-orders", 4)
    await pilot.press("down", "down")
    await pilot.pause()
    await wait_tables_measured(pilot)


async def fills_view(pilot) -> None:
    """``f``: every fill, the broken one flagged."""
    await _open(pilot, "f", "fills-table", 4)


async def balances_view(pilot) -> None:
    """``b``: balances with the resting order's USD held."""
    await _open(pilot, "b", "balances-table", 6)


async def fees_view(pilot) -> None:
    """``v``: fee bps, 30-day notional, per-symbol volume."""
    await _open(pilot, "v", "fees-volume", 3)


async def order_detail_view(pilot) -> None:
    """``i`` on the orders table's selected order (the resting one)."""
    await wait_until_ready(pilot)
    await wait_for(pilot, lambda: pilot.app.session.open_order_count() >= 1, what="the resting order")
    await pilot.pause()
    await _open(pilot, "i", "detail-fields", 10)


async def wrap_view(pilot) -> None:
    """``w``: wrap 250 USD into GUSD; the receipt shows."""
    await wait_until_ready(pilot)
    await pilot.press("w")
    screen = pilot.app.screen
    await wait_for(pilot, lambda: screen.query("#wrap-symbol") and screen.query_one("#wrap-symbol").value
                   == "gusdusd", what="the wrap-enabled symbols")
    await pilot.press(*"250.00", "enter")
    await wait_for(pilot, lambda: bool(screen.receipt_text), what="the wrap receipt")
    await pilot.pause()


async def positions_view(pilot) -> None:
    """``p``: the positions since today (BTCUSD long, SOLUSD short; the broken ETHUSD trade left out), USD total."""
    await wait_until_ready(pilot)
    await wait_for(pilot, lambda: pilot.app.positions.loads >= 1, what="the positions' first load")
    await _open(pilot, "p", "positions-table", 3)
    await wait_for(pilot, lambda: pilot.app.screen.loaded >= 1, what="the view's own load")
    await wait_tables_measured(pilot)


async def main_screen_with_position(pilot) -> None:
    """The main screen once the ticket's symbol (BTCUSD) has a position: its two lines at the ticket's bottom."""
    await wait_until_ready(pilot)
    line = pilot.app.main_screen.query_one("#position-line")
    await wait_for(pilot, lambda: pilot.app.positions.loads >= 1 and line.display, what="the position line")
    await settle_balances(pilot)
    await pilot.pause()


async def sub_account_switcher(pilot) -> None:
    """``u`` with the master key: the sub-account list."""
    await wait_until_ready(pilot)
    await pilot.press("u")
    await pilot.pause()


async def read_only(pilot) -> None:
    """The Auditor key: the read-only banner, the ticket disabled, no trading keys in the footer."""
    await wait_until_ready(pilot)
    await wait_for(pilot, lambda: pilot.app.read_only, what="read-only mode")
    await pilot.pause()
