"""The terminal driver for a desk over SSH: a terminal that goes away ends the console instead of hanging it.

When an SSH connection drops (or tmux kills the pane), writes to the terminal fail with ``EIO``. Textual's writer
thread (Textual 8.2.8) dies on the first such error; its bounded queue then fills
and the next frame blocks the event loop for good, so the console never exits, never runs its dead-man switch on
the way out, and its input thread spins on the dead terminal at 100% CPU (Textual PR #6690). This driver gives the
writer thread an output stream that drops writes once the terminal is gone and tells the app, which leaves as it
does on SIGHUP (exit code 129, this session's orders cancelled when ``cancel_on_exit`` is on). The driver's
private output stream and event loop are reached through :mod:`console.tui.internals`.

Every byte written also crosses the trader's link. Textual rewrites every cell of a dirty line, each run of text
with its full colour and style escape; :class:`ScreenDiff` (through :class:`DiffOutput`) writes only the cells whose
character or style changed, with the shortest escape from the style already in effect.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from collections.abc import Callable
from functools import lru_cache
from typing import IO, Any, Protocol

from rich.cells import get_character_cell_size
from rich.color import Color, ColorSystem
from textual.app import App
from textual.drivers.linux_driver import LinuxDriver

from console.tui.internals import call_in_app_loop, wrap_driver_output

log = logging.getLogger(__name__)


#: A newline (after a cursor move or not) when an absolute move follows at once: Textual ends each painted line so.
#: Textual never writes a newline on the screen's last line (it would scroll the screen), so none of these scrolls.
_DEAD_MOVE = re.compile(r"(?:\x1b\[\d+;\d+H)?\r?\n(?=\x1b\[\d+;\d+H)")
_RESET = ("", "0")


def _parse_sgr(params: str) -> tuple[frozenset[str], str | None, str | None] | None:
    """``(attributes, foreground parameters, background parameters)`` of one SGR escape, or None when it holds
    anything else (a reset, an underline colour, colon sub-parameters): those are never rewritten."""
    tokens = params.split(";")
    attrs: set[str] = set()
    fg = bg = None
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if token in ("38", "48"):
            count = {"2": 3, "5": 1}.get(tokens[i + 1] if i + 1 < len(tokens) else "")
            if count is None or i + 2 + count > len(tokens):
                return None
            colour = ";".join(tokens[i:i + 2 + count])
            if token == "38":
                fg = colour
            else:
                bg = colour
            i += 2 + count
            continue
        if not token.isdigit():
            return None
        code = int(token)
        if 30 <= code <= 37 or 90 <= code <= 97 or code == 39:
            fg = token
        elif 40 <= code <= 47 or 100 <= code <= 107 or code == 49:
            bg = token
        elif code in (1, 2, 3, 4, 5, 7, 8, 9, 21, 53):
            attrs.add(token)
        else:
            return None
        i += 1
    return frozenset(attrs), fg, bg


def _transition(old: str, new: str) -> str | None:
    """An escape that takes the terminal from style ``old`` to style ``new`` without a reset, or None.

    Only when ``new`` sets both colours and keeps every attribute of ``old``: then just the colours that differ
    (the same attributes), else ``new`` itself.
    """
    a, b = _parse_sgr(old), _parse_sgr(new)
    if a is None or b is None or b[1] is None or b[2] is None or not a[0] <= b[0]:
        return None
    if a[0] != b[0]:
        return f"\x1b[{new}m"
    changed = [colour for colour, before in ((b[1], a[1]), (b[2], a[2])) if colour != before]
    return f"\x1b[{';'.join(changed)}m" if changed else ""


class TextSink(Protocol):
    """What the driver's writer thread uses of its output stream."""

    def write(self, text: str, /) -> int: ...
    def flush(self) -> None: ...
    def fileno(self) -> int: ...
    def isatty(self) -> bool: ...


class DiffOutput:
    """A text stream around the terminal's that writes :meth:`ScreenDiff.diff` of each write.

    The terminal's size is read before each write (one ``ioctl``): after a resize the terminal may have moved or
    cleared cells, so every cell is written again (Textual repaints the whole screen on a resize anyway).
    """

    def __init__(self, stream: IO[str], *, palette: Callable[[str], str] | None = None) -> None:
        self._stream = stream
        self.screen = ScreenDiff(palette=palette)
        self._size: tuple[int, int] | None = None

    def write(self, text: str) -> int:
        try:
            size = tuple(os.get_terminal_size(self._stream.fileno()))
        except (OSError, ValueError):
            size = None
        if size != self._size or size is None:
            self._size = size  # type: ignore[assignment]  # os.terminal_size is a 2-tuple
            self.screen.forget()
        self._stream.write(self.screen.diff(text))
        return len(text)

    def flush(self) -> None:
        self._stream.flush()

    def fileno(self) -> int:
        return self._stream.fileno()

    def isatty(self) -> bool:
        return self._stream.isatty()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


