"""The venue interface: the typed protocol through which the trading session drives one venue account.

A venue adapter (``console.venues.gemini.venue.GeminiVenue``; Roxom's and Gemini's WebSocket API next) implements
``Venue``; the session (``console.trading.session``) and the dead-man switch use nothing else. Everything crossing
it is a domain object of ``console.domain.model`` (``Order``, ``Fill``, ``OrderEvent``, ``SymbolRules``,
``CancelResult``, the ``Stream*`` messages) and every failure a ``console.domain.errors.VenueError`` whose
properties say what it means (``outcome_unknown``, ``halts_trading``, ``retry_safe``, ``reason``).

Conventions for implementers:

* Money and amounts are ``Decimal``; ids are strings (Gemini's numbers, Roxom's UUID v7); times are ms since the
  epoch (``*_ms``). Symbols are lowercase, e.g. ``"btcusd"``.
* An order returned from a call carries the venue's word at that moment (state, amounts, reason); its
  ``updated_ms`` may be 0 (the blotter stamps it).
* A call that fails on the network raises an error with ``outcome_unknown``; it is never turned into
  ``OrderNotFound`` (a timed-out place may have been executed).
* Nothing here retries a place: the session settles an unknown outcome by client order id.

The stream's lifecycle (``connect_order_events`` → ``OrderEventStream``)::

    connect ─▶ StreamAck ─▶ (StreamEvents | StreamHeartbeat)* ─▶ StreamClosed raised, or the session aborts
                  │                  │
                  │                  ├─ StreamGap: a message is missing; the session aborts and reconnects
                  │                  └─ StreamBadFrame(lost_events=True): the same
                  └─ the session reconciles over ``open_orders`` / ``order_status`` / ``fills_since`` here

A connection refused for a reason that may pass (e.g. a nonce overtaken by another request) raises a
``VenueError``; the adapter has already fixed what it can (e.g. advanced its nonce), so the session simply
reconnects with back-off. One refused with ``halts_trading`` stops the session.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

from console.domain.model import CancelResult, Fill, Order, StreamMessage, SymbolRules
from console.domain.ticket import NewOrder

__all__ = ["OrderEventStream", "Venue"]


class OrderEventStream(Protocol):
    """One open connection of the venue's order-event stream (this account's orders, all sessions)."""

    async def recv(self) -> StreamMessage:
        """Wait for the next message (``StreamAck``, ``StreamEvents``, ``StreamHeartbeat``, ``StreamGap``,
        ``StreamBadFrame``); events are converted with their ``updated_ms`` at receipt.

        Raises:
            StreamClosed: the connection closed; ``.code`` is the close code (1006: dropped without a close frame),
                ``.close_reason`` its text.
        """
        ...

    def abort(self) -> None:
        """Drop the connection at once, without a closing handshake (a silent or untrustworthy stream)."""
        ...

    async def close(self) -> None:
        """Close the connection normally and wait (bounded) for the closing handshake."""
        ...


class Venue(Protocol):
    """One account at one venue, as the trading session drives it.

    Attributes:
        name: the venue's name for texts shown to the trader, e.g. ``"Gemini"``.
        api_session: what the venue puts in ``Order.api_session`` for orders placed through this connection
            (Gemini: the API key); ``cancel_session`` cancels exactly those.
        on_rate_limited: called with ``(what, pause_s)`` when the venue throttles this client (what: e.g. the
            endpoint path; pause in seconds), so the session can say so; None: nobody listens.
        replay_window_ms: (optional; 0 when absent) how long after a place was sent a copy of it delayed in the
            network may still be executed (ms). 0 where a later request invalidates a late copy (Gemini's counter
            nonces: the status call's nonce is greater); 30 000 for Gemini's time-based nonces (±30 s). The session
            keeps an order whose answer was lost UNKNOWN at least this long before declaring it never placed.
    """

    name: str
    api_session: str
    on_rate_limited: Callable[[str, float], None] | None

    async def symbol_rules(self, symbols: Sequence[str]) -> dict[str, SymbolRules]:
        """The trading rules of ``symbols`` (lowercase, e.g. ``["btcusd"]``), keyed by lowercase symbol.

        Raises:
            VenueError: the venue or the network failed.
        """
        ...

    async def place(self, order: NewOrder) -> Order:
        """Send a validated order once, under its ``client_order_id``; return the venue's answer as an ``Order``
        (state ``LIVE``, ``ACCEPTED``, ``FILLED``, ``CANCELLED`` for an IOC/FOK that ended at once, …).

        Raises:
            VenueRefused: the venue refused the order (``.reason`` says why; ``halts_trading`` when the key is).
            VenueError: with ``outcome_unknown`` when the order may or may not have been placed: never re-send it.
        """
        ...

    async def cancel(self, order_id: str) -> Order:
        """Cancel one order by the venue's order id; return its state after the cancel (cancelling an order that
        already ended returns it as it is). Idempotent: safe to send again when the answer was lost.

        Raises:
            OrderNotFound: the venue has no such order.
            VenueError: refused (``VenueRefused``) or lost (``outcome_unknown``).
        """
        ...

    async def cancel_session(self) -> CancelResult:
        """Cancel every open order placed through this connection's ``api_session``.

        Raises:
            VenueError: refused or lost (``outcome_unknown``: some may have been cancelled).
        """
        ...

    async def cancel_all(self) -> CancelResult:
        """Cancel every open order of the account, whoever placed it (other keys, the venue's web UI).

        Raises:
            VenueError: refused or lost (``outcome_unknown``: some may have been cancelled).
        """
        ...

    async def order_status(self, *, order_id: str | None = None, client_order_id: str | None = None) -> Order:
        """One order by the venue's order id or by client order id (give exactly one).

        Raises:
            OrderNotFound: the venue has no such order (for a client order id: it was never placed).
            VenueError: the venue or the network failed (never reported as ``OrderNotFound``).
        """
        ...

    async def open_orders(self) -> list[Order]:
        """Every open order of the account (all sessions), each stamped with ``updated_ms`` = time of receipt.

        Raises:
            VenueError: the venue or the network failed.
        """
        ...

    async def fills_since(self, since_ms: int) -> list[Fill]:
        """The account's fills at or after ``since_ms`` (ms since the epoch), oldest first, each naming its order.

        Raises:
            VenueError: the venue or the network failed.
        """
        ...

    async def connect_order_events(self) -> OrderEventStream:
        """Open the order-event stream (authenticated; a fresh signature per connection).

        Raises:
            VenueError: the connection was refused (``halts_trading`` for a refused key) or failed.
        """
        ...

    async def heartbeat(self) -> None:
        """Tell the venue this client is alive (the dead-man switch; a no-op where the venue needs none).

        Raises:
            VenueError: the venue or the network failed.
        """
        ...

    async def close(self) -> None:
        """Release the venue's connections (HTTP pools, background threads)."""
        ...
