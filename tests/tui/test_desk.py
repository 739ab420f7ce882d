"""Desk habits over the real pipeline: guards, the cancel preview, the production start, help, palette, keymap."""

from __future__ import annotations

import ast
import inspect
import pkgutil
from decimal import Decimal
from pathlib import Path

import pytest
from textual.widgets import Static

import console.tui
from console.app.config import load_config
from console.app.settings import Environment
from console.domain.reasons import Severity
from console.exchange.keys import DEMO_API_KEY
from console.trading.session import StatusEntry
from console.tui.app import binding_sources
from console.tui.messages import StatusReported
from console.tui.screens.confirm import ConfirmCancelAll, ConfirmProduction
from console.tui.screens.guard_confirm import GuardConfirm
from console.tui.screens.help import HelpScreen, key_help
from console.tui.widgets.status_pane import StatusPane
from tests.support.console_app import make_app, wait_for, wait_until_ready
from tests.support.scenarios import seed_resting_orders


def active(exchange):
    return exchange.call(exchange.server.engine.active_orders, exchange.server.demo_account_id)


async def type_ticket(pilot, price: str, amount: str) -> None:
    await pilot.press("o", *price, "tab", *amount, "enter")


async def test_soft_breach_asks_then_sends_only_on_y(console_app, exchange):
    app = console_app
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until_ready(pilot)
        await type_ticket(pilot, "70000.00", "0.01")
        await wait_for(pilot, lambda: isinstance(app.screen, GuardConfirm), what="the guard")
        text = " ".join(str(s.content) for s in app.screen.query(".breach"))
        assert "Limit price 70,000.00" in text and "above the mid" in text and "(band 5%)" in text
        await pilot.press("n")
        await pilot.pause()
        assert not isinstance(app.screen, GuardConfirm) and len(app.session.blotter) == 0 and active(exchange) == []
        assert "Not sent" in str(app.screen.query_one("#error-price").content)
        # Same ticket again: asked again; this time y sends it.
        app.screen.query_one("#price").focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, GuardConfirm), what="the guard again")
        await pilot.press("y")
        # It crosses the book, so it fills at once: look for it in the blotter with the exchange's order id.
        await wait_for(pilot, lambda: any(o.order_id for o in app.session.blotter.orders()), what="the sent order")
        (sent,) = app.session.blotter.orders()
        assert sent.price == Decimal("70000.00")


async def test_hard_limit_cannot_be_overridden_from_the_screen(console_app, exchange):
    app = console_app
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until_ready(pilot)
        await type_ticket(pilot, "90000.00", "0.01")
        await wait_for(pilot, lambda: isinstance(app.screen, GuardConfirm), what="the guard")
        assert app.screen.verdict.blocked and not app.screen.query("#yes")
        await pilot.press("y")
        await pilot.pause()
        assert isinstance(app.screen, GuardConfirm)  # still there: y does nothing on a hard breach
        await pilot.press("escape")
        await pilot.pause()
        assert active(exchange) == [] and len(app.session.blotter) == 0


async def test_double_submit_within_two_seconds_asks(console_app, exchange):
    app = console_app
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until_ready(pilot)
        now = [1_000_000]
        app.main_screen.guard_clock_ms = lambda: now[0]
        await type_ticket(pilot, "62500.00", "0.01")
        await wait_for(pilot, lambda: len(active(exchange)) == 1, what="the first order")
        now[0] += 1500
        app.screen.query_one("#price").focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, GuardConfirm), what="the double-submit guard")
        assert "1500 ms ago" in str(app.screen.query_one(".breach").content)
        await pilot.press("n")
        now[0] += 2500
        app.screen.query_one("#price").focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: len(active(exchange)) == 2, what="the second order, outside the window")