class HangupSafeOutput:
    """A text stream around the terminal's: ``write`` and ``flush`` never raise.

    The first ``OSError`` (``EIO`` from a hung-up terminal, ``EPIPE``) or ``ValueError`` (a closed stream) marks the
    terminal gone and calls ``on_gone()`` once, from the writing thread; every later write is dropped.
    """

    def __init__(self, stream: TextSink, on_gone: Callable[[], None]) -> None:
        self._stream = stream
        self._on_gone = on_gone
        self._gone = threading.Event()

    @property
    def gone(self) -> bool:
        """True once a write or flush to the terminal has failed."""
        return self._gone.is_set()

    def write(self, text: str) -> int:
        if not self._gone.is_set():
            try:
                return self._stream.write(text)
            except (OSError, ValueError) as exc:
                self._lost(exc)
        return len(text)

    def flush(self) -> None:
        if not self._gone.is_set():
            try:
                self._stream.flush()
            except (OSError, ValueError) as exc:
                self._lost(exc)

    def fileno(self) -> int:
        return self._stream.fileno()

    def isatty(self) -> bool:
        return self._stream.isatty()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)

    def _lost(self, exc: BaseException) -> None:
        if self._gone.is_set():
            return
        self._gone.set()
        log.warning("the terminal went away (%s); leaving", exc.__class__.__name__)
        self._on_gone()


class HangupSafeLinuxDriver(LinuxDriver):
    """Textual's ``LinuxDriver`` writing through :class:`HangupSafeOutput` and :class:`DiffOutput`; the app's
    ``terminal_gone()`` is called in the app's event loop when the terminal goes away."""

    #: Colours as the 256-colour palette's (:func:`palette_256`) instead of 24-bit: low-bandwidth mode.
    PALETTE_256 = False

    def __init__(self, app: App[Any], *, debug: bool = False, mouse: bool = True,
                 size: tuple[int, int] | None = None) -> None:
        super().__init__(app, debug=debug, mouse=mouse, size=size)
        palette = palette_256 if self.PALETTE_256 else None
        wrap_driver_output(self, lambda stream: HangupSafeOutput(DiffOutput(stream, palette=palette),
                                                                 self._terminal_gone))

    def _terminal_gone(self) -> None:
        call_in_app_loop(self, "terminal_gone")


# --- Only the cells that changed --------------------------------------------------------------------------------

#: One token of Textual's output: an SGR escape (its parameters), an absolute cursor move (row, column, 1-based),
#: a private mode set or reset (``ESC [ ? n h``), any other CSI escape, an OSC string (a title), any other
#: two-byte escape, one control character, a run of printable text; the last group catches a lone or cut escape.
_TOKEN = re.compile(
    r"\x1b\[([0-9;:]*)m"
    r"|\x1b\[(\d+);(\d+)H"
    r"|\x1b\[\?([0-9;]*)([hl])"
    r"|(\x1b\[[0-?]*[ -/]*[@-~])"
    r"|(\x1b\][^\x07\x1b]*(?:\x07|\x1b\\))"
    r"|(\x1b[^\[\]])"
    r"|([\x00-\x1a\x1c-\x1f\x7f])"
    r"|([^\x00-\x1f\x7f]+)"
    r"|(\x1b)",
)
#: Private modes that switch or clear the screen (the alternate screen): the terminal's cells are no longer known.
_SCREEN_MODES = frozenset({"47", "1047", "1049"})
#: Unchanged cells written instead of a cursor move when the gap between two changed cells is at most this wide
#: (and in the style already in effect): a move is 4 to 8 bytes.
_GAP = 4


@lru_cache(maxsize=4096)
def palette_256(params: str) -> str:
    """SGR parameters with each 24-bit colour (``38;2;r;g;b``, ``48;2;r;g;b``) as the nearest of the 256-colour
    palette (``38;5;n``): about half the bytes per colour escape; the theme's colours shift by a shade."""
    tokens = params.split(";")
    out: list[str] = []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        kind = tokens[i + 1] if token in ("38", "48") and i + 1 < len(tokens) else None
        if kind == "2" and i + 4 < len(tokens) and all(t.isdigit() for t in tokens[i + 2:i + 5]):
            r, g, b = (min(255, int(t)) for t in tokens[i + 2:i + 5])
            colour = Color.from_rgb(r, g, b).downgrade(ColorSystem.EIGHT_BIT)
            out += [token, "5", str(colour.number)]
            i += 5
        elif kind == "5":
            out += tokens[i:i + 3]
            i += 3
        else:
            out.append(token)
            i += 1
    return ";".join(out)


