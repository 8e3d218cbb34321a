"""Scale-out on real servers: interviews run through a Chroma server (--chroma-url) and an OpenAI-compatible model
server (--llm-url, llama-cpp-python's server with the default model). A server that dies or hangs mid-interview
is a clear error or the bank's fallback, never a lost answer, and the same interview goes on once it is back;
two interviews share one model server at the same time."""

import logging
import threading
import time

import chromadb
import pytest

from interviewer import cli
from interviewer.config import Settings
from interviewer.index import COLLECTION, Index, IndexServerError
from interviewer.llm import ModelError, OpenAILLM
from interviewer.session import Engine, Interview
from tests.conftest import KNOWLEDGE, free_port
from tests.servers import ChromaServer, ModelServer

THREAD_S = 120  # one interview thread's limit; both finish in seconds on 2 cores


@pytest.fixture(scope="module")
def chroma(tmp_path_factory):
    srv = ChromaServer(tmp_path_factory.mktemp("chroma") / "db")
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def model():
    # By default llama_cpp.server cuts a streamed reply off when the next request arrives; a server shared by
    # several candidates must finish each reply (llama.cpp's llama-server --parallel N runs them side by side).
    srv = ModelServer("--interrupt_requests", "False")
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def settings(tmp_path_factory, chroma, model) -> Settings:
    # The model rephrases each question with context retrieved from the index, so both servers serve every
    # interview. A short reply keeps the file fast (a cut-off rephrasing falls back to the bank question), and so
    # does leaving the model's other features off: the load then runs no capability probe.
    return Settings(data_dir=tmp_path_factory.mktemp("data"), knowledge_dir=KNOWLEDGE, chroma_url=chroma.url,
                    llm_url=model.url, adapt_questions=True, max_follow_ups=0, question_max_tokens=24,
                    judge="off", model_follow_ups="off", model_corrections="off")


@pytest.fixture(scope="module")
def engine(settings) -> Engine:
    return Engine.load(settings)


@pytest.fixture(autouse=True)
def servers_up(chroma, model):
    """Each test starts with both servers answering, whatever the test before it did to them."""
    for srv in (chroma, model):
        if srv.proc.poll() is not None:
            srv.start()


def answer(iv: Interview, who: str = "") -> str:
    """A good answer to the pending question (its bank model answer), marked with who gave it."""
    return f"{who}{iv.engine.kb.question(iv.current.question_id).model_answer}"


def saved_answers(engine: Engine, iv: Interview) -> list[str]:
    return [t.answer for t in engine.transcript(iv.session_id).turns if t.answer is not None]


def test_an_interview_runs_through_the_chroma_server_and_the_model_server(engine, chroma):
    assert engine.llm.info()["backend"] == "openai-compatible" and engine.llm.name == "smollm2"
    # the knowledge is in the server's collection (read with a client of its own), and retrieval reads it there
    server_side = chromadb.HttpClient(host="127.0.0.1", port=chroma.port).get_collection(COLLECTION)
    assert server_side.count() == engine.ingest_report.chunks == engine.index.count()
    iv = engine.start(n_questions=2)
    assert engine.context_for(engine.kb.question(iv.current.question_id)).startswith("- ")
    sent = []
    while not iv.done:
        assert iv.question_text().strip()
        sent.append(answer(iv))
        assert iv.submit(sent[-1]).grade.score > 0
    assert saved_answers(engine, iv) == sent


def test_a_chroma_server_that_goes_down_is_a_clear_error_loses_no_answer_and_the_interview_resumes(engine, settings,
                                                                                                   chroma):
    running = engine.start(n_questions=2)
    running.question_text()  # its context is retrieved once, with the first question
    running.submit(answer(running))
    chroma.stop()

    # the interview that has its context goes on; one that needs the index says what to do, its question is saved
    running.question_text()
    running.submit(answer(running))
    assert running.done and len(saved_answers(engine, running)) == 2
    waiting = engine.start(n_questions=1)
    down = rf"the Chroma server at {chroma.url} is not reachable .*start it again.*your answers are saved"
    with pytest.raises(IndexServerError, match=down):
        waiting.question_text()
    pending = engine.store.turns(waiting.session_id)
    assert [(t.question_id, t.answer) for t in pending] == [(waiting.current.question_id, None)]
    with pytest.raises(IndexServerError, match=down):  # an app started now says the same, at load
        Engine.load(settings)

    chroma.start()  # same port, same --path: the same client reconnects and the session goes on
    resumed = engine.interview(waiting.session_id)
    assert resumed.question_text().strip()
    resumed.submit(answer(resumed))
    assert resumed.done and len(saved_answers(engine, resumed)) == 1


