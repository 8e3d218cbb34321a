"""Answer-aware follow-ups: what the model writes is asked only when it is one question, on the missed key point,
naming the candidate's claim, not a paraphrase and not giving the answer away; otherwise the bank's follow-up is
asked. Unit tests script the model's output; the session test runs the real default model."""

import pytest

from interviewer.follow_up import (OPENING, SAID_CHARS, Target, Writer, check, clean, clip, leak, messages, names_claim,
                                   restates)
from interviewer.knowledge import FollowUp, KeyPoint
from interviewer.probe import Capabilities, ProbeFeature
from interviewer.session import REPLACE, fold_chunk

TARGET = Target(
    question="What bandwidth does a PCIe Gen5 x16 link give, and how long does a 20 GB checkpoint take to copy?",
    answer="Gen5 x16 gives 128 GB/s, so the 20 GB checkpoint is on the GPU in about 0.15 seconds. Loading is "
           "never the bottleneck.",
    point=KeyPoint(point="x16 is about 63 GB/s per direction; the 128 GB/s figure is the bidirectional total",
                   terms=["per direction", "bidirectional", "63 gb/s"]),
    bank=FollowUp(question="Is the bandwidth figure you quoted available in one direction, and what does that "
                           "change in your estimate?", key_point=1),
    said="Gen5 x16 gives 128 GB/s, so the 20 GB checkpoint is on the GPU in about 0.15 seconds.")
GOOD = ("You said Gen5 x16 gives 128 GB/s, so the checkpoint loads in 0.15 seconds; is that bandwidth available "
        "in one direction, and how does that change your estimate?")


class ScriptedLLM:
    """Streams a fixed reply word by word, as a model would."""

    name = "scripted"

    def __init__(self, reply: str):
        self.reply = reply

    def stream_chat(self, messages, max_tokens=256, stop=None):
        words = self.reply.split(" ")
        for i, w in enumerate(words):
            yield w if i == len(words) - 1 else w + " "


def asked(reply: str, embedder) -> tuple[Writer, str]:
    """The writer after streaming the reply, and the text a reader saw."""
    w = Writer(ScriptedLLM(reply), embedder, TARGET, "system")
    shown = "".join(w.stream())
    return w, shown


@pytest.mark.parametrize("reply, failure", [
    ("You said 128 GB/s; is that per direction or for both directions together?", "leak"),
    ("You said 128 GB/s, but a Gen5 x16 link gives 63 GB/s each way; why does that matter?", "leak"),
    ("Gen5 x16 gives 128 GB/s, so the 20 GB checkpoint is on the GPU in about 0.15 seconds?", "paraphrases"),
    ("What bandwidth does a PCIe Gen5 x16 link give, and how long does a 20 GB checkpoint take to copy?",
     "repeats the question"),
    ("Can you tell me more about how you would approach this problem in general?", "does not name"),
    ("You said Gen5 x16 gives 128 GB/s and loading is never the bottleneck", "not one question"),
    ("You said Gen5 x16 gives 128 GB/s; what limits the speed-up you get from each extra thread?", "copies the prompt"),
])
def test_a_follow_up_that_fails_a_check_is_not_asked(reply, failure, embedder):
    w, _ = asked(reply, embedder)
    assert not w.ok and w.text == ""
    assert any(f.startswith(failure) for f in w.failures), w.failures


def test_a_leak_is_stopped_before_its_words_are_shown(embedder):
    w, shown = asked("You said 128 GB/s; but it is 63 GB/s per direction, so what changes in your estimate?", embedder)
    assert not w.ok
    assert "63" not in shown and "per direction" not in shown


def test_a_follow_up_naming_the_claim_and_aimed_at_the_point_is_asked_as_written(embedder):
    w, shown = asked(GOOD, embedder)
    assert w.ok, w.failures
    assert w.text == GOOD and shown == GOOD


class ContinuingLLM(ScriptedLLM):
    """A backend that continues the reply's opening (as LlamaCppLLM does) and counts the chunks it was asked for."""

    continues_reply = True

    def __init__(self, reply: str):
        super().__init__(reply)
        self.calls, self.sent, self.closed = [], 0, False

    def stream_chat(self, messages, max_tokens=256, stop=None, lookup=0):
        self.calls.append((messages, lookup))
        try:
            for chunk in super().stream_chat(messages, max_tokens, stop):
                self.sent += 1
                yield chunk
        finally:
            self.closed = True


def test_generation_ends_at_the_first_question_mark(embedder):
    llm = ContinuingLLM(GOOD.removeprefix(OPENING) + " And what would you measure first? Take your time.")
    w = Writer(llm, embedder, TARGET, "system")
    for _ in w.stream():
        pass
    assert w.raw == GOOD and llm.closed
    assert llm.sent == len(GOOD.removeprefix(OPENING).split(" "))  # not one chunk past the question mark


