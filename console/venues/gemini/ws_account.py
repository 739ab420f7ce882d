"""Gemini's account views over the new WebSocket API: the REST account queries, with balances pushed live.

:class:`GeminiWsAccountVenue` is :class:`~console.venues.gemini.account_venue.GeminiAccountVenue` (history, fills,
order detail, balances, fees and wrap over REST: the new API has no such methods) that also implements
``console.trading.venue_account.BalancePushes``: the order socket of
:class:`~console.venues.gemini.ws_venue.GeminiWsVenue` subscribes ``balances@account``
(https://docs.gemini.com/websocket/introduction, "Balances"), and each ``balanceUpdate`` it carries reaches the
listener as upper-case currency → available amount, so the balances view and the ticket's available balance change
as the venue says, without a request.
"""

from __future__ import annotations

from console.venues.gemini.account_venue import GeminiAccountVenue
from console.venues.gemini.rest import GeminiRestClient
from console.venues.gemini.ws_venue import BalancesListener, GeminiWsVenue

__all__ = ["GeminiWsAccountVenue"]


class GeminiWsAccountVenue(GeminiAccountVenue):
    """The account queries of ``rest``, with the balances ``venue``'s socket pushes.

    Args:
        rest: the REST client (shared with the trading session; this never closes it).
        venue: the session's WebSocket API venue, whose order socket carries ``balances@account``.
    """

    def __init__(self, rest: GeminiRestClient, venue: GeminiWsVenue) -> None:
        super().__init__(rest)
        self._ws_venue = venue

    def watch_balances(self, listener: BalancesListener | None) -> None:
        """Tell ``listener`` each pushed change of available balances (None after a reconnect: read them all)."""
        self._ws_venue.balances_listener = listener
