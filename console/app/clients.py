"""The venue's private clients for one key, as the console builds them: used by the app factory and by ``doctor``.

Kept apart from :mod:`console.app.wiring` so that ``doctor`` checks a key with the very clients the console trades
with, without importing the screen (Textual).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import httpx

from console.venues.gemini.auth import NonceSource
from console.venues.gemini.credentials import Credentials
from console.venues.gemini.order_events import OrderEventsClient
from console.venues.gemini.rest import GeminiRestClient
from console.venues.gemini.tap import Observer, TappedOrderEvents


@dataclass(frozen=True, slots=True)
class VenueClients:
    """The venue's two private clients for one key, sharing one nonce source.

    Attributes:
        rest: the REST client (owns its httpx client; whoever holds it closes it).
        order_events: the order-events WebSocket client, wrapped by the tap when there are observers.
    """

    rest: GeminiRestClient
    order_events: OrderEventsClient | TappedOrderEvents


def venue_clients(
    rest_url: str,
    ws_url: str,
    credentials: Credentials,
    *,
    nonce: NonceSource,
    account: str | None = None,
    observers: Sequence[Observer] = (),
    transport: httpx.AsyncBaseTransport | None = None,
    open_timeout_s: float | None = None,
) -> VenueClients:
    """Build the REST and order-events clients of one key, tapped when ``observers`` are given.

    Args:
        rest_url: REST base URL, e.g. ``"https://api.sandbox.gemini.com"``.
        ws_url: WebSocket base URL, e.g. ``"wss://api.sandbox.gemini.com"``.
        credentials: the key and its secret.
        nonce: the nonce source both clients sign with (one per key and process).
        account: the sub-account a master key acts on (None: the key's own account).
        observers: told about every request, response and order event (journal, latency); none: no tap.
        transport: the httpx transport under the tap (tests pass a mock one; default: real sockets).
        open_timeout_s: seconds allowed for the WebSocket's TCP + TLS + upgrade (default: the client's).
    """
    # The REST client taps its own requests (observers=), so that its cancel lane is kept: a transport passed in
    # would replace the lane's thread by a second pool on the console's loop (console.venues.gemini.rest).
    rest = GeminiRestClient(rest_url, credentials, nonce=nonce, transport=transport, account=account,
                            observers=observers)
    events = (OrderEventsClient(ws_url, credentials, nonce=nonce) if open_timeout_s is None
              else OrderEventsClient(ws_url, credentials, nonce=nonce, open_timeout=open_timeout_s))
    return VenueClients(rest, TappedOrderEvents(events, observers) if observers else events)
