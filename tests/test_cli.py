"""The CLI is a thin shell over the session API: headless interview, grading, sessions, replay, export,
resume, drilling a session's weak answers now; a session keeps the persona it was started with; doctor
fails, naming the check, when the model or the embedding model is missing."""

import json
import subprocess
import sys

import pytest

from tests.conftest import ROOT, env_for


def run(args, tmp_path, stdin=None, check=True, env=None):
    p = subprocess.run([sys.executable, "-m", "interviewer", *args], cwd=ROOT, env={**env_for(tmp_path), **(env or {})},
                       capture_output=True, text=True, timeout=600, input=stdin)
    if check:
        assert p.returncode == 0, p.stderr[-3000:]
    return p


@pytest.fixture(scope="module")
def state(tmp_path_factory, kb):
    tmp = tmp_path_factory.mktemp("cli")
    nccl = [q for q in kb.questions if q.topic == "nccl_collectives"]
    answers = [{"answer": nccl[0].model_answer}] + [{"answer": "Not sure, maybe it depends."}] * 6
    f = tmp / "answers.jsonl"
    f.write_text("\n".join(json.dumps(a) for a in answers) + "\n")
    out = json.loads(run(["interview", "--answers", str(f), "--questions", "2", "--focus", "nccl_collectives",
                          "--persona", "hiring_manager", "--json"], tmp).stdout)
    return tmp, out


def test_headless_interview_prints_graded_turns(state):
    _, out = state
    assert out["session_id"]
    turns = out["turns"]
    assert len(turns) >= 3
    assert set(turns[0]) >= {"question_id", "topic", "question", "is_follow_up", "answer", "grade"}
    assert turns[0]["grade"]["score"] > turns[1]["grade"]["score"]
    assert any(t["is_follow_up"] for t in turns), "vague answers get follow-ups"
    assert all(0 <= t["grade"]["score"] <= 5 for t in turns)


def test_sessions_replay_and_export(state):
    tmp, out = state
    rows = json.loads(run(["sessions", "--json"], tmp).stdout)
    assert out["session_id"] in [r["id"] for r in rows]
    tr = json.loads(run(["replay", out["session_id"], "--format", "json"], tmp).stdout)
    assert [t["answer"] for t in tr["turns"] if t["answer"] is not None][: len(out["turns"])] == \
           [t["answer"] for t in out["turns"]]
    md = run(["export", out["session_id"], "--format", "md"], tmp).stdout
    assert md.startswith(f"# Interview {out['session_id']}") and "**Score:" in md and "| key point |" in md


def test_replay_export_and_resume_name_the_persona_the_interview_started_with(state):
    """Started with --persona hiring_manager while the configured default is nvidia_architect: the JSON
    replay, the Markdown export and a resume in a new process all name hiring_manager."""
    tmp, out = state
    sid = out["session_id"]
    assert json.loads(run(["replay", sid, "--format", "json"], tmp).stdout)["session"]["persona"] == "hiring_manager"
    assert "- Interviewer persona: hiring_manager\n" in run(["export", sid], tmp).stdout
    assert json.loads(run(["resume", sid, "--json"], tmp).stdout)["persona"] == "hiring_manager"
    rows = json.loads(run(["sessions", "--json"], tmp).stdout)
    assert next(r for r in rows if r["id"] == sid)["persona"] == "hiring_manager"


def test_grade_a_bank_question_and_a_free_question(tmp_path, kb):
    q = kb.questions[0]
    g = json.loads(run(["grade", "--question-id", q.id, "--answer", q.model_answer, "--json"], tmp_path).stdout)
    assert g["score"] >= 4 and len(g["key_points"]) == len(q.key_points)
    free = json.loads(run(["grade", "--question", "Why pin host memory?", "--reference",
                           "Pinned memory cannot be paged out, so the DMA engine can copy from it directly.",
                           "--answer-file", "-", "--json"], tmp_path,
                          stdin="Because DMA needs pages that are never paged out.").stdout)
    assert 0 <= free["score"] <= 5


def test_unknown_session_and_bad_answers_file_are_clear_errors(tmp_path):
    p = run(["replay", "nope"], tmp_path, check=False)
    assert p.returncode != 0 and "no session 'nope'" in p.stderr
    bad = tmp_path / "bad.jsonl"
    bad.write_text("not json\n")
    p = run(["interview", "--answers", str(bad), "--json"], tmp_path, check=False)
    assert p.returncode != 0 and "bad.jsonl:1" in p.stderr


def test_broken_knowledge_is_reported_not_a_traceback(tmp_path, kb_copy):
    (kb_copy / "match_table.yaml").write_text("rows: [\n")
    p = run(["ingest", "--knowledge", str(kb_copy)], tmp_path, check=False)
    assert p.returncode == 2 and "match_table.yaml: not valid YAML" in p.stderr and "Traceback" not in p.stderr


def test_doctor_passes_with_the_default_models_and_lists_no_failed_check(tmp_path):
    info = json.loads(run(["doctor", "--no-load", "--json"], tmp_path).stdout)
    assert info["failed_checks"] == {} and info["model_bytes"] > 0


def test_doctor_exits_non_zero_naming_the_missing_model(tmp_path):
    p = run(["doctor", "--no-load", "--json", "--model", str(tmp_path / "absent.gguf")], tmp_path, check=False)
    assert p.returncode == 1
    assert "failed check(s): model:" in p.stderr and "absent.gguf" in p.stderr
    assert set(json.loads(p.stdout)["failed_checks"]) == {"model"}


def test_doctor_exits_non_zero_naming_the_missing_embedding_model(tmp_path):
    env = {"INTERVIEWER_EMBEDDING_MODEL": str(tmp_path / "no-such-minilm")}
    p = run(["doctor", "--no-load", "--json"], tmp_path, check=False, env=env)
    assert p.returncode == 1 and "embedding_model:" in p.stderr and "no-such-minilm" in p.stderr
    assert set(json.loads(p.stdout)["failed_checks"]) == {"embedding_model"}


def test_drill_now_re_asks_the_weak_key_points_of_a_finished_session(state, tmp_path):
    tmp, out = state
    f = tmp / "drill-answers.jsonl"
    f.write_text(json.dumps({"answer": "Still not sure."}) + "\n")
    drill = json.loads(run(["drill", "--now", out["session_id"], "--answers", str(f), "--json"], tmp).stdout)
    first = drill["turns"][0]
    assert drill["session_id"] != out["session_id"] and first["is_follow_up"] and first["answer"] == "Still not sure."
    p = run(["drill", "--now", "no-such-session", "--answers", str(f)], tmp, check=False)
    assert p.returncode == 2 and "no session 'no-such-session'" in p.stderr
