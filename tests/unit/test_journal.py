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

from console.trading.journal import Journal, main


def test_records_are_stamped_and_secrets_removed(tmp_path):
    journal = Journal(tmp_path / "j.sqlite3", clock_ms=lambda: 1_000,
                      environ={"SSH_CONNECTION": "10.0.0.1 5 10.0.0.2 22"})
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
    from console.trading.journal import Journal
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
    assert len(lines) == 4 and lines[0].split()[:3] == ["id", "time", "(UTC)"]  # header, then the run's URL
    assert "2026-11-23 14:30:00.000Z" in lines[2] and "response" in lines[3]
    out = tmp_path / "out.csv"
    assert main(["--path", str(path), "--csv", str(out), "--direction", "request"]) == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert [json.loads(r["data"])["payload"]["n"] for r in rows] == [0, 1, 2]
    assert main(["--path", str(tmp_path / "missing.sqlite3")]) == 1


KEY = "account-AbCdEfGh12345678wxyz"


def test_every_record_masks_the_api_key_and_names_its_venue(tmp_path):
    journal = Journal(tmp_path / "j.sqlite3", venue="SANDBOX", url="https://api.sandbox.gemini.com")
    journal.append("request", "/v1/order/new", {"api_key": "account-…wxyz", "payload": {"client_order_id": "tc-1"}})
    journal.append("response", "/v1/order/new", {"status": 200, "body": json.dumps(
        {"order_id": "73000000012", "client_order_id": "tc-1", "api_session": KEY})})
    journal.append("event", "/v1/order/events", {"type": "booked", "order_id": "73000000012",
                                                 "client_order_id": "tc-1", "api_session": KEY})
    journal.append("exit", "summary", {"reason": "SIGHUP", "working": []})
    records = journal.records()
    assert all(KEY not in r.data for r in records)
    assert [json.loads(r.data).get("api_session") for r in records[1:3]] == [None, "account-…wxyz"]
    assert json.loads(json.loads(records[1].data)["body"])["api_session"] == "account-…wxyz"
    assert {(r.venue, r.url) for r in records} == {("SANDBOX", "https://api.sandbox.gemini.com")}
    assert [(r.kind, r.order_id, r.client_order_id) for r in records] == [
        ("", "", "tc-1"), ("", "73000000012", "tc-1"), ("booked", "73000000012", "tc-1"), ("SIGHUP", "", "")]


def test_an_older_journal_gets_the_new_columns_and_keeps_its_records(tmp_path):
    path = tmp_path / "old.sqlite3"
    db = sqlite3.connect(path)
    db.executescript("""CREATE TABLE journal (id INTEGER PRIMARY KEY AUTOINCREMENT, time_ms INTEGER NOT NULL,
        direction TEXT NOT NULL, path TEXT NOT NULL, data TEXT NOT NULL, user TEXT NOT NULL, ssh TEXT NOT NULL,
        pid INTEGER NOT NULL);
        INSERT INTO journal (time_ms, direction, path, data, user, ssh, pid)
            VALUES (1, 'event', '/e', '{}', 'u', '', 1);""")
    db.close()
    journal = Journal(path, venue="LOCAL", url="http://127.0.0.1:1")
    journal.append("event", "/v1/order/events", {"type": "fill", "order_id": "7"})
    old, new = journal.records()
    assert (old.venue, old.kind, old.order_id) == ("", "", "") and (new.venue, new.kind, new.order_id) == (
        "LOCAL", "fill", "7")


def test_listing_shows_venue_type_and_order_and_filters_by_time_and_order(tmp_path, capsys):
    path = tmp_path / "j.sqlite3"
    now = [1_795_444_200_000]  # 2026-11-23 14:30:00 UTC
    for venue, url in (("LOCAL", "http://127.0.0.1:1"), ("SANDBOX", "https://api.sandbox.gemini.com"),
                       ("LOCAL", "http://127.0.0.1:2")):
        journal = Journal(path, clock_ms=lambda: now[0], venue=venue, url=url)
        journal.append("event", "/v1/order/events", {"type": "booked", "order_id": f"7{now[0] % 10_000_000}",
                                                     "client_order_id": f"tc-{venue}"})
        journal.close()
        now[0] += 60_000
    assert main(["--path", str(path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    header, *rows = lines
    assert "venue" in header and "type" in header and "order id" in header
    assert [r.split()[1:3] for r in rows if r.lstrip().startswith("--")] == [
        ["LOCAL", "http://127.0.0.1:1"], ["SANDBOX", "https://api.sandbox.gemini.com"], ["LOCAL", "http://127.0.0.1:2"]]
    sandbox = next(r for r in rows if not r.lstrip().startswith("--") and "SANDBOX" in r)
    assert sandbox.split()[4:7] == ["event", "booked", "74260000"]
    assert main(["--path", str(path), "--since", "2026-11-23T14:31", "--until", "2026-11-23T14:32"]) == 0
    assert [r.split()[3] for r in capsys.readouterr().out.splitlines()[1:] if not r.lstrip().startswith("--")] == [
        "SANDBOX"]
    assert main(["--path", str(path), "--order", "tc-LOCAL", "--csv", "-"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [(r["venue"], r["url"], r["kind"]) for r in rows] == [
        ("LOCAL", "http://127.0.0.1:1", "booked"), ("LOCAL", "http://127.0.0.1:2", "booked")]
    assert main(["--path", str(path), "--order", "74260000"]) == 0
    assert sum("74260000" in r for r in capsys.readouterr().out.splitlines()) == 1
    with pytest.raises(SystemExit):
        main(["--path", str(path), "--since", "yesterday"])
