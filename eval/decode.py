"""Decode speed of the app's streaming path against raw llama-cpp-python on the same prompt tokens.

Both run on the same loaded model, one after the other in each repetition, so a busy machine slows both
alike; the first repetition is a warm-up and the medians of the rest are reported."""

from __future__ import annotations

import statistics
import time


def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def raw_decode_tps(L, toks: list[int], n: int) -> float:
    """Tokens/s of n greedy decode steps through Llama.generate on toks (no EOS check, as rawbench)."""
    L.reset()
    it = L.generate(toks, top_k=1, top_p=1.0, min_p=0.0, temp=0.0, repeat_penalty=1.0)
    next(it)  # the first token carries the prompt evaluation
    t1 = time.perf_counter()
    for _ in range(n):
        next(it)
    t2 = time.perf_counter()
    it.close()
    return n / (t2 - t1)


def app_decode_tps(llm, msgs: list[dict], n: int) -> tuple[float | None, int]:
    """Tokens/s after the first token of LlamaCppLLM.stream_chat (text out, stop strings, EOG check)."""
    llm.llama.reset()
    first = None
    for _chunk in llm.stream_chat(msgs, max_tokens=n + 1):
        if first is None:
            first = time.perf_counter()
    end = time.perf_counter()
    k = llm.last_stats["completion_tokens"]
    return ((k - 1) / (end - first) if k > 1 and first else None), k


def compare(llm, msgs: list[dict], n: int = 128, reps: int = 3) -> dict:
    """{"decode_tps_raw", "decode_tps_app", "ratio_app_raw", runs, prompt and completion tokens}."""
    toks, _ = llm.prompt_tokens(msgs)
    raw, app = [], []
    k = 0
    for i in range(reps + 1):
        r = raw_decode_tps(llm.llama, toks, n)
        a, k = app_decode_tps(llm, msgs, n)
        if i:
            raw.append(r)
            app.append(a)
    out = {"decode_prompt_tokens": len(toks), "decode_tokens": n, "decode_app_completion_tokens": k,
           "decode_tps_raw_runs": [round(x, 2) for x in raw],
           "decode_tps_app_runs": [round(x, 2) if x else None for x in app],
           "decode_tps_raw": round(med(raw), 2), "decode_tps_app": round(med(app), 2) if med(app) else None}
    out["ratio_app_raw"] = round(out["decode_tps_app"] / out["decode_tps_raw"], 4) if out["decode_tps_app"] else None
    return out
