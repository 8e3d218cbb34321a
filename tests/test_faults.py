"""Kill -9 while a question streams or while the index is being rebuilt: restart finds the session at the
right turn and re-ingest repairs the index. A disk that fills up mid-interview is a clear error that loses
nothing already saved, and the refused answer goes in once there is room again."""

import json
import signal
import subprocess
import sys
import textwrap

import pytest

from interviewer.config import Settings
from interviewer.index import Index
from interviewer.knowledge import load_knowledge
from interviewer.session import Engine
from interviewer.store import Store
from tests.conftest import KNOWLEDGE, ROOT, env_for


def _run(script: str, tmp_path):
    return subprocess.run([sys.executable, "-c", textwrap.dedent(script)], cwd=ROOT, env=env_for(tmp_path),
                          capture_output=True, text=True, timeout=300)


def test_killed_while_streaming_a_question_resumes_at_that_question(tmp_path):
    p = _run(f"""
        import os, signal, json
        from interviewer.config import Settings
        from interviewer.session import Engine
        eng = Engine.load(Settings(data_dir={str(tmp_path)!r}, adapt_questions=True))
        iv = eng.start(n_questions=3)
        iv.submit(eng.kb.question(iv.current.question_id).model_answer)
        while iv.current.is_follow_up:
            iv.submit(eng.kb.question(iv.current.question_id).model_answer)
        print(json.dumps({{"sid": iv.session_id, "idx": iv.current.idx, "q": iv.current.question}}), flush=True)
        for i, chunk in enumerate(iv.stream_question()):
            if i == 2:
                os.kill(os.getpid(), signal.SIGKILL)
    """, tmp_path)
    assert p.returncode == -signal.SIGKILL, p.stderr[-2000:]
    st = json.loads(p.stdout.strip().splitlines()[-1])
    eng = Engine.load(Settings(data_dir=tmp_path, knowledge_dir=KNOWLEDGE), with_llm=False)
    iv = eng.interview(st["sid"])
    assert iv.current.idx == st["idx"] and iv.current.question == st["q"]
    assert all(t.grade is not None for t in eng.store.turns(st["sid"])[: st["idx"]])


def test_killed_during_reindex_then_reingest_repairs_the_index(tmp_path):
    p = _run(f"""
        import os, signal
        from interviewer.config import Settings
        from interviewer.index import Index
        from interviewer.knowledge import load_knowledge
        ix = Index(Settings(data_dir={str(tmp_path)!r}))
        calls = []
        real = ix.collection.upsert
        def upsert(**kw):
            calls.append(1)
            if len(calls) == 2:
                os.kill(os.getpid(), signal.SIGKILL)
            return real(**kw)
        ix.collection.upsert = upsert
        ix.ingest(load_knowledge({str(KNOWLEDGE)!r}))
    """, tmp_path)
    assert p.returncode == -signal.SIGKILL, p.stderr[-2000:]
    kb = load_knowledge(KNOWLEDGE)
    ix = Index(Settings(data_dir=tmp_path))
    partial = ix.count()
    rep = ix.ingest(kb)
    assert 0 < partial < rep.chunks
    assert rep.added == rep.chunks - partial and rep.unchanged == partial
    assert ix.count() == rep.chunks
    assert ix.ingest(kb).added == 0


