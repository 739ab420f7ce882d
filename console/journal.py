"""The journal: an append-only SQLite record of every request sent, every response and every order event.

Each record is stamped with the local user, ``SSH_CONNECTION`` and the process id. Secrets never enter it: the
request is the decoded payload (no API secret, no ``X-GEMINI-SIGNATURE``), the API key is masked.

Durability (what holds, and what the tests kill a writer to prove):
- ``journal_mode=WAL`` and ``synchronous=FULL``: every :meth:`Journal.append` is its own transaction, and the
  WAL is fsync'd before the call returns. A record whose ``append`` returned survives the process being killed
  (SIGKILL, crash) and, as far as the disk honours fsync, a power loss.
- A record being written when the process dies is either wholly there or wholly absent (SQLite's atomic commit);
  the file passes ``PRAGMA integrity_check`` on the next open.
- Append-only is enforced inside the database: triggers refuse UPDATE and DELETE.
- The cost is one fsync per record, on the caller's thread (about a millisecond on an SSD); the console writes a
  handful of records per order, so it stays far below anything a trader notices.

``trading-console journal`` lists the newest records or exports them as CSV.
"""

from __future__ import annotations

import argparse
import csv
import getpass
import json
import os
import sqlite3
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from console.tap import redact

SCHEMA = """
CREATE TABLE IF NOT EXISTS journal (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    time_ms   INTEGER NOT NULL,
    direction TEXT    NOT NULL,
    path      TEXT    NOT NULL,
    data      TEXT    NOT NULL,
    user      TEXT    NOT NULL,
    ssh       TEXT    NOT NULL,
    pid       INTEGER NOT NULL
);
CREATE TRIGGER IF NOT EXISTS journal_no_update BEFORE UPDATE ON journal
BEGIN SELECT RAISE(ABORT, 'the journal is append-only'); END;
CREATE TRIGGER IF NOT EXISTS journal_no_delete BEFORE DELETE ON journal
BEGIN SELECT RAISE(ABORT, 'the journal is append-only'); END;
"""

COLUMNS = ("id", "time_ms", "direction", "path", "data", "user", "ssh", "pid")


def default_path(environ: dict[str, str] | os._Environ = os.environ) -> Path:
    """``$XDG_STATE_HOME/trading-console/journal.sqlite3`` (``~/.local/state`` when unset)."""
    base = environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "trading-console" / "journal.sqlite3"


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return str(os.getuid())


@dataclass(frozen=True, slots=True)
class JournalRecord:
    """One journal row. ``data`` is the JSON text of the request payload, response or event."""

    id: int
    time_ms: int
    direction: str
    path: str
    data: str
    user: str
    ssh: str
    pid: int


class Journal:
    """An open journal file.

    Args:
        path: the SQLite file (created with its directory, mode 600, if missing).
        clock_ms: wall clock in ms since the epoch (tests pass a fixed one).
        environ: where ``SSH_CONNECTION`` is read from.

    Raises:
        sqlite3.DatabaseError: the file is not a journal (or is corrupt).
    """

    def __init__(self, path: Path, *, clock_ms=lambda: time.time_ns() // 1_000_000,
                 environ: dict[str, str] | os._Environ = os.environ) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if not self.path.exists():
            self.path.touch(mode=0o600)
        self._clock_ms = clock_ms
        self._user = _user()
        self._ssh = environ.get("SSH_CONNECTION", "")
        self._pid = os.getpid()
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(SCHEMA)

    def append(self, direction: str, path: str, data: dict[str, Any]) -> int:
        """Write one record durably (its own fsync'd transaction) and return its id; secrets are removed first."""
        text = json.dumps(redact(data), sort_keys=True, default=str)
        cursor = self._db.execute(
            "INSERT INTO journal (time_ms, direction, path, data, user, ssh, pid) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (self._clock_ms(), direction, path, text, self._user, self._ssh, self._pid),
        )
        return int(cursor.lastrowid)

    def observe(self, direction: str, path: str, data: dict[str, Any]) -> None:
        """A :data:`console.tap.Observer`: journal what it is told."""
        self.append(direction, path, data)

    def records(self, *, limit: int | None = None, direction: str | None = None) -> list[JournalRecord]:
        """Records oldest first; ``limit`` keeps the newest ``limit`` of them."""
        where, args = ("WHERE direction = ?", [direction]) if direction else ("", [])
        query = f"SELECT {', '.join(COLUMNS)} FROM journal {where} ORDER BY id"
        if limit is not None:
            query = f"SELECT * FROM ({query.replace('ORDER BY id', 'ORDER BY id DESC')} LIMIT ?) ORDER BY id"
            args.append(limit)
        return [JournalRecord(*row) for row in self._db.execute(query, args)]

    def integrity(self) -> str:
        """``PRAGMA integrity_check``: ``"ok"`` for a sound file."""
        return str(self._db.execute("PRAGMA integrity_check").fetchone()[0])

    def close(self) -> None:
        self._db.close()


def export_csv(records: Sequence[JournalRecord], out) -> None:
    """Write ``records`` as CSV with a header row (columns: :data:`COLUMNS`)."""
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for record in records:
        writer.writerow([getattr(record, c) for c in COLUMNS])


def _iso(time_ms: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(time_ms / 1000)) + f".{time_ms % 1000:03d}Z"


def iter_lines(records: Sequence[JournalRecord]) -> Iterator[str]:
    """One line per record for the terminal: time, direction, path, user, and the data cut to fit."""
    for r in records:
        data = r.data if len(r.data) <= 100 else r.data[:99] + "…"
        yield f"{r.id:>6} {_iso(r.time_ms)} {r.direction:<8} {r.path:<24} {r.user} {data}"


def main(argv: Sequence[str] | None = None) -> int:
    """``trading-console journal [--path FILE] [--limit N] [--direction D] [--csv OUT|-]``."""
    parser = argparse.ArgumentParser(prog="trading-console journal",
                                     description="List the journal's newest records, or export them as CSV.")
    parser.add_argument("--path", type=Path, help="journal file (default: %(default)s)", default=default_path())
    parser.add_argument("--limit", type=int, help="newest N records (default: 50 listed, all exported)")
    parser.add_argument("--direction", choices=("request", "response", "error", "event"))
    parser.add_argument("--csv", metavar="OUT", help="export as CSV to OUT ('-' for stdout); all records unless --limit")
    args = parser.parse_args(list(argv or []))
    if not args.path.exists():
        print(f"trading-console journal: no journal at {args.path}", file=sys.stderr)
        return 1
    journal = Journal(args.path)
    try:
        if args.csv:
            records = journal.records(limit=args.limit, direction=args.direction)
            if args.csv == "-":
                export_csv(records, sys.stdout)
            else:
                with open(args.csv, "w", newline="", encoding="utf-8") as out:
                    export_csv(records, out)
                print(f"{len(records)} records written to {args.csv}", file=sys.stderr)
        else:
            records = journal.records(limit=args.limit or 50, direction=args.direction)
            for line in iter_lines(records):
                print(line)
    finally:
        journal.close()
    return 0
