"""Keys typed as a burst (a paste, or keys SSH delivers together) are applied in the order they were typed.

Textual issue https://github.com/Textualize/textual/issues/6605: an Input's bound keys (Backspace, Home/End,
Ctrl+U...) and the screen's Tab ran after characters typed later. Every key here is posted with no wait between
them (tests/support/keys.py); Pilot's ``press`` would hide the bug by waiting after each key.
"""

from __future__ import annotations

import inspect
import pkgutil

import pytest
from textual import events
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Button

import console.tui
from console.tui.widgets.fields import Dropdown, KeysInOrderApp, TextInput
from console.tui.widgets.orders_table import OrdersTable
from console.tui.widgets.ticket import OrderTicket
from tests.support.console_app import wait_until_ready
from tests.support.keys import post_keys, settle_keys


class FieldsApp(KeysInOrderApp):
    """Two text fields, a dropdown and a button, the first field focused."""

    def compose(self) -> ComposeResult:
        with Vertical():
            yield TextInput(id="first")
            yield TextInput(id="second")
            yield Dropdown([("BTCUSD", "btcusd"), ("BCHUSD", "bchusd"), ("ETHUSD", "ethusd")], value="btcusd",
                           allow_blank=False, id="symbol")
            yield Button("Go", id="go")

    def on_mount(self) -> None:
        self.query_one("#first", TextInput).focus()


@pytest.mark.parametrize(
    ("start", "keys", "expected"),
    [
        ("", ["b", "a", "backspace", "c"], "bc"),
        ("12.5", ["end", "ctrl+u", *"0.001"], "0.001"),
        ("64000", ["home", "delete", "7", "end", "backspace", "1"], "74001"),
        ("abc", ["left", "left", "x", "ctrl+k", "y"], "axy"),
        ("", ["a", events.Paste("XY\nignored"), "backspace", "b"], "aXb"),
        ("1", ["ctrl+u", events.Paste("0.5"), "end", "0"], "0.50"),
    ],
    ids=["backspace", "end-ctrl-u", "home-delete", "left-ctrl-k", "paste-backspace", "paste-end"],
)
async def test_keys_in_a_burst_apply_in_order(start, keys, expected):
    app = FieldsApp()
    async with app.run_test() as pilot:
        field = app.query_one("#first", TextInput)
        field.value = start
        field.cursor_position = len(start)
        await pilot.pause()
        post_keys(app, *keys)
        await settle_keys(pilot)
        assert field.value == expected


async def test_tab_in_a_burst_moves_the_rest_of_the_burst_to_the_next_field():
    app = FieldsApp()
    async with app.run_test() as pilot:
        first, second = app.query_one("#first", TextInput), app.query_one("#second", TextInput)
        await pilot.pause()
        second.value = "1"  # the next field already holds something: Tab selects it, typing replaces it
        post_keys(app, *"64000", "tab", *"0.001")
        await settle_keys(pilot)
        assert (first.value, second.value) == ("64000", "0.001")
        assert app.focused is second


async def test_letters_after_tab_onto_a_dropdown_pick_its_option_and_stay_there():
    app = FieldsApp()
    async with app.run_test() as pilot:
        symbol = app.query_one("#symbol", Dropdown)
        await pilot.pause()
        post_keys(app, "tab", "tab", "e", "b", "b", "q", "tab")
        await settle_keys(pilot)
        assert symbol.value == "bchusd"  # e: ETHUSD; b: the first B after it, BTCUSD; b again: BCHUSD; q: none
        assert isinstance(app.focused, Button)
        app.query_one("#second", TextInput).focus()
        await pilot.pause()
        post_keys(app, "tab", *"eb", "shift+tab", "9")
        await settle_keys(pilot)
        assert symbol.value == "btcusd" and app.query_one("#second", TextInput).value == "9"


async def test_the_ticket_burst_leaves_price_and_amount_as_typed(console_app):
    """The burst of issue 13: ``End Ctrl+U 64000 Tab End Ctrl+U 0.001`` sent an order for 1 BTC."""
    app = console_app
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until_ready(pilot)
        ticket = app.main_screen.query_one(OrderTicket)
        price, amount = ticket.query_one("#price", TextInput), ticket.query_one("#amount", TextInput)
        await pilot.press("o")
        price.value, amount.value = "62500.00", "1"
        await pilot.pause()
        post_keys(app, "end", "ctrl+u", *"64000", "tab", "end", "ctrl+u", *"0.001")
        await settle_keys(pilot)
        assert (price.value, amount.value) == ("64000", "0.001")
        assert app.focused is amount


async def test_keys_typed_right_after_o_go_to_the_price_field_and_after_esc_to_the_table(console_app):
    """``o 64000 Tab 0.001`` typed as one burst from the orders table: ``o`` moves focus before the digits are routed
    (they went to the table, where ``0`` clears its filters); ``Esc 2`` from the ticket filters the table by side."""
    app = console_app
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until_ready(pilot)
        table = app.main_screen.query_one(OrdersTable)
        ticket = app.main_screen.query_one(OrderTicket)
        price, amount = ticket.query_one("#price", TextInput), ticket.query_one("#amount", TextInput)
        assert app.focused is table
        post_keys(app, "o", *"64000", "tab", *"0.001")
        await settle_keys(pilot)
        assert (price.value, amount.value) == ("64000", "0.001") and app.focused is amount
        post_keys(app, "escape", "2")
        await settle_keys(pilot)
        assert app.focused is table and amount.value == "0.001"
        assert table.view.filter.side is not None  # the 2 reached the table: filtered by side


async def test_esc_then_a_key_in_one_packet_is_esc_then_the_key(console_app):
    """Over a lagging SSH link ``Esc o`` arrives as one read, which the terminal parser reads as Alt+O: the console
    binds no Alt key, so it applies Esc (back to the orders table) then ``o`` (the price field), typing nothing."""
    app = console_app
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until_ready(pilot)
        ticket = app.main_screen.query_one(OrderTicket)
        price, amount = ticket.query_one("#price", TextInput), ticket.query_one("#amount", TextInput)
        await pilot.press("o", "tab", *"0.001")
        assert app.focused is amount
        post_keys(app, events.Key("alt+o", "o"))
        await settle_keys(pilot)
        assert amount.value == "0.001" and app.focused is price


def test_no_console_widget_or_screen_handles_keys_on_the_way_up():
    """KeysInOrderApp runs a field's key straight through the binding chain, skipping key handlers of the field's
    containers and screen: that is only what Textual does if none of them has one (a key_ method or on_key)."""
    handlers = []
    for info in pkgutil.walk_packages(console.tui.__path__, "console.tui."):
        module = __import__(info.name, fromlist=["_"])
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ != info.name or cls is Dropdown:  # Dropdown's _on_key is for apps without routing
                continue
            for name, member in cls.__dict__.items():
                decorated = getattr(member, "_textual_on", [])
                if (name in ("on_key", "_on_key") or name.startswith(("key_", "_key_"))
                        or any(issubclass(message, events.Key) for message, _ in decorated)):
                    handlers.append(f"{cls.__qualname__}.{name}")
    assert handlers == []


async def test_focus_from_code_still_selects_the_value_and_select_on_focus_false_does_not():
    app = FieldsApp()
    async with app.run_test() as pilot:
        second = app.query_one("#second", TextInput)
        second.value = "1"
        second.focus()
        await pilot.press("5")
        assert second.value == "5"
        first = app.query_one("#first", TextInput)
        first.select_all_on_focus = False
        first.value = "1"
        first.cursor_position = 1
        first.focus()
        await pilot.press("5")
        assert first.value == "15"
