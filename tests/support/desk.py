"""Steps the desk-workflow Pilot tests share (flatten, scoped cancels): an ETHUSD position bought through the local
exchange's simulated market maker, and the ticket moved to ETHUSD with its book live."""

from __future__ import annotations

from decimal import Decimal

from console.domain.model import OrderType, Side
from console.domain.ticket import TicketInput
from tests.support.console_app import wait_for


async def buy_eth(pilot, amount: str, total: str | None = None) -> None:
    """Buy ``amount`` ETH at a price through the ask (it fills against the simulated market maker's quotes) and
    wait until the positions service counts a position of ``total`` (default: ``amount``)."""
    app = pilot.app
    order = app.session.prepare(TicketInput("ethusd", Side.BUY, OrderType.LIMIT, "3200.00", amount))
    await app.session.submit(order)
    want = Decimal(total if total is not None else amount)
    await wait_for(pilot, lambda: (p := app.positions.position("ethusd")) is not None and p.net == want,
                   what="the ETHUSD position")


async def ethusd_in_the_ticket(pilot) -> None:
    """Move the ticket to ETHUSD and wait until its book is live with a bid."""
    app = pilot.app
    app.main_screen.query_one("#symbol").value = "ethusd"
    await wait_for(pilot, lambda: app.market.symbol == "ethusd" and app.market.live and app.market.book.best_bid,
                   what="the ETHUSD book")
