"""Run one in-process benchmark in a fresh child process, so the harness's own heap does not tax it.

The benchmark process holds Textual, every console module, recorded frames and the results of earlier runs; a
figure measured there includes the garbage collector walking all of that. The console and the local exchange
each run in their own process, so their components are measured the same way.
"""

from __future__ import annotations

import multiprocessing as mp
import time
from collections.abc import Callable
from typing import Any


def _child(fn: Callable[..., Any], args: tuple, queue) -> None:
    try:
        queue.put(("ok", fn(*args)))
    except BaseException as exc:  # noqa: BLE001 - handed to the parent, which raises it
        queue.put(("error", repr(exc)))


def run_isolated(fn: Callable[..., Any], *args: Any, timeout_s: float = 300) -> Any:
    """``fn(*args)`` in a fresh (spawned) process; its return value, or RuntimeError with the child's error.

    ``fn`` must be importable by name (a module-level function) and its arguments and result picklable.
    """
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    child = ctx.Process(target=_child, args=(fn, args, queue), name="bench-isolated")
    child.start()
    try:
        status, value = queue.get(timeout=timeout_s)
    finally:
        child.join(30)
        if child.is_alive():
            child.kill()
    if status != "ok":
        raise RuntimeError(f"isolated benchmark {fn.__name__} failed: {value}")
    return value


#: Iterations of the reference loop: about 0.1–0.2 s on the development machine.
REFERENCE_LOOPS = 2_000_000


def reference_loop_mops(loops: int = REFERENCE_LOOPS) -> float:
    """A fixed pure-Python loop (integer arithmetic, no allocation to speak of); millions of iterations per second.

    It measures the machine, not the console: on a shared host the same loop runs up to ~1.7× slower or faster from
    one minute to the next, and a throughput figure measured beside it moves with it.
    """
    start = time.perf_counter()
    total = 0
    for i in range(loops):
        total += i * i % 7
    return loops / (time.perf_counter() - start) / 1e6


def _with_reference(fn: Callable[..., Any], args: tuple) -> tuple[Any, float]:
    before = reference_loop_mops()
    value = fn(*args)
    after = reference_loop_mops()
    return value, (before + after) / 2


def run_isolated_with_reference(fn: Callable[..., Any], *args: Any, timeout_s: float = 300) -> tuple[Any, float]:
    """``run_isolated(fn, *args)``, with the reference loop run in the same child just before and after ``fn``.

    Returns (``fn``'s value, the mean reference speed in millions of iterations per second).
    """
    return run_isolated(_with_reference, fn, args, timeout_s=timeout_s)
