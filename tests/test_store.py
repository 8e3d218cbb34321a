"""The store survives what users do to it: a corrupt file is reported with its backup, a read-only
data dir is a clear error, migrations back up first and keep old sessions usable."""

import sqlite3

import pytest

from interviewer.models import DEFAULT_PERSONA, SessionInfo
from interviewer.store import MIGRATIONS, SCHEMA_VERSION, Store, StoreError


def _info(i="s1"):
    return SessionInfo(id=i, created_at="2026-01-01T00:00:00+00:00", mode="full", n_questions=1, model="m")


def test_schema_is_versioned(tmp_path):
    s = Store(tmp_path / "db.sqlite3")
    assert s.db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert s.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_an_old_schema_is_backed_up_before_migrating(tmp_path, monkeypatch):
    import interviewer.store as store

    path = tmp_path / "db.sqlite3"
    s = Store(path)
    s.create_session(_info())
    s.close()
    monkeypatch.setattr(store, "MIGRATIONS", store.MIGRATIONS + ["CREATE TABLE extra(x INTEGER);"])
    monkeypatch.setattr(store, "SCHEMA_VERSION", len(store.MIGRATIONS))
    s2 = store.Store(path)
    backups = list(tmp_path.glob(f"db.sqlite3.bak-v{SCHEMA_VERSION}-*"))
    assert len(backups) == 1
    assert sqlite3.connect(backups[0]).execute("SELECT id FROM sessions").fetchall() == [("s1",)]
    assert s2.sessions()[0].id == "s1"


def test_a_v1_database_migrates_and_its_sessions_get_the_default_persona(tmp_path):
    """A database written before the persona was stored (schema v1) opens at the current version, after a
    backup of the v1 file; its sessions read back with the default persona, and new ones keep their own."""
    path = tmp_path / "db.sqlite3"
    v1 = sqlite3.connect(path)
    v1.executescript(MIGRATIONS[0] + ";PRAGMA user_version=1;")
    v1.execute("INSERT INTO sessions(id, created_at, mode, n_questions, model, plan) VALUES (?,?,?,?,?,?)",
               ("old", "2025-12-01T00:00:00+00:00", "full", 2, "m", '["q1", "q2"]'))
    v1.commit()
    v1.close()

    s = Store(path)
    assert s.db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    old = s.session("old")
    assert old.persona == DEFAULT_PERSONA == "nvidia_architect"
    assert (old.mode, old.plan) == ("full", ["q1", "q2"])
    [backup] = tmp_path.glob("db.sqlite3.bak-v1-*")
    assert sqlite3.connect(backup).execute("SELECT id FROM sessions").fetchall() == [("old",)]
    s.create_session(_info("new").model_copy(update={"persona": "hiring_manager"}))
    assert {x.id: x.persona for x in s.sessions()} == {"old": "nvidia_architect", "new": "hiring_manager"}


def test_a_corrupt_database_is_reported_with_the_backup(tmp_path):
    path = tmp_path / "db.sqlite3"
    s = Store(path)
    s.create_session(_info())
    backup = s.backup("manual")
    s.close()
    for suffix in ("-wal", "-shm"):
        p = tmp_path / ("db.sqlite3" + suffix)
        if p.exists():
            p.unlink()
    path.write_bytes(b"this is not a database" * 500)
    with pytest.raises(StoreError) as e:
        Store(path)
    assert str(path) in str(e.value) and str(backup) in str(e.value)


def test_unwritable_data_dir_is_a_clear_error(tmp_path):
    from interviewer.config import Settings

    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the data dir should be")
    with pytest.raises(PermissionError, match="is not writable"):
        Settings(data_dir=blocker / "data").ensure_data_dir()
