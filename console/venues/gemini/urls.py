"""Gemini's base URLs (production and sandbox) and the paths built on them."""

from __future__ import annotations

from dataclasses import dataclass

#: Path of the order events WebSocket; also the ``request`` value signed for its upgrade.
ORDER_EVENTS_PATH = "/v1/order/events"


@dataclass(frozen=True, slots=True)
class VenueUrls:
    """Base URLs of one Gemini environment (https://docs.gemini.com/websocket/archived/order-events,
    https://docs.gemini.com/websocket/market-data/v2/about).

    Attributes:
        rest: REST base URL without a trailing slash, e.g. ``"https://api.gemini.com"``.
        ws: WebSocket base URL for the legacy streams (order events v1, market data v1/v2),
            e.g. ``"wss://api.gemini.com"``.
    """

    rest: str
    ws: str


#: Real money.
PRODUCTION = VenueUrls(rest="https://api.gemini.com", ws="wss://api.gemini.com")
#: Test funds only (https://docs.sandbox.gemini.com).
SANDBOX = VenueUrls(rest="https://api.sandbox.gemini.com", ws="wss://api.sandbox.gemini.com")


#: Gemini's WebSocket API (https://docs.gemini.com/websocket/introduction); no sandbox URL is published for it.
WS_API_PRODUCTION = "wss://ws.gemini.com"


def order_events_url(ws_base: str) -> str:
    """Return the order events WebSocket URL for a WebSocket base URL.

    Args:
        ws_base: e.g. ``"wss://api.gemini.com"`` or ``"ws://127.0.0.1:8787"`` (a trailing slash is allowed).

    Returns:
        e.g. ``"wss://api.gemini.com/v1/order/events"`` (https://docs.gemini.com/websocket/archived/order-events).
    """
    return ws_base.rstrip("/") + ORDER_EVENTS_PATH
