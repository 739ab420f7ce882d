"""Fewer bytes to the terminal, the same screen: console/tui/terminal.py compact_sgr and the ladder's diff."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st
from rich.style import Style
from rich.text import Text

from console.tui.terminal import CompactOutput, compact_sgr
from console.tui.widgets.depth_ladder import changed_span

_TOKEN = re.compile(r"\x1b\[([0-9;]*)m|\x1b\[(\d+);(\d+)H|(\r?\n)|(.)", re.S)


def screen(stream: str) -> dict[tuple[int, int], tuple[str, tuple[object, ...]]]:
    """What a terminal shows after ``stream`` from a blank screen with the default style: cell -> (character,
    style). A small model of SGR (attributes, 38/48 colours in both forms, resets) and absolute cursor moves."""
    cells: dict[tuple[int, int], tuple[str, tuple[object, ...]]] = {}
    attrs: set[str] = set()
    fg = bg = "default"
    row = col = 1
    for m in _TOKEN.finditer(stream):
        params, move_row, move_col, crlf, char = m.groups()
        if params is not None:
            tokens = params.split(";") if params else ["0"]
            i = 0
            while i < len(tokens):
                t = tokens[i]
                if t in ("0", ""):
                    attrs, fg, bg = set(), "default", "default"
                elif t in ("38", "48"):
                    n = 3 if tokens[i + 1] == "2" else 1
                    colour = ";".join(tokens[i:i + 2 + n])
                    fg, bg = (colour, bg) if t == "38" else (fg, colour)
                    i += 1 + n
                elif t == "39":
                    fg = "default"
                elif t == "49":
                    bg = "default"
                elif 30 <= int(t) <= 37:
                    fg = t
                elif 40 <= int(t) <= 47:
                    bg = t
                else:
                    attrs.add(t)
                i += 1
        elif move_row is not None:
            row, col = int(move_row), int(move_col)
        elif crlf is not None:
            row, col = row + 1, 1
        else:
            cells[(row, col)] = (char, (frozenset(attrs), fg, bg))
            col += 1
    return cells


STYLES = ["38;2;224;224;224;48;2;18;18;18", "38;2;185;60;91;48;2;18;18;18", "1;38;2;185;60;91;48;2;43;24;28",
          "1;38;2;78;191;113;48;2;27;43;32", "7;38;2;0;48;84;48;2;30;30;30", "48;2;18;18;18", "1", "31;40",
          "38;5;12;48;5;0", "4;38;2;1;1;1;48;2;2;2;2"]


@st.composite
def textual_frames(draw) -> str:
    """Frames shaped as Textual writes them: per line a move, then styled runs each closed by a reset, then the
    line's end move and a newline."""
    out = []
    for _ in range(draw(st.integers(1, 6))):
        row, col = draw(st.integers(1, 30)), draw(st.integers(1, 80))
        out.append(f"\x1b[{row};{col}H")
        for _ in range(draw(st.integers(1, 6))):
            style = draw(st.sampled_from(STYLES))
            text = draw(st.text(alphabet="ab ─│0.,", min_size=1, max_size=5))
            out.append(f"\x1b[{style}m{text}\x1b[0m")
        if draw(st.booleans()):
            out.append(f"\x1b[{row};{col + 40}H" + draw(st.sampled_from(["\n", "\r\n"])))
    return "".join(out)


@given(textual_frames(), textual_frames())
def test_the_terminal_shows_the_same_cells(first, second):
    for stream in (first, first + second):
        assert screen(compact_sgr(stream)) == screen(stream)
    # one write after another: the second starts from whatever style the first left
    assert screen(compact_sgr(first) + compact_sgr(second)) == screen(first + second)


def test_a_row_of_cells_in_one_style_has_one_escape():
    row = "\x1b[3;55H" + "".join(f"\x1b[38;2;1;2;3;48;2;4;5;6m{c}\x1b[0m" for c in "64,250.00")
    compact = compact_sgr(row)
    assert compact == "\x1b[3;55H\x1b[38;2;1;2;3;48;2;4;5;6m6\x1b[0m\x1b[38;2;1;2;3;48;2;4;5;6m4,250.00\x1b[0m"
    row2 = "\x1b[0m" + row  # the style in effect is known after a reset
    assert compact_sgr(row2).count("\x1b[38;2") == 1


def test_a_colour_change_keeps_only_the_colour_that_changed():
    text = "\x1b[0m\x1b[38;2;1;1;1;48;2;9;9;9mA\x1b[0m\x1b[38;2;2;2;2;48;2;9;9;9mB\x1b[0m"
    assert compact_sgr(text) == "\x1b[0m\x1b[38;2;1;1;1;48;2;9;9;9mA\x1b[38;2;2;2;2mB\x1b[0m"


def test_an_attribute_that_ends_keeps_its_reset():
    text = "\x1b[0m\x1b[1;38;2;1;1;1;48;2;9;9;9mA\x1b[0m\x1b[38;2;1;1;1;48;2;9;9;9mB\x1b[0m"
    assert compact_sgr(text) == text


def test_text_without_resets_is_written_as_it_is_and_the_stream_counts_what_it_was_given():
    assert compact_sgr("plain \x1b[1mbold") == "plain \x1b[1mbold"

    class Sink:
        def __init__(self) -> None:
            self.written = ""

        def write(self, text: str) -> int:
            self.written += text
            return len(text)

        def flush(self) -> None:
            pass

    sink = Sink()
    out = CompactOutput(sink)  # type: ignore[arg-type]
    frame = "\x1b[0m\x1b[31;40mA\x1b[0m\x1b[31;40mB\x1b[0m"
    assert out.write(frame) == len(frame)
    assert sink.written == "\x1b[0m\x1b[31;40mAB\x1b[0m"


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
