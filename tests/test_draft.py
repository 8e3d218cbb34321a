"""Draft bank: a model drafts a match table and questions from the user's JD and CV, one JD item at a time, into a
new knowledge folder that the knowledge loader accepts; it never overwrites, keeps the valid items and names the
failed ones. Unit tests script the model; one test runs the real default model."""

from pathlib import Path

import pytest

from interviewer.config import Settings
from interviewer.draft import DraftError, cv_lines, draft_bank, read_inputs
from interviewer.knowledge import KnowledgeError, load_knowledge
from interviewer.llm import ModelError

KNOWLEDGE = Path(__file__).resolve().parent.parent / "knowledge"
JD = KNOWLEDGE / "jd.md"
CV = KNOWLEDGE / "cv.md"

ROW = {"scope": "Designing the architecture of AI systems: components, data paths, scaling.",
       "cv_items": ["AR1", "XX9"], "cv_evidence": "System design and prototype validation", "match": "medium",
       "risk": "No AI-specific architecture at NVIDIA scale", "how_to_say": "Lead with a design you validated"}
POINT = {"point": "States the latency and throughput targets before choosing components", "terms": ["TTFT", "P99"],
         "follow_up": "Which target would you give up first, and why?"}
QUESTION = {"question": "How would you design an inference serving system for a 70B model?",
            "key_points": [POINT, {**POINT, "point": "Separates prefill and decode and says why"},
                           {**POINT, "point": "Plans the KV cache memory per request"}],
            "red_flag": "Claims to have run NVIDIA Dynamo in production",
            "model_answer": "I start from the SLO: TTFT and P99 targets. Prefill and decode have different "
                            "bottlenecks, so I size the KV cache per request and batch decode continuously."}


class ScriptedLLM:
    """Replies from a script per schema name: a dict is the model's JSON, an exception is raised."""

    name = "scripted.gguf"

    def __init__(self, script: dict[str, list]):
        self.script = {k: list(v) for k, v in script.items()}
        self.prompts: list[list[dict]] = []

    def json(self, messages, schema, max_tokens=512):
        self.prompts.append(messages)
        reply = self.script[schema.__name__].pop(0)
        if isinstance(reply, Exception):
            raise reply
        return schema.model_validate(reply)


def scripted(n_items: int, questions: list | None = None) -> ScriptedLLM:
    return ScriptedLLM({"RowDraft": [ROW] * n_items, "QuestionDraft": questions or [QUESTION] * n_items,
                        "PositioningDraft": [{"paragraphs": ["I am a systems engineer who measures before tuning."]}]})


def test_the_drafted_folder_loads_with_the_knowledge_loader_and_is_marked_as_a_draft(tmp_path):
    out = tmp_path / "draft"
    rep = draft_bank(scripted(2), JD, CV, out, limit=2)
    kb = load_knowledge(out)
    assert [r.id for r in kb.match.rows] == ["n1_system_architecture_ai_systems",
                                             "n2_scaling_ai_parallelism_and_training"]
    assert {q.topic for q in kb.questions} == {r.id for r in kb.match.rows}
    q = kb.questions[0]
    assert q.priority == "P0" and len(q.follow_ups) == 3 and q.key_points[0].terms == ["ttft", "p99"]
    # the CV id the CV does not have is dropped; the draft mark travels with every question
    assert q.sources == ["JD N1", "CV AR1", "draft by scripted.gguf, not reviewed"]
    assert (out / "jd.md").read_bytes() == JD.read_bytes() and (out / "cv.md").read_bytes() == CV.read_bytes()
    assert "not reviewed" in (out / "README.md").read_text()
    assert (out / "match_table.yaml").read_text().startswith("# DRAFT by scripted.gguf")
    assert rep.summary()["valid_share"] == 1.0 and rep.positioning


