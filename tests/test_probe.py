"""The capability probe: known judgements decide whether the model's judge is trusted (the 135M default is not),
the result is cached per model so it runs once, settings on/off override it, and doctor --probe --json says it."""

import json
import math
import subprocess
import sys

import numpy as np
import pytest

from interviewer.config import Settings
from interviewer import probe
from interviewer.llm import ModelError
from interviewer.model_key import model_key
from interviewer.probe import Capabilities, ProbeFeature, _delegated, capabilities, load_cases, probe_judge
from tests.conftest import KNOWLEDGE, env_for


class Oracle:
    """A fake model that knows every case's expected judgement."""

    name = "oracle"

    def __init__(self):
        self.expected = {(c.answer, p.point): p.expected for c in load_cases().judge for p in c.points}

    def yes_probability(self, messages) -> float:
        user = messages[-1]["content"]
        exp = next(e for (a, p), e in self.expected.items() if a in user and f'"{p}"' in user)
        return float(exp == ("contradicted" if "shows to be false" in user else "yes"))


class Always:
    name = "always"

    def __init__(self, p: float):
        self.p = p

    def yes_probability(self, messages) -> float:
        return self.p


def test_the_cases_hold_every_label_and_an_injected_answer():
    cases = load_cases()
    labels = {p.expected for c in cases.judge for p in c.points}
    assert labels == {"yes", "no", "contradicted"}
    assert any("GRADER" in c.answer for c in cases.judge)


@pytest.mark.parametrize("llm, enabled", [(Oracle(), True), (Always(1.0), False), (Always(0.0), False)])
def test_only_a_judge_that_gets_the_known_judgements_right_is_trusted(llm, enabled):
    f = probe_judge(llm)
    assert f.enabled is enabled and (f.passed == f.total) is enabled


def test_a_trusted_judge_is_probed_only_up_to_the_pass_mark():
    points = sum(len(c.points) for c in load_cases().judge)
    f = probe_judge(Oracle())
    assert f.enabled and f.passed == f.total == math.ceil(probe.JUDGE_PASS_SHARE * points) < points
    assert "pass mark" in f.reason


def test_the_cases_a_judge_saying_yes_to_everything_gets_wrong_come_first():
    f = probe_judge(Always(1.0))
    assert not f.enabled and f.passed == 0 and f.total == 3


def test_the_judge_probe_stops_at_the_miss_that_puts_the_pass_mark_out_of_reach():
    points = sum(len(c.points) for c in load_cases().judge)
    allowed = points - math.ceil(probe.JUDGE_PASS_SHARE * points)
    f = probe_judge(Always(0.0))
    assert f.total - f.passed == allowed + 1 and f.total < points
    assert "out of reach" in f.reason


class Counting(Oracle):
    """The oracle, counting the contradiction questions it is asked."""

    def __init__(self, covered: float):
        super().__init__()
        self.covered, self.contradiction_questions = covered, 0

    def yes_probability(self, messages) -> float:
        if "shows to be false" in messages[-1]["content"]:
            self.contradiction_questions += 1
            return super().yes_probability(messages)
        return self.covered


def test_the_contradiction_question_is_asked_only_when_the_first_leaves_the_outcome_open():
    # the first cases expect "no": a model saying they are covered misses them whatever the second question says
    sure_yes = Counting(covered=1.0)
    assert not probe_judge(sure_yes).enabled and sure_yes.contradiction_questions == 0
    # judged not covered, a "no" point could still be labelled contradicted: the second question decides
    sure_no = Counting(covered=0.0)
    probe_judge(sure_no)
    assert sure_no.contradiction_questions > 0


def test_a_feature_whose_probe_is_missing_is_off_and_says_so():
    assert _delegated("no_such_feature_module") == ProbeFeature(enabled=False, reason="not available")


class Gone:
    """A model server that went away: every call fails."""

    name = "gone"

    def fail(self, *args, **kw):
        raise ModelError("model server http://127.0.0.1:1/v1 failed: connection refused")

    yes_probability = chat = stream_chat = json = fail


class Flat:
    """An embedder that finds every text equally near (the probe picks the candidate's words with one)."""

    def encode(self, texts):
        return np.ones((len(texts), 4), dtype=np.float32) / 2


