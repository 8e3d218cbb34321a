"""Store: SQLite (WAL) in the data dir for sessions, turns, the drill queue and its attempts.
Versioned schema with migrations and a backup before each one; every write commits at once."""

from __future__ import annotations

import json
import shutil
import sqlite3
import threading
from datetime import datetime, timezone
from pathlib import Path

from interviewer.models import Grade, SessionInfo, Transcript, Turn


class StoreError(RuntimeError):
    """The database is unusable (corrupt, read-only, full); the message names the path and any backup."""


MIGRATIONS: list[str] = [
    # v1
    """
    CREATE TABLE sessions (
        id TEXT PRIMARY KEY, created_at TEXT NOT NULL, mode TEXT NOT NULL, focus TEXT,
        n_questions INTEGER NOT NULL, model TEXT NOT NULL, status TEXT NOT NULL DEFAULT 'active',
        plan TEXT NOT NULL DEFAULT '[]'
    );
    CREATE TABLE turns (
        id INTEGER PRIMARY KEY AUTOINCREMENT, session_id TEXT NOT NULL REFERENCES sessions(id),
        idx INTEGER NOT NULL, question_id TEXT NOT NULL, topic TEXT NOT NULL, question TEXT NOT NULL,
        is_follow_up INTEGER NOT NULL DEFAULT 0, follow_up_of INTEGER, key_point INTEGER,
        answer TEXT, grade TEXT, score REAL, timings TEXT NOT NULL DEFAULT '{}', model TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL, answered_at TEXT,
        UNIQUE(session_id, idx)
    );
    CREATE TABLE drill (
        question_id TEXT PRIMARY KEY, topic TEXT NOT NULL, missed TEXT NOT NULL DEFAULT '[]',
        easiness REAL NOT NULL, interval_days REAL NOT NULL, repetitions INTEGER NOT NULL,
        due_at TEXT NOT NULL, last_score REAL, updated_at TEXT NOT NULL
    );
    CREATE TABLE drill_attempts (
        id INTEGER PRIMARY KEY AUTOINCREMENT, question_id TEXT NOT NULL, session_id TEXT NOT NULL,
        turn_idx INTEGER NOT NULL, score REAL NOT NULL, missed TEXT NOT NULL DEFAULT '[]', at TEXT NOT NULL
    );
    CREATE INDEX turns_session ON turns(session_id, idx);
    """,
    # v2: the interviewer persona chosen when a session starts, so that resuming it keeps that persona.
    # Older sessions get nvidia_architect, the default persona they were resumed with until now.
    """
    ALTER TABLE sessions ADD COLUMN persona TEXT NOT NULL DEFAULT 'nvidia_architect';
    """,
    # v3: delivery feedback of spoken answers (JSON); typed answers and older turns have none.
    """
    ALTER TABLE turns ADD COLUMN delivery TEXT;
    """,
    # v4: the bank text of a question the model worded (an answer-aware follow-up), whose rubric grades it.
    """
    ALTER TABLE turns ADD COLUMN bank_question TEXT;
    """,
]
SCHEMA_VERSION = len(MIGRATIONS)


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class Store:
    def __init__(self, path: Path):
        self.path = Path(path)
        self.lock = threading.RLock()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            self.db = sqlite3.connect(str(self.path), check_same_thread=False, isolation_level=None)
            self.db.row_factory = sqlite3.Row
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.execute("PRAGMA foreign_keys=ON")
            ok = self.db.execute("PRAGMA quick_check").fetchone()[0]
        except sqlite3.DatabaseError as e:
            raise StoreError(f"database {self.path} is corrupt or unreadable ({e}); {self._backups_hint()}") from e
        except OSError as e:
            raise StoreError(f"cannot open database {self.path}: {e}") from e
        if ok != "ok":
            raise StoreError(f"database {self.path} failed its integrity check ({ok}); {self._backups_hint()}")
        self._migrate()

    def _backups_hint(self) -> str:
        backups = sorted(self.path.parent.glob(self.path.name + ".bak-*"))
        if backups:
            return f"the latest backup is {backups[-1]}; move the broken file away and copy the backup in its place"
        return "no backup exists; move the broken file away to start a new database"

    def _migrate(self) -> None:
        with self.lock:
            version = self.db.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise StoreError(f"database {self.path} has schema v{version}, newer than this app (v{SCHEMA_VERSION})")
            if version == SCHEMA_VERSION:
                return
            if version > 0:
                self.backup(f"v{version}")
            for v in range(version, SCHEMA_VERSION):
                try:
                    self.db.executescript("BEGIN;" + MIGRATIONS[v] + f";PRAGMA user_version={v + 1};COMMIT;")
                except sqlite3.Error as e:
                    self.db.execute("ROLLBACK") if self.db.in_transaction else None
                    raise StoreError(f"migration to v{v + 1} of {self.path} failed: {e}") from e

    def backup(self, tag: str) -> Path:
        dest = self.path.with_name(f"{self.path.name}.bak-{tag}-{datetime.now().strftime('%Y%m%d%H%M%S')}")
        self.db.execute("PRAGMA wal_checkpoint(FULL)")
        shutil.copy2(self.path, dest)
        return dest

    def _write(self, sql: str, args: tuple = ()) -> sqlite3.Cursor:
        with self.lock:
            try:
                return self.db.execute(sql, args)
            except sqlite3.OperationalError as e:
                raise self._write_error(e) from e

    def _write_error(self, e: sqlite3.OperationalError) -> StoreError:
        """A failed write, in words: SQLite has rolled it back, so what was committed before is intact."""
        msg, code = str(e), getattr(e, "sqlite_errorcode", 0)
        if "readonly" in msg or "read-only" in msg:
            return StoreError(f"database {self.path} is read-only; set --data-dir to a writable folder")
        kept = f"this change was not saved; everything saved before it is kept in {self.path}"
        if code == sqlite3.SQLITE_FULL or "full" in msg:
            return StoreError(f"the disk is full: no room left for the database in the data dir {self.path.parent}; "
                              f"{kept}. Free some space on that disk (or set --data-dir to a folder on another disk) "
                              "and try again")
        if code & 0xFF == sqlite3.SQLITE_IOERR:  # EFBIG, EDQUOT and EIO on a write all arrive here
            return StoreError(f"could not write the database in the data dir {self.path.parent} ({e}): the disk may "
                              f"be full, over its quota or failing; {kept}. Free some space or check the disk, "
                              "then try again")
        return StoreError(f"database {self.path}: {e}")

    # ------------------------------------------------------------------ sessions

    def create_session(self, info: SessionInfo) -> None:
        self._write(
            "INSERT INTO sessions(id, created_at, mode, focus, n_questions, model, status, plan, persona)"
            " VALUES (?,?,?,?,?,?,?,?,?)",
            (info.id, info.created_at, info.mode, info.focus, info.n_questions, info.model, info.status,
             json.dumps(info.plan), info.persona),
        )

    def set_status(self, session_id: str, status: str) -> None:
        self._write("UPDATE sessions SET status=? WHERE id=?", (status, session_id))

    def session(self, session_id: str) -> SessionInfo:
        with self.lock:
            r = self.db.execute(
                "SELECT s.*, (SELECT COUNT(*) FROM turns t WHERE t.session_id=s.id AND t.answer IS NOT NULL) AS n,"
                " (SELECT AVG(score) FROM turns t WHERE t.session_id=s.id AND t.score IS NOT NULL) AS mean"
                " FROM sessions s WHERE s.id=?", (session_id,)).fetchone()
        if r is None:
            raise KeyError(f"no session {session_id!r}")
        return self._info(r)

    def _info(self, r: sqlite3.Row) -> SessionInfo:
        return SessionInfo(id=r["id"], created_at=r["created_at"], mode=r["mode"], focus=r["focus"],
                           n_questions=r["n_questions"], model=r["model"], status=r["status"],
                           plan=json.loads(r["plan"]), persona=r["persona"], turns=r["n"],
                           mean_score=None if r["mean"] is None else round(r["mean"], 2))

    def sessions(self) -> list[SessionInfo]:
        with self.lock:
            rows = self.db.execute(
                "SELECT s.*, (SELECT COUNT(*) FROM turns t WHERE t.session_id=s.id AND t.answer IS NOT NULL) AS n,"
                " (SELECT AVG(score) FROM turns t WHERE t.session_id=s.id AND t.score IS NOT NULL) AS mean"
                " FROM sessions s ORDER BY s.created_at DESC, s.rowid DESC").fetchall()
        return [self._info(r) for r in rows]

    # ------------------------------------------------------------------ turns

    def add_turn(self, t: Turn) -> Turn:
        """Record a question as asked (answer pending), so a crash resumes at this turn."""
        t.created_at = t.created_at or now()
        cur = self._write(
            "INSERT INTO turns(session_id, idx, question_id, topic, question, is_follow_up, follow_up_of, key_point,"
            " model, created_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
            (t.session_id, t.idx, t.question_id, t.topic, t.question, int(t.is_follow_up), t.follow_up_of,
             t.key_point, t.model, t.created_at),
        )
        t.id = cur.lastrowid
        return t

    def answer_turn(self, t: Turn) -> None:
        t.answered_at = now()
        self._write(
            "UPDATE turns SET answer=?, grade=?, score=?, timings=?, model=?, answered_at=?, delivery=?"
            " WHERE session_id=? AND idx=?",
            (t.answer, t.grade.model_dump_json() if t.grade else None, t.grade.score if t.grade else None,
             json.dumps(t.timings), t.model, t.answered_at, json.dumps(t.delivery) if t.delivery else None,
             t.session_id, t.idx),
        )

    def set_question_text(self, session_id: str, idx: int, text: str, bank_question: str | None = None) -> None:
        """The question as asked; bank_question keeps the bank text whose rubric grades it, when they differ."""
        self._write("UPDATE turns SET question=?, bank_question=? WHERE session_id=? AND idx=?",
                    (text, bank_question, session_id, idx))

    def set_timings(self, session_id: str, idx: int, timings: dict[str, float]) -> None:
        """The turn's timings and counts, updated after its answer was committed (the model's corrections)."""
        self._write("UPDATE turns SET timings=? WHERE session_id=? AND idx=?", (json.dumps(timings), session_id, idx))

    def regrade_turn(self, session_id: str, idx: int, grade: Grade) -> None:
        self._write("UPDATE turns SET grade=?, score=? WHERE session_id=? AND idx=?",
                    (grade.model_dump_json(), grade.score, session_id, idx))

    def turns(self, session_id: str) -> list[Turn]:
        with self.lock:
            rows = self.db.execute("SELECT * FROM turns WHERE session_id=? ORDER BY idx", (session_id,)).fetchall()
        return [self._turn(r) for r in rows]

    def _turn(self, r: sqlite3.Row) -> Turn:
        return Turn(id=r["id"], session_id=r["session_id"], idx=r["idx"], question_id=r["question_id"],
                    topic=r["topic"], question=r["question"], bank_question=r["bank_question"],
                    is_follow_up=bool(r["is_follow_up"]),
                    follow_up_of=r["follow_up_of"], key_point=r["key_point"], answer=r["answer"],
                    grade=Grade.model_validate_json(r["grade"]) if r["grade"] else None,
                    timings=json.loads(r["timings"]), model=r["model"], created_at=r["created_at"],
                    answered_at=r["answered_at"], delivery=json.loads(r["delivery"]) if r["delivery"] else None)

    def transcript(self, session_id: str) -> Transcript:
        return Transcript(session=self.session(session_id), turns=self.turns(session_id))

    def attempts_of(self, question_id: str) -> list[Turn]:
        """Every answered turn of one question across sessions, oldest first."""
        with self.lock:
            rows = self.db.execute(
                "SELECT * FROM turns WHERE question_id=? AND answer IS NOT NULL AND is_follow_up=0 ORDER BY answered_at",
                (question_id,)).fetchall()
        return [self._turn(r) for r in rows]

    def all_answered(self) -> list[Turn]:
        with self.lock:
            rows = self.db.execute(
                "SELECT * FROM turns WHERE answer IS NOT NULL AND grade IS NOT NULL ORDER BY answered_at").fetchall()
        return [self._turn(r) for r in rows]

    # ------------------------------------------------------------------ drill queue

    def drill_item(self, question_id: str) -> dict | None:
        with self.lock:
            r = self.db.execute("SELECT * FROM drill WHERE question_id=?", (question_id,)).fetchone()
        return None if r is None else {**dict(r), "missed": json.loads(r["missed"])}

    def put_drill(self, item: dict) -> None:
        self._write(
            "INSERT INTO drill(question_id, topic, missed, easiness, interval_days, repetitions, due_at, last_score,"
            " updated_at) VALUES (:question_id,:topic,:missed,:easiness,:interval_days,:repetitions,:due_at,"
            ":last_score,:updated_at) ON CONFLICT(question_id) DO UPDATE SET topic=excluded.topic,"
            " missed=excluded.missed, easiness=excluded.easiness, interval_days=excluded.interval_days,"
            " repetitions=excluded.repetitions, due_at=excluded.due_at, last_score=excluded.last_score,"
            " updated_at=excluded.updated_at",
            {**item, "missed": json.dumps(item["missed"]), "updated_at": now()},
        )

    def drill_queue(self) -> list[dict]:
        with self.lock:
            rows = self.db.execute("SELECT * FROM drill ORDER BY due_at").fetchall()
        return [{**dict(r), "missed": json.loads(r["missed"])} for r in rows]

    def add_attempt(self, question_id: str, session_id: str, turn_idx: int, score: float, missed: list[str]) -> None:
        self._write("INSERT INTO drill_attempts(question_id, session_id, turn_idx, score, missed, at) VALUES (?,?,?,?,?,?)",
                    (question_id, session_id, turn_idx, score, json.dumps(missed), now()))

    def attempts(self, question_id: str | None = None) -> list[dict]:
        with self.lock:
            if question_id:
                rows = self.db.execute("SELECT * FROM drill_attempts WHERE question_id=? ORDER BY id",
                                       (question_id,)).fetchall()
            else:
                rows = self.db.execute("SELECT * FROM drill_attempts ORDER BY id").fetchall()
        return [{**dict(r), "missed": json.loads(r["missed"])} for r in rows]

    def close(self) -> None:
        with self.lock:
            self.db.close()
