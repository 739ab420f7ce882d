"""Balances view: total, available and held by open orders, per currency; reloads after every fill, and shows the
available balances a venue pushes (the WS API's ``balances@account``) as they arrive."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.widgets import DataTable

from console.domain.account import BalanceRow
from console.domain.fmt import fmt_money
from console.tui.messages import AccountChanged, BalancesPushed
from console.tui.screens.account_view import AccountView
from console.tui.widgets.tables import MeasuredTable


class BalancesScreen(AccountView):
    """``/v1/balances`` per currency; ``held`` is what open orders hold (total − available)."""

    VIEW_TITLE = "Balances"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.rows: list[BalanceRow] = []

    def compose_body(self) -> ComposeResult:
        table = MeasuredTable(id="balances-table", cursor_type="row", zebra_stripes=True)
        table.add_columns("currency", "total", "available", "held by orders")
        yield table

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one(DataTable).focus()

    async def fetch(self) -> None:
        self.rows = await self.account.balances()
        self._show()

    def _show(self) -> None:
        table = self.query_one(DataTable)
        table.clear()
        for row in self.rows:
            total, available, held = (fmt_money(v, row.currency, unit=False) for v in (row.total, row.available,
                                                                                          row.held))
            table.add_row(row.currency, total, available, held, key=row.currency)
        self.set_status(f"{len(self.rows)} currencies · updated after each fill")

    def on_balances_pushed(self, message: BalancesPushed) -> None:
        """Show the pushed available amounts; the total stays the last one read (a push names none), so what
        orders hold is total − available. A currency the view does not list yet makes it read them all."""
        known = {row.currency.upper() for row in self.rows}
        if any(currency not in known for currency in message.available):
            self.load()
            return
        self.rows = [
            BalanceRow(row.currency, row.total, available, row.total - available)
            if (available := message.available.get(row.currency.upper())) is not None else row
            for row in self.rows
        ]
        self._show()

    def on_account_changed(self, message: AccountChanged) -> None:
        self.load()