def _sgr_for(old: str | None, new: str) -> str:
    """The shortest escape the console writes to take the terminal from style ``old`` (None: not known; ``""``:
    the default, just after a reset) to style ``new`` (SGR parameters as Textual wrote them after a reset)."""
    if not new:
        return "\x1b[0m"
    if old == "":
        return f"\x1b[{new}m"
    if old is not None and (shorter := _transition(old, new)) is not None:
        return shorter
    return f"\x1b[0;{new}m"


class ScreenDiff:
    """What the terminal shows, cell by cell; each write of Textual's becomes the writes of the cells that change.

    Textual repaints a dirty region by writing every cell of each of its lines (a border, a column of prices that
    did not move, a row shifted by one whose symbol and status are the same as the row it replaces). Like curses,
    this keeps the screen the terminal shows (character and style per cell, as of the bytes written so far) and
    writes a cell only when its character or style differs, with the cursor moves and colour escapes that takes; a
    short gap of unchanged cells is written again when that is shorter than a move. The terminal ends every write
    showing exactly what Textual's bytes would have made it show (``tests/unit/test_screen_diff.py`` checks
    this on random frames with a model terminal).

    What it does not know it never skips: anything that may change cells it does not track (clearing the screen, the
    alternate screen, a newline that is not followed by a cursor move, text at an unknown cursor position, a cut
    escape) forgets every cell, so the next writes go out whole; so does :meth:`forget` (a resize). Cells holding
    wide characters (two columns) are written as Textual wrote them, and writing over half of one forgets the other
    half. Escapes it does not parse go out as they came, in order.
    """

    def __init__(self, *, palette: Callable[[str], str] | None = None) -> None:
        #: Rewrites each style's SGR parameters (low-bandwidth mode: :func:`palette_256`), or None.
        self._palette = palette
        self._chars: dict[int, list[str | None]] = {}  # row -> character per column (None: not known)
        self._styles: dict[int, list[str | None]] = {}  # row -> SGR parameters per column
        self._row: int | None = 1  # where Textual's next text goes (1-based), None when not known
        self._col = 1
        self._style = ""  # Textual's current style
        self._term_row: int | None = None  # where the terminal's cursor is, None when not known
        self._term_col = 1
        self._term_style: str | None = None  # the terminal's current style, None when not known
        self._cursor_visible = True

    def forget(self) -> None:
        """The terminal's cells are no longer known (a resize, a cleared screen): write every cell again."""
        self._chars.clear()
        self._styles.clear()

    def diff(self, text: str) -> str:
        """The bytes to write instead of ``text`` (Textual's write); the terminal ends up showing the same."""
        out: list[str] = []
        for m in _TOKEN.finditer(_DEAD_MOVE.sub("", text)):
            sgr, move_row, move_col, modes, mode_flag, csi, osc, esc, control, run, lone = m.groups()
            if run is not None:
                self._text(run, out)
            elif move_row is not None:
                self._row, self._col = int(move_row), int(move_col)
            elif sgr is not None:
                if self._palette is not None:
                    sgr = self._palette(sgr)
                if sgr in _RESET:
                    self._style = ""
                elif sgr.startswith("0;"):
                    self._style = sgr[2:]
                else:
                    self._style = f"{self._style};{sgr}" if self._style else sgr
            elif modes is not None:
                names = set(modes.split(";"))
                if names & _SCREEN_MODES:
                    self.forget()
                    self._term_row = None
                if "25" in names:
                    self._cursor_visible = mode_flag == "h"
                    if self._cursor_visible:
                        self._sync_cursor(out)
                out.append(m.group(0))
            elif osc is not None:
                out.append(osc)
            elif control is not None:
                if control in "\r\n\b\t":
                    self._sync_cursor(out)
                    self._row = self._term_row = None  # the terminal's own rules move it: not modelled
                out.append(control)
            else:  # another CSI escape (an erase, a scroll), another escape, or a cut one: cells unknown after it
                self._sync_cursor(out)
                self.forget()
                self._row = self._term_row = None
                self._term_style = None
                out.append(csi or esc or lone or "")
        if self._cursor_visible:
            self._sync_cursor(out)
        if self._term_style != self._style:
            out.append(_sgr_for(self._term_style, self._style))
            self._term_style = self._style
        return "".join(out)

    # -- internals ----------------------------------------------------------------------------------------------
    def _sync_cursor(self, out: list[str]) -> None:
        """Move the terminal's cursor to where Textual's is (a visible cursor, or before a relative move)."""
        if self._row is not None and (self._term_row, self._term_col) != (self._row, self._col):
            out.append(f"\x1b[{self._row};{self._col}H")
            self._term_row, self._term_col = self._row, self._col

    def _text(self, run: str, out: list[str]) -> None:
        row, col, style = self._row, self._col, self._style
        if row is None:  # where it lands is not known: as it came, and every cell is unknown after it
            self._set_style(style, out)
            out.append(run)
            self.forget()
            self._term_row = None
            return
        if not run.isascii():
            self._wide_text(row, col, run, style, out)
            return
        end = col - 1 + len(run)
        chars, styles = self._line(row, end)
        start = col - 1
        if chars[start:end] == list(run) and styles[start:end].count(style) == len(run):
            self._col = end + 1  # nothing changed: nothing written
            return
        for i, char in enumerate(run, start):
            if chars[i] != char or styles[i] != style:
                self._cell(row, i, char, style, chars, styles, out)
        self._col = end + 1

    def _wide_text(self, row: int, col: int, run: str, style: str, out: list[str]) -> None:
        """Text with characters other than ASCII: cell by cell while every character is one column wide, else the
        run as Textual wrote it (and the cells it covers as they now are)."""
        widths = [get_character_cell_size(char) for char in run]
        end = col - 1 + sum(widths)
        chars, styles = self._line(row, end)
        if any(width != 1 for width in widths):
            self._move(row, col - 1, chars, styles, out)
            self._set_style(style, out)
            out.append(run)
            i = col - 1
            if i > 0 and chars[i] == "":
                chars[i - 1] = None  # the wide character whose right half this covers is gone
            for char, width in zip(run, widths, strict=True):
                if width == 0:
                    if i > 0:
                        chars[i - 1] = None  # a combining character: that cell is no longer one known character
                    continue
                chars[i], styles[i] = char, style
                if width == 2:
                    chars[i + 1], styles[i + 1] = "", style
                i += width
            if i < len(chars) and chars[i] == "":
                chars[i] = None  # the right half of a wide character whose left half this covered
            self._term_row, self._term_col = row, end + 1
            self._col = end + 1
            return
        for i, char in enumerate(run, col - 1):
            if chars[i] != char or styles[i] != style:
                self._cell(row, i, char, style, chars, styles, out)
        self._col = end + 1

    def _line(self, row: int, end: int) -> tuple[list[str | None], list[str | None]]:
        """Row ``row``'s cells, at least ``end`` + 1 of them (one past the end, for a wide character's right half)."""
        chars = self._chars.get(row)
        if chars is None:
            chars = self._chars[row] = []
            self._styles[row] = []
        styles = self._styles[row]
        if len(chars) <= end:
            grow = end + 1 - len(chars)
            chars.extend([None] * grow)
            styles.extend([None] * grow)
        return chars, styles

    def _cell(self, row: int, i: int, char: str, style: str, chars: list[str | None], styles: list[str | None],
              out: list[str]) -> None:
        """Write one changed one-column cell (column ``i``, 0-based)."""
        self._move(row, i, chars, styles, out)
        self._set_style(style, out)
        out.append(char)
        if chars[i] == "" and i > 0:
            chars[i - 1] = None  # writing over a wide character's right half erases the character
        if i + 1 < len(chars) and chars[i + 1] == "":
            chars[i + 1] = None  # writing over its left half erases the right half
        chars[i], styles[i] = char, style
        self._term_col = i + 2

    def _move(self, row: int, i: int, chars: list[str | None], styles: list[str | None], out: list[str]) -> None:
        """Put the terminal's cursor on column ``i`` (0-based) of ``row``: nothing, the gap's unchanged cells, a move
        right, or an absolute move."""
        col = i + 1
        if self._term_row == row:
            gap = col - self._term_col
            if gap == 0:
                return
            if 0 < gap <= _GAP:
                cells = chars[i - gap:i]
                if (styles[i - gap:i].count(self._term_style) == gap
                        and all(c is not None and len(c) == 1 and c.isascii() for c in cells)):
                    out.append("".join(cells))  # type: ignore[arg-type]  # None excluded just above
                    self._term_col = col
                    return
            if gap > 0:
                out.append(f"\x1b[{gap}C")
                self._term_col = col
                return
        out.append(f"\x1b[{row};{col}H")
        self._term_row, self._term_col = row, col

    def _set_style(self, style: str, out: list[str]) -> None:
        if self._term_style != style:
            out.append(_sgr_for(self._term_style, style))
            self._term_style = style


class LowBandwidthLinuxDriver(HangupSafeLinuxDriver):
    """:class:`HangupSafeLinuxDriver` for ``--low-bandwidth``: colours from the 256-colour palette (a colour escape
    is about 11 bytes instead of 19)."""

    PALETTE_256 = True
