"""Fit the grader's Calibration on SAF training only and write interviewer/calibration.json.

- with-exemplar weights: every training answer is scored against the other training answers of its
  question (leave-one-out: the answer is never its own exemplar);
- without-exemplar weights: the answers are scored with the reference only, and the ridge penalty and
  feature set are chosen by grouped cross-validation by question (each fold simulates unseen questions);
- the exemplar hyper-parameters (kNN temperature, kernel-ridge gamma/lambda) by the same CV.
Nothing here reads the test splits."""

from __future__ import annotations

import time

import numpy as np

from eval.common import CachedEmbedder, embedder, metrics
from eval.grader_eval import saf_rubric
from eval.saf import load_split
from interviewer.claims import split_sentences
from interviewer.injection import strip_injections
from interviewer.scoring import FEATURES, Calibration, Scorer, load_calibration, save_calibration

WITH = ["bias", "ref_cos", "kp_sim", "kp_min", "kp_terms", "ref_recall", "ans_prec", "length", "len_ratio", "q_cos",
        "knn", "knn_sim", "krr", "ex_mean", "ex_gap", "lex_knn", "lex_sim", "tok_recall"]
# Without exemplars only features that mean the same thing on every question (similarity/recall against the
# reference, length): per-question quantities such as the length ratio to a terse/verbose reference do not transfer.
WITHOUT = ["bias", "ref_cos", "kp_sim", "kp_terms", "ref_recall", "length", "tok_recall"]
DEMOTE = (1.0, 0.5, 0.2, 0.1, 0.05)


def feature_matrix(scorer: Scorer, qs, with_exemplars: bool):
    X, y, groups = [], [], []
    for gi, q in enumerate(qs):
        ex = [(a.text, a.score) for a in q.answers] if with_exemplars else None
        rub = saf_rubric(q, ex)
        for i, a in enumerate(q.answers):
            clean, _ = strip_injections(a.text)
            sig = scorer.signals(rub, clean, exclude_exemplar=i if with_exemplars else None)
            X.append([sig.features[f] for f in FEATURES])
            y.append(a.score)
            groups.append(gi)
    return np.array(X), np.array(y), np.array(groups)


def warm(scorer: Scorer, qs) -> None:
    """Encode every text the scorer will need in a few large batches (the grader embeds the answer with
    injection sentences removed, i.e. its sentences joined by spaces)."""
    texts = []
    for q in qs:
        texts += [q.question] + q.references + split_sentences(q.references[0] if q.references else "")
        for a in q.answers:
            clean = strip_injections(a.text)[0]
            texts += [clean] + split_sentences(clean)
    texts = [t for t in texts if t]
    scorer._emb(texts)
    scorer._tok(list(dict.fromkeys(texts)))


def within_r(pred, y, groups) -> float:
    """Pearson of the deviations from each question's mean: how well answers to one question are ranked.

    The criterion for everything that must transfer to unseen questions: on training, question-level means
    of the signals barely follow the questions' mean scores (26 questions), so a pooled fit
    learns the training questions' idiosyncrasies instead."""
    pred, y, groups = map(np.asarray, (pred, y, groups))
    dp, dy = pred.astype(float).copy(), y.astype(float).copy()
    for g in np.unique(groups):
        m = groups == g
        dp[m] -= dp[m].mean()
        dy[m] -= dy[m].mean()
    return float(np.corrcoef(dp, dy)[0, 1]) if dp.std() and dy.std() else 0.0


def choose_demote(scorer: Scorer, qs) -> tuple[float, dict]:
    """The weight of question words in the token recall, by within-question Pearson of that feature."""
    by = {}
    for d in DEMOTE:
        scorer.cal = scorer.cal.model_copy(update={"tok_demote": d})
        x, y, g = [], [], []
        for gi, q in enumerate(qs):
            rub = saf_rubric(q)
            for a in q.answers:
                clean = strip_injections(a.text)[0]
                x.append(scorer.signals(rub, clean).features["tok_recall"])
                y.append(a.score)
                g.append(gi)
        by[d] = round(within_r(x, y, g), 4)
    return max(by, key=by.get), by


def ridge(X, y, lam):
    """Ridge with an unpenalised bias (column 0)."""
    P = lam * np.eye(X.shape[1])
    P[0, 0] = 0.0
    return np.linalg.solve(X.T @ X + P, X.T @ y)


def cv_predict(X, y, folds, lam):
    pred = np.zeros_like(y)
    for f in np.unique(folds):
        tr, te = folds != f, folds == f
        pred[te] = np.clip(X[te] @ ridge(X[tr], y[tr], lam), 0, 1)
    return pred


