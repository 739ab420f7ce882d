"""The console built by the app factory with ``--api ws``: order entry and the blotter over Gemini's WebSocket API.

Settings come from the command line exactly as ``trading-console --api ws --rest-url URL`` builds them
(``console.app.cli.build_settings``); the app from ``console.app.wiring.build_console``.
"""

from __future__ import annotations

import weakref
from decimal import Decimal

from textual.widgets import DataTable

from console.app.args import parser
from console.app.cli import build_settings
from console.app.settings import Environment
from console.app.wiring import build_console
from console.domain.account import BalanceRow
from console.domain.fmt import fmt_money
from console.domain.model import OrderState
from console.domain.ticket import ClientOrderIds
from console.exchange.keys import DEMO_WS_API_KEY, DEMO_WS_API_SECRET
from console.tui.app import TradingConsoleApp
from console.tui.screens.balances import BalancesScreen
from console.tui.widgets.orders_table import OrdersTable
from console.tui.widgets.status_pane import StatusPane
from console.tui.widgets.ticket import OrderTicket
from console.venues.gemini.ws_market import GeminiWsMarketFeed
from console.venues.gemini.ws_venue import GeminiWsVenue
from tests.support.console_app import wait_for, wait_until_ready

ENVIRON = {"GEMINI_API_KEY": DEMO_WS_API_KEY, "GEMINI_API_SECRET": DEMO_WS_API_SECRET}


def ws_app(rest_url: str, *extra: str) -> TradingConsoleApp:
    args = parser().parse_args(["--api", "ws", "--rest-url", rest_url, "--set", "toasts=false",
                                "--set", "bell=false", *extra])
    settings = build_settings(args, ENVIRON)
    assert settings is not None
    # The wall clock (the default): the time-based nonce must be within 30 s of the exchange's real clock.
    console = build_console(settings, client_order_ids=ClientOrderIds("wsapp"))
    if console.journal is not None:
        weakref.finalize(console.app, console.journal.close)
    return console.app


def test_settings_for_api_ws() -> None:
    args = parser().parse_args(["--api", "ws", "--rest-url", "http://127.0.0.1:8787"])
    settings = build_settings(args, ENVIRON)
    assert settings is not None and settings.environment is Environment.LOCAL
    assert settings.api == "ws" and settings.time_based_nonce
    assert settings.ws_api_url == "ws://127.0.0.1:8787/ws"
    assert not settings.cancel_on_disconnect  # LOCAL: off unless asked
    assert settings.api_label == "WS API · no cancel-on-disconnect"
    asked = build_settings(parser().parse_args(["--api", "ws", "--rest-url", "http://127.0.0.1:8787", "--set",
                                                "cancel_on_disconnect=true"]), ENVIRON)
    assert asked is not None and asked.cancel_on_disconnect
    assert asked.api_label == "WS API · cancel-on-disconnect"
    sandbox = build_settings(parser().parse_args(["--api", "ws", "--sandbox", "--ws-api-url", "wss://x.example"]),
                             ENVIRON)
    assert sandbox is not None and sandbox.cancel_on_disconnect  # on by default outside LOCAL
    rest = build_settings(parser().parse_args(["--rest-url", "http://127.0.0.1:8787"]), ENVIRON)
    assert rest is not None and rest.api == "rest" and not rest.time_based_nonce and rest.api_label == ""