async def test_cancel_preview_groups_by_origin_and_defaults_to_session(exchange):
    seed_resting_orders(exchange)  # 4 from the demo key, 1 from the web UI
    exchange.call(exchange.server.engine.place_order, exchange.server.demo_account_id, "account-other-key",
                  symbol="btcusd", side="buy", order_type="exchange limit", amount="0.01", price="61000.00",
                  stop_price=None, options=[], client_order_id=None)
    app = make_app(exchange.server.rest_url, exchange.server.ws_url)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until_ready(pilot)
        await wait_for(pilot, lambda: app.session.open_order_count() == 6, what="the seeded orders")
        await pilot.press("a")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmCancelAll), what="the preview")
        titles = [str(s.content) for s in app.screen.query(".group-title")]
        assert titles == ["This session: 4", "Other API sessions: 1", "Web UI: 1"]
        assert app.screen.focused.id == "session"
        await pilot.press("a")  # a double tap of the opening key cancels nothing
        await pilot.pause()
        assert isinstance(app.screen, ConfirmCancelAll)
        await pilot.press("enter")  # the default: this session's orders only
        await wait_for(pilot, lambda: len(active(exchange)) == 2, what="the session cancel")
        remaining = {o.api_session for o in app.session.blotter.open_orders() if o.order_id}
        assert DEMO_API_KEY not in remaining
        await pilot.press("a")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmCancelAll), what="the preview again")
        await pilot.press("exclamation_mark")
        await wait_for(pilot, lambda: active(exchange) == [], what="the account-wide cancel")


async def test_production_needs_the_typed_word(exchange):
    app = make_app(exchange.server.rest_url, exchange.server.ws_url, environment=Environment.PRODUCTION)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, ConfirmProduction)
        assert app.session.rules == {}  # nothing fetched before the word
        await pilot.press(*"production", "enter")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmProduction)
        assert "not PRODUCTION" in str(app.screen.query_one("#error").content)
        app.screen.query_one("#word").value = ""
        await pilot.press(*"PRODUCTION", "enter")
        await wait_until_ready(pilot)
        assert app.main_screen.has_class("-production")


async def test_production_escape_quits(exchange):
    app = make_app(exchange.server.rest_url, exchange.server.ws_url, environment=Environment.PRODUCTION)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
    assert app.return_code == 3 and app.session.rules == {}


def test_help_lists_every_binding_of_every_class_that_declares_one():
    declared = set()
    for info in pkgutil.walk_packages(console.tui.__path__, "console.tui."):
        module = __import__(info.name, fromlist=["_"])
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ == info.name and "BINDINGS" in cls.__dict__:
                declared.add(cls)
    assert declared == {owner for _, owner in binding_sources()}
    ids = {row.binding_id for row in key_help({}, binding_sources())}
    for cls in declared:
        for binding in cls.__dict__["BINDINGS"]:
            assert binding.id in ids


def test_help_imports_no_other_part_of_the_tui():
    """The app hands the help screen its rows: help.py importing the app (or a screen) would be an import cycle."""
    tree = ast.parse((Path(console.tui.__file__).parent / "screens" / "help.py").read_text(encoding="utf-8"))
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    imported |= {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    assert not {name for name in imported if name.startswith("console")}


async def test_help_screen_and_keymap_rebinding(exchange):
    desk = load_config({"keymap.main.cancel_all": "ctrl+k", "toasts": "false", "bell": "false"}, environ={})
    app = make_app(exchange.server.rest_url, exchange.server.ws_url, desk=desk)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until_ready(pilot)
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen), what="help")
        text = str(app.screen.query_one("#key-list", Static).content)
        assert "ctrl+k" in text and "main.cancel_all" in text and "guard.confirm" in text
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("a")  # rebound away
        await pilot.pause()
        assert not isinstance(app.screen, ConfirmCancelAll)
        await pilot.press("ctrl+k")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmCancelAll), what="the rebound key")


