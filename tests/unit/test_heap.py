"""console.heap.settle: one full collection, the survivors frozen, the young threshold raised (own process)."""

from __future__ import annotations

import subprocess
import sys
import textwrap


def test_settle_freezes_survivors_and_raises_the_young_threshold():
    # In a child process: settling changes the collector of the whole process, which pytest's must not inherit.
    code = textwrap.dedent("""
        import gc, weakref
        from console import heap
        class Node: pass
        node = Node(); node.me = node  # garbage in a cycle: the collection before the freeze must free it
        gone = weakref.ref(node)
        del node
        keep = [{"order": i} for i in range(1000)]
        assert gc.get_freeze_count() == 0
        frozen, seconds = heap.settle()
        assert frozen == gc.get_freeze_count() > 1000, frozen
        assert gc.get_threshold()[0] == heap.YOUNG_THRESHOLD
        assert seconds >= 0
        assert gone() is None
        print("ok", frozen)
    """)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ok ")
