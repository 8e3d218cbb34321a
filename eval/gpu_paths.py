"""Speed of the paths that put the model in the interviewer's chair (issue 15), on any build of llama.cpp:
the capability probe, the model's judgement of an answer's key points, an answer-aware follow-up (time to
first token and to the end) and a correction.

    python -m eval.gpu_paths --model PATH [--label NAME] [--out FILE] [--repeats N]

Runs where sentence-transformers is not installed (the GPU device image has no embedding model): the
follow-up's on-point check then reads a bag-of-words vector (`Words` below), so pass counts measured that
way say nothing about the model; the seconds are the model's. With random weights (the 8B-shape model
used on the device) every output runs to its token cap: the timings are the slowest case of each path.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

from interviewer import correction, follow_up
from interviewer.config import Settings
from interviewer.judge import judge_point
from interviewer.llm import LlamaCppLLM
from interviewer.probe import load_cases, run_probe


class Words:
    """A bag-of-words embedder (hashed unigrams, unit length) for machines without the embedding model."""

    dim = 384

    def encode(self, texts, **_):
        out = np.zeros((len(texts), self.dim), np.float32)
        for i, t in enumerate(texts):
            for w in t.lower().split():
                out[i, int(hashlib.md5(w.encode()).hexdigest(), 16) % self.dim] += 1.0
        n = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.maximum(n, 1e-9)


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(q * (len(xs) - 1))))]


def ms(xs: list[float]) -> dict:
    return {"n": len(xs), "p50_ms": round(1000 * statistics.median(xs), 1), "p95_ms": round(1000 * pct(xs, 0.95), 1),
            "max_ms": round(1000 * max(xs), 1)}


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--model", required=True)
    ap.add_argument("--label", default="")
    ap.add_argument("--out", default="")
    ap.add_argument("--repeats", type=int, default=3)
    a = ap.parse_args(argv)
    emb = Words()
    try:  # the real embedder where it is installed
        from interviewer.config import default_embedding_path
        from interviewer.index import Embedder

        emb, embedder = Embedder(default_embedding_path()), "all-MiniLM-L6-v2"
    except (ImportError, FileNotFoundError):  # the GPU device image: no sentence-transformers, no model package
        embedder = "bag-of-words stand-in (no embedding model on this machine)"
    t0 = time.perf_counter()
    llm = LlamaCppLLM(Settings(model=Path(a.model), gpu_layers=-1, n_ctx=4096))
    load_s = time.perf_counter() - t0
    res: dict = {"label": a.label or Path(a.model).name, "model": Path(a.model).name, "embedder": embedder,
                 "gpu_layers": llm.n_gpu_layers, "load_s": round(load_s, 2), "info": llm.info()}

    # the probe, twice: the first run also fills the model's caches
    probes = []
    for _ in range(2):
        t = time.perf_counter()
        caps = run_probe(llm, emb)
        probes.append(time.perf_counter() - t)
    res["probe"] = {"seconds_runs": [round(x, 2) for x in probes], "result": caps.public()}
    print("probe", res["probe"]["seconds_runs"], file=sys.stderr, flush=True)

    # the judgement: both yes/no questions for every key point of an answer (the probe's judge cases)
    cases = load_cases().judge
    per_answer = []
    for _ in range(a.repeats):
        for c in cases:
            t = time.perf_counter()
            for p in c.points:
                judge_point(llm, c.question, c.answer, p.point)
            per_answer.append(time.perf_counter() - t)
    res["judge_per_answer"] = ms(per_answer) | {"points_per_answer": round(statistics.mean(len(c.points)
                                                                                         for c in cases), 2)}

    print("judge", res["judge_per_answer"], file=sys.stderr, flush=True)

    # the follow-up: time to the first shown chunk and to the end, after the grade
    ttft, total = [], []
    for _ in range(a.repeats):
        for tg in follow_up.probe_targets(emb):
            w = follow_up.Writer(llm, emb, tg, follow_up.PROBE_SYSTEM)
            t = time.perf_counter()
            first = None
            for _chunk in w.stream():
                if first is None:
                    first = time.perf_counter() - t
            total.append(time.perf_counter() - t)
            ttft.append(first if first is not None else total[-1])
    res["follow_up"] = {"ttft": ms(ttft), "total": ms(total), "max_tokens": follow_up.MAX_TOKENS,
                        "note": "ttft is the first chunk shown, or the end when nothing passed the checks"}

    corr = []
    for _ in range(a.repeats):
        for tg in correction.probe_targets():
            corr.append(correction.write(llm, tg).seconds)
    res["correction"] = ms(corr) | {"max_tokens": correction.MAX_TOKENS}
    out = json.dumps(res, indent=2)
    if a.out:
        Path(a.out).write_text(out + "\n")
    print(out)
    return res


if __name__ == "__main__":
    main()
