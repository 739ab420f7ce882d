"""The ladder's row diff: only the columns of a row that changed are repainted (console/tui/widgets/depth_ladder.py
changed_span). What goes to the terminal is tested with ScreenDiff in test_screen_diff.py."""

from __future__ import annotations

from rich.style import Style
from rich.text import Text

from console.tui.widgets.depth_ladder import changed_span


def test_changed_span_is_the_columns_that_differ():
    red = Style(color="red")
    old = Text(" ") + Text("   64,250.00", style=red) + Text(" ") + Text("   1.5", style=red)
    new = Text(" ") + Text("   64,250.00", style=red) + Text(" ") + Text("   2.5", style=red)
    assert changed_span(old, new) == (17, 18)
    price = Text(" ") + Text("   64,251.00", style=red) + Text(" ") + Text("   1.5", style=red)
    assert changed_span(old, price) == (9, 10)
    bold = Text(" ") + Text("   64,250.00", style=red + Style(bold=True)) + Text(" ") + Text("   1.5", style=red)
    assert changed_span(old, bold) == (0, old.cell_len)  # a style moved: the whole row
    assert changed_span(Text(""), old) == (0, old.cell_len)
