"""Base of the account views (history, fills, balances, fees, order detail, wrap): title, body, status, footer."""

from __future__ import annotations

import time
from collections.abc import Callable
from decimal import Decimal

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, Static

from console.domain.errors import VenueError
from console.domain.errors import VenueRefused as VenueApiError
from console.domain.fmt import fmt_price
from console.domain.model import Fill, Liquidity
from console.trading.account import AccountService
from console.tui.messages import AccountChanged


def utc_time(time_ms: int) -> str:
    """``"2026-11-22 14:30:00"``: a time in ms as UTC date and time."""
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(time_ms // 1000))


def utc_date(time_ms: int) -> str:
    """``"2026-11-22"``: the UTC date of a time in ms."""
    return time.strftime("%Y-%m-%d", time.gmtime(time_ms // 1000))


def liquidity_text(fill: Fill) -> str:
    """``"Maker"`` or ``"Taker"``: the fill's liquidity as the account views show it."""
    return "Maker" if fill.liquidity is Liquidity.MAKER else "Taker"


def error_text(exc: BaseException) -> str:
    """One line for a failed request: the venue's reason and message, or the error's class."""
    if isinstance(exc, VenueApiError):
        return f"{exc.reason}: {exc.message}"
    return f"{exc.__class__.__name__}: {exc}"


class AccountView(Screen[None]):
    """A full-screen account view: ``Esc`` goes back, ``r`` reloads; subclasses compose a body and fetch data.

    Args:
        account: the typed account queries.
        clock_ms: the console's clock (ms since the epoch).
    """

    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", id="view.back"),
        Binding("r", "reload", "Reload", id="view.reload"),
    ]
    #: Title shown on the view's first line.
    VIEW_TITLE = ""

    def __init__(self, account: AccountService, clock_ms: Callable[[], int]) -> None:
        super().__init__()
        self.account = account
        self.clock_ms = clock_ms

    def compose(self) -> ComposeResult:
        sub = f"  ·  sub-account {self.account.account}" if self.account.account else ""
        yield Static(f"{self.VIEW_TITLE}{sub}", id="view-title")
        yield from self.compose_body()
        yield Static("", id="view-status")
        yield Footer()

    def compose_body(self) -> ComposeResult:
        """The view's widgets between the title and the status line."""
        yield from ()

    def on_mount(self) -> None:
        self.action_reload()

    def action_reload(self) -> None:
        """Fetch the view's data again."""
        self.load()

    @work(exclusive=True, group="view-load", exit_on_error=False)
    async def load(self) -> None:
        """Run :meth:`fetch`; a failure shows on the status line instead of ending the view."""
        self.set_status("Loading…")
        try:
            await self.fetch()
        except VenueError as exc:
            self.set_status(error_text(exc), error=True)

    async def fetch(self) -> None:
        """Fetch and show the view's data (subclasses)."""

    def price(self, symbol: str, value: Decimal | None, *, blank_zero: bool = False) -> str:
        """A price of ``symbol`` at its tick size's precision (see :mod:`console.domain.fmt`), e.g. ``"63,500.00"``.

        The tick size comes from the session's symbol rules when they are loaded; without them the price keeps
        the decimals the venue sent. ``blank_zero`` shows zero as ``—`` (the average price of an unfilled order).
        """
        session = getattr(self.app, "session", None)
        rules = session.rules.get(symbol.lower()) if session is not None else None
        return fmt_price(value, rules.price_increment if rules is not None else None, blank_zero=blank_zero)

    def set_status(self, text: str, *, error: bool = False) -> None:
        """Show ``text`` on the status line (red when ``error``)."""
        status = self.query_one("#view-status", Static)
        status.update(text)
        status.set_class(error, "-error")

    def on_account_changed(self, message: AccountChanged) -> None:
        """A fill (or a sub-account switch) happened: views showing balances or fills reload (see subclasses)."""
