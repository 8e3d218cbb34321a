"""Fit the weight of a model's judgement in the grade, per model, on the interview set's dev half
(`python -m eval llm-weight --model PATH`): every dev answer's grader signals and the model's judgement of each
key point are computed once, then the weight is chosen on a grid by cross-validation grouped by question, and
reported with and without the judgement (MAE on 0-5, key-point accuracy, per-answer judge time)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np

from eval.interview import load_items
from eval.train_grader import FOLDS, _folds, _signals

WEIGHTS = [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8, 1.0]


def _kp_accuracy(items, grades) -> float:
    pairs = [(lab, r.status) for it, g in zip(items, grades) if it.follow_up is None
             and len(g.key_points) == len(it.key_points) for lab, r in zip(it.key_points, g.key_points)]
    return round(sum(a == b for a, b in pairs) / max(1, len(pairs)), 3)


def _pick(items, questions: int | None, seed: int):
    """All dev answers, or those of a seeded sample of dev questions (the model is slow on a small CPU)."""
    if not questions:
        return items
    qids = sorted({it.question_id for it in items})
    keep = set(np.random.default_rng(seed).choice(qids, min(questions, len(qids)), replace=False).tolist())
    return [it for it in items if it.question_id in keep]


def run(model: Path | None = None, questions: int | None = None, seed: int = 0, write: bool = True,
        ship: bool = False, verbose: bool = True) -> dict:
    from eval.grader_eval import cached_embedder
    from interviewer.config import Settings
    from interviewer.grader import Grader
    from interviewer.judge import ModelFit, judge_point, save_fit
    from interviewer.knowledge import default_knowledge_dir, load_knowledge
    from interviewer.llm import load_llm
    from interviewer.model_key import model_key

    log = (lambda *a: print(*a, flush=True)) if verbose else (lambda *a: None)
    t0 = time.perf_counter()
    st = Settings(model=model) if model else Settings()
    llm = load_llm(st)
    key = model_key(st, llm)
    kb = load_knowledge(default_knowledge_dir())
    grader = Grader(cached_embedder(), llm=llm, kb=kb, judge_weight=0.0)
    all_dev = load_items("dev")
    items = _pick(all_dev, questions, seed)
    sigs, judgements, ignored, judge_s, judge_cpu, signal_s = [], [], [], [], [], []
    for n, it in enumerate(items):
        t = time.perf_counter()
        (case, f, text), = _signals(grader, kb, [it])
        t1, c1 = time.perf_counter(), time.process_time()
        js = [judge_point(llm, case.question, text, k.point) for k in case.points]
        judge_s.append(time.perf_counter() - t1)
        judge_cpu.append(time.process_time() - c1)
        signal_s.append(t1 - t)
        sigs.append((case, f, text))
        judgements.append(js)
        ignored.append(grader._prepare(it.answer)[2])
        if n % 10 == 9:
            log(f"{n + 1}/{len(items)} answers, judge {np.median(judge_s):.2f} s median per answer")
    gold = np.array([it.score for it in items])
    folds = np.array(_folds(items))

    def grades(w: float):
        grader.set_judge(w)
        return [grader.decide(case, f, text, it.answer, ignored=ig, judgements=js)
                for it, (case, f, text), ig, js in zip(items, sigs, ignored, judgements)]

    by_w = {w: grades(w) for w in WEIGHTS}
    pred = {w: np.array([g.score for g in gs]) for w, gs in by_w.items()}
    mae = {w: float(np.mean(np.abs(p - gold))) for w, p in pred.items()}
    # grouped CV: each fold of questions gets the weight chosen on the other folds
    cv_pred = np.zeros(len(gold))
    chosen = []
    for fo in sorted(set(folds.tolist())) if len(set(folds.tolist())) > 1 else []:
        tr, te = folds != fo, folds == fo
        w = min(WEIGHTS, key=lambda w: (float(np.mean(np.abs(pred[w][tr] - gold[tr]))), w))
        chosen.append(w)
        cv_pred[te] = pred[w][te]
    # with a single fold of questions there is nothing to choose out of fold on: no weight is fitted
    cv_with = float(np.mean(np.abs(cv_pred - gold))) if chosen else None
    cv_without = mae[0.0]  # the grader's own weights were fitted on dev before: the same figure without the model
    best = min(WEIGHTS, key=lambda w: (mae[w], w))
    # the judgement joins only when it helps out of fold: a model that does not help gets weight 0 (never worse)
    weight = best if cv_with is not None and cv_with < cv_without else 0.0
    labels = [j.label for js in judgements for j in js]
    out = {
        "model": st.model_path().name if not st.llm_url else llm.name, "model_key": key,
        "n": len(items), "questions": len({it.question_id for it in items}), "dev_answers": len(all_dev),
        "subsample": f"{questions} dev questions, seed {seed}" if questions else None,
        "mae_by_weight": {str(w): round(v, 3) for w, v in mae.items()},
        "kp_accuracy_by_weight": {str(w): _kp_accuracy(items, by_w[w]) for w in WEIGHTS},
        "cv_weights_chosen": chosen, "cv_mae_with_judge": None if cv_with is None else round(cv_with, 3), "cv_mae_without": round(cv_without, 3),
        "weight": weight,
        "judge_labels": {k: labels.count(k) for k in ("yes", "no", "contradicted")},
        "judge_seconds_per_answer": {"p50": round(float(np.percentile(judge_s, 50)), 2),
                                     "p95": round(float(np.percentile(judge_s, 95)), 2)},
        # CPU seconds of this process while judging: on a machine shared with other work, the wall time above
        # includes waiting for a core; with n_threads=1 this is the time the judgement needs on one free core
        "judge_cpu_seconds_per_answer": {"p50": round(float(np.percentile(judge_cpu, 50)), 2),
                                         "p95": round(float(np.percentile(judge_cpu, 95)), 2)},
        "load_average_1m": round(os.getloadavg()[0], 1),
        "grade_with_judge_seconds": {"p50": round(float(np.percentile(np.add(judge_s, signal_s), 50)), 2),
                                     "p95": round(float(np.percentile(np.add(judge_s, signal_s), 95)), 2)},
        "n_threads": st.n_threads, "seconds": round(time.perf_counter() - t0, 1),
    }
    fit = ModelFit(model=out["model"], weight=weight, fitted_on="interview dev" + (
        f" ({out['questions']} of {len({it.question_id for it in all_dev})} questions)" if questions else ""), n=len(items),
        cv_mae_with=out["cv_mae_with_judge"], cv_mae_without=out["cv_mae_without"])
    if write:
        out["written"] = [str(save_fit(key, fit, st.data_dir))] + ([str(save_fit(key, fit))] if ship else [])
    if hasattr(grader.embedder, "save"):
        grader.embedder.save()
    return out
