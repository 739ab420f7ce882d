"""RSS of a fresh console process with a reconciled table (Python seldom returns freed memory to the OS)."""

from __future__ import annotations

import asyncio

from benchmarks.baseline_table import BaselineOrdersTable
from benchmarks.bench_pipeline import run_once
from console.tui.widgets.orders_table import OrdersTable

LIVE_ORDERS = 10_000


def _rss_child(table_name: str, queue) -> None:
    cls = BaselineOrdersTable if table_name == "baseline" else OrdersTable
    result = asyncio.run(run_once(cls, LIVE_ORDERS, frame_samples=0))
    queue.put(result.rss_mb)


def rss_in_fresh_process(table_name: str) -> float:
    """RSS (MB) of a fresh console process holding a reconciled table of ``LIVE_ORDERS`` orders.

    A fresh process, because Python rarely gives freed memory back to the OS: measured in this process, the
    figure would carry every earlier run.
    """
    import multiprocessing as mp

    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    child = ctx.Process(target=_rss_child, args=(table_name, queue), name="bench-rss")
    child.start()
    try:
        return queue.get(timeout=120)
    finally:
        child.join(30)
