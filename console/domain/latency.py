"""Acknowledgement latency per order: new order sent → accepted/booked, cancel sent → cancelled.

Pure domain: the caller says when things were sent and acknowledged (monotonic ms). Figures are kept per order
(for the order detail) and as recent samples for p50/p95 (for the status bar).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class OrderLatency:
    """One order's acknowledgement latencies in ms; None until measured."""

    ack_ms: int | None = None
    cancel_ms: int | None = None


def percentile(samples: list[int], pct: float) -> int | None:
    """Nearest-rank percentile of ``samples`` (ms); None when empty. ``pct`` in 0..100."""
    if not samples:
        return None
    ordered = sorted(samples)
    rank = max(1, -(-len(ordered) * pct // 100))  # ceil(n * pct / 100), at least 1
    return ordered[int(rank) - 1]


class LatencyTracker:
    """Matches sends with their acknowledgements.

    New orders are matched by client order id (known at send time), cancels by order id. The first
    acknowledgement wins (REST answer or stream event, whichever arrives first); later ones are ignored.

    Args:
        window: how many recent samples of each kind feed the percentiles.
    """

    def __init__(self, window: int = 500) -> None:
        self._new_sent: dict[str, int] = {}
        self._cancel_sent: dict[str, int] = {}
        self._order_of_client: dict[str, str] = {}
        self._by_key: dict[str, OrderLatency] = {}
        self._ack_samples: deque[int] = deque(maxlen=window)
        self._cancel_samples: deque[int] = deque(maxlen=window)
        self._text: str | None = None  # status_text() until the next sample

    def awaits(self, *, order_id: str, client_order_id: str | None) -> bool:
        """True while an acknowledgement of this order (its new order by ``client_order_id``, or a cancel of
        ``order_id``) would give a figure: the order-event tap skips the events of every other order (most of them
        under a busy stream, none of them the console's)."""
        return (client_order_id is not None and client_order_id in self._new_sent) or order_id in self._cancel_sent

    def new_sent(self, client_order_id: str, now_ms: int) -> None:
        """A new order with ``client_order_id`` left the console at ``now_ms``."""
        self._new_sent.setdefault(client_order_id, now_ms)

    def cancel_sent(self, order_id: str, now_ms: int) -> None:
        """A cancel of ``order_id`` left the console at ``now_ms``."""
        self._cancel_sent.setdefault(order_id, now_ms)

    def acknowledged(self, *, order_id: str, client_order_id: str | None, now_ms: int) -> int | None:
        """The venue accepted (or booked) an order; return its latency in ms if this was the first ack.

        Only the console's own new orders (those :meth:`new_sent` told of) are remembered: the acknowledgements of
        every other order on the account are ignored, so the tracker's memory stays that of the console's orders.
        """
        sent = self._new_sent.pop(client_order_id, None) if client_order_id else None
        if sent is None:
            return None
        assert client_order_id is not None  # a send is found by its client order id
        self._order_of_client[order_id] = client_order_id
        latency = max(0, now_ms - sent)
        self._set(order_id, client_order_id, ack_ms=latency)
        self._ack_samples.append(latency)
        self._text = None
        return latency

    def cancelled(self, *, order_id: str, now_ms: int) -> int | None:
        """The venue confirmed a cancel; return its latency in ms if the console had asked for it."""
        sent = self._cancel_sent.pop(order_id, None)
        if sent is None:
            return None
        latency = max(0, now_ms - sent)
        self._set(order_id, self._order_of_client.get(order_id), cancel_ms=latency)
        self._cancel_samples.append(latency)
        self._text = None
        return latency

    def _set(self, order_id: str, client_order_id: str | None, **changes: int) -> None:
        current = self._by_key.get(order_id) or OrderLatency()
        updated = OrderLatency(**{"ack_ms": current.ack_ms, "cancel_ms": current.cancel_ms, **changes})
        for key in filter(None, (order_id, client_order_id)):
            self._by_key[key] = updated

    def for_order(self, order_id: str) -> OrderLatency:
        """The latencies of one order (by order id or client order id), for the order detail view."""
        return self._by_key.get(order_id, OrderLatency())

    def summary(self) -> dict[str, tuple[int | None, int | None, int]]:
        """``{"ack": (p50_ms, p95_ms, n), "cancel": (p50_ms, p95_ms, n)}`` over the recent window."""
        out = {}
        for name, samples in (("ack", list(self._ack_samples)), ("cancel", list(self._cancel_samples))):
            out[name] = (percentile(samples, 50), percentile(samples, 95), len(samples))
        return out

    def status_text(self) -> str:
        """``"ack p50 12 ms p95 30 ms · cancel p50 9 ms p95 15 ms"``; ``""`` before any sample.

        Worked out again only after a new sample (the status pane asks every second).
        """
        if self._text is None:
            self._text = self._status_text()
        return self._text

    def _status_text(self) -> str:
        parts = []
        for name, (p50, p95, n) in self.summary().items():
            if n:
                parts.append(f"{name} p50 {p50} ms p95 {p95} ms")
        return " · ".join(parts)
