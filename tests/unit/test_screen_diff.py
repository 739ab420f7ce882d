"""Only the cells that changed go to the terminal, and the terminal shows what Textual wrote (issue 18).

console/tui/terminal.py ScreenDiff keeps the cells the terminal shows and rewrites each of Textual's writes as the
writes of the cells that differ. These tests run Textual-shaped frames through a small model terminal twice, as
written and as diffed, and compare the screens; and count the bytes of the frames a desk writes most.
"""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st
from rich.cells import get_character_cell_size

from console.tui.terminal import (
    DiffOutput,
    HangupSafeLinuxDriver,
    LowBandwidthLinuxDriver,
    ScreenDiff,
    palette_256,
)

_TOKEN = re.compile(
    r"\x1b\[([0-9;]*)m|\x1b\[(\d+);(\d+)H|\x1b\[(\d+)C|(\x1b\[[0-?]*[ -/]*[@-~])|(\r?\n)|[\x00-\x1f]|(.)", re.S
)

Cell = tuple[str, tuple[object, ...]]


class ModelTerminal:
    """Cells of a terminal: SGR (attributes, 38/48 colours, resets), absolute and forward moves, newlines (with
    a carriage return), erase-display (``ESC [ 2 J``), one- and two-column characters (writing over half of a
    two-column character blanks the other half, as xterm does)."""

    def __init__(self) -> None:
        self.cells: dict[tuple[int, int], Cell] = {}
        self.attrs: frozenset[str] = frozenset()
        self.fg = self.bg = "default"
        self.row = self.col = 1

    def feed(self, stream: str) -> ModelTerminal:
        for m in _TOKEN.finditer(stream):
            params, move_row, move_col, forward, csi, crlf, char = m.groups()
            if params is not None:
                self._sgr(params)
            elif move_row is not None:
                self.row, self.col = int(move_row), int(move_col)
            elif forward is not None:
                self.col += int(forward)
            elif csi is not None:
                if csi == "\x1b[2J":
                    self.cells.clear()
            elif crlf is not None:
                self.row, self.col = self.row + 1, 1
            elif char is not None:
                self._put(char)
        return self

    def _sgr(self, params: str) -> None:
        tokens = params.split(";") if params else ["0"]
        attrs = set(self.attrs)
        i = 0
        while i < len(tokens):
            t = tokens[i]
            if t in ("0", ""):
                attrs, self.fg, self.bg = set(), "default", "default"
            elif t in ("38", "48"):
                n = 3 if tokens[i + 1] == "2" else 1
                colour = ";".join(tokens[i:i + 2 + n])
                if t == "38":
                    self.fg = colour
                else:
                    self.bg = colour
                i += 1 + n
            elif 30 <= int(t) <= 37 or 90 <= int(t) <= 97 or t == "39":
                self.fg = t
            elif 40 <= int(t) <= 47 or 100 <= int(t) <= 107 or t == "49":
                self.bg = t
            else:
                attrs.add(t)
            i += 1
        self.attrs = frozenset(attrs)

    def _put(self, char: str) -> None:
        style = (self.attrs, self.fg, self.bg)
        width = get_character_cell_size(char)
        if width == 0:
            left = self.cells.get((self.row, self.col - 1), (" ", style))
            self.cells[(self.row, self.col - 1)] = (left[0] + char, left[1])
            return
        for col in range(self.col, self.col + width):
            current = self.cells.get((self.row, col))
            if current is not None and current[0] == "":  # the right half of a wide character: blank its left
                left = self.cells[(self.row, col - 1)]
                self.cells[(self.row, col - 1)] = (" ", left[1])
            right = self.cells.get((self.row, col + 1))
            if current is not None and right is not None and right[0] == "" and col == self.col + width - 1:
                self.cells[(self.row, col + 1)] = (" ", right[1])  # its left half: blank the right half
        self.cells[(self.row, self.col)] = (char, style)
        if width == 2:
            self.cells[(self.row, self.col + 1)] = ("", style)
        self.col += width


STYLES = ["38;2;224;224;224;48;2;18;18;18", "38;2;185;60;91;48;2;18;18;18", "1;38;2;185;60;91;48;2;43;24;28",
          "7;38;2;0;48;84;48;2;30;30;30", "48;2;18;18;18", "1", "31;40", "38;5;12;48;5;0"]


@st.composite
def textual_frame(draw: st.DrawFn, alphabet: str = "ab │0.,") -> str:
    """A frame as Textual writes one: per line an absolute move, styled runs each closed by a reset (sometimes a
    newline and the next line's move), on a small screen so frames overwrite each other's cells."""
    out = []
    for _ in range(draw(st.integers(1, 5))):
        row, col = draw(st.integers(1, 4)), draw(st.integers(1, 12))
        out.append(f"\x1b[{row};{col}H")
        for _ in range(draw(st.integers(1, 4))):
            style = draw(st.sampled_from(STYLES))
            text = draw(st.text(alphabet=alphabet, min_size=1, max_size=6))
            out.append(f"\x1b[{style}m{text}\x1b[0m")
        if draw(st.booleans()):
            out.append(f"\r\n\x1b[{row + 1};1H")
        if draw(st.integers(0, 20)) == 0:
            out.append(draw(st.sampled_from(["\x1b[2J", "\x1b[?1049h", "\x1b[?25h", "\x1b[?2026h", "\x07"])))
    return "".join(out)


