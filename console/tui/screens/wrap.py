"""Wrap form: convert between a wrap-enabled pair's currencies at 1 (``/v1/wrap/:symbol``, e.g. USD ↔ GUSD)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal, InvalidOperation

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Button, Input, Label, Select, Static

from console.domain.errors import VenueError
from console.domain.fmt import fmt_money
from console.domain.model import Side
from console.trading.account import AccountService
from console.tui.screens.account_view import AccountView, error_text
from console.tui.widgets.fields import Dropdown, TextInput

#: Pairs offered to the wrap form besides the ticket's symbols; only those whose details say wrap_enabled show.
WRAP_CANDIDATES = ("gusdusd",)


class WrapScreen(AccountView):
    """Pick a wrap-enabled symbol, a direction and an amount; ``Enter`` in the amount (or the button) sends it.

    Args:
        symbols: candidate symbols; only those whose details say ``wrap_enabled`` are offered.
        read_only: an Auditor key: the form shows but cannot send.
    """

    VIEW_TITLE = "Wrap"

    def __init__(
        self, account: AccountService, clock_ms: Callable[[], int], *, symbols: list[str], read_only: bool = False
    ) -> None:
        super().__init__(account, clock_ms)
        self.candidates = symbols
        self.read_only = read_only
        self.receipt_text = ""

    def compose_body(self) -> ComposeResult:
        with Horizontal(classes="form-row"):
            yield Label("symbol", classes="form-label")
            yield Dropdown([], id="wrap-symbol", prompt="loading…", compact=True)
        with Horizontal(classes="form-row"):
            yield Label("side", classes="form-label")
            yield Dropdown([("wrap (buy: quote → base)", "buy"), ("unwrap (sell: base → quote)", "sell")],
                           value="buy", allow_blank=False, id="wrap-side", compact=True)
        with Horizontal(classes="form-row"):
            yield Label("amount", classes="form-label")
            yield TextInput(placeholder="e.g. 100.00", id="wrap-amount", compact=True)
        yield Button("Wrap (Enter)", id="wrap-send", compact=True, disabled=self.read_only)
        yield Static("", id="wrap-receipt")

    async def fetch(self) -> None:
        select = self.query_one("#wrap-symbol", Select)
        select.prompt = "loading…"
        try:
            symbols = await self.account.wrap_symbols(self.candidates)
        except VenueError:
            select.prompt = "not loaded (r reloads)"  # the status line says why
            raise
        select.set_options([(s.upper(), s) for s in symbols])
        # The prompt is also the dropdown's blank first line: it must stop saying "loading…" once loaded.
        select.prompt = "pick a symbol" if symbols else "no wrap-enabled symbol"
        if symbols:
            select.value = symbols[0]
            self.set_status("Read-only key: wrapping is disabled." if self.read_only
                            else f"{len(symbols)} wrap-enabled symbol(s)", error=self.read_only)
        else:
            self.set_status("No wrap-enabled symbol on this venue.", error=True)
        self.query_one("#wrap-amount", Input).focus()

    @on(Input.Submitted, "#wrap-amount")
    @on(Button.Pressed, "#wrap-send")
    def submit(self) -> None:
        """Check the form and send the wrap; a bad amount or a missing symbol sends nothing."""
        if self.read_only:
            self.set_status("Read-only key (Auditor): wrapping needs the Trader role.", error=True)
            return
        symbol = self.query_one("#wrap-symbol", Select).value
        if not isinstance(symbol, str):
            self.set_status("Pick a wrap-enabled symbol.", error=True)
            return
        text = self.query_one("#wrap-amount", Input).value.strip()
        try:
            amount = Decimal(text)
        except InvalidOperation:
            amount = Decimal(0)
        if not amount.is_finite() or amount <= 0:
            self.set_status(f"Amount must be a positive decimal, got {text!r}.", error=True)
            return
        self.send(symbol, Side(str(self.query_one("#wrap-side", Select).value)), amount)

    @work(exclusive=True, group="wrap", exit_on_error=False)
    async def send(self, symbol: str, side: Side, amount: Decimal) -> None:
        """Send the wrap and show its receipt or the venue's refusal."""
        self.set_status("Sending…")
        try:
            r = await self.account.wrap(symbol, side, amount)
        except VenueError as exc:
            self.set_status(error_text(exc), error=True)
            return
        self.receipt_text = (
            f"Wrap {r.order_id}: {r.side.value} {fmt_money(r.quantity, r.quantity_currency)} for "
            f"{fmt_money(r.total_spend, r.spend_currency)}, fee {fmt_money(r.fee, r.fee_currency)}"
        )
        self.query_one("#wrap-receipt", Static).update(self.receipt_text)
        self.set_status("Done.")