async def test_command_palette_offers_every_screen_action(console_app, exchange):
    app = console_app
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until_ready(pilot)
        titles = {c.title for c in app.get_system_commands(app.main_screen)}
        for title in ("New order", "Cancel session", "Cancel all…", "Status log", "Cancel order", "Help"):
            assert title in titles
        command = next(c for c in app.get_system_commands(app.main_screen) if c.title == "Cancel all…")
        command.callback()
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmCancelAll), what="the palette's action")


@pytest.mark.parametrize(("fill_alerts", "toasted"), [("done", "Done"), ("each", "Fill")])
async def test_completions_and_rejects_toast_and_ring(exchange, fill_alerts, toasted):
    """Issue 19: an order's completion toasts and rings once (fill_alerts = done); each fill only when asked."""
    desk = load_config({"toasts": "true", "bell": "true", "fill_alerts": fill_alerts}, environ={})
    app = make_app(exchange.server.rest_url, exchange.server.ws_url, desk=desk)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until_ready(pilot)
        rings = []
        app.bell = lambda: rings.append(1)
        app.main_screen.post_message(StatusReported(StatusEntry(0, Severity.INFO, "BUY 1 BTCUSD", "Fill", "Filled 1")))
        app.main_screen.post_message(StatusReported(StatusEntry(0, Severity.INFO, "Order events", "", "Stream live")))
        app.main_screen.post_message(StatusReported(StatusEntry(0, Severity.INFO, "BUY 1 BTCUSD", "Done",
                                                                "done: 1 @ avg 64,250.00, fees 64.25 USD")))
        app.main_screen.post_message(StatusReported(StatusEntry(0, Severity.ERROR, "BUY 9 BTCUSD", "InsufficientFunds",
                                                                "Not enough")))
        await wait_for(pilot, lambda: len(app._notifications) == 2, what="two toasts")
        assert len(rings) == 2
        assert [n.severity for n in app._notifications] == ["information", "error"]
        assert next(iter(app._notifications)).title.startswith(toasted)
        lines = app.main_screen.query_one(StatusPane).entries_text()
        assert not any("Filled 1" in line for line in lines) and any("done: 1" in line for line in lines)


async def test_fill_alerts_off_keeps_fills_quiet_but_not_rejects(exchange):
    desk = load_config({"toasts": "true", "bell": "true", "fill_alerts": "off"}, environ={})
    app = make_app(exchange.server.rest_url, exchange.server.ws_url, desk=desk)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until_ready(pilot)
        rings = []
        app.bell = lambda: rings.append(1)
        for code in ("Fill", "Done"):
            app.main_screen.post_message(StatusReported(StatusEntry(0, Severity.INFO, "BUY 1 BTCUSD", code, "1")))
        app.main_screen.post_message(StatusReported(StatusEntry(0, Severity.ERROR, "BUY 9 BTCUSD", "InsufficientFunds",
                                                                "Not enough")))
        await wait_for(pilot, lambda: len(app._notifications) == 1, what="the reject's toast")
        await pilot.pause()
        assert len(rings) == 1 and [n.severity for n in app._notifications] == ["error"]


async def test_monochrome_states_differ_by_text_style(exchange):
    desk = load_config({"theme": "monochrome", "toasts": "false", "bell": "false"}, environ={})
    app = make_app(exchange.server.rest_url, exchange.server.ws_url, desk=desk)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until_ready(pilot)
        assert app.theme == "monochrome"
        header = app.main_screen.query_one("#connection")
        styles = {}
        from console.trading.session import ConnectionState

        for state in ConnectionState:
            app.main_screen.query_one("SessionHeader").set_connection(state, "")
            await pilot.pause()
            styles[state] = (str(header.styles.text_style), header.rich_style.color)
        assert len({s for s, _ in styles.values()}) == len(ConnectionState)
        greys = {c.triplet for _, c in styles.values()}
        assert all(t.red == t.green == t.blue for t in greys)  # no hue: text style alone tells them apart

