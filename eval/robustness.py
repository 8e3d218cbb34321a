"""What an answer cannot buy (`python -m eval robustness`): on the interview set's dev answers, the grade before and
after generic padding, per kind of answer, and the "subject" signal (how much closer an answer sits to another bank
question's model answer than to its own), per kind."""

from __future__ import annotations

import time

import numpy as np

# Three sentences any answer could carry: on no question's subject, so they must not raise a grade.
PADDING = (" In my experience it is important to think carefully about the whole system, to talk to the users and"
           " to keep the design simple. I have worked on many projects like this one and I always learn from my"
           " colleagues. Good communication in the team is key, and careful planning helps a lot.")
KINDS = ("paraphrase", "partial", "vague", "stuffed", "off_topic")


def run() -> dict:
    from eval.grader_eval import cached_embedder
    from eval.interview import load_items
    from interviewer.grader import ELSEWHERE, Grader, case_for_question
    from interviewer.knowledge import default_knowledge_dir, load_knowledge

    t0 = time.perf_counter()
    kb = load_knowledge(default_knowledge_dir())
    emb = cached_embedder()
    grader = Grader(emb, kb=kb, use_llm=False)
    before: dict[str, list[float]] = {k: [] for k in KINDS}
    after: dict[str, list[float]] = {k: [] for k in KINDS}
    gap: dict[str, list[float]] = {k: [] for k in KINDS}
    for it in load_items("dev"):
        if it.follow_up is not None or it.kind not in KINDS:
            continue
        q = kb.question(it.question_id)
        before[it.kind].append(grader.grade_question(q, it.answer).score)
        after[it.kind].append(grader.grade_question(q, it.answer + PADDING * 2).score)
        text, _, _ = grader._prepare(it.answer)
        # the feature is the gap scaled to 0-1 at ELSEWHERE; back on the cosine scale, floored at 0
        gap[it.kind].append(grader.features(case_for_question(q, kb), text).answer["elsewhere"] * ELSEWHERE)
    if hasattr(emb, "save"):
        emb.save()
    return {
        "split": "dev", "padding_sentences": 6,
        "mean_before": {k: round(float(np.mean(v)), 2) for k, v in before.items()},
        "mean_after_padding": {k: round(float(np.mean(v)), 2) for k, v in after.items()},
        "max_gain": {k: round(float(np.max(np.subtract(after[k], before[k]))), 2) for k in KINDS},
        "closer_elsewhere_median": {k: round(float(np.median(v)), 3) for k, v in gap.items()},
        "closer_elsewhere_max": {k: round(float(np.max(v)), 3) for k, v in gap.items()},
        "n": {k: len(v) for k, v in before.items()},
        "seconds": round(time.perf_counter() - t0, 1),
    }
