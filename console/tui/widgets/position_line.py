"""The selected symbol's position and P&L in two lines, docked at the bottom of the order ticket."""

from __future__ import annotations

from decimal import Decimal

from rich.text import Text
from textual.widgets import Static

from console.domain.fmt import fmt_money, fmt_price
from console.domain.positions import PositionRow

__all__ = ["PositionLine", "position_text", "signed_money"]


def signed_money(amount: Decimal | None, currency: str) -> str:
    """``"+12.30"`` / ``"-1.20"`` / ``"0.00"`` at the currency's precision, no unit; None shows as ``—``."""
    if amount is None:
        return "—"
    text = fmt_money(amount, currency, unit=False)
    return text if text.startswith("-") or text.strip("0.,") == "" else f"+{text}"


def signed_qty(amount: Decimal) -> str:
    """``"+0.5"`` / ``"-2"``: a quantity exact, trailing zeros dropped, with its sign."""
    text = format(amount.normalize(), "f") if amount else "0"
    return text if text.startswith("-") or text == "0" else f"+{text}"


def position_text(symbol: str, row: PositionRow | None, tick: Decimal | None = None) -> tuple[str, str]:
    """The two lines for ``symbol``: ``("Pos +0.5 BTC avg 64,250.10", "uPnL +12.30  rPnL -1.20")``.

    ``("", "")`` when no fill of the symbol counts since the start (the line is then hidden).
    """
    if row is None:
        return "", ""
    p = row.position
    quote = p.quote_currency
    first = f"Pos {signed_qty(p.net)} {p.base_currency}" if p.net else f"Pos flat {p.base_currency}"
    if p.avg_cost is not None:
        first += f" avg {fmt_price(p.avg_cost.quantize(tick) if tick else p.avg_cost, tick)}"
    second = f"uPnL {signed_money(row.unrealised, quote)}  rPnL {signed_money(p.realised, quote)}"
    if not p.net:
        second = f"rPnL {signed_money(p.realised, quote)}  fees {fmt_money(row.fees, quote, unit=False)}"
    return first, second


class PositionLine(Static):
    """Two lines: the position of the ticket's symbol and its P&L (quote currency); hidden while there is none."""

    _lines: tuple[str, str] = ("", "")

    def show(self, lines: tuple[str, str]) -> None:
        """Show ``lines`` (attributes down: the main screen calls this on every fill and mark change)."""
        if lines == self._lines:
            return
        self._lines = lines
        visible = any(lines)
        self.set_class(visible, "-visible")
        self.update(Text("\n".join(lines), no_wrap=True, overflow="ellipsis"))