def test_a_model_that_fails_mid_probe_leaves_the_feature_off_and_says_why():
    caps = probe.run_probe(Gone(), Flat())
    for name in probe.FEATURES:
        f = getattr(caps, name)
        assert not f.enabled and ("connection refused" in f.reason or f.reason == "not available"), f
        assert "seconds" in caps.public()[name]  # where the probe's time goes, per feature
    assert sum(getattr(caps, n).seconds for n in probe.FEATURES) <= caps.seconds + 0.05


def test_no_model_means_everything_off():
    caps = capabilities(None, None, Settings())
    assert not (caps.judge.enabled or caps.follow_ups.enabled or caps.corrections.enabled)
    assert caps.judge.reason == "no model"


def test_settings_on_and_off_skip_the_probe(tmp_path):
    s = Settings(data_dir=tmp_path, judge="off", model_follow_ups="on", model_corrections="off")
    caps = capabilities(Always(1.0), None, s)
    assert (caps.judge.enabled, caps.follow_ups.enabled, caps.corrections.enabled) == (False, True, False)
    assert caps.judge.reason == "off in settings" and not (tmp_path / "probe").exists()


def test_the_header_line_says_what_is_on_and_why():
    caps = Capabilities(model="m", judge=ProbeFeature(enabled=True, passed=17, total=18, reason="probe: 17/18"),
                        follow_ups=ProbeFeature(enabled=False, reason="not available"),
                        corrections=ProbeFeature(enabled=True, reason="on in settings"))
    assert caps.summary() == ("judge: on, 17/18 probes; follow-ups: off (not available); "
                              "corrections: on (on in settings)")


def test_a_shipped_result_counts_only_for_the_same_probe(tmp_path, monkeypatch):
    monkeypatch.setattr(probe, "SHIPPED_FILE", tmp_path / "probe_results.json")
    s = Settings(data_dir=tmp_path / "data")
    key = model_key(s)
    probe.ship(key, Capabilities.none("measured", model="m"))
    assert capabilities(Always(1.0), None, s).judge.reason == "measured"
    monkeypatch.setattr(probe, "probe_version", lambda: "another probe")
    monkeypatch.setattr(probe, "_delegated", lambda *a: ProbeFeature(enabled=False))
    assert capabilities(Always(1.0), None, s).judge.reason.startswith("probe: ")


@pytest.fixture(scope="module")
def probed(tmp_path_factory, llm, embedder):
    """The real default model's judge probed afresh (not from the shipped results) into a data dir; the follow-up
    and correction probes have their own tests (test_follow_up, test_correction) and are left out here."""
    s = Settings(data_dir=tmp_path_factory.mktemp("probe"), knowledge_dir=KNOWLEDGE)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(probe, "SHIPPED_FILE", s.data_dir / "none.json")
        mp.setattr(probe, "_delegated", lambda *a: ProbeFeature(enabled=False, reason="left out of this test"))
        return s, capabilities(llm, embedder, s)


def test_the_default_135m_is_not_trusted_as_a_judge(probed):
    _, caps = probed
    assert not caps.judge.enabled and caps.judge.total > 0 and not caps.cached
    assert caps.judge.passed < caps.judge.total


def test_the_probe_runs_once_per_model(probed, llm, embedder):
    s, first = probed
    assert list((s.data_dir / "probe").glob("*.json"))  # the cache lives under the data dir
    again = capabilities(llm, embedder, s)
    assert again.cached and again.judge == first.judge and again.seconds == first.seconds


def test_the_shipped_result_for_the_default_model_is_current_and_what_the_probe_gives(probed, llm):
    # A stale shipped result makes every fresh data dir probe the default model at load (minutes on 2 cores).
    s, fresh = probed
    hit = probe.shipped().get(model_key(s, llm))
    assert hit is not None and hit.version == probe.probe_version(), (
        "interviewer/probe_results.json is stale for the default model: run python -m eval probe --ship")
    assert hit.capabilities.judge.enabled == fresh.judge.enabled


def test_doctor_probe_json_reads_the_cached_probe(probed):
    s, first = probed
    p = subprocess.run([sys.executable, "-m", "interviewer", "doctor", "--probe", "--json"],
                       env=env_for(s.data_dir), capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stderr[-2000:]
    info = json.loads(p.stdout)
    assert info["model"] == first.model and info["probe"]["cached"]
    for name in ("judge", "follow_ups", "corrections"):
        assert {"enabled", "passed", "total"} <= set(info["probe"][name])
    assert info["probe"]["judge"]["enabled"] is False and info["probe"]["seconds"] == round(first.seconds, 2)
