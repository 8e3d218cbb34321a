"""The real default model streams text, returns schema-valid JSON and yes/no probabilities;
bad model paths fail with a clear message."""

from typing import Literal

import pytest
from pydantic import BaseModel, Field

from interviewer.config import Settings
from interviewer.llm import ModelError, _first_object, load_llm, with_shape

MSGS = [{"role": "system", "content": "You are a senior NVIDIA engineer."},
        {"role": "user", "content": "Ask me one short interview question about NCCL."}]


def test_streaming_yields_text_in_pieces(llm):
    chunks = list(llm.stream_chat(MSGS, max_tokens=24))
    assert len(chunks) > 3
    assert len("".join(chunks).strip()) > 10


def test_same_prompt_same_text(llm):
    assert llm.chat(MSGS, max_tokens=16) == llm.chat(MSGS, max_tokens=16)


class Verdict(BaseModel):
    topic: str
    score: Literal[0, 1, 2, 3, 4, 5]  # an enum the grammar can enforce
    covered: list[str] = Field(max_length=3)


def test_json_is_constrained_by_the_schema(llm):
    v = llm.json([{"role": "user", "content": "Rate an answer about NCCL all-reduce. Reply as JSON."}], Verdict,
                 max_tokens=80)
    assert isinstance(v, Verdict) and v.score in range(6) and len(v.covered) <= 3


def test_json_shows_the_schema_shape_in_the_prompt_and_keeps_the_messages():
    msgs = [{"role": "system", "content": "s"}, {"role": "user", "content": "Rate it."}]
    shown = with_shape(msgs, Verdict)
    assert shown[0] == msgs[0] and msgs[1]["content"] == "Rate it."
    assert shown[1]["content"].startswith("Rate it.") and shown[1]["content"].endswith(
        '{"topic": string, "score": 0 | 1 | 2 | 3 | 4 | 5, "covered": [string, at most 3]}')


def test_a_free_json_reply_is_cut_where_its_object_closes_even_with_braces_in_strings():
    closed = []

    def chunks():
        try:
            yield from ['```json\n{"a": "x} \\" {", ', '"b": {"c": 1}}', "\n```\nThis JSON rates", " it."]
        finally:
            closed.append(True)

    assert _first_object(chunks()) == '```json\n{"a": "x} \\" {", "b": {"c": 1}}'
    assert closed == [True]  # the generation stops there


def test_yes_probability_is_a_probability(llm):
    p = llm.yes_probability([{"role": "user", "content": "Is water wet? Answer yes or no."}])
    assert 0.0 <= p <= 1.0


def test_info_reports_offload(llm):
    info = llm.info()
    assert info["backend"] == "llama-cpp-python"
    assert info["n_layers"] > 0
    assert info["layers_offloaded"] == (info["n_layers"] if info["gpu_offload_supported"] else 0)


def test_missing_model_file_has_a_clear_message(tmp_path):
    with pytest.raises(ModelError, match="does not exist; pass --model"):
        load_llm(Settings(model=tmp_path / "nope.gguf"))


def test_a_file_that_is_not_gguf_is_refused(tmp_path):
    p = tmp_path / "model.gguf"
    p.write_bytes(b"PK\x03\x04 not a model")
    with pytest.raises(ModelError, match="is not a GGUF file"):
        load_llm(Settings(model=p))
