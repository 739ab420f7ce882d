"""The orders table's columns: what each cell says, how wide each column is, and which columns fit the terminal.

Columns are sized to their content: a column is as wide as its longest value among the open orders (prices at
their symbol's tick precision, see :mod:`console.domain.fmt`) or its header, whichever is longer, capped at the
column's widest (a longer value ends in ``…``). :class:`ColumnWidths` keeps those widths up to date as orders
change, in O(columns) per changed order: it counts how many orders need each width in each column, so an order
that leaves or shrinks never makes it scan the other rows.

When the columns do not all fit, the least important go first: :func:`fit_columns` keeps columns in the order of
:data:`PRIORITY` while they fit and hides the rest (the order detail shows every field; a key shows every column
with a sideways scroll).
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

from console.domain.fmt import fmt_price, fmt_qty
from console.domain.model import Order, OrderState, OrderType, Side

__all__ = [
    "COLUMNS",
    "NUMERIC",
    "PRIORITY",
    "STATUS_LABELS",
    "ColumnWidths",
    "Layout",
    "cell_texts",
    "cell_widths",
    "fit_columns",
    "format_age",
    "hidden_note",
    "natural_widths",
    "type_label",
]

#: (key, label, widest) of every column, left to right; ``widest`` is the most cells a value takes.
COLUMNS: tuple[tuple[str, str, int], ...] = (
    ("symbol", "Symbol", 10),
    ("side", "Side", 4),
    ("price", "Price", 16),
    ("amount", "Amount", 14),
    ("status", "Status", 10),
    ("filled", "Filled", 14),
    ("type", "Type", 5),
    ("stop_price", "Stop", 16),
    ("remaining", "Remaining", 14),
    ("avg_price", "Avg Price", 16),
    ("age", "Age", 7),
    ("order_id", "Order ID", 20),
    ("client_order_id", "Client Order ID", 24),
)

#: Column keys, most important first: a narrow table keeps columns from the front of this list while they fit and
#: hides the rest. What a trader acts on comes first (what, which way, at what price, how much, in what state),
#: then what explains it (filled, type, age), then what the order detail tells anyway (stop price, remaining,
#: average price, the ids).
PRIORITY: tuple[str, ...] = (
    "symbol", "side", "price", "amount", "status", "filled", "type", "age",
    "stop_price", "remaining", "avg_price", "order_id", "client_order_id",
)

#: Columns whose values are numbers (right-aligned).
NUMERIC = frozenset({"price", "amount", "filled", "stop_price", "remaining", "avg_price", "age", "order_id"})

#: Short names of the columns in the hidden-columns note (``hidden stop rem avg ids``).
_SHORT = {
    "symbol": "sym", "side": "side", "price": "price", "amount": "amt", "status": "status", "filled": "filled",
    "type": "type", "age": "age", "stop_price": "stop", "remaining": "rem", "avg_price": "avg",
    "order_id": "id", "client_order_id": "cid",
}

#: Short status labels that fit the column; the full state name is in the order detail and the log.
STATUS_LABELS = {
    OrderState.PENDING_NEW: "sending",
    OrderState.UNKNOWN: "UNKNOWN",
    OrderState.ACCEPTED: "accepted",
    OrderState.WAITING_TRIGGER: "stop-wait",
    OrderState.LIVE: "live",
    OrderState.PARTIALLY_FILLED: "partial",
    OrderState.PENDING_CANCEL: "cancelling",
    OrderState.FILLED: "filled",
    OrderState.CANCELLED: "cancelled",
    OrderState.REJECTED: "rejected",
}

#: The type column's labels: every option is one of a limit order's, so the option alone says it (the order detail
#: spells it out); a stop-limit order shows ``stop``.
_TYPE_LABELS = {"maker-or-cancel": "MOC", "immediate-or-cancel": "IOC", "fill-or-kill": "FOK"}

_AGE = [key for key, _, _ in COLUMNS].index("age")
_STATUS = [key for key, _, _ in COLUMNS].index("status")
#: The status column is as wide as the longest label an open order passes through on its way (``sending``,
#: ``accepted``, ``cancelling``): sized to the current values alone, it widened and narrowed again, moving every
#: column to its right, each time an order was sent or cancelled.
STATUS_MIN_WIDTH = max(len(STATUS_LABELS[state]) for state in STATUS_LABELS if not state.is_terminal)


def format_age(age_ms: int) -> str:
    """Compact age: ``42s``, ``7m05s``, ``3h12m``, ``2d04h``."""
    seconds = max(0, age_ms // 1000)
    if seconds < 60:
        return f"{seconds}s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m{seconds:02d}s"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours}h{minutes:02d}m"
    days, hours = divmod(hours, 24)
    return f"{days}d{hours:02d}h"


def type_label(order: Order) -> str:
    """``limit``, ``MOC``, ``IOC``, ``FOK`` (a limit order's option) or ``stop`` (a stop-limit order)."""
    if order.order_type is OrderType.STOP_LIMIT:
        return "stop"
    return _TYPE_LABELS.get(order.options[0].value, "limit") if order.options else "limit"


def cell_texts(order: Order, tick: Decimal | None, age: str) -> tuple[str, ...]:
    """The text of every cell of ``order``'s row, in :data:`COLUMNS` order (``age`` as given, already formatted).

    Prices show at the tick's precision (``tick`` is the symbol's price increment; None: as the venue sent them).
    console/domain/fmt caches the formatted numbers.
    """
    return (
        order.symbol.upper(),
        order.side.upper(),
        fmt_price(order.price, tick),
        fmt_qty(order.amount),
        STATUS_LABELS[order.state],
        fmt_qty(order.filled),
        type_label(order),
        fmt_price(order.stop_price, tick),
        fmt_qty(order.open_amount),
        fmt_price(order.avg_price, tick, blank_zero=True),
        age,
        order.order_id or "—",
        order.client_order_id or "—",
    )


def _price_width(price: Decimal | None, tick: Decimal | None, blank_zero: bool) -> int:
    if tick is None:  # the price's own decimals: 1.5 and 1.50 are equal Decimals but different texts
        return len(fmt_price(price, None, blank_zero=blank_zero))
    return _ticked_price_width(price, tick, blank_zero)


@lru_cache(maxsize=8192)
def _ticked_price_width(price: Decimal | None, tick: Decimal, blank_zero: bool) -> int:
    # At least the tick's decimals, more only when the value carries more: equal values give equal texts.
    return len(fmt_price(price, tick, blank_zero=blank_zero))


@lru_cache(maxsize=8192)
def _qty_width(amount: Decimal) -> int:
    return len(fmt_qty(amount))  # trailing zeros dropped: equal values give equal texts


_SIDE_WIDTHS = {side: len(side.value) for side in Side}
_STATUS_WIDTHS = {state: len(label) for state, label in STATUS_LABELS.items()}


def cell_widths(order: Order, tick: Decimal | None) -> tuple[int, ...]:
    """``len`` of every cell text of :func:`cell_texts` (the age as 0): what :class:`ColumnWidths` counts.

    Per changed order on the hot path (2,000 events a second under load): the numbers' widths come from small
    caches keyed by value, so measuring an order costs a few dictionary look-ups, not six formattings.
    """
    return (
        len(order.symbol),
        _SIDE_WIDTHS[order.side],
        _price_width(order.price, tick, False),
        _qty_width(order.amount),
        _STATUS_WIDTHS[order.state],
        _qty_width(order.filled),
        len(type_label(order)),
        _price_width(order.stop_price, tick, False),
        _qty_width(order.open_amount),
        _price_width(order.avg_price, tick, True),
        0,
        len(order.order_id) or 1,
        len(order.client_order_id or "") or 1,
    )


class ColumnWidths:
    """The width each column's values need, over every open order, kept up to date in O(columns) per change.

    Per column, a count of orders by the width of their value: the column's width is the largest width with a
    count, so an update or a removal costs a few counter steps, never a scan of the other orders. The age column
    is sized from the oldest open order (ages only grow), kept in a heap.
    """

    def __init__(self) -> None:
        self.clear()

    def clear(self) -> None:
        """Forget every order (before measuring them all again, e.g. with new tick sizes)."""
        self._measured: dict[str, tuple[tuple[int, ...], int]] = {}  # row key -> (cell widths, created ms)
        self._counts: list[dict[int, int]] = [{} for _ in COLUMNS]  # per column: width -> how many orders
        self._created: dict[int, int] = {}  # created ms -> how many open orders
        self._oldest: list[int] = []  # heap of created ms; entries whose count fell to zero are skipped lazily
        self._widths: tuple[int, ...] | None = None

    def __len__(self) -> int:
        return len(self._measured)

    def measure(self, key: str, widths: tuple[int, ...], created_ms: int) -> None:
        """Record the cell widths (:func:`cell_widths`) of the open order with row key ``key`` (its previous widths
        are forgotten). Only the columns whose width changed are counted again."""
        old = self._measured.get(key)
        if old is None:
            for counts, width in zip(self._counts, widths, strict=True):
                counts[width] = counts.get(width, 0) + 1
            self._add_created(created_ms)
            self._widths = None
        else:
            old_widths, old_created = old
            if old_widths != widths:
                for index, (was, now) in enumerate(zip(old_widths, widths, strict=True)):
                    if was != now:
                        counts = self._counts[index]
                        _decrement(counts, was)
                        counts[now] = counts.get(now, 0) + 1
                self._widths = None
            if old_created != created_ms:
                _decrement(self._created, old_created)
                self._add_created(created_ms)
        self._measured[key] = (widths, created_ms)

    def discard(self, key: str) -> None:
        """Forget the order with row key ``key`` (it left the table); unknown keys are ignored."""
        old = self._measured.pop(key, None)
        if old is None:
            return
        widths, created_ms = old
        for counts, width in zip(self._counts, widths, strict=True):
            _decrement(counts, width)
        _decrement(self._created, created_ms)
        self._widths = None

    def widths(self) -> tuple[int, ...]:
        """The widest value of each column, in :data:`COLUMNS` order (0 for a column with no orders)."""
        if self._widths is None:
            self._widths = tuple(max(counts) if counts else 0 for counts in self._counts)
        return self._widths

    def oldest_ms(self) -> int | None:
        """Creation time of the oldest open order, ms since the epoch; None without orders."""
        while self._oldest and self._oldest[0] not in self._created:
            heapq.heappop(self._oldest)
        return self._oldest[0] if self._oldest else None

    def _add_created(self, created_ms: int) -> None:
        count = self._created.get(created_ms, 0)
        if not count:
            heapq.heappush(self._oldest, created_ms)
            if len(self._oldest) > 2 * len(self._created) + 64:
                # Stale entries (orders gone, not yet at the top) would pile up in a long session: drop them,
                # O(n) once every n new orders at most.
                self._oldest = [*self._created, created_ms]
                heapq.heapify(self._oldest)
        self._created[created_ms] = count + 1


def _decrement(counts: dict[int, int], key: int) -> None:
    left = counts[key] - 1
    if left:
        counts[key] = left
    else:
        del counts[key]


@dataclass(frozen=True, slots=True)
class Layout:
    """Where each shown column sits in a row.

    Attributes:
        columns: (key, label, width, right-aligned) of every shown column, left to right.
        gap: blank cells between two columns.
        hidden: keys of the hidden columns, most important first.
        width: cells of a whole row (every column and the gaps between them).
    """

    columns: tuple[tuple[str, str, int, bool], ...]
    gap: int
    hidden: tuple[str, ...]
    width: int


def natural_widths(content: tuple[int, ...], age_ms: int | None, sort_column: str) -> dict[str, int]:
    """Each column's width: its widest value (capped at the column's widest) or its header, whichever is longer.

    The sorted column's header carries a marker (``Price▲``), one cell more. ``age_ms`` is the oldest order's
    age (None: no orders).
    """
    widths: dict[str, int] = {}
    for index, (key, label, widest) in enumerate(COLUMNS):
        value = len(format_age(age_ms)) if index == _AGE and age_ms is not None else content[index]
        if index == _STATUS:
            value = max(value, STATUS_MIN_WIDTH)
        widths[key] = max(min(value, widest), len(label) + (1 if key == sort_column else 0))
    return widths


def fit_columns(widths: Mapping[str, int], available: int, *, every: bool = False) -> Layout:
    """Choose the columns that fit ``available`` cells, by :data:`PRIORITY`, and place them left to right.

    Columns are taken in priority order while they fit with one blank cell between them; the first that does not
    fit is hidden with every less important column after it (so what hides is always the least important, and the
    table never skips a column to squeeze in a later one). The most important column always shows. When the
    leftover room allows, the gaps widen to two cells. ``every`` shows every column (the table scrolls sideways).
    """
    if every:
        chosen = set(PRIORITY)
    else:
        chosen = set()
        used = -1  # no gap before the first column
        for key in PRIORITY:
            used += widths[key] + 1
            if used > available and chosen:
                break
            chosen.add(key)
    shown = [(key, label, widths[key], key in NUMERIC) for key, label, _ in COLUMNS if key in chosen]
    content = sum(width for _, _, width, _ in shown)
    gaps = max(0, len(shown) - 1)
    gap = 2 if every or content + 2 * gaps <= available else 1
    return Layout(
        columns=tuple(shown),
        gap=gap,
        hidden=tuple(key for key in PRIORITY if key not in chosen),
        width=content + gap * gaps,
    )


def hidden_note(hidden: tuple[str, ...], room: int) -> str:
    """The hidden columns, short: ``hidden stop rem avg ids``, or ``5 hidden`` when the names take more than
    ``room`` cells; ``""`` when nothing is hidden."""
    if not hidden:
        return ""
    names = [_SHORT[key] for key in hidden]
    if "id" in names and "cid" in names:
        names.remove("cid")
        names[names.index("id")] = "ids"
    text = "hidden " + " ".join(names)
    return text if len(text) <= room else f"{len(hidden)} hidden"
