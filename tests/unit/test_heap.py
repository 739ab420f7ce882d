"""console.app.heap.settle: one full collection, the survivors frozen, the young threshold raised (own process)."""

from __future__ import annotations

import subprocess
import sys
import textwrap


def test_settle_freezes_survivors_and_raises_the_young_threshold():
    # In a child process: settling changes the collector of the whole process, which pytest's must not inherit.
    code = textwrap.dedent("""
        import gc, weakref
        from console.app import heap
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


def test_release_free_memory_gives_freed_pages_in_the_middle_of_the_heap_back_to_the_os():
    # In a child process, on a clean heap. 80 MB of 1 KB blocks (each its own malloc, past pymalloc's 512 bytes),
    # then one block after them so the freed space is not at the top of the heap (which glibc trims by itself).
    code = textwrap.dedent("""
        import os
        from console.app import heap
        def rss_mb():
            with open("/proc/self/statm") as f:
                return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6
        blocks = [bytes(1024) + bytes([i % 256]) for i in range(80_000)]
        pin = bytes(1024) + b"pin"
        loaded = rss_mb()
        del blocks
        freed = rss_mb()
        assert heap.release_free_memory() is True
        released = rss_mb()
        print("ok", round(loaded), round(freed), round(released))
        assert freed - released > 40, (loaded, freed, released)  # without malloc_trim the RSS stays at `freed`
    """)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ok ")
