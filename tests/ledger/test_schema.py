"""The ledger's schema: version checks, migrations, the CHECK from LABEL_SOURCES, one QUEUE_KINDS."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from dataqa.errors import LedgerError
from dataqa.ledger import MIGRATIONS, SCHEMA_VERSION, Ledger


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
        assert ledger.schema_version == SCHEMA_VERSION == 3
        assert ledger.latest_labels()["label"].tolist() == [2]
        ledger.add_items(["new"])
        ledger.create_queue("q", kind="review")
        assert ledger.upsert_external_labels([{"item_id": "new", "label": 1, "source": "human",
                                               "external_id": "e1"}]) == (1, 0)
    conn = sqlite3.connect(path)
    assert dict(conn.execute("SELECT key, value FROM meta"))["schema_version"] == "3"
    conn.close()


def test_migration_from_version_2_keeps_external_labels_counting(tmp_path: Path) -> None:
    path = tmp_path / "v2.db"
    conn = sqlite3.connect(path)
    MIGRATIONS[0](conn)
    MIGRATIONS[1](conn)
    conn.execute("INSERT INTO meta VALUES ('app', 'dataqa-ledger')")
    conn.execute("INSERT INTO meta VALUES ('schema_version', '2')")
    conn.execute("INSERT INTO items (id, added_at) VALUES ('a', '2023-01-01T00:00:00+00:00')")
    conn.execute("INSERT INTO labels (item_id, label, source, created_at, recorded_at, "
                 "external_id, annotator) VALUES ('a', 'spam', 'human', "
                 "'2023-01-01T00:00:00+00:00', 'x', 'labelstudio:1:2:3', 'ann')")
    conn.execute("PRAGMA user_version = 2")
    conn.commit()
    conn.close()
    with Ledger(path) as ledger:
        assert ledger.schema_version == 3
        assert ledger.latest_labels()["label"].tolist() == ["spam"]
        assert ledger.labels()["withdrawn_at"].isna().all()
        assert ledger.withdraw_external_labels(["labelstudio:1:2:3"]) == 1
        assert ledger.latest_labels().empty


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


def test_new_ledger_has_the_released_schema(tmp_path: Path) -> None:
    # the split into codec/schema/store/parts changed no table, index or CHECK
    expected = (Path(__file__).parent / "schema_v3.sql").read_text()
    expected = "".join(ln + "\n" for ln in expected.splitlines() if not ln.startswith("-- "))
    Ledger(tmp_path / "s.db").close()
    conn = sqlite3.connect(tmp_path / "s.db")
    rows = conn.execute("SELECT sql FROM sqlite_master WHERE sql IS NOT NULL "
                        "ORDER BY type, name").fetchall()
    conn.close()
    assert "".join(f"{sql};\n" for (sql,) in rows) == expected


def test_one_queue_kinds() -> None:
    import dataqa.ledger
    import dataqa.types

    assert dataqa.ledger.QUEUE_KINDS is dataqa.types.QUEUE_KINDS
    assert list(dataqa.types.QUEUE_KINDS) == ["review", "active", "spot_check", "verify"]
