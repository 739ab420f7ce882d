"""Run the local Gemini-compatible exchange on its own (``python -m console.exchange``, ``trading-console exchange``).
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import json
import logging
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, TextIO

from pydantic import SecretStr

from console.exchange.keys import (
    DEMO_API_KEY,
    DEMO_API_SECRET,
    DEMO_AUDITOR_API_KEY,
    DEMO_MASTER_API_KEY,
    DEMO_WS_API_KEY,
    TRADER,
    KeyStore,
)
from console.exchange.lifecycle import stop_event
from console.exchange.symbols import SIMULATED_SYMBOLS
from console.util.heap import freeze_survivors
from console.util.redact import mask_key

if TYPE_CHECKING:  # imported in _serve at run time (keeps --help fast)
    from console.exchange.server.app import ExchangeServer

__all__ = ["DEFAULT_HOST", "DEFAULT_PORT", "build_parser", "main"]

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8787
ENV_API_KEY = "GEMINI_API_KEY"
ENV_API_SECRET = "GEMINI_API_SECRET"

log = logging.getLogger("console.exchange")

# The public strings of the built-in keys (their secrets are in console/exchange/keys.py, i.e. public).
_DEMO_KEY_STRINGS = frozenset({DEMO_API_KEY, DEMO_AUDITOR_API_KEY, DEMO_MASTER_API_KEY, DEMO_WS_API_KEY})


def build_parser(prog: str = "python -m console.exchange") -> argparse.ArgumentParser:
    """Return the argument parser of the local exchange (also used by ``trading-console exchange``)."""
    parser = argparse.ArgumentParser(
        prog=prog,
        description=(
            "Run a local exchange speaking Gemini's REST and order events WebSocket protocol on one loopback port, "
            "with a simulated market maker. No network, no real money."
        ),
    )
    parser.add_argument(
        "--venue", choices=("gemini", "roxom"), default="gemini",
        help="which venue to run; 'roxom' has its own options (--venue roxom --help) (default: %(default)s)",
    )
    parser.add_argument("--host", default=DEFAULT_HOST, help="interface to bind (default: %(default)s)")
    parser.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help="TCP port; 0 picks a free one (default: %(default)s)"
    )
    parser.add_argument(
        "--api-key",
        default=None,
        help=f"API key to accept, then the only one (default: ${ENV_API_KEY}, else the built-in demo keys)",
    )
    parser.add_argument(
        "--api-secret",
        default=None,
        help=f"its secret (default: ${ENV_API_SECRET}, else the built-in demo secret); prefer the environment",
    )
    parser.add_argument(
        "--demo-keys",
        action="store_true",
        help="with --api-key (or the environment's key): also accept the built-in demo keys, whose secrets are "
        "public (in the source code); without a key of your own they are the only keys accepted anyway",
    )
    parser.add_argument(
        "--time-based-nonce",
        action="store_true",
        help="your --api-key was created with a time-based nonce (Unix seconds, within 30 s): the new WebSocket "
        "API accepts it, REST expects such nonces from it",
    )
    parser.add_argument("--seed", type=int, default=7, help="random seed of the simulated market (default: 7)")
    parser.add_argument("--no-simulator", action="store_true", help="no market maker: an empty, quiet market")
    parser.add_argument(
        "--simulate",
        default=None,
        metavar="SYMBOLS",
        help="comma-separated symbols the market maker quotes; every other listed symbol is a quiet book "
        f"(default: {','.join(SIMULATED_SYMBOLS)})",
    )
    parser.add_argument(
        "--ready-json",
        action="store_true",
        help='print one JSON line {"rest_url", "ws_url", "api_key", "ws_api_url", "ws_api_key"} to stdout once '
        "listening (human text goes to stderr then); ws_api_url is the new WebSocket API, ws_api_key the "
        "time-based-nonce key it accepts (null when none is)",
    )
    parser.add_argument(
        "--exit-with-stdin", action="store_true", help="exit when stdin reaches end of file (the parent process died)"
    )
    parser.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="KIND[:key=value,...]",
        help="arm a fault at start (repeatable), e.g. 'http-error:status=502,path=/v1/order/new,count=2' or "
        "'stall-heartbeats:count=0' (0 = until cleared); more at runtime with POST /_faults (see "
        "console/exchange/faults.py)",
    )
    parser.add_argument(
        "--log-level", default="INFO", choices=("DEBUG", "INFO", "WARNING", "ERROR"), help="stderr log level"
    )
    return parser


@dataclass(frozen=True)
class _KeyChoice:
    key: str
    secret: SecretStr
    source: str  # "demo", "environment" or "command line"


def _choose_key(args: argparse.Namespace, environ: Mapping[str, str]) -> _KeyChoice:
    """Pick the API key pair: command line, then environment, then the built-in demo pair.

    Raises:
        ValueError: when only one half of a pair is given.
    """
    key = args.api_key or environ.get(ENV_API_KEY) or None
    secret = args.api_secret or environ.get(ENV_API_SECRET) or None
    if key is None and secret is None:
        return _KeyChoice(DEMO_API_KEY, SecretStr(DEMO_API_SECRET), "demo")
    if key is None or secret is None:
        raise ValueError(
            f"give both an API key and its secret (--api-key/--api-secret or ${ENV_API_KEY}/${ENV_API_SECRET}), "
            "or neither to use the built-in demo key"
        )
    source = "command line" if args.api_secret else "environment"
    return _KeyChoice(key, SecretStr(secret), source)



def _is_loopback(host: str) -> bool:
    """True when ``host`` names only this machine (``localhost`` or a loopback address); unknown names are not."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _exposure_warning(host: str, keystore: KeyStore) -> str | None:
    """The stderr warning for a server bound to a non-loopback address, or None on loopback.

    The demo keys' secrets are in the source code, so with them accepted anyone who can reach the address can
    trade the account; with only your own key, the traffic is still plain HTTP (no TLS).
    """
    if _is_loopback(host):
        return None
    public = sorted(mask_key(k.key) for k in keystore if k.key in _DEMO_KEY_STRINGS)
    text = (
        f"warning: listening on {host}, not loopback: other machines can reach this exchange over plain HTTP "
        "(no TLS)"
    )
    if public:
        text += (
            f"; it accepts the built-in demo keys ({', '.join(public)}), whose secrets are public in the source "
            "code, so anyone on the network can trade its accounts"
        )
    return text


