"""Scroll-area helpers shared by the Line API widgets (orders table, status pane)."""

from __future__ import annotations

from textual.geometry import Size
from textual.widget import Widget

from console.tui.internals import update_scrollbars


def set_virtual_size(widget: Widget, size: Size) -> None:
    """Give a Line API ``ScrollView`` a new virtual size without a screen-wide layout when only its height changed.

    Assigning ``virtual_size`` (a reactive with ``layout=True``) makes Textual lay out the whole screen and repaint
    every widget. When only the number of lines changed, the widget's own region does not move: set the reactive
    quietly, then update the scrollbars and clamp the scroll position as ``Widget`` does after a layout.
    """
    if size == widget.virtual_size:
        return
    if widget.is_mounted and widget.virtual_size.width == size.width:
        widget.set_reactive(Widget.virtual_size, size)
        update_scrollbars(widget, size)
    else:
        widget.virtual_size = size