# Half an interview, then the disk fills up (see DISK_FULL) just before an answer is saved, then space is
# freed and the same answer is submitted again; the process ends without closing anything.
FULL_DISK_SCRIPT = """
    import json, os, resource, signal, sys
    from interviewer.config import Settings
    from interviewer.session import Engine
    from interviewer.store import Store, StoreError
    data, disk = sys.argv[1], sys.argv[2]
    eng = Engine.load(Settings(data_dir=data), with_llm=False)
    iv = eng.start(n_questions=2)
    first = eng.kb.question(iv.current.question_id).model_answer
    iv.submit(first)
    pending = iv.current.idx
    if disk == "full_filesystem":  # fill the small tmpfs the data dir is on
        fd = os.open(os.path.join(data, "filler"), os.O_WRONLY | os.O_CREAT)
        try:
            while True:
                os.write(fd, bytes(1 << 16))
        except OSError:
            os.close(fd)
    else:  # no file may grow past the database log's current end; past it writes fail with EFBIG
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        hard = resource.getrlimit(resource.RLIMIT_FSIZE)[1]
        resource.setrlimit(resource.RLIMIT_FSIZE, (os.path.getsize(f"{eng.settings.db_path}-wal"), hard))
    answer = "FULL-DISK answer: I would profile first, then overlap the copies with compute."
    try:
        iv.submit(answer)
        error = None
    except StoreError as e:
        error = str(e)
    on_disk = Store(eng.settings.db_path).turns(iv.session_id)
    state = {"sid": iv.session_id, "first": first, "answer": answer, "pending": pending, "error": error,
             "in_memory": [iv.current.idx, iv.current.answer],
             "on_disk": [[t.idx, t.answer, t.grade is not None] for t in on_disk]}
    if disk == "full_filesystem":
        os.unlink(os.path.join(data, "filler"))
    else:
        resource.setrlimit(resource.RLIMIT_FSIZE, (hard, hard))
    state["retried"] = iv.submit(answer).turn.idx
    print(json.dumps(state), flush=True)
    os._exit(0)
"""

# How the disk refuses writes. full_filesystem: the data dir is a 32 MB tmpfs in a private mount namespace,
# filled up, so writes fail with ENOSPC, which SQLite reports as "database or disk is full"; the data dir is
# copied out before the namespace goes. file_size_limit (no namespaces needed): RLIMIT_FSIZE, so writes fail
# with EFBIG, which SQLite reports as a disk I/O error, as it does for an exceeded quota (EDQUOT).
DISK_FULL = {
    "full_filesystem": 'mount -t tmpfs -o size=32m tmpfs "$1" || exit 97; "$0" -c "$3" "$1" full_filesystem; '
                       'rc=$?; cp -a "$1/." "$2"; exit $rc',
    "file_size_limit": None,
}


def _mount_namespaces_work(where) -> bool:
    try:
        probe = ["unshare", "-Urm", "sh", "-c", 'mount -t tmpfs -o size=1m tmpfs "$0"', str(where)]
        return subprocess.run(probe, capture_output=True).returncode == 0
    except FileNotFoundError:
        return False


@pytest.mark.parametrize("disk", list(DISK_FULL))
def test_a_full_disk_is_a_clear_error_and_loses_nothing_already_saved(tmp_path, disk):
    script = textwrap.dedent(FULL_DISK_SCRIPT)
    if DISK_FULL[disk]:
        data, saved = tmp_path / "mnt", tmp_path / "saved"
        data.mkdir()
        saved.mkdir()
        if not _mount_namespaces_work(data):
            pytest.skip("a small tmpfs needs unshare and unprivileged user + mount namespaces")
        cmd = ["unshare", "-Urm", "sh", "-c", DISK_FULL[disk], sys.executable, str(data), str(saved), script]
    else:
        data = saved = tmp_path
        cmd = [sys.executable, "-c", script, str(data), disk]
    p = subprocess.run(cmd, cwd=ROOT, env=env_for(tmp_path), capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr[-2000:]
    st = json.loads(p.stdout.strip().splitlines()[-1])
    pending = st["pending"]

    # the user is told that the disk is full, where, and that what was saved before is kept...
    error = st["error"]
    assert error is not None, "the answer was saved although the disk was full"
    assert str(data) in error and "full" in error and "not saved" in error and "is kept" in error
    if disk == "full_filesystem":
        assert error.startswith("the disk is full")
    # ...and it is: the earlier turn is there, graded, and the refused answer is not half-saved
    assert st["on_disk"][0] == [0, st["first"], True]
    assert st["on_disk"][pending] == [pending, None, False]
    # the refused turn is still the one waiting for an answer, so the same answer goes in once there is room
    assert st["in_memory"] == [pending, None] and st["retried"] == pending
    # the process ended without closing the database: a new one finds both answers, graded
    turns = Store(saved / "interviewer.sqlite3").turns(st["sid"])
    assert (turns[0].answer, turns[pending].answer) == (st["first"], st["answer"])
    assert turns[0].grade is not None and turns[pending].grade is not None
