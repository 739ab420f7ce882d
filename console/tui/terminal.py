"""The terminal driver for a desk over SSH: a terminal that goes away ends the console instead of hanging it.

When an SSH connection drops (or tmux kills the pane), writes to the terminal fail with ``EIO``. Textual's writer
thread (Textual 8.2.8) dies on the first such error; its bounded queue then fills
and the next frame blocks the event loop for good, so the console never exits, never runs its dead-man switch on
the way out, and its input thread spins on the dead terminal at 100% CPU (Textual PR #6690). This driver gives the
writer thread an output stream that drops writes once the terminal is gone and tells the app, which leaves as it
does on SIGHUP (exit code 129, this session's orders cancelled when ``cancel_on_exit`` is on). The driver's
private output stream and event loop are reached through :mod:`console.tui.internals`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import IO, Any

from textual.app import App
from textual.drivers.linux_driver import LinuxDriver

from console.tui.internals import call_in_app_loop, wrap_driver_output

log = logging.getLogger(__name__)


class HangupSafeOutput:
    """A text stream around the terminal's: ``write`` and ``flush`` never raise.

    The first ``OSError`` (``EIO`` from a hung-up terminal, ``EPIPE``) or ``ValueError`` (a closed stream) marks the
    terminal gone and calls ``on_gone()`` once, from the writing thread; every later write is dropped.
    """

    def __init__(self, stream: IO[str], on_gone: Callable[[], None]) -> None:
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
    """Textual's ``LinuxDriver`` writing through :class:`HangupSafeOutput`; the app's ``terminal_gone()`` is called
    in the app's event loop when the terminal goes away."""

    def __init__(self, app: App[Any], *, debug: bool = False, mouse: bool = True,
                 size: tuple[int, int] | None = None) -> None:
        super().__init__(app, debug=debug, mouse=mouse, size=size)
        wrap_driver_output(self, lambda stream: HangupSafeOutput(stream, self._terminal_gone))

    def _terminal_gone(self) -> None:
        call_in_app_loop(self, "terminal_gone")
