"""The interview loop: follow-ups after weak answers, every turn committed, empty answers refused,
a process killed mid-grading resumes at the right turn with earlier turns intact, a resumed
session keeps the persona it started with; "drill the weak answers now" re-asks the missed and
contradicted key points at once; the drill schedule, exports, progress and knowledge replacement
through the session API."""

import json
import signal
import subprocess
import sys
import textwrap
from datetime import datetime, timedelta

import pytest

from interviewer.config import Settings
from interviewer.session import AnswerError, Engine, Records
from interviewer.store import Store
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
        eng.grader.grade_follow_up = die  # the pending turn may be a follow-up
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


def test_a_resumed_session_keeps_the_persona_it_was_started_with(tmp_path, engine):
    """A session started with a persona other than the configured default, then resumed by a fresh Engine over
    a fresh Store on the same database: the resumed interviewer still asks in that persona (its system prompt
    is the one sent to the model), and the transcript names it."""
    s = Settings(data_dir=tmp_path, knowledge_dir=KNOWLEDGE, adapt_questions=True,
                 question_max_tokens=16)  # what the model says does not matter here, only what it is told
    assert s.persona == "nvidia_architect"
    sent: list[list[dict]] = []

    class Spy:
        name = engine.llm.name

        def stream_chat(self, messages, **kw):
            sent.append(messages)
            yield from engine.llm.stream_chat(messages, **kw)

    def fresh_engine() -> Engine:  # a new Engine over a new Store; the model only words the questions
        eng = Engine(s, engine.kb, engine.index, None, Store(s.db_path))
        eng.llm = Spy()
        return eng

    first = fresh_engine()
    iv = first.start(mode="focus", focus="ucx", n_questions=2, persona="hiring_manager")
    "".join(iv.stream_question())
    assert sent[-1][0]["content"].startswith("You are the hiring manager")
    iv.submit(VAGUE)
    sid, pending = iv.session_id, iv.current.idx
    first.store.close()

    fresh = fresh_engine()
    resumed = fresh.interview(sid)
    assert resumed is not iv and resumed.current.idx == pending
    assert resumed.persona == "hiring_manager"
    sent.clear()
    "".join(resumed.stream_question())
    system = sent[0][0]
    assert system["role"] == "system" and system["content"].startswith("You are the hiring manager")
    assert not system["content"].startswith("You are a senior NVIDIA engineer")  # the default persona's opening
    assert fresh.transcript(sid).session.persona == "hiring_manager"


# --------------------------------------------------------------------------- drill now, schedule, records


def weak_session(eng: Engine, focus: str = "nccl_collectives"):
    """A finished one-question session answered vaguely (follow-ups included): every key point missed."""
    iv = eng.start(mode="focus", focus=focus, n_questions=1)
    while iv.current is not None:
        iv.submit(VAGUE)
    return iv


def test_weak_points_name_the_missed_and_contradicted_key_points_contradicted_first(engine):
    iv = weak_session(engine)
    main = iv.turns[0]
    weak = iv.weak_points()
    assert weak, "a vague answer misses key points"
    statuses = [w.status for w in weak]
    assert set(statuses) <= {"contradicted", "missed"}
    assert statuses == sorted(statuses, key=["contradicted", "missed"].index)
    missed_in_grade = {i for i, k in enumerate(main.grade.key_points) if k.status in ("missed", "contradicted")}
    assert {w.key_point for w in weak if w.question_id == main.question_id} <= missed_in_grade
    summary = iv.summary()
    assert summary["weakest"] and all(p["status"] in ("contradicted", "missed") for p in summary["weakest"])


def test_drill_now_asks_a_follow_up_aimed_at_a_missed_key_point_without_touching_the_schedule(engine):
    iv = weak_session(engine, focus="ucx")
    qid = iv.turns[0].question_id
    before = engine.store.drill_item(qid)
    weak = iv.weak_points()
    drill = engine.drill_now(iv.session_id)
    assert drill.info.mode == "drill" and drill.session_id != iv.session_id
    t = drill.current
    q = engine.kb.question(t.question_id)
    assert t.is_follow_up and (t.question_id, t.key_point) == (weak[0].question_id, weak[0].key_point)
    bank = [f.question for f in q.follow_ups if f.key_point == t.key_point]
    if bank:
        assert t.question == bank[0]
    else:  # a question built from the key point: the bank question again, naming the part without its content
        assert q.question in t.question and weak[0].point not in t.question
    asked = []
    while drill.current is not None:
        asked.append((drill.current.question_id, drill.current.key_point))
        drill.submit(VAGUE)
    assert asked == [(w.question_id, w.key_point) for w in weak[:5]]
    assert engine.store.drill_item(qid) == before  # same-day repetitions leave SM-2 alone


