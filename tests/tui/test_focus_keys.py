"""A key means one thing where the focus is: the screen's and the app's plain keys never fire from the ticket or a
dialog; a letter on a dropdown picks its option; Ctrl keys and Escape still work in the ticket."""

from __future__ import annotations

import pytest
from textual.actions import parse
from textual.binding import Binding
from textual.widgets import Select

from console.tui.app import TradingConsoleApp
from console.tui.screens.confirm import ConfirmCancelAll
from console.tui.screens.main import MainScreen
from console.tui.widgets.orders_table import OrdersTable
from console.tui.widgets.ticket import OrderTicket
from tests.support.console_app import make_app, wait_for
from tests.support.exchange_thread import ExchangeThread
from tests.support.keys import key_event


@pytest.fixture(scope="module")
def shared_exchange():
    """One local exchange for the module: these tests only press keys, they send no order."""
    with ExchangeThread(port=0, simulator=True, seed=7, heartbeat_interval_s=0.5) as running:
        yield running


def _bindings(owner: type) -> list[tuple[type, str, str]]:
    """(owner, key, action) for every key of ``owner``'s own bindings."""
    return [(owner, key.strip(), binding.action) for binding in owner.__dict__["BINDINGS"]
            if isinstance(binding, Binding) for key in binding.key.split(",")]


ALL_KEYS = _bindings(TradingConsoleApp) + _bindings(MainScreen) + _bindings(OrdersTable)
#: Plain keys (letters, digits, ``?``): they must never fire from the ticket or a dialog.
PLAIN = [(owner, key, action) for owner, key, action in ALL_KEYS if key_event(key).is_printable]
#: Keys that must not fire from the ticket: the plain ones, and every key of the orders table.
NOT_FROM_TICKET = PLAIN + [binding for binding in _bindings(OrdersTable) if binding not in PLAIN]
#: Keys that must not fire on a dialog: every key of the main screen and the orders table, and ``?``.
NOT_ON_DIALOG = PLAIN + [binding for binding in _bindings(MainScreen) + _bindings(OrdersTable)
                         if binding not in PLAIN]
#: Keys of the screen and app that must keep working in the ticket: the price keys (Ctrl) and Escape.
TICKET_KEYS = [(owner, key, action) for owner, key, action in _bindings(MainScreen)
               if key.startswith("ctrl+") or key == "escape"]
#: Every focusable widget of the ticket, by id (the stop price is enabled on a stop-limit ticket).
TICKET_FIELDS = ["symbol", "side", "type", "price", "stop_price", "amount", "option", "place"]


def called(action: str) -> tuple[str, tuple[object, ...]]:
    """What a recorder from :func:`spy_actions` records for ``action``: its name and arguments."""
    _destination, name, params = parse(action)
    return name, tuple(params)


def spy_actions(app: TradingConsoleApp, keys) -> list[tuple[str, tuple[object, ...]]]:
    """Replace the action behind each key with a recorder; returns the list the recorders append to."""
    fired: list[tuple[str, tuple[object, ...]]] = []
    for owner, _key, action in keys:
        destination, name, _params = parse(action)
        target = {"app": app, "screen": app.main_screen}.get(destination)
        if target is None:
            target = {TradingConsoleApp: app, MainScreen: app.main_screen,
                      OrdersTable: app.main_screen.query_one(OrdersTable)}[owner]
        setattr(target, f"action_{name}", lambda *args, _name=name: fired.append((_name, args)))
    return fired


async def focus(pilot, app: TradingConsoleApp, field_id: str) -> None:
    ticket = app.main_screen.query_one(OrderTicket)
    if field_id == "stop_price":
        ticket.query_one("#type", Select).value = "stop-limit"
        await wait_for(pilot, lambda: not ticket.query_one("#stop_price").disabled, what="the stop field")
    widget = ticket.query_one(f"#{field_id}")
    widget.focus()
    await wait_for(pilot, lambda: app.focused is widget, what=f"focus on #{field_id}")


@pytest.fixture
def app(shared_exchange, monkeypatch):
    app = make_app(shared_exchange.server.rest_url, shared_exchange.server.ws_url)
    # The sub-account key only works for a master key with sub-accounts; here every key must be live.
    monkeypatch.setattr(MainScreen, "check_action", lambda self, action, parameters: True)
    return app


async def test_every_plain_key_works_from_the_orders_table(app):
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.pause()
        assert isinstance(app.focused, OrdersTable)
        fired = spy_actions(app, PLAIN)
        for _owner, key, action in PLAIN:
            fired.clear()
            await pilot.press(key)
            assert fired == [called(action)], key
            assert isinstance(app.focused, OrdersTable)


@pytest.mark.parametrize("field_id", TICKET_FIELDS)
async def test_no_plain_key_nor_table_key_fires_from_the_ticket(app, field_id):
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.pause()
        fired = spy_actions(app, NOT_FROM_TICKET)
        for _owner, key, _action in NOT_FROM_TICKET:
            await focus(pilot, app, field_id)  # again: Down on a dropdown opens its list
            await pilot.press(key)
            assert fired == [], key
            assert app.screen is app.main_screen


@pytest.mark.parametrize("field_id", TICKET_FIELDS)
async def test_ctrl_price_keys_and_escape_work_from_the_ticket(app, field_id):
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.pause()
        fired = spy_actions(app, TICKET_KEYS)
        for _owner, key, action in TICKET_KEYS:
            await focus(pilot, app, field_id)
            fired.clear()
            await pilot.press(key)
            assert fired == [called(action)], key


async def test_no_key_of_the_main_screen_or_table_nor_help_fires_on_a_dialog(app):
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.pause()
        dialog = ConfirmCancelAll(orders=[], api_key=app.session.api_key)
        app.push_screen(dialog)
        await wait_for(pilot, lambda: app.screen is dialog, what="the dialog")
        own = {key for binding in ConfirmCancelAll.BINDINGS for key in binding.key.split(",")}
        fired = spy_actions(app, NOT_ON_DIALOG)
        for _owner, key, _action in NOT_ON_DIALOG:
            if key not in own:
                await pilot.press(key)
                assert fired == [] and app.screen is dialog, key


@pytest.mark.parametrize(
    ("field_id", "keys", "expected"),
    [
        ("type", ["s"], "stop-limit"),
        ("type", ["s", "l"], "limit"),
        ("side", ["s"], "sell"),
        ("side", ["s", "b"], "buy"),
        ("symbol", ["e"], "ethusd"),
        ("symbol", ["s", "b"], "btcusd"),
        ("option", ["m"], "maker-or-cancel"),
        ("option", ["f", "i", "q"], "immediate-or-cancel"),
    ],
)
async def test_a_letter_on_a_dropdown_picks_the_option_it_starts(app, field_id, keys, expected):
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.pause()
        await focus(pilot, app, field_id)
        await pilot.press(*keys)
        if field_id == "side":  # the two-state side control, not a dropdown: b and s choose the side
            assert app.main_screen.query_one(OrderTicket).side.value == expected
        else:
            assert app.main_screen.query_one(f"#{field_id}", Select).value == expected
        assert app.screen is app.main_screen
