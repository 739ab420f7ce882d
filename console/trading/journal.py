"""The journal: an append-only SQLite record of every request sent, every response and every order event.

Each record is stamped with the local user, ``SSH_CONNECTION``, the process id and the venue it was sent to or
received from (environment and REST URL: a SANDBOX run between LOCAL ones stands out). Secrets never enter it: the
request is the decoded payload (no API secret, no ``X-GEMINI-SIGNATURE``), and every API key id in a record (the
request's key, an event's or an order's ``api_session``) is masked as ``account-…ab12``. Each record also carries
the event type (order events; ``exit`` records: why the console left) and the order id and client order id it is
about, when it names one, so the listing can be filtered by time and by order.

Durability (what holds, and what the tests kill a writer to prove):
- ``journal_mode=WAL`` and ``synchronous=FULL``: every :meth:`Journal.append` is its own transaction, and the
  WAL is fsync'd before the call returns. A record whose ``append`` returned survives the process being killed
  (SIGKILL, crash) and, as far as the disk honours fsync, a power loss.
- A record being written when the process dies is either wholly there or wholly absent (SQLite's atomic commit);
  the file passes ``PRAGMA integrity_check`` on the next open.
- Append-only is enforced inside the database: triggers refuse UPDATE and DELETE.
- The cost is one fsync per record, on the caller's thread (about a millisecond on an SSD); the console writes a
  handful of records per order, so it stays far below anything a trader notices.

``trading-console journal`` lists the newest records (filtered by time, order, direction) or exports them as CSV.
Files written before the venue and order columns existed get them (empty) on the next open.
"""

from __future__ import annotations

import argparse
import csv
import getpass
import json
import os
import re
import sqlite3
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from console.util.clock import ClockMs, wall_clock_ms
from console.util.redact import mask_key, redact

SCHEMA = """
CREATE TABLE IF NOT EXISTS journal (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    time_ms   INTEGER NOT NULL,
    direction TEXT    NOT NULL,
    path      TEXT    NOT NULL,
    data      TEXT    NOT NULL,
    user      TEXT    NOT NULL,
    ssh       TEXT    NOT NULL,
    pid       INTEGER NOT NULL,
    venue     TEXT    NOT NULL DEFAULT '',
    url       TEXT    NOT NULL DEFAULT '',
    kind      TEXT    NOT NULL DEFAULT '',
    order_id  TEXT    NOT NULL DEFAULT '',
    client_order_id TEXT NOT NULL DEFAULT ''
);
CREATE TRIGGER IF NOT EXISTS journal_no_update BEFORE UPDATE ON journal
BEGIN SELECT RAISE(ABORT, 'the journal is append-only'); END;
CREATE TRIGGER IF NOT EXISTS journal_no_delete BEFORE DELETE ON journal
BEGIN SELECT RAISE(ABORT, 'the journal is append-only'); END;
"""

COLUMNS = ("id", "time_ms", "venue", "url", "direction", "kind", "order_id", "client_order_id", "path", "data",
           "user", "ssh", "pid")
#: Columns added after the first release: an older file gets them (empty) when opened.
ADDED_COLUMNS = ("venue", "url", "kind", "order_id", "client_order_id")

#: A Gemini API key id anywhere in a record's text (masked before it is written).
_KEY_ID = re.compile(r"(?<![A-Za-z0-9])(?:account|master)-[A-Za-z0-9]{8,}")


def mask_keys(text: str) -> str:
    """``text`` with every API key id (``account-…``/``master-…`` and 8+ letters/digits) masked by ``mask_key``."""
    return _KEY_ID.sub(lambda m: mask_key(m.group(0)), text)


def _ids(direction: str, data: dict[str, Any]) -> tuple[str, str, str]:
    """The record's kind (event type, exit reason), order id and client order id, where the data names them."""
    kind = ""
    source: Any = data
    if direction == "event":
        kind = str(data.get("type") or "")
    elif direction == "exit":
        kind = str(data.get("reason") or "")
    elif direction == "request":
        source = data.get("payload") or {}
    elif direction == "response":
        try:
            source = json.loads(data.get("body") or "")
        except (TypeError, ValueError):
            source = {}
    if not isinstance(source, dict):
        return kind, "", ""
    order_id, client_id = source.get("order_id"), source.get("client_order_id")
    return kind, "" if order_id is None else str(order_id), "" if client_id is None else str(client_id)


