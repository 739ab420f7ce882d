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
from typing import TYPE_CHECKING, TextIO

from pydantic import SecretStr

from console import __version__
from console.app.config import ConfigError, DeskConfig, load_config, parse_set_flags
from console.app.credentials import SecretsError, load_credentials
from console.app.settings import DEFAULT_SYMBOLS, Environment, Settings, environment_for
from console.venues.gemini.credentials import Credentials
from console.venues.gemini.urls import PRODUCTION, SANDBOX

if TYPE_CHECKING:  # imported for their types only: the command line imports them lazily, when used
    from console.trading.deadman import ExitReport
    from console.trading.journal import Journal


class UsageError(Exception):
    """The command line asks for something the console refuses to do; the message says why."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="trading-console",
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
    parser.add_argument("--rest-url", help="REST base URL of a Gemini-compatible exchange, e.g. http://127.0.0.1:8787")
    parser.add_argument("--ws-url", help="WebSocket base URL (default: derived from --rest-url)")
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


def _derive_ws(rest_url: str) -> str:
    if rest_url.startswith("https://"):
        return "wss://" + rest_url[len("https://"):]
    if rest_url.startswith("http://"):
        return "ws://" + rest_url[len("http://"):]
    raise UsageError(f"--rest-url must start with http:// or https://, got {rest_url!r}")


def build_config(args: argparse.Namespace, environ: os._Environ | dict) -> DeskConfig:
    """Merge flags, environment and config file into the desk configuration.

    Raises:
        UsageError: the configuration is invalid (the message names the setting and its source).
    """
    try:
        flags = parse_set_flags(getattr(args, "settings", None))
        if getattr(args, "theme", None):
            flags["theme"] = args.theme
        if getattr(args, "low_bandwidth", False):
            flags["low_bandwidth"] = "true"
        return load_config(flags, environ, getattr(args, "config", None))
    except ConfigError as exc:
        raise UsageError(f"configuration: {exc}") from None


def _symbols(args: argparse.Namespace, config: DeskConfig) -> tuple[str, ...]:
    if args.symbols:
        return tuple(s.strip().lower() for s in args.symbols.split(",") if s.strip())
    return config.symbols or DEFAULT_SYMBOLS


def build_settings(
    args: argparse.Namespace, environ: os._Environ | dict, config: DeskConfig | None = None
) -> Settings | None:
    """Turn parsed arguments into settings; None means: start the embedded local exchange.

    Raises:
        UsageError: production without ``--production``, a real venue without API keys, a bad configuration
            or an unsafe secret file.
    """
    config = config if config is not None else build_config(args, environ)
    symbols = _symbols(args, config)
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
        credentials = load_credentials(environ, config)
    except SecretsError as exc:  # e.g. one of the two variables set without the other, or an unsafe file
        raise UsageError(str(exc)) from None
    if credentials is None:
        raise UsageError("Set GEMINI_API_KEY and GEMINI_API_SECRET (or credentials.api_key with "
                         "credentials.secret_file or credentials.keyring in the config file) to trade on " + rest)
    sub_accounts = tuple(a.strip() for a in args.accounts.split(",") if a.strip())
    return Settings(environment=environment, rest_url=rest, ws_url=ws, credentials=credentials, symbols=symbols,
                    sub_accounts=sub_accounts, desk=config)


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


def build_app(settings: Settings, *, clock_ms=None, client_order_ids=None):
    """Wire a console app for ``settings``: clients tapped for the journal and latency, and the dead-man switch.

    Returns:
        ``(app, journal)``; the journal is None when ``journal = false``. The caller closes the journal.
    """
    import time

    from console.domain.latency import LatencyTracker
    from console.trading.account import AccountService
    from console.trading.deadman import DeadManSwitch
    from console.trading.journal import Journal, default_path
    from console.trading.market import MarketSession
    from console.trading.session import TradingSession, wall_clock_ms
    from console.tui.app import TradingConsoleApp
    from console.venues.gemini.account_venue import GeminiAccountVenue
    from console.venues.gemini.auth import NonceSource
    from console.venues.gemini.market_data import MarketDataClient
    from console.venues.gemini.market_venue import GeminiQuotes
    from console.venues.gemini.order_events import OrderEventsClient
    from console.venues.gemini.rest import GeminiRestClient
    from console.venues.gemini.tap import TappedOrderEvents, TapTransport, latency_observer

    desk = settings.desk
    latency = LatencyTracker()
    observers = [latency_observer(latency, lambda: time.monotonic_ns() // 1_000_000)]
    journal = (Journal(desk.journal_path or default_path(), venue=settings.environment.value,
                       url=settings.rest_url) if desk.journal else None)
    if journal is not None:
        observers.insert(0, journal.observe)
    nonce = NonceSource.persistent(settings.credentials.api_key)  # high-water mark survives restarts
    clock_ms = clock_ms or wall_clock_ms
    rest = GeminiRestClient(settings.rest_url, settings.credentials, nonce=nonce, transport=TapTransport(observers),
                            account=settings.sub_accounts[0] if settings.sub_accounts else None)
    session = TradingSession(
        rest,
        TappedOrderEvents(OrderEventsClient(settings.ws_url, settings.credentials, nonce=nonce), observers),
        api_key=settings.credentials.api_key,
        symbols=settings.symbols,
        clock_ms=clock_ms,
        client_order_ids=client_order_ids,
    )
    cancel_on_exit = desk.cancel_on_exit
    if cancel_on_exit is None:  # auto: on wherever real orders could be left behind
        cancel_on_exit = settings.environment is not Environment.LOCAL
    deadman = DeadManSwitch(session, heartbeat=desk.heartbeat, cancel_on_exit=cancel_on_exit)
    market = MarketSession(MarketDataClient(settings.ws_url), settings.ticket_symbols[0])
    account = AccountService(GeminiAccountVenue(rest), settings.sub_accounts)
    app = TradingConsoleApp(settings, session, account=account, quotes=GeminiQuotes(rest), clock_ms=clock_ms,
                            market=market, latency=latency, deadman=deadman, settle_heap=True)
    return app, journal


def run_console(settings: Settings) -> int:
    """Build the session for ``settings`` and run the TUI until the trader quits."""
    from textual.drivers.linux_driver import LinuxDriver

    from console.tui.terminal import HangupSafeLinuxDriver

    app, journal = build_app(settings)
    if app.driver_class is LinuxDriver:  # a real terminal (not `serve`'s web driver, not Windows)
        app.driver_class = HangupSafeLinuxDriver
    code = 1
    try:
        code = app.run() or app.return_code or 0
    finally:
        code = finish_exit(app.deadman.report if app.deadman else None, journal, code)
        if journal is not None:
            journal.close()
    return code


def finish_exit(report: ExitReport | None, journal: Journal | None, code: int, out: TextIO | None = None) -> int:
    """Tell the trader (and the journal) what happened to the orders on the way out; return the exit status.

    Args:
        report: the dead-man switch's :class:`console.trading.deadman.ExitReport` (None: the app never got that far).
        journal: where the report is recorded as an ``exit`` record (None: journal off).
        code: the app's exit status.
        out: where the summary is printed (default: stderr). A terminal that is gone (SIGHUP) is skipped:
            the journal and the log still have the report.

    Returns:
        ``code``, or :data:`console.trading.deadman.EXIT_CANCEL_FAILED` when a requested cancel-on-exit failed and
        the app was leaving with 0.
    """
    from console.trading.deadman import EXIT_CANCEL_FAILED

    if report is None:
        return code
    if journal is not None:
        try:
            journal.append("exit", "summary", report.as_record())
        except Exception:  # noqa: BLE001 - the summary must still reach the terminal
            logging.getLogger(__name__).exception("could not journal the exit summary")
    try:
        stream = out or sys.stderr
        for line in report.lines():
            print(f"trading-console: {line}", file=stream)
        stream.flush()
    except (OSError, ValueError):  # the terminal went away (SIGHUP) or stderr is closed
        pass
    if report.cancel_failed and code == 0:
        return EXIT_CANCEL_FAILED
    return code


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``trading-console`` script."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["exchange"]:
        from console.exchange.cli import main as exchange_main

        return exchange_main(argv[1:], prog="trading-console exchange")
    if argv[:1] in (["doctor"], ["journal"], ["serve"]):
        return _subcommand(argv)
    args = _parser().parse_args(argv)
    try:
        config = build_config(args, os.environ)
        settings = build_settings(args, os.environ, config)
    except UsageError as exc:
        print(f"trading-console: {exc}", file=sys.stderr)
        return 2
    _configure_logging(args.log_file)
    if settings is not None:
        return run_console(settings)

    from console.exchange.keys import DEMO_API_SECRET
    from console.exchange.process import LocalExchangeProcess

    print("Starting the embedded local exchange…", file=sys.stderr)
    with LocalExchangeProcess() as exchange:
        info = exchange.start()
        settings = Settings(
            environment=Environment.LOCAL,
            rest_url=info.rest_url,
            ws_url=info.ws_url,
            credentials=Credentials(api_key=info.api_key, api_secret=SecretStr(DEMO_API_SECRET)),
            symbols=_symbols(args, config),
            desk=config,
        )
        return run_console(settings)


def _subcommand(argv: list[str]) -> int:
    """``doctor``, ``journal`` and ``serve``: each lives in its own module, imported only when used."""
    if argv[0] == "doctor":
        from console.app.doctor import main as doctor_main

        return doctor_main(argv[1:])
    if argv[0] == "journal":
        from console.trading.journal import main as journal_main

        return journal_main(argv[1:])
    from console.app.serve import main as serve_main

    return serve_main(argv[1:])


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
