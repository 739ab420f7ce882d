"""``python -m benchmarks`` (``make bench``): every figure of issue #4, min / median / max over several runs.

The terminal-bandwidth rows (issue 18) run the real console in a pseudo-terminal and count the bytes it writes
(``benchmarks/bandwidth.py``); ``--bandwidth-seconds`` sets each window (default 60, 0 skips them).

Each pipeline run drives the real console headless (``App.run_test()``) against the local exchange in a child
process over a real WebSocket, once with the Line API orders table and once with the stock-``DataTable``
baseline (``benchmarks/baseline_table.py``), the same stream for both; the last column is how many times better
the new table's median is. Numbers only: nothing passes or fails.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import platform
import statistics
import sys
import time

from pydantic import SecretStr

from benchmarks import bandwidth
from benchmarks.baseline_table import BaselineOrdersTable
from benchmarks.bench_ack import measure as measure_ack
from benchmarks.bench_ack import print_figures as print_ack_figures
from benchmarks.bench_engine import engine_orders_per_s, engine_orders_per_s_plain
from benchmarks.bench_ingest import capture_frames, replay, replay_as_console
from benchmarks.bench_pipeline import progress, run_once
from benchmarks.exchange_proc import ExchangeProcess
from benchmarks.harness import Figure
from benchmarks.isolated import run_isolated_with_reference
from benchmarks.rss import rss_in_fresh_process, soak_in_fresh_process
from console.exchange.keys import DEMO_API_KEY, DEMO_API_SECRET
from console.tui.widgets.orders_table import OrdersTable
from console.venues.gemini.credentials import Credentials

LIVE_ORDERS = 10_000
SMALL_ORDERS = 100
EVENTS_PER_S = 2_000
#: What ``--only`` can choose: the engine, ingest, the pipeline runs (event → screen, keys, frames, start, RSS), the
#: terminal bandwidth rows, the soak and the key → acknowledgement figures.
SECTIONS = ("engine", "ingest", "pipeline", "bandwidth", "soak", "ack")
#: Runs of the throughput figures (ingest, engine): a few seconds each, and the machine's speed drifts.
THROUGHPUT_RUNS = 5


def _fmt(value: float) -> str:
    if math.isnan(value):
        return "n/a"
    if value >= 10_000:
        return f"{value:,.0f}"
    if value >= 100:
        return f"{value:.0f}"
    return f"{value:.1f}" if value >= 10 else f"{value:.2f}"


def _cell(summary) -> str:
    if summary is None:
        return "—"
    low, mid, high = summary
    return f"{_fmt(low)} / {_fmt(mid)} / {_fmt(high)}"


def print_table(figures: list[Figure], runs: int, baseline_runs: int, throughput_runs: int) -> None:
    """The issue's table as Markdown: docs/performance.md shows the latest; benchmarks/RESULTS.md logs each run."""
    print()
    print(f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on {machine()}; "
          f"{runs} runs (baseline {baseline_runs}; ingest and engine {throughput_runs}); min / median / max.")
    print()
    print("| what | target | Line API table | stock DataTable baseline | × better |")
    print("|---|---|---|---|---|")
    for f in figures:
        ratio = f.ratio()
        ratio_text = "—" if ratio is None else f"{ratio:.1f}×"
        print(f"| {f.name} ({f.unit}) | {f.target} | {_cell(f.summary())} | {_cell(f.baseline_summary())} "
              f"| {ratio_text} |")
    print()


def machine() -> str:
    """CPU model and core count (from /proc/cpuinfo), Python version."""
    model = platform.processor() or "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    import os

    return f"{model}, {os.cpu_count()} cores, Python {platform.python_version()}"


async def _ingest_frames() -> list[str]:
    credentials = Credentials(api_key=DEMO_API_KEY, api_secret=SecretStr(DEMO_API_SECRET))
    with ExchangeProcess() as exchange:
        return await capture_frames(exchange, exchange.ws_url, credentials, orders=LIVE_ORDERS, takers=800)


def bandwidth_figures() -> dict[str, Figure]:
    """The rows of issue 18: terminal bytes per second (quiet market, load) at two sizes, both modes; idle CPU."""
    figures: dict[str, Figure] = {}
    for columns, rows in bandwidth.SIZES:
        size = f"{columns}×{rows}"
        figures[f"bw_quiet_{columns}"] = Figure(f"terminal output, quiet market, no orders, {size}", "KB/s", "≤ 4")
        figures[f"bw_quiet_{columns}_low"] = Figure("  the same, --low-bandwidth", "KB/s", "≤ 1")
    for columns, rows in bandwidth.SIZES:
        size = f"{columns}×{rows}"
        figures[f"bw_load_{columns}"] = Figure(
            f"terminal output, {LIVE_ORDERS:,} orders at {EVENTS_PER_S:,} ev/s, {size}", "KB/s", "≤ 40")
        figures[f"bw_load_{columns}_low"] = Figure("  the same, --low-bandwidth", "KB/s", "≤ 10")
    figures["cpu_quiet"] = Figure("console CPU, quiet market, no orders, 120×36", "s per minute", "≤ 1.2 (2%)")
    figures["cpu_quiet_low"] = Figure("  the same, --low-bandwidth", "s per minute", "≤ 1.2 (2%)")
    return figures


