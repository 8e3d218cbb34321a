"""The OpenAI-compatible backend against a real llama.cpp server (llama_cpp.server) on loopback."""

import subprocess
import sys
import threading

import pytest
from pydantic import BaseModel

from eval.apprun import stop_process
from interviewer.config import Settings, default_model_path
from interviewer.llm import ModelError, OpenAILLM
from tests.conftest import free_port


@pytest.fixture(scope="module")
def server():
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "llama_cpp.server", "--model", str(default_model_path()), "--host", "127.0.0.1",
         "--port", str(port), "--n_ctx", "2048", "--model_alias", "smollm2"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    log = []
    for line in proc.stderr:  # uvicorn announces readiness on stderr once the model is loaded
        log.append(line)
        if "Uvicorn running on" in line:
            break
    else:
        pytest.fail("llama_cpp.server exited: " + "".join(log[-30:]))
    # keep draining so the server never blocks on a full pipe
    threading.Thread(target=lambda: [None for _ in proc.stderr], daemon=True).start()
    yield f"http://127.0.0.1:{port}/v1"
    stop_process(proc)


class Topic(BaseModel):
    topic: str
    difficulty: int


MSGS = [{"role": "user", "content": "Ask one short question about NCCL."}]


def test_chat_and_streaming_through_the_server(server):
    llm = OpenAILLM(Settings(llm_url=server))
    assert llm.name == "smollm2"
    assert llm.chat(MSGS, max_tokens=16).strip()
    chunks = list(llm.stream_chat(MSGS, max_tokens=16))
    assert len(chunks) > 2


def test_json_and_yes_probability_through_the_server(server):
    llm = OpenAILLM(Settings(llm_url=server))
    t = llm.json([{"role": "user", "content": "Give the topic NCCL and difficulty 2 as JSON."}], Topic, max_tokens=40)
    assert isinstance(t, Topic)
    assert 0.0 <= llm.yes_probability([{"role": "user", "content": "Is 2 > 1? yes or no"}]) <= 1.0


def test_unreachable_server_is_a_clear_error():
    with pytest.raises(ModelError, match="cannot reach the model server"):
        OpenAILLM(Settings(llm_url=f"http://127.0.0.1:{free_port()}/v1"))
