"""Capability probe: fixed checks with known answers, run on the loaded model, deciding which model
features (judge, answer-aware follow-ups, corrections) the model is trusted with; cached per model."""

from __future__ import annotations

import hashlib
import importlib
import json
import math
import time
from pathlib import Path
from typing import Literal

from pydantic import BaseModel

from interviewer.config import Settings
from interviewer.judge import YES, Judgement, contradicted, covered
from interviewer.llm import ModelError
from interviewer.model_key import model_key
from interviewer.prompts import PROMPT_DIR

CASES_FILE = Path(__file__).with_name("probe_cases.json")
# Probe results the project measured (`python -m eval probe --model PATH --ship`), keyed by model_key: the default
# model's is there, so a fresh data dir does not probe it again; an entry counts only for the same probe_version.
SHIPPED_FILE = Path(__file__).with_name("probe_results.json")
# The judge joins every grade, where one wrong "yes" can lift a wrong answer: it is trusted only when it gets
# at least 85% of the known judgements right (16 of the 18 cases). A model that says "yes" to everything
# passes 5 of 18, one that says "no" to everything 10 of 18 (56%): the bar sits well above both.
JUDGE_PASS_SHARE = 0.85
FEATURES = ("judge", "follow_ups", "corrections")
# What each feature's probe depends on besides the cases: a change to any of them reruns the probe.
_SOURCES = ["probe.py", "judge.py", "follow_up.py", "correction.py"]
_PROMPTS = ["judge", "probe", "follow_up", "correction"]


class ProbeFeature(BaseModel):
    """One feature's probe outcome: on or off, the checks passed of those run, and why."""

    enabled: bool
    passed: int = 0
    total: int = 0
    reason: str = ""
    seconds: float = 0.0  # the model time this feature's probe took (where the probe's time goes)


class Capabilities(BaseModel):
    """What the loaded model is trusted with, from the probe (or the settings that override it)."""

    model: str
    judge: ProbeFeature
    follow_ups: ProbeFeature
    corrections: ProbeFeature
    seconds: float = 0.0
    cached: bool = False

    @classmethod
    def none(cls, reason: str = "no model", model: str = "") -> "Capabilities":
        """Everything off, for the same reason."""
        off = ProbeFeature(enabled=False, reason=reason)
        return cls(model=model, judge=off, follow_ups=off, corrections=off)

    def summary(self) -> str:
        """One line for the UI header and doctor: "judge: on, 17/18 probes; follow-ups: off, ..."."""
        parts = []
        for name in FEATURES:
            f: ProbeFeature = getattr(self, name)
            text = f"{name.replace('_', '-')}: {'on' if f.enabled else 'off'}"
            if f.total:
                text += f", {f.passed}/{f.total} probes"
            if f.reason and not f.reason.startswith("probe"):
                text += f" ({f.reason})"
            parts.append(text)
        return "; ".join(parts)

    def public(self) -> dict:
        """The doctor --probe --json shape."""
        out: dict = {n: getattr(self, n).model_dump() for n in FEATURES}
        out.update(seconds=round(self.seconds, 2), cached=self.cached)
        return out


# --------------------------------------------------------------------------- the judge's known cases


class JudgePoint(BaseModel):
    point: str
    expected: Literal["yes", "no", "contradicted"]


class JudgeCase(BaseModel):
    """An answer with the judgement each key point must get (injected and contradicted answers included)."""

    question: str
    answer: str
    points: list[JudgePoint]


class ProbeCases(BaseModel):
    judge: list[JudgeCase]


def load_cases(path: Path = CASES_FILE) -> ProbeCases:
    return ProbeCases.model_validate_json(path.read_text(encoding="utf-8"))


def probe_judge(llm, cases: ProbeCases | None = None) -> ProbeFeature:
    """The judge's share of known judgements right (yes / no / contradicted); on at JUDGE_PASS_SHARE. Stops as soon
    as the outcome is decided, at the pass mark or at the miss that puts it out of reach: each judgement costs two
    model calls at load, and the judgements left could not change the outcome. The cases a weak judge gets wrong
    (an injected answer, a vague one) come first in probe_cases.json: the 1.5B said yes to all six."""
    cases = cases or load_cases()
    points = [(c, p) for c in cases.judge for p in c.points]
    need = math.ceil(JUDGE_PASS_SHARE * len(points))
    passed = total = 0
    for c, p in points:
        total += 1
        passed += _judged_right(llm, c, p)
        if passed >= need or total - passed > len(points) - need:
            break
    ok = passed >= need
    stopped = ("" if total == len(points) else f"; stopped at the pass mark, {need}/{len(points)}" if ok
               else f"; stopped after {total - passed} misses: {need}/{len(points)} out of reach")
    return ProbeFeature(enabled=ok, passed=passed, total=total,
                        reason=f"probe: {passed}/{total} judgements right, "
                        f"{'at least' if ok else 'below'} {JUDGE_PASS_SHARE:.0%}{stopped}")


