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


def test_acknowledgements_of_orders_it_never_timed_leave_nothing_behind():
    """A busy account's other orders (placed elsewhere) are acknowledged all day: the tracker keeps none of them."""
    t = LatencyTracker()
    for n in range(1_000):
        assert not t.awaits(order_id=str(n), client_order_id=f"elsewhere-{n}")
        assert t.acknowledged(order_id=str(n), client_order_id=f"elsewhere-{n}", now_ms=n) is None
    assert t._order_of_client == {} and t._by_key == {}  # memory: nothing grows with other orders


def test_awaits_the_orders_it_times_until_their_acknowledgement():
    t = LatencyTracker()
    t.new_sent("c1", 1000)
    t.cancel_sent("9", 1000)
    assert t.awaits(order_id="7", client_order_id="c1") and t.awaits(order_id="9", client_order_id=None)
    t.acknowledged(order_id="7", client_order_id="c1", now_ms=1010)
    t.cancelled(order_id="9", now_ms=1010)
    assert not t.awaits(order_id="7", client_order_id="c1") and not t.awaits(order_id="9", client_order_id=None)


def test_the_status_text_is_worked_out_again_only_after_a_new_sample(monkeypatch):
    t = LatencyTracker()
    t.new_sent("c1", 1000)
    t.acknowledged(order_id="7", client_order_id="c1", now_ms=1012)
    computed = []
    original = t._status_text
    monkeypatch.setattr(t, "_status_text", lambda: computed.append(1) or original())
    assert t.status_text() == t.status_text() == "ack p50 12 ms p95 12 ms"
    assert len(computed) == 1
    t.new_sent("c2", 2000)
    t.acknowledged(order_id="8", client_order_id="c2", now_ms=2020)
    assert t.status_text() == "ack p50 12 ms p95 20 ms"
    assert len(computed) == 2
