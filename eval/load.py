"""Load test of the browser app's API: N gradio_client clients each running interviews for T seconds
against one `python app.py` started on a free loopback port with a temp data dir.

    python -m eval.load [--clients 8] [--seconds 120] [--questions 3] [--out eval/results/load.json]

Every client records what it sent (session, turn index, answer) and what it was asked; afterwards every
transcript (/replay_session) is checked against its client's record: every answer stored verbatim at the
turn it was given for, graded, nothing lost, nothing from another client, the questions as shown.
Prints JSON {clients, seconds, turns, errors, mismatches, turn_p50_ms, turn_p95_ms, ...}. Loopback only;
bounded in clients and time (a turn that started before the deadline is finished).
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

from eval.apprun import AppProcess

ANSWERS = [
    "NCCL picks ring or tree by message size: ring is bandwidth-optimal for large messages, tree has logarithmic "
    "latency for small ones. I would measure with nccl-tests and NCCL_DEBUG=INFO before tuning anything.",
    "I have not run UCX over RDMA in production. I know the UCP layer and its transports, and I would measure "
    "latency and bandwidth with ucx_perftest first, then read the transport selection in UCX_LOG_LEVEL=info.",
    "A cache line is 64 bytes; false sharing happens when two cores write different variables on one line. "
    "I would pad or align the hot structures and confirm it with perf c2c.",
    "GPUDirect RDMA lets the NIC read and write GPU memory directly, so the copy through host memory goes away; "
    "it needs peer-to-peer support on the PCIe topology, and I would check it with nvidia-smi topo -m.",
    "I don't know the exact number. I would estimate it from the link bandwidth and the message size, then "
    "measure it on the real system rather than guess.",
]


def pct(xs: list[float], q: float) -> float | None:
    if not xs:
        return None
    xs = sorted(xs)
    k = min(len(xs) - 1, max(0, int(round(q / 100 * (len(xs) - 1)))))
    return round(xs[k], 1)


@dataclass
class Sent:
    """What one client did in one session: the questions it was shown and the answers it sent, by turn idx."""

    client: int
    session_id: str
    questions: dict[int, str] = field(default_factory=dict)
    answers: dict[int, str] = field(default_factory=dict)


def client_loop(i: int, url: str, deadline: float, n_questions: int, out: dict) -> None:
    """One client: interviews back to back until the deadline; records everything it sent and saw."""
    from gradio_client import Client

    sessions: list[Sent] = out["sessions"]
    lat: list[float] = out["latency_ms"]
    errors: list[str] = out["errors"]
    mism: list[str] = out["mismatches"]
    try:
        c = Client(url, verbose=False)
    except Exception as e:  # noqa: BLE001 - every failure is counted, none is fatal to the run
        errors.append(f"client {i}: connect: {e}")
        return
    k = 0
    while time.monotonic() < deadline:
        try:
            r = c.predict("full", "", n_questions, api_name="/start_interview")
        except Exception as e:  # noqa: BLE001
            errors.append(f"client {i}: start_interview: {e}")
            continue
        s = Sent(client=i, session_id=r["session_id"])
        s.questions[r["idx"]] = r["question"]
        sessions.append(s)
        pending = r["idx"]
        while time.monotonic() < deadline:
            k += 1
            ans = f"[client {i} · answer {k} · session {s.session_id}] {ANSWERS[(i + k) % len(ANSWERS)]}"
            t0 = time.perf_counter()
            try:
                g = c.predict(s.session_id, ans, api_name="/submit_answer")
            except Exception as e:  # noqa: BLE001
                errors.append(f"client {i}: submit_answer {s.session_id}#{pending}: {e}")
                break
            lat.append((time.perf_counter() - t0) * 1000)
            s.answers[pending] = ans
            if g.get("session_id") != s.session_id or g.get("idx") != pending:
                mism.append(f"client {i}: answer for {s.session_id}#{pending} came back as "
                            f"{g.get('session_id')}#{g.get('idx')}")
            if not g.get("grade") or not (0 <= g["grade"].get("score", -1) <= 5):
                errors.append(f"client {i}: no valid grade for {s.session_id}#{pending}")
            if g.get("done") or not g.get("next"):
                break
            pending = g["next"]["idx"]
            s.questions[pending] = g["next"]["question"]


def check_url(url: str, sessions: list[Sent]) -> tuple[list[str], int]:
    from gradio_client import Client

    c = Client(url, verbose=False)
    return check(lambda: c.predict(api_name="/list_sessions"),
                 lambda sid: c.predict(sid, api_name="/replay_session"), sessions)


def check(list_sessions, replay, sessions: list[Sent]) -> tuple[list[str], int]:
    """Every transcript against what its client sent; returns (mismatches, answered turns found)."""
    mism: list[str] = []
    found = 0
    listed = {s["id"] for s in list_sessions()}
    for s in sessions:
        if s.session_id not in listed:
            mism.append(f"{s.session_id}: not in /list_sessions")
        tr = replay(s.session_id)
        if tr["session"]["id"] != s.session_id:
            mism.append(f"{s.session_id}: replay returned session {tr['session']['id']}")
        turns = {t["idx"]: t for t in tr["turns"]}
        if sorted(turns) != list(range(len(turns))):
            mism.append(f"{s.session_id}: turn indexes {sorted(turns)} are not 0..n-1")
        for t in tr["turns"]:
            if t["session_id"] != s.session_id:
                mism.append(f"{s.session_id}#{t['idx']}: stored under session {t['session_id']}")
        for idx, ans in s.answers.items():
            t = turns.get(idx)
            if t is None:
                mism.append(f"{s.session_id}#{idx}: answered turn lost")
                continue
            if t["answer"] != ans:
                mism.append(f"{s.session_id}#{idx}: stored answer {str(t['answer'])[:60]!r} != sent {ans[:60]!r}")
            elif t["grade"] is None:
                mism.append(f"{s.session_id}#{idx}: answer stored without its grade")
            else:
                found += 1
        for idx, q in s.questions.items():
            t = turns.get(idx)
            if t is None or t["question"] != q:
                mism.append(f"{s.session_id}#{idx}: stored question differs from the one shown")
        for idx, t in turns.items():
            if t["answer"] is not None and idx not in s.answers:
                mism.append(f"{s.session_id}#{idx}: an answer this client never sent: {str(t['answer'])[:60]!r}")
    return mism, found


def run(clients: int = 8, seconds: float = 120, n_questions: int = 3, url: str | None = None) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="interviewer-load-"))
    app = None
    try:
        if url is None:
            app = AppProcess(tmp / "data", startup_s=300)
            url = app.url
        from gradio_client import Client

        t_ready = time.perf_counter()
        Client(url, verbose=False).predict(api_name="/list_sessions")  # waits for the engine to be loaded
        ready_s = time.perf_counter() - t_ready
        out: dict = {"sessions": [], "latency_ms": [], "errors": [], "mismatches": []}
        deadline = time.monotonic() + seconds
        t0 = time.perf_counter()
        threads = [threading.Thread(target=client_loop, args=(i, url, deadline, n_questions, out), daemon=True)
                   for i in range(clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=seconds + 600)
        wall = time.perf_counter() - t0
        hung = sum(t.is_alive() for t in threads)
        if hung:
            out["errors"].append(f"{hung} client(s) still running {seconds + 600:.0f} s after the deadline")
        mism, found = check_url(url, list(out["sessions"]))
        mism = out["mismatches"] + mism
        lat = out["latency_ms"]
        turns = len(lat)
        if found != turns:
            mism.append(f"{turns} answers acknowledged but {found} found graded in the transcripts")
        return {
            "clients": clients, "seconds": seconds, "turns": turns, "errors": len(out["errors"]),
            "mismatches": len(mism), "turn_p50_ms": pct(lat, 50), "turn_p95_ms": pct(lat, 95),
            "turn_max_ms": round(max(lat), 1) if lat else None,
            "turn_mean_ms": round(statistics.fmean(lat), 1) if lat else None,
            "turns_per_s": round(turns / wall, 2) if wall else None, "sessions": len(out["sessions"]),
            "questions_per_session": n_questions, "wall_s": round(wall, 1), "engine_ready_wait_s": round(ready_s, 1),
            "error_samples": out["errors"][:10], "mismatch_samples": mism[:10],
        }
    finally:
        if app is not None:
            app.stop(timeout=30)
        shutil.rmtree(tmp, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m eval.load", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--seconds", type=float, default=120)
    ap.add_argument("--questions", type=int, default=3, help="questions per interview")
    ap.add_argument("--url", help="an app that is already running on loopback, instead of starting one")
    ap.add_argument("--out", type=Path, help="also write the JSON here, e.g. eval/results/load.json")
    a = ap.parse_args(argv)
    if not (1 <= a.clients <= 64 and 0 < a.seconds <= 3600):
        ap.error("--clients 1..64 and --seconds up to 3600")
    if a.url:
        host = urllib.parse.urlparse(a.url).hostname or ""
        if host not in ("127.0.0.1", "localhost", "::1"):
            ap.error("--url must be a loopback address")
    res = run(a.clients, a.seconds, a.questions, a.url)
    text = json.dumps(res, indent=2)
    print(text)
    if a.out:
        a.out.parent.mkdir(parents=True, exist_ok=True)
        a.out.write_text(text + "\n", encoding="utf-8")
    return 0 if res["errors"] == 0 and res["mismatches"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
