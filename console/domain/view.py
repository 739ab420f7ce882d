"""The blotter's sorted, filtered view of open orders, kept up to date in O(log n) per changed order.

The orders table shows this view; the view lives outside the widget so it can be tested (and benchmarked)
without a screen. Each open order has one row, keyed by :func:`row_key`. Rows are held in a
:class:`sortedcontainers.SortedList` of sort keys, so an insert, an update or a removal costs O(log n) and
finding the row at a screen line (or the line of an order) costs O(log n) too. Only changing the sort column or
a filter rebuilds the list (O(n log n), once per keypress, never per event).

Sort keys are tuples ``(value..., tie-breaker..., row key)``: unique, totally ordered, and the same for equal
orders however they arrived, so an incrementally maintained view equals one sorted from scratch.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sortedcontainers import SortedList

from console.domain.model import Order, OrderState, OrderType, Side

__all__ = [
    "SORT_COLUMNS",
    "STATUS_FILTERS",
    "OrderView",
    "ViewFilter",
    "row_key",
    "sort_key",
]


def row_key(order: Order) -> str:
    """Stable row identity: the client order id when there is one (known before the venue's id), else the id."""
    return order.client_order_id or order.order_id


def _order_number(order: Order) -> int:
    """The venue's order id as a number (ids are digit strings on Gemini); -1 while unknown."""
    oid = order.order_id
    return int(oid) if oid.isdigit() else -1


def _optional(value: Decimal | None) -> tuple[int, Decimal]:
    """Order None before every number without comparing None with a Decimal."""
    return (0, Decimal(0)) if value is None else (1, value)


#: Lifecycle order used to sort by status (earliest stage first).
_STATE_RANK = {state: rank for rank, state in enumerate(OrderState)}


def _type_label(order: Order) -> str:
    if order.order_type is OrderType.STOP_LIMIT:
        return "stop-limit"
    return "limit " + order.options[0].value if order.options else "limit"


#: Column key -> the sort value of an order in that column. ``age`` sorts by age (youngest first), the others by
#: their value (smallest first); ``OrderView.descending`` reverses either.
SORT_COLUMNS: dict[str, Callable[[Order], Any]] = {
    "symbol": lambda o: o.symbol,
    "side": lambda o: o.side.value,
    "price": lambda o: o.price,
    "amount": lambda o: o.amount,
    "status": lambda o: _STATE_RANK[o.state],
    "filled": lambda o: o.filled,
    "type": _type_label,
    "stop_price": lambda o: _optional(o.stop_price),
    "remaining": lambda o: o.open_amount,
    "avg_price": lambda o: o.avg_price,
    "age": lambda o: (-o.created_ms, -_order_number(o)),
    "order_id": _order_number,
    "client_order_id": lambda o: o.client_order_id or "",
}

#: Status filter choices, in the order a key cycles through them: name -> the states it keeps.
STATUS_FILTERS: dict[str, frozenset[OrderState]] = {
    "working": frozenset({OrderState.ACCEPTED, OrderState.LIVE, OrderState.PARTIALLY_FILLED}),
    "partial": frozenset({OrderState.PARTIALLY_FILLED}),
    "stop-wait": frozenset({OrderState.WAITING_TRIGGER}),
    "cancelling": frozenset({OrderState.PENDING_CANCEL}),
    "unsettled": frozenset({OrderState.PENDING_NEW, OrderState.UNKNOWN}),
}


def sort_key(order: Order, column: str) -> tuple[Any, ...]:
    """The full, unique sort key of ``order`` when sorting by ``column``.

    Ties on the column's value are broken by age (oldest first), then the venue's order id, then the row key.

    Raises:
        KeyError: ``column`` is not one of :data:`SORT_COLUMNS`.
    """
    return (SORT_COLUMNS[column](order), order.created_ms, _order_number(order), row_key(order))


@dataclass(frozen=True, slots=True)
class ViewFilter:
    """Which open orders the view shows; None means "any".

    Attributes:
        symbol: lowercase symbol, e.g. ``"btcusd"``.
        side: buy or sell.
        status: a key of :data:`STATUS_FILTERS`, e.g. ``"working"``.
    """

    symbol: str | None = None
    side: Side | None = None
    status: str | None = None

    def __post_init__(self) -> None:
        if self.status is not None and self.status not in STATUS_FILTERS:
            raise ValueError(f"unknown status filter {self.status!r}; expected one of {sorted(STATUS_FILTERS)}")

    @property
    def active(self) -> bool:
        """True when at least one part of the filter is set."""
        return self.symbol is not None or self.side is not None or self.status is not None

    def keeps(self, order: Order) -> bool:
        """True when ``order`` passes every part of the filter."""
        if self.symbol is not None and order.symbol != self.symbol:
            return False
        if self.side is not None and order.side is not self.side:
            return False
        return self.status is None or order.state in STATUS_FILTERS[self.status]

    def describe(self) -> str:
        """Short label for the table's filter indicator, e.g. ``"BTCUSD buy working"`` (``""`` when inactive)."""
        parts = [self.symbol.upper() if self.symbol else "", self.side.value if self.side else "", self.status or ""]
        return " ".join(p for p in parts if p)


class OrderView:
    """Open orders, sorted by one column and filtered, as rows numbered from 0 (the top of the table).

    Terminal orders (filled, cancelled, rejected) leave the view. Every method that takes changed orders costs
    O(k log n) for k changed orders; ``set_sort`` and ``set_filter`` cost O(n log n).

    Args:
        column: the sort column, a key of :data:`SORT_COLUMNS`.
        descending: reverse the column's order.
        view_filter: which orders to show.

    Raises:
        KeyError: unknown ``column``.
    """

    def __init__(self, column: str = "age", *, descending: bool = True, view_filter: ViewFilter | None = None):
        if column not in SORT_COLUMNS:
            raise KeyError(column)
        self._column = column
        self._descending = descending
        self._filter = view_filter or ViewFilter()
        self._orders: dict[str, Order] = {}  # every open order, by row key
        self._keys: dict[str, tuple[Any, ...]] = {}  # row key -> sort key, for the orders that pass the filter
        self._rows: SortedList = SortedList()
        self._symbols: Counter[str] = Counter()

    # -- reading -------------------------------------------------------------------------------------------------
    @property
    def column(self) -> str:
        """The sort column."""
        return self._column

    @property
    def descending(self) -> bool:
        """True when the sort column's order is reversed."""
        return self._descending

    @property
    def filter(self) -> ViewFilter:
        """The filter in force."""
        return self._filter

    def __len__(self) -> int:
        """How many rows the view shows (open orders that pass the filter)."""
        return len(self._rows)

    def total(self) -> int:
        """How many open orders there are, filtered or not."""
        return len(self._orders)

    def symbols(self) -> list[str]:
        """The symbols of the open orders, sorted (what a symbol filter can choose from)."""
        return sorted(self._symbols)

    def orders(self) -> list[Order]:
        """Every open order, shown or filtered out, in no particular order (O(n))."""
        return list(self._orders.values())

    def get(self, key: str) -> Order | None:
        """The open order with this row key (shown or filtered out), if any."""
        return self._orders.get(key)

    def key_at(self, index: int) -> str:
        """The row key of row ``index`` (0 = top).

        Raises:
            IndexError: no such row.
        """
        if not 0 <= index < len(self._rows):
            raise IndexError(index)
        if self._descending:
            index = len(self._rows) - 1 - index
        key: str = self._rows[index][-1]  # SortedList is untyped: its items are sort keys ending in the row key
        return key

    def order_at(self, index: int) -> Order:
        """The order of row ``index`` (0 = top).

        Raises:
            IndexError: no such row.
        """
        return self._orders[self.key_at(index)]

    def rows(self, start: int = 0, stop: int | None = None) -> list[Order]:
        """The orders of rows ``start`` to ``stop - 1``, top first (O(log n + stop - start))."""
        count = len(self._rows)
        stop = count if stop is None else min(stop, count)
        start = max(0, start)
        if start >= stop:
            return []
        if self._descending:
            keys = self._rows.islice(count - stop, count - start, reverse=True)
        else:
            keys = self._rows.islice(start, stop)
        return [self._orders[k[-1]] for k in keys]

    def index_of(self, key: str) -> int | None:
        """The row number of the order with this row key, or None when it is not shown (O(log n))."""
        skey = self._keys.get(key)
        if skey is None:
            return None
        index: int = self._rows.bisect_left(skey)
        return len(self._rows) - 1 - index if self._descending else index

    # -- changes -------------------------------------------------------------------------------------------------
    def apply(self, orders: Iterable[Order]) -> list[str]:
        """Insert, update or remove changed orders (terminal ones leave the view).

        Returns:
            The row keys that changed, in the order given (orders without any id are skipped).
        """
        changed: list[str] = []
        for order in orders:
            key = row_key(order)
            if not key:
                continue
            old = self._orders.get(key)
            if order.state.is_terminal:
                if old is not None:
                    self._remove(key, old)
                    changed.append(key)
                continue
            if old is None:
                self._symbols[order.symbol] += 1
            elif old.symbol != order.symbol:
                self._forget_symbol(old.symbol)
                self._symbols[order.symbol] += 1
            self._orders[key] = order
            old_skey = self._keys.get(key)
            if self._filter.keeps(order):
                new_skey = sort_key(order, self._column)
                if new_skey != old_skey:
                    if old_skey is not None:
                        self._rows.remove(old_skey)
                    self._rows.add(new_skey)
                    self._keys[key] = new_skey
            elif old_skey is not None:
                self._rows.remove(old_skey)
                del self._keys[key]
            changed.append(key)
        return changed

    def set_sort(self, column: str, *, descending: bool = False) -> None:
        """Sort by another column (or reverse the order); O(n log n).

        Raises:
            KeyError: unknown ``column``.
        """
        if column not in SORT_COLUMNS:
            raise KeyError(column)
        if column != self._column:
            self._column = column
            self._rebuild()
        self._descending = descending

    def set_filter(self, view_filter: ViewFilter) -> None:
        """Show only the orders that pass ``view_filter``; O(n log n)."""
        if view_filter != self._filter:
            self._filter = view_filter
            self._rebuild()

    # -- internals -----------------------------------------------------------------------------------------------
    def _remove(self, key: str, old: Order) -> None:
        del self._orders[key]
        self._forget_symbol(old.symbol)
        skey = self._keys.pop(key, None)
        if skey is not None:
            self._rows.remove(skey)

    def _forget_symbol(self, symbol: str) -> None:
        self._symbols[symbol] -= 1
        if self._symbols[symbol] <= 0:
            del self._symbols[symbol]

    def _rebuild(self) -> None:
        keep = self._filter.keeps
        column = self._column
        self._keys = {key: sort_key(order, column) for key, order in self._orders.items() if keep(order)}
        self._rows = SortedList(self._keys.values())
