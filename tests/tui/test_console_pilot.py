"""Drive the console as a trader would: type an order, watch it arrive from the stream, cancel it by key."""

from __future__ import annotations

from console.domain.model import OrderState
from console.tui.widgets.orders_table import OrdersTable
from console.tui.widgets.status_pane import StatusPane
from tests.support.console_app import make_app, wait_for, wait_until_ready


async def test_type_order_see_row_from_stream_cancel_by_key(console_app, exchange):
    app = console_app
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until_ready(pilot)
        table = app.screen.query_one(OrdersTable)
        assert table.order_count() == 0

        await pilot.press("o")
        await pilot.press(*"62500.00", "tab", *"0.015", "enter")
        await wait_for(pilot, lambda: table.order_count() == 1 and table.selected_order.order_id != "",
                       what="the order's row")
        order = table.selected_order
        assert order.state in (OrderState.LIVE, OrderState.ACCEPTED)
        assert str(order.price) == "62500.00" and str(order.amount) == "0.015"
        # The row came from the exchange: its id is the exchange's and the exchange holds the order live.
        status = exchange.call(exchange.server.engine.order_status, exchange.server.demo_account_id,
                               order_id=int(order.order_id))
        assert status["is_live"] is True and status["client_order_id"] == order.client_order_id

        await pilot.press("escape", "x")
        await wait_for(pilot, lambda: table.order_count() == 0, what="the row to leave")
        pane = app.screen.query_one(StatusPane)
        await wait_for(pilot, lambda: any("Requested" in line for line in pane.entries_text()),
                       what="the cancel reason")
        line = next(line for line in pane.entries_text() if "Requested" in line)
        assert "Cancelled at your request." in line and order.client_order_id in line
        assert app.session.blotter.get(order.order_id).state is OrderState.CANCELLED


async def test_invalid_ticket_sends_nothing(console_app, exchange):
    app = console_app
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until_ready(pilot)
        await pilot.press("o")
        await pilot.press(*"64250.005", "tab", *"0.000001", "enter")
        await pilot.pause()
        ticket = app.screen.query_one("#ticket")
        assert ticket.query_one("#error-price").has_class("-visible")
        assert ticket.query_one("#error-amount").has_class("-visible")
        assert len(app.session.blotter) == 0
        active = exchange.call(exchange.server.engine.active_orders, exchange.server.demo_account_id)
        assert active == []


async def test_cancel_all_needs_confirmation(console_app, exchange):
    app = console_app
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until_ready(pilot)
        await pilot.press("o", *"62500.00", "tab", *"0.01", "enter")
        table = app.screen.query_one(OrdersTable)
        await wait_for(pilot, lambda: app.session.open_order_count() == 1, what="the order")
        await pilot.press("escape", "a")
        await pilot.pause()
        assert "Cancel open orders?" in str(app.screen.query_one("#title").content)
        await pilot.press("n")
        await pilot.pause()
        assert table.order_count() == 1
        await pilot.press("a")
        await pilot.pause()
        await pilot.press("y")  # no longer a key of the preview: nothing happens
        await pilot.pause()
        assert table.order_count() == 1
        await pilot.press("exclamation_mark")
        await wait_for(pilot, lambda: table.order_count() == 0, what="cancel-all to land")
        assert exchange.call(exchange.server.engine.active_orders, exchange.server.demo_account_id) == []


async def test_heap_is_settled_once_after_the_first_reconcile(exchange, monkeypatch):
    from console.app import heap

    calls = []
    monkeypatch.setattr(heap, "settle", lambda: calls.append("settled") or (0, 0.0))
    app = make_app(exchange.server.rest_url, exchange.server.ws_url, settle_heap=True)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until_ready(pilot)
        await wait_for(pilot, lambda: calls == ["settled"], what="the heap settled")
        app.session.listener.connection_changed(app.session.connection, "")  # LIVE again: not a second time
        await pilot.pause(0.7)
        assert calls == ["settled"]


async def test_heap_is_left_alone_unless_asked(console_app, exchange, monkeypatch):
    from console.app import heap

    calls = []
    monkeypatch.setattr(heap, "settle", lambda: calls.append("settled") or (0, 0.0))
    async with console_app.run_test(size=(120, 36)) as pilot:
        await wait_until_ready(pilot)
        await pilot.pause(0.7)
        assert calls == []