def diffed(frames: list[str]) -> str:
    screen = ScreenDiff()
    return "".join(screen.diff(frame) for frame in frames)


@settings(max_examples=300, deadline=None)
@given(st.lists(textual_frame(), min_size=1, max_size=8))
def test_the_terminal_shows_what_textual_wrote(frames: list[str]) -> None:
    assert ModelTerminal().feed(diffed(frames)).cells == ModelTerminal().feed("".join(frames)).cells


@settings(max_examples=300, deadline=None)
@given(st.lists(textual_frame(alphabet="ab 中é│\u0301"), min_size=1, max_size=8))
def test_wide_and_combining_characters_too(frames: list[str]) -> None:
    assert ModelTerminal().feed(diffed(frames)).cells == ModelTerminal().feed("".join(frames)).cells


ROW = ("\x1b[14;1H\x1b[38;2;1;120;212;48;2;30;30;30m│\x1b[0m\x1b[38;2;224;224;224;48;2;30;30;30mBTCUSD \x1b[0m"
       "\x1b[38;2;185;60;91;48;2;30;30;30mSELL\x1b[0m\x1b[38;2;224;224;224;48;2;30;30;30m 64,916.54 0.0001 live"
       "            0 limit  {age}\x1b[0m")


def test_an_unchanged_frame_writes_nothing_and_one_changed_cell_writes_that_cell() -> None:
    screen = ScreenDiff()
    first = screen.diff("\x1b[?25l" + ROW.format(age="14s"))  # Textual hides the cursor
    assert "BTCUSD" in first  # the first frame: every cell
    assert screen.diff(ROW.format(age="14s")) == ""
    one = screen.diff(ROW.format(age="15s"))
    assert one == "\x1b[14;57H\x1b[38;2;224;224;224;48;2;30;30;30m5\x1b[0m"


def test_a_short_gap_of_unchanged_cells_is_written_instead_of_a_move() -> None:
    screen = ScreenDiff()
    screen.diff("\x1b[?25l\x1b[1;1H\x1b[1mabcdef\x1b[0m")
    assert screen.diff("\x1b[1;1H\x1b[1mXbcdeY\x1b[0m") == "\x1b[1;1H\x1b[1mXbcdeY\x1b[0m"
    assert screen.diff("\x1b[1;1H\x1b[1mXbcdeY\x1b[0m" + "\x1b[1;20H\x1b[1mfar\x1b[0m") == \
        "\x1b[13C\x1b[1mfar\x1b[0m"  # the cursor was left on row 1, column 7


def test_what_it_cannot_follow_it_does_not_skip() -> None:
    screen = ScreenDiff()
    screen.diff("\x1b[1;1Habc")
    assert screen.diff("\x1b[2J\x1b[1;1Habc").endswith("abc")  # the screen was cleared: written again
    screen.forget()
    assert "abc" in screen.diff("\x1b[1;1Habc")  # a resize


class _Pty:
    def __init__(self) -> None:
        self.written: list[str] = []

    def write(self, text: str) -> int:
        self.written.append(text)
        return len(text)

    def fileno(self) -> int:
        return -1  # no terminal: its size is never known, so nothing is skipped

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False


def test_a_terminal_whose_size_is_unknown_gets_every_cell() -> None:
    sink = _Pty()
    out = DiffOutput(sink)  # type: ignore[arg-type]
    out.write("\x1b[1;1Habc")
    out.write("\x1b[1;1Habc")
    assert sink.written[1].count("abc") == 1


def test_low_bandwidth_colours_come_from_the_256_colour_palette() -> None:
    assert palette_256("1;38;2;224;224;224;48;2;18;18;18") == "1;38;5;253;48;5;233"
    assert palette_256("38;5;12;48;2;185;60;91") == "38;5;12;48;5;131"
    sink = _Pty()
    DiffOutput(sink, palette=palette_256).write(ROW.format(age="1s"))  # type: ignore[arg-type]
    assert "38;2;" not in sink.written[0] and "38;5;" in sink.written[0]
    assert LowBandwidthLinuxDriver.PALETTE_256 and not HangupSafeLinuxDriver.PALETTE_256


@settings(max_examples=100, deadline=None)
@given(st.lists(textual_frame(), min_size=1, max_size=6))
def test_the_palette_changes_the_colours_only(frames: list[str]) -> None:
    screen = ScreenDiff(palette=palette_256)
    got = ModelTerminal().feed("".join(screen.diff(frame) for frame in frames)).cells
    want = ModelTerminal().feed(re.sub(r"\x1b\[([0-9;]*)m", lambda m: f"\x1b[{palette_256(m.group(1))}m",
                                       "".join(frames))).cells
    assert got == want
