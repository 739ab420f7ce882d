"""Which lines of the orders table a repaint draws again (console/tui/widgets/orders_repaint.py)."""

from __future__ import annotations

from console.tui.widgets.orders_repaint import ChangedRows


def test_a_row_changed_in_place_is_its_one_line():
    changed = ChangedRows()
    changed.note([(3, 3)])
    assert changed.take_spans(top=0, lines=10) == [(4, 1)]  # line 0 is the header
    assert changed.take_spans(top=0, lines=10) == []  # taken: nothing left


def test_an_added_or_removed_row_redraws_every_line_below_it():
    changed = ChangedRows()
    changed.note([(None, 2), (5, 5), (0, 0)])  # a new row at 2; row 5 below it and row 0 above it changed in place
    assert changed.take_spans(top=0, lines=10) == [(3, 8), (1, 1)]
    changed.note([(7, None)])
    assert changed.take_spans(top=4, lines=10) == [(4, 7)]  # scrolled: row 7 is on line 4


def test_rows_off_screen_draw_nothing():
    changed = ChangedRows()
    changed.note([(20, None), (1, 1)])
    assert changed.take_spans(top=5, lines=10) == []  # row 1 above the screen, the removal below it
