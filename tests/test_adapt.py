"""Question rephrasing (adapt_questions) with the real default model: however long the interview runs, the
prompt stays inside the model's context, and a model that fails mid-question never loses the question."""

import pytest

from interviewer.config import Settings
from interviewer.llm import ModelError, load_llm
from interviewer.session import Engine, fold_chunk
from tests.conftest import KNOWLEDGE

N_CTX = 1024
LONG_ANSWER = ("I would start from the measurements: nccl-tests bus bandwidth per message size, then NCCL_DEBUG=INFO "
               "to see the rings, trees and transports it picked, and compare with the link speed. ") * 6


def adapt_engine(tmp_path, llm) -> Engine:
    s = Settings(data_dir=tmp_path / "data", knowledge_dir=KNOWLEDGE, adapt_questions=True, n_ctx=N_CTX)
    eng = Engine.load(s, with_llm=False)
    eng.llm = llm
    eng.grader.llm = llm
    return eng


def shown(iv) -> str:
    text = ""
    for chunk in iv.stream_question():
        text = fold_chunk(text, chunk)
    return text


@pytest.fixture(scope="module")
def small_llm():
    return load_llm(Settings(n_ctx=N_CTX))


def test_a_long_interview_never_overflows_the_context(tmp_path, small_llm):
    iv = adapt_engine(tmp_path, small_llm).start(mode="full", n_questions=6)
    prompts = []
    for _ in range(10):
        if iv.current is None:
            break
        assert shown(iv).strip() == iv.current.question.strip()  # what was shown is what is stored
        prompts.append(small_llm.last_stats["prompt_tokens"])
        iv.submit(LONG_ANSWER)
    assert len(prompts) == 10
    assert max(prompts) <= N_CTX - 96  # room left for the question itself
    assert max(prompts) > N_CTX // 3  # the history was really kept up to the limit, not dropped every turn


class FailingMidStream:
    """The real model, except that streaming breaks after the first chunk (an OOM, a lost server)."""

    def __init__(self, inner):
        self.inner = inner

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def stream_chat(self, messages, max_tokens=256, stop=None):
        yield from list(self.inner.stream_chat(messages, max_tokens=4))[:1]
        raise ModelError("CUDA error: out of memory")


def test_a_model_failing_mid_question_falls_back_to_the_bank_question(tmp_path, llm):
    eng = adapt_engine(tmp_path, FailingMidStream(llm))
    iv = eng.start(mode="full", n_questions=2)
    bank = eng.kb.question(iv.current.question_id).question
    assert shown(iv) == bank
    assert eng.store.transcript(iv.info.id).turns[0].question == bank
