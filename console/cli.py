"""Command line: ``trading-console`` (the console) and ``trading-console exchange`` (the local exchange).

Settings are built once here and passed down. With no venue given, the console starts the embedded local
exchange on a free loopback port and stops it on exit.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from pydantic import SecretStr

from console import __version__
from console.gemini.credentials import Credentials
from console.gemini.urls import PRODUCTION, SANDBOX
from console.settings import DEFAULT_SYMBOLS, Environment, Settings, environment_for


class UsageError(Exception):
    """The command line asks for something the console refuses to do; the message says why."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="trading-console",
        description="Trade on Gemini (or the embedded local exchange) from the terminal.",
        epilog="Subcommand: 'trading-console exchange --help' runs the local exchange on its own.",
    )
    venue = parser.add_mutually_exclusive_group()
    venue.add_argument("--sandbox", action="store_true", help="trade on Gemini's sandbox (keys from the environment)")
    venue.add_argument("--production", action="store_true",
                       help="trade on Gemini's PRODUCTION exchange with real money (keys from the environment)")
    parser.add_argument("--rest-url", help="REST base URL of a Gemini-compatible exchange, e.g. http://127.0.0.1:8787")
    parser.add_argument("--ws-url", help="WebSocket base URL (default: derived from --rest-url)")
    parser.add_argument("--symbols", default=",".join(DEFAULT_SYMBOLS),
                        help="comma-separated symbols the ticket offers (default: %(default)s)")
    parser.add_argument("--log-file", type=Path, help="where to write the console's log (default: state dir)")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    return parser


def _derive_ws(rest_url: str) -> str:
    if rest_url.startswith("https://"):
        return "wss://" + rest_url[len("https://"):]
    if rest_url.startswith("http://"):
        return "ws://" + rest_url[len("http://"):]
    raise UsageError(f"--rest-url must start with http:// or https://, got {rest_url!r}")


def build_settings(args: argparse.Namespace, environ: os._Environ | dict) -> Settings | None:
    """Turn parsed arguments into settings; None means: start the embedded local exchange.

    Raises:
        UsageError: production without ``--production``, or a real venue without API keys.
    """
    symbols = tuple(s.strip().lower() for s in args.symbols.split(",") if s.strip())
    if args.sandbox:
        rest, ws = SANDBOX.rest, SANDBOX.ws
    elif args.production:
        rest, ws = PRODUCTION.rest, PRODUCTION.ws
    elif args.rest_url:
        rest, ws = args.rest_url.rstrip("/"), (args.ws_url or _derive_ws(args.rest_url)).rstrip("/")
    else:
        return None
    environment = environment_for(rest)
    if environment is Environment.PRODUCTION and not args.production:
        raise UsageError("That URL is Gemini's PRODUCTION exchange: pass --production to trade real money.")
    try:
        credentials = Credentials.from_env(environ)
    except ValueError as exc:  # one of the two variables set without the other
        raise UsageError(str(exc)) from None
    if credentials is None:
        raise UsageError("Set GEMINI_API_KEY and GEMINI_API_SECRET to trade on " + rest)
    return Settings(environment=environment, rest_url=rest, ws_url=ws, credentials=credentials, symbols=symbols)


def _configure_logging(log_file: Path | None) -> Path:
    if log_file is None:
        state = Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state")
        log_file = state / "trading-console" / "console.log"
    log_file.parent.mkdir(parents=True, exist_ok=True)
    logging.basicConfig(
        filename=log_file,
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    return log_file


def run_console(settings: Settings) -> int:
    """Build the session for ``settings`` and run the TUI until the trader quits."""
    from console.gemini.auth import NonceSource
    from console.gemini.order_events import OrderEventsClient
    from console.gemini.rest import GeminiRestClient
    from console.session import TradingSession
    from console.tui.app import TradingConsoleApp

    nonce = NonceSource.persistent(settings.credentials.api_key)  # high-water mark survives restarts
    session = TradingSession(
        GeminiRestClient(settings.rest_url, settings.credentials, nonce=nonce),
        OrderEventsClient(settings.ws_url, settings.credentials, nonce=nonce),
        api_key=settings.credentials.api_key,
        symbols=settings.symbols,
    )
    TradingConsoleApp(settings, session).run()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``trading-console`` script."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["exchange"]:
        from console.exchange.__main__ import main as exchange_main

        return exchange_main(argv[1:], prog="trading-console exchange")
    args = _parser().parse_args(argv)
    try:
        settings = build_settings(args, os.environ)
    except UsageError as exc:
        print(f"trading-console: {exc}", file=sys.stderr)
        return 2
    _configure_logging(args.log_file)
    if settings is not None:
        return run_console(settings)

    from console.exchange.accounts import DEMO_API_SECRET
    from console.exchange.process import LocalExchangeProcess

    print("Starting the embedded local exchange…", file=sys.stderr)
    with LocalExchangeProcess() as exchange:
        info = exchange.start()
        settings = Settings(
            environment=Environment.LOCAL,
            rest_url=info.rest_url,
            ws_url=info.ws_url,
            credentials=Credentials(api_key=info.api_key, api_secret=SecretStr(DEMO_API_SECRET)),
            symbols=tuple(s.strip().lower() for s in args.symbols.split(",") if s.strip()),
        )
        return run_console(settings)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