def test_a_hung_chroma_server_is_reported_after_the_timeout_instead_of_hanging(settings, chroma):
    ix = Index(settings.model_copy(update={"chroma_timeout_s": 1.0}))
    chroma.pause()
    try:
        t0 = time.monotonic()
        with pytest.raises(IndexServerError, match="not reachable \\(no answer within 1 s\\)"):
            ix.search("How does NCCL pick a ring or a tree?")
        assert time.monotonic() - t0 < 10
    finally:
        chroma.resume()
    assert ix.search("How does NCCL pick a ring or a tree?")


def test_the_cli_names_a_chroma_server_that_is_down_and_exits_2(capsys):
    url = f"http://127.0.0.1:{free_port()}"
    assert cli.main(["search", "NCCL all-reduce", "--chroma-url", url]) == 2
    assert f"error: the Chroma server at {url} is not reachable" in capsys.readouterr().err


def test_a_model_server_that_goes_down_falls_back_to_the_bank_question_and_loses_no_answer(engine, model, caplog):
    iv = engine.start(n_questions=3)
    iv.question_text()
    first = answer(iv)
    model.stop()

    # grading needs no model server; the next question is the bank's, and the log says why
    nxt = iv.submit(first).next
    with caplog.at_level(logging.WARNING, logger="interviewer.session"):
        assert iv.question_text() == nxt.question == engine.kb.question(nxt.question_id).question
    assert f"the model server at {model.url} is not reachable" in caplog.text
    second = answer(iv)
    iv.submit(second)
    assert saved_answers(engine, iv) == [first, second]

    model.start()  # same port: the same client reconnects and the model rephrases again
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="interviewer.session"):
        assert iv.question_text().strip()
    assert "not reachable" not in caplog.text
    iv.submit(answer(iv))
    assert iv.done and len(saved_answers(engine, iv)) == 3


def test_with_every_model_feature_on_a_dead_model_server_falls_back_everywhere_and_keeps_the_answer(settings, model):
    eng = Engine.load(settings.model_copy(update=dict(judge="on", judge_weight=0.5, model_follow_ups="on",
                                                      model_corrections="on", max_follow_ups=1)))
    assert eng.grader.use_llm
    iv = eng.start(n_questions=1)
    iv.question_text()
    model.stop()

    weak = "GPUs are fast and the network moves the data somehow."
    res = iv.submit(weak)  # the judge cannot answer: the grade is the grader's own, and says so
    assert any(n.startswith("graded without the model's judgement: the model server at") for n in res.grade.notes)
    assert "model" not in [c.name for c in res.grade.checks]
    assert res.next is not None and res.next.is_follow_up  # a weak answer is followed up
    assert iv.question_text() == res.next.question  # the bank's follow-up, not the model's
    assert res.next.timings["follow_up_fallback"] == 1.0
    answered = eng.store.turns(iv.session_id)[0]
    assert answered.answer == weak and answered.grade.score == res.grade.score
    assert answered.timings["corrections_fallback"] >= 1 and "corrections_model" in answered.timings
    assert eng.store.turns(iv.session_id)[1].question == res.next.question
    model.start()


def test_a_model_server_killed_mid_reply_is_a_model_error_and_the_client_reconnects(model):
    llm = OpenAILLM(Settings(llm_url=model.url))
    stream = llm.stream_chat([{"role": "user", "content": "Count from 1 to 300, separated by commas."}],
                             max_tokens=600)
    assert next(stream)
    model.kill()
    down = rf"the model server at {model.url} is not reachable .*start it again"
    with pytest.raises(ModelError, match=down):
        list(stream)
    with pytest.raises(ModelError, match=down):
        llm.chat([{"role": "user", "content": "Say yes."}], max_tokens=4)
    model.start()
    assert llm.chat([{"role": "user", "content": "Say yes."}], max_tokens=4).strip()


def test_two_interviews_share_one_model_server_at_once_and_each_keeps_its_own_turns(engine, caplog):
    both = threading.Barrier(2)
    done: dict[str, tuple[Interview, list[str]]] = {}

    def candidate(who: str) -> None:
        iv = engine.start(n_questions=2)
        both.wait(timeout=THREAD_S)  # both ask their first question at the same moment
        sent = []
        while not iv.done:
            iv.question_text()
            sent.append(answer(iv, who))
            iv.submit(sent[-1])
        done[who] = (iv, sent)

    with caplog.at_level(logging.WARNING, logger="interviewer.session"):
        threads = [threading.Thread(target=candidate, args=(who,)) for who in ("Ada: ", "Bo: ")]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=THREAD_S)
    assert sorted(done) == ["Ada: ", "Bo: "]
    (a, sent_a), (b, sent_b) = done["Ada: "], done["Bo: "]
    assert a.session_id != b.session_id
    assert saved_answers(engine, a) == sent_a and saved_answers(engine, b) == sent_b
    assert all(len(s) == 2 for s in (sent_a, sent_b))
    assert "rephrasing failed" not in caplog.text  # every streamed question came back whole