def test_drill_now_of_a_session_with_no_weak_points_is_refused(engine):
    iv = engine.start(n_questions=1)
    iv.end()
    with pytest.raises(ValueError, match="no missed or contradicted key points"):
        engine.drill_now(iv.session_id)


def test_drill_now_session_resumes_at_its_pending_target(tmp_path, engine):
    s = Settings(data_dir=tmp_path, knowledge_dir=KNOWLEDGE)
    eng = Engine(s, engine.kb, engine.index, engine.llm, Store(s.db_path))
    drill = eng.drill_now(weak_session(eng).session_id)
    drill.submit(VAGUE)
    pending = drill.current
    fresh = Engine(s, engine.kb, engine.index, engine.llm, Store(s.db_path))
    resumed = fresh.interview(drill.session_id)
    assert (resumed.current.idx, resumed.current.key_point) == (pending.idx, pending.key_point)


def test_due_drills_list_every_item_with_its_date(tmp_path, engine):
    s = Settings(data_dir=tmp_path, knowledge_dir=KNOWLEDGE)
    eng = Engine(s, engine.kb, engine.index, engine.llm, Store(s.db_path))
    qid = weak_session(eng).turns[0].question_id
    items = eng.due_drills()
    assert [d.question_id for d in items] == [qid]
    assert not items[0].due_now and items[0].days_until == pytest.approx(1.0, abs=0.01)
    later = eng.due_drills(now=datetime.fromisoformat(items[0].due_at) + timedelta(seconds=1))
    assert later[0].due_now


def test_records_export_progress_and_attempts_without_a_model(tmp_path, engine):
    s = Settings(data_dir=tmp_path, knowledge_dir=KNOWLEDGE)
    eng = Engine(s, engine.kb, engine.index, engine.llm, Store(s.db_path))
    iv = weak_session(eng)
    rec = Records.open(s)
    assert rec.export(iv.session_id, "md").startswith(f"# Interview {iv.session_id}")
    assert "## Q1 of 1" in rec.export(iv.session_id, "md") and "## Q1 follow-up 1" in rec.export(iv.session_id, "md")
    assert json.loads(rec.export(iv.session_id, "json"))["session"]["id"] == iv.session_id
    md, js = rec.export_files(iv.session_id)
    assert md.read_text(encoding="utf-8") == rec.export(iv.session_id, "md") and js.suffix == ".json"
    p = rec.progress()
    assert p["trend"][0]["session_id"] == iv.session_id and p["by_area"] and p["weakest"]
    assert [t.session_id for t in rec.attempts(iv.turns[0].question_id)] == [iv.session_id]
    with pytest.raises(ValueError, match="unknown export format"):
        rec.export(iv.session_id, "pdf")


def test_replace_knowledge_copies_the_default_folder_and_puts_back_a_file_that_does_not_validate(tmp_path, engine):
    s = Settings(data_dir=tmp_path, knowledge_dir=KNOWLEDGE)
    eng = Engine(s, engine.kb, engine.index, engine.llm, Store(s.db_path))
    jd = (KNOWLEDGE / "jd.md").read_text(encoding="utf-8")
    eng.index = type("NoIndex", (), {"ingest": lambda self, kb, progress=None: "ingested"})()
    assert eng.replace_knowledge("jd", jd.replace("title: System Software Architect", "title: Replaced", 1)) == "ingested"
    assert s.knowledge_dir == tmp_path / "knowledge" and eng.kb.jd.title.startswith("Replaced")
    assert (KNOWLEDGE / "jd.md").read_text(encoding="utf-8") == jd  # the repository's copy is never edited
    good = (s.knowledge_dir / "cv.md").read_text(encoding="utf-8")
    with pytest.raises(ValueError):
        eng.replace_knowledge("cv", "---\nname: [unclosed\n---\n")
    assert (s.knowledge_dir / "cv.md").read_text(encoding="utf-8") == good
    with pytest.raises(ValueError, match="jd or cv"):
        eng.replace_knowledge("questions", "x")
