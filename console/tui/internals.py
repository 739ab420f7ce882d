"""Every use of Textual's private internals, in one module, for Textual 8.2.8 exactly (pinned in ``pyproject.toml``).

The rest of the console uses Textual's public API. Each function or hook here names the private Textual name it
touches, why the public API does not do, and the test that fails when an upgrade changes it; before raising the
Textual pin, run those tests. ``tests/unit/test_textual_internals.py`` fails if any other module of ``console/``
touches a private Textual name, so this list stays complete.

- Keys in order (``console/tui/widgets/fields.py``): :class:`ForwardHook`, :func:`mark_forwarded`,
  :func:`message_context`, :func:`check_bindings`, :func:`dispatch_key`, :func:`binds_key`, :func:`input_key`,
  :func:`input_paste`. Pinned by ``tests/tui/test_keys_in_order.py``.
- A key painted at once (the orders table): :func:`paint_now`. Pinned by ``tests/tui/test_paint_now.py``.
- A refilled ``DataTable`` drawn at its measured widths: :class:`MeasuredRowsHook`, :func:`clear_cached_lines`.
  Pinned by the history snapshot in ``tests/tui/test_account_views.py``.
- A quiet virtual-size change (Line API widgets): :func:`update_scrollbars`. Pinned by the orders table and status
  pane tests.
- The terminal driver that survives a hang-up: :func:`wrap_driver_output`, :func:`call_in_app_loop`. Pinned by
  ``tests/tui/test_terminal_hangup.py``.
- A border title changed without repainting the whole widget (the orders table's open count):
  :func:`set_border_title_line`. Pinned by ``tests/tui/test_low_bandwidth.py``.
- Strips that are not garbage in a reference cycle: :func:`install_acyclic_strips`. Pinned by
  ``tests/tui/test_acyclic_strips.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

from textual import events
from textual._dispatch_key import dispatch_key as _dispatch_key
from textual.app import App, ScreenStackError
from textual.dom import DOMNode, NoScreen
from textual.geometry import Region, Size
from textual.message_pump import MessagePump
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import DataTable, Input
from textual.widgets.data_table import RowKey

if TYPE_CHECKING:
    from textual.driver import Driver
    from textual.drivers.linux_driver import LinuxDriver  # imports termios: not at run time (Windows has none)

#: The Textual version every item here was written against (and ``pyproject.toml`` pins); a test checks both.
TEXTUAL_VERSION = "8.2.8"

__all__ = [
    "TEXTUAL_VERSION",
    "ForwardHook",
    "MeasuredRowsHook",
    "binds_key",
    "call_in_app_loop",
    "check_bindings",
    "clear_cached_lines",
    "dispatch_key",
    "input_key",
    "input_paste",
    "install_acyclic_strips",
    "mark_forwarded",
    "message_context",
    "paint_now",
    "set_border_title_line",
    "update_scrollbars",
    "wrap_driver_output",
]


# --- Keys applied in the order they were typed (Textual issue #6605, pull request #6631) ---------------------------

if TYPE_CHECKING:
    _MixinBase = Widget
else:
    # Not a Widget at run time: Textual inherits CSS and component classes along the first DOMNode base only.
    _MixinBase = object


class ForwardHook(_MixinBase):
    """Mixin: a forwarded key or paste is offered to :meth:`take_forwarded` before it is queued at the widget.

    ``Widget._forward_event`` is how the app hands a key or a paste to the focused widget (it posts the event to the
    widget's queue); the public API has no hook there, and the console must apply the key before the app reads the
    next one. Put it (or a mixin deriving from it) first among a widget's bases.
    """

    def _forward_event(self, event: events.Event) -> None:  # Textual 8.2.8: Widget._forward_event
        if self.take_forwarded(event):
            return
        super()._forward_event(event)

    def take_forwarded(self, event: events.Event) -> bool:
        """True to take ``event`` (the widget applies it itself); False lets Textual queue it as usual."""
        return False


def mark_forwarded(event: events.Event) -> None:
    """Mark ``event`` as forwarded (``Event._set_forwarded``), as Textual does before queueing it at the widget, so
    ``event.is_forwarded`` tells the app's handlers it has been routed once."""
    event._set_forwarded()


def message_context(node: MessagePump) -> AbstractContextManager[None]:
    """``MessagePump._context()``: the active app and message pump set as they are in ``node``'s own queue, so code
    run for ``node`` from the app's handler (``self.app``, posting messages) behaves as in the widget."""
    return node._context()


async def check_bindings(app: App[Any], key: str) -> bool:
    """Run the non-priority binding chain for ``key`` from the focused widget up (``App._check_bindings``): what
    Textual does once a key has bubbled up to the app; True if a binding handled it."""
    return await app._check_bindings(key)


async def dispatch_key(node: DOMNode, event: events.Key) -> bool:
    """Run ``node``'s ``key_`` methods for ``event`` (``textual._dispatch_key.dispatch_key``, what
    ``Widget._on_key`` does); True if one handled it."""
    return await _dispatch_key(node, event)


def binds_key(node: DOMNode, key: str) -> bool:
    """True if ``node``'s own bindings (after the app's keymap) include ``key`` (a key name, e.g. ``"s"``).

    ``DOMNode._bindings`` holds the bindings after the keymap is applied; the public ``BINDINGS`` does not.
    """
    return key in node._bindings.key_to_bindings


async def input_key(field: Input, event: events.Key) -> None:
    """``Input._on_key``: insert a printable character (or replace the selection) and stop the event."""
    await Input._on_key(field, event)


def input_paste(field: Input, event: events.Paste) -> None:
    """``Input._on_paste``: insert pasted text as the input itself would."""
    Input._on_paste(field, event)


# --- A key's effect painted at once ---------------------------------------------------------------------------------


def paint_now(widget: Widget) -> bool:
    """Paint ``widget``'s pending repaint (and scroll) in a frame now; True if a frame was painted.

    Textual paints on a fixed 60 Hz grid: a refresh waits for the widget's idle, an ``Update`` message to the
    screen, the screen's idle, then the next tick of its update timer, up to 16.7 ms plus the frame itself. That is
    right for a stream of changes (coalesced into one frame per tick) but not for a key: a trader holding an arrow
    key sees the cursor lag. Call this after a key's action has refreshed ``widget``: it hands the widget straight
    to the screen and runs the screen's update now (what ``Pilot.pause()`` does to paint in tests). Changes from
    the stream already waiting are painted in the same frame.

    This reaches into Textual 8.2.8's screen update (``Screen._dirty_widgets``, ``Screen._on_timer_update``,
    ``App._batch_count``, ``Widget._repaint_required`` and ``_scroll_required``); ``tests/tui/test_paint_now.py``
    fails if they change. Where they are missing, or the widget is not mounted, or its screen is not on top (a modal
    over it: Textual repaints the screen under a modal through the modal's own update), or the app is batching
    updates, nothing happens here and the ordinary refresh paints on the next tick (returns False).
    """
    if not widget.is_mounted:
        return False
    try:
        app = widget.app
        screen = widget.screen
        if screen is not app.screen or app._batch_count:
            return False
        update = screen._on_timer_update
        dirty = screen._dirty_widgets
    except (AttributeError, NoScreen, ScreenStackError):
        return False
    if getattr(widget, "_scroll_required", False):  # as Widget._check_refresh would, then Screen._on_update_scroll
        widget._scroll_required = False
        screen._scroll_required = True
    if getattr(widget, "_repaint_required", False):  # as Widget._check_refresh would, then Screen._on_update
        widget._repaint_required = False
        dirty.add(widget)
    update()
    return True


# --- A refilled DataTable drawn at its measured column widths -------------------------------------------------------


class MeasuredRowsHook(DataTable[Any]):
    """A ``DataTable`` that calls :meth:`rows_measured` each time it has measured new rows.

    Textual 8.2.8's ``DataTable`` measures new rows when its queue next goes idle (``_update_dimensions``), with no
    public event after it; a frame painted before then has cached lines at the old column widths.
    """

    def _update_dimensions(self, new_rows: Iterable[RowKey]) -> None:  # Textual 8.2.8: DataTable._update_dimensions
        new_rows = list(new_rows)
        super()._update_dimensions(new_rows)
        if new_rows:
            self.rows_measured()

    def rows_measured(self) -> None:
        """Called after new rows changed the column widths."""


def clear_cached_lines(table: DataTable[Any]) -> None:
    """Drop ``table``'s row and line caches (``DataTable._clear_caches``): their keys do not change when columns
    widen, so lines painted before the new rows were measured would stay cut."""
    table._clear_caches()


# --- A Line API widget's virtual size without a screen-wide layout --------------------------------------------------


def update_scrollbars(widget: Widget, virtual_size: Size) -> None:
    """Update ``widget``'s scrollbars and clamp its scroll position to ``virtual_size`` (``Widget._scroll_update``),
    as Textual does after a layout, when only the number of lines changed and no layout is needed."""
    widget._scroll_update(virtual_size)


# --- The terminal driver over SSH -----------------------------------------------------------------------------------


def wrap_driver_output(driver: LinuxDriver, wrap: Callable[[Any], Any]) -> None:
    """Replace the stream ``driver`` writes the terminal through (``LinuxDriver._file``, which its writer thread in
    ``textual.drivers._writer_thread`` is given when the app starts) with ``wrap(stream)``. Call it from the
    driver's ``__init__``. Textual offers no public seam for the driver's output (and types the stream loosely:
    ``wrap`` takes and returns a text stream)."""
    driver._file = wrap(driver._file)


def call_in_app_loop(driver: Driver, name: str) -> None:
    """From any thread: call the app's method ``name`` (if it has one) soon, in the app's event loop.

    ``Driver._app`` and ``Driver._loop`` are the app and loop the driver was started for; ``App.call_from_thread``
    would block the calling thread (here the writer thread) until the app ran the call.
    """
    method = getattr(driver._app, name, None)
    if method is not None:
        driver._loop.call_soon_threadsafe(method)


# --- A border title without a whole-widget repaint ------------------------------------------------------------------


def set_border_title_line(widget: Widget, title: str) -> None:
    """Set ``widget``'s border title and mark only its top border line for repainting.

    Assigning ``border_title`` (Textual 8.2.8's ``_BorderTitle.__set__``) stores the title as ``Content`` in
    ``Widget._border_title`` and then repaints the whole widget: its border, scrollbars and every line, which a
    terminal over SSH receives again. This stores it the same way and marks the top line dirty (a region one line
    above the content, in the content coordinates ``Widget.refresh`` takes). ``tests/tui/test_low_bandwidth.py``
    checks the title shows and the rows are not repainted.
    """
    widget._border_title = widget.render_str(title).expand_tabs(4).split()[0]
    offset = widget.content_offset
    widget.refresh(Region(-offset.x, -offset.y, widget.outer_size.width, 1))


# --- Strips that die with their last reference, not in the cyclic collector --------------------------------------

#: Textual's own ``Strip.crop_extend`` and ``Strip.divide`` (kept for the test that compares with them).
ORIGINAL_CROP_EXTEND = Strip.crop_extend
ORIGINAL_DIVIDE = Strip.divide


def _crop_extend(self: Strip, start: int, end: int, style: Any) -> Strip:
    if start <= 0 and end == self.cell_length:  # Textual's result is the strip itself: return it, cache nothing
        return self
    return ORIGINAL_CROP_EXTEND(self, start, end, style)


def _divide(self: Strip, cuts: Iterable[int]) -> list[Strip]:
    length = self.cell_length
    kept = [cut for cut in cuts if cut <= length]
    if kept == [length]:  # Textual's result is [the strip itself]: return it, cache nothing
        return [self]
    return list(ORIGINAL_DIVIDE(self, kept))


def install_acyclic_strips() -> None:
    """Stop every painted line from becoming garbage that only the cyclic collector can free.

    Textual 8.2.8's ``Strip.crop_extend`` and ``Strip.divide`` cache their result on the strip, and when nothing is
    cropped or cut the result is the strip itself (``[strip]`` for ``divide``): the strip then refers to itself
    through its ``_crop_extend_cache`` / ``_divide_cache``. The compositor does that to almost every line it paints,
    so each frame leaves its lines (a ``Strip``, its seven ``FIFOCache`` objects, its segments) to the cyclic
    collector instead of reference counting, and the young collections walk and free them under load (the figures
    are in ``docs/performance.md``). The replacements return the same strip without caching it; every other call
    goes to Textual's method unchanged. Idempotent; called when the console's app is created.
    """
    Strip.crop_extend = _crop_extend  # type: ignore[method-assign]  # a module-level replacement, same signature
    Strip.divide = _divide  # type: ignore[method-assign]  # a module-level replacement, same signature
