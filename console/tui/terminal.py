"""The terminal driver for a desk over SSH: a terminal that goes away ends the console instead of hanging it.

When an SSH connection drops (or tmux kills the pane), writes to the terminal fail with ``EIO``. Textual's writer
thread (Textual 8.2.8) dies on the first such error; its bounded queue then fills
and the next frame blocks the event loop for good, so the console never exits, never runs its dead-man switch on
the way out, and its input thread spins on the dead terminal at 100% CPU (Textual PR #6690). This driver gives the
writer thread an output stream that drops writes once the terminal is gone and tells the app, which leaves as it
does on SIGHUP (exit code 129, this session's orders cancelled when ``cancel_on_exit`` is on). The driver's
private output stream and event loop are reached through :mod:`console.tui.internals`.

Every byte written also crosses the trader's link. Textual writes each run of text as its full colour and style
escape, the text, then a reset (``ESC[0m``), so a row whose cells share a style repeats the same escape for every
cell. :func:`compact_sgr` drops what changes nothing on the terminal before it is written: a reset followed at once
by the escape that was already in effect, or a reset that the next escape makes redundant.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable
from typing import IO, Any, Protocol

from textual.app import App
from textual.drivers.linux_driver import LinuxDriver

from console.tui.internals import call_in_app_loop, wrap_driver_output

log = logging.getLogger(__name__)


_SGR = re.compile(r"\x1b\[([0-9;]*)m")
#: A newline (after a cursor move or not) when an absolute move follows at once: Textual ends each painted line so.
#: Textual never writes a newline on the screen's last line (it would scroll the screen), so none of these scrolls.
_DEAD_MOVE = re.compile(r"(?:\x1b\[\d+;\d+H)?\r?\n(?=\x1b\[\d+;\d+H)")
#: A reset followed by cursor moves: the moves go first (they do not touch the style), so that the reset meets the
#: next span's escape.
_RESET_THEN_MOVES = re.compile(r"(\x1b\[0m)((?:\x1b\[\d+;\d+H)+)")
_RESET = ("", "0")
_UNKNOWN = "?"  # the terminal's style state is not known from this write alone
_DEFAULT = ""  # just after a reset


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


def compact_sgr(text: str) -> str:
    """``text`` with the colour and style escapes that change nothing removed; the terminal shows the same cells.

    Cursor moves that another move makes pointless go, and a reset before cursor moves is written after them.
    Within one write (the style in effect when it starts is not known, so its first escape always stays): a reset
    immediately followed by the escape already in effect is dropped with it; a reset immediately followed by an
    escape that sets both colours and keeps every attribute in effect becomes that escape, or just the colours
    that change when the attributes are the same.
    """
    if "\x1b[0m\x1b[" not in text:
        return text
    text = _RESET_THEN_MOVES.sub(r"\2\1", _DEAD_MOVE.sub("", text))
    out: list[str] = []
    state = _UNKNOWN
    pos = 0
    matches = list(_SGR.finditer(text))
    i = 0
    while i < len(matches):
        m = matches[i]
        out.append(text[pos:m.start()])
        params = m.group(1)
        pos = m.end()
        if params not in _RESET:
            out.append(m.group(0))
            state = params if state == _DEFAULT else _UNKNOWN
            i += 1
            continue
        following = matches[i + 1] if i + 1 < len(matches) else None
        if following is None or following.start() != m.end() or following.group(1) in _RESET:
            out.append(m.group(0))
            state = _DEFAULT
            i += 1
            continue
        new = following.group(1)
        if state not in (_UNKNOWN, _DEFAULT) and new == state:
            pass  # reset, then the same style again: nothing changes
        elif state not in (_UNKNOWN, _DEFAULT) and (shorter := _transition(state, new)) is not None:
            out.append(shorter)
        else:
            out.append(m.group(0) + following.group(0))
        state = new
        pos = following.end()
        i += 2
    out.append(text[pos:])
    return "".join(out)


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


class CompactOutput:
    """A text stream around the terminal's that writes :func:`compact_sgr` of each write."""

    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        self._stream.write(compact_sgr(text))
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
    """Textual's ``LinuxDriver`` writing through :class:`HangupSafeOutput` and :class:`CompactOutput`; the app's
    ``terminal_gone()`` is called in the app's event loop when the terminal goes away."""

    def __init__(self, app: App[Any], *, debug: bool = False, mouse: bool = True,
                 size: tuple[int, int] | None = None) -> None:
        super().__init__(app, debug=debug, mouse=mouse, size=size)
        wrap_driver_output(self, lambda stream: HangupSafeOutput(CompactOutput(stream), self._terminal_gone))

    def _terminal_gone(self) -> None:
        call_in_app_loop(self, "terminal_gone")