def _print_banner(
    out: TextIO, server: ExchangeServer, choice: _KeyChoice, args: argparse.Namespace, keystore: KeyStore
) -> None:
    rest_url = server.rest_url
    ws_url = server.ws_url
    ws_api_url = server.ws_api_url
    market = (
        "no simulator: empty books until you place orders"
        if args.no_simulator
        else f"simulated market maker (seed {args.seed}); public REST /v1/pubticker, /v1/book, /v1/trades"
    )
    where = "loopback only" if _is_loopback(args.host) else f"listening on {args.host}"
    lines = [
        f"Local Gemini-compatible exchange (no real money, {where})",
        f"  REST:          {rest_url}",
        f"  Order events:  {ws_url}/v1/order/events",
        f"  Market data:   {ws_url}/v2/marketdata   (WebSocket v2, l2)",
        f"  WebSocket API: {ws_api_url}   (Gemini's new API; time-based-nonce keys only)",
        f"  Market data:   {market}",
        "  API keys accepted:",
    ]
    for key in sorted(keystore, key=lambda k: k.key):
        origin = "built-in demo key" if key.key in _DEMO_KEY_STRINGS else f"your key, from the {choice.source}"
        lines.append(f"    {mask_key(key.key):<18} {', '.join(sorted(key.roles))}, {key.nonce_kind} nonce  ({origin})")
    if choice.source == "demo":
        # The demo pair is public (it is in the source); printing it lets a second program connect.
        lines.append(f"  Demo key:      {DEMO_API_KEY}  secret {DEMO_API_SECRET}  (public: local use only)")
    else:
        lines.append(f"  API secret:    (from the {choice.source}; not shown)")
    lines.append("Press Ctrl+C to stop.")
    print("\n".join(lines), file=out, flush=True)