async def test_api_ws_places_and_cancels_from_the_keyboard(exchange) -> None:
    app = ws_app(exchange.server.rest_url)
    assert isinstance(app.session.venue, GeminiWsVenue)
    assert app.market is not None and isinstance(app.market.client, GeminiWsMarketFeed)  # the ladder over /ws too
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until_ready(pilot)
        assert "WS API" in str(app.screen.query_one("#header #api").render())
        table = app.screen.query_one(OrdersTable)
        await pilot.press("o")
        await pilot.press(*"62500.00", "tab", *"0.015", "enter")
        await wait_for(pilot, lambda: table.order_count() == 1 and table.selected_order.order_id != "",
                       what="the order's row")
        order = table.selected_order
        status = exchange.call(exchange.server.engine.order_status, exchange.server.demo_account_id,
                               order_id=int(order.order_id))
        assert status["is_live"] is True and status["client_order_id"] == order.client_order_id
        arrivals = [path for path, _ in exchange.server.faults.arrivals]
        assert "/ws:order.place" in arrivals and "/v1/order/new" not in arrivals  # placed over the socket

        await pilot.press("escape", "x")
        await wait_for(pilot, lambda: table.order_count() == 0, what="the row to leave")
        assert "/ws:order.cancel" in [path for path, _ in exchange.server.faults.arrivals]
        pane = app.screen.query_one(StatusPane)
        await wait_for(pilot, lambda: any("Requested" in line for line in pane.entries_text()),
                       what="the cancel reason")
        line = next(line for line in pane.entries_text() if "Requested" in line)
        assert "Cancelled at your request." in line and order.client_order_id in line
        assert app.session.blotter.get(order.order_id).state is OrderState.CANCELLED
        # The ack and cancel latency figures cover the WebSocket API too, and the journal has its requests.
        await wait_for(pilot, lambda: app.latency.for_order(order.order_id).cancel_ms is not None,
                       what="the cancel latency")
        assert app.latency.for_order(order.order_id).ack_ms is not None
        assert app.latency.summary()["ack"][2] == 1


def _engine_available(exchange, currency: str) -> Decimal:
    rows = exchange.call(exchange.server.engine.balances, exchange.server.demo_account_id)
    return next(Decimal(row["available"]) for row in rows if row["currency"] == currency)


def _place_elsewhere(exchange, client_order_id: str) -> int:
    """Another session of the same account buys far below the book: its order holds USD and never fills, and
    nothing this console does (no order, cancel or fill of its own) would make it read the balances."""
    placed = exchange.call(exchange.server.engine.place_order, exchange.server.demo_account_id, "UI",
                           symbol="btcusd", side="buy", order_type="exchange limit", amount="0.5",
                           price="1000.00", client_order_id=client_order_id)
    return int(placed["order_id"])


async def test_api_ws_balances_change_live(exchange) -> None:
    """Balances pushed by ``balances@account`` reach the ticket's available balance and the balances view at once,
    without a reload (pressing ``r``) and without an order of the console's own."""
    app = ws_app(exchange.server.rest_url)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until_ready(pilot)
        ticket = app.main_screen.query_one(OrderTicket)
        await wait_for(pilot, lambda: ticket.available is not None, what="the ticket's first balances")
        before = _engine_available(exchange, "USD")
        await wait_for(pilot, lambda: (ticket.available or {}).get("USD") == before, what="the balances read")

        first = _place_elsewhere(exchange, "elsewhere-1")
        held = _engine_available(exchange, "USD")
        assert held <= before - Decimal("500")  # 0.5 × 1000 (and its fee) held by the other session's order
        await wait_for(pilot, lambda: (ticket.available or {}).get("USD") == held,
                       what="the ticket's available balance pushed")
        assert fmt_money(held, "USD", unit=False) in ticket.available_text

        await pilot.press("b")
        view = app.screen
        assert isinstance(view, BalancesScreen)

        def usd() -> BalanceRow | None:
            return next((row for row in view.rows if row.currency.upper() == "USD"), None)

        await wait_for(pilot, lambda: usd() is not None, what="the balances view's rows")
        total = usd().total  # type: ignore[union-attr]
        exchange.call(exchange.server.engine.cancel_order, exchange.server.demo_account_id, first, "UI")
        await wait_for(pilot, lambda: usd() == BalanceRow("USD", total, before, total - before),
                       what="the view's USD row after the other session's cancel")
        _place_elsewhere(exchange, "elsewhere-2")
        await wait_for(pilot, lambda: usd() == BalanceRow("USD", total, held, total - held),
                       what="the view's USD row after the other session's order")
        table = view.query_one(DataTable)
        assert table.get_row("USD")[2] == fmt_money(held, "USD", unit=False)
