"""Plan a flatten: the position from the positions service, the book's touch, the available balance, the symbol's
rules and the session's ticket validation, into one validated immediate-or-cancel limit order (not yet sent).

The order is sent like any other (the screen runs it through the pre-trade guards and ``TradingSession.submit``);
nothing here sends anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from console.domain.book import OrderBook
from console.domain.errors import VenueError
from console.domain.flatten import DEFAULT_FLATTEN_BAND_BPS, FlattenRefused, FlattenTerms, flatten_terms
from console.domain.fmt import fmt_count, fmt_money, fmt_price, fmt_qty
from console.domain.model import ExecOption, OrderType, Side
from console.domain.ticket import NewOrder, TicketErrors, TicketInput
from console.trading.account import AccountService
from console.trading.positions import PositionsService
from console.trading.session import TradingSession

__all__ = ["DEFAULT_FLATTEN_BAND_BPS", "FlattenPlan", "FlattenRefused", "plan_flatten"]

@dataclass(frozen=True, slots=True)
class FlattenPlan:
    """A flatten ready to confirm: the validated order and the terms it came from."""

    order: NewOrder
    terms: FlattenTerms
    quote_currency: str
    #: The unit of the position and the amount (the rules' base currency, e.g. ``"GOLD"`` for Roxom's GOLD-BTC);
    #: empty: taken from the symbol minus its quote currency (``btcusd`` → ``BTC``).
    base_currency: str = ""

    def describe(self) -> str:
        """What the confirmation states: the position, side, size, price limit and notional, and any cap."""
        t = self.terms
        base = self.base_currency or (self.order.symbol[: -len(self.quote_currency)].upper()
                                      if self.quote_currency else "")
        long_short = "long" if t.position > 0 else "short"
        sign = "−" if t.side is Side.SELL else "+"
        touch = "best bid" if t.side is Side.SELL else "best ask"
        text = (f"Position {fmt_qty(t.position)} {base} ({long_short}). "
                f"{t.side.value.capitalize()} {fmt_qty(t.amount)} {base}, immediate-or-cancel, at a price limit of "
                f"{fmt_price(t.price)} ({touch} {fmt_price(t.touch)} {sign} {fmt_count(t.band_bps)} bps); "
                f"notional {fmt_money(t.notional, self.quote_currency)}. What the book cannot fill now is cancelled.")
        if t.capped and t.available is not None:
            text += (f" Capped at the available {fmt_qty(t.available)} {base}: the console never sells what the "
                     "account does not hold.")
        return text


async def plan_flatten(symbol: str, *, session: TradingSession, positions: PositionsService,
                       account: AccountService | None, book: OrderBook | None, band_bps: Decimal,
                       spot: bool) -> FlattenPlan:
    """The order that brings ``symbol``'s position to zero: the positions service's (:meth:`PositionsService.net`:
    the venue's own position where the venue keeps positions, else the fills counted since the start).

    Args:
        symbol: lowercase symbol.
        session: the trading session (symbol rules, ticket validation, client order ids).
        positions: the positions service.
        account: the account service, for the available balance of a spot long (None: not known, refused).
        book: the symbol's live book (None when it is not live: refused).
        band_bps: the flatten band, basis points (``guards.flatten_band_bps``).
        spot: a spot account (a long is capped by the base currency's available balance).

    Raises:
        FlattenRefused: why nothing can be sent (no position, no live book, no rules, balances unreadable, nothing
            held, below the minimum size, or the ticket validation's message).
    """
    symbol = symbol.lower()
    name = symbol.upper()
    net = positions.net(symbol)  # the venue's own position where it keeps one (Roxom), else the fills' position
    if net is None:
        where = ("the venue reports none" if positions.has_venue_positions
                 else "positions count fills since the chosen start")
        raise FlattenRefused(f"No {name} position to flatten ({where}): nothing sent.")
    rules = session.rules.get(symbol)
    if rules is None:
        raise FlattenRefused(f"{name}'s trading rules are not loaded yet: nothing sent.")
    if book is None:
        raise FlattenRefused(f"The {name} book is not live: nothing sent.")
    available: Decimal | None = None
    if spot and net > 0:
        if account is None:
            raise FlattenRefused("The account's balances are not available: nothing sent.")
        try:
            rows = await account.balances()
        except VenueError as exc:
            raise FlattenRefused(f"The balances could not be read ({exc.reason}): nothing sent.") from exc
        base = rules.base_currency.upper()
        available = next((row.available for row in rows if row.currency.upper() == base), Decimal(0))
    terms = flatten_terms(symbol=symbol, net=net, rules=rules, best_bid=book.best_bid,
                          best_ask=book.best_ask, band_bps=band_bps, available=available, spot=spot)
    ticket = TicketInput(symbol=symbol, side=terms.side, order_type=OrderType.LIMIT, price=format(terms.price, "f"),
                         amount=format(terms.amount, "f"), option=ExecOption.IMMEDIATE_OR_CANCEL)
    try:
        order = session.prepare(ticket)
    except TicketErrors as exc:
        raise FlattenRefused(f"The flatten order fails the ticket's checks ({exc}): nothing sent.") from exc
    return FlattenPlan(order, terms, rules.quote_currency.upper(), rules.base_currency.upper())
