"""No key is bound twice along the main screen's focus chain (app, screen, orders table, ticket)."""

from textual.binding import Binding

from console.tui.app import TradingConsoleApp
from console.tui.screens.main import MainScreen
from console.tui.widgets.orders_table import OrdersTable
from console.tui.widgets.ticket import OrderTicket


def _keys(cls) -> dict[str, str]:
    keys: dict[str, str] = {}
    for binding in cls.__dict__.get("BINDINGS", []):
        if isinstance(binding, Binding):
            for key in binding.key.split(","):
                keys[key.strip()] = binding.action
    return keys


def test_no_key_means_two_things_on_the_main_screen():
    seen: dict[str, tuple[str, str]] = {}
    clashes = []
    for cls in (TradingConsoleApp, MainScreen, OrdersTable, OrderTicket):
        for key, action in _keys(cls).items():
            if key in seen and seen[key][1] != action:
                clashes.append((key, seen[key], (cls.__name__, action)))
            seen[key] = (cls.__name__, action)
    assert clashes == []
