"""The knowledge base loads from the seed's files, and a broken file gets an error naming file, row and field."""

import pytest
import yaml

from interviewer.knowledge import KnowledgeError, load_knowledge, parse_jd


def test_default_knowledge_has_the_seed_content(kb):
    assert kb.jd.job_id == "JR2013092"
    assert "GPU Networking" in kb.jd.title
    assert len(kb.jd.duties) == 6 and len(kb.jd.requirements) == 7 and len(kb.jd.pluses) == 6
    assert len(kb.cv.areas) == 7
    assert len(kb.match.rows) == 12
    assert {r.match for r in kb.match.rows} == {"high", "medium", "medium_low", "low"}
    assert kb.row("gpunetio").match == "low"
    assert {p.level for p in kb.match.priorities} == {"P0", "P1", "P2"}
    assert len(kb.positioning.paragraphs) >= 3


def test_every_translated_field_keeps_the_original_chinese(kb):
    for r in kb.match.rows:
        assert r.how_to_say.zh and r.risk.zh, r.id
    assert all(d.zh for d in kb.jd.duties)
    assert all(p.zh for p in kb.positioning.paragraphs)


def _edit_yaml(path, fn):
    data = yaml.safe_load(path.read_text())
    fn(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))


def test_bad_match_level_names_file_row_and_field(kb_copy):
    _edit_yaml(kb_copy / "match_table.yaml", lambda d: d["rows"][3].__setitem__("match", "sort-of"))
    with pytest.raises(KnowledgeError) as e:
        load_knowledge(kb_copy)
    msg = str(e.value)
    assert "match_table.yaml" in msg and "rows[3] (id=ucx).match" in msg and "'high'" in msg


def test_missing_field_names_it(kb_copy):
    _edit_yaml(kb_copy / "match_table.yaml", lambda d: d["rows"][0].pop("how_to_say"))
    with pytest.raises(KnowledgeError, match=r"rows\[0\] \(id=inference_serving\)\.how_to_say: Field required"):
        load_knowledge(kb_copy)


def test_invalid_yaml_is_reported_with_the_file(kb_copy):
    (kb_copy / "match_table.yaml").write_text("rows: [unclosed\n")
    with pytest.raises(KnowledgeError, match="match_table.yaml: not valid YAML"):
        load_knowledge(kb_copy)


def test_missing_file_is_reported(kb_copy):
    (kb_copy / "cv.md").unlink()
    with pytest.raises(KnowledgeError, match=r"cv.md: missing file"):
        load_knowledge(kb_copy)


def test_question_with_unknown_topic_is_rejected(kb_copy):
    path = sorted((kb_copy / "questions").glob("*.yaml"))[0]
    _edit_yaml(path, lambda d: d["questions"][0].__setitem__("topic", "quantum_networking"))
    with pytest.raises(KnowledgeError, match=r"questions\[0\] \(id=.*\)\.topic: unknown topic 'quantum_networking'"):
        load_knowledge(kb_copy)


def test_follow_up_must_point_at_an_existing_key_point(kb_copy):
    path = sorted((kb_copy / "questions").glob("*.yaml"))[0]
    _edit_yaml(path, lambda d: d["questions"][0]["follow_ups"][0].__setitem__("key_point", 17))
    with pytest.raises(KnowledgeError, match="key_point=17"):
        load_knowledge(kb_copy)


def test_a_plain_text_jd_still_loads():
    data = parse_jd("Senior Engineer\n\nResponsibilities\nBuild things.\n\n## Requirements\n- C++\n- CUDA\n")
    assert data["requirements"][0]["text"] == "C++"
    assert data["duties"], "paragraphs outside sections become duties"
