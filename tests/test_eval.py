"""Fast tests of the evaluation harness (metrics, SAF/JSONL loaders, attack list, CLI wiring)."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from eval.common import metrics, qwk
from eval.injection import ATTACKS
from eval.saf import load_jsonl, load_split

ROOT = Path(__file__).resolve().parent.parent

XML = """<?xml version='1.0' encoding='utf-8'?>
<question id="{id}"><questionText>What is TCP?</questionText>
<referenceAnswers><referenceAnswer id="r">A reliable byte stream.</referenceAnswer></referenceAnswers>
<studentAnswers>
<studentAnswer id="a1"><response>reliable stream</response><score>{s1}</score></studentAnswer>
<studentAnswer id="a2"><response>a datagram</response><score>0</score></studentAnswer>
</studentAnswers></question>"""


def test_metrics_perfect_and_qwk():
    g = np.linspace(0, 1, 11)
    m = metrics(g, g)
    assert m["pearson"] == pytest.approx(1.0) and m["qwk"] == pytest.approx(1.0) and m["mae"] == 0
    assert qwk([0, 5], [5, 0], 6) < 0


def test_saf_loader_normalises_by_question_max(tmp_path):
    for split, s1 in (("training", "2.5"), ("unseen_answers", "1.0")):
        (tmp_path / split).mkdir()
        (tmp_path / split / "q1.xml").write_text(XML.format(id="q1", s1=s1))
    qs = load_split("unseen_answers", tmp_path)
    assert qs[0].max_score == 2.5
    assert [a.score for a in qs[0].answers] == [pytest.approx(0.4), 0.0]
    assert qs[0].references == ["A reliable byte stream."]


def test_jsonl_loader(tmp_path):
    p = tmp_path / "d.jsonl"
    p.write_text("\n".join(json.dumps({"question": "q", "reference": "r", "answer": a, "score": s})
                           for a, s in (("x", 1), ("y", 0.5))))
    qs = load_jsonl(p)
    assert len(qs) == 1 and [a.score for a in qs[0].answers] == [1.0, 0.5]


def test_attack_list_is_broad():
    kinds = {k for k, _ in ATTACKS}
    assert len(ATTACKS) >= 30
    assert {"direct", "roleplay", "fake_rubric", "json", "system"} <= kinds
    assert any(k.startswith("zh") for k in kinds)


def test_cli_help():
    r = subprocess.run([sys.executable, "-m", "eval", "--help"], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0
    for cmd in ("grader", "calibrate", "injection", "simulate", "bench", "render"):
        assert cmd in r.stdout


def test_calibration_file_is_valid():
    from interviewer.scoring import FEATURES, load_calibration

    cal = load_calibration()
    assert cal.features == FEATURES and len(cal.with_exemplars) == len(FEATURES)


def test_the_honesty_set_loads_and_each_split_has_every_group():
    from eval.honesty import load_items

    for split in ("dev", "test"):
        items = load_items(split)
        assert {it.group for it in items} == {"overclaim", "honest", "tricky"}
    ids = [it.id for s in ("dev", "test") for it in load_items(s)]
    assert len(ids) == len(set(ids)) >= 300


def test_overclaims_of_the_honesty_set_are_flagged_and_honest_statements_are_not():
    from eval.honesty import run

    res = run("dev")
    assert res["overclaim_flagged"] >= 0.9 and res["honest_flagged"] == 0 and res["tricky_flagged"] == 0
