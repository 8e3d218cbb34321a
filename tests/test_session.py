"""The interview loop: follow-ups after weak answers, every turn committed, empty answers refused,
and a process killed mid-grading resumes at the right turn with earlier turns intact."""

import json
import signal
import subprocess
import sys
import textwrap

import pytest

from interviewer.config import Settings
from interviewer.session import AnswerError, Engine
from tests.conftest import KNOWLEDGE, ROOT, env_for

VAGUE = "Not sure, it depends on the system. I would look into it."


def test_weak_answer_gets_a_follow_up_on_the_most_important_missed_point(engine):
    iv = engine.start(mode="focus", focus="nccl_collectives", n_questions=2)
    first = iv.current
    q = engine.kb.question(first.question_id)
    res = iv.submit(VAGUE)
    assert res.grade.score < 3
    assert res.next.is_follow_up and res.next.follow_up_of == first.idx
    missed = res.grade.missed()
    expected = next(f for i in missed for f in q.follow_ups if f.key_point == i)
    assert res.next.question == expected.question


def test_at_most_two_follow_ups_then_the_next_question(engine):
    iv = engine.start(mode="focus", focus="ucx", n_questions=2)
    first = iv.current.question_id
    kinds = []
    for _ in range(4):
        res = iv.submit(VAGUE)
        kinds.append((res.next.question_id, res.next.is_follow_up))
    assert kinds[0] == (first, True) and kinds[1] == (first, True)
    assert kinds[2][0] != first and not kinds[2][1]


def test_strong_answer_moves_on_or_goes_one_level_deeper(engine):
    iv = engine.start(mode="focus", focus="inference_serving", n_questions=2)
    q = engine.kb.question(iv.current.question_id)
    res = iv.submit(q.model_answer)
    assert res.grade.score >= 4
    if res.next.is_follow_up:
        covered = [i for i, k in enumerate(res.grade.key_points) if k.status == "covered"]
        assert res.next.key_point in covered
        res = iv.submit(q.model_answer)
    assert not res.next.is_follow_up


def test_every_turn_is_in_the_store_before_the_next_question(engine):
    iv = engine.start(n_questions=2)
    res = iv.submit(VAGUE)
    stored = engine.store.turns(iv.session_id)
    assert stored[0].answer == VAGUE and stored[0].grade.score == res.grade.score
    assert stored[-1].idx == res.next.idx and stored[-1].answer is None


def test_empty_answer_is_refused_and_nothing_is_recorded(engine):
    iv = engine.start(n_questions=1)
    with pytest.raises(AnswerError, match="empty"):
        iv.submit(" \n\t ")
    assert engine.store.turns(iv.session_id)[0].answer is None


def test_odd_text_is_kept_verbatim_except_nul_bytes(engine):
    iv = engine.start(n_questions=1)
    text = "KV 缓存 🚀 עברית <script>alert(1)</script> **bold**\x00 end"
    iv.submit(text)
    assert engine.store.turns(iv.session_id)[0].answer == text.replace("\x00", "")


def test_weak_answers_enter_the_drill_queue_and_drill_mode_asks_them(tmp_path, llm):
    s = Settings(data_dir=tmp_path, knowledge_dir=KNOWLEDGE)
    eng = Engine.load(s, with_llm=False)
    iv = eng.start(mode="focus", focus="gpunetio", n_questions=1)
    qid = iv.current.question_id
    iv.submit(VAGUE)
    item = eng.store.drill_item(qid)
    assert item and item["interval_days"] == 1.0 and item["missed"]
    assert eng.store.attempts(qid)[0]["score"] < 3
    # make it due now, then drill
    item["due_at"] = "2000-01-01T00:00:00+00:00"
    eng.store.put_drill(item)
    drill = eng.start(mode="drill", n_questions=3)
    assert drill.current.question_id == qid
    drill.submit(eng.kb.question(qid).model_answer)
    assert [a["score"] for a in eng.store.attempts(qid)][-1] >= 4
    assert eng.store.drill_item(qid)["repetitions"] == 1


def test_killed_during_grading_resumes_at_the_right_turn(tmp_path):
    script = textwrap.dedent(f"""
        import os, signal, json
        from interviewer.config import Settings
        from interviewer.session import Engine
        eng = Engine.load(Settings(data_dir={str(tmp_path)!r}, knowledge_dir={str(KNOWLEDGE)!r}), with_llm=False)
        iv = eng.start(n_questions=3)
        for _ in range(2):
            q = eng.kb.question(iv.current.question_id)
            iv.submit(q.model_answer)
        print(json.dumps({{"sid": iv.session_id, "pending": iv.current.idx}}), flush=True)
        def die(*a, **k):
            os.kill(os.getpid(), signal.SIGKILL)
        eng.grader.grade_question = die
        eng.grader.grade = die
        iv.submit("this answer is being graded when the power goes out")
    """)
    p = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env_for(tmp_path), capture_output=True,
                       text=True, timeout=300)
    assert p.returncode == -signal.SIGKILL, p.stderr[-2000:]
    state = json.loads(p.stdout.strip().splitlines()[-1])
    eng = Engine.load(Settings(data_dir=tmp_path, knowledge_dir=KNOWLEDGE), with_llm=False)
    iv = eng.interview(state["sid"])
    turns = eng.store.turns(state["sid"])
    assert [t.idx for t in turns if t.grade is not None] == list(range(state["pending"]))
    assert all(t.answer for t in turns[: state["pending"]])
    assert iv.current.idx == state["pending"] and iv.current.answer is None
    res = iv.submit(eng.kb.question(iv.current.question_id).model_answer)
    assert res.grade.score > 0
