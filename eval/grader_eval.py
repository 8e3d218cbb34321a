"""Grader accuracy against human grades: SAF splits or any {"question","reference","answer","score"} JSONL."""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np

from eval.common import CachedEmbedder, bootstrap_ci, embedder, metrics, settings

_EMB = None


def cached_embedder():
    """The real embedder behind the on-disk vector cache (INTERVIEWER_EVAL_NO_CACHE=1 to bypass)."""
    global _EMB
    if os.environ.get("INTERVIEWER_EVAL_NO_CACHE"):
        return embedder()
    if _EMB is None:
        _EMB = CachedEmbedder(embedder())
    return _EMB
from eval.saf import SafQuestion, load_jsonl, load_split
from interviewer.scoring import Rubric


def saf_rubric(q: SafQuestion, exemplars: list[tuple[str, float]] | None = None) -> Rubric:
    r = Rubric.from_reference(q.question, q.references[0] if q.references else "", exemplars)
    r.references = list(q.references) or r.references
    return r


def training_exemplars(root=None) -> dict[str, list[tuple[str, float]]]:
    return {q.id: [(a.text, a.score) for a in q.answers] for q in load_split("training", root)}


def load_dataset(dataset: str, split: str, saf_dir: str | None):
    """(questions, exemplars by question id) for the chosen data set and split."""
    if dataset == "saf":
        qs = load_split(split, saf_dir)
        ex = training_exemplars(saf_dir) if split in ("unseen_answers",) else {}
        if split == "training":  # in-sample: the grader sees the other training answers (leave-one-out)
            ex = training_exemplars(saf_dir)
        return qs, ex
    return load_jsonl(dataset), {}


def make_grader(scorer_kind: str):
    """The grader alone ("embedding"), the model's judgement alone on each key point ("llm"), or both at the
    weight fitted for the configured model ("hybrid"; 0 without a fit, which is the embedding grade). The model's
    judgement reads key points: rubrics graded from many exemplars (SAF unseen_answers) do not use it."""
    from interviewer.grader import Grader

    emb = cached_embedder()
    if scorer_kind == "embedding":
        return Grader(emb, llm=None, use_llm=False), "none"
    from interviewer.judge import fitted_weight
    from interviewer.llm import load_llm

    st = settings()
    llm = load_llm(st)
    g = Grader(emb, llm=llm, judge_weight=0.0)
    g.set_judge(1.0 if scorer_kind == "llm" else fitted_weight(st, llm))
    return g, str(st.model_path().name if not st.llm_url else st.llm_url)


def run(dataset: str = "saf", split: str = "unseen_answers", scorer: str = "embedding", saf_dir: str | None = None,
        limit: int | None = None, seed: int = 0) -> dict:
    qs, ex = load_dataset(dataset, split, saf_dir)
    grader, model = make_grader(scorer)
    items = [(q, i, a) for q in qs for i, a in enumerate(q.answers)]
    if limit and limit < len(items):
        rng = np.random.default_rng(seed)
        items = [items[i] for i in sorted(rng.choice(len(items), limit, replace=False))]
    rubrics = {q.id: saf_rubric(q, ex.get(q.id)) for q in qs}
    # warm the embedding cache in one batch (the per-answer latency is measured separately in `bench`)
    grader.scorer._emb([a.text for _, _, a in items if a.text.strip()])
    t0 = time.perf_counter()
    pred, gold, rows = [], [], []
    for q, i, a in items:
        excl = i if (split == "training" and dataset == "saf") else None
        g = grader.grade(rubrics[q.id], a.text, exclude_exemplar=excl)
        pred.append(g.score / 5.0)
        gold.append(a.score)
        rows.append({"q": q.id, "id": a.id, "pred": round(g.score / 5.0, 4), "gold": round(a.score, 4)})
    secs = time.perf_counter() - t0
    out = {"dataset": dataset if dataset == "saf" else str(Path(dataset).name), "split": split if dataset == "saf"
           else "file", "n": len(pred)}
    out.update(metrics(pred, gold))
    out["pearson_ci95"] = bootstrap_ci(pred, gold)
    out.update({"seconds": round(secs, 2), "ms_per_answer": round(1000 * secs / max(1, len(pred)), 2),
                "model": model, "scorer": scorer, "threads": os.cpu_count()})
    out["baseline"] = baseline(qs, items)
    out["embedding_cache"] = isinstance(cached_embedder(), CachedEmbedder)
    out["rows"] = rows
    if isinstance(_EMB, CachedEmbedder):
        _EMB.save()
    return out


def baseline(qs, items) -> dict:
    """Naive baseline: cosine of answer vs reference embeddings (best reference)."""
    emb = cached_embedder()
    refs = {q.id: emb.encode(q.references or [""]) for q in qs}
    texts = [a.text for _, _, a in items]
    vecs = emb.encode(texts)
    pred = [float(np.max(refs[q.id] @ v)) for (q, _, _), v in zip(items, vecs)]
    gold = [a.score for _, _, a in items]
    m = metrics(pred, gold)
    return {"pearson": m["pearson"], "spearman": m["spearman"]}
