"""Loader for the Short Answer Feedback (SAF v2.0, English) data set: one XML file per question."""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

from interviewer.config import ROOT

SPLITS = ("training", "unseen_answers", "unseen_questions")


@dataclass
class Answer:
    id: str
    text: str
    raw: float
    score: float  # normalised 0-1 by the question's maximum


@dataclass
class SafQuestion:
    id: str
    question: str
    references: list[str]
    answers: list[Answer] = field(default_factory=list)
    max_score: float = 1.0


def saf_dir(override: str | None = None) -> Path:
    if override:
        return Path(override)
    env = os.environ.get("INTERVIEWER_SAF_DIR")
    if env:
        return Path(env)
    for cand in (ROOT.parent / "shared" / "data" / "saf", Path("/work/shared/data/saf")):
        if cand.is_dir():
            return cand
    return ROOT.parent / "shared" / "data" / "saf"


def _parse(path: Path) -> SafQuestion:
    root = ET.parse(path).getroot()
    qid = root.get("id") or path.stem
    qtext = (root.findtext("questionText") or "").strip()
    refs = [(r.text or "").strip() for r in root.iter("referenceAnswer") if (r.text or "").strip()]
    answers = []
    for sa in root.iter("studentAnswer"):
        text = (sa.findtext("response") or "").strip()
        try:
            raw = float(sa.findtext("score") or "nan")
        except ValueError:
            continue
        if raw != raw:
            continue
        answers.append(Answer(sa.get("id") or "", text, raw, 0.0))
    return SafQuestion(path.stem, qtext, refs, answers)


def _max_scores(root: Path) -> dict[str, float]:
    """A question's maximum: the largest score any answer to it got, over every split that holds it."""
    best: dict[str, float] = {}
    for split in SPLITS:
        d = root / split
        if not d.is_dir():
            continue
        for p in sorted(d.glob("*.xml")):
            q = _parse(p)
            m = max((a.raw for a in q.answers), default=1.0)
            best[q.id] = max(best.get(q.id, 0.0), m)
    return best


def load_split(split: str, root: str | Path | None = None) -> list[SafQuestion]:
    root = saf_dir(str(root) if root else None)
    d = root / split
    if not d.is_dir():
        raise FileNotFoundError(f"SAF split {split!r} not found under {root} (set --saf-dir or INTERVIEWER_SAF_DIR)")
    maxes = _max_scores(root)
    out = []
    for p in sorted(d.glob("*.xml")):
        q = _parse(p)
        q.max_score = maxes.get(q.id, 1.0) or 1.0
        for a in q.answers:
            a.score = min(1.0, max(0.0, a.raw / q.max_score))
        out.append(q)
    return out


def load_jsonl(path: str | Path) -> list[SafQuestion]:
    """{"question","reference","answer","score"(0-1)} lines, grouped by (question, reference)."""
    groups: dict[tuple[str, str], SafQuestion] = {}
    for i, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines()):
        if not line.strip():
            continue
        r = json.loads(line)
        key = (r["question"], r.get("reference", ""))
        q = groups.setdefault(key, SafQuestion(f"q{len(groups)}", r["question"], [r.get("reference", "")]))
        s = float(r["score"])
        q.answers.append(Answer(str(r.get("id", i)), r["answer"], s, min(1.0, max(0.0, s))))
    return list(groups.values())