def test_a_backend_that_continues_a_reply_is_given_its_opening_and_drafts_from_the_prompt(embedder):
    llm = ContinuingLLM(GOOD.removeprefix(OPENING))
    w = Writer(llm, embedder, TARGET, "system")
    shown = "".join(w.stream())
    msgs, lookup = llm.calls[0]
    assert msgs[-1] == {"role": "assistant", "content": OPENING} and lookup > 0
    assert w.ok and shown == GOOD


def test_the_candidates_words_are_cut_at_a_clause_or_a_content_word():
    long = "Shared memory has 16 banks of 8 bytes, so you pad the tile to [32][34] and the compiler does the rest."
    assert clip(long) == "Shared memory has 16 banks of 8 bytes"
    words = "Registration just tells the kernel driver about the buffer so that the NIC is able to find the pages"
    cut = clip(words)
    assert len(cut) <= SAID_CHARS and words.startswith(cut) and cut.split()[-1] not in {"the", "so", "that", "to"}
    assert clip("Short claim.") == "Short claim."


def test_the_key_point_stays_out_of_the_prompt_and_the_bank_follow_up_is_in_it():
    prompt = " ".join(m["content"] for m in messages("system", TARGET))
    assert TARGET.bank.question in prompt and TARGET.said in prompt
    assert TARGET.point.point not in prompt and "63" not in prompt and "bidirectional" not in prompt


def test_a_label_quotes_and_a_closing_remark_are_dropped():
    assert clean('Follow-up question: "You said X; why?" This helps me judge.') == "You said X; why?"


@pytest.mark.parametrize("text, gives_away", [
    ("You said 128 GB/s; is that figure one way?", False),  # numbers the candidate said may be quoted
    ("You said 128 GB/s; is 64 more likely?", True),
    ("Is that bidirectional?", True),  # a rubric term the candidate never used
    ("You said the figure is 128; why is the figure the bidirectional total of the link?", True),
])
def test_leaks_are_numbers_terms_and_phrases_the_candidate_and_the_bank_never_used(text, gives_away):
    assert bool(leak(text, TARGET)) is gives_away


def test_naming_a_claim_needs_a_content_phrase_of_the_candidates_words():
    assert names_claim("You said loading is never the bottleneck; why not?", TARGET.said + " loading is never")
    assert not names_claim("You said something about the bus; why?", TARGET.said)
    assert names_claim("You said the figure you quoted is 128 GB/s; what changes?", TARGET.said)  # their number


def test_restating_the_answer_is_not_a_question_about_it():
    assert restates("Gen5 x16 gives 128 GB/s so the checkpoint is on the GPU?", TARGET.answer)
    assert not restates(GOOD, TARGET.answer)


def test_the_on_point_check_rejects_a_question_about_another_topic(embedder):
    off = "You said Gen5 x16 gives 128 GB/s; which NCCL algorithm would you pick for a small allreduce?"
    assert "not on the key point" in check(off, TARGET, embedder)


# --------------------------------------------------------------------------- in the session, with the real model


def test_with_the_default_model_the_session_asks_the_bank_follow_up_and_counts_the_fallback(engine, monkeypatch):
    """The 135M default cannot write a follow-up that passes the checks: forced on, the session still asks the
    bank's follow-up, grades its answer on the bank follow-up's rubric and records the fallback."""
    on = ProbeFeature(enabled=True, reason="on in settings")
    monkeypatch.setattr(engine, "capabilities", Capabilities(model="135m", judge=ProbeFeature(enabled=False),
                                                             follow_ups=on, corrections=on))
    iv = engine.start(mode="focus", focus="comp_arch_os", n_questions=1)
    q = engine.kb.question(iv.current.question_id)
    iv.question_text()
    res = iv.submit("Gen5 x16 gives 128 GB/s in each direction, so copying is instant.")
    nxt = res.next
    assert nxt is not None and nxt.is_follow_up
    bank = next(f for f in q.follow_ups if f.question == nxt.question)
    text = ""
    for chunk in iv.stream_question():
        text = fold_chunk(text, chunk)
    assert text == bank.question and nxt.question == bank.question
    graded = iv.submit("It depends on the situation.")
    assert graded.turn.timings["follow_up_fallback"] == 1.0 and graded.turn.timings["follow_up_model"] == 0.0
    stored = engine.store.turns(iv.session_id)
    assert stored[1].timings["follow_up_fallback"] == 1.0
    assert [k.point for k in graded.grade.key_points] == [k.point for k in (bank.key_points or
                                                                            [q.key_points[bank.key_point]])]
    assert REPLACE not in text


def test_the_default_model_is_not_trusted_with_follow_ups(llm, embedder):
    from interviewer.follow_up import probe

    f = probe(llm, embedder)
    assert not f.enabled and f.passed < f.total and "follow-ups passed" in f.reason


def test_the_in_process_model_continues_the_opening_of_its_reply(llm):
    base, _ = llm.prompt_tokens(messages("system", TARGET))
    opened, _ = llm.prompt_tokens(messages("system", TARGET, OPENING))
    assert llm.continues_reply
    assert opened[: len(base)] == base and llm.llama.detokenize(opened[len(base):]).decode() == OPENING