def measure_bandwidth(figures: dict[str, Figure], seconds: float, runs: int, baseline: bool) -> None:
    """Run the console in a pty for each bandwidth row (``benchmarks/bandwidth.py``); the stock-DataTable baseline
    where a table is involved (under load)."""
    for run in range(runs):
        for workload in ("quiet", "load"):
            for columns, rows in bandwidth.SIZES:
                variants = [("", False, False), ("_low", True, False)]
                if workload == "load" and baseline:
                    variants.append(("", False, True))
                for suffix, low, is_baseline in variants:
                    what = "DataTable baseline" if is_baseline else ("--low-bandwidth" if low else "default")
                    progress(f"bandwidth run {run + 1}: {workload}, {columns}x{rows}, {what}, {seconds:g} s")
                    result = bandwidth.measure(
                        (columns, rows), seconds=seconds, low_bandwidth=low, baseline=is_baseline,
                        orders=LIVE_ORDERS if workload == "load" else 0,
                        events_per_s=EVENTS_PER_S if workload == "load" else 0)
                    progress(f"  {result.bytes_per_s / 1000:.2f} KB/s, CPU {result.cpu_s_per_min:.2f} s/min")
                    slot = "baseline" if is_baseline else "values"
                    getattr(figures[f"bw_{workload}_{columns}{suffix}"], slot).append(result.bytes_per_s / 1000)
                    if workload == "quiet" and columns == bandwidth.SIZES[0][0]:
                        figures[f"cpu_quiet{suffix}"].values.append(result.cpu_s_per_min)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs of every figure (default 3)")
    parser.add_argument("--baseline-runs", type=int, default=2, help="runs of the DataTable baseline (default 2)")
    parser.add_argument("--load-seconds", type=float, default=8.0, help="seconds of steady load per run")
    parser.add_argument("--soak-minutes", type=float, default=10,
                        help="soak under load with RSS sampling (default 10, the issue's soak; 0 skips it)")
    parser.add_argument("--bandwidth-seconds", type=float, default=60.0,
                        help="window of each terminal-bandwidth run, seconds (default 60; 0 skips them)")
    parser.add_argument("--bandwidth-runs", type=int, default=1, help="runs of each bandwidth figure (default 1)")
    parser.add_argument("--only", type=lambda text: set(text.split(",")), default=set(SECTIONS),
                        help=f"comma-separated sections to run, of {','.join(SECTIONS)} (default: all); the others' "
                             "rows print without figures")
    args = parser.parse_args(argv)
    unknown = args.only - set(SECTIONS)
    if unknown:
        parser.error(f"--only: unknown section(s) {', '.join(sorted(unknown))}")

    figures = {
        "ingest": Figure("ingest: WebSocket frame → parsed → order state", "events/s", "≥ 50,000",
                         higher_is_better=True),
        "ingest_plain": Figure("  the same, Python's default garbage-collector settings", "events/s", "—",
                               higher_is_better=True),
        "p50": Figure(f"event → screen p50, {LIVE_ORDERS:,} live, {EVENTS_PER_S:,} ev/s", "ms", "≤ 20"),
        "p99": Figure(f"event → screen p99, {LIVE_ORDERS:,} live, {EVENTS_PER_S:,} ev/s", "ms", "≤ 50"),
        "table": Figure("  of which event → table (before the frame), p50", "ms", "—"),
        "frame10k": Figure(f"one frame after a change, {LIVE_ORDERS:,} rows", "ms CPU", "—"),
        "frame100": Figure(f"one frame after a change, {SMALL_ORDERS} rows", "ms CPU", "—"),
        "frameratio": Figure(f"frame cost {LIVE_ORDERS:,} rows ÷ {SMALL_ORDERS} rows", "×", "≤ 1.5"),
        "key": Figure("keypress → visible p99 under that load", "ms", "≤ 33"),
        "key50": Figure("  keypress → visible p50", "ms", "—"),
        "usable": Figure("start → usable screen", "ms", "≤ 1,000"),
        "reconciled": Figure(f"start → reconciled table of {LIVE_ORDERS:,} orders", "ms", "≤ 2,000"),
        "rss": Figure(f"RSS with {LIVE_ORDERS:,} orders (fresh console process)", "MB", "≤ 150"),
        "soak": Figure(f"RSS growth over a {args.soak_minutes:g}-minute soak at {EVENTS_PER_S:,} ev/s", "MB",
                       "none"),
        **bandwidth_figures(),
        "engine": Figure("local exchange matching engine, in process", "orders/s", "≥ 50,000",
                         higher_is_better=True),
        "engine_plain": Figure("  the same, Python's default garbage-collector settings", "orders/s", "—",
                               higher_is_better=True),
        "reference": Figure("machine: a fixed pure-Python loop beside each ingest and engine run", "M loops/s", "—",
                            higher_is_better=True),
    }
    throughput_runs = max(args.runs, THROUGHPUT_RUNS)

    def measure(fn, *fn_args):
        value, reference = run_isolated_with_reference(fn, *fn_args)
        figures["reference"].values.append(reference)
        rate = value if isinstance(value, float) else value[0] / value[1]
        progress(f"  {fn.__name__}: {rate:,.0f}/s, the reference loop beside it {reference:.1f} M loops/s")
        return value

    progress("engine")
    # Each in a fresh process, as the exchange's engine runs in its own.
    for _ in range(throughput_runs if "engine" in args.only else 0):
        figures["engine"].values.append(measure(engine_orders_per_s))  # with the exchange's heap policy
        figures["engine_plain"].values.append(measure(engine_orders_per_s_plain))

    frames: list[str] = []
    if "ingest" in args.only:
        progress("ingest: recording frames from the exchange")
        frames = asyncio.run(_ingest_frames())
    credentials = Credentials(api_key=DEMO_API_KEY, api_secret=SecretStr(DEMO_API_SECRET))
    # Each in a fresh process with the console's heap policy, as the console runs.
    for _ in range(throughput_runs if "ingest" in args.only else 0):
        events, seconds = measure(replay_as_console, frames, credentials)
        figures["ingest"].values.append(events / seconds)
        events, seconds = measure(replay, frames, credentials)
        figures["ingest_plain"].values.append(events / seconds)

    for run in range(max(args.runs, args.baseline_runs) if "pipeline" in args.only else 0):
        variants = [(OrdersTable, figures, "values")]
        if run < args.baseline_runs:
            variants.append((BaselineOrdersTable, figures, "baseline"))
        for cls, _, slot in variants:
            if run >= args.runs and slot == "values":
                continue
            progress(f"run {run + 1}: {cls.__name__}, {LIVE_ORDERS:,} orders under load")
            big = asyncio.run(run_once(cls, LIVE_ORDERS, load_events_per_s=EVENTS_PER_S,
                                       load_s=args.load_seconds))
            progress(f"run {run + 1}: {cls.__name__}, {SMALL_ORDERS} orders")
            small = asyncio.run(run_once(cls, SMALL_ORDERS))
            for key, value in (
                ("p50", big.latency_p50_ms), ("p99", big.latency_p99_ms), ("table", big.to_table_p50_ms),
                ("frame10k", big.frame_ms), ("frame100", small.frame_ms),
                ("frameratio", big.frame_ms / small.frame_ms),
                ("key", big.key_p99_ms), ("key50", big.key_p50_ms),
                ("usable", big.usable_ms), ("reconciled", big.reconciled_ms),
            ):
                getattr(figures[key], slot).append(value)
            progress(f"run {run + 1}: {cls.__name__}, RSS in a fresh process")
            getattr(figures["rss"], slot).append(rss_in_fresh_process("baseline" if slot == "baseline" else "ours"))
            if big.undrained:
                progress(f"  {cls.__name__}: {big.undrained} new orders never reached the table in time")

    if args.bandwidth_seconds > 0 and "bandwidth" in args.only:
        measure_bandwidth(figures, args.bandwidth_seconds, args.bandwidth_runs, args.baseline_runs > 0)

    if args.soak_minutes > 0 and "soak" in args.only:
        progress(f"soak: {args.soak_minutes:g} minutes at {EVENTS_PER_S:,} events/s")
        samples = soak_in_fresh_process(EVENTS_PER_S, args.soak_minutes * 60)
        if len(samples) >= 3:
            settled = samples[len(samples) // 4]  # after the first quarter: caches warm, heap settled
            figures["soak"].values.append(samples[-1] - settled)
            progress("soak RSS samples (MB): " + ", ".join(f"{v:.1f}" for v in samples))

    print_table(list(figures.values()), args.runs, args.baseline_runs, throughput_runs)
    if "ack" in args.only:
        progress("key press → order acknowledged on screen, over --api rest and --api ws")
        print_ack_figures(asyncio.run(measure_ack()))
    ingest = figures["ingest"].summary()
    if ingest:
        print(f"Ingest replays {len(frames):,} recorded frames ({statistics.median(figures['ingest'].values):,.0f} "
              "events/s median).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
