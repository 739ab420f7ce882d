"""A terminal that goes away (SSH drop, tmux pane killed) ends the console: it exits, its exchange child with it.

Before ``console.tui.terminal``, Textual's writer thread died on the first ``EIO`` and the console hung for good in a
full write queue, its input thread spinning on the dead terminal.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import select
import signal
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

from console.trading.journal import Journal
from console.tui.terminal import HangupSafeOutput

CONSOLE = Path(sys.executable).with_name("trading-console")


class _DeadTerminal:
    def __init__(self) -> None:
        self.writes = 0

    def write(self, text: str) -> int:
        self.writes += 1
        raise OSError(errno.EIO, "Input/output error")

    def flush(self) -> None:
        raise OSError(errno.EIO, "Input/output error")


def test_a_failed_write_marks_the_terminal_gone_once_and_later_writes_are_dropped():
    calls: list[int] = []
    dead = _DeadTerminal()
    out = HangupSafeOutput(dead, lambda: calls.append(1))  # type: ignore[arg-type]
    assert out.write("frame 1") == len("frame 1")
    out.flush()
    assert out.write("frame 2") == len("frame 2")
    assert out.gone and calls == [1] and dead.writes == 1


def test_a_live_terminal_gets_every_write(tmp_path):
    with open(tmp_path / "tty.txt", "w") as stream:
        out = HangupSafeOutput(stream, lambda: pytest.fail("not gone"))
        out.write("abc")
        out.flush()
    assert (tmp_path / "tty.txt").read_text() == "abc" and not out.gone


def _read_until(fd: int, needle: bytes, timeout_s: float) -> bytes:
    seen = b""
    deadline = time.monotonic() + timeout_s
    while needle not in seen and time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                seen += os.read(fd, 65536)
            except OSError:
                break
    return seen


#: The session leader on the terminal, as `make run` is under tmux: it survives the hangup (here it ignores SIGHUP)
#: and waits for the console, so no SIGHUP reaches the console; only its writes fail (EIO).
_SESSION_LEADER = """
import signal, subprocess, sys
signal.signal(signal.SIGHUP, signal.SIG_IGN)
child = subprocess.Popen(sys.argv[1:], preexec_fn=lambda: signal.signal(signal.SIGHUP, signal.SIG_DFL))
sys.exit(child.wait())
"""


@pytest.mark.parametrize("sighup_reaches_the_console", [True, False], ids=["sighup", "no-sighup"])
def test_closing_the_terminal_ends_the_console_and_its_exchange(tmp_path, sighup_reaches_the_console):
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, b"\x24\x00\x78\x00\x00\x00\x00\x00")  # 36 rows, 120 columns

    def controlling_terminal() -> None:
        os.setsid()
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    env = {**os.environ, "TERM": "xterm-256color", "HOME": str(tmp_path), "XDG_STATE_HOME": str(tmp_path / "state")}
    # the console as session leader gets the kernel's SIGHUP; under a surviving leader it gets none
    argv = [str(CONSOLE)] if sighup_reaches_the_console else [sys.executable, "-c", _SESSION_LEADER, str(CONSOLE)]
    proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env, cwd=tmp_path,
                            preexec_fn=controlling_terminal, close_fds=True)
    os.close(slave)
    try:
        screen = _read_until(master, b"Stream live", timeout_s=30)
        assert b"Stream live" in screen, screen[-2000:]
        console_pids = [proc.pid] if sighup_reaches_the_console else _children(proc.pid)
        assert len(console_pids) == 1
        exchange_pids = _children(console_pids[0])
        assert exchange_pids
        os.close(master)  # the terminal goes away: the kernel hangs it up
        master = -1
        assert proc.wait(timeout=20) == 129  # the console's code (passed on by the leader)
        deadline = time.monotonic() + 10
        while any(_alive(pid) for pid in exchange_pids) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(_alive(pid) for pid in exchange_pids)
        # the terminal is gone, so the exit summary went to the journal (and the log) only
        journal = Journal(tmp_path / "state" / "trading-console" / "journal.sqlite3")
        try:
            (record,) = journal.records(direction="exit")
        finally:
            journal.close()
        summary = json.loads(record.data)
        assert summary["reason"] == ("SIGHUP" if sighup_reaches_the_console else "terminal gone")
        assert summary["cancel_on_exit"] is False and summary["working_confirmed"] is True
    finally:
        if master >= 0:
            os.close(master)
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def _children(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True, check=False)
    return [int(p) for p in out.stdout.split()]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as f:
        return f.read().split(") ", 1)[1][0] != "Z"
