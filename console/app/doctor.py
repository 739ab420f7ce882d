"""``trading-console doctor``: check config, key, clock and reachability, one PASS/FAIL line each.

Checks, in order: the config file (found and valid), the optional keyring package (information only), the
credentials (found, safe, key format), REST reachability and clock skew (the ``Date`` header of one public call
against the local clock: Gemini's time-based nonces must lie within 30 s of its clock), read access (``/v1/orders``:
Auditor or Trader role), the Trader role (``/v1/heartbeat``, which changes nothing), and the order-events
WebSocket (signed upgrade until the subscription acknowledgement). With no venue flag it checks the embedded
local exchange, started for the purpose. Exit status 0 when every check passed, 1 otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import email.utils
import os
import re
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import httpx
from pydantic import SecretStr

from console.app.args import UsageError, parser, venue_urls
from console.app.clients import venue_clients
from console.app.config import DeskConfig, RoxomConfig, config_path, load_config, parse_set_flags
from console.app.credentials import SecretsError, keyring_available, load_credentials
from console.app.doctor_roxom import check_roxom
from console.exchange.keys import DEMO_API_SECRET
from console.exchange.process import LocalExchangeProcess
from console.venues.gemini.auth import NonceSource, TimeNonceSource
from console.venues.gemini.credentials import Credentials
from console.venues.gemini.errors import ApiError, GeminiError, NonceError, network_cause
from console.venues.gemini.order_events import OrderEventsClient, SubscriptionAck
from console.venues.gemini.tap import TappedOrderEvents

#: Gemini accepts a time-based nonce within this many seconds of its clock.
NONCE_WINDOW_S = 30.0
#: Warn well before the window: a skew above this fails the check.
MAX_SKEW_S = 5.0
#: Gemini's key ids: ``account-`` or ``master-`` and letters/digits.
KEY_RE = re.compile(r"^(account|master)-[A-Za-z0-9]{8,}$")
TIMEOUT_S = 5.0


@dataclass(frozen=True, slots=True)
class Check:
    """One line of the report. ``ok`` None is information, not a pass or a fail."""

    name: str
    ok: bool | None
    detail: str

    def line(self) -> str:
        mark = {True: "PASS", False: "FAIL", None: "INFO"}[self.ok]
        return f"{mark}  {self.name:<22} {self.detail}"


def check_config(flags: Mapping[str, str], environ: Mapping[str, str]) -> tuple[Check, DeskConfig]:
    """Is the config file found and valid? Falls back to the defaults when not."""
    try:
        config = load_config(flags, environ)
    except ValueError as exc:
        return Check("config", False, str(exc)), load_config({}, {"XDG_CONFIG_HOME": "/nonexistent"})
    where = str(config.source) if config.source else f"no file at {config_path(environ)}; defaults used"
    return Check("config", True, where), config


def ssh_hint(config: DeskConfig) -> Check:
    """Information for a console run over SSH (``SSH_CONNECTION`` is set): every byte it writes crosses the link."""
    if config.low_bandwidth:
        return Check("SSH", None, "over SSH; low-bandwidth mode is on")
    return Check("SSH", None, "over SSH: --low-bandwidth (or low_bandwidth = true) writes about half the bytes "
                 "to the terminal under a stream of order events (market data once a second, orders three times, "
                 "256 colours)")


def check_credentials(environ: Mapping[str, str], config: DeskConfig) -> tuple[list[Check], Credentials | None]:
    """Credentials found and safe, and the key's format."""
    try:
        credentials = load_credentials(environ, config)
    except SecretsError as exc:
        return [Check("credentials", False, str(exc))], None
    if credentials is None:
        return [Check("credentials", False, "none: set GEMINI_API_KEY and GEMINI_API_SECRET, or [credentials]")], None
    checks = [Check("credentials", True, f"key {credentials.masked_key}, secret ********")]
    problem = key_format_problem(credentials.api_key)
    if problem is None:
        checks.append(Check("key format", True, "master key" if credentials.is_master else "account key"))
    else:
        checks.append(Check("key format", False, f"key {credentials.masked_key}: {problem}"))
    return checks, credentials


def key_format_problem(api_key: str) -> str | None:
    """What is wrong with the shape of an API key id, or None when it looks like Gemini's.

    Gemini's key ids are ``account-`` or ``master-`` followed by letters and digits (:data:`KEY_RE`). The text
    names the fault without the key: the prefix, a count, or one offending character and its position (a space,
    a quote, a dash: never a letter or digit of the key).
    """
    if KEY_RE.match(api_key):
        return None
    if api_key != api_key.strip():
        return "has spaces or a line break at its start or end (copied with the key?)"
    prefix = next((p for p in ("account-", "master-") if api_key.startswith(p)), None)
    if prefix is None:
        lowered = next((p for p in ("account-", "master-") if api_key.lower().startswith(p)), None)
        if lowered is not None:
            return f"starts with {api_key[:len(lowered)]!r}: Gemini's prefix is lowercase {lowered!r}"
        return "does not start with 'account-' or 'master-' (is this the secret, or another venue's key?)"
    rest = api_key[len(prefix):]
    for position, char in enumerate(rest, start=len(prefix) + 1):
        if not (char.isascii() and char.isalnum()):
            shown = repr(char) if char.isprintable() and not char.isalnum() else "a non-ASCII character"
            return (f"has {shown} at character {position}: after {prefix!r} a key id has only letters and digits")
    return f"has {len(rest)} letters/digits after {prefix!r}; Gemini's key ids have at least 8"


