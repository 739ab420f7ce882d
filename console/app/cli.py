"""Command line: ``trading-console`` (the console) and ``trading-console exchange`` (the local exchange).

Settings are built once here and passed down. With no venue given, the console starts the embedded local
exchange on a free loopback port and stops it on exit.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from pydantic import SecretStr

from console.app.args import UsageError, venue_urls, ws_api_url
from console.app.args import parser as _parser
from console.app.config import ConfigError, DeskConfig, load_config, parse_set_flags
from console.app.credentials import SecretsError, load_credentials, read_keyring
from console.app.settings import (
    DEFAULT_SYMBOLS,
    ROXOM_SYMBOLS,
    Environment,
    RoxomKey,
    Settings,
    Venue,
    environment_for,
)
from console.venues.gemini.credentials import Credentials


def build_config(args: argparse.Namespace, environ: Mapping[str, str]) -> DeskConfig:
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
        if getattr(args, "api", None):
            flags["api"] = args.api
        return load_config(flags, environ, getattr(args, "config", None))
    except ConfigError as exc:
        raise UsageError(f"configuration: {exc}") from None


def _symbols(args: argparse.Namespace, config: DeskConfig, venue: Venue = Venue.GEMINI) -> tuple[str, ...]:
    if args.symbols:
        return tuple(s.strip().lower() for s in args.symbols.split(",") if s.strip())
    return config.symbols or (ROXOM_SYMBOLS if venue is Venue.ROXOM else DEFAULT_SYMBOLS)


def build_settings(
    args: argparse.Namespace, environ: Mapping[str, str], config: DeskConfig | None = None
) -> Settings | None:
    """Turn parsed arguments into settings; None means: start the embedded local exchange.

    Raises:
        UsageError: production without ``--production``, a real venue without API keys, a bad configuration
            or an unsafe secret file.
    """
    config = config if config is not None else build_config(args, environ)
    symbols = _symbols(args, config)
    urls = venue_urls(args)
    if urls is None:
        return None
    if _venue(args, config) is Venue.ROXOM:
        return _roxom_settings(args, environ, config, urls)
    rest, ws = urls
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
    api_url = ws_api_url(args, ws)
    if config.api == "ws" and api_url is None:
        raise UsageError("--api ws: no URL of Gemini's WebSocket API is known for this venue: pass --ws-api-url")
    return Settings(environment=environment, rest_url=rest, ws_url=ws, credentials=credentials, symbols=symbols,
                    sub_accounts=sub_accounts, desk=config, ws_api_url=api_url)


def _venue(args: argparse.Namespace, config: DeskConfig) -> Venue:
    """``--venue``, else the config's ``venue``."""
    return Venue(getattr(args, "venue", None) or config.venue)


def _roxom_settings(args: argparse.Namespace, environ: Mapping[str, str], config: DeskConfig,
                    urls: tuple[str, str]) -> Settings:
    """Settings for Roxom at ``--rest-url``/``--ws-url``: the key id from ``ROXOM_API_KEY``, the PKCS#8 private key
    file from ``ROXOM_PRIVATE_KEY_FILE``, or (``roxom.keyring = true``, no file given) the PEM from the OS keyring
    (service ``trading-console``, user = the key id).

    Raises:
        UsageError: ``--sandbox``/``--production`` (Gemini's hosts), the key variables are missing, or the keyring
            has no usable entry.
    """
    if args.sandbox or args.production:
        raise UsageError("--sandbox and --production name Gemini's hosts; for Roxom give --rest-url (and --ws-url)")
    key_id, key_file = environ.get("ROXOM_API_KEY"), environ.get("ROXOM_PRIVATE_KEY_FILE")
    pem: SecretStr | None = None
    if key_id and not key_file and config.roxom.keyring:
        try:
            pem = read_keyring(key_id, "roxom.keyring")
        except SecretsError as exc:
            raise UsageError(str(exc)) from None
    if not key_id or (not key_file and pem is None):
        raise UsageError("Set ROXOM_API_KEY (the key id) and ROXOM_PRIVATE_KEY_FILE (its PKCS#8 private key file, "
                         "or roxom.keyring = true with the PEM in the OS keyring) to trade on " + urls[0])
    rest, ws = urls
    if not args.ws_url:
        ws = ws + "/ws"  # Roxom's WebSocket is at /ws (https://docs.roxom.com/reference/websockets/connection)
    return Settings(environment=environment_for(rest), rest_url=rest, ws_url=ws, credentials=None,
                    symbols=_symbols(args, config, Venue.ROXOM), desk=config, venue=Venue.ROXOM,
                    roxom_key=RoxomKey(key_id, Path(key_file) if key_file else None, pem))


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
    """Build the console for ``settings`` (:func:`console.app.wiring.build_console`) and run the TUI until the
    trader quits; return the exit status."""
    from textual.drivers.linux_driver import LinuxDriver

    from console.app.wiring import build_console
    from console.tui.terminal import HangupSafeLinuxDriver, LowBandwidthLinuxDriver

    console = build_console(settings, settle_heap=True)
    app = console.app
    if app.driver_class is LinuxDriver:  # a real terminal (not `serve`'s web driver, not Windows)
        app.driver_class = LowBandwidthLinuxDriver if settings.desk.low_bandwidth else HangupSafeLinuxDriver
    code = 1
    try:
        code = app.run() or app.return_code or 0
    finally:
        code = console.finish(code)
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

    if _venue(args, config) is Venue.ROXOM:
        print("Starting the embedded local Roxom venue…", file=sys.stderr)
        with LocalExchangeProcess() as exchange:
            info = exchange.start(venue="roxom", venue_args=config.roxom.venue_args())
            assert info.private_key_path is not None
            settings = Settings(
                environment=Environment.LOCAL, rest_url=info.rest_url, ws_url=info.ws_url, credentials=None,
                symbols=_symbols(args, config, Venue.ROXOM), desk=config, venue=Venue.ROXOM,
                roxom_key=RoxomKey(info.api_key, Path(info.private_key_path)),
            )
            return run_console(settings)
    print("Starting the embedded local exchange…", file=sys.stderr)
    with LocalExchangeProcess() as exchange:
        info = exchange.start()
        settings = Settings(
            environment=Environment.LOCAL,
            rest_url=info.rest_url,
            ws_url=info.ws_url,
            # The new API takes only time-based-nonce keys: the exchange's demo key of that kind (same account).
            credentials=(Credentials(api_key=info.ws_api_key, api_secret=info.ws_api_secret)
                         if config.api == "ws" and info.ws_api_key else
                         Credentials(api_key=info.api_key, api_secret=SecretStr(DEMO_API_SECRET))),
            symbols=_symbols(args, config),
            desk=config,
            ws_api_url=info.ws_api_url,
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
