"""The command line's arguments, shared by the console and ``doctor``: the parser and the venue URLs it names.

Both ``trading-console`` and ``trading-console doctor`` take the same venue flags (``--sandbox``, ``--production``,
``--rest-url``/``--ws-url``), so they parse with the same parser and pick the URLs with :func:`venue_urls`.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from console import __version__
from console.app.settings import DEFAULT_SYMBOLS
from console.venues.gemini.urls import PRODUCTION, SANDBOX, WS_API_PRODUCTION


class UsageError(Exception):
    """The command line asks for something the console refuses to do; the message says why."""


def parser(prog: str = "trading-console") -> argparse.ArgumentParser:
    """The argument parser of ``trading-console`` (and of ``trading-console doctor``, with its own ``prog``)."""
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Trade on Gemini (or the embedded local exchange) from the terminal.",
        epilog="Subcommands: 'trading-console exchange --help' runs the local exchange on its own; "
               "'trading-console doctor' checks config, keys, clock and reachability; "
               "'trading-console journal --help' lists or exports the journal. "
               "Exit status: 0 ok, 2 bad command line, 3 PRODUCTION not confirmed, "
               "4 cancel-on-exit requested but failed (orders may still be working), 129 the terminal went away.",
    )
    venue = parser.add_mutually_exclusive_group()
    venue.add_argument("--sandbox", action="store_true", help="trade on Gemini's sandbox (keys from the environment)")
    venue.add_argument("--production", action="store_true",
                       help="trade on Gemini's PRODUCTION exchange with real money (keys from the environment)")
    parser.add_argument("--venue", choices=("gemini", "roxom"), default=None,
                        help="venue to trade on (default: the config's venue, else gemini); with no URL, its "
                             "embedded local venue starts")
    parser.add_argument("--rest-url", help="REST base URL of a Gemini-compatible exchange, e.g. http://127.0.0.1:8787")
    parser.add_argument("--ws-url", help="WebSocket base URL (default: derived from --rest-url)")
    parser.add_argument("--api", choices=("rest", "ws"), default=None,
                        help="order entry and order events: rest (REST + /v1/order/events) or ws (Gemini's WebSocket "
                             "API, one socket; needs a key created with a time-based nonce). Default: config api, "
                             "else rest")
    parser.add_argument("--ws-api-url", default=None,
                        help="URL of Gemini's WebSocket API (default: wss://ws.gemini.com in production, the local "
                             "exchange's /ws with --rest-url; none is known for the sandbox)")
    parser.add_argument("--symbols", default=None,
                        help=f"comma-separated symbols the ticket offers (default: {','.join(DEFAULT_SYMBOLS)})")
    parser.add_argument("--accounts", default="",
                        help="master keys: comma-separated sub-account nicknames to switch between (first = start)")
    parser.add_argument("--config", type=Path,
                        help="config file (default: $XDG_CONFIG_HOME/trading-console/config.toml)")
    parser.add_argument("--theme", help="Textual theme, or 'monochrome' (no colour: bold/reverse/underline)")
    parser.add_argument("--low-bandwidth", action="store_true",
                        help="write fewer bytes to the terminal (over SSH); config: low_bandwidth = true")
    parser.add_argument("--set", action="append", metavar="NAME=VALUE", dest="settings",
                        help="set any config setting, e.g. --set guards.max_notional=250000 (repeatable; flags win)")
    parser.add_argument("--log-file", type=Path, help="where to write the console's log (default: state dir)")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    return parser


def derive_ws(rest_url: str) -> str:
    """The WebSocket base URL of a REST base URL: ``https://h`` → ``wss://h``, ``http://h`` → ``ws://h``.

    Raises:
        UsageError: ``rest_url`` is neither http:// nor https://.
    """
    if rest_url.startswith("https://"):
        return "wss://" + rest_url[len("https://"):]
    if rest_url.startswith("http://"):
        return "ws://" + rest_url[len("http://"):]
    raise UsageError(f"--rest-url must start with http:// or https://, got {rest_url!r}")


def venue_urls(args: argparse.Namespace) -> tuple[str, str] | None:
    """The ``(rest_url, ws_url)`` the venue flags name, without a trailing slash; None: no venue flag given.

    Raises:
        UsageError: ``--rest-url`` is neither http:// nor https:// (and no ``--ws-url`` was given).
    """
    if args.sandbox:
        return SANDBOX.rest, SANDBOX.ws
    if args.production:
        return PRODUCTION.rest, PRODUCTION.ws
    if args.rest_url:
        rest_url: str = args.rest_url
        ws_url: str = args.ws_url or derive_ws(rest_url)
        return rest_url.rstrip("/"), ws_url.rstrip("/")
    return None


def ws_api_url(args: argparse.Namespace, ws_url: str) -> str | None:
    """The new WebSocket API's URL: ``--ws-api-url``, else Gemini's in production, else ``<ws_url>/ws`` for a
    ``--rest-url`` of one's own (the local exchange serves it there); None for the sandbox (none is published)."""
    explicit: str | None = getattr(args, "ws_api_url", None)
    if explicit:
        return explicit.rstrip("/")
    if args.production:
        return WS_API_PRODUCTION
    if args.sandbox:
        return None
    return ws_url.rstrip("/") + "/ws"
