"""The OpenAI-compatible backend against a real llama.cpp server (llama_cpp.server) on loopback."""

import pytest
from pydantic import BaseModel

from interviewer.config import Settings
from interviewer.llm import ModelError, OpenAILLM
from tests.conftest import free_port
from tests.servers import ModelServer


@pytest.fixture(scope="module")
def server():
    srv = ModelServer()
    yield srv.url
    srv.stop()


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