def select(X, y, folds, names, candidates, lams=(0.01, 0.1, 1.0, 10.0), groups=None):
    """Greedy forward selection of features (bias always in) and the ridge penalty, by CV Pearson
    (within-question Pearson when groups are given)."""
    idx = {n: i for i, n in enumerate(FEATURES)}
    chosen = ["bias"]
    best_r, best_lam = -1.0, lams[0]
    improved = True
    while improved:
        improved = False
        for c in candidates:
            if c in chosen:
                continue
            cols = [idx[n] for n in chosen + [c]]
            for lam in lams:
                p = cv_predict(X[:, cols], y, folds, lam)
                r = within_r(p, y, groups) if groups is not None else np.corrcoef(p, y)[0, 1]
                if r > best_r + 0.002:
                    best_r, best_lam, best_c, improved = r, lam, c, True
        if improved:
            chosen.append(best_c)
    cols = [idx[n] for n in chosen]
    w = ridge(X[:, cols], y, best_lam)
    full = [0.0] * len(FEATURES)
    for n, wi in zip(chosen, w):
        full[idx[n]] = round(float(wi), 5)
    return full, chosen, best_lam, cv_predict(X[:, cols], y, folds, best_lam)


def run(saf_dir=None, verbose=True, write=True, grid=True) -> dict:
    t0 = time.perf_counter()
    qs = load_split("training", saf_dir)
    emb = CachedEmbedder(embedder())
    base = load_calibration()
    scorer = Scorer(emb, base.model_copy())
    warm(scorer, qs)
    emb.save()
    demote, by_demote = choose_demote(scorer, qs)
    base = base.model_copy(update={"tok_demote": demote})
    scorer.cal = base.model_copy()
    if verbose:
        print(f"tok_demote {demote} (training pearson by value: {by_demote})", flush=True)
    # 1) no exemplars: grouped CV by question (leave-one-question-out)
    Xn, yn, groups = feature_matrix(scorer, qs, False)
    # folds of ~5 questions each, like the unseen_questions split
    w_without, chosen_n, lam_n, pred_n = select(Xn, yn, groups % 5, FEATURES, WITHOUT, groups=groups)
    m_without = metrics(pred_n, yn) | {"within_question_pearson": round(within_r(pred_n, yn, groups), 4)}
    # 2) exemplar hyper-parameters and weights: LOO features, 10-fold CV over answers
    rng = np.random.default_rng(0)
    folds = rng.integers(0, 10, len(yn))
    best = None
    combos = [(k, t, g, 1.0) for k in (7, 15) for t in (10.0, 20.0) for g in (5.0,)] if grid \
        else [(base.knn_k, base.knn_temp, base.krr_gamma, base.krr_lambda)]
    for k, t, g, l in combos:
        scorer.cal = base.model_copy(update={"knn_k": k, "knn_temp": t, "krr_gamma": g, "krr_lambda": l})
        Xw, yw, _ = feature_matrix(scorer, qs, True)
        w_with, chosen_w, lam_w, pred_w = select(Xw, yw, folds, FEATURES, WITH)
        r = float(np.corrcoef(pred_w, yw)[0, 1])
        if verbose:
            print(f"knn_k={k} temp={t} gamma={g} lambda={l}: CV pearson {r:.4f} {chosen_w}", flush=True)
        if best is None or r > best[0]:
            best = (r, (k, t, g, l), w_with, chosen_w, lam_w, pred_w, yw)
    r, (k, t, g, l), w_with, chosen_w, lam_w, pred_w, yw = best
    m_with = metrics(pred_w, yw)
    cal = base.model_copy(update=dict(
        features=list(FEATURES), with_exemplars=w_with, without_exemplars=w_without, knn_k=k, knn_temp=t,
        krr_gamma=g, krr_lambda=l, tok_demote=demote, fitted_on="SAF v2.0 training (leave-one-out exemplars; grouped CV by question)",
        n=int(len(yn)),
        cv={"with_exemplars": {"features": chosen_w, "ridge": lam_w, **m_with},
            "without_exemplars": {"features": chosen_n, "ridge": lam_n, **m_without}}))
    if write:
        save_calibration(cal)
    out = {"n": int(len(yn)), "questions": len(qs), "cv": cal.cv, "knn_k": k, "knn_temp": t, "krr_gamma": g,
           "krr_lambda": l, "tok_demote": demote, "tok_recall_pearson_by_demote": by_demote, "seconds": round(time.perf_counter() - t0, 1)}
    return out
