"""``trading-console serve``: publish the console to a browser with textual-serve.

Each browser tab that connects starts its own console process (``python -m console.app.cli`` with the arguments
given after ``--``), rendered in the page by textual-serve's xterm.js front end. It binds 127.0.0.1 by default:
anyone who can reach the port can trade with the key in this environment, so expose it only behind
something that authenticates (an SSH tunnel, a reverse proxy with login).
"""

from __future__ import annotations

import argparse
import shlex
import sys
from collections.abc import Sequence


def console_command(console_args: Sequence[str]) -> str:
    """The shell command textual-serve runs per browser session, e.g. ``python -m console.app.cli --sandbox``."""
    return " ".join(shlex.quote(part) for part in (sys.executable, "-m", "console.app.cli", *console_args))


def main(argv: Sequence[str] | None = None) -> int:
    """``trading-console serve [--host H] [--port P] [--public-url URL] [-- CONSOLE ARGS...]``."""
    argv = list(argv or [])
    console_args: list[str] = []
    if "--" in argv:
        at = argv.index("--")
        argv, console_args = argv[:at], argv[at + 1:]
    parser = argparse.ArgumentParser(prog="trading-console serve",
                                     description="Serve the console to a web browser (textual-serve).",
                                     epilog="Arguments after -- go to the console, e.g. -- --sandbox")
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (default: %(default)s)")
    parser.add_argument("--port", type=int, default=8000, help="port (default: %(default)s)")
    parser.add_argument("--public-url", help="URL the browser uses, when behind a proxy")
    args = parser.parse_args(argv)

    from textual_serve.server import Server

    print(f"Serving the console on http://{args.host}:{args.port} (Ctrl+C stops)", file=sys.stderr)
    Server(console_command(console_args), host=args.host, port=args.port, title="Trading console",
           public_url=args.public_url).serve()
    return 0
