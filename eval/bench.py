"""Latency and throughput of the app on this machine, plus raw llama-cpp-python decode speed for the ratio."""

from __future__ import annotations

import os
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

from eval.common import settings
from eval.decode import compare

PROMPT = [{"role": "system", "content": "You are a senior NVIDIA engineer interviewing a candidate."},
          {"role": "user", "content": "Explain in detail how NCCL all-reduce works across 8 GPUs, step by step."}]


def pct(xs, p):
    return round(float(np.percentile(xs, p)), 2) if xs else None


class PeakRSS:
    def __init__(self):
        import psutil

        self.proc = psutil.Process()
        self.peak = self.proc.memory_info().rss
        self.stop = False
        self.t = threading.Thread(target=self._run, daemon=True)
        self.t.start()

    def _run(self):
        while not self.stop:
            self.peak = max(self.peak, self.proc.memory_info().rss)
            time.sleep(0.05)


def run(turns: int = 8, adapt: bool = False) -> dict:
    from interviewer.index import Index, get_embedder
    from interviewer.knowledge import load_knowledge
    from interviewer.llm import load_llm
    from interviewer.session import Engine

    mem = PeakRSS()
    out: dict = {"cpu_threads": len(os.sched_getaffinity(0)), "adapt_questions": bool(adapt)}
    tmp = Path(tempfile.mkdtemp(prefix="eval-bench-"))
    st = settings().model_copy(update={"data_dir": tmp, "adapt_questions": adapt or settings().adapt_questions})
    st.ensure_data_dir()
    kb = load_knowledge(st.knowledge_dir)
    get_embedder(str(st.embedding_path()))
    t0 = time.perf_counter()
    index = Index(st)
    rep = index.ingest(kb)
    out["ingest_s"] = round(time.perf_counter() - t0, 2)
    out["chunks"] = getattr(rep, "chunks", None)
    lat = []
    for q in kb.questions[:30]:
        t = time.perf_counter()
        index.search(q.question, k=5)
        lat.append(1000 * (time.perf_counter() - t))
    out["retrieval_p50_ms"] = pct(lat, 50)
    t0 = time.perf_counter()
    llm = load_llm(st)
    out["model_load_s"] = round(time.perf_counter() - t0, 2)
    out["model"] = getattr(llm, "name", str(st.model_path().name))
    from interviewer.store import Store

    engine = Engine(st, kb, index, llm, Store(st.db_path))
    # grade latency (the grader as the engine configures it)
    g_lat = []
    # answers a candidate could give: a writer's paraphrase from the interview set (not the model answer, whose
    # sentences the rubric has already embedded) and a vague one
    from eval.simulate import paraphrases

    para = paraphrases()
    for q in [q for q in kb.questions if q.id in para][:20]:
        engine.grader.prepare(q)  # as the session does while the candidate answers
        for a in (para[q.id], "It depends; I would measure and optimise."):
            t = time.perf_counter()
            engine.grader.grade_question(q, a)
            g_lat.append(1000 * (time.perf_counter() - t))
    out["grader"] = engine.grader.name
    out["grade_p50_ms"], out["grade_p95_ms"] = pct(g_lat, 50), pct(g_lat, 95)
    # interview turns: TTFT of each question, whole turn = submit -> grade -> next question's first token
    iv = engine.start(mode="full", n_questions=turns)
    ttft, turn_ms = [], []

    def first_token(interview):
        t = time.perf_counter()
        gen = interview.stream_question()
        for _ in gen:
            ft = time.perf_counter() - t
            for _ in gen:
                pass
            return ft
        return time.perf_counter() - t

    ttft.append(1000 * first_token(iv))
    while iv.current is not None and len(turn_ms) < 3 * turns:
        q = kb.question(iv.current.question_id)
        t = time.perf_counter()
        res = iv.submit(q.model_answer if len(turn_ms) % 2 == 0 else "I would measure it first.")
        if res.next is None:
            turn_ms.append(1000 * (time.perf_counter() - t))
            break
        ft = first_token(iv)
        ttft.append(1000 * ft)
        turn_ms.append(1000 * (time.perf_counter() - t))
    out["question_ttft_p50_ms"], out["question_ttft_p95_ms"] = pct(ttft, 50), pct(ttft, 95)
    out["turn_p50_ms"], out["turn_p95_ms"] = pct(turn_ms, 50), pct(turn_ms, 95)
    out["turns"] = len(turn_ms)
    if hasattr(llm, "llama"):  # in-process model: app streaming path vs raw Llama.generate, interleaved
        d = compare(llm, PROMPT, n=128, reps=5)
        out.update({"decode_tok_s": d["decode_tps_app"], "raw_decode_tok_s": d["decode_tps_raw"],
                    "decode_ratio": d["ratio_app_raw"], "decode_runs": {"app": d["decode_tps_app_runs"],
                                                                        "raw": d["decode_tps_raw_runs"]}})
    out.update(bench_speech(st, kb))
    mem.stop = True
    out["peak_rss_mb"] = round(mem.peak / 2**20, 1)
    out["goals"] = {"turn_p50_ms": 1500, "turn_p95_ms": 3000, "decode_ratio": 0.95, "transcribe_60s_s": 5.0}
    return out


def bench_speech(st, kb) -> dict:
    """Spoken answers (issue 16): speech model load, then a 60 s answer transcribed on the warm model (min and
    median of three runs, CPU seconds), or why it could not run."""
    from eval.asr import time_sixty_seconds
    from interviewer.speech import SpeechError, get_transcriber

    try:
        t0 = time.perf_counter()
        tr = get_transcriber(st)
        res = {"speech_model_load_s": round(time.perf_counter() - t0, 2)}
        return {**res, **time_sixty_seconds(tr, question=kb.questions[0])}
    except SpeechError as e:  # no speech model, or no espeak-ng to make the clip
        return {"transcribe_error": str(e)}
