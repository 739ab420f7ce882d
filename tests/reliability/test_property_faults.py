"""Property test (hypothesis stateful) on ``--api rest``: random orders, cancels, market fills and faults; after
settling, the console's blotter equals the exchange and no client order id was ever placed twice.

The rules are :class:`tests.support.property_machine.ConsoleVsExchangeBase` (shared with ``--api ws``), plus the
REST order stream's sequence faults. A short heartbeat watchdog detects stream faults in a fraction of a second.
200 examples run in ``make test``; benchmarks/soak_reliability.py runs the same machine much longer.
"""

from __future__ import annotations

from hypothesis import strategies as st
from hypothesis.stateful import rule

from console.exchange.faults import FaultKind
from tests.support.property_machine import ConsoleVsExchangeBase, run_machine

#: Fast settings for the property run: heartbeats every 30 ms, the watchdog at 0.25 s, REST timeout 0.3 s.
FAST = {
    "server_kwargs": {"heartbeat_interval_s": 0.03},
    "stale_after_s": 0.25,
    "rest_timeout_s": 0.3,
}

REST_FAULTS = [
    (FaultKind.DROP_RESPONSE, "/v1/order/new"),
    (FaultKind.DROP_REQUEST, "/v1/order/new"),
    (FaultKind.HTTP_ERROR, "/v1/order/new"),
    (FaultKind.HTTP_429, "/v1/order/new"),
    (FaultKind.DELAY, "/v1/order/new"),
    (FaultKind.DROP_RESPONSE, "/v1/order/cancel"),
    (FaultKind.HTTP_ERROR, "/v1/order/cancel"),
]
STREAM_FAULTS = [FaultKind.SEQ_SKIP, FaultKind.SEQ_REPEAT, FaultKind.SEQ_RESET, FaultKind.DUPLICATE_EVENTS,
                 FaultKind.REORDER_EVENTS]


class ConsoleVsExchange(ConsoleVsExchangeBase):
    """The console trading over REST and ``/v1/order/events`` against a misbehaving exchange."""

    SESSION_KWARGS = {"stale_after_s": FAST["stale_after_s"], "rest_timeout_s": FAST["rest_timeout_s"]}
    SERVER_KWARGS = FAST["server_kwargs"]
    FAULTS = REST_FAULTS
    PLACE_PATH = "/v1/order/new"

    async def drop_stream(self, abrupt: bool) -> None:
        await self.r.server.faults.close_streams(abrupt=abrupt)

    @rule(kind=st.sampled_from(STREAM_FAULTS))
    def stream_fault(self, kind: FaultKind) -> None:
        self.r.server.faults.arm(kind)
        self.idle()

    def before_settle(self) -> None:
        faults = self.r.server.faults
        super().before_settle()
        if faults._held:  # a batch held back for reordering and never released: resync as a client would
            self.run(faults.close_streams(abrupt=True))


def test_console_matches_exchange_under_random_faults():
    run_machine(ConsoleVsExchange, "RELIABILITY_EXAMPLES", 200)
