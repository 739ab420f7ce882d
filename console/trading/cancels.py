"""Cancels of a trading session: one order, this session's orders or all; an unconfirmed cancel is verified.

A cancel is unconfirmed when its answer was lost (timeout, lost connection, 5xx, 429), or when the venue answered
it as pending (Roxom's ``pendingcancel``: the order can still fill) and the stream has not ended the order within
:attr:`SessionCancelsMixin.cancel_confirm_s`. Either way the venue's own word settles it: the order by id
(Roxom's documented best practice, https://docs.roxom.com/reference/api-reference/orders/cancel). Ended: applied.
Pending cancel: the cancel reached the venue, nothing is re-sent, and the order is asked again later. Still
working: the cancel never arrived, so it is sent again (cancelling is idempotent, unlike placing).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable

from console.domain.errors import VenueError, VenueRefused
from console.domain.model import CancelResult, OrderState
from console.domain.reasons import Severity
from console.domain.scopes import OrderScope, ScopeOutcome
from console.trading.status_text import describe
from console.trading.types import ConnectionState, SessionBase
from console.util.backoff import Backoff

#: The session's logger for every part of it: records keep the name they had before the split.
log = logging.getLogger("console.trading.session")


class SessionCancelsMixin(SessionBase):
    """The cancels of :class:`~console.trading.session.TradingSession` (mixed in; uses its venue and blotter)."""

    #: Seconds a cancel the venue answered as pending may wait for the stream before the order is asked by id.
    cancel_confirm_s: float = 3.0

    async def cancel(self, order_id: str) -> None:
        """Cancel one order (the venue's cancel); it shows PENDING_CANCEL until the venue confirms.

        A cancel whose answer is lost (timeout, lost connection, 5xx, 429) keeps the order PENDING_CANCEL (it can
        still fill) and is retried with back-off: cancelling is idempotent, unlike placing.
        """
        self._withdraw_replacements([order_id])
        order = self.blotter.get(order_id)
        if order is None or order.state.is_terminal:
            return
        self.blotter.mark_pending_cancel(order_id, self.clock_ms())
        if await self._send_cancel(order_id, retry=True):
            current = self.blotter.get(order_id)
            if current is not None and current.state is OrderState.PENDING_CANCEL:
                # Answered, yet pending (Roxom): the stream should end it; if it does not, ask the venue.
                self._spawn(self._retry_cancel(order_id, first_delay_s=self.cancel_confirm_s))

    def _withdraw_replacements(self, order_ids: Iterable[str]) -> None:
        """A cancel of these orders was asked: a cancel-replace of any of them waiting for its old order's cancel
        must not send its replacement (the trader wants the order gone, not moved)."""
        for order_id in order_ids:
            if order_id in self._replacing:
                self._replacing[order_id] = True

    async def _send_cancel(self, order_id: str, *, retry: bool, note: str = "", raise_refused: bool = False) -> bool:
        """Send one cancel; return True when the venue answered it (either way).

        Args:
            order_id: the order to cancel (the caller has marked it pending cancel).
            retry: an unanswered cancel is settled by a retry task of its own (else the caller retries).
            note: what an unconfirmed cancel's status line adds, e.g. that a replacement waits for it.
            raise_refused: a refusal is raised to the caller (after the order is restored) instead of reported.

        Raises:
            VenueRefused: the venue refused the cancel, with ``raise_refused``.
        """
        order = self.blotter.get(order_id)
        if order is None:
            return True
        try:
            answer = await self.venue.cancel(order_id)
        except VenueError as exc:
            if exc.outcome_unknown:
                current = self.blotter.get(order_id)
                if current is None or current.state is not OrderState.PENDING_CANCEL:
                    # Settled meanwhile (the stream said cancelled or filled, or refused the cancel): a late lost
                    # answer changes nothing, and saying "pending, retried" now would be false.
                    log.info("cancel of %s: no answer (%s), but the order is already %s", order_id,
                             exc.__class__.__name__, current.state.value if current else "gone")
                    return True
                # True as written: with retry the task below re-sends it, without it the caller's retry loop does.
                self._emit(Severity.WARNING, describe(order), "PendingCancel",
                           f"Cancel not confirmed ({exc.reason}); the "
                           f"order stays pending-cancel (it may still fill) and the cancel is retried.{note}")
                if retry:
                    self._spawn(self._retry_cancel(order_id))
                return False
            if not isinstance(exc, VenueRefused):
                raise
            self.blotter.restore_after_failed_cancel(order_id, self.clock_ms())
            if not raise_refused:
                self._report(describe(order), exc.reason, self._reason_text(exc), cancel=False)
            if exc.halts_trading:
                self._halt(exc)
            if raise_refused:
                raise
            return True
        self._apply_answer(answer)
        return True

    async def _retry_cancel(self, order_id: str, *, first_delay_s: float | None = None) -> None:
        """Settle an unconfirmed cancel, with back-off, until the order is no longer pending cancel here.

        Each round asks the venue for the order by id (see the module): ended → applied; pending cancel → asked
        again later, nothing re-sent; working, or no answer → the cancel is sent again (idempotent).
        """
        if order_id in self._cancel_retrying:
            return
        self._cancel_retrying.add(order_id)
        backoff = Backoff(self.retry_initial_s, self.retry_cap_s, rng=self._rng)
        try:
            delay = first_delay_s if first_delay_s is not None else backoff.next_delay()
            while True:
                await asyncio.sleep(delay)
                delay = backoff.next_delay()
                order = self.blotter.get(order_id)
                if order is None or order.state is not OrderState.PENDING_CANCEL:
                    return
                if self.connection is ConnectionState.HALTED:
                    return
                state = await self._venue_state(order_id)
                if state is OrderState.PENDING_CANCEL:
                    continue  # the cancel reached the venue: the stream (or the next check) ends the order
                if state is not None and state.is_terminal:
                    return
                await self._send_cancel(order_id, retry=False)
        finally:
            self._cancel_retrying.discard(order_id)

    async def _venue_state(self, order_id: str) -> OrderState | None:
        """The order's state as the venue answers it by id, applied to the blotter when it ended; None when the
        venue cannot say (no answer, or an error): the caller re-sends the cancel then."""
        try:
            answer = await self.venue.order_status(order_id=order_id)
        except VenueError as exc:
            log.info("cancel of %s: the order by id did not answer (%s)", order_id, exc.__class__.__name__)
            if exc.halts_trading:
                self._halt(exc)
            return None
        if answer.state.is_terminal:
            self._apply_answer(answer)  # reports the end once (the stream may have said it first)
        log.info("cancel of %s: the venue has the order %s", order_id, answer.state.value)
        return answer.state


    async def cancel_session(self) -> int:
        """Cancel every order of this API session (the venue's cancel-session); return how many."""
        return await self._cancel_many(self.venue.cancel_session, "this session's", session_only=True)

    async def cancel_all(self) -> int:
        """Cancel every order of the account, all sessions and the web UI (the venue's cancel-all)."""
        return await self._cancel_many(self.venue.cancel_all, "all", session_only=False)

    async def _cancel_many(self, call: Callable[[], Awaitable[CancelResult]], label: str, *,
                           session_only: bool) -> int:
        self._withdraw_replacements(list(self._replacing))  # only this key's own orders are ever replaced
        now = self.clock_ms()
        marked = [
            o.order_id for o in self.blotter.open_orders()
            if o.order_id and (not session_only or o.api_session in (None, self.api_key))
            and self.blotter.mark_pending_cancel(o.order_id, now) is not None
        ]
        try:
            result = await call()
        except VenueError as exc:
            self._emit(Severity.ERROR, f"Cancel {label} orders", exc.reason, str(exc))
            if exc.outcome_unknown:
                for order_id in marked:  # each one is cancelled on its own, safely, until confirmed
                    self._spawn(self._retry_cancel(order_id))
            else:
                for order_id in marked:
                    self.blotter.restore_after_failed_cancel(order_id, self.clock_ms())
                if exc.halts_trading:
                    self._halt(exc)
            return 0
        cancelled, rejects = result.cancelled, result.rejected
        severity = Severity.WARNING if rejects else Severity.INFO
        text = f"{len(cancelled)} cancelled" + (f", {len(rejects)} cancel rejects" if rejects else "")
        self._emit(severity, f"Cancel {label} orders", "Requested", text + ".")
        return len(cancelled)

    def session_order_count(self) -> int:
        """Open orders placed through this API key (what cancel-session cancels)."""
        return sum(1 for o in self.blotter.open_orders() if o.order_id and o.api_session == self.api_key)

    def open_order_count(self) -> int:
        """Open orders of the whole account (what cancel-all cancels)."""
        return sum(1 for o in self.blotter.open_orders() if o.order_id)

    async def cancel_scope(self, scope: OrderScope, order_ids: Iterable[str]) -> ScopeOutcome:
        """Cancel the orders of a scope (symbol, side, the blotter's filter) one by one, by order id.

        Never the venue's cancel-all or cancel-session: only ``order_ids`` (what the preview listed) are touched.
        Each goes through the one-order cancel path (PENDING_CANCEL until confirmed; a lost answer is retried with
        back-off; a refusal restores the order and says why). The cancels are sent together; once each is answered
        the status pane gets one line for the scope, e.g. ``"cancelled 4 ETHUSD orders; 1 already closed"``.

        Args:
            scope: the scope (for the status line).
            order_ids: the venue's order ids of the orders to cancel.

        Returns:
            How many were cancelled, had already closed, await confirmation, or were refused.
        """
        ids = list(dict.fromkeys(order_ids))
        self._withdraw_replacements(ids)
        now = self.clock_ms()
        closed = 0
        sent: list[str] = []
        for order_id in ids:
            order = self.blotter.get(order_id)
            if order is None or order.state.is_terminal:
                closed += 1  # filled or cancelled between the preview and the confirmation: nothing to send
                continue
            self.blotter.mark_pending_cancel(order_id, now)  # None when already pending cancel: sent again (safe)
            sent.append(order_id)
        results = await asyncio.gather(*(self._send_cancel(oid, retry=True) for oid in sent), return_exceptions=True)
        cancelled = pending = refused = 0
        for order_id, result in zip(sent, results, strict=True):
            if isinstance(result, BaseException):
                log.warning("scoped cancel of %s failed: %r", order_id, result)
                self.blotter.restore_after_failed_cancel(order_id, self.clock_ms())
            order = self.blotter.get(order_id)
            if order is not None and order.state is OrderState.CANCELLED:
                cancelled += 1
            elif order is None or order.state.is_terminal:
                closed += 1
            elif order.state is OrderState.PENDING_CANCEL:
                pending += 1
            else:
                refused += 1
        outcome = ScopeOutcome(scope, cancelled=cancelled, closed=closed, pending=pending, refused=refused)
        severity = Severity.WARNING if pending or refused else Severity.INFO
        self._emit(severity, f"Cancel {scope.label}", "Requested", outcome.text() + ".")
        return outcome