def _judged_right(llm, c: JudgeCase, p: JudgePoint) -> bool:
    """Whether the model's label is the expected one, asking the second question only when the first leaves it
    open: a point judged covered is labelled yes or contradicted, never no, and one judged not covered never yes
    (Judgement.label), so a 'no' point judged covered, or a 'yes' point not, is a miss whatever the second says."""
    cov = covered(llm, c.question, c.answer, p.point)
    if p.expected != "contradicted" and (cov >= YES) == (p.expected == "no"):
        return False
    return Judgement(covered=cov, contradicted=contradicted(llm, c.question, c.answer, p.point)).label == p.expected


def _delegated(module: str, *args) -> ProbeFeature:
    """A feature whose probe lives with the feature (interviewer.<module>.probe); off when it is not there."""
    try:
        fn = importlib.import_module(f"interviewer.{module}").probe
    except (ImportError, AttributeError):
        return ProbeFeature(enabled=False, reason="not available")
    return _safe(fn, *args)


def _safe(fn, *args) -> ProbeFeature:
    """A probe whose model call fails (a server gone mid-probe) leaves its feature off, saying why."""
    try:
        return fn(*args)
    except ModelError as e:
        return ProbeFeature(enabled=False, reason=f"probe failed: {e}")


def _timed(run, *args) -> ProbeFeature:
    t0 = time.perf_counter()
    f = run(*args)
    return f.model_copy(update={"seconds": round(time.perf_counter() - t0, 2)})


def run_probe(llm, embedder) -> Capabilities:
    """Every probe on the loaded model, timed as a whole and per feature."""
    t0 = time.perf_counter()
    judge = _timed(_safe, probe_judge, llm)
    follow_ups = _timed(_delegated, "follow_up", llm, embedder)
    corrections = _timed(_delegated, "correction", llm)
    return Capabilities(model=getattr(llm, "name", ""), judge=judge, follow_ups=follow_ups,
                        corrections=corrections, seconds=time.perf_counter() - t0)


# --------------------------------------------------------------------------- cache and settings


def probe_version() -> str:
    """A hash of the cases, the probe prompts and the probing code: the cache holds only for the same probe."""
    h = hashlib.sha256(CASES_FILE.read_bytes())
    here = Path(__file__).parent
    prompts = [p for kind in _PROMPTS for p in sorted(PROMPT_DIR.glob(f"{kind}_*.md"))]
    for p in prompts + [here / s for s in _SOURCES]:
        if p.is_file():
            h.update(p.name.encode() + p.read_bytes())
    return h.hexdigest()[:16]


class _Cached(BaseModel):
    version: str
    capabilities: Capabilities


def cache_path(settings: Settings, key: str) -> Path:
    return settings.data_dir / "probe" / f"{key}.json"


def shipped() -> dict[str, _Cached]:
    raw = json.loads(SHIPPED_FILE.read_text()) if SHIPPED_FILE.is_file() else {}
    return {k: _Cached.model_validate(v) for k, v in raw.items()}


def ship(key: str, caps: Capabilities) -> Path:
    """Record a measured probe result in the project's probe_results.json."""
    out = {k: v.model_dump() for k, v in shipped().items()}
    out[key] = _Cached(version=probe_version(), capabilities=caps.model_copy(update={"cached": False})).model_dump()
    SHIPPED_FILE.write_text(json.dumps(out, indent=2, sort_keys=True) + "\n")
    return SHIPPED_FILE


def probed(llm, embedder, settings: Settings) -> Capabilities:
    """The probe's results for the loaded model: from <data_dir>/probe/ when this probe already ran on it, or from
    the project's measured results; else probed now and cached."""
    key = model_key(settings, llm)
    path = cache_path(settings, key)
    version = probe_version()
    hits = []
    if path.is_file():
        try:
            hits.append(_Cached.model_validate_json(path.read_text()))
        except ValueError:
            pass  # a damaged cache file: probe again and rewrite it
    hits += [shipped()[key]] if key in shipped() else []
    for hit in hits:
        if hit.version == version:
            return hit.capabilities.model_copy(update={"cached": True})
    caps = run_probe(llm, embedder)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(_Cached(version=version, capabilities=caps).model_dump_json(indent=2) + "\n")
    return caps


def capabilities(llm, embedder, settings: Settings) -> Capabilities:
    """What the model is trusted with: the probe decides each feature set to auto; on and off are the user's."""
    if llm is None:
        return Capabilities.none("no model")
    modes = {n: getattr(settings, _SETTING[n]) for n in FEATURES}
    if all(m != "auto" for m in modes.values()):
        caps = Capabilities.none("probe not run: every feature set on or off", model=getattr(llm, "name", ""))
    else:
        caps = probed(llm, embedder, settings)
    update = {}
    for name, mode in modes.items():
        f: ProbeFeature = getattr(caps, name)
        if mode != "auto":
            update[name] = f.model_copy(update={"enabled": mode == "on", "reason": f"{mode} in settings"})
    return caps.model_copy(update=update)


_SETTING = {"judge": "judge", "follow_ups": "model_follow_ups", "corrections": "model_corrections"}