def nonce_kind_hint(message: str, *, time_based: bool) -> str:
    """Explain an ``InvalidNonce`` refusal by the kind of nonce the key was created with.

    Gemini keys take either a counter nonce (each greater than the last) or a time-based one (Unix seconds within
    ±30 s of its clock; https://docs.gemini.com/authentication/api-key); the console signs as its setting
    ``time_based_nonce`` says. A "not within 30 seconds" refusal of a counter nonce means a time-based key; a "has not
    increased" refusal of a time-based nonce means a counter key (whose last nonce, in ms, is far above seconds).

    Args:
        message: the venue's ``InvalidNonce`` message.
        time_based: whether the console signed with a time-based nonce.
    """
    lowered = message.lower()
    if not time_based and "within" in lowered and "second" in lowered:
        return ("this key was created with a time-based nonce: set time_based_nonce = true (or use --api ws, "
                "which needs exactly such a key)")
    if time_based and "not increased" in lowered:
        return ("this key was created with a counter nonce: set time_based_nonce = false and use --api rest "
                "(Gemini's WebSocket API takes only keys with a time-based nonce)")
    return f"InvalidNonce: {message} (check the clock and that no other program uses this key)"


def api_advice(time_based: bool) -> str:
    """Which order API a key of this nonce kind can use, and what to choose."""
    if time_based:
        return ("time-based nonce: both APIs work; --api ws (one socket, cancel-on-disconnect) or --api rest")
    return ("counter nonce: --api rest (Gemini's WebSocket API needs a key created with a time-based nonce)")


async def check_venue(rest_url: str, ws_url: str, credentials: Credentials | None,
                      transport: httpx.AsyncBaseTransport | None = None, *, time_based: bool = False) -> list[Check]:
    """REST reachability and clock skew, roles, nonce kind, WebSocket; each failure is reported, none raises.

    Args:
        time_based: sign with a time-based nonce (the setting ``time_based_nonce``) instead of a counter.
    """
    checks: list[Check] = []
    try:
        async with httpx.AsyncClient(base_url=rest_url, timeout=TIMEOUT_S, transport=transport) as http:
            before = time.time()
            response = await http.get("/v1/symbols")
            after = time.time()
    except httpx.HTTPError as exc:
        checks.append(Check("REST reachable", False, f"{rest_url}: {network_cause(exc)}"))
        checks.append(Check("clock skew", False, "not measured: the exchange did not answer"))
    else:
        rtt_ms = (after - before) * 1000
        checks.append(Check("REST reachable", response.status_code == 200,
                            f"{rest_url} HTTP {response.status_code} in {rtt_ms:.0f} ms"))
        checks.append(_skew(response.headers.get("Date"), (before + after) / 2))
    if credentials is None:
        checks.append(Check("roles", False, "not checked: no credentials"))
        return checks
    # The same clients the console builds (console.app.wiring), untapped, with a nonce source of their own.
    nonce = TimeNonceSource() if time_based else NonceSource()
    clients = venue_clients(rest_url, ws_url, credentials, nonce=nonce, transport=transport,
                            open_timeout_s=TIMEOUT_S)
    rest = clients.rest
    try:
        try:
            orders = await rest.active_orders()
            checks.append(Check("read access", True, f"/v1/orders: {len(orders)} open (Auditor or Trader role)"))
            checks.append(Check("order API", None, api_advice(time_based)))
        except NonceError as exc:
            checks.append(Check("read access", False, _why(exc)))
            checks.append(Check("nonce kind", False, nonce_kind_hint(exc.message, time_based=time_based)))
        except GeminiError as exc:
            checks.append(Check("read access", False, _why(exc)))
        try:
            await rest.heartbeat()
            checks.append(Check("Trader role", True, "/v1/heartbeat accepted: this key can trade"))
        except GeminiError as exc:
            checks.append(Check("Trader role", False, _why(exc)))
    finally:
        await rest.close()
    checks.append(await _check_ws(clients.order_events))
    return checks


def _why(exc: GeminiError) -> str:
    """The venue's reason and message, or the network's own words (``ConnectError: Name or service not known``)."""
    if isinstance(exc, ApiError):
        return f"{exc.reason}: {exc.message}"
    return network_cause(exc)


