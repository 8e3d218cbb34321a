"""The interview-shaped evaluation set (eval/data/interview/): answers to bank questions of eight kinds plus
follow-up answers, each scored 0-5 by a strict interviewer with a label per key point, written by writers who
did not read the grader. Split by question (split.json): fit and choose on dev, report test once.

`python -m eval grader --dataset interview --split dev|test --json` grades them with the shipped grader."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import BaseModel, Field

from eval.common import bootstrap_ci, metrics

DATA = Path(__file__).resolve().parent / "data" / "interview"
# A second held-out set for the test questions, written later from an export of the questions, key points and
# model answers only (its writers never saw the bank's terms, misconceptions or facts, nor the first set).
BLIND = Path(__file__).resolve().parent / "data" / "interview_blind"
KINDS = ["paraphrase", "verbatim", "partial", "vague", "fluent_wrong", "stuffed", "off_topic", "overclaim"]
Label = Literal["covered", "partial", "missed", "contradicted"]


class PlantedError(BaseModel):
    key_point: int
    said: str
    truth: str


class Item(BaseModel):
    """One graded answer of the set."""

    id: str
    writer: str
    question_id: str
    kind: Literal["paraphrase", "verbatim", "partial", "vague", "fluent_wrong", "stuffed", "off_topic", "overclaim"]
    follow_up: int | None = None
    answer: str
    score: float = Field(ge=0, le=5)
    key_points: list[Label]
    errors: list[PlantedError] = []
    overclaim: str = ""
    rationale: str = ""


def load_items(split: str | None = None, root: Path = DATA) -> list[Item]:
    """Every item, or those of one split by question: "dev", "test", or "blind" (the blind set, test questions)."""
    if split == "blind":
        split, root = "test", BLIND
    items = [Item.model_validate_json(line) for f in sorted(root.glob("*.jsonl"))
             for line in f.read_text(encoding="utf-8").splitlines() if line.strip()]
    if split is None:
        return items
    qids = set(json.loads((DATA / "split.json").read_text())[split])
    return [it for it in items if it.question_id in qids]


def grade_item(grader, kb, it: Item):
    q = kb.question(it.question_id)
    if it.follow_up is None:
        return grader.grade_question(q, it.answer)
    fu = q.follow_ups[it.follow_up]
    return grader.grade_follow_up(q, fu.question, fu.key_point, it.answer)


def evaluate(items: list[Item], grades: list) -> dict:
    """The figures a user reads: error on 0-5, means per kind, key-point labels, contradictions, overclaims."""
    main = [(it, g) for it, g in zip(items, grades) if it.follow_up is None]
    fus = [(it, g) for it, g in zip(items, grades) if it.follow_up is not None]
    pred = [g.score for _, g in main]
    gold = [it.score for it, _ in main]
    m = metrics([p / 5 for p in pred], [s / 5 for s in gold])
    out: dict = {"n": len(main), "pearson": m["pearson"], "spearman": m["spearman"], "qwk": m["qwk"],
                 "mae": round(float(np.mean(np.abs(np.array(pred) - np.array(gold)))), 3) if main else None}
    if len(main) > 2:
        out["pearson_ci95"] = bootstrap_ci(pred, gold)
        out["mae_ci95"] = bootstrap_ci(pred, gold, "mae")
    out["per_kind"] = {k: round(float(np.mean([g.score for it, g in main if it.kind == k])), 2)
                       for k in KINDS if any(it.kind == k for it, _ in main)}
    out["per_kind_gold"] = {k: round(float(np.mean([it.score for it, g in main if it.kind == k])), 2)
                            for k in KINDS if any(it.kind == k for it, _ in main)}
    out["per_kind_mae"] = {k: round(float(np.mean([abs(g.score - it.score) for it, g in main if it.kind == k])), 2)
                           for k in KINDS if any(it.kind == k for it, _ in main)}
    pairs = [(lab, r.status) for it, g in main if len(g.key_points) == len(it.key_points)
             for lab, r in zip(it.key_points, g.key_points)]
    out["kp_n"] = len(pairs)
    out["kp_accuracy"] = round(sum(a == b for a, b in pairs) / max(1, len(pairs)), 3)
    # the four labels exactly; and with partial counted as covered (the card's "touched it or not")
    out["kp_accuracy_partial_as_covered"] = round(sum(_merge(a) == _merge(b) for a, b in pairs) / max(1, len(pairs)), 3)
    contra = [b for a, b in pairs if a == "contradicted"]
    out["contradicted_recall"] = round(sum(b == "contradicted" for b in contra) / max(1, len(contra)), 3)
    correct = [b for a, b in pairs if a == "covered"]
    out["contradicted_false_rate"] = round(sum(b == "contradicted" for b in correct) / max(1, len(correct)), 3)
    out["followup_n"] = len(fus)
    out["followup_mae"] = (round(float(np.mean([abs(g.score - it.score) for it, g in fus])), 3) if fus else None)
    over = [g for it, g in main if it.kind == "overclaim"]
    out["overclaim_flag_rate"] = round(sum(any("overclaim" in h.flag.lower() or "claim" in h.flag.lower()
                                               for h in g.red_flags) for g in over) / max(1, len(over)), 3)
    twin = {(it.question_id, it.writer): g.score for it, g in main if it.kind == "paraphrase"}
    gaps = [twin[(it.question_id, it.writer)] - g.score for it, g in main
            if it.kind == "overclaim" and (it.question_id, it.writer) in twin]
    out["overclaim_gap"] = round(float(np.mean(gaps)), 2) if gaps else None
    out["overclaim_gap_ge_1"] = round(sum(x >= 1.0 for x in gaps) / max(1, len(gaps)), 3) if gaps else None
    verb = {(it.question_id, it.writer): g.score for it, g in main if it.kind == "verbatim"}
    pv = [g.score - verb[(it.question_id, it.writer)] for it, g in main
          if it.kind == "paraphrase" and (it.question_id, it.writer) in verb]
    out["paraphrase_minus_verbatim"] = round(float(np.mean(pv)), 2) if pv else None
    return out


def _merge(label: str) -> str:
    return "covered" if label == "partial" else label


def run(split: str, kb=None, grader=None) -> dict:
    import time

    from eval.grader_eval import cached_embedder
    from interviewer.grader import Grader
    from interviewer.knowledge import default_knowledge_dir, load_knowledge

    kb = kb or load_knowledge(default_knowledge_dir())
    grader = grader or Grader(cached_embedder(), kb=kb)
    items = load_items(split)
    t0 = time.perf_counter()
    grades = [grade_item(grader, kb, it) for it in items]
    secs = time.perf_counter() - t0
    out = {"dataset": "interview", "split": split}
    out.update(evaluate(items, grades))
    out.update({"seconds": round(secs, 1), "fitted_on": grader.model.fitted_on, "scorer": grader.name,
                "rows": [{"id": it.id, "kind": it.kind, "follow_up": it.follow_up, "gold": it.score,
                          "pred": g.score, "kp_gold": it.key_points, "kp_pred": [k.status for k in g.key_points]}
                         for it, g in zip(items, grades)]})
    return out
