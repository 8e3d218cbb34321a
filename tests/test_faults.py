"""Kill -9 while a question streams or while the index is being rebuilt: restart finds the session at the
right turn and re-ingest repairs the index."""

import json
import signal
import subprocess
import sys
import textwrap

from interviewer.config import Settings
from interviewer.index import Index
from interviewer.knowledge import load_knowledge
from interviewer.session import Engine
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