def default_path(environ: Mapping[str, str] = os.environ) -> Path:
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
    """One journal row. ``data`` is the JSON text of the request payload, response, event or exit summary.

    ``venue`` is the environment (``LOCAL``, ``SANDBOX``, ``PRODUCTION``) and ``url`` the REST base URL; ``kind``
    the event type (``booked``, ``fill``…) or an exit's reason; ``order_id`` / ``client_order_id`` the order the
    record is about (``""`` when none, and in records written before these columns existed).
    """

    id: int
    time_ms: int
    venue: str
    url: str
    direction: str
    kind: str
    order_id: str
    client_order_id: str
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
        venue: the environment every record of this writer is stamped with, e.g. ``"SANDBOX"``.
        url: the exchange's REST base URL, e.g. ``"https://api.sandbox.gemini.com"``.

    Raises:
        sqlite3.DatabaseError: the file is not a journal (or is corrupt).
    """

    def __init__(self, path: Path, *, clock_ms: ClockMs = wall_clock_ms,
                 environ: Mapping[str, str] = os.environ, venue: str = "", url: str = "") -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if not self.path.exists():
            self.path.touch(mode=0o600)
        self._clock_ms = clock_ms
        self._user = _user()
        self._ssh = environ.get("SSH_CONNECTION", "")
        self._pid = os.getpid()
        self._venue = venue
        self._url = url
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(SCHEMA)
        have = {row[1] for row in self._db.execute("PRAGMA table_info(journal)")}
        for column in ADDED_COLUMNS:  # a file from before these columns: add them (ALTER is not an UPDATE)
            if column not in have:
                self._db.execute(f"ALTER TABLE journal ADD COLUMN {column} TEXT NOT NULL DEFAULT ''")

    def append(self, direction: str, path: str, data: dict[str, Any]) -> int:
        """Write one record durably (its own fsync'd transaction) and return its id.

        Secrets are removed first and every API key id in the record is masked (:func:`mask_keys`).
        """
        data = redact(data)
        kind, order_id, client_order_id = _ids(direction, data)
        text = mask_keys(json.dumps(data, sort_keys=True, default=str, ensure_ascii=False))
        cursor = self._db.execute(
            "INSERT INTO journal (time_ms, venue, url, direction, kind, order_id, client_order_id, path, data, "
            "user, ssh, pid) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (self._clock_ms(), self._venue, self._url, direction, kind, order_id, mask_keys(client_order_id), path,
             text, self._user, self._ssh, self._pid),
        )
        rowid = cursor.lastrowid
        assert rowid is not None  # an INSERT always sets it
        return rowid

    def observe(self, direction: str, path: str, data: dict[str, Any]) -> None:
        """A :data:`console.venues.gemini.tap.Observer`: journal what it is told."""
        self.append(direction, path, data)

    def records(self, *, limit: int | None = None, direction: str | None = None, since_ms: int | None = None,
                until_ms: int | None = None, order: str | None = None) -> list[JournalRecord]:
        """Records oldest first; ``limit`` keeps the newest ``limit`` of those that match.

        Args:
            limit: newest N records (all when None).
            direction: only ``request``, ``response``, ``error``, ``event`` or ``exit`` records.
            since_ms / until_ms: only records with ``since_ms <= time_ms < until_ms`` (ms since the epoch).
            order: only records about this order: its order id or its client order id.
        """
        clauses: list[str] = []
        args: list[Any] = []
        if direction:
            clauses.append("direction = ?")
            args.append(direction)
        if since_ms is not None:
            clauses.append("time_ms >= ?")
            args.append(since_ms)
        if until_ms is not None:
            clauses.append("time_ms < ?")
            args.append(until_ms)
        if order:
            clauses.append("(order_id = ? OR client_order_id = ?)")
            args += [order, order]
        where = ("WHERE " + " AND ".join(clauses)) if clauses else ""
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


def export_csv(records: Sequence[JournalRecord], out: TextIO) -> None:
    """Write ``records`` as CSV with a header row (columns: :data:`COLUMNS`)."""
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for record in records:
        writer.writerow([getattr(record, c) for c in COLUMNS])


def _iso(time_ms: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(time_ms / 1000)) + f".{time_ms % 1000:03d}Z"


#: The listing's header line (see :func:`iter_lines`).
LISTING_HEADER = (f"{'id':>6} {'time (UTC)':<24} {'venue':<10} {'direction':<9} {'type':<16} {'order id':<14} "
                  f"{'path':<24} {'user':<8} data")


def iter_lines(records: Sequence[JournalRecord]) -> Iterator[str]:
    """A header, then one line per record: time, venue, direction, event type, order id (else client order id),
    path, user, and the data cut to fit. The exchange URL of each run is shown once, where the run starts."""
    yield LISTING_HEADER
    url = None
    for r in records:
        if r.url != url:
            url = r.url
            yield f"{'':>6} -- {r.venue or 'venue not recorded'} {r.url}".rstrip()
        data = r.data if len(r.data) <= 100 else r.data[:99] + "…"
        ident = r.order_id or r.client_order_id or "-"
        yield (f"{r.id:>6} {_iso(r.time_ms):<24} {r.venue or '-':<10} {r.direction:<9} {r.kind or '-':<16} "
               f"{ident:<14} {r.path:<24} {r.user:<8} {data}")


def parse_time_ms(text: str) -> int:
    """A ``--since``/``--until`` value as ms since the epoch.

    Accepts ms since the epoch (``1795444200000``) or an ISO 8601 time (``2026-11-22T14:30``, ``2026-11-22
    14:30:05``; UTC unless it carries an offset).

    Raises:
        ValueError: neither form.
    """
    text = text.strip()
    if text.isdigit():
        return int(text)
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{text!r} is not a time: give ms since the epoch or e.g. 2026-11-22T14:30 (UTC)") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)


def _time_arg(text: str) -> int:
    try:
        return parse_time_ms(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def main(argv: Sequence[str] | None = None) -> int:
    """``trading-console journal [--path FILE] [--limit N] [--direction D] [--since T] [--until T] [--order ID]
    [--csv OUT|-]``."""
    parser = argparse.ArgumentParser(prog="trading-console journal",
                                     description="List the journal's newest records, or export them as CSV.")
    parser.add_argument("--path", type=Path, help="journal file (default: %(default)s)", default=default_path())
    parser.add_argument("--limit", type=int, help="newest N records (default: 50 listed, all exported)")
    parser.add_argument("--direction", choices=("request", "response", "error", "event", "exit"))
    parser.add_argument("--since", type=_time_arg, metavar="TIME",
                        help="records at or after TIME (UTC ISO time, e.g. 2026-11-22T14:30, or ms since the epoch)")
    parser.add_argument("--until", type=_time_arg, metavar="TIME", help="records before TIME (same forms)")
    parser.add_argument("--order", metavar="ID", help="records about one order: its order id or client order id")
    parser.add_argument("--csv", metavar="OUT",
                        help="export as CSV to OUT ('-' for stdout); all records unless --limit")
    args = parser.parse_args(list(argv or []))
    if not args.path.exists():
        print(f"trading-console journal: no journal at {args.path}", file=sys.stderr)
        return 1
    journal = Journal(args.path)
    filters = {"direction": args.direction, "since_ms": args.since, "until_ms": args.until, "order": args.order}
    try:
        if args.csv:
            records = journal.records(limit=args.limit, **filters)
            if args.csv == "-":
                export_csv(records, sys.stdout)
            else:
                with open(args.csv, "w", newline="", encoding="utf-8") as out:
                    export_csv(records, out)
                print(f"{len(records)} records written to {args.csv}", file=sys.stderr)
        else:
            records = journal.records(limit=args.limit or 50, **filters)
            for line in iter_lines(records):
                print(line)
    finally:
        journal.close()
    return 0
