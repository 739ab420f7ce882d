"""Bytes per second the console writes to its terminal, and its CPU while the market is quiet (issue 18).

Each run starts the real console (``trading-console --rest-url …``, the command line a trader runs, with its real
terminal driver) in a child process whose stdin, stdout and stderr are a fresh pseudo-terminal of the given size,
against the local exchange in another child process (``benchmarks/exchange_proc.py``, the market maker quoting
BTCUSD as under ``make run``). The benchmark holds the pty's master side and counts every byte read from it: what
``sshd`` (or tmux, or a terminal emulator) reads from the same place and sends over the link. Counting inside
Textual (its driver's ``write``) would miss nothing Textual writes either, but the pty is also where anything
else the process writes ends up, needs no Textual private, and runs the driver exactly as a trader's terminal
does; a headless ``run_test()`` has no driver output at all.

The pty says ``TERM=xterm-256color`` and ``COLORTERM=truecolor`` (what most terminal emulators export; a
truecolor colour escape is the longest Textual writes, so this is the worst case of the common ones).

Two workloads, each after a warm-up (the screen painted, the blotter reconciled):

- **quiet**: no orders; the market maker quotes and trades BTCUSD (the ladder and trades live); nothing pressed.
  Also the console process's CPU time (user + system, ``/proc/<pid>/stat``) over the window.
- **load**: 10,000 resting orders, then the pipeline benchmark's load (2,000 order events/s: orders placed and
  cancelled), with the market maker still quoting.

Run alone: ``python -m benchmarks.bandwidth --seconds 20`` (``make bench`` runs it with the other figures).
"""

from __future__ import annotations

import argparse
import asyncio
import fcntl
import os
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from benchmarks.exchange_proc import ExchangeProcess

#: Terminal sizes measured: the README's screenshot size and a large window.
SIZES = ((120, 36), (200, 60))
#: The symbol the market maker quotes (the ticket's first symbol, so the ladder and trades show it).
QUOTED = ("btcusd",)
#: Seconds between the console's first output and the start of the measured window.
WARMUP_QUIET_S = 6.0
WARMUP_LOAD_S = 10.0
_REPO = Path(__file__).resolve().parent.parent


@dataclass
class BandwidthResult:
    """One measured window."""

    bytes_per_s: float
    cpu_s_per_min: float
    seconds: float