def test_a_draft_never_overwrites_an_existing_folder(tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.md").write_text("keep me")
    with pytest.raises(DraftError, match="already exists"):
        draft_bank(scripted(1), JD, CV, out, limit=1)
    assert [p.name for p in out.iterdir()] == ["notes.md"]


def test_an_item_the_model_cannot_draft_is_named_and_the_valid_ones_are_kept(tmp_path):
    bad = ModelError("model did not return JSON for QuestionDraft")
    llm = scripted(2, questions=[bad, bad, QUESTION])
    rep = draft_bank(llm, JD, CV, tmp_path / "d", limit=2)
    assert rep.summary()["failed"] == {"N1": ["question: no valid QuestionDraft after 2 attempts: model did not "
                                              "return JSON for QuestionDraft"]}
    assert [q.topic for q in load_knowledge(tmp_path / "d").questions] == ["n2_scaling_ai_parallelism_and_training"]
    # the retry tells the model what was wrong
    assert "did not return JSON" in llm.prompts[2][-1]["content"]


def test_a_question_that_breaks_the_bank_rules_twice_is_a_failure_naming_the_field(tmp_path):
    short = {**QUESTION, "model_answer": "Too short."}
    llm = scripted(1, questions=[short, short])
    rep = draft_bank(llm, JD, CV, tmp_path / "d", limit=1)
    assert rep.items[0].row and not rep.items[0].question
    assert "model_answer" in rep.items[0].errors[0]
    # the second attempt was told which field the bank refused
    assert "model_answer" in llm.prompts[2][-1]["content"]
    assert load_knowledge(tmp_path / "d").questions == []


def test_a_refused_field_is_asked_for_again_and_the_corrected_reply_is_kept(tmp_path):
    no_flag = {**QUESTION, "red_flag": ""}
    rep = draft_bank(scripted(1, questions=[no_flag, QUESTION]), JD, CV, tmp_path / "d", limit=1)
    assert rep.items[0].question and not rep.items[0].errors
    assert len(load_knowledge(tmp_path / "d").questions) == 1


def test_nothing_valid_is_an_error_naming_each_item_and_leaves_no_folder(tmp_path):
    bad = ModelError("no JSON")
    llm = ScriptedLLM({"RowDraft": [bad] * 4})
    with pytest.raises(DraftError, match=r"N1: match row: .*\n  N2: match row"):
        draft_bank(llm, JD, CV, tmp_path / "d", limit=2)
    assert not (tmp_path / "d").exists()


def test_a_jd_that_does_not_validate_fails_naming_the_file_before_the_model_is_asked(tmp_path):
    jd = tmp_path / "jd.md"
    jd.write_text("---\ntitle: [unclosed\n---\n")
    with pytest.raises(KnowledgeError, match="jd.md"):
        read_inputs(jd, CV)


def test_a_long_cv_is_cut_to_the_items_sharing_words_with_the_jd_item():
    cv = read_inputs(JD, CV)[1]
    cv.areas = cv.areas * 20  # far over the prompt budget
    text = cv_lines(cv, "Profiling and optimization with perf and flamegraph")
    assert len(text) <= 2500 and "PF2: Hot-path analysis (perf, flamegraph)" in text


def test_the_cli_refuses_an_existing_out_folder_before_loading_a_model(tmp_path, capsys):
    from interviewer.cli import main

    (tmp_path / "out").mkdir()
    rc = main(["draft-bank", "--jd", str(JD), "--cv", str(CV), "--out", str(tmp_path / "out"),
               "--model", str(tmp_path / "missing.gguf"), "--data-dir", str(tmp_path / "data")])
    assert rc == 2 and "already exists; a draft never overwrites" in capsys.readouterr().err


@pytest.mark.parametrize("schema", ["RowDraft", "QuestionDraft", "PositioningDraft"])
def test_llama_cpp_accepts_the_grammar_of_every_draft_schema(schema, llm):
    """On the real default model's vocabulary: a grammar llama.cpp cannot parse gives no sampler, and the process
    crashed on it (string maxLength spelled out one rule per character did). Generation itself is llm.json's."""
    import json

    import llama_cpp
    from llama_cpp.llama_grammar import LlamaGrammar

    import interviewer.draft as draft

    grammar = LlamaGrammar.from_json_schema(json.dumps(getattr(draft, schema).model_json_schema()), verbose=False)
    sampler = llama_cpp.llama_sampler_init_grammar(llm.llama._model.vocab, grammar._grammar.encode(), b"root")
    assert sampler, f"llama.cpp refused the grammar of {schema}"
    llama_cpp.llama_sampler_free(sampler)


def test_the_default_draft_folder_is_a_new_timestamped_folder_under_the_data_dir(tmp_path):
    from interviewer.draft import default_out

    out = default_out(Settings(data_dir=tmp_path).data_dir)
    assert out.parent == tmp_path / "drafts" and not out.exists()
