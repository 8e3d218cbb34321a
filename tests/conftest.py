"""Shared fixtures: real knowledge, real embedder and index, the real default model, each in a temp data dir."""

import os
import shutil
from pathlib import Path

import pytest

import interviewer  # noqa: F401  (sets the offline environment first)
from eval.apprun import free_port  # noqa: F401  (re-exported for the tests)
from interviewer.config import Settings

ROOT = Path(__file__).resolve().parent.parent
KNOWLEDGE = ROOT / "knowledge"


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(data_dir=tmp_path / "data", knowledge_dir=KNOWLEDGE)


@pytest.fixture
def kb_copy(tmp_path) -> Path:
    """A writable copy of the default knowledge folder."""
    dst = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, dst)
    return dst


@pytest.fixture(scope="session")
def kb():
    from interviewer.knowledge import load_knowledge

    return load_knowledge(KNOWLEDGE)


@pytest.fixture(scope="session")
def llm():
    from interviewer.llm import load_llm

    return load_llm(Settings())


@pytest.fixture(scope="session")
def embedder():
    from interviewer.index import get_embedder

    return get_embedder(str(Settings().embedding_path()))


@pytest.fixture(scope="session")
def engine(tmp_path_factory, llm):
    """One engine over a session-wide temp data dir (tests that need isolation make their own)."""
    from interviewer.session import Engine

    d = tmp_path_factory.mktemp("engine")
    s = Settings(data_dir=d, knowledge_dir=KNOWLEDGE)
    eng = Engine.load(s, with_llm=False)
    eng.llm = llm
    eng.grader.llm = llm
    return eng


def env_for(tmp: Path) -> dict:
    env = dict(os.environ)
    env["INTERVIEWER_DATA_DIR"] = str(tmp)
    env["INTERVIEWER_KNOWLEDGE_DIR"] = str(KNOWLEDGE)
    env["PYTHONPATH"] = str(ROOT)
    return env
