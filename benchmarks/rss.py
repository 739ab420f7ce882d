"""RSS of a fresh console process with a reconciled table (Python seldom returns freed memory to the OS)."""

from __future__ import annotations

import asyncio

from benchmarks.baseline_table import BaselineOrdersTable
from benchmarks.bench_pipeline import run_once
from console.tui.widgets.orders_table import OrdersTable

LIVE_ORDERS = 10_000


def _soak_child(events_per_s: float, seconds: float, queue) -> None:
    result = asyncio.run(run_once(OrdersTable, LIVE_ORDERS, load_events_per_s=events_per_s, frame_samples=0,
                                  soak_s=seconds))
    queue.put(result.soak_rss_mb)


def _rss_child(table_name: str, queue) -> None:
    cls = BaselineOrdersTable if table_name == "baseline" else OrdersTable
    result = asyncio.run(run_once(cls, LIVE_ORDERS, frame_samples=0))
    queue.put(result.rss_mb)


def _in_fresh_process(target, args: tuple, name: str, timeout_s: float):
    import multiprocessing as mp

    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    child = ctx.Process(target=target, args=(*args, queue), name=name)
    child.start()
    try:
        return queue.get(timeout=timeout_s)
    finally:
        child.join(30)


def soak_in_fresh_process(events_per_s: float, seconds: float) -> list[float]:
    """RSS samples (MB, every 5% of ``seconds``) of a fresh console process holding ``LIVE_ORDERS`` orders under
    ``events_per_s`` of placements and cancels: the console's own memory, not the benchmark process's (which holds
    every earlier run)."""
    return _in_fresh_process(_soak_child, (events_per_s, seconds), "bench-soak", seconds + 180)


def rss_in_fresh_process(table_name: str) -> float:
    """RSS (MB) of a fresh console process holding a reconciled table of ``LIVE_ORDERS`` orders.

    A fresh process, because Python rarely gives freed memory back to the OS: measured in this process, the
    figure would carry every earlier run.
    """
    return _in_fresh_process(_rss_child, (table_name,), "bench-rss", 120)
