"""The dead-man switch: heartbeats for a Require-Heartbeat key, and cancelling the session's orders on the way out.

With ``heartbeat = true`` the console sends the venue's heartbeat (``Venue.heartbeat``) every 15 s (a venue that
expires a Require-Heartbeat key's orders after 30 s without an authenticated call, see the adapter's
``heartbeat``) and shows the seconds left before that expiry. On quit, on SIGHUP (the SSH connection dropped) and
when the app stops on an error, the session's orders are cancelled with the venue's cancel-session when
``cancel_on_exit`` is on (default: on outside LOCAL). If the process dies too hard for that (SIGKILL, power), the
exchange's 30 s expiry is the backstop, for keys created with Require Heartbeat.

Every exit ends with an :class:`ExitReport`: what the exit cancel ended, what is still working on the account
(asked of the exchange, its open orders, when it can be reached, else the blotter's last view), and whether a
requested cancel-on-exit failed. The command line prints it to the terminal and writes it to the journal, and
exits non-zero when the requested cancel did not succeed.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from console.domain.errors import TransportError, VenueError, VenueRefused, network_cause
from console.domain.fmt import fmt_price, fmt_qty
from console.domain.model import Order
from console.trading.session import TradingSession

log = logging.getLogger(__name__)

HEARTBEAT_INTERVAL_S = 15.0
EXCHANGE_EXPIRY_S = 30.0
EXIT_CANCEL_TIMEOUT_S = 5.0
#: Seconds to ask the exchange which orders are still working after the exit cancel (its open orders).
EXIT_QUERY_TIMEOUT_S = 3.0
#: Exit status when a requested cancel-on-exit did not succeed (orders may still be working).
EXIT_CANCEL_FAILED = 4


@dataclass(frozen=True, slots=True)
class OrderLine:
    """One order named in the exit report: ``73000000012 BUY 0.01 BTCUSD @ 62500.00``.

    Attributes:
        order_id: the venue's order id.
        text: side, amount, symbol and limit price (decimal strings), and whose order it is when not this key's.
    """

    order_id: str
    text: str

    @classmethod
    def of(cls, order: Order, api_key: str) -> OrderLine:
        """Describe ``order``; orders of another API key or the web UI say so (cancel-session leaves them)."""
        whose = "" if order.api_session in (None, api_key) else (
            " (web UI)" if order.api_session == "UI" else " (another API key)")
        return cls(order.order_id, f"{order.order_id} {order.side.upper()} {fmt_qty(order.open_amount)} "
                                   f"{order.symbol.upper()} @ {fmt_price(order.price)}{whose}")


@dataclass(slots=True)
class ExitReport:
    """What happened to the orders as the console left.

    Attributes:
        reason: why the console left: ``"exit"`` (quit), ``"SIGHUP"``, ``"terminal gone"`` or ``"error"``.
        cancel_requested: cancel-on-exit was on.
        cancelled: orders the exit cancel ended (venue's ``cancelledOrders``).
        cancel_rejects: order ids the venue refused to cancel (``cancelRejects``).
        cancel_error: why the requested exit cancel failed (None when it succeeded or was not requested).
        working: orders still working on the account after the exit.
        working_confirmed: ``working`` is the exchange's answer (its open orders); False: the blotter's last view,
            which may be out of date.
        started: trading had started (False: e.g. the PRODUCTION confirmation was declined; nothing was sent).
    """

    reason: str
    cancel_requested: bool
    cancelled: list[OrderLine] = field(default_factory=list)
    cancel_rejects: list[str] = field(default_factory=list)
    cancel_error: str | None = None
    working: list[OrderLine] = field(default_factory=list)
    working_confirmed: bool = False
    started: bool = True

    @property
    def cancel_failed(self) -> bool:
        """True when cancel-on-exit was requested and did not succeed (error, or the venue refused some cancels)."""
        return self.cancel_requested and (self.cancel_error is not None or bool(self.cancel_rejects))

    def lines(self) -> list[str]:
        """The summary for the terminal, one line per fact; a failed exit cancel is shouted (``!!!``)."""
        if not self.started:
            return ["Trading never started: nothing was sent to the exchange."]
        out: list[str] = []
        if self.cancel_requested and self.cancel_error is not None:
            out.append(f"!!! CANCEL-ON-EXIT FAILED: {self.cancel_error}")
        elif self.cancel_requested:
            out.append(f"Cancel-on-exit: {_count(len(self.cancelled))} cancelled"
                       + (": " + ", ".join(o.text for o in self.cancelled) if self.cancelled else "") + ".")
            if self.cancel_rejects:
                out.append(f"!!! CANCEL-ON-EXIT FAILED for {_count(len(self.cancel_rejects))}: the exchange "
                           f"refused to cancel {', '.join(self.cancel_rejects)}.")
        else:
            out.append("Cancel-on-exit is off: orders were left as they were.")
        source = "per the exchange" if self.working_confirmed else "per the console's last view, not confirmed"
        if self.working:
            prefix = "!!! " if self.cancel_failed else ""
            out.append(f"{prefix}{_count(len(self.working))} left working ({source}):")
            out.extend(f"{prefix}  {o.text}" for o in self.working)
        else:
            out.append(f"No orders left working ({source}).")
        if self.cancel_failed:
            out.append("!!! Orders may still be working: cancel them on the exchange now "
                       "(its web UI, or start the console again and press s).")
        return out

    def as_record(self) -> dict[str, Any]:
        """The report as a journal record's data (JSON-ready)."""
        return {
            "reason": self.reason,
            "started": self.started,
            "cancel_on_exit": self.cancel_requested,
            "cancel_failed": self.cancel_failed,
            "cancel_error": self.cancel_error,
            "cancelled": [o.order_id for o in self.cancelled],
            "cancel_rejects": list(self.cancel_rejects),
            "working": [o.text for o in self.working],
            "working_confirmed": self.working_confirmed,
            "summary": self.lines(),
        }


def _count(n: int) -> str:
    return f"{n} order{'s' if n != 1 else ''}"


def _why(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return f"no answer within {EXIT_CANCEL_TIMEOUT_S:g} s"
    if isinstance(exc, VenueRefused):
        return f"the exchange refused it: {exc}"
    if isinstance(exc, TransportError):
        return f"the exchange could not be reached: {network_cause(exc)} ({exc})"
    return f"{exc.__class__.__name__}: {exc}"


class DeadManSwitch:
    """Heartbeats and the cancel-on-exit of one trading session.

    Args:
        session: the trading session (its venue sends the heartbeats).
        heartbeat: send the venue's heartbeat every ``interval_s`` seconds.
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
        #: What happened to the orders on the way out; set by :meth:`on_exit`.
        self.report: ExitReport | None = None
        #: Set by :meth:`arm` once trading starts; before that the exit sends nothing (e.g. PRODUCTION declined).
        self.armed = False

    def arm(self) -> None:
        """Trading has started: from now on the exit cancels (if configured) and asks what is left working."""
        self.armed = True

    async def run_heartbeats(self) -> None:
        """Send a heartbeat now and every ``interval_s`` until cancelled; a failure is logged and retried."""
        while True:
            try:
                await self.session.venue.heartbeat()
                self.last_heartbeat_s = self.clock_s()
            except VenueError as exc:
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
        """Cancel this session's orders if configured, then find what is left working; return how many the
        cancel ended (None: not attempted, or failed). The outcome is kept in :attr:`report`.

        The cancel goes straight to the venue's cancel-session (not through the session's cancel path, which turns a
        failure into a status line and retries in the background: at exit a failure must be known here).
        Never raises: the console is leaving either way, and the exchange's expiry is the backstop.
        """
        if not self.armed:
            self.report = ExitReport(reason, False, started=False)
            return None
        api_key = self.session.api_key
        known = {o.order_id: o for o in self.session.blotter.open_orders() if o.order_id}
        report = ExitReport(reason, self.cancel_on_exit)
        self.report = report
        unreachable = False
        if self.cancel_on_exit:
            log.info("cancelling this session's orders on exit (%s)", reason)
            try:
                result = await asyncio.wait_for(self.session.venue.cancel_session(), EXIT_CANCEL_TIMEOUT_S)
            except (TimeoutError, VenueError, OSError) as exc:
                log.error("cancel-session on exit failed: %r", exc)
                report.cancel_error = _why(exc)
                unreachable = isinstance(exc, TimeoutError | TransportError | OSError)
                self.exit_cancelled = None
            else:
                ids = list(result.cancelled)
                report.cancelled = [OrderLine.of(known[i], api_key) if i in known else OrderLine(i, i) for i in ids]
                report.cancel_rejects = list(result.rejected)
                self.exit_cancelled = len(ids)
                for order_id in ids:
                    known.pop(order_id, None)
        report.working, report.working_confirmed = await self._still_working(known.values(), unreachable)
        for line in report.lines():
            (log.error if report.cancel_failed else log.info)("exit summary: %s", line)
        return self.exit_cancelled

    async def _still_working(self, known: Iterable[Order], unreachable: bool) -> tuple[list[OrderLine], bool]:
        """The account's working orders: the venue's open orders (True), else the blotter's view (False)."""
        api_key = self.session.api_key
        if not unreachable:
            try:
                active = await asyncio.wait_for(self.session.venue.open_orders(), EXIT_QUERY_TIMEOUT_S)
            except (TimeoutError, VenueError, OSError, ValueError) as exc:
                log.warning("could not ask the exchange which orders are working at exit: %r", exc)
            else:
                return [OrderLine.of(order, api_key) for order in active], True
        return [OrderLine.of(order, api_key) for order in known], False

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
