"""The dead-man switch: heartbeats for a Require-Heartbeat key, and cancelling the session's orders on the way out.

With ``heartbeat = true`` the console sends ``POST /v1/heartbeat`` every 15 s (Gemini cancels a Require-Heartbeat
key's orders after 30 s without an authenticated call: https://docs.gemini.com/rest/orders#heartbeat) and shows
the seconds left before that expiry. On quit, on SIGHUP (the SSH connection dropped) and when the app stops on an
error, the session's orders are cancelled with ``/v1/order/cancel/session`` when ``cancel_on_exit`` is on
(default: on outside LOCAL). If the process dies too hard for that (SIGKILL, power), the exchange's 30 s expiry
is the backstop, for keys created with Require Heartbeat.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import time
from collections.abc import Callable

from console.gemini.errors import GeminiError
from console.session import TradingSession

log = logging.getLogger(__name__)

HEARTBEAT_INTERVAL_S = 15.0
EXCHANGE_EXPIRY_S = 30.0
EXIT_CANCEL_TIMEOUT_S = 5.0


class DeadManSwitch:
    """Heartbeats and the cancel-on-exit of one trading session.

    Args:
        session: the trading session (its REST client sends the heartbeats).
        heartbeat: send ``/v1/heartbeat`` every ``interval_s`` seconds.
        cancel_on_exit: cancel this session's orders on quit, SIGHUP or an error exit.
        interval_s: heartbeat period, seconds (at most 15, so one lost heartbeat still leaves margin).
        clock_s: monotonic clock in seconds (tests pass a fake one).
    """

    def __init__(self, session: TradingSession, *, heartbeat: bool, cancel_on_exit: bool,
                 interval_s: float = HEARTBEAT_INTERVAL_S, clock_s: Callable[[], float] = time.monotonic) -> None:
        if not 0 < interval_s <= HEARTBEAT_INTERVAL_S:
            raise ValueError(f"heartbeat interval must be in (0, {HEARTBEAT_INTERVAL_S}] s")
        self.session = session
        self.heartbeat = heartbeat
        self.cancel_on_exit = cancel_on_exit
        self.interval_s = interval_s
        self.clock_s = clock_s
        self.last_heartbeat_s: float | None = None
        self.failures = 0
        self.exit_cancelled: int | None = None

    async def run_heartbeats(self) -> None:
        """Send a heartbeat now and every ``interval_s`` until cancelled; a failure is logged and retried."""
        while True:
            try:
                await self.session.rest.heartbeat()
                self.last_heartbeat_s = self.clock_s()
            except GeminiError as exc:
                self.failures += 1
                log.warning("heartbeat failed: %r", exc)
            await asyncio.sleep(self.interval_s)

    def seconds_left(self) -> float | None:
        """Seconds before the exchange's 30 s expiry would cancel the key's orders; None when not heartbeating."""
        if not self.heartbeat or self.last_heartbeat_s is None:
            return None
        return max(0.0, EXCHANGE_EXPIRY_S - (self.clock_s() - self.last_heartbeat_s))

    def countdown_text(self) -> str:
        """``"heartbeat 27 s"``, ``"heartbeat …"`` before the first answer, ``""`` when heartbeats are off."""
        if not self.heartbeat:
            return ""
        left = self.seconds_left()
        return "heartbeat …" if left is None else f"heartbeat {left:.0f} s"

    async def on_exit(self, reason: str) -> int | None:
        """Cancel this session's orders if configured; return how many were cancelled (None: not attempted).

        Never raises: the console is leaving either way, and the exchange's expiry is the backstop.
        """
        if not self.cancel_on_exit:
            return None
        log.info("cancelling this session's orders on exit (%s)", reason)
        try:
            self.exit_cancelled = await asyncio.wait_for(self.session.cancel_session(), EXIT_CANCEL_TIMEOUT_S)
        except (TimeoutError, GeminiError, OSError) as exc:
            log.error("cancel-session on exit failed: %r", exc)
            self.exit_cancelled = None
        return self.exit_cancelled

    def install_sighup(self, loop: asyncio.AbstractEventLoop, on_hangup: Callable[[], None]) -> bool:
        """Call ``on_hangup`` on SIGHUP (the SSH connection dropped); False where signals are unavailable."""
        try:
            loop.add_signal_handler(signal.SIGHUP, on_hangup)
        except (NotImplementedError, RuntimeError, ValueError, AttributeError):
            return False
        return True

    def remove_sighup(self, loop: asyncio.AbstractEventLoop) -> None:
        """Undo :meth:`install_sighup`."""
        try:
            loop.remove_signal_handler(signal.SIGHUP)
        except (NotImplementedError, RuntimeError, ValueError, AttributeError):
            pass
