"""The reliability property test on the local Roxom venue: random orders, cancels, market fills, faults on the order
requests and cancels, dropped and stalled sockets; after settling, the console's blotter equals the venue and no
client order id was ever placed twice.

The same rules as Gemini's ``--api rest`` and ``--api ws``
(:class:`tests.support.property_machine.ConsoleVsExchangeBase`) over :class:`~console.venues.roxom.venue.RoxomVenue`
against :class:`~console.exchange.roxom.app.RoxomServer` (``tests.support.roxom_reliability``). What Roxom changes:

* order ids are UUID v7 strings, and a place whose answer was lost is settled by client order id through the order
  list (``includeClosed=true``): never re-sent;
* a cancel is ``pendingcancel`` for :data:`CANCEL_LATENCY_S` before it is cancelled, and fills that arrive meanwhile
  are real fills (:meth:`ConsoleVsRoxom.cancel_into_a_fill` makes that race common); the session's wait for the
  stream before asking the order by id (``cancel_confirm_s``, 3 s) is scaled down to :data:`CANCEL_CONFIRM_S`;
* the ``orders`` channel has no sequence numbers, so its stream faults are dropped sockets (clean and abrupt) and
  stalled ones (``stall-stream``: the sockets stay open and say nothing, pongs included: the watchdog reconnects and
  the session reconciles over REST once the venue speaks again);
* request faults: 5xx without processing, a dropped request, a dropped answer after processing (accept-then-drop)
  and an answer later than the client's timeout, on ``POST /api/v1/orders`` and on any order's cancel (the route
  template ``/api/v1/orders/{orderId}/cancel``); Roxom has no session cancel, so the machine never uses one.

After settling, the blotter must also have refused nothing (no "Refused impossible data from the exchange": the venue
is consistent, so a refusal is a console bug). :envvar:`RELIABILITY_EXAMPLES_ROXOM` examples (default 25) run in
``make test``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from hypothesis import strategies as st
from hypothesis.stateful import rule

from console.domain.model import Side
from console.domain.ticket import TicketInput
from console.exchange.faults import FaultKind
from console.trading.session import ConnectionState
from tests.support.property_machine import ConsoleVsExchangeBase, run_machine
from tests.support.reliability import wait_until
from tests.support.roxom_reliability import roxom_rig

#: How long a cancel stays ``pendingcancel`` at the venue (several rules' time: fills race it).
CANCEL_LATENCY_S = 0.15
#: How long an answered-but-pending cancel waits for the stream before the order is asked by id.
CANCEL_CONFIRM_S = 0.4

PLACE = "/api/v1/orders"
CANCEL = "/api/v1/orders/{orderId}/cancel"
ROXOM_FAULTS = [
    (FaultKind.DROP_RESPONSE, PLACE),
    (FaultKind.DROP_REQUEST, PLACE),
    (FaultKind.HTTP_ERROR, PLACE),
    (FaultKind.DELAY, PLACE),
    (FaultKind.DROP_RESPONSE, CANCEL),
    (FaultKind.HTTP_ERROR, CANCEL),
    (FaultKind.DELAY, CANCEL),
]

BID = Decimal("0.025000")
ASK = Decimal("0.025010")
TICK = Decimal("0.000001")


class ConsoleVsRoxom(ConsoleVsExchangeBase):
    """The console trading on the local Roxom venue against its faults."""

    SESSION_KWARGS = {"stale_after_s": 0.4, "rest_timeout_s": 0.3, "cancel_confirm_s": CANCEL_CONFIRM_S}
    SERVER_KWARGS = {"cancel_latency_s": CANCEL_LATENCY_S}
    FAULTS = ROXOM_FAULTS
    PLACE_PATH = PLACE

    def open_rig(self) -> Any:
        return roxom_rig(session_kwargs=dict(self.SESSION_KWARGS), server_kwargs=dict(self.SERVER_KWARGS))

    def ticket_at(self, side: Side, ticks: int, lots: int) -> TicketInput:
        price = BID - ticks * TICK if side is Side.BUY else ASK + ticks * TICK
        return self.r.ticket(side, str(price), f"{lots}.00")

    def cross(self, side: str, lots: int) -> None:
        # Deep enough to reach every level the rules place at; an IOC, so nothing of the maker's rests.
        self.r.maker_ioc(side, f"{lots}.00", "0.024000" if side == "sell" else "0.026000")

    async def drop_stream(self, abrupt: bool) -> None:
        await self.r.server.close_streams(abrupt)

    @rule(release=st.booleans())
    def stall_stream(self, release: bool) -> None:
        """The sockets go silent (updates and pongs are lost, the sockets stay open) until the session's watchdog
        notices; they stay stalled (the reconnects too: new orders are refused meanwhile, fills go on) until released
        now (``release``), by the next stall or before settling. A release also drops the stalled sockets, as a
        silent TCP connection ends in the real world: a socket that lost messages never speaks again."""
        faults = self.r.server.faults
        if faults.stream_stalled:
            self.run(self.release_stall())
            return
        faults.arm("stall-stream")
        session = self.r.session
        self.run(wait_until(lambda: session.connection is not ConnectionState.LIVE, timeout=5.0,
                            what="the watchdog to notice the stalled stream"))
        if release:
            self.run(self.release_stall())
        self.idle()

    async def release_stall(self) -> None:
        faults = self.r.server.faults
        faults.faults[:] = [f for f in faults.faults if f.kind != "stall-stream"]
        await self.r.server.close_streams(True)

    def after_settle(self) -> None:
        # A consistent venue never makes the blotter refuse anything ("Refused impossible data from the exchange").
        refused = [s for s in self.r.statuses if s.code == "Refused"] + list(self.r.session.blotter.flagged)
        assert not refused, refused

    def before_settle(self) -> None:
        stalled = self.r.server.faults.stream_stalled
        super().before_settle()
        if stalled:
            self.run(self.release_stall())

    @rule(pick=st.integers(0, 50), lots=st.integers(1, 4))
    def cancel_into_a_fill(self, pick: int, lots: int) -> None:
        """The race made common: cancel an open order, then another account trades against it while the cancel is
        pending (the fill is real; the order ends partially filled and cancelled, or filled)."""
        candidates = [o for o in self.r.session.blotter.open_orders() if o.order_id]
        if not candidates:
            return
        order = candidates[pick % len(candidates)]
        self.run(self.r.session.cancel(order.order_id))
        self.cross("sell" if order.side is Side.BUY else "buy", lots)
        self.idle()


def test_console_matches_the_roxom_venue_under_random_faults():
    run_machine(ConsoleVsRoxom, "RELIABILITY_EXAMPLES_ROXOM", 25)