async def _serve(args: argparse.Namespace, choice: _KeyChoice) -> int:
    from console.exchange.server.app import ExchangeServer  # deferred: keeps --help fast

    simulated = [s.strip() for s in args.simulate.split(",") if s.strip()] if args.simulate else None
    # With a key of your own, only that key is accepted (plus the demo keys when asked for with --demo-keys): the
    # demo secrets are public, so keeping them would let anyone who reaches the port trade the same account.
    own_key_only = choice.source != "demo" and not args.demo_keys
    server = ExchangeServer(
        host=args.host,
        port=args.port,
        simulator=not args.no_simulator,
        seed=args.seed,
        simulated_symbols=simulated,
        keystore=KeyStore() if own_key_only else None,
    )
    unknown = [s for s in simulated or () if s.lower() not in server.engine.symbols()]
    if unknown:
        print(f"error: --simulate: the exchange does not list {', '.join(unknown)}", file=sys.stderr)
        return 2
    for spec in args.fault:
        from console.exchange.faults import parse_fault_spec

        try:
            server.faults.arm(**parse_fault_spec(spec))
        except (ValueError, TypeError) as exc:
            print(f"error: --fault {spec!r}: {exc}", file=sys.stderr)
            return 2
    if choice.source != "demo":
        server.add_api_key(choice.key, choice.secret, roles=(TRADER,), time_based_nonce=args.time_based_nonce)
    try:
        await server.start()
    except OSError as exc:
        print(f"error: cannot listen on {args.host}:{args.port}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    # Its markets and accounts are loaded: they live as long as the process, out of every later collection; each
    # order's short-lived events die before a young collection comes (docs/performance.md, the engine row).
    freeze_survivors()

    stop = stop_event(exit_with_stdin=args.exit_with_stdin)

    try:
        # With --ready-json, stdout carries only the one machine-readable line (the parent reads nothing after it,
        # so more output could fill the pipe and block us); the human text goes to stderr.
        human_out = sys.stderr if args.ready_json else sys.stdout
        _print_banner(human_out, server, choice, args, server.keystore)
        warning = _exposure_warning(args.host, server.keystore)
        if warning is not None:
            print(warning, file=sys.stderr, flush=True)
        if args.ready_json:
            ws_key = server.keystore.get(DEMO_WS_API_KEY if choice.source == "demo" else choice.key)
            ready = {
                "rest_url": server.rest_url,
                "ws_url": server.ws_url,
                "api_key": choice.key,
                "ws_api_url": server.ws_api_url,
                "ws_api_key": ws_key.key if ws_key is not None and ws_key.time_based_nonce else None,
            }
            sys.stdout.write(json.dumps(ready) + "\n")
            sys.stdout.flush()
        await stop.wait()
        log.info("stopping")
    finally:
        await server.stop()
    return 0


def main(argv: Sequence[str] | None = None, prog: str = "python -m console.exchange") -> int:
    """Run the local exchange until SIGINT/SIGTERM (or stdin EOF with ``--exit-with-stdin``).

    Args:
        argv: arguments without the program name; ``sys.argv[1:]`` when None.
        prog: the program name shown in usage messages.

    Returns:
        Process exit status: 0 after a clean stop, 1 if the port cannot be bound, 2 for bad arguments.
    """
    argv = sys.argv[1:] if argv is None else list(argv)
    venue = argparse.ArgumentParser(add_help=False)
    venue.add_argument("--venue", choices=("gemini", "roxom"), default="gemini")
    chosen, rest = venue.parse_known_args(argv)
    if chosen.venue == "roxom":
        from console.exchange.roxom.cli import main as roxom_main  # deferred: only the chosen venue loads

        return roxom_main(rest, prog=f"{prog} --venue roxom")
    parser = build_parser(prog)
    args = parser.parse_args(argv)
    logging.basicConfig(
        stream=sys.stderr,
        level=getattr(logging, args.log_level),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        choice = _choose_key(args, os.environ)
    except ValueError as exc:
        parser.print_usage(sys.stderr)
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        return asyncio.run(_serve(args, choice))
    except KeyboardInterrupt:  # Ctrl+C where signal handlers are unavailable
        return 0


if __name__ == "__main__":
    sys.exit(main())
