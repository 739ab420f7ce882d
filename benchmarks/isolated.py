"""Run one in-process benchmark in a fresh child process, so the harness's own heap does not tax it.

The benchmark process holds Textual, every console module, recorded frames and the results of earlier runs; a
figure measured there includes the garbage collector walking all of that. The console and the local exchange
each run in their own process, so their components are measured the same way.
"""

from __future__ import annotations

import multiprocessing as mp
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
