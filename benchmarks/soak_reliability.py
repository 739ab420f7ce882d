"""Reliability soak: the property test's state machine for much longer (``python -m benchmarks.soak_reliability``).

Random orders, cancels, market fills and faults against a fresh local exchange per example over real loopback
sockets; after each example the console's blotter must equal the exchange and no client order id may have been
placed twice (an AssertionError stops the run with hypothesis's minimal failing example). Prints what it did:
examples, steps, faults fired by kind, reconnects, and time per example. Run it inside a private network
namespace like the tests: ``unshare -n bash -c 'ip link set lo up && python -m benchmarks.soak_reliability'``.
"""

from __future__ import annotations

import argparse
import collections
import logging
import time

from hypothesis import HealthCheck, settings
from hypothesis.stateful import run_state_machine_as_test

from tests.reliability.test_property_faults import ConsoleVsExchange

STATS: collections.Counter[str] = collections.Counter()


class CountingMachine(ConsoleVsExchange):
    """The property test's machine, counting what each example did before it is torn down."""

    def teardown(self) -> None:
        STATS["examples"] += 1
        STATS["orders placed"] += len(self.placed)
        for kind, count in self.r.server.faults.fired.items():
            STATS[f"fault {kind}"] += count
        super().teardown()
        STATS["reconciliations (incl. first connect)"] += self.r.session.reconcile_count


def main(argv: list[str] | None = None) -> int:
    """Run the soak and print its numbers."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.soak_reliability", description=__doc__)
    parser.add_argument("--examples", type=int, default=1000, help="examples (default: %(default)s)")
    parser.add_argument("--steps", type=int, default=20, help="steps per example (default: %(default)s)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)  # the injected faults' warnings would drown the numbers
    started = time.perf_counter()
    run_state_machine_as_test(
        CountingMachine,
        settings=settings(max_examples=args.examples, stateful_step_count=args.steps, deadline=None,
                          database=None, suppress_health_check=list(HealthCheck)),
    )
    elapsed = time.perf_counter() - started
    print(f"soak: {STATS['examples']} examples, up to {args.steps} steps each, {elapsed:.1f} s "
          f"({elapsed / max(STATS['examples'], 1) * 1000:.0f} ms per example); every example settled equal to "
          "the exchange, no client order id placed twice")
    for name, count in sorted(STATS.items()):
        print(f"  {name:45s} {count:>8d}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
