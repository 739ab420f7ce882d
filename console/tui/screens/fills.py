"""Fills view: the account's fills with price, amount, fee, maker/taker and ids; broken trades flagged."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.widgets import DataTable

from console.domain.fmt import fmt_money, fmt_qty
from console.trading.account import FillRecord
from console.tui.messages import AccountChanged
from console.tui.screens.account_view import AccountView, utc_time
from console.tui.widgets.tables import MeasuredTable


class FillsScreen(AccountView):
    """The newest fills from ``/v1/mytrades``, newest first; reloads when a fill arrives."""

    VIEW_TITLE = "Fills"

    def __init__(self, *args: Any, limit: int = 500, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.limit = limit
        self.fills: list[FillRecord] = []

    def compose_body(self) -> ComposeResult:
        table = MeasuredTable(id="fills-table", cursor_type="row", zebra_stripes=True)
        table.add_columns("time (UTC)", "symbol", "side", "price", "amount", "fee", "liq", "order id",
                          "client order id", "trade id", "flags")
        yield table

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one(DataTable).focus()

    async def fetch(self) -> None:
        self.fills = await self.account.fills(limit=self.limit)
        table = self.query_one(DataTable)
        table.clear()
        for f in self.fills:
            flags = []
            if f.broken:
                flags.append(f"BROKEN ({f.broken})")
            if f.is_auction:
                flags.append("auction")
            if f.is_clearing:
                flags.append("clearing")
            table.add_row(utc_time(f.time_ms), f.symbol.upper(), f.side.value, self.price(f.symbol, f.price),
                          fmt_qty(f.amount), fmt_money(f.fee, f.fee_currency), f.liquidity, f.order_id,
                          f.client_order_id, str(f.trade_id), " ".join(flags), key=str(f.trade_id))
        broken = sum(1 for f in self.fills if f.broken)
        self.set_status(f"{len(self.fills)} fills" + (f" · {broken} broken" if broken else ""), error=bool(broken))

    def on_account_changed(self, message: AccountChanged) -> None:
        self.load()
