"""The journal: append-only, secrets removed, stamped, durable across a SIGKILL mid-write, listed and exported."""

import csv
import io
import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap

import pytest

from console.journal import Journal, main


def test_records_are_stamped_and_secrets_removed(tmp_path):
    journal = Journal(tmp_path / "j.sqlite3", clock_ms=lambda: 1_000, environ={"SSH_CONNECTION": "10.0.0.1 5 10.0.0.2 22"})
    journal.append("request", "/v1/order/new", {"payload": {"symbol": "btcusd", "nonce": 5, "signature": "abc",
                                                            "api_secret": "s3cret"}, "api_key": "account-…1234"})
    (record,) = journal.records()
    data = json.loads(record.data)
    assert data == {"api_key": "account-…1234", "payload": {"nonce": 5, "symbol": "btcusd"}}
    assert "s3cret" not in record.data and "abc" not in record.data
    assert record.ssh == "10.0.0.1 5 10.0.0.2 22" and record.user and record.pid == os.getpid()
    assert record.time_ms == 1_000
    assert (tmp_path / "j.sqlite3").stat().st_mode & 0o077 == 0


def test_append_only_inside_the_database(tmp_path):
    journal = Journal(tmp_path / "j.sqlite3")
    journal.append("event", "/v1/order/events", {"type": "fill"})
    db = sqlite3.connect(tmp_path / "j.sqlite3")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        db.execute("UPDATE journal SET path = 'x'")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        db.execute("DELETE FROM journal")
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


WRITER = textwrap.dedent("""
    import sys
    from pathlib import Path
    from console.journal import Journal
    journal = Journal(Path(sys.argv[1]))
    i = 0
    while True:
        i += 1
        rid = journal.append("event", "/v1/order/events", {"n": i, "pad": "x" * 2000})
        sys.stdout.write(f"{rid} {i}\\n")
        sys.stdout.flush()
""")


def test_every_acknowledged_record_survives_a_sigkill_mid_write(tmp_path):
    path = tmp_path / "j.sqlite3"
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(path)], stdout=subprocess.PIPE, text=True,
                              cwd=os.getcwd(), env={**os.environ, "PYTHONPATH": os.getcwd()})
    acknowledged = []
    for line in writer.stdout:  # an ack line is printed only after append() returned
        acknowledged.append(tuple(map(int, line.split())))
        if len(acknowledged) == 300:
            break
    os.kill(writer.pid, signal.SIGKILL)  # the writer is in the middle of its next append
    writer.wait()
    assert writer.returncode == -signal.SIGKILL

    journal = Journal(path)
    assert journal.integrity() == "ok"
    stored = {(r.id, json.loads(r.data)["n"]) for r in journal.records()}
    assert set(acknowledged) <= stored
    ns = sorted(n for _, n in stored)
    assert ns == list(range(1, len(ns) + 1))  # no hole, no torn record: all or nothing per record
    journal.append("event", "/v1/order/events", {"after": "restart"})  # and it still takes writes
    assert json.loads(journal.records(limit=1)[0].data) == {"after": "restart"}


def test_journal_command_lists_and_exports_csv(tmp_path, capsys):
    path = tmp_path / "j.sqlite3"
    journal = Journal(path, clock_ms=lambda: 1_795_444_200_000)
    for i in range(3):
        journal.append("request", "/v1/order/new", {"payload": {"n": i}})
    journal.append("response", "/v1/order/new", {"status": 200, "body": "{}"})
    journal.close()
    assert main(["--path", str(path), "--limit", "2"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 and "2026-11-23 14:30:00.000Z" in lines[0] and "response" in lines[1]
    out = tmp_path / "out.csv"
    assert main(["--path", str(path), "--csv", str(out), "--direction", "request"]) == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert [json.loads(r["data"])["payload"]["n"] for r in rows] == [0, 1, 2]
    assert main(["--path", str(tmp_path / "missing.sqlite3")]) == 1
