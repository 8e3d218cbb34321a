"""The GPU-speed code paths of LlamaCppLLM run on the CPU too (CI has no GPU), with the real default model:
the template fast path streams the same text as create_chat_completion, an append-only conversation reuses
its KV prefix, grading in a second context or around a KV save/restore leaves that prefix in place, and
prompt-lookup speculative decoding keeps the cache consistent."""

import pytest

from interviewer.config import Settings
from interviewer.llm import LlamaCppLLM, _TextStream

SYS = {"role": "system", "content": "You are an interviewer. Rubric: idempotent writes, partitioning by date."}
ANS = {"role": "user", "content": "Candidate: I used idempotent writes and partitioned by date. Quote me."}
GRADE = [{"role": "system", "content": "Reply yes or no."},
         {"role": "user", "content": "Does 'I used idempotent writes' mention idempotency? Reply yes or no."}]


@pytest.fixture(scope="module")
def fast():
    return LlamaCppLLM(Settings(n_ctx=1024, grader_context="shared"))


def test_fast_path_matches_create_chat_completion(fast):
    assert fast.info()["chat_template_fast_path"]
    msgs = [SYS, ANS]
    ref = fast.llama.create_chat_completion(messages=msgs, **fast._kw(10, None))["choices"][0]["message"]["content"]
    fast.llama.reset()
    assert "".join(fast.stream_chat(msgs, max_tokens=10)) == ref
    assert fast.last_stats["completion_tokens"] <= 10


def test_append_only_conversation_reuses_the_prefix(fast):
    msgs = [SYS, ANS]
    first = fast.chat(msgs, max_tokens=6)
    n_prev = fast.last_stats["prompt_tokens"]
    nxt = msgs + [{"role": "assistant", "content": first}, {"role": "user", "content": "Next answer: backfills."}]
    fast.chat(nxt, max_tokens=2)
    assert fast.last_stats["cached_tokens"] >= n_prev - 1


def test_auto_grader_context_is_shared_on_cpu_only_build():
    s = Settings(n_ctx=512)
    assert s.grader_context == "auto"
    llm = LlamaCppLLM(s)
    assert llm.grader_context == ("second" if llm.n_gpu_layers != 0 else "shared")


@pytest.mark.parametrize("mode", ["state", "second"])
def test_grading_keeps_the_interview_prefix(fast, mode):
    msgs = [SYS, ANS]
    fast.grader_context = "shared"
    fast.chat(msgs, max_tokens=4)
    p_shared = fast.yes_probability(GRADE)
    fast.chat(msgs, max_tokens=4)
    ids_before = list(fast.llama.input_ids[: fast.llama.n_tokens])
    fast.grader_context = mode
    assert fast._grader is None  # the second context is loaded by the first grading call, not before
    try:
        p = fast.yes_probability(GRADE)
        assert p == pytest.approx(p_shared, abs=1e-3)
        assert list(fast.llama.input_ids[: fast.llama.n_tokens]) == ids_before
        assert (fast._grader is not None) == (mode == "second")
        fast.chat(msgs, max_tokens=1)
        assert fast.last_stats["cached_tokens"] == fast.last_stats["prompt_tokens"]
    finally:
        fast.grader_context = "shared"
        fast._grader = None


def test_prompt_lookup_decoding_runs_and_keeps_the_cache_consistent(fast):
    msgs = [SYS, ANS]
    fast.prompt_lookup_tokens = 4
    try:
        text = fast.chat(msgs, max_tokens=12)
        st = dict(fast.last_stats)
    finally:
        fast.prompt_lookup_tokens = 0
    assert text and 0 < st["completion_tokens"] <= 12
    assert st["spec_steps"] >= 1 and st["spec_accepted"] <= st["spec_drafted"]
    # the cache left behind is valid: a plain call on it gives the same text as from an empty cache
    nxt = msgs + [{"role": "assistant", "content": text}, {"role": "user", "content": "Go on."}]
    warm = fast.chat(nxt, max_tokens=6)
    assert fast.last_stats["cached_tokens"] > 0
    fast.llama.reset()
    assert fast.chat(nxt, max_tokens=6) == warm


def test_text_stream_holds_back_a_possible_stop_and_cuts_at_it():
    s = _TextStream(["</end>"])
    assert s.feed(b"hello </") == ("hello ", False)
    assert s.feed(b"en") == ("", False)
    assert s.feed(b"d> tail") == ("", True)
    s = _TextStream(["STOP"])
    assert s.feed(b"ST") == ("", False)
    assert s.feed(b"ay") == ("STay", False)
    s = _TextStream([])
    snow = "\u2603".encode()
    assert s.feed(snow[:2]) == ("", False)
    assert s.feed(snow[2:]) == ("\u2603", False)


def test_gpu_bench_prompts_are_interview_shaped():
    from eval import gpu_bench

    conv = gpu_bench.ask(gpu_bench.conversation(), gpu_bench.NEW_ANSWERS[0])
    assert conv[0]["role"] == "system" and conv[-1]["role"] == "user"
    g = gpu_bench.grader_msgs("q?", "an answer", "a point")
    assert "an answer" in g[1]["content"] and "a point" in g[1]["content"]
