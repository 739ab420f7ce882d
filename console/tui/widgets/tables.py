"""A DataTable that never shows rows cut to their header's width after it is refilled.

Textual 8.2.8's ``DataTable`` measures new rows when its queue next goes idle (``_update_dimensions``), but a frame
painted between ``add_row`` and that idle caches every visible line with the columns still at their header's width,
and the line cache's key does not change when the columns widen: rows the cursor did not touch stayed cut
(``64,25`` for ``64,250.00``) until something else repainted them. After measuring, this table drops those cached
lines (through :mod:`console.tui.internals`, which holds the private ``DataTable`` names this needs, for the Textual
version pinned exactly in ``pyproject.toml``); ``tests/tui/test_account_views.py``'s history snapshot fails without it.
"""

from __future__ import annotations

from console.tui.internals import MeasuredRowsHook, clear_cached_lines

__all__ = ["MeasuredTable"]


class MeasuredTable(MeasuredRowsHook):
    """:class:`textual.widgets.DataTable` whose lines are drawn again once its new rows are measured."""

    def rows_measured(self) -> None:
        clear_cached_lines(self)  # the row and line caches of lines painted too early
        self.refresh()
