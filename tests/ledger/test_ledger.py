"""The SQLite ledger: contents, precedence, atomicity, migration and bad files."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from dataqa.errors import InvalidSettingError, LedgerError, LengthMismatchError
from dataqa.ledger import MIGRATIONS, SCHEMA_VERSION, Ledger, to_utc_iso


@pytest.fixture()
def ledger(tmp_path: Path):
    with Ledger(tmp_path / "l.db") as ledger:
        yield ledger


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


def test_add_items_is_idempotent_and_validated(ledger: Ledger) -> None:
    assert ledger.add_items(["a", "b"], content_hashes=["h1", "h2"]) == 2
    assert ledger.add_items(["b", "c"], content_hashes=["zz", "h3"]) == 1
    items = ledger.items()
    assert items["id"].tolist() == ["a", "b", "c"]
    assert items.loc[items["id"] == "b", "content_hash"].item() == "h2"  # re-add is a no-op
    with pytest.raises(InvalidSettingError, match="repeat within the call: 'x'"):
        ledger.add_items(["x", "x"])
    with pytest.raises(InvalidSettingError, match="single string"):
        ledger.add_items("abc")
    with pytest.raises(InvalidSettingError, match="must be a dict"):
        ledger.add_items(["q"], data=["not a dict"])
    with pytest.raises(LedgerError, match="not in the ledger: 'nope'"):
        ledger.item_data(["a", "nope"])
    assert len(ledger) == 3


def test_labels_history_and_precedence(ledger: Ledger) -> None:
    ledger.add_items(["a", "b", "c", "d"])
    ledger.add_labels(["a", "b", "c"], np.array([0, 1, 1]), source="given",
                      created_at="2024-01-01T00:00:00Z")
    ledger.add_labels(["a", "b"], [1, 0], source="model", created_at="2024-06-01T00:00:00Z")
    ledger.add_labels(["b"], [1], source="human", annotator="ann1",
                      created_at="2024-02-01T00:00:00Z")
    ledger.add_labels(["c"], ["spam"], source="weak")
    ledger.add_labels(["d"], [0], source="weak", created_at="2024-01-01T00:00:00Z")
    ledger.add_labels(["d"], [1], source="model", created_at="2024-03-01T00:00:00Z")
    assert len(ledger.labels()) == 9  # history kept
    latest = ledger.latest_labels().set_index("id")
    # a: given beats a newer model label; b: human beats given and model
    assert latest.loc["a", "label"] == 0 and latest.loc["a", "source"] == "given"
    assert latest.loc["b", "label"] == 1 and latest.loc["b", "annotator"] == "ann1"
    # c: given int 1 beats weak "spam"; d: weak and model tie in tier -> newest
    assert latest.loc["c", "label"] == 1
    assert latest.loc["d", "label"] == 1 and latest.loc["d", "source"] == "model"
    assert list(latest.index) == ["a", "b", "c", "d"]
    weak = ledger.latest_labels(source="weak").set_index("id")
    assert weak.loc["c", "label"] == "spam" and isinstance(weak.loc["c", "label"], str)
    assert latest.loc["a", "created_at"] == "2024-01-01T00:00:00.000000+00:00"


def test_label_validation(ledger: Ledger) -> None:
    ledger.add_items(["a"])
    with pytest.raises(InvalidSettingError, match="label source 'oracle' is not one of given"):
        ledger.add_labels(["a"], [1], source="oracle")
    with pytest.raises(LedgerError, match="not in the ledger: 'zz'"):
        ledger.add_labels(["a", "zz"], [1, 1], source="human")
    with pytest.raises(LedgerError, match="round 7 is not in the ledger"):
        ledger.add_labels(["a"], [1], source="human", round=7)
    with pytest.raises(LengthMismatchError, match="one entry per item"):
        ledger.add_labels(["a"], [1, 2], source="human")
    with pytest.raises(InvalidSettingError, match="not an ISO-8601"):
        ledger.add_labels(["a"], [1], source="human", created_at="yesterday")
    assert ledger.labels().empty


def test_upsert_external_labels(ledger: Ledger) -> None:
    ledger.add_items(["a", "b"])
    rows = [
        {"item_id": "a", "label": "spam", "source": "human", "annotator": "x@y",
         "external_id": 11, "created_at": "2024-05-01T10:00:00Z",
         "updated_at": "2024-05-01T10:00:00Z", "lead_time": 3.5},
        {"item_id": "b", "label": "ham", "source": "human", "annotator": "x@y",
         "external_id": 12, "created_at": "2024-05-01T10:01:00Z",
         "updated_at": "2024-05-01T10:01:00Z", "lead_time": 2.0},
    ]
    assert ledger.upsert_external_labels(rows) == (2, 0)
    assert ledger.upsert_external_labels(rows) == (0, 0)  # pulled again: nothing new
    changed = dict(rows[0], label="ham", updated_at="2024-05-02T09:00:00Z")
    assert ledger.upsert_external_labels(pd.DataFrame([changed, rows[1]])) == (0, 1)
    df = ledger.labels()
    assert len(df) == 2
    a = df.set_index("id").loc["a"]
    assert a["label"] == "ham" and a["external_id"] == "11" and a["lead_time"] == 3.5
    assert a["created_at"] == "2024-05-01T10:00:00.000000+00:00"
    assert a["updated_at"] == "2024-05-02T09:00:00.000000+00:00"
    with pytest.raises(InvalidSettingError, match="row 0 lacks external_id"):
        ledger.upsert_external_labels([{"item_id": "a", "label": 1, "source": "human"}])
    with pytest.raises(InvalidSettingError, match="external ids repeat"):
        ledger.upsert_external_labels([rows[0], rows[0]])


def test_rounds(ledger: Ledger) -> None:
    ledger.add_items(list("abcdef"))
    assert ledger.current_round() is None
    r1 = ledger.start_round("uncertainty", {"batch_size": 2, "seed": np.int64(3)}, ["c", "a"],
                         scores=np.array([0.9, 0.5]))
    ledger.add_labels(["c", "a"], [1, 0], source="human", round=r1)
    ledger.finish_round(r1, {"accuracy": 0.8})
    r2 = ledger.start_round("random", {}, ["b"])
    assert (r1, r2) == (1, 2) and ledger.current_round() == 2
    df = ledger.rounds()
    assert df["batch_ids"].tolist() == [["c", "a"], ["b"]]
    assert df.loc[0, "settings"] == {"batch_size": 2, "seed": 3}
    assert df.loc[0, "scores"] == [0.9, 0.5] and df.loc[1, "scores"] == [None]
    assert df.loc[0, "metrics"] == {"accuracy": 0.8} and pd.isna(df.loc[1, "finished_at"])
    assert ledger.labels()["round"].tolist() == [1, 1]
    assert ledger.round_info(2)["n_batch"] == 1
    with pytest.raises(LedgerError, match="round 9 is not in the ledger"):
        ledger.finish_round(9, {})
    with pytest.raises(InvalidSettingError, match="batch_ids repeat"):
        ledger.start_round("x", {}, ["a", "a"])
    with pytest.raises(InvalidSettingError, match="not JSON-serialisable"):
        ledger.start_round("x", {"model": object()}, ["a"])
    assert ledger.current_round() == 2


def test_queues_tasks_and_state(ledger: Ledger) -> None:
    ledger.add_items([f"i{k}" for k in range(5)])
    q = ledger.create_queue("al-round-1", kind="active", settings={"batch": 3})
    assert ledger.create_queue("al-round-1", kind="active", project="proj") == q
    assert ledger.add_queue_items("al-round-1", ["i3", "i1", "i4"]) == 3
    assert ledger.add_queue_items("al-round-1", ["i1", "i0"]) == 1
    assert ledger.queue_items("al-round-1") == ["i3", "i1", "i4", "i0"]
    assert ledger.pending_items("al-round-1") == ["i3", "i1", "i4", "i0"]
    assert ledger.record_tasks("al-round-1", {"i3": 101, "i1": 102}, project="proj") == 2
    assert ledger.record_tasks("al-round-1", {"i3": 101}, project="proj") == 0
    assert ledger.pending_items("al-round-1") == ["i4", "i0"]
    assert ledger.task_ids(project="proj") == {"i3": 101, "i1": 102}
    assert ledger.task_ids(queue="al-round-1") == {"i3": 101, "i1": 102}
    assert ledger.task_ids(project="other") == {}
    assert ledger.forget_tasks("proj", ["i1"]) == 1
    assert ledger.pending_items("al-round-1") == ["i1", "i4", "i0"]
    qs = ledger.queues()
    assert qs.loc[0, "project"] == "proj" and qs.loc[0, "n_items"] == 4
    assert qs.loc[0, "settings"] == {"batch": 3}
    with pytest.raises(LedgerError, match="exists with kind 'active', not 'review'"):
        ledger.create_queue("al-round-1", kind="review")
    with pytest.raises(InvalidSettingError, match="queue kind 'other' is not one of"):
        ledger.create_queue("q2", kind="other")
    with pytest.raises(LedgerError, match="queue 'nope' is not in the ledger"):
        ledger.queue_items("nope")
    with pytest.raises(LedgerError, match="not in queue 'al-round-1': 'i2'"):
        ledger.record_tasks("al-round-1", {"i2": 5}, project="proj")
    assert ledger.get_state("ls:last_pull:proj") is None
    ledger.set_state("ls:last_pull:proj", {"at": "2024-01-01T00:00:00+00:00"})
    assert ledger.get_state("ls:last_pull:proj") == {"at": "2024-01-01T00:00:00+00:00"}
    assert ledger.get_state("missing", default=5) == 5
    assert ledger.summary() == {"items": 5, "labels": 0, "labeled_items": 0, "rounds": 0,
                                "queues": 1, "tasks": 1}


def test_write_interrupted_by_exception_leaves_previous_state(ledger: Ledger) -> None:
    ledger.add_items(["a", "b", "c"])
    ledger.add_labels(["a"], [0], source="given")
    # fail on the third row of one executemany: the first two must be rolled back too
    ledger._c().execute("CREATE TRIGGER boom BEFORE INSERT ON labels WHEN NEW.item_id = 'c' "
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
    with pytest.raises(LedgerError, match="is not a dataqa ledger \\(not a SQLite database"):
        Ledger(junk)
    other = tmp_path / "other.db"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE users (id INTEGER)")
    conn.commit()
    conn.close()
    with pytest.raises(LedgerError, match="SQLite database but not a dataqa ledger.*users"):
        Ledger(other)
    with pytest.raises(LedgerError, match="is a folder"):
        Ledger(tmp_path)


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    Ledger(path).close()
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.commit()
    conn.close()
    with pytest.raises(LedgerError, match=f"schema version {SCHEMA_VERSION + 1}, newer"):
        Ledger(path)


def test_migration_from_version_1(tmp_path: Path) -> None:
    path = tmp_path / "v1.db"
    conn = sqlite3.connect(path)
    MIGRATIONS[0](conn)
    conn.execute("INSERT INTO meta VALUES ('app', 'dataqa-ledger')")
    conn.execute("INSERT INTO meta VALUES ('schema_version', '1')")
    conn.execute("INSERT INTO items (id, added_at) VALUES ('old', '2023-01-01T00:00:00+00:00')")
    conn.execute("INSERT INTO labels (item_id, label, source, created_at, recorded_at) "
                 "VALUES ('old', 2, 'given', '2023-01-01T00:00:00+00:00', 'x')")
    conn.execute("PRAGMA user_version = 1")
    conn.commit()
    conn.close()
    with Ledger(path) as ledger:
        assert ledger.schema_version == SCHEMA_VERSION == 2
        assert ledger.latest_labels()["label"].tolist() == [2]
        ledger.add_items(["new"])
        ledger.create_queue("q", kind="review")
        assert ledger.upsert_external_labels([{"item_id": "new", "label": 1, "source": "human",
                                               "external_id": "e1"}]) == (1, 0)
    conn = sqlite3.connect(path)
    assert dict(conn.execute("SELECT key, value FROM meta"))["schema_version"] == "2"
    conn.close()


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


def test_to_utc_iso() -> None:
    assert to_utc_iso("2024-01-01T02:00:00+02:00") == "2024-01-01T00:00:00.000000+00:00"
    assert to_utc_iso(pd.Timestamp("2024-01-01 00:00")) == "2024-01-01T00:00:00.000000+00:00"
    assert to_utc_iso(None) is None


def test_create_false_and_bad_paths(tmp_path: Path) -> None:
    with pytest.raises(LedgerError, match="ledger '.*nope.db' does not exist; check the path"):
        Ledger(tmp_path / "nope.db", create=False)
    assert list(tmp_path.iterdir()) == []
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


def test_replace_data_and_rounds_per_label(ledger: Ledger) -> None:
    ledger.add_items(["a", "b"], split="train", data=[{"text": "x"}, {"text": "y"}])
    assert ledger.add_items(["b", "c"], data=[{"f": [1.0]}, {"f": [2.0]}], replace_data=True) == 1
    assert ledger.item_data(["a", "b", "c"]) == {"a": {"text": "x"}, "b": {"f": [1.0]},
                                                 "c": {"f": [2.0]}}
    assert ledger.items().set_index("id").loc["b", "split"] == "train"  # only data is replaced
    r = ledger.start_round("margin", {}, ["a", "b"])
    ledger.add_labels(["a", "c"], [1, 0], source="human", round=[r, None])
    rounds = ledger.labels()["round"]
    assert rounds.iloc[0] == r and rounds.isna().tolist() == [False, True]
    with pytest.raises(LedgerError, match="round 9 is not in the ledger"):
        ledger.add_labels(["a"], [1], source="human", round=[9])


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


def test_source_check_follows_label_sources(tmp_path: Path) -> None:
    from dataqa.ledger.schema import sql_in_list
    from dataqa.types import LABEL_SOURCES

    path = tmp_path / "c.db"
    with Ledger(path) as ledger:
        ledger.add_items(["a"])
        for source in LABEL_SOURCES:  # every source the contract names is accepted ...
            ledger.add_labels(["a"], [1], source=source)
        assert ledger.labels()["source"].tolist() == list(LABEL_SOURCES)
    conn = sqlite3.connect(path)
    ddl = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'labels'").fetchone()[0]
    assert f"CHECK (source IN {sql_in_list(LABEL_SOURCES)})" in ddl
    with pytest.raises(sqlite3.IntegrityError, match="CHECK constraint failed"):
        # ... and the file itself refuses any other, even past Ledger's own check
        conn.execute("INSERT INTO labels (item_id, label, source, created_at, recorded_at) "
                     "VALUES ('a', 1, 'oracle', 'x', 'x')")
    conn.close()
    assert sql_in_list(["it's"]) == "('it''s')"


def test_one_queue_kinds() -> None:
    import dataqa.ledger
    import dataqa.types

    assert dataqa.ledger.QUEUE_KINDS is dataqa.types.QUEUE_KINDS
    assert list(dataqa.types.QUEUE_KINDS) == ["review", "active", "spot_check"]


def test_new_ledger_has_the_released_schema(tmp_path: Path) -> None:
    # the split into codec/schema/store/parts changed no table, index or CHECK
    expected = (Path(__file__).parent / "schema_v2.sql").read_text()
    expected = "".join(ln + "\n" for ln in expected.splitlines() if not ln.startswith("-- "))
    Ledger(tmp_path / "s.db").close()
    conn = sqlite3.connect(tmp_path / "s.db")
    rows = conn.execute("SELECT sql FROM sqlite_master WHERE sql IS NOT NULL "
                        "ORDER BY type, name").fetchall()
    conn.close()
    assert "".join(f"{sql};\n" for (sql,) in rows) == expected


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
