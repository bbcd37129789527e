"""The ledger file: opening, pragmas, atomic writes, transactions, threads, locks and bad files."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from dataqa.errors import InvalidSettingError, LedgerError
from dataqa.ledger import SCHEMA_VERSION, Ledger
from dataqa.ledger.store import check_ledger_file


def test_create_reopen_and_pragmas(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "ledger.db"
    with Ledger(path) as ledger:
        assert ledger.add_items(["a", "b", "c"], split="train",
                                data=[{"text": "x"}, None, {"text": "z"}]) == 3
        assert ledger.schema_version == SCHEMA_VERSION
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    meta = dict(conn.execute("SELECT key, value FROM meta"))
    assert meta["app"] == "dataqa-ledger" and meta["schema_version"] == str(SCHEMA_VERSION)
    conn.close()
    with Ledger(path) as ledger:
        assert ledger.items()["id"].tolist() == ["a", "b", "c"]
        assert ledger.items(split="train").shape == (3, 3)
        assert ledger.item_data(["c", "b"]) == {"c": {"text": "z"}, "b": {}}
        assert len(ledger) == 3


def test_write_interrupted_by_exception_leaves_previous_state(ledger: Ledger) -> None:
    ledger.add_items(["a", "b", "c"])
    ledger.add_labels(["a"], [0], source="given")
    # fail on the third row of one executemany: the first two must be rolled back too
    ledger._connection().execute("CREATE TRIGGER boom BEFORE INSERT ON labels WHEN NEW.item_id = 'c' "
                        "BEGIN SELECT RAISE(ABORT, 'boom'); END")
    with pytest.raises(sqlite3.IntegrityError, match="boom"):
        ledger.add_labels(["a", "b", "c"], [1, 1, 1], source="human")
    rows = [{"item_id": i, "label": 1, "source": "human", "external_id": i}
            for i in ("a", "b", "c")]
    with pytest.raises(sqlite3.IntegrityError, match="boom"):
        ledger.upsert_external_labels(rows)
    df = ledger.labels()
    assert df[["id", "label", "source"]].values.tolist() == [["a", 0, "given"]]
    ledger.add_labels(["b"], [1], source="human")  # the ledger still works afterwards
    assert len(ledger.labels()) == 2


def test_an_error_after_which_sqlite_rolled_back_itself_is_the_one_raised(ledger: Ledger) -> None:
    # some errors (a full disk) end the transaction inside SQLite: undoing it again failed
    # with "cannot rollback - no transaction is active", which hid the cause
    ledger.add_items(["a", "b"])
    ledger._connection().execute(
        "CREATE TRIGGER full BEFORE INSERT ON labels WHEN NEW.item_id = 'b' "
        "BEGIN SELECT RAISE(ROLLBACK, 'database or disk is full'); END")
    with pytest.raises(sqlite3.IntegrityError, match="disk is full"):
        ledger.add_labels(["a", "b"], [1, 1], source="human")
    with pytest.raises(sqlite3.IntegrityError, match="disk is full"):
        with ledger.transaction():
            ledger.add_labels(["a"], [0], source="given")
            ledger.add_labels(["b"], [0], source="given")
    assert ledger.labels().empty
    ledger.add_labels(["a"], [1], source="human")  # the ledger still works afterwards
    assert ledger.labels()["label"].tolist() == [1]


def test_a_ledger_restored_from_a_sql_dump_opens(tmp_path: Path) -> None:
    # `sqlite3 a.ledger .dump | sqlite3 b.ledger` keeps the tables, not PRAGMA
    # user_version: the version comes from the meta table, not a second migration
    with Ledger(tmp_path / "a.ledger") as ledger:
        ledger.add_items(["007", "008"])
        ledger.add_labels(["007"], [1], source="given")
    src = sqlite3.connect(tmp_path / "a.ledger")
    dst = sqlite3.connect(tmp_path / "b.ledger")
    dst.executescript("\n".join(src.iterdump()))
    src.close()
    assert dst.execute("PRAGMA user_version").fetchone()[0] == 0
    dst.close()
    with Ledger(tmp_path / "b.ledger", create=False) as ledger:
        assert ledger.schema_version == SCHEMA_VERSION
        assert ledger.latest_labels()[["id", "label"]].values.tolist() == [["007", 1]]
        ledger.add_labels(["008"], [0], source="human")
    conn = sqlite3.connect(tmp_path / "b.ledger")
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    conn.close()
    # another application's database with a meta table: refused, and left as it was
    other = sqlite3.connect(tmp_path / "other.db")
    other.execute("CREATE TABLE meta (key TEXT, value TEXT)")
    other.execute("INSERT INTO meta VALUES ('schema_version', '2')")
    other.commit()
    other.close()
    with pytest.raises(LedgerError, match="is a SQLite database but not a dataqa ledger"):
        Ledger(tmp_path / "other.db", create=False)
    other = sqlite3.connect(tmp_path / "other.db")
    assert other.execute("PRAGMA user_version").fetchone()[0] == 0
    other.close()


@pytest.mark.parametrize("pragma", [-1, 1, 2])
def test_a_ledger_whose_user_version_was_changed_opens_at_the_recorded_version(
        tmp_path: Path, pragma: int) -> None:
    # a tool set PRAGMA user_version: migrating from it re-ran steps already applied
    # (sqlite3.OperationalError: duplicate column name: withdrawn_at)
    path = tmp_path / "a.ledger"
    with Ledger(path) as ledger:
        ledger.add_items(["007"])
        ledger.add_labels(["007"], [1], source="given")
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {pragma}")
    conn.commit()
    conn.close()
    check_ledger_file(path)
    with Ledger(path, create=False) as ledger:
        assert ledger.schema_version == SCHEMA_VERSION
        assert ledger.latest_labels()[["id", "label"]].values.tolist() == [["007", 1]]
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    # with the meta table's version gone too, the file is refused, not half migrated
    conn.execute("DELETE FROM meta WHERE key = 'schema_version'")
    conn.execute("PRAGMA user_version = -1")
    conn.commit()
    conn.close()
    for opening in (lambda: Ledger(path, create=False), lambda: check_ledger_file(path)):
        with pytest.raises(LedgerError, match=r"has lost its schema version \(neither "
                                              r"PRAGMA user_version .*restore it from a copy"):
            opening()


def test_an_empty_database_with_a_negative_user_version_becomes_a_ledger(tmp_path: Path) -> None:
    path = tmp_path / "empty.db"
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version = -5")
    conn.commit()
    conn.close()
    with Ledger(path) as ledger:
        ledger.add_items(["a"])
        assert ledger.schema_version == SCHEMA_VERSION
        assert ledger.items()["id"].tolist() == ["a"]


def test_killed_process_leaves_last_commit(tmp_path: Path) -> None:
    path = tmp_path / "k.db"
    with Ledger(path) as ledger:
        ledger.add_items(["a", "b"])
    code = (
        "import os, sys\n"
        "from dataqa.ledger import Ledger\n"
        f"ledger = Ledger({str(path)!r})\n"
        "ledger.add_labels(['a'], [1], source='human')\n"
        "with ledger._write() as conn:\n"
        "    conn.execute(\"INSERT INTO items (id, added_at) VALUES ('zz', 'now')\")\n"
        "    conn.execute(\"DELETE FROM labels\")\n"
        "    os._exit(3)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 3, proc.stderr
    with Ledger(path) as ledger:
        assert ledger.items()["id"].tolist() == ["a", "b"]
        assert ledger.labels()["label"].tolist() == [1]


def test_not_a_ledger(tmp_path: Path) -> None:
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not sqlite at all" * 100)
    with pytest.raises(LedgerError, match="is not a dataqa ledger \\(not a SQLite database"
                                          ".*; give the path of a ledger file, or a new path to "
                                          "create one.$"):
        Ledger(junk)
    # opened to read (al status): no word of creating one
    with pytest.raises(LedgerError, match="give the path of a ledger file \\(`dataqa al init` "
                                          "makes one\\).$"):
        Ledger(junk, create=False)
    other = tmp_path / "other.db"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE users (id INTEGER)")
    conn.commit()
    conn.close()
    with pytest.raises(LedgerError, match="SQLite database but not a dataqa ledger.*users"):
        Ledger(other)
    with pytest.raises(LedgerError, match="is a folder"):
        Ledger(tmp_path)


def test_closed_ledger_and_threads(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "t.db")
    ledger.add_items([f"i{k}" for k in range(200)])

    def work(start: int) -> None:
        for k in range(start, 200, 4):
            ledger.add_labels([f"i{k}"], [k % 3], source="human")

    threads = [threading.Thread(target=work, args=(s,)) for s in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(ledger.labels()) == 200
    assert sorted(ledger.latest_labels()["id"]) == sorted(f"i{k}" for k in range(200))
    ledger.close()
    ledger.close()
    with pytest.raises(LedgerError, match="is closed"):
        ledger.items()


def test_create_false_and_bad_paths(tmp_path: Path) -> None:
    with pytest.raises(LedgerError, match="ledger '.*nope.db' does not exist; check the path"):
        Ledger(tmp_path / "nope.db", create=False)
    assert list(tmp_path.iterdir()) == []
    # an empty file is no ledger to read: refused, not given a schema
    (tmp_path / "empty.db").write_bytes(b"")
    with pytest.raises(LedgerError, match=r"ledger '.*empty.db' is an empty file \(0 bytes\), "
                                          r"not a ledger; check the path \(a ledger being "
                                          r"created"):
        Ledger(tmp_path / "empty.db", create=False)
    assert (tmp_path / "empty.db").stat().st_size == 0
    with Ledger(tmp_path / "empty.db") as led:  # a push may create one there
        assert led.items().empty
    (tmp_path / "empty.db").unlink()
    with pytest.raises(InvalidSettingError, match=r"contains a NUL byte"):
        Ledger("a\x00b.db")
    (tmp_path / "file").write_text("x")
    with pytest.raises(LedgerError, match="'.*file' is a file, not a folder"):
        Ledger(tmp_path / "file" / "l.db")
    with pytest.raises(InvalidSettingError, match="timeout=-1 must be a number of seconds"):
        Ledger(tmp_path / "l.db", timeout=-1)


def test_transaction_groups_writes(ledger: Ledger) -> None:
    ledger.add_items(["a", "b"])
    with pytest.raises(LedgerError, match="not in the ledger: 'zz'"):
        with ledger.transaction():
            ledger.add_items(["c"], data=[{"text": "new"}])
            ledger.set_state("k", 1)
            ledger.add_labels(["zz"], [1], source="human")
    assert ledger.items()["id"].tolist() == ["a", "b"] and ledger.get_state("k") is None
    with ledger.transaction():
        ledger.add_items(["c"])
        with ledger.transaction():  # nested: joins the outer one
            ledger.add_labels(["c"], [1], source="human")
    assert ledger.latest_labels()["id"].tolist() == ["c"]


def test_lock_wait_and_damaged_file(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "l.db"
    with Ledger(path) as ledger:
        ledger.add_items([f"i{k}" for k in range(500)], data=[{"text": "some text"}] * 500)
    monkeypatch.setenv("DATAQA_LEDGER_TIMEOUT", "0.1")
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with Ledger(path) as ledger:
            assert ledger.timeout == 0.1 and len(ledger) == 500  # reading is not blocked (WAL)
            with pytest.raises(LedgerError, match=r"is locked by another process \(waited 0.1 s\)"):
                ledger.add_items(["new"])
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    monkeypatch.setenv("DATAQA_LEDGER_TIMEOUT", "soon")
    with pytest.raises(InvalidSettingError, match=r"\$DATAQA_LEDGER_TIMEOUT='soon'"):
        Ledger(path)
    monkeypatch.delenv("DATAQA_LEDGER_TIMEOUT")
    con = sqlite3.connect(path)
    page = con.execute("SELECT rootpage FROM sqlite_master WHERE name = 'items'").fetchone()[0]
    con.close()
    with open(path, "r+b") as fh:
        fh.seek((page - 1) * 4096)
        fh.write(b"\xff" * 64)
    with pytest.raises(LedgerError, match="is damaged .*restore it from a backup"):
        Ledger(path, create=False)


def test_opening_a_ledger_loads_no_label_studio_client() -> None:
    code = ("import sys\n"
            "from dataqa.ledger import Ledger\n"
            "with Ledger(':memory:') as ledger:\n"
            "    ledger.add_items(['a'])\n"
            "print(sorted(m for m in sys.modules if m.startswith('dataqa.labelstudio')))\n"
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'requests', 'httpx', "
            "'label_studio_sdk', 'sklearn', 'torch'}))\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split("\n")[:2] == [
        "['dataqa.labelstudio', 'dataqa.labelstudio.ledger_tasks']", "[]"]


def test_checking_a_ledger_file_leaves_nothing_beside_it(tmp_path: Path) -> None:
    from dataqa.ledger.store import check_ledger_file

    path = tmp_path / "l.db"
    Ledger(path).close()
    before = sorted(q.name for q in tmp_path.iterdir())
    assert before == ["l.db"]  # a closed WAL ledger: its -wal and -shm files are gone
    data = path.read_bytes()
    check_ledger_file(path)
    assert sorted(q.name for q in tmp_path.iterdir()) == before
    assert path.read_bytes() == data
    # a ledger open elsewhere (its -wal file present) is still checked, and passes
    other = Ledger(path)
    try:
        check_ledger_file(path)
    finally:
        other.close()
    (tmp_path / "x.db").write_bytes(b"not sqlite at all, just some bytes" * 4)
    with pytest.raises(LedgerError, match="is not a dataqa ledger"):
        check_ledger_file(tmp_path / "x.db")
