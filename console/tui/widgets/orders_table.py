"""The active-orders table: a Line API widget that paints only the visible rows of the blotter's sorted view.

The rows live in an :class:`~console.domain.view.OrderView` (outside the widget); a change costs O(log n) there,
and the widget only marks itself dirty, so a burst of changes is painted once, on the next frame. Painting a
frame formats the rows on screen (about a screenful), never all the orders: the cost of a frame does not grow
with the number of open orders.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import TypeVar

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.geometry import Offset, Region, Size
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.timer import Timer

from console.domain.model import Order, OrderState, Side, SymbolRules
from console.domain.view import STATUS_FILTERS, OrderView, ViewFilter, row_key
from console.tui.internals import paint_now, set_border_title_line
from console.tui.messages import CancelRequested, ReplaceRequested
from console.tui.pacing import SENDING_HOLD_S, answers_sending, sending_only
from console.tui.widgets.fields import InOrderKeys
from console.tui.widgets.orders_columns import (
    COLUMNS,
    PRIORITY,
    STATUS_LABELS,
    ColumnWidths,
    Layout,
    cell_texts,
    cell_widths,
    fit_columns,
    format_age,
    hidden_note,
    natural_widths,
)
from console.tui.widgets.orders_repaint import ChangedRows
from console.tui.widgets.scrolling import set_virtual_size

_C = TypeVar("_C")  # a filter choice: a symbol, a side or a status group

__all__ = ["COLUMNS", "PRIORITY", "STATUS_LABELS", "OrdersTable", "format_age", "row_key"]

#: Shortest time between two repaints caused by changes, seconds: a burst is painted once per frame at most,
#: at 60 frames a second (Textual's own limit) under a continuous stream (keys and scrolling repaint at once).
MIN_FLUSH_INTERVAL_S = 1 / 60
#: Formatted rows kept: both stripes and the cursor's looks of a few screenfuls. Rows that scrolled away are not
#: worth keeping: every strip kept is walked by the garbage collector until it goes.
ROW_CACHE_LIMIT = 256

#: The table's border title; the number of open orders follows it.
TITLE = "Active orders"

#: The key that shows every column (with a sideways scroll) or fits them again; named in the hidden-columns note.
ALL_COLUMNS_KEY = "z"

_LABELS = {key: label for key, label, _ in COLUMNS}
_KEYS = tuple(key for key, _, _ in COLUMNS)


def _fit(text: str, width: int, right: bool) -> str:
    if len(text) > width:
        return text[: width - 1] + "…"
    return text.rjust(width) if right else text.ljust(width)


class OrdersTable(InOrderKeys, ScrollView, can_focus=True):
    """Active orders, one row each, sorted and filtered; rows appear, change and leave as the blotter changes.

    Attributes down: the screen calls :meth:`apply_changes` with changed orders. Messages up: a cancel key posts
    :class:`CancelRequested` for the order under the cursor, ``e`` :class:`ReplaceRequested`. The cursor stays on
    the same order while rows move around it; when that order leaves, the cursor stays on the same line.

    Columns are as wide as their values among the open orders (see :mod:`console.tui.widgets.orders_columns`);
    when they do not all fit, the least important hide first (:data:`PRIORITY`) and the border subtitle names
    them. :data:`ALL_COLUMNS_KEY` shows every column with a sideways scroll, and back. A resize lays the columns
    out again at once.
    """

    COMPONENT_CLASSES = {
        "orders-table--header",
        "orders-table--header-sorted",
        "orders-table--row-alt",
        "orders-table--cursor",
        "orders-table--buy",
        "orders-table--sell",
        *(f"orders-table--status-{state.value}" for state in OrderState),
    }

    BINDINGS = [
        Binding("up", "cursor_up", "Previous order", show=False, id="orders.cursor_up"),
        Binding("down", "cursor_down", "Next order", show=False, id="orders.cursor_down"),
        Binding("pageup", "page_up", "Page up", show=False, id="orders.page_up"),
        Binding("pagedown", "page_down", "Page down", show=False, id="orders.page_down"),
        Binding("home", "first_row", "First order", show=False, id="orders.first_row"),
        Binding("end", "last_row", "Last order", show=False, id="orders.last_row"),
        Binding("x", "cancel_selected", "Cancel order", id="orders.cancel_selected"),
        Binding("delete", "cancel_selected", "Cancel order", show=False, id="orders.cancel_selected_delete"),
        Binding("e", "replace_selected", "Replace order", show=False, id="orders.replace_selected"),
        Binding("c", "cycle_sort", "Sort column", show=False, id="orders.cycle_sort"),
        Binding("r", "reverse_sort", "Reverse sort", show=False, id="orders.reverse_sort"),
        # Digits, so the screen's letter keys (f fills, b balances...) still reach the screen from the table.
        Binding("1", "cycle_symbol_filter", "Filter symbol", show=False, id="orders.filter_symbol"),
        Binding("2", "cycle_side_filter", "Filter side", show=False, id="orders.filter_side"),
        Binding("3", "cycle_status_filter", "Filter status", show=False, id="orders.filter_status"),
        Binding("0", "clear_filter", "Clear filters", show=False, id="orders.clear_filter"),
        Binding(ALL_COLUMNS_KEY, "toggle_all_columns", "All columns", show=False, id="orders.all_columns"),
    ]

    def __init__(self, *, clock_ms: Callable[[], int], id: str | None = None) -> None:
        super().__init__(id=id)
        self._clock_ms = clock_ms
        self.view = OrderView()
        self._cursor = 0
        self._cursor_key: str | None = None
        self._flush_due_s: float | None = None  # when the scheduled repaint runs (monotonic s); None: none scheduled
        self._changed = ChangedRows()  # the rows the next repaint draws again
        self._flush_timer: Timer | None = None
        self._styles: dict[str, Style] = {}  # component name ("" the table's own) -> Rich style, until a restyle
        self._partial: set[str] = set()  # the components looked up with their own rules only
        self._restyled: dict[str, Style] | None = None  # the styles before a style update, until the next paint
        self._row_cache: dict[tuple[str, int, Style | None], tuple[Order, tuple[str, int, int, Layout], Strip]] = {}
        self._window: tuple[Offset, int] | None = None  # (scroll offset, width) during a paint
        self._indicator = ""
        self._last_flush_s = 0.0
        self._ticks: dict[str, Decimal] = {}  # symbol -> price increment, for prices at the tick's precision
        self._widths = ColumnWidths()
        self._all_columns = False  # every column, scrolling sideways, instead of those that fit
        self._layout: Layout = fit_columns(natural_widths(self._widths.widths(), None, self.view.column), 0)
        self._layout_inputs: tuple[object, ...] = ()  # what _layout was computed from
        #: Least time between two repaints for changes, seconds (low-bandwidth mode: a third of a second).
        self.flush_interval_s = MIN_FLUSH_INTERVAL_S
        #: The age column's step, seconds: ages show rounded down to it (``15s``, ``7m10s`` at 5), so each row's age
        #: text changes at most once per step, and only changed cells go to the terminal (``ScreenDiff``).
        #: Low-bandwidth mode sets it longer.
        self.age_resolution_s = 1
        #: One style for every row but the cursor's (low-bandwidth mode): no stripes, and the side and status cells
        #: in the row's style, so a row is one colour escape instead of five, and rows that move up or down by one
        #: (an order placed or cancelled above them) rewrite only the cells whose text changed, not their background.
        self.one_style = False

    def on_mount(self) -> None:
        self._update_geometry()
        self.set_interval(1.0, self.refresh_ages)

    def on_resize(self) -> None:
        """Lay the columns out again for the new width, at once."""
        self._update_geometry()
        self.refresh()

    # -- attributes down ------------------------------------------------------------------------------------
    def apply_changes(self, orders: Iterable[Order]) -> None:
        """Add, update or remove the rows of changed orders (terminal orders leave the table).

        The view changes at once (O(log n) per order); the table is repainted once for any number of calls in
        between, on the next frame and at most 60 times a second (:data:`MIN_FLUSH_INTERVAL_S`; the screen sets
        :attr:`flush_interval_s` longer in low-bandwidth mode). A change that only adds "sending" rows (orders just
        sent, no answer yet) is repainted :data:`~console.tui.pacing.SENDING_HOLD_S` later at the soonest: when the
        venue answers within that, the acknowledged row is painted in its place, and the answer is not read after
        a frame painted for a row it replaces at once. The answer itself (a "sending" row acknowledged, rejected or
        filled) is painted at once, as a key's effect is, when the pace allows a repaint now.
        """
        orders = list(orders)
        self._measure(orders)
        view = self.view
        keys = [row_key(order) for order in orders]
        before = [view.index_of(key) for key in keys]  # where each row was: O(log n) each
        answered = any(answers_sending(view.get(key), order) for key, order in zip(keys, orders, strict=True))
        if not view.apply(orders):
            return
        self._follow_cursor()
        self._changed.note([(old, view.index_of(key)) for key, old in zip(keys, before, strict=True)])
        if answered and time.monotonic() >= self._last_flush_s + self.flush_interval_s:
            # The venue's answer to an order the trader just sent: painted at once, as a key's effect is (within
            # the table's pace: a burst of answers still makes at most one repaint per interval).
            if self._flush_timer is not None:
                self._flush_timer.stop()
            self._flush()
            paint_now(self)
            return
        self._schedule_flush(SENDING_HOLD_S if sending_only(orders) else 0.0)

    def _schedule_flush(self, hold_s: float) -> None:
        """Repaint on the next frame allowed by :attr:`flush_interval_s`, and not before ``hold_s`` from now; an
        earlier repaint already scheduled covers this change, a later one (a held "sending" row) is brought forward."""
        now_s = time.monotonic()
        due_s = max(self._last_flush_s + self.flush_interval_s, now_s + hold_s)
        if self._flush_due_s is not None and self._flush_due_s <= due_s:
            return
        if self._flush_timer is not None:
            self._flush_timer.stop()
            self._flush_timer = None
        self._flush_due_s = due_s
        if due_s > now_s:
            self._flush_timer = self.set_timer(due_s - now_s, self._flush, name="orders-flush")
        else:
            self.call_later(self._flush)

    def set_rules(self, rules: Mapping[str, SymbolRules]) -> None:
        """Give the table the symbols' tick sizes, so prices show at their tick's precision (``63,500.00``)."""
        self._ticks = {symbol: r.price_increment for symbol, r in rules.items()}
        self._widths.clear()  # prices take the tick's decimals: every width may change (O(n), once per call)
        self._measure(self.view.orders())
        self._row_cache.clear()
        self._update_geometry()
        self.refresh()

    def refresh_ages(self) -> None:
        """Repaint the rows for their age column (only the visible rows are formatted, so this costs a screenful).

        Only the rows' lines: the header, border and scrollbars are not written to the terminal again, and an empty
        table writes nothing (every repaint is bytes on the trader's link, once a second all day). When the oldest
        order's age needs one more cell the columns move, and the whole table is repainted.
        """
        if self._update_layout():
            self._update_geometry()
            self.refresh()
            return
        rows = min(len(self.view) - self.scroll_offset.y, self.size.height - 1)
        if rows > 0:
            self.refresh(Region(0, 1, self.size.width, rows))

    @property
    def shown_columns(self) -> tuple[str, ...]:
        """Keys of the columns on screen, left to right."""
        return tuple(key for key, _, _, _ in self._layout.columns)

    @property
    def hidden_columns(self) -> tuple[str, ...]:
        """Keys of the columns that do not fit, most important first (empty when every column shows)."""
        return self._layout.hidden

    @property
    def selected_order(self) -> Order | None:
        """The order under the cursor, if any."""
        return self.view.get(self._cursor_key) if self._cursor_key is not None else None

    @property
    def cursor_row(self) -> int:
        """The cursor's row number in the view (0 = top)."""
        return self._cursor

    def order_count(self) -> int:
        """How many open orders the table holds (filtered out or not)."""
        return self.view.total()

    # -- actions -----------------------------------------------------------------------------------------------
    def action_cancel_selected(self) -> None:
        """Ask to cancel the order under the cursor."""
        order = self.selected_order
        if order is not None and order.order_id:
            self.post_message(CancelRequested(order.order_id))
        elif order is not None:
            self.notify("This order has no exchange id yet; wait for the exchange's answer.", severity="warning")

    def action_replace_selected(self) -> None:
        """Ask to cancel-replace the order under the cursor (the screen loads it into the ticket, or says why not)."""
        self.post_message(ReplaceRequested(self.selected_order))

    def action_cursor_up(self) -> None:
        self._move_cursor(self._cursor - 1)

    def action_cursor_down(self) -> None:
        self._move_cursor(self._cursor + 1)

    def action_page_up(self) -> None:
        self._move_cursor(self._cursor - max(1, self._page_rows() - 1))

    def action_page_down(self) -> None:
        self._move_cursor(self._cursor + max(1, self._page_rows() - 1))

    def action_first_row(self) -> None:
        self._move_cursor(0)

    def action_last_row(self) -> None:
        self._move_cursor(len(self.view) - 1)

    def action_cycle_sort(self) -> None:
        """Sort by the next column (left to right), in its natural order."""
        keys = [key for key, _, _ in COLUMNS]
        column = keys[(keys.index(self.view.column) + 1) % len(keys)]
        self.view.set_sort(column, descending=False)
        self._view_reordered()

    def action_reverse_sort(self) -> None:
        """Reverse the order of the sort column."""
        self.view.set_sort(self.view.column, descending=not self.view.descending)
        self._view_reordered()

    def action_cycle_symbol_filter(self) -> None:
        """Show one symbol, then the next, then all again (symbols of the open orders)."""
        current = self.view.filter
        self._set_filter(symbol=_next_choice(self.view.symbols(), current.symbol), side=current.side,
                         status=current.status)

    def action_cycle_side_filter(self) -> None:
        """Show buys, then sells, then both."""
        current = self.view.filter
        self._set_filter(symbol=current.symbol, side=_next_choice(list(Side), current.side), status=current.status)

    def action_cycle_status_filter(self) -> None:
        """Show one status group (working, partial, stop-wait, cancelling, unsettled), then all."""
        current = self.view.filter
        self._set_filter(symbol=current.symbol, side=current.side,
                         status=_next_choice(list(STATUS_FILTERS), current.status))

    def action_clear_filter(self) -> None:
        """Show every open order."""
        self._set_filter(symbol=None, side=None, status=None)

    def action_toggle_all_columns(self) -> None:
        """Show every column (the table scrolls sideways), or again only those that fit."""
        self._all_columns = not self._all_columns
        if not self._all_columns:
            self.scroll_to(x=0, animate=False, immediate=True)
        self._update_geometry()
        self.refresh()
        paint_now(self)

    # -- Line API -------------------------------------------------------------------------------------------------
    def render_lines(self, crop: Region) -> list[Strip]:
        # The scroll offset and the size are properties that cost microseconds each: read them once per paint.
        self._window = (self.scroll_offset, self.size.width)
        self._check_restyle()
        try:
            return super().render_lines(crop)
        finally:
            self._window = None

    def render_line(self, y: int) -> Strip:
        """Paint screen line ``y``: 0 is the header (it scrolls sideways only), then one line per visible row."""
        if self._restyled is not None:  # a style update since the last paint (render_lines checks it first)
            self._check_restyle()
        (scroll_x, scroll_y), width = self._window or (self.scroll_offset, self.size.width)
        if not self._all_columns:
            scroll_x = 0  # the columns that fit never scroll sideways
        if y == 0:
            # The header's band runs the table's whole width, past the last column.
            return self._header_strip().crop_extend(scroll_x, scroll_x + width, self._style("header"))
        index = scroll_y + y - 1
        if index >= len(self.view):
            return Strip.blank(width, self._base_style())
        return self._row_strip(self.view.order_at(index), index, scroll_x, width)

    def notify_style_update(self) -> None:
        """Styles may have changed (a theme, or only focus): the rows' styles are looked up again at the next
        paint, and the formatted rows are dropped only if one of those styles really changed (focus changes the
        cursor row's style and the border, not the rows': the rows stay formatted, so the first frame after a
        focus change is not the whole table formatted again)."""
        super().notify_style_update()
        if self._restyled is None and self._styles:  # two updates before a paint: compare with the oldest styles
            self._restyled = self._styles
        self._styles = {}

    def _check_restyle(self) -> None:
        """After a style update: a new row look (dropping the formatted rows) if a row style other than the
        cursor's changed."""
        old, self._restyled = self._restyled, None
        if old is None:
            return
        for name, style in old.items():
            if name == "cursor":
                continue
            fresh = self._base_style() if name == "" else self._style(name, partial=name in self._partial)
            if fresh != style:
                self._row_cache.clear()
                return

    def on_click(self, event: events.Click) -> None:
        """Select the clicked row."""
        offset = event.get_content_offset(self)
        if offset is not None and offset.y >= 1:
            self._move_cursor(self.scroll_offset.y + offset.y - 1)

    # -- internals ----------------------------------------------------------------------------------------------
    def _flush(self) -> None:
        """Once per burst of changes: resize the scroll area, update the indicator, repaint on the next frame the
        rows that changed: from the first added, removed or moved row down, and the rows changed in place; all of
        them when the columns or the scroll position moved."""
        self._flush_due_s = None
        self._flush_timer = None
        self._last_flush_s = time.monotonic()
        scroll_y = self.scroll_offset.y
        relaid = self._update_geometry()
        # The rows only: the border and scrollbars repaint when they change (title, scroll), not with every burst.
        content = self.scrollable_content_region
        spans = self._changed.take_spans(self.scroll_offset.y, content.height - 1)
        if relaid or self.scroll_offset.y != scroll_y:
            self.refresh(Region(0, 0, content.width, content.height))
        elif spans:
            self.refresh(*(Region(0, line, content.width, count) for line, count in spans))

    def _measure(self, orders: Iterable[Order]) -> None:
        """Keep the column widths up to date for changed orders: O(columns) each, no scan of the other rows."""
        widths = self._widths
        for order in orders:
            key = row_key(order)
            if not key:
                continue
            if order.state.is_terminal:
                widths.discard(key)
            else:
                widths.measure(key, cell_widths(order, self._ticks.get(order.symbol)), order.created_ms)

    def _update_geometry(self) -> bool:
        """Lay the columns out (if anything changed), size the scroll area, set the border's texts; True when the
        columns moved (every line must be drawn again)."""
        relaid = self._update_layout()
        set_virtual_size(self, Size(self._layout.width, len(self.view) + 1))
        self._update_indicator()
        return relaid

    def _update_layout(self) -> bool:
        """Fit the columns to the width (only when a width, the sort column or the mode changed); True if new."""
        oldest = self._widths.oldest_ms()
        age_ms = None if oldest is None else self._clock_ms() - oldest
        widths = natural_widths(self._widths.widths(), age_ms, self.view.column)
        available = self.scrollable_content_region.width if self.is_mounted else 0
        inputs = (widths, available, self._all_columns)
        if inputs == self._layout_inputs:
            return False
        self._layout_inputs = inputs
        self._layout = fit_columns(widths, available, every=self._all_columns)
        self._row_cache.clear()
        return True

    def _update_indicator(self) -> None:
        arrow = "▼" if self.view.descending else "▲"
        text = f"sort {_LABELS[self.view.column]} {arrow}"
        view_filter = self.view.filter
        if view_filter.active:
            text += f" · filter {view_filter.describe()} · {len(self.view)} of {self.view.total()}"
        if self._all_columns:
            text = f"all columns ({ALL_COLUMNS_KEY}) · {text}"
        elif self._layout.hidden:
            # Names when they fit in the border beside the rest (two cells of corner and two of margin), else a count.
            room = self.size.width - len(text) - len(f" ({ALL_COLUMNS_KEY}) · ") - 4
            text = f"{hidden_note(self._layout.hidden, room)} ({ALL_COLUMNS_KEY}) · {text}"
        if text != self._indicator:  # the subtitle is part of the border: set it only when it says something new
            self._indicator = text
            self.border_subtitle = text
        title = f"{TITLE} · {self.view.total():,} open"
        if title != self.border_title:  # painted with the rows, in the same frame (no other widget changes)
            set_border_title_line(self, title)  # the top border line only, not the whole table again
        self.set_class(view_filter.active, "-filtered")

    def _style(self, name: str, *, partial: bool = False) -> Style:
        """A component's Rich style: whole (background blended over the table's) or partial (its own rules)."""
        style = self._styles.get(name)
        if style is None:
            style = self._styles[name] = self.get_component_rich_style(f"orders-table--{name}", partial=partial)
            if partial:
                self._partial.add(name)
        return style

    def _base_style(self) -> Style:
        """The table's own Rich style (``rich_style`` walks every ancestor on each call: kept until a restyle)."""
        style = self._styles.get("")
        if style is None:
            style = self._styles[""] = self.rich_style
        return style

    def _header_strip(self) -> Strip:
        # Painted with every frame: the layout catches up here with what changed without a flush (a scrollbar
        # that appeared, a sort set on the view directly); O(columns) when nothing changed.
        if self._update_layout() and self.is_mounted:
            self.call_later(self._update_geometry)
        base = self._style("header")
        sorted_style = base + self._style("header-sorted", partial=True)
        arrow = "▼" if self.view.descending else "▲"
        layout = self._layout
        gap = " " * layout.gap
        segments = []
        last = len(layout.columns) - 1
        for position, (key, label, width, right) in enumerate(layout.columns):
            if key == self.view.column:
                # The sorted column is one cell wider than its name (natural_widths): the name always keeps
                # every letter (``Side▲``, never ``Sid…``).
                marked = f"{label} {arrow}" if len(label) + 2 <= width else f"{label}{arrow}"
                segments.append(Segment(_fit(marked, width, right), sorted_style))
            else:
                segments.append(Segment(_fit(label, width, right), base))
            if position < last:
                segments.append(Segment(gap, base))
        return Strip(segments, layout.width)

    def _row_strip(self, order: Order, index: int, scroll_x: int, width: int) -> Strip:
        """One row cropped to the window, from the cache when the order, its stripe, the cursor, the age text and
        the window are unchanged."""
        age = self._age_text(order)
        # Keyed by the stripe and the cursor's style too: when a new order pushes the rows down by one, each row's
        # stripe flips, and both looks of a row stay cached instead of every visible row being formatted again; the
        # cursor row's look with and without focus are cached apart.
        key = (row_key(order), index % 2, self._style("cursor") if index == self._cursor else None)
        look = (age, scroll_x, width, self._layout)
        cached = self._row_cache.get(key)
        if cached is not None and cached[0] is order and cached[1] == look:
            return cached[2]
        strip = self._format_row(order, index, age).crop_extend(scroll_x, scroll_x + width, self._base_style())
        if cached is None and len(self._row_cache) >= ROW_CACHE_LIMIT:
            # The oldest formatted row goes (one, not all: clearing them all would format a whole screenful again
            # in one frame).
            del self._row_cache[next(iter(self._row_cache))]
        self._row_cache[key] = (order, look, strip)
        return strip

    def _age_text(self, order: Order) -> str:
        """The order's age for the age column, rounded down to :attr:`age_resolution_s`."""
        resolution_ms = self.age_resolution_s * 1000
        return format_age((self._clock_ms() - order.created_ms) // resolution_ms * resolution_ms)

    def _format_row(self, order: Order, index: int, age: str) -> Strip:
        if index == self._cursor:
            row_style = side_style = status_style = self._style("cursor")
        elif self.one_style:
            row_style = side_style = status_style = self._base_style()
        else:
            row_style = self._style("row-alt") if index % 2 else self._base_style()
            side_style = row_style + self._style("buy" if order.side is Side.BUY else "sell", partial=True)
            status_style = row_style + self._style(f"status-{order.state.value}", partial=True)
        # console/domain/fmt caches the formatted numbers, and a row is formatted only when its order changed.
        texts = dict(zip(_KEYS, cell_texts(order, self._ticks.get(order.symbol), age), strict=True))
        layout = self._layout
        gap = " " * layout.gap
        segments = []
        last = len(layout.columns) - 1
        for position, (key, _, width, right) in enumerate(layout.columns):
            style = side_style if key == "side" else status_style if key == "status" else row_style
            segments.append(Segment(_fit(texts[key], width, right), style))
            if position < last:
                segments.append(Segment(gap, row_style))
        return Strip(segments, layout.width)

    def _page_rows(self) -> int:
        return max(1, self.scrollable_content_region.height - 1)

    def _move_cursor(self, index: int) -> None:
        count = len(self.view)
        index = max(0, min(index, count - 1))
        if count == 0:
            self._cursor, self._cursor_key = 0, None
            return
        self._cursor = index
        self._cursor_key = self.view.key_at(index)
        self._scroll_to_cursor()
        self.refresh()
        paint_now(self)  # a key's effect shows at once, not at the next 60 Hz tick

    def _scroll_to_cursor(self) -> None:
        rows = self._page_rows()
        top = round(self.scroll_offset.y)
        if self._cursor < top:
            self.scroll_to(y=self._cursor, animate=False, immediate=True)
        elif self._cursor >= top + rows:
            self.scroll_to(y=self._cursor - rows + 1, animate=False, immediate=True)

    def _follow_cursor(self) -> None:
        """Keep the cursor on its order; if that order left (or was filtered out), on the same line."""
        index = self.view.index_of(self._cursor_key) if self._cursor_key is not None else None
        count = len(self.view)
        if index is None:
            index = max(0, min(self._cursor, count - 1))
        self._cursor = index
        self._cursor_key = self.view.key_at(index) if count else None

    def _view_reordered(self) -> None:
        self._follow_cursor()
        self._update_geometry()
        self._scroll_to_cursor()
        self.refresh()
        paint_now(self)  # a sort or filter key's effect shows at once

    def _set_filter(self, *, symbol: str | None, side: Side | None, status: str | None) -> None:
        self.view.set_filter(ViewFilter(symbol=symbol, side=side, status=status))
        self._view_reordered()


def _next_choice(choices: list[_C], current: _C | None) -> _C | None:
    """The choice after ``current`` in ``choices``; None (no filter) after the last one."""
    if current is None:
        return choices[0] if choices else None
    try:
        position = choices.index(current)
    except ValueError:
        return None
    return choices[position + 1] if position + 1 < len(choices) else None

