"""The local exchange applies its heap policy once it is serving (``console.util.heap.freeze_survivors``): its
engine's short-lived events die before a young collection, and its loaded markets leave every later collection."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap

import pytest

from console.exchange import cli


def test_the_exchange_command_freezes_its_loaded_state_once_it_serves(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[bool] = []

    def stop_at_once(*, exit_with_stdin: bool) -> asyncio.Event:
        stop = asyncio.Event()
        stop.set()
        return stop

    # Recorded, not applied: the policy changes the collector of the whole process (pytest's here).
    monkeypatch.setattr(cli, "freeze_survivors", lambda: calls.append(True) or 0)
    monkeypatch.setattr(cli, "stop_event", stop_at_once)
    assert cli.main(["--port", "0", "--no-simulator", "--host", "127.0.0.1"]) == 0
    assert calls == [True]


def test_freeze_survivors_freezes_and_raises_the_young_threshold() -> None:
    code = textwrap.dedent("""
        import gc
        from console.util.heap import YOUNG_THRESHOLD, freeze_survivors
        keep = [{"order": i} for i in range(1000)]
        frozen = freeze_survivors()
        assert frozen == gc.get_freeze_count() > 1000, frozen
        assert gc.get_threshold()[0] == YOUNG_THRESHOLD
        print("ok")
    """)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
