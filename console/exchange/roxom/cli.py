"""Run the local Roxom venue on its own: ``trading-console exchange --venue roxom [--ready-json]``."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from console.exchange.lifecycle import stop_event
from console.exchange.roxom.keys import default_state_dir
from console.venues.roxom.auth import BodyEncoding, KeyFileError, Padding, mask_key_id

__all__ = ["build_parser", "main"]

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8788

log = logging.getLogger("console.exchange.roxom")


def build_parser(prog: str = "trading-console exchange --venue roxom") -> argparse.ArgumentParser:
    """The local Roxom venue's argument parser."""
    parser = argparse.ArgumentParser(
        prog=prog,
        description=(
            "Run a local venue speaking Roxom's REST and WebSocket API (RSA-signed) on one loopback port, with BTC-"
            "quoted perpetuals (US500-BTC, GOLD-BTC, OIL-BTC) and a simulated market maker. No network, no real money."
        ),
    )
    parser.add_argument("--host", default=DEFAULT_HOST, help="interface to bind (default: %(default)s)")
    parser.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help="TCP port; 0 picks a free one (default: %(default)s)"
    )
    parser.add_argument(
        "--state-dir",
        type=Path,
        default=None,
        help=f"where the demo private key is made at first start (default: {default_state_dir()})",
    )
    parser.add_argument("--seed", type=int, default=7, help="random seed of the simulated market (default: 7)")
    parser.add_argument("--no-simulator", action="store_true", help="no market maker: empty, quiet books")
    parser.add_argument(
        "--cancel-latency-ms",
        type=int,
        default=100,
        help="how long a cancel stays pendingcancel before it completes; fills may arrive meanwhile (default: 100)",
    )
    parser.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="KIND[:key=value,...]",
        help="arm a fault at start (repeatable), e.g. 'http-error:status=503,path=/api/v1/orders,count=2' or "
        "'stall-stream'; more at runtime with POST /_faults (see console/exchange/roxom/faults.py)",
    )
    parser.add_argument(
        "--signature-padding",
        choices=[p.value for p in Padding],
        default=Padding.PKCS1V15.value,
        help="RSA padding the venue verifies (Roxom's docs leave it open; the console's roxom.signature_padding "
        "must match) (default: %(default)s)",
    )
    parser.add_argument(
        "--body-encoding",
        choices=[e.value for e in BodyEncoding],
        default=BodyEncoding.KEY_VALUE.value,
        help="how the sorted body params are joined in the string to sign (the console's roxom.body_encoding must "
        "match) (default: %(default)s)",
    )
    parser.add_argument(
        "--ready-json",
        action="store_true",
        help='print one JSON line {"rest_url", "ws_url", "api_key", "private_key_path"} to stdout once listening '
        "(human text goes to stderr then)",
    )
    parser.add_argument(
        "--exit-with-stdin", action="store_true", help="exit when stdin reaches end of file (the parent process died)"
    )
    parser.add_argument(
        "--log-level", default="INFO", choices=("DEBUG", "INFO", "WARNING", "ERROR"), help="stderr log level"
    )
    return parser



async def _serve(args: argparse.Namespace) -> int:
    from console.exchange.roxom.app import RoxomServer  # deferred: keeps --help fast
    from console.exchange.roxom.faults import parse_fault_spec

    if args.cancel_latency_ms < 0:
        print("error: --cancel-latency-ms must not be negative", file=sys.stderr)
        return 2
    server = RoxomServer(
        host=args.host,
        port=args.port,
        simulator=not args.no_simulator,
        seed=args.seed,
        state_dir=args.state_dir,
        cancel_latency_s=args.cancel_latency_ms / 1000,
        padding=Padding(args.signature_padding),
        body_encoding=BodyEncoding(args.body_encoding),
    )
    for spec in args.fault:
        try:
            server.faults.arm(**parse_fault_spec(spec))
        except (ValueError, TypeError) as exc:
            print(f"error: --fault {spec!r}: {exc}", file=sys.stderr)
            return 2
    try:
        await server.start()
    except KeyFileError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"error: cannot start on {args.host}:{args.port}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    stop = stop_event(exit_with_stdin=args.exit_with_stdin)
    try:
        human_out = sys.stderr if args.ready_json else sys.stdout
        lines = [
            "Local Roxom-compatible venue (no real money, loopback only)" if args.host == DEFAULT_HOST
            else f"Local Roxom-compatible venue (no real money), listening on {args.host}: plain HTTP, no TLS",
            f"  REST:          {server.rest_url}/api/v1",
            f"  WebSocket:     {server.ws_url}",
            f"  API key:       {mask_key_id(server.api_key)}  (demo key pair, made at first start)",
            f"  Private key:   {server.private_key_path}  (mode 0600; sign requests with it)",
            f"  Cancels:       pendingcancel for {args.cancel_latency_ms} ms, then cancelled",
            f"  Signatures:    padding {args.signature_padding}, body params {args.body_encoding}",
            "Press Ctrl+C to stop.",
        ]
        print("\n".join(lines), file=human_out, flush=True)
        if args.ready_json:
            ready = {
                "rest_url": server.rest_url,
                "ws_url": server.ws_url,
                "api_key": server.api_key,
                "private_key_path": str(server.private_key_path),
            }
            sys.stdout.write(json.dumps(ready) + "\n")
            sys.stdout.flush()
        await stop.wait()
        log.info("stopping")
    finally:
        await server.stop()
    return 0


def main(argv: Sequence[str] | None = None, prog: str = "trading-console exchange --venue roxom") -> int:
    """Run the local Roxom venue until SIGINT/SIGTERM (or stdin EOF with ``--exit-with-stdin``).

    Returns:
        0 after a clean stop, 1 when it cannot start (port, key file), 2 for bad arguments.
    """
    args = build_parser(prog).parse_args(None if argv is None else list(argv))
    logging.basicConfig(
        stream=sys.stderr,
        level=getattr(logging, args.log_level),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        return asyncio.run(_serve(args))
    except KeyboardInterrupt:
        return 0
