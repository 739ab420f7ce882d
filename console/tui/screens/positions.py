"""Positions view: per symbol net quantity, average cost, mark, unrealised and realised P&L, fees and exposure,
with the USD total; updated on every fill."""

from __future__ import annotations

from collections.abc import Callable

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Static

from console.domain.fmt import fmt_money, fmt_price
from console.domain.positions import PositionStart, start_text
from console.trading.account import AccountService
from console.trading.positions import PositionsService
from console.tui.messages import PositionsChanged
from console.tui.screens.account_view import AccountView
from console.tui.widgets.position_line import signed_money, signed_qty
from console.tui.widgets.tables import MeasuredTable

#: How the view says positions are costed and marked (console/domain/positions.py); a mark taken from the
#: last trade (no book) says so in its cell.
METHOD = "weighted avg cost · mark mid, else last"

#: The table's columns; ``quote`` only when the rows' quote currencies differ (else the title names the one),
#: so that the view fits 80 columns without a sideways scroll; uPnL / rPnL (unrealised / realised P&L) as in the
#: position line beside the ticket.
COLUMNS = ("symbol", "net", "avg cost", "mark", "uPnL", "rPnL", "fees", "exposure")

#: Row key of the USD total, the table's last row.
TOTAL_KEY = "__total__"

#: The starts the ``t`` key cycles through.
STARTS = (PositionStart.TODAY, PositionStart.SESSION)


class PositionsScreen(AccountView):
    """The account's positions since the chosen start (weighted average cost), marked at mid (else last).

    Args:
        account: the typed account queries (the view's title shows the sub-account).
        clock_ms: the console's clock.
        positions: the live positions service.
    """

    VIEW_TITLE = "Positions"
    BINDINGS = [
        Binding("t", "cycle_start", "Since today/session", id="positions.start"),
    ]

    def __init__(self, account: AccountService, clock_ms: Callable[[], int], positions: PositionsService) -> None:
        super().__init__(account, clock_ms)
        self.positions = positions
        #: How many of this view's loads (open, ``r``, ``t``) have completed.
        self.loaded = 0

    def compose_body(self) -> ComposeResult:
        table = MeasuredTable(id="positions-table", cursor_type="row", zebra_stripes=True)
        table.add_columns(*self.columns(mixed=False))
        yield table

    def on_mount(self) -> None:
        self.show_positions()  # what the service knows now; the load below brings the venue's word
        super().on_mount()
        self.query_one(DataTable).focus()

    async def fetch(self) -> None:
        await self.positions.reload()
        self.show_positions()
        self.loaded += 1

    def action_cycle_start(self) -> None:
        """Count fills since today (UTC) or since this session started, and load them again."""
        index = STARTS.index(self.positions.start) if self.positions.start in STARTS else -1
        self.positions.set_start(STARTS[(index + 1) % len(STARTS)])
        self.load()

    def on_positions_changed(self, message: PositionsChanged) -> None:
        self.show_positions()

    def columns(self, mixed: bool) -> tuple[str, ...]:
        """The table's columns: ``quote`` when the rows quote in different currencies, ``liq price`` when the venue
        keeps positions itself (Roxom), as it also states where they are liquidated."""
        return (*COLUMNS, *(("quote",) if mixed else ()),
                *(("liq price",) if self.positions.has_venue_positions else ()))

    def show_positions(self) -> None:
        """Fill the table and the total line from the service (no request)."""
        rows, summed = self.positions.rows()
        table = self.query_one(DataTable)
        quotes = {row.position.quote_currency for row in rows}
        mixed = len(quotes) > 1
        table.clear(columns=True)
        table.add_columns(*self.columns(mixed))
        for row in rows:
            p = row.position
            quote = p.quote_currency
            rules = self.positions.rules(p.symbol)
            tick = rules.price_increment if rules is not None else None
            avg = p.avg_cost
            mark = fmt_price(row.mark, tick) + (f" {row.mark_label}" if row.mark_label not in ("", "mid") else "")
            fees = fmt_money(row.fees, quote, unit=False)
            if row.unconverted_fees:
                fees += " + " + ", ".join(fmt_money(a, c) for c, a in row.unconverted_fees)
            cells = [p.symbol.upper(), signed_qty(p.net),
                     fmt_price(avg.quantize(tick) if avg is not None and tick else avg, tick),
                     mark, signed_money(row.unrealised, quote), signed_money(p.realised, quote), fees,
                     signed_money(row.exposure, quote), *((quote,) if mixed else ())]
            if self.positions.has_venue_positions:
                cells.append(fmt_price(row.liquidation, tick))
            table.add_row(*cells, key=p.symbol)
        since = start_text(self.positions.start, self.positions.first_ms())
        sub = f"  ·  sub-account {self.account.account}" if self.account.account else ""
        unit = f" · in {next(iter(quotes))}" if len(quotes) == 1 else ""
        self.query_one("#view-title", Static).update(f"Positions {since} · {METHOD}{unit}{sub}")
        if self.positions.error:
            self.set_status(self.positions.error, error=True)
            return
        if not rows:
            self.set_status("No fills since the start · t: since today/session")
            return
        usd = "USD"
        extra = [""] if self.positions.has_venue_positions else []
        table.add_row("TOTAL", "", "", "", signed_money(summed.unrealised, usd), signed_money(summed.realised, usd),
                      fmt_money(summed.fees, usd, unit=False), fmt_money(summed.exposure, usd, unit=False),
                      *((usd,) if mixed else ()), *extra, key=TOTAL_KEY)
        text = f"P&L after fees {signed_money(summed.pnl, usd)} USD · TOTAL in USD, exposure gross"
        if summed.missing:
            text += f" · no USD rate: {', '.join(s.upper() for s in summed.missing)}"
        self.set_status(text)