def _skew(date_header: str | None, local_s: float) -> Check:
    if not date_header:
        return Check("clock skew", False, "the exchange sent no Date header")
    try:
        server_s = email.utils.parsedate_to_datetime(date_header).timestamp()
    except (TypeError, ValueError):
        return Check("clock skew", False, f"unreadable Date header {date_header!r}")
    skew = server_s - local_s  # the header has 1 s resolution
    return Check("clock skew", abs(skew) <= MAX_SKEW_S,
                 f"{skew:+.1f} s (±1 s resolution; time-based nonces allow ±{NONCE_WINDOW_S:.0f} s, "
                 f"this check allows ±{MAX_SKEW_S:.0f} s)")


async def _check_ws(client: OrderEventsClient | TappedOrderEvents) -> Check:
    try:
        async with asyncio.timeout(TIMEOUT_S):
            async with await client.connect() as connection:
                async for message in connection:
                    if isinstance(message, SubscriptionAck):
                        return Check("WebSocket", True, f"{client.url.split('?')[0]}: subscribed")
    except TimeoutError:
        return Check("WebSocket", False, "no subscription acknowledgement within 5 s")
    except (GeminiError, OSError) as exc:
        return Check("WebSocket", False, _why(exc) if isinstance(exc, GeminiError) else network_cause(exc))
    return Check("WebSocket", False, "closed before the subscription acknowledgement")


def report(checks: Sequence[Check], out: TextIO | None = None) -> int:
    """Print one line per check (to ``out``, default stdout); return 0 if none failed, else 1."""
    out = out or sys.stdout
    for check in checks:
        print(check.line(), file=out)
    failed = sum(1 for c in checks if c.ok is False)
    print(f"{'all checks passed' if not failed else f'{failed} check(s) failed'}", file=out)
    return 1 if failed else 0


def _roxom(args: argparse.Namespace, urls: tuple[str, str] | None, env: Mapping[str, str],
           roxom: RoxomConfig) -> list[Check]:
    """The Roxom checks (``console.app.doctor_roxom``): at ``--rest-url`` with ``ROXOM_API_KEY`` and
    ``ROXOM_PRIVATE_KEY_FILE``, or on the embedded local Roxom venue, started for the purpose; signed with the
    ``[roxom]`` signing settings (the embedded venue verifies with the same ones)."""
    scheme = roxom.signing_scheme()
    if urls is not None:
        key_id, key_file = env.get("ROXOM_API_KEY"), env.get("ROXOM_PRIVATE_KEY_FILE")
        if not key_id or not key_file:
            return [Check("credentials", False, "set ROXOM_API_KEY and ROXOM_PRIVATE_KEY_FILE")]
        rest, ws = urls
        found = asyncio.run(check_roxom(rest, ws if args.ws_url else ws + "/ws", key_id, Path(key_file), scheme))
        return [Check(*check) for check in found]
    print("No venue URL given: checking the embedded local Roxom venue (started for the purpose).", file=sys.stderr)
    with LocalExchangeProcess() as exchange:
        info = exchange.start(venue="roxom", venue_args=roxom.venue_args())
        assert info.private_key_path is not None
        found = asyncio.run(check_roxom(info.rest_url, info.ws_url, info.api_key, Path(info.private_key_path),
                                        scheme))
        return [Check(*check) for check in found]


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] = os.environ) -> int:
    """``trading-console doctor [--sandbox|--production|--rest-url URL] [--config FILE] [--set NAME=VALUE]``."""
    args = parser("trading-console doctor").parse_args(list(argv or []))
    try:
        flags = parse_set_flags(args.settings)
        if args.low_bandwidth:
            flags["low_bandwidth"] = "true"
    except ValueError as exc:
        print(f"trading-console doctor: {exc}", file=sys.stderr)
        return 2
    env = dict(environ)
    if args.config:
        env["TRADING_CONSOLE_CONFIG"] = str(args.config)
    config_check, config = check_config(flags, env)
    checks = [config_check, Check("keyring", None, keyring_available()[1])]
    if env.get("SSH_CONNECTION"):
        checks.append(ssh_hint(config))
    try:
        urls = venue_urls(args)
    except UsageError as exc:
        print(f"trading-console doctor: {exc}", file=sys.stderr)
        return 2
    if (args.venue or config.venue) == "roxom":
        return report(checks + _roxom(args, urls, env, config.roxom))
    if urls is not None:
        rest, ws = urls
        credential_checks, credentials = check_credentials(env, config)
        checks += credential_checks
        time_based = config.time_based_nonce if config.time_based_nonce is not None else config.api == "ws"
        checks += asyncio.run(check_venue(rest, ws, credentials, time_based=time_based))
        return report(checks)

    print("No venue given: checking the embedded local exchange (started for the purpose).", file=sys.stderr)
    with LocalExchangeProcess() as exchange:
        info = exchange.start()
        credentials = Credentials(info.api_key, SecretStr(DEMO_API_SECRET))
        checks.append(Check("credentials", True, f"local demo key {credentials.masked_key}"))
        checks += asyncio.run(check_venue(info.rest_url, info.ws_url, credentials))
    return report(checks)
