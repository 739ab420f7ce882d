"""On the way out the console tells the trader what happened to the orders, in the terminal and in the journal.

The real console process runs on a pseudo-terminal against a local exchange in its own process (so the test can
take the exchange away before quitting), with an order of the console's key resting on the book.
"""

from __future__ import annotations

import asyncio
import fcntl
import json
import os
import select
import signal
import subprocess
import sys
import termios
import time
from decimal import Decimal
from pathlib import Path

import pytest

from console.domain.model import Side
from console.exchange.process import LocalExchangeProcess
from console.trading.deadman import EXIT_CANCEL_FAILED
from console.trading.journal import Journal
from console.venues.gemini.auth import NonceSource
from console.venues.gemini.credentials import Credentials
from console.venues.gemini.rest import GeminiRestClient

ROOT = Path(__file__).resolve().parents[2]


def _read(fd: int, until: bytes | None, timeout_s: float) -> bytes:
    """Read the terminal until ``until`` shows (None: until the console closes it) or ``timeout_s`` passes."""
    seen = b""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and (until is None or until not in seen):
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:  # EIO: every writer of the terminal has gone
                break
            if not chunk:
                break
            seen += chunk
    return seen


def _rest_order(info, state_dir: Path) -> str:
    """Rest a buy of the console's key far below the market (placed before the console starts); its order id."""

    async def place() -> str:
        credentials = Credentials(info.api_key, info.api_secret)
        rest = GeminiRestClient(info.rest_url, credentials, nonce=NonceSource.persistent(info.api_key,
                                                                                       state_dir=state_dir))
        try:
            status = await rest.new_order(symbol="btcusd", side=Side.BUY, amount=Decimal("0.01"),
                                          price=Decimal("1000.00"), client_order_id="tc-exit-000001")
            return str(status.order_id)
        finally:
            await rest.close()

    return asyncio.run(place())


def _run_console(tmp_path: Path, info, *settings: str):
    """Start ``python -m console.app.cli --rest-url …`` as the session leader of a new pseudo-terminal."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, b"\x24\x00\x78\x00\x00\x00\x00\x00")  # 36 rows, 120 columns

    def controlling_terminal() -> None:
        os.setsid()
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    env = {**os.environ, "TERM": "xterm-256color", "HOME": str(tmp_path), "XDG_STATE_HOME": str(tmp_path / "state"),
           "XDG_CONFIG_HOME": str(tmp_path / "config"), "PYTHONPATH": str(ROOT),
           "GEMINI_API_KEY": info.api_key, "GEMINI_API_SECRET": info.api_secret.get_secret_value()}
    argv = [sys.executable, "-m", "console.app.cli", "--rest-url", info.rest_url, "--set", "toasts=false"]
    for setting in settings:
        argv += ["--set", setting]
    proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env, cwd=tmp_path,
                            preexec_fn=controlling_terminal, close_fds=True)
    os.close(slave)
    return proc, master


def _quit(proc: subprocess.Popen, master: int) -> tuple[int, str]:
    """Press q, answer the quit confirmation (an order is working) with y; the exit status and what the console
    printed after leaving the screen."""
    os.write(master, b"q")
    dialog = _read(master, b"Quit (y)", timeout_s=15)
    assert b"Quit (y)" in dialog, dialog[-2000:]
    os.write(master, b"y")
    out = _read(master, None, timeout_s=30)
    code = proc.wait(timeout=20)
    return code, out.decode("utf-8", errors="replace")


@pytest.fixture
def venue():
    exchange = LocalExchangeProcess()
    info = exchange.start(simulator=False)
    try:
        yield exchange, info
    finally:
        exchange.stop()


@pytest.fixture
def cleanup():
    running: list[tuple[subprocess.Popen, int]] = []
    yield running
    for proc, master in running:
        try:
            os.close(master)
        except OSError:
            pass
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def _journal_exit(tmp_path: Path) -> dict:
    journal = Journal(tmp_path / "state" / "trading-console" / "journal.sqlite3")
    try:
        (record,) = journal.records(direction="exit")
        return json.loads(record.data)
    finally:
        journal.close()


def test_quit_with_cancel_on_exit_prints_what_was_cancelled(tmp_path, venue, cleanup):
    exchange, info = venue
    order_id = _rest_order(info, tmp_path / "state" / "trading-console")
    proc, master = _run_console(tmp_path, info, "cancel_on_exit=true")
    cleanup.append((proc, master))
    screen = _read(master, b"Stream live", timeout_s=30)
    assert b"Stream live" in screen, screen[-2000:]
    code, printed = _quit(proc, master)
    assert code == 0, printed[-2000:]
    assert f"Cancel-on-exit: 1 order cancelled: {order_id} BUY 0.01 BTCUSD @ 1,000.00." in printed, printed[-2000:]
    assert "No orders left working (per the exchange)." in printed
    record = _journal_exit(tmp_path)
    assert record["cancelled"] == [order_id] and record["cancel_failed"] is False and record["reason"] == "exit"


def test_quit_without_cancel_on_exit_names_the_orders_left_working(tmp_path, venue, cleanup):
    exchange, info = venue
    order_id = _rest_order(info, tmp_path / "state" / "trading-console")
    proc, master = _run_console(tmp_path, info, "cancel_on_exit=false")
    cleanup.append((proc, master))
    assert b"Stream live" in _read(master, b"Stream live", timeout_s=30)
    code, printed = _quit(proc, master)
    assert code == 0, printed[-2000:]
    assert "Cancel-on-exit is off: orders were left as they were." in printed, printed[-2000:]
    assert "1 order left working (per the exchange):" in printed
    assert f"  {order_id} BUY 0.01 BTCUSD @ 1,000.00" in printed


def test_a_failed_cancel_on_exit_is_loud_and_exits_non_zero(tmp_path, venue, cleanup):
    exchange, info = venue
    order_id = _rest_order(info, tmp_path / "state" / "trading-console")
    proc, master = _run_console(tmp_path, info, "cancel_on_exit=true")
    cleanup.append((proc, master))
    assert b"Stream live" in _read(master, b"Stream live", timeout_s=30)
    exchange.stop()  # the exchange is gone (its port closed) before the trader quits
    code, printed = _quit(proc, master)
    assert code == EXIT_CANCEL_FAILED, printed[-2000:]
    assert "!!! CANCEL-ON-EXIT FAILED: the exchange could not be reached" in printed, printed[-2000:]
    assert "reached: ConnectError: Connection refused" in printed
    assert "!!! 1 order left working (per the console's last view, not confirmed):" in printed
    assert f"!!!   {order_id} BUY 0.01 BTCUSD @ 1,000.00" in printed
    assert "!!! Orders may still be working" in printed
    record = _journal_exit(tmp_path)
    assert record["cancel_failed"] is True and "ConnectError" in record["cancel_error"]
