"""Sending an order with no error shown must not lay the screen out again.

``OrderTicket.clear_errors`` runs on every order sent. ``Static.update`` asks Textual for a layout of the whole
screen (its ``layout=True`` default), so updating six empty labels with "" cost a full layout on the path from
key press to the order's acknowledgement on screen (measured: ``benchmarks/bench_ack.py``). Only a label whose
text changes is updated now.
"""

from __future__ import annotations

from typing import Any

from textual.app import App, ComposeResult
from textual.widgets import Static

from console.tui.widgets.ticket import _ERROR_FIELDS, OrderTicket


class TicketApp(App[None]):
    def compose(self) -> ComposeResult:
        yield OrderTicket(["btcusd"], id="ticket")


async def test_clearing_no_errors_updates_no_label() -> None:
    app = TicketApp()
    async with app.run_test(size=(120, 36)) as pilot:
        ticket = app.query_one(OrderTicket)
        updates: list[str] = []
        for name in _ERROR_FIELDS:
            label = ticket.query_one(f"#error-{name}", Static)
            update = label.update

            def counted(content: Any = "", *, layout: bool = True, _name: str = name, _update: Any = update) -> None:
                updates.append(_name)
                _update(content, layout=layout)

            label.update = counted  # type: ignore[method-assign]
        ticket.clear_errors()
        await pilot.pause()
        assert updates == []  # nothing shown, nothing to clear: no layout
        ticket.show_errors({"price": "Price must be positive"})
        assert updates == ["price"]
        assert str(ticket.query_one("#error-price", Static).content) == "Price must be positive"
        ticket.clear_errors()
        assert updates == ["price", "price"]
        assert str(ticket.query_one("#error-price", Static).content) == ""
