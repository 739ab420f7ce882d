"""Fills view: the account's fills with price, amount, fee, maker/taker and ids; broken trades flagged."""

from __future__ import annotations

from collections.abc import Callable

from textual.app import ComposeResult
from textual.widgets import DataTable

from console.domain.fmt import fmt_money, fmt_qty
from console.domain.model import Fill
from console.trading.account import AccountService
from console.tui.messages import AccountChanged
from console.tui.screens.account_view import AccountView, liquidity_text, utc_time
from console.tui.widgets.tables import MeasuredTable


class FillsScreen(AccountView):
    """The newest fills from ``/v1/mytrades``, newest first; reloads when a fill arrives."""

    VIEW_TITLE = "Fills"

    def __init__(self, account: AccountService, clock_ms: Callable[[], int], *, limit: int = 500) -> None:
        super().__init__(account, clock_ms)
        self.limit = limit
        self.fills: list[Fill] = []

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
            symbol = f.symbol or ""
            table.add_row(utc_time(f.timestamp_ms), symbol.upper(), f.side.value if f.side else "",
                          self.price(symbol, f.price), fmt_qty(f.amount), fmt_money(f.fee, f.fee_currency),
                          liquidity_text(f), f.order_id, f.client_order_id or "", f.trade_id, " ".join(flags),
                          key=f.trade_id)
        broken = sum(1 for f in self.fills if f.broken)
        self.set_status(f"{len(self.fills)} fills" + (f" · {broken} broken" if broken else ""), error=bool(broken))

    def on_account_changed(self, message: AccountChanged) -> None:
        self.load()
