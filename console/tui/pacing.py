"""How often a widget may repaint: a burst of updates becomes one repaint, at most once per interval.

Market data (the ladder, trades and the ticket's quote) changes far faster than a person reads it, and every repaint
is bytes on the trader's terminal link. :class:`Pacer` decides when the coalesced repaint runs; the widget or
screen schedules it (``set_timer`` / ``call_later``). Pure logic with an injectable clock, so it is tested without
an app.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from console.domain.model import Order, OrderState

#: Market data repaints per second by default: what the eye follows on a ladder, a tenth of Textual's frame rate.
MARKET_FPS = 10.0
#: Watchlist repaints per second at most: several symbols' quotes in one panel, read at a glance, not followed tick
#: by tick (low-bandwidth mode uses LOW_BANDWIDTH_MARKET_FPS, as the ladder does).
WATCHLIST_FPS = 4.0
#: In low-bandwidth mode: market data (the market maker alone moves the whole ladder about 2.5 times a second, each
#: move rewriting most of its rows) and the orders table and status pane (an order change still shows at the next
#: such frame, within a third of a second; under a stream of order events every visible row changes each frame).
LOW_BANDWIDTH_MARKET_FPS = 1.0
LOW_BANDWIDTH_ORDERS_FPS = 3.0
#: In low-bandwidth mode the orders table's ages show in steps of this many seconds (``15s``, ``7m10s``): each row's
#: age text changes once per step instead of every second.
LOW_BANDWIDTH_AGE_RESOLUTION_S = 5

#: A change that only adds or updates "sending" rows (PENDING_NEW: sent, no answer yet) is painted this long after at
#: the soonest, seconds: one frame at Textual's 60 frames/s. The venue's answer usually comes sooner, and then the
#: trader sees the acknowledged row in the first frame, with nothing painted in between: a frame (several ms of one
#: event loop) painted for a "sending" row would hold the answer, which is already in the socket, until it ends.
#: A slower answer shows the "sending" row after this hold; the order itself is sent at once, nothing waits for it.
SENDING_HOLD_S = 1 / 60


def sending_only(orders: Sequence[Order]) -> bool:
    """True when every order of a non-empty change is PENDING_NEW (sent, no answer yet): see :data:`SENDING_HOLD_S`."""
    return bool(orders) and all(order.state is OrderState.PENDING_NEW for order in orders)


def answers_sending(old: Order | None, new: Order) -> bool:
    """True when ``new`` is the venue's first answer to an order shown as "sending": ``old`` (the row before) is
    PENDING_NEW and ``new`` is not (acknowledged, rejected or already filled). Such a change is painted at once, as a
    key is: it is the answer to what the trader just did."""
    return old is not None and old.state is OrderState.PENDING_NEW and new.state is not OrderState.PENDING_NEW


class Pacer:
    """At most one run of a coalesced update per ``interval_s``; the first update after a quiet spell runs at once.

    Call :meth:`request` on every update: it returns the delay (seconds, 0 = at the next opportunity) after which
    the caller schedules its flush, or None when a flush is already scheduled (the update is folded into it). The
    flush calls :meth:`ran` first.

    Args:
        interval_s: the least time between two runs, seconds (0: no limit, every request runs at once).
        clock: monotonic seconds (tests pass a fake).
    """

    def __init__(self, interval_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        if interval_s < 0:
            raise ValueError(f"interval_s must be >= 0, got {interval_s}")
        self.interval_s = interval_s
        self._clock = clock
        self._last_run_s: float | None = None
        self._scheduled = False

    @property
    def scheduled(self) -> bool:
        """True while a flush is scheduled and has not run."""
        return self._scheduled

    def request(self) -> float | None:
        """An update arrived: the delay before the flush to schedule, or None if one is already scheduled."""
        if self._scheduled:
            return None
        self._scheduled = True
        if self._last_run_s is None:
            return 0.0
        return max(0.0, self._last_run_s + self.interval_s - self._clock())

    def ran(self) -> None:
        """The flush is running now: later updates schedule the next one."""
        self._scheduled = False
        self._last_run_s = self._clock()


def fps_interval(fps: float) -> float:
    """Seconds between frames at ``fps`` frames per second (``fps`` > 0)."""
    if fps <= 0:
        raise ValueError(f"fps must be > 0, got {fps}")
    return 1.0 / fps
