"""Load test (issue 8): 8 gradio_client clients each running interviews for 120 s against one app on a free
loopback port with a temp data dir; every transcript is checked against what its client sent. Bounded:
loopback only, fixed client count and duration. Plus a quick check that the transcript checker does
catch lost, foreign and mixed turns."""

from __future__ import annotations

import copy

import pytest

from eval.load import Sent, check, run

CLIENTS = 8
SECONDS = 120


@pytest.mark.timeout(SECONDS + 600)
def test_eight_clients_for_two_minutes_no_errors_no_mixed_turns():
    res = run(clients=CLIENTS, seconds=SECONDS)
    print(res)
    assert res["errors"] == 0, res["error_samples"]
    assert res["mismatches"] == 0, res["mismatch_samples"]
    assert res["turns"] >= CLIENTS  # every client got at least one graded turn through
    assert res["sessions"] >= CLIENTS
    assert res["turn_p95_ms"] is not None and res["turn_p95_ms"] >= res["turn_p50_ms"] > 0


def _transcript(sid: str, answers: dict[int, str | None], questions: dict[int, str]) -> dict:
    grade = {"score": 3.0}
    return {"session": {"id": sid}, "turns": [
        {"idx": i, "session_id": sid, "question": questions[i], "answer": a, "grade": grade if a else None}
        for i, a in sorted(answers.items())]}


def test_checker_catches_lost_foreign_and_mixed_turns():
    s = Sent(client=0, session_id="s1", questions={0: "Q0?", 1: "Q1?"}, answers={0: "A0", 1: "A1"})
    good = {"s1": _transcript("s1", {0: "A0", 1: "A1"}, {0: "Q0?", 1: "Q1?"})}
    mism, found = check(lambda: [{"id": "s1"}], lambda sid: good[sid], [s])
    assert mism == [] and found == 2

    lost = copy.deepcopy(good)
    lost["s1"]["turns"] = lost["s1"]["turns"][:1]
    mism, _ = check(lambda: [{"id": "s1"}], lambda sid: lost[sid], [s])
    assert any("lost" in m for m in mism)

    mixed = copy.deepcopy(good)
    mixed["s1"]["turns"][1]["answer"] = "[client 3] somebody else's answer"
    mism, _ = check(lambda: [{"id": "s1"}], lambda sid: mixed[sid], [s])
    assert any("!= sent" in m for m in mism)

    foreign = copy.deepcopy(good)
    foreign["s1"]["turns"].append({"idx": 2, "session_id": "s1", "question": "Q2?", "answer": "never sent",
                                   "grade": {"score": 1}})
    mism, _ = check(lambda: [{"id": "s1"}], lambda sid: foreign[sid], [s])
    assert any("never sent" in m for m in mism)

    moved = copy.deepcopy(good)
    moved["s1"]["turns"][0]["session_id"] = "s2"
    mism, _ = check(lambda: [], lambda sid: moved[sid], [s])
    assert any("stored under session s2" in m for m in mism) and any("list_sessions" in m for m in mism)
