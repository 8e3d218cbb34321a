"""The app's named API endpoints driven with gradio_client against a real `python app.py` subprocess
(real knowledge, embedder and default model; temp data dir; loopback only); plus the --auth and
non-loopback warning behaviour of app.py."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import ROOT
from eval.apprun import AppProcess

pytestmark = pytest.mark.timeout(240)


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    from gradio_client import Client

    with AppProcess(tmp_path_factory.mktemp("ui-api") / "data") as app:
        yield Client(app.url, verbose=False)


def test_named_endpoints_are_listed(client):
    names = set(client.view_api(print_info=False, return_format="dict")["named_endpoints"])
    assert {"/start_interview", "/submit_answer", "/drill_now", "/due_drills", "/list_sessions", "/replay_session",
            "/loading_status"} <= names


def test_loading_status_and_persona(client):
    from gradio_client.exceptions import AppError

    client.predict(api_name="/list_sessions")  # waits for the engine
    assert client.predict(api_name="/loading_status") == {"ready": True, "progress": 1.0, "message": "ready",
                                                          "error": None}
    r = client.predict("full", "", 1, "principal_deep_dive", api_name="/start_interview")
    assert r["session_id"] and r["question"].strip()
    with pytest.raises(AppError, match="unknown persona"):
        client.predict("full", "", 1, "no_such_persona", api_name="/start_interview")


def test_persona_sets_the_interviewers_system_prompt(engine):
    """With question adaptation on, the persona file is the system prompt of the interviewer's conversation;
    interviewer_system (the original prompt) still works; an unknown persona is refused before anything is stored."""
    from interviewer.session import Engine, personas

    assert {"nvidia_architect", "hiring_manager", "principal_deep_dive"} <= set(personas())
    for persona, opening in (("hiring_manager", "You are the hiring manager"),
                             ("principal_deep_dive", "You are a principal engineer"),
                             ("interviewer_system", "You are a senior NVIDIA engineer"),
                             (None, "You are a senior NVIDIA engineer")):  # the default: nvidia_architect
        s = engine.settings.model_copy(update={"adapt_questions": True})
        eng = Engine(s, engine.kb, engine.index, engine.llm, engine.store)
        iv = eng.start("full", None, 1, persona=persona)
        assert iv.persona == (persona or "nvidia_architect")
        "".join(iv.stream_question())
        assert iv.messages[0]["role"] == "system" and iv.messages[0]["content"].startswith(opening)
        assert eng.kb.jd.title in iv.messages[0]["content"]
    n = len(engine.sessions())
    with pytest.raises(ValueError, match="unknown persona"):
        engine.start("full", None, 1, persona="nope")
    assert len(engine.sessions()) == n


def test_interview_through_the_api(client):
    from gradio_client.exceptions import AppError

    r = client.predict("full", "", 2, api_name="/start_interview")
    sid, q1 = r["session_id"], r["question"]
    assert sid and q1.strip() and r["idx"] == 0

    answers = ["NCCL chooses ring or tree by message size; ring is bandwidth-optimal, tree has log latency.",
               "I would measure with nccl-tests first and read NCCL_DEBUG=INFO, then compare bus bandwidth."]
    sent = []
    nxt = {"idx": 0}
    for a in answers:
        out = client.predict(sid, a, api_name="/submit_answer")
        sent.append((nxt["idx"], a))
        g = out["grade"]
        assert 0 <= g["score"] <= 5
        assert {"coverage", "technical_accuracy", "honesty_boundary", "structure"} == set(g["sub_scores"])
        assert g["key_points"] and g["improved_answer"]
        if out["done"]:
            break
        nxt = out["next"]
        assert nxt["question"].strip()

    with pytest.raises(AppError, match="empty"):
        client.predict(sid, "   ", api_name="/submit_answer")
    with pytest.raises(AppError, match="no session"):
        client.predict("does-not-exist", api_name="/replay_session")

    sessions = client.predict(api_name="/list_sessions")
    mine = next(s for s in sessions if s["id"] == sid)
    assert mine["turns"] >= len(sent) and mine["mean_score"] is not None

    tr = client.predict(sid, api_name="/replay_session")
    assert tr["session"]["id"] == sid
    by_idx = {t["idx"]: t for t in tr["turns"]}
    for idx, a in sent:  # every answer stored verbatim at the turn it was given for, with its grade
        assert by_idx[idx]["answer"] == a and by_idx[idx]["grade"] is not None


def test_drill_now_through_the_api_re_asks_a_missed_key_point_and_due_drills_shows_when(client):
    """A weak one-question session, then /drill_now: the first drill question is a follow-up aimed at a key
    point the session missed; /due_drills lists the question with its SM-2 date (tomorrow, not now)."""
    from gradio_client.exceptions import AppError

    r = client.predict("focus", "ucx", 1, api_name="/start_interview")
    sid, out = r["session_id"], {"done": False}
    while not out["done"]:
        out = client.predict(sid, "Not sure, it depends on the system. I would look into it.", api_name="/submit_answer")
    main = client.predict(sid, api_name="/replay_session")["turns"][0]
    missed = {i for i, k in enumerate(main["grade"]["key_points"]) if k["status"] in ("missed", "contradicted")}
    d = client.predict(sid, 5, api_name="/drill_now")
    assert d["session_id"] != sid and d["is_follow_up"] and d["question_id"] == main["question_id"]
    assert d["key_point"] in missed and d["question"].strip()
    due = {x["question_id"]: x for x in client.predict(api_name="/due_drills")}
    assert due[main["question_id"]]["due_now"] is False and due[main["question_id"]]["days_until"] > 0.9
    with pytest.raises(AppError, match="no session"):
        client.predict("does-not-exist", 5, api_name="/drill_now")


def test_start_interview_rejects_bad_input(client):
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError, match="unknown mode"):
        client.predict("nonsense", "", 2, api_name="/start_interview")
    with pytest.raises(AppError, match="focus"):
        client.predict("focus", "", 2, api_name="/start_interview")


def test_non_loopback_host_without_auth_warns(tmp_path):
    # The bad knowledge folder stops the app right after the warning, so nothing ever listens on 0.0.0.0.
    r = subprocess.run([sys.executable, str(ROOT / "app.py"), "--host", "0.0.0.0", "--data-dir", str(tmp_path / "d"),
                        "--knowledge", str(tmp_path / "missing")], capture_output=True, text=True, timeout=120,
                       cwd=str(ROOT))
    assert r.returncode == 2
    assert "WARNING" in r.stderr and "--auth" in r.stderr
    r = subprocess.run([sys.executable, str(ROOT / "app.py"), "--host", "0.0.0.0", "--auth", "u:p", "--data-dir",
                        str(tmp_path / "d"), "--knowledge", str(tmp_path / "missing")], capture_output=True, text=True,
                       timeout=120, cwd=str(ROOT))
    assert r.returncode == 2 and "WARNING" not in r.stderr
    r = subprocess.run([sys.executable, str(ROOT / "app.py"), "--data-dir", str(tmp_path / "d"),
                        "--knowledge", str(tmp_path / "missing")], capture_output=True, text=True, timeout=120,
                       cwd=str(ROOT))
    assert r.returncode == 2 and "WARNING" not in r.stderr


def test_auth_is_required_when_set(tmp_path):
    from gradio_client import Client

    with AppProcess(tmp_path / "data", ["--auth", "alice:s3cret"]) as app:
        with pytest.raises(Exception):
            Client(app.url, verbose=False).predict(api_name="/list_sessions")
        c = Client(app.url, auth=("alice", "s3cret"), verbose=False)
        assert c.predict(api_name="/list_sessions") == []
