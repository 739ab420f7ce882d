"""Order detail view: everything ``/v1/order/status`` says about one order, with its trades."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.widgets import DataTable

from console.domain.fmt import fmt_money, fmt_qty
from console.trading.account import OrderRecord
from console.tui.messages import AccountChanged
from console.tui.screens.account_view import AccountView, utc_time
from console.tui.widgets.tables import MeasuredTable


class OrderDetailScreen(AccountView):
    """One order by id (``include_trades``): its fields on the left, its fills below."""

    VIEW_TITLE = "Order detail"

    def __init__(self, *args: Any, order_id: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.order_id = order_id
        self.record: OrderRecord | None = None

    def compose_body(self) -> ComposeResult:
        fields = MeasuredTable(id="detail-fields", cursor_type="row", show_header=False)
        fields.add_columns("field", "value")
        yield fields
        fills = MeasuredTable(id="detail-fills", cursor_type="row")
        fills.add_columns("time (UTC)", "price", "amount", "fee", "liq", "trade id", "broken")
        yield fills

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#detail-fields", DataTable).focus()

    async def fetch(self) -> None:
        o = self.record = await self.account.order_detail(self.order_id)
        rows = [
            ("order id", o.order_id),
            ("client order id", o.client_order_id or "—"),
            ("symbol", o.symbol.upper()),
            ("side", o.side.value),
            ("type", o.order_type),
            ("options", ", ".join(o.options) or "none"),
            ("price", self.price(o.symbol, o.price)),
            ("stop price", self.price(o.symbol, o.stop_price)),
            ("amount", fmt_qty(o.amount)),
            ("filled", fmt_qty(o.filled)),
            ("remaining", fmt_qty(o.remaining)),
            ("avg price", self.price(o.symbol, o.avg_price, blank_zero=True)),
            ("status", o.status.value),
            ("reason", o.reason or "—"),
            ("live / cancelled", f"{'yes' if o.is_live else 'no'} / {'yes' if o.is_cancelled else 'no'}"),
            ("hidden / forced", f"{'yes' if o.is_hidden else 'no'} / {'yes' if o.was_forced else 'no'}"),
            ("submitted (UTC)", utc_time(o.time_ms)),
        ]
        table = self.query_one("#detail-fields", DataTable)
        table.clear()
        for name, value in rows:
            table.add_row(name, value, key=name)
        fills = self.query_one("#detail-fills", DataTable)
        fills.clear()
        for f in o.fills:
            fills.add_row(utc_time(f.time_ms), self.price(o.symbol, f.price), fmt_qty(f.amount),
                          fmt_money(f.fee, f.fee_currency), f.liquidity, str(f.trade_id), f.broken or "")
        fills.border_title = f"Trades ({len(o.fills)})"
        self.set_status(f"/v1/order/status {o.order_id}: {len(o.fills)} trade{'s' if len(o.fills) != 1 else ''}")

    def on_account_changed(self, message: AccountChanged) -> None:
        self.load()
