"""Measure how many market data v2 messages per second the client parses and applies to its book.

Run: ``python benchmarks/market_data.py`` (prints numbers; it does not pass or fail). It feeds
:class:`console.venues.gemini.market_data.L2Feed` (JSON parse, pydantic validation, Decimal conversion, book update and
the crossed-book check — everything the client does per frame except the socket read) with a seeded stream:
a 200-level-per-side snapshot, then ``l2_updates`` deltas of 1-3 level changes around the touch and ``trade``
messages, the mix the local exchange sends while its simulator runs.
"""

from __future__ import annotations

import json
import random
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from console.domain.book import OrderBook  # noqa: E402
from console.venues.gemini.market_data import L2Feed  # noqa: E402

LEVELS_PER_SIDE = 200
MESSAGES = 60_000
MID = Decimal("64250.00")
TICK = Decimal("0.01")


def build_stream(seed: int = 7) -> tuple[str, list[str]]:
    """The snapshot frame and MESSAGES delta/trade frames, never crossing (bids below MID, asks above)."""
    rng = random.Random(seed)
    changes = []
    for side, sign in (("buy", -1), ("sell", 1)):
        for i in range(LEVELS_PER_SIDE):
            changes.append([side, str(MID + sign * TICK * (i + 1)), str(Decimal(rng.randint(1, 200)) / 100)])
    snapshot = json.dumps({"type": "l2_updates", "symbol": "BTCUSD", "changes": changes, "trades": []})
    frames = []
    tid = 1
    for _ in range(MESSAGES):
        if rng.random() < 0.15:
            tid += 1
            frames.append(json.dumps({"type": "trade", "symbol": "BTCUSD", "event_id": tid,
                                      "timestamp": 1_700_000_000_000, "price": str(MID), "quantity": "0.01",
                                      "side": rng.choice(["buy", "sell"]), "tid": tid}))
            continue
        delta = []
        for _ in range(rng.randint(1, 3)):
            side = rng.choice(["buy", "sell"])
            offset = TICK * rng.randint(1, 40)
            price = MID - offset if side == "buy" else MID + offset
            amount = "0" if rng.random() < 0.3 else str(Decimal(rng.randint(1, 200)) / 100)
            delta.append([side, str(price), amount])
        frames.append(json.dumps({"type": "l2_updates", "symbol": "BTCUSD", "changes": delta}))
    return snapshot, frames


def main() -> int:
    snapshot, frames = build_stream()
    changes = sum(len(json.loads(f).get("changes", ())) for f in frames)
    best = 0.0
    for _ in range(3):
        feed = L2Feed("btcusd", OrderBook("btcusd"))
        start = time.perf_counter()
        feed.feed(snapshot)
        snap_s = time.perf_counter() - start
        start = time.perf_counter()
        for frame in frames:
            feed.feed(frame)
        elapsed = time.perf_counter() - start
        best = max(best, len(frames) / elapsed)
    print(f"snapshot of {2 * LEVELS_PER_SIDE} levels applied in {snap_s * 1000:.1f} ms")
    print(f"market data messages parsed+applied: {best:,.0f} /s  ({MESSAGES:,} messages, {changes:,} level changes)")
    print(f"level changes applied: {best * changes / len(frames):,.0f} /s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
