"""GPU (or CPU) speed benchmark of the in-process backend, against raw llama-cpp-python and the hardware.

    python -m eval.gpu_bench --model PATH [--label NAME] [--out FILE] [--hbm-json rawbench.json]
                             [--gguf-py DIR] [--server-bin llama-server] [--budget SECONDS] [--quick]

Measures, on one interview-shaped conversation (system prompt with a rubric, earlier turns that the
next question may quote): decode tokens/s of LlamaCppLLM.stream_chat vs Llama.generate on the same
prompt tokens; the memory-bandwidth bound (HBM bytes/s over weight bytes read per token); prompt-lookup
speculative decoding (the app's own loop, and llama-cpp-python's draft_model); the cost of verifying
1+k tokens in one batch; time to first token of the next question with the conversation prefix cached
and not; grade latency (5 yes/no key points + one short JSON) with the grader sharing the context,
saving/restoring the interview's KV cache, or in a second context; and 4 concurrent interviews
in-process vs llama.cpp's own server (llama-server --parallel 4) through the app's OpenAI client.
Every figure written comes from this run; what was not measured is null with a *_reason key.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

from pydantic import BaseModel

from eval.decode import compare, med, raw_decode_tps

RUBRIC = (
    "Role: senior data engineer. Rubric for this question: the candidate should explain idempotent writes "
    "(a rerun of the same batch must not duplicate rows), partitioning by event date, late-arriving data "
    "handled by reprocessing the last three partitions, backfills that run partition by partition with the "
    "same code path as the daily job, and data-quality checks (row counts, null rates, uniqueness of the "
    "primary key) that block publication when they fail. Red flags: claims of exactly-once delivery "
    "without any mechanism, no mention of monitoring, or backfills done by hand-written one-off SQL."
)
ANSWERS = [
    "In my last role I owned the orders pipeline. Every write was idempotent: we wrote each batch to a staging "
    "table and merged on the primary key, so a rerun of the same batch never duplicated rows. Tables were "
    "partitioned by event date, and because events could arrive up to two days late we reprocessed the last "
    "three partitions every night.",
    "For backfills we ran the same code path as the daily job, partition by partition, with a concurrency limit "
    "of four so the warehouse was not overloaded. Before publishing a partition we checked row counts against "
    "the source, null rates on the key columns and uniqueness of the primary key; a failed check blocked the "
    "publication and paged the on-call engineer.",
    "Monitoring was a dashboard of freshness and row counts per partition, with alerts when a partition was more "
    "than two hours late. The hardest incident was a schema change upstream that silently turned a column to "
    "strings; the null-rate check caught it and we fixed the parser before any report used the bad data.",
    "If I did it again I would add data contracts with the upstream team, so that a schema change fails their "
    "build instead of our pipeline, and I would store the quality-check results so trends are visible over "
    "weeks rather than only as alerts.",
]
NEW_ANSWERS = [
    "We tested the merge logic with a replay of one week of production batches, each batch run twice, and "
    "compared the row counts and checksums of every partition against a clean run; any difference failed the "
    "test. That replay found one bug where the merge key missed the line number, which duplicated rows.",
    "Late data was the main source of incidents: a partner sometimes sent a whole day of events a week late. "
    "We kept a table of partitions touched by each load and reprocessed exactly those, instead of only the last "
    "three, which fixed it without reprocessing the whole month.",
    "Costs mattered too: the nightly reprocessing of three partitions cost about a third of the warehouse "
    "budget, so we switched to reprocessing only partitions that received new rows, found from the load log, "
    "and the bill went down by roughly a quarter.",
    "For data quality we started with a handful of checks and grew them from incidents: every incident added a "
    "check that would have caught it, and a weekly review removed checks that never failed and only slowed "
    "publication.",
]
KEY_POINTS = [
    "a rerun of the same batch must not duplicate rows",
    "tables are partitioned by event date",
    "late-arriving data is handled by reprocessing recent partitions",
    "backfills use the same code path as the daily job",
    "data-quality checks block publication when they fail",
]


LLAMA3_TEMPLATE = (
    "{{ bos_token }}{% for message in messages %}{{ '<|start_header_id|>' + message['role'] + "
    "'<|end_header_id|>\\n\\n' + message['content'] | trim + '<|eot_id|>' }}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{% endif %}"
)


class ShortGrade(BaseModel):
    score: int
    feedback: str


def conversation(n_turns: int = 4) -> list[dict]:
    msgs = [{"role": "system", "content": "You are a technical interviewer. Ask one short question at a time; "
             "when you follow up, quote the candidate's own words.\n" + RUBRIC}]
    for i in range(n_turns):
        msgs.append({"role": "user", "content": f"Candidate answer {i + 1}: {ANSWERS[i % len(ANSWERS)]}"})
        msgs.append({"role": "assistant", "content": "Thank you. You said: \"" + ANSWERS[i % len(ANSWERS)][:160]
                     + "\" Can you say more about how you checked that?"})
    return msgs


def ask(msgs: list[dict], answer: str) -> list[dict]:
    return msgs + [{"role": "user", "content": f"Candidate answer: {answer}\nAsk one follow-up question that "
                    "quotes the candidate's exact words, then repeat the rubric line it relates to."}]


def grader_msgs(question: str, answer: str, point: str) -> list[dict]:
    root = Path(__file__).resolve().parent.parent / "prompts"
    sys_t = (root / "grade_keypoint.md").read_text()
    user_t = (root / "grade_keypoint_user.md").read_text()
    return [{"role": "system", "content": sys_t},
            {"role": "user", "content": user_t.format(question=question, answer=answer, point=point)}]


def log(*a):
    print(f"[{time.strftime('%H:%M:%S')}]", *a, flush=True)


class Bench:
    def __init__(self, a):
        self.a = a
        self.t0 = time.time()
        self.r: dict = {"label": a.label, "model_path": a.model}
        self.reps = 1 if a.quick else 3

    def left(self) -> float:
        return self.a.budget - (time.time() - self.t0) if self.a.budget else 1e9

    def save(self):
        Path(self.a.out).parent.mkdir(parents=True, exist_ok=True)
        Path(self.a.out).write_text(json.dumps(self.r, indent=1))

    # ---------------------------------------------------------------- setup
    def load(self):
        import llama_cpp

        from interviewer.config import Settings
        from interviewer.llm import LlamaCppLLM

        self.settings = Settings(model=Path(self.a.model), n_ctx=self.a.n_ctx, grader_context="shared")
        self.llm = LlamaCppLLM(self.settings)
        self.L = self.llm.llama
        if self.llm._formatter is None:
            # random-weight GGUF without tokenizer.chat_template: a real Llama-3.1 GGUF carries this one
            from llama_cpp import llama_chat_format

            self.llm._formatter = llama_chat_format.Jinja2ChatFormatter(
                template=LLAMA3_TEMPLATE, eos_token="<|eot_id|>", bos_token="<|begin_of_text|>",
                stop_token_ids=[self.L.token_eos()])
            self.r["chat_template_note"] = "GGUF has no chat template; Llama-3 template set by the bench"
        self.r["info"] = self.llm.info()
        self.r["llama_cpp_python"] = llama_cpp.__version__
        self.r["gpu_offload"] = bool(llama_cpp.llama_supports_gpu_offload())
        self.r["system_info"] = llama_cpp.llama_print_system_info().decode(errors="replace")
        try:
            self.r["device"] = subprocess.run(["nvidia-smi", "--query-gpu=name,driver_version,memory.total",
                                               "--format=csv,noheader"], capture_output=True, text=True,
                                              timeout=20).stdout.strip() or None
        except (OSError, subprocess.SubprocessError):
            self.r["device"] = None
        if not self.r["device"]:
            self.r["device"] = f"CPU ({os.cpu_count()} cores visible, {len(os.sched_getaffinity(0))} usable)"
        log("loaded", self.r["info"])

    def sync(self):
        import llama_cpp

        llama_cpp.llama_synchronize(self.L._ctx.ctx)

    def bound(self):
        """HBM bandwidth (from rawbench's torch copy, else measured here) over weight bytes per token."""
        bw = None
        if self.a.hbm_json and Path(self.a.hbm_json).exists():
            h = json.loads(Path(self.a.hbm_json).read_text()).get("hbm", {})
            bw = h.get("copy_4GiB_TBps")
            self.r["hbm_source"] = f"rawbench gen: torch D2D copy 4 GiB (read+write), {h}"
        if bw is None:
            try:
                import torch

                if torch.cuda.is_available():
                    n = 4 << 30
                    x = torch.randint(-128, 127, (n,), dtype=torch.int8, device="cuda")
                    y = torch.empty_like(x)
                    for _ in range(3):
                        y.copy_(x)
                    ts = []
                    for _ in range(20):
                        e0, e1 = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
                        e0.record()
                        y.copy_(x)
                        e1.record()
                        e1.synchronize()
                        ts.append(e0.elapsed_time(e1) / 1e3)
                    bw = 2 * n / med(ts) / 1e12
                    self.r["hbm_source"] = "torch D2D copy 4 GiB here (read+write)"
                    del x, y
                    torch.cuda.empty_cache()
            except ImportError:
                pass
        self.r["hbm_gbps"] = round(bw * 1000, 1) if bw else None
        if not bw:
            self.r["hbm_gbps_reason"] = "no CUDA device (torch) here"
        # weight bytes read per generated token: every tensor except the token embedding (a row lookup)
        wb = None
        try:
            if self.a.gguf_py:
                sys.path.insert(0, self.a.gguf_py)
            import gguf

            rd = gguf.GGUFReader(self.a.model)
            tot = sum(int(t.n_bytes) for t in rd.tensors)
            emb = sum(int(t.n_bytes) for t in rd.tensors if t.name == "token_embd.weight")
            tied = not any(t.name == "output.weight" for t in rd.tensors)
            wb = tot - emb + (emb if tied else 0)  # tied embeddings are read in full by the output matmul
            self.r["weight_bytes_detail"] = {"tensor_bytes": tot, "token_embd_bytes": emb, "tied_output": tied}
        except Exception as e:  # noqa: BLE001 - gguf-py missing: fall back to the file size
            wb = os.path.getsize(self.a.model)
            self.r["weight_bytes_detail"] = {"file_bytes": wb, "note": f"gguf-py unavailable ({e}); file size used"}
        self.r["weight_bytes_per_token"] = wb
        self.r["bound_tps"] = round(bw * 1e12 / wb, 1) if bw else None

    # ---------------------------------------------------------------- decode
    def decode(self, n: int):
        self.r.update(compare(self.llm, ask(conversation(), NEW_ANSWERS[0]), n, self.reps))
        if self.r.get("bound_tps"):
            self.r["bound_fraction_raw"] = round(self.r["decode_tps_raw"] / self.r["bound_tps"], 4)
            if self.r["decode_tps_app"]:
                self.r["bound_fraction"] = round(self.r["decode_tps_app"] / self.r["bound_tps"], 4)
        else:
            self.r["bound_fraction"] = None
            self.r["bound_fraction_reason"] = "no HBM bandwidth measured (no CUDA device)"
        log(f"decode: raw {self.r['decode_tps_raw']} tok/s, app {self.r['decode_tps_app']} tok/s "
            f"(ratio {self.r.get('ratio_app_raw')}), bound {self.r.get('bound_tps')} -> {self.r.get('bound_fraction')}")

    def verify_cost(self):
        """Seconds for one decode step of 1+k tokens (all logits) at the conversation's length."""
        import numpy as np

        L = self.L
        toks, _ = self.llm.prompt_tokens(ask(conversation(), NEW_ANSWERS[0]))
        L.reset()
        L.eval(toks)
        base = L.n_tokens
        rng = np.random.default_rng(0)
        out = {}
        for k in (0, 2, 4, 8, 16):
            ts = []
            for i in range(6):
                batch = [int(x) for x in rng.integers(1000, min(30000, L.n_vocab()), 1 + k)]
                L._ctx.kv_cache_seq_rm(-1, base, -1)
                L._batch.set_batch(batch=batch, n_past=base, logits_all=True)
                t = time.perf_counter()
                L._ctx.decode(L._batch)
                self.sync()
                dt = time.perf_counter() - t
                if i:
                    ts.append(dt)
            out[str(1 + k)] = round(med(ts) * 1e3, 3)
        L._ctx.kv_cache_seq_rm(-1, base, -1)
        L.n_tokens = base
        self.r["verify_step_ms_by_batch"] = out
        log("verify step ms by batch size:", out)

    def speculative(self, n: int):
        """Prompt-lookup decoding on a reply that quotes the candidate: the app's loop and llama-cpp-python's."""
        llm, L = self.llm, self.L
        msgs = ask(conversation(), NEW_ANSWERS[1])
        res = {}
        base_txt = None
        for k in ([0, 4, 8] if not self.a.quick else [0, 8]):
            llm.prompt_lookup_tokens = k
            tps, stats = [], {}
            for i in range(self.reps + 1):
                L.reset()
                tf = None
                parts = []
                for chunk in llm.stream_chat(msgs, max_tokens=n + 1):
                    parts.append(chunk)
                    if tf is None:
                        tf = time.perf_counter()
                te = time.perf_counter()
                stats = dict(llm.last_stats)
                c = stats["completion_tokens"]
                if i:
                    tps.append((c - 1) / (te - tf) if c > 1 and tf else None)
            txt = "".join(parts)
            if k == 0:
                base_txt = txt
            res[f"k{k}"] = {"tps": round(med(tps), 2) if med(tps) else None, "completion_tokens": stats["completion_tokens"],
                            "drafted": stats.get("spec_drafted"), "accepted": stats.get("spec_accepted"),
                            "steps": stats.get("spec_steps"), "same_text_as_k0": txt == base_txt,
                            "text_head": txt[:160]}
            log(f"prompt lookup k={k}:", res[f"k{k}"])
        llm.prompt_lookup_tokens = 0
        self.r["prompt_lookup_app"] = res
        # llama-cpp-python's own: Llama(draft_model=LlamaPromptLookupDecoding) (logits for every position)
        if self.left() > 90 and not self.a.quick:
            try:
                import llama_cpp
                from llama_cpp.llama_speculative import LlamaPromptLookupDecoding

                D = llama_cpp.Llama(model_path=self.a.model, n_ctx=self.a.n_ctx, n_gpu_layers=llm.n_gpu_layers,
                                    flash_attn=llm.n_gpu_layers != 0, seed=0, verbose=False,
                                    n_threads=self.settings.n_threads or len(os.sched_getaffinity(0)),
                                    draft_model=LlamaPromptLookupDecoding(num_pred_tokens=8))
                toks, _ = llm.prompt_tokens(msgs)
                tps = []
                for i in range(2):
                    t = raw_decode_tps(D, toks, n)
                    if i:
                        tps.append(t)
                self.r["prompt_lookup_llama_cpp_python_draft_model_k8_tps"] = round(med(tps), 2)
                log("llama-cpp-python draft_model k=8:", self.r["prompt_lookup_llama_cpp_python_draft_model_k8_tps"])
                del D
            except Exception as e:  # noqa: BLE001
                self.r["prompt_lookup_llama_cpp_python_draft_model_error"] = repr(e)[:300]

    # ---------------------------------------------------------------- TTFT
    def ttft(self):
        llm, L = self.llm, self.L
        prev = ask(conversation(), NEW_ANSWERS[0])
        first = "".join(llm.stream_chat(prev, max_tokens=32)) or "Can you say more?"
        hist = prev + [{"role": "assistant", "content": first}]
        cached, uncached, info = [], [], []
        for i in range(self.reps + 1):
            nxt = hist + [{"role": "user", "content": NEW_ANSWERS[(i + 1) % len(NEW_ANSWERS)]}]
            for mode in ("cached", "uncached"):
                if mode == "uncached":
                    L.reset()
                else:  # the previous turn's prompt + reply in the cache, as in a live interview
                    L.reset()
                    "".join(llm.stream_chat(prev, max_tokens=32))
                t = time.perf_counter()
                g = llm.stream_chat(nxt, max_tokens=2)
                next(g, None)
                dt = time.perf_counter() - t
                g.close()
                st = dict(llm.last_stats)
                if i:
                    (cached if mode == "cached" else uncached).append(dt)
                    info.append({mode: {"prompt_tokens": st["prompt_tokens"], "cached_tokens": st["cached_tokens"]}})
        self.r["ttft_cached_ms"] = round(med(cached) * 1e3, 2)
        self.r["ttft_uncached_ms"] = round(med(uncached) * 1e3, 2)
        self.r["ttft_detail"] = info[:2]
        log(f"TTFT cached {self.r['ttft_cached_ms']} ms, uncached {self.r['ttft_uncached_ms']} ms", info[:2])

    # ---------------------------------------------------------------- grading
    def grading(self):
        llm, L = self.llm, self.L
        q = "How did you make your pipeline safe to rerun and backfill?"
        ans = ANSWERS[0] + " " + ANSWERS[1]
        prev = ask(conversation(), NEW_ANSWERS[0])
        out = {}
        modes = ["shared", "state", "second"]
        for mode in modes:
            if mode == "second":
                if self.left() < 60:
                    out[mode] = {"skipped": "time budget"}
                    continue
                llm._grader = llm._load()
            llm.grader_context = mode
            gms, nxt_ms, json_ms = [], [], []
            for i in range(self.reps + 1):
                L.reset()
                first = "".join(llm.stream_chat(prev, max_tokens=16))  # the interview's prefix is cached
                t = time.perf_counter()
                ps = [llm.yes_probability(grader_msgs(q, ans, p)) for p in KEY_POINTS]
                tj = time.perf_counter()
                try:
                    llm.json([{"role": "system", "content": "Grade the answer. Reply in JSON."},
                              {"role": "user", "content": f"Question: {q}\nAnswer: {ans}\nGive a score 1-5 and "
                               "one sentence of feedback."}], ShortGrade, max_tokens=48)
                except Exception as e:  # noqa: BLE001 - random weights may not close the JSON in 48 tokens
                    out.setdefault("json_errors", []).append(repr(e)[:120])
                te = time.perf_counter()
                nxt = prev + [{"role": "assistant", "content": first},
                              {"role": "user", "content": NEW_ANSWERS[2]}]
                t2 = time.perf_counter()
                g = llm.stream_chat(nxt, max_tokens=2)
                next(g, None)
                d2 = time.perf_counter() - t2
                g.close()
                if i:
                    gms.append(tj - t)
                    json_ms.append(te - tj)
                    nxt_ms.append(d2)
            out[mode] = {"grade_ms": round(med(gms) * 1e3, 2), "json_48_tokens_ms": round(med(json_ms) * 1e3, 2),
                         "next_question_ttft_ms": round(med(nxt_ms) * 1e3, 2),
                         "yes_probabilities": [round(p, 4) for p in ps],
                         "grade_plus_next_ttft_ms": round((med(gms) + med(nxt_ms)) * 1e3, 2)}
            log(f"grading {mode}:", out[mode])
        llm.grader_context = "shared"
        llm._grader = None
        self.r["grading"] = out
        ok = {m: v for m, v in out.items() if isinstance(v, dict) and "grade_plus_next_ttft_ms" in v}
        best = min(ok, key=lambda m: ok[m]["grade_plus_next_ttft_ms"])
        self.r["grade_ms"] = ok[best]["grade_ms"]
        self.r["grade_mode_best"] = best
        self.r["grade_note"] = ("grade_ms: the model's part of the app's hybrid grader (5 yes_probability calls, "
                                "one per key point; the shipped calibration gives the small default model weight 0, "
                                "so its default grade makes no model call), with the grader context that gives the lowest grade + "
                                "next-question TTFT; the app's grader makes no JSON call, the 48-token JSON "
                                "call is timed apart (json_48_tokens_ms) for a generated-feedback grader")

    # ---------------------------------------------------------------- concurrency
    def _four(self, make_llm, n_tokens: int, rounds: int) -> dict:
        results = []
        lock = threading.Lock()

        def worker(j):
            llm = make_llm()
            msgs = conversation(2)
            msgs[0] = {"role": "system", "content": f"Interview {j}. " + msgs[0]["content"]}
            for r_ in range(rounds):
                cur = ask(msgs, NEW_ANSWERS[(j + r_) % len(NEW_ANSWERS)])
                t = time.perf_counter()
                text = "".join(llm.stream_chat(cur, max_tokens=n_tokens))
                dt = time.perf_counter() - t
                with lock:
                    results.append((self.llm.tokens(text), dt))
                msgs = cur + [{"role": "assistant", "content": text or "ok"}]

        t0 = time.perf_counter()
        th = [threading.Thread(target=worker, args=(j,)) for j in range(4)]
        for t in th:
            t.start()
        for t in th:
            t.join()
        wall = time.perf_counter() - t0
        toks = sum(r[0] for r in results)
        return {"tokens": toks, "wall_s": round(wall, 3), "tps": round(toks / wall, 2), "requests": len(results)}

    def concurrency(self, n_tokens: int):
        rounds = 1 if self.a.quick else 2
        self.llm.grader_context = "shared"
        inproc = self._four(lambda: self.llm, n_tokens, rounds)
        self.r["concurrent4_inprocess_detail"] = inproc
        self.r["concurrent4_tps_inprocess"] = inproc["tps"]
        log("4 concurrent in-process:", inproc)
        if not self.a.server_bin or not Path(self.a.server_bin).exists():
            self.r["concurrent4_tps_server"] = None
            self.r["concurrent4_tps_server_reason"] = "llama-server binary not built in this run"
            return
        if self.left() < 60:
            self.r["concurrent4_tps_server"] = None
            self.r["concurrent4_tps_server_reason"] = "time budget"
            return
        port = 18080
        cmd = [self.a.server_bin, "-m", self.a.model, "--parallel", "4", "-c", str(4 * self.a.n_ctx), "-ngl", "999",
               "-fa", "on", "--port", str(port), "--host", "127.0.0.1", "--no-webui"]
        self.r["server_cmd"] = " ".join(cmd)
        # the llama.cpp libraries the server links sit beside it in the build tree
        env = dict(os.environ)
        libdirs = {str(p.parent) for p in Path(self.a.server_bin).resolve().parents[2].rglob("*.so*")}
        env["LD_LIBRARY_PATH"] = ":".join(sorted(libdirs) + [env.get("LD_LIBRARY_PATH", "")])
        logf = open(Path(self.a.out).with_suffix(".server.log"), "w")
        proc = subprocess.Popen(cmd, stdout=logf, stderr=subprocess.STDOUT, env=env)
        try:
            import urllib.request

            up = False
            for _ in range(240):
                if proc.poll() is not None:
                    break
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1) as resp:
                        if resp.status == 200:
                            up = True
                            break
                except OSError:
                    pass
                time.sleep(0.25)
            if not up:
                self.r["concurrent4_tps_server"] = None
                self.r["concurrent4_tps_server_reason"] = f"server did not come up (rc {proc.poll()})"
                return
            from interviewer.config import Settings
            from interviewer.llm import OpenAILLM

            s = Settings(llm_url=f"http://127.0.0.1:{port}/v1")
            OpenAILLM(s).chat([{"role": "user", "content": "hi"}], max_tokens=4)  # warm-up
            srv = self._four(lambda: OpenAILLM(s), n_tokens, rounds)
            self.r["concurrent4_server_detail"] = srv
            self.r["concurrent4_tps_server"] = srv["tps"]
            log("4 concurrent via llama-server --parallel 4:", srv)
        except Exception as e:  # noqa: BLE001
            self.r["concurrent4_tps_server"] = None
            self.r["concurrent4_tps_server_reason"] = repr(e)[:300]
        finally:
            from eval.apprun import stop_process

            stop_process(proc, timeout=10)

    def run(self):
        a = self.a
        n = 32 if a.quick else 128
        self.load()
        self.bound()
        self.save()
        steps = [("decode", lambda: self.decode(n)), ("ttft", self.ttft), ("grading", self.grading),
                 ("concurrency", lambda: self.concurrency(64 if not a.quick else 24)),
                 ("speculative", lambda: self.speculative(n)), ("verify_cost", self.verify_cost)]
        for name, fn in steps:
            if self.left() < 20:
                self.r.setdefault("skipped", []).append(name)
                continue
            t = time.time()
            try:
                fn()
            except Exception as e:  # noqa: BLE001 - record and go on: one failing step must not lose the rest
                import traceback

                self.r.setdefault("errors", {})[name] = traceback.format_exc()[-1500:]
                log(f"{name} failed: {e!r}")
            self.r.setdefault("step_seconds", {})[name] = round(time.time() - t, 1)
            self.save()
        self.r["model"] = Path(a.model).name if not a.label else a.label
        self.save()
        keys = ["device", "model", "decode_tps_app", "decode_tps_raw", "ratio_app_raw", "hbm_gbps",
                "weight_bytes_per_token", "bound_fraction", "ttft_cached_ms", "ttft_uncached_ms", "grade_ms",
                "concurrent4_tps_server", "concurrent4_tps_inprocess"]
        print(json.dumps({k: self.r.get(k) for k in keys}, indent=1), flush=True)


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m eval.gpu_bench", description=__doc__.split("\n")[0])
    p.add_argument("--model", default=None, help="GGUF; default: the app's default model")
    p.add_argument("--label", default="")
    p.add_argument("--out", default="eval/results/gpu-bench-local.json")
    p.add_argument("--hbm-json", default=None, help="rawbench results.json with the measured HBM bandwidth")
    p.add_argument("--gguf-py", default=None, help="llama.cpp's gguf-py dir (to count weight bytes)")
    p.add_argument("--server-bin", default=None, help="llama-server binary for the 4-interview server figure")
    p.add_argument("--n-ctx", type=int, default=4096)
    p.add_argument("--budget", type=float, default=0.0, help="seconds; later steps are skipped past it")
    p.add_argument("--quick", action="store_true", help="1 repetition, fewer tokens (CPU smoke test)")
    a = p.parse_args(argv)
    if a.model is None:
        from interviewer.config import default_model_path

        a.model = str(default_model_path())
    Bench(a).run()


if __name__ == "__main__":
    main()
