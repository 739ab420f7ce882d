"""Acknowledgement latency: per order and p50/p95."""

from console.domain.latency import LatencyTracker, percentile


def test_percentiles_nearest_rank():
    assert percentile([], 50) is None
    assert percentile([5], 95) == 5
    samples = list(range(1, 101))
    assert percentile(samples, 50) == 50 and percentile(samples, 95) == 95


def test_first_ack_wins_and_per_order_figures():
    t = LatencyTracker()
    t.new_sent("c1", 1000)
    assert t.acknowledged(order_id="7", client_order_id="c1", now_ms=1012) == 12
    assert t.acknowledged(order_id="7", client_order_id="c1", now_ms=1050) is None  # the stream, later
    t.cancel_sent("7", 2000)
    assert t.cancelled(order_id="7", now_ms=2009) == 9
    assert t.for_order("7").ack_ms == 12 and t.for_order("7").cancel_ms == 9
    assert t.for_order("c1").cancel_ms == 9
    assert t.cancelled(order_id="8", now_ms=3000) is None  # a cancel we never asked for (e.g. IOC)
    assert t.status_text() == "ack p50 12 ms p95 12 ms · cancel p50 9 ms p95 9 ms"
    assert LatencyTracker().status_text() == ""
