"""--model accepts a folder of GGUFs: the settings pick the file named by model_file or the first by name, doctor
lists the folder, and the UI's picker loads another GGUF into the running engine without losing a saved turn."""

import shutil
from pathlib import Path

import pytest

from interviewer.config import Settings, default_model_path
from interviewer.store import Store

KNOWLEDGE = Path(__file__).resolve().parent.parent / "knowledge"


@pytest.fixture
def model_dir(tmp_path) -> Path:
    """Two names for the default GGUF (a copy and a symlink), a broken .gguf and a file that is not a model."""
    d = tmp_path / "models"
    d.mkdir()
    shutil.copyfile(default_model_path(), d / "b-copy.gguf")
    (d / "a-link.gguf").symlink_to(default_model_path())
    (d / "z-broken.gguf").write_text("not a model")
    (d / "README.txt").write_text("notes")
    return d


def test_a_model_folder_loads_its_first_gguf_by_name(model_dir):
    s = Settings(model=model_dir)
    assert s.model_path() == model_dir / "a-link.gguf"
    assert [p.name for p in s.model_files()] == ["a-link.gguf", "b-copy.gguf", "z-broken.gguf"]


def test_model_file_picks_a_gguf_of_the_folder(model_dir):
    assert Settings(model=model_dir, model_file="b-copy.gguf").model_path() == model_dir / "b-copy.gguf"


def test_a_model_file_that_is_not_in_the_folder_is_a_clear_error(model_dir):
    with pytest.raises(FileNotFoundError, match=r"'c.gguf' is not a .gguf in .*found: a-link.gguf, b-copy.gguf"):
        Settings(model=model_dir, model_file="c.gguf").model_path()


def test_a_folder_without_a_gguf_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="holds no .gguf file"):
        Settings(model=tmp_path).model_path()


def test_a_model_file_path_is_used_as_it_is_and_is_the_only_choice(model_dir):
    s = Settings(model=model_dir / "b-copy.gguf")
    assert s.model_path() == model_dir / "b-copy.gguf" and s.model_files() == [model_dir / "b-copy.gguf"]


def test_doctor_lists_the_ggufs_of_the_model_folder(model_dir, tmp_path, capsys):
    import json

    from interviewer.cli import main

    rc = main(["doctor", "--no-load", "--json", "--model", str(model_dir), "--data-dir", str(tmp_path / "data")])
    info = json.loads(capsys.readouterr().out)
    assert rc == 0 and info["model_path"].endswith("a-link.gguf")
    assert info["model_files"] == ["a-link.gguf", "b-copy.gguf", "z-broken.gguf"]


def test_the_picker_offers_the_folder_and_nothing_for_one_model_file(model_dir):
    from interviewer.ui.models import model_choices

    assert model_choices(Settings(model=model_dir)) == ["a-link.gguf", "b-copy.gguf", "z-broken.gguf"]
    assert model_choices(Settings(model=model_dir / "b-copy.gguf")) == []


def test_picking_another_gguf_reloads_the_model_and_keeps_the_running_interview(model_dir, tmp_path, engine):
    """Through the picker's handler: the engine answers with the new model, the answered turn is still saved, and
    the same interview goes on; a broken file is refused with the loaded model kept."""
    from interviewer.llm import load_llm
    from interviewer.session import Engine
    from interviewer.ui.models import switch

    s = Settings(data_dir=tmp_path / "data", knowledge_dir=KNOWLEDGE, model=model_dir, judge="off",
                 model_follow_ups="off", model_corrections="off")
    s.ensure_data_dir()
    eng = Engine(s, engine.kb, engine.index, load_llm(s), Store(s.db_path))  # the shared index: no re-embedding
    iv = eng.start(n_questions=2)
    iv.submit("We measure TTFT and P99 first, then batch decode requests continuously.")
    steps = []

    status, line = switch(eng, "b-copy.gguf", progress=lambda f, m: steps.append(m))
    assert "Now using b-copy.gguf" in status and "b-copy.gguf" in line
    assert eng.llm.name == "b-copy.gguf" and eng.grader.llm is eng.llm and steps[-1] == "using b-copy.gguf"
    assert [t.answer is not None for t in eng.transcript(iv.session_id).turns][:1] == [True]
    iv.submit("Prefill is compute bound and decode is memory bound.")
    assert sum(t.answer is not None for t in eng.interview(iv.session_id).turns) == 2

    status, _ = switch(eng, "z-broken.gguf")
    assert "Not switched" in status and "not a GGUF file" in status and "Still using b-copy.gguf" in status
    assert eng.llm.name == "b-copy.gguf" and s.model_file == "b-copy.gguf"


def test_the_interview_tab_shows_the_picker_for_a_model_folder(model_dir, tmp_path):
    from interviewer.knowledge import load_knowledge
    from interviewer.ui import Loading, build

    s = Settings(data_dir=tmp_path / "data", knowledge_dir=KNOWLEDGE, model=model_dir, model_file="b-copy.gguf")
    demo = build(Loading(s, load_knowledge(KNOWLEDGE)))  # composed only: nothing loads
    pick = next(b for b in demo.blocks.values() if getattr(b, "elem_id", None) == "model-pick")
    assert [c[1] for c in pick.choices] == ["a-link.gguf", "b-copy.gguf", "z-broken.gguf"]
    assert pick.value == "b-copy.gguf"
