"""Heap policy for a long-running console: once the blotter is loaded, collect, freeze, and give memory back."""

from __future__ import annotations

import ctypes
import logging
import time

from console.util.heap import YOUNG_THRESHOLD, freeze_survivors

log = logging.getLogger(__name__)

# YOUNG_THRESHOLD (console.util.heap, shared with the local exchange): painting a frame allocates thousands of
# short-lived strips and segments; with Python's default most of them are still alive when the collector runs, so
# they are walked and promoted, and promoted objects bring on the full collections (``make bench``: a full
# collection every second under load with 700, none with 10,000).
__all__ = ["YOUNG_THRESHOLD", "release_free_memory", "settle"]


def settle() -> tuple[int, float]:
    """Collect every generation once, move all survivors out of the collector's view (``gc.freeze``), raise the
    young generation's threshold to :data:`YOUNG_THRESHOLD`, and give the C heap's free pages back to the OS
    (:func:`release_free_memory`).

    Python's cyclic collector runs a full (generation 2) collection whenever the objects promoted since the last
    one exceed a quarter of the long-lived ones, and a full collection walks every object in the process: with a
    reconciled blotter of 10,000 orders (and Textual's widget tree) that is 100–200 ms during which nothing is
    painted and no key is read — several times a second under a busy order stream. The objects alive once the
    blotter is loaded (modules, widgets, the orders themselves) live for the whole session, so they are frozen:
    later collections walk only what was created after, and the freeze raises the bar for the next full
    collection. Reference counting still frees frozen objects as usual; only garbage in reference cycles that was
    already frozen stays (the collection just before the freeze removes what exists then).

    Returns:
        (objects frozen, seconds the collection and freeze took).

    Source: https://docs.python.org/3/library/gc.html#gc.freeze and #gc.set_threshold
    """
    start = time.perf_counter()
    frozen = freeze_survivors()
    released = release_free_memory()
    elapsed = time.perf_counter() - start
    log.info("heap settled: %d objects frozen, free memory %s, in %.0f ms", frozen,
             "given back" if released else "kept (no malloc_trim here)", elapsed * 1000)
    return frozen, elapsed


def release_free_memory() -> bool:
    """Give the C heap's free pages back to the operating system (glibc's ``malloc_trim(0)``); False where the C
    library has no such call (musl, macOS), and nothing changes.

    Reconciling 10,000 orders parses a ``/v1/orders`` answer and a stream snapshot of several MB each; once they
    are freed the memory stays in the process (glibc returns only the free space at the top of its heap).
    ``malloc_trim`` releases the free pages anywhere in the heap; it takes a few ms, once. ``make bench``: 149 MB
    with 10,000 orders before, 102 MB after; under a steady stream part of it is touched again and a fresh console
    levels off at ~117 MB (~142 MB without the trim, by hand).

    Source: https://man7.org/linux/man-pages/man3/malloc_trim.3.html
    """
    try:
        trim = ctypes.CDLL(None).malloc_trim  # the C library already loaded in this process; no library search
    except (OSError, AttributeError):
        return False
    trim(0)
    return True
