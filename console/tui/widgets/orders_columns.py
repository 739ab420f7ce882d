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
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from console.domain.fmt import fmt_price, fmt_qty
from console.domain.model import Order, OrderState, OrderType

__all__ = [
    "COLUMNS",
    "NUMERIC",
    "PRIORITY",
    "STATUS_LABELS",
    "ColumnWidths",
    "Layout",
    "cell_texts",
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
        self._counts: list[Counter[int]] = [Counter() for _ in COLUMNS]
        self._created: Counter[int] = Counter()
        self._oldest: list[int] = []  # heap of created ms; entries whose count fell to zero are skipped lazily
        self._widths: tuple[int, ...] | None = None

    def __len__(self) -> int:
        return len(self._measured)

    def measure(self, key: str, texts: tuple[str, ...], created_ms: int) -> None:
        """Record the cell texts of the open order with row key ``key`` (its previous texts are forgotten)."""
        widths = tuple(len(text) for text in texts)
        old = self._measured.get(key)
        if old is not None and old[0] == widths and old[1] == created_ms:
            return
        if old is not None:
            self._forget(old)
        self._measured[key] = (widths, created_ms)
        for counts, width in zip(self._counts, widths, strict=True):
            counts[width] += 1
        if not self._created[created_ms]:
            heapq.heappush(self._oldest, created_ms)
        self._created[created_ms] += 1
        self._widths = None

    def discard(self, key: str) -> None:
        """Forget the order with row key ``key`` (it left the table); unknown keys are ignored."""
        old = self._measured.pop(key, None)
        if old is not None:
            self._forget(old)
            self._widths = None

    def widths(self) -> tuple[int, ...]:
        """The widest value of each column, in :data:`COLUMNS` order (0 for a column with no orders)."""
        if self._widths is None:
            self._widths = tuple(max(counts) if counts else 0 for counts in self._counts)
        return self._widths

    def oldest_ms(self) -> int | None:
        """Creation time of the oldest open order, ms since the epoch; None without orders."""
        while self._oldest and not self._created[self._oldest[0]]:
            del self._created[heapq.heappop(self._oldest)]
        return self._oldest[0] if self._oldest else None

    def _forget(self, old: tuple[tuple[int, ...], int]) -> None:
        widths, created_ms = old
        for counts, width in zip(self._counts, widths, strict=True):
            counts[width] -= 1
            if counts[width] <= 0:
                del counts[width]
        self._created[created_ms] -= 1


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
