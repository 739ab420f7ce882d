"""Show a key's effect in a frame painted at once, not at the screen's next update tick."""

from __future__ import annotations

from textual.app import ScreenStackError
from textual.dom import NoScreen
from textual.widget import Widget


def paint_now(widget: Widget) -> bool:
    """Paint ``widget``'s pending repaint (and scroll) in a frame now; True if a frame was painted.

    Textual paints on a fixed 60 Hz grid: a refresh waits for the widget's idle, an ``Update`` message to the
    screen, the screen's idle, then the next tick of its update timer, up to 16.7 ms plus the frame itself. That is
    right for a stream of changes (coalesced into one frame per tick) but not for a key: a trader holding an arrow
    key sees the cursor lag. Call this after a key's action has refreshed ``widget``: it hands the widget straight
    to the screen and runs the screen's update now (what ``Pilot.pause()`` does to paint in tests). Changes from
    the stream already waiting are painted in the same frame.

    This reaches into Textual 8.2.8's screen update (``Screen._dirty_widgets``, ``Screen._on_timer_update``), which
    is why ``pyproject.toml`` pins Textual exactly; ``tests/tui/test_paint_now.py`` fails if they change. Where
    they are missing, or the widget is not mounted, or its screen is not on top (a modal over it: Textual repaints
    the screen under a modal through the modal's own update), or the app is batching updates, nothing happens here
    and the ordinary refresh paints on the next tick (returns False).
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
