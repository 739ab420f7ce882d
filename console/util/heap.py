"""The garbage-collector policy of a long-running process (the console, the local exchange): once its long-lived
state is loaded, collect, freeze the survivors and raise the young generation's threshold.

Python's cyclic collector runs a young collection every 700 net allocations of container objects and promotes
what is still alive; promoted objects bring on the middle and full collections, which walk every object not frozen.
A process that builds thousands of short-lived containers per unit of work (a painted frame, an order's events)
keeps many of them alive at 700 and pays for walking and promoting them; at :data:`YOUNG_THRESHOLD` most have died
first. Freezing what is alive after loading takes it out of every later collection.

Source: https://docs.python.org/3/library/gc.html#gc.freeze and #gc.set_threshold
"""

from __future__ import annotations

import gc

#: Net allocations between two young-generation collections (Python's default is 700).
YOUNG_THRESHOLD = 10_000


def freeze_survivors() -> int:
    """Collect every generation once, move the survivors out of the collector's view (``gc.freeze``) and raise the
    young generation's threshold to :data:`YOUNG_THRESHOLD` (the older generations' thresholds are kept).

    Reference counting still frees frozen objects; only garbage in reference cycles that was already frozen stays
    (the collection just before the freeze removes what exists then).

    Returns:
        The number of objects frozen so far in this process.
    """
    gc.collect()
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, older, oldest)
    return gc.get_freeze_count()
