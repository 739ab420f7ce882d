"""Messages the console's widgets and session bridge post, named as facts in the past tense."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from textual.message import Message

from console.domain.model import Order
from console.domain.ticket import TicketInput
from console.trading.market import FeedState
from console.trading.session import ConnectionState, StatusEntry


class OrdersChanged(Message):
    """Orders changed in the blotter (from the stream, a REST answer, or the console's own request).

    One message carries a whole burst: until a handler takes it (:meth:`take`), the sender may append later
    changes to ``orders`` instead of posting another message, so the screen applies a burst once.
    """

    def __init__(self, orders: list[Order]) -> None:
        super().__init__()
        self.orders = orders
        self.taken = False

    def take(self) -> list[Order]:
        """Mark the message handled (no more changes are added to it) and return its orders, oldest first."""
        self.taken = True
        return self.orders


class StatusReported(Message):
    """Status entries (fills, cancels, rejects, connection news) are ready for the status pane.

    Like :class:`OrdersChanged`, one message carries a burst: until a handler takes it (:meth:`take`), the sender
    may append later entries to ``entries`` instead of posting another message.
    """

    def __init__(self, entry: StatusEntry) -> None:
        super().__init__()
        self.entries = [entry]
        self.taken = False

    @property
    def entry(self) -> StatusEntry:
        """The first entry of the burst."""
        return self.entries[0]

    def take(self) -> list[StatusEntry]:
        """Mark the message handled (no more entries are added to it) and return its entries, oldest first."""
        self.taken = True
        return self.entries


class ConnectionChanged(Message):
    """The order-events stream changed state; the newest state replaces any queued older one."""

    def __init__(self, state: ConnectionState, detail: str) -> None:
        super().__init__()
        self.state = state
        self.detail = detail

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, ConnectionChanged)


class TicketSubmitted(Message):
    """The trader submitted the order ticket (not yet validated)."""

    def __init__(self, ticket: TicketInput) -> None:
        super().__init__()
        self.ticket = ticket


class CancelRequested(Message):
    """The trader asked to cancel one order."""

    def __init__(self, order_id: str) -> None:
        super().__init__()
        self.order_id = order_id


class ReplaceRequested(Message):
    """The trader asked to cancel-replace one order (key ``e`` on the orders table): load it into the ticket."""

    def __init__(self, order: Order | None) -> None:
        super().__init__()
        self.order = order


class AccountChanged(Message):
    """The account's balances or fills changed (a fill arrived, or the sub-account was switched); views reload."""

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, AccountChanged)


class BalancesPushed(Message):
    """The venue pushed available balances (``available``: upper-case currency → amount, the changed ones)."""

    def __init__(self, available: Mapping[str, Decimal]) -> None:
        super().__init__()
        self.available = dict(available)


class BookUpdated(Message):
    """The selected symbol's book changed; a burst collapses to the newest (widgets redraw once per frame)."""

    def __init__(self, symbol: str) -> None:
        super().__init__()
        self.symbol = symbol

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, BookUpdated)


class TradesUpdated(Message):
    """New public trades arrived for the selected symbol; a burst collapses to the newest."""

    def __init__(self, symbol: str) -> None:
        super().__init__()
        self.symbol = symbol

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, TradesUpdated)


class MarketStateChanged(Message):
    """The market data feed changed state (live / stale / resyncing); the newest replaces older queued ones."""

    def __init__(self, symbol: str, state: FeedState, detail: str) -> None:
        super().__init__()
        self.symbol = symbol
        self.state = state
        self.detail = detail

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, MarketStateChanged)


class TicketSymbolChanged(Message):
    """The trader picked another symbol in the ticket (the book follows it)."""

    def __init__(self, symbol: str) -> None:
        super().__init__()
        self.symbol = symbol


class PositionsChanged(Message):
    """A position or a mark changed (a fill, a reload, new quotes); a burst collapses to the newest."""

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, PositionsChanged)
