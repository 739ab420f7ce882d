"""Fees and volume view: maker/taker fee in bps, 30-day notional volume, traded volume per symbol."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.widgets import DataTable, Static

from console.domain.account import FeeSummary
from console.domain.fmt import fmt_count, fmt_money, fmt_qty
from console.tui.messages import AccountChanged
from console.tui.screens.account_view import AccountView
from console.tui.widgets.tables import MeasuredTable


class FeesScreen(AccountView):
    """``/v1/notionalvolume`` (fee tier, 30-day notional) and ``/v1/tradevolume`` summed per symbol."""

    VIEW_TITLE = "Fees and volume"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.summary: FeeSummary | None = None

    def compose_body(self) -> ComposeResult:
        yield Static("", id="fees-rates")
        table = MeasuredTable(id="fees-volume", cursor_type="row", zebra_stripes=True)
        table.add_columns("symbol", "base volume", "notional", "maker fills", "taker fills")
        yield table

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one(DataTable).focus()

    async def fetch(self) -> None:
        summary = self.summary = await self.account.fees()
        self.query_one("#fees-rates", Static).update(
            f"Maker {fmt_count(summary.maker_bps)} bps ({fmt_count(summary.maker_bps / 100)}%)   "
            f"Taker {fmt_count(summary.taker_bps)} bps ({fmt_count(summary.taker_bps / 100)}%)   "
            f"30-day notional {fmt_money(summary.notional_30d, 'USD')}"
        )
        table = self.query_one(DataTable)
        table.clear()
        for v in summary.volumes:
            table.add_row(v.symbol.upper(), f"{fmt_qty(v.base_volume)} {v.base_currency}",
                          fmt_money(v.notional, v.quote_currency), str(v.maker_count), str(v.taker_count),
                          key=v.symbol)
        self.set_status(f"{len(summary.volumes)} symbols traded")

    def on_account_changed(self, message: AccountChanged) -> None:
        self.load()