class _PtyCounter:
    """Reads (and so drains) the pty's master side in a thread; counts the bytes."""

    def __init__(self, master: int) -> None:
        self._master = master
        self.total = 0
        self.recording: bytearray | None = None  # the window's bytes, when asked for (``--dump``)
        self.first_output = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="pty-counter")
        self._thread.start()

    def _run(self) -> None:
        while True:
            try:
                data = os.read(self._master, 65536)
            except OSError:  # EIO: the console has exited and the slave side is closed
                return
            if not data:
                return
            self.total += len(data)
            if self.recording is not None:
                self.recording += data
            self.first_output.set()

    def join(self) -> None:
        self._thread.join(5)


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` so far (fields 14 and 15 of ``/proc/<pid>/stat``)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(
    size: tuple[int, int],
    *,
    seconds: float,
    low_bandwidth: bool = False,
    baseline: bool = False,
    orders: int = 0,
    events_per_s: float = 0,
    dump: Path | None = None,
) -> BandwidthResult:
    """Run the console in a ``size`` (columns, rows) pty; bytes/s and CPU over ``seconds`` after the warm-up.

    With ``orders``, that many resting orders are seeded before the console starts and the exchange runs the
    pipeline load at ``events_per_s`` during the window. ``baseline`` swaps in the stock-``DataTable`` orders
    table (``benchmarks/baseline_table.py``). ``dump``: write the window's raw bytes there (to see where they go:
    ``python -m benchmarks.bandwidth_where FILE``).
    """
    columns, rows = size
    with ExchangeProcess(simulated_symbols=QUOTED) as exchange, tempfile.TemporaryDirectory() as tmp:
        if orders:
            exchange.seed(orders)
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
        from console.exchange.keys import DEMO_API_KEY, DEMO_API_SECRET

        env = {
            **os.environ,
            "TERM": "xterm-256color",
            "COLORTERM": "truecolor",
            "PYTHONPATH": str(_REPO),
            "GEMINI_API_KEY": DEMO_API_KEY,
            "GEMINI_API_SECRET": DEMO_API_SECRET,
            "XDG_STATE_HOME": tmp,  # the nonce's high-water mark and the log stay out of the user's state
            "XDG_CONFIG_HOME": tmp,  # no desk config file of the user's
            "COLUMNS": str(columns),
            "LINES": str(rows),
        }
        for name in ("TEXTUAL_FPS", "TEXTUAL_COLOR_SYSTEM", "NO_COLOR"):
            env.pop(name, None)
        argv = [sys.executable, "-m", "benchmarks.bandwidth", "--child"]
        if baseline:
            argv.append("--baseline")
        argv += ["--", "--rest-url", exchange.rest_url, "--ws-url", exchange.ws_url, "--set", "journal=false",
                 "--log-file", str(Path(tmp) / "console.log")]
        if low_bandwidth:
            argv.append("--low-bandwidth")
        proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env, cwd=_REPO,
                                start_new_session=True, close_fds=True)
        os.close(slave)
        counter = _PtyCounter(master)
        try:
            if not counter.first_output.wait(60):
                raise RuntimeError("the console wrote nothing to its terminal in 60 s")
            time.sleep(WARMUP_LOAD_S if orders else WARMUP_QUIET_S)
            if proc.poll() is not None:
                raise RuntimeError(f"the console exited with {proc.returncode} during the warm-up")
            if dump is not None:
                counter.recording = bytearray()
            bytes0, cpu0, t0 = counter.total, _cpu_seconds(proc.pid), time.monotonic()
            if orders and events_per_s:
                asyncio.run(exchange.load(events_per_s, seconds))
            else:
                time.sleep(seconds)
            bytes1, cpu1, t1 = counter.total, _cpu_seconds(proc.pid), time.monotonic()
            if dump is not None and counter.recording is not None:
                dump.write_bytes(bytes(counter.recording))
        finally:
            proc.terminate()  # the console started here, by its id; LOCAL: cancel-on-exit is off
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)
            counter.join()
            os.close(master)
    elapsed = t1 - t0
    return BandwidthResult((bytes1 - bytes0) / elapsed, (cpu1 - cpu0) / elapsed * 60, elapsed)


def _child(argv: list[str]) -> int:
    """In the pty: the console's command line, with the baseline table swapped in when asked."""
    baseline = "--baseline" in argv[: argv.index("--")]
    cli_args = argv[argv.index("--") + 1:]
    if baseline:
        from benchmarks.baseline_table import BaselineOrdersTable
        from console.tui import app as app_module
        from console.tui.screens import main as main_module

        # The benchmark's swap, as harness.py's table_class (the app's bootstrap hands the table its tick sizes).
        main_module.OrdersTable = app_module.OrdersTable = BaselineOrdersTable  # type: ignore[misc]
    from console.app.cli import main

    return main(cli_args)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["--child"]:
        return _child(argv[1:])
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bandwidth", description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="measured window of each run (default 60)")
    parser.add_argument("--only", choices=("quiet", "load"), help="one workload only")
    parser.add_argument("--size", choices=[f"{c}x{r}" for c, r in SIZES], help="one terminal size only")
    parser.add_argument("--baseline", action="store_true", help="also the stock-DataTable baseline under load")
    parser.add_argument("--low-bandwidth-only", action="store_true", help="the low-bandwidth mode only")
    parser.add_argument("--default-only", action="store_true", help="the default mode only")
    parser.add_argument("--dump", type=Path, help="directory: each window's raw bytes, one file per run")
    args = parser.parse_args(argv)
    sizes = [s for s in SIZES if args.size in (None, f"{s[0]}x{s[1]}")]
    for workload in ("quiet", "load"):
        if args.only not in (None, workload):
            continue
        for size in sizes:
            variants = [(False, False), (True, False)] + ([(False, True)] if args.baseline and workload == "load"
                                                          else [])
            for low, baseline in variants:
                if (low and args.default_only) or (not low and args.low_bandwidth_only):
                    continue
                label = "baseline DataTable" if baseline else ("low-bandwidth" if low else "default")
                dump = None
                if args.dump is not None:
                    args.dump.mkdir(parents=True, exist_ok=True)
                    dump = args.dump / f"{workload}-{size[0]}x{size[1]}-{label.replace(' ', '-')}.bin"
                result = measure(size, seconds=args.seconds, low_bandwidth=low, baseline=baseline,
                                 orders=10_000 if workload == "load" else 0,
                                 events_per_s=2_000 if workload == "load" else 0, dump=dump)
                print(f"{workload:5} {size[0]}x{size[1]} {label:18} {result.bytes_per_s / 1000:8.2f} KB/s  "
                      f"CPU {result.cpu_s_per_min:5.2f} s/min ({result.cpu_s_per_min / 60 * 100:4.1f}% of a core)",
                      flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
