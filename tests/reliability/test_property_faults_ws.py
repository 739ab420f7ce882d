"""The reliability property test on ``--api ws`` (Gemini's WebSocket API): random orders, cancels, market fills,
faults on ``order.place`` / ``order.cancel`` and dropped sockets; after settling, the console's blotter equals the
exchange and no client order id was ever placed twice.

The same rules as ``--api rest`` (:class:`tests.support.property_machine.ConsoleVsExchangeBase`) over
``GeminiWsVenue``. The new API has no sequence numbers, so its stream faults are dropped sockets
(``server.ws_api.drop_all``). The venue's 30 s replay window (an ``order.place`` whose answer was lost is kept
UNKNOWN that long) is scaled down to 0.3 s so a run takes seconds.
"""

from __future__ import annotations

from console.exchange.faults import FaultKind
from tests.support.property_machine import ConsoleVsExchangeBase, run_machine

FAST = {"stale_after_s": 0.3, "rest_timeout_s": 0.3, "api": "ws", "replay_window_ms": 300}

WS_FAULTS = [
    (FaultKind.DROP_RESPONSE, "/ws:order.place"),
    (FaultKind.DROP_REQUEST, "/ws:order.place"),
    (FaultKind.HTTP_ERROR, "/ws:order.place"),
    (FaultKind.HTTP_429, "/ws:order.place"),
    (FaultKind.DELAY, "/ws:order.place"),
    (FaultKind.DROP_RESPONSE, "/ws:order.cancel"),
    (FaultKind.HTTP_ERROR, "/ws:order.cancel"),
]


class ConsoleVsExchangeWs(ConsoleVsExchangeBase):
    """The console trading over the WebSocket API against a misbehaving exchange."""

    SESSION_KWARGS = FAST
    SERVER_KWARGS = {"heartbeat_interval_s": 0.05}
    FAULTS = WS_FAULTS
    PLACE_PATH = "/ws:order.place"

    async def drop_stream(self, abrupt: bool) -> None:
        await self.r.server.ws_api.drop_all(abrupt=abrupt)


def test_console_matches_exchange_under_random_faults_over_ws():
    run_machine(ConsoleVsExchangeWs, "RELIABILITY_EXAMPLES_WS", 60)
