"""Reports over transcripts: turn labels ("Q3 of 4", "Q3 follow-up 1"), the end-of-session summary (scores
per JD area, weakest points) and the Markdown export of a graded transcript."""

from __future__ import annotations

from collections import defaultdict

from interviewer.knowledge import KnowledgeBase
from interviewer.models import Transcript, Turn

# Order of the weakest points: a wrong statement first, then a point not made at all, then a thin one.
STATUS_ORDER = {"contradicted": 0, "missed": 1, "partial": 2}


def turn_labels(turns: list[Turn], n_questions: int) -> dict[int, str]:
    """The label of every turn by idx: main questions "Q3 of 4", their follow-ups "Q3 follow-up 1", and the
    follow-ups of a drill-now session (aimed at a key point of an earlier session) "Drill 2 of 3"."""
    labels: dict[int, str] = {}
    mains: dict[int, int] = {}
    follow_ups: dict[int, int] = {}
    drills = 0
    for t in sorted(turns, key=lambda t: t.idx):
        if t.is_follow_up and t.follow_up_of in mains:
            follow_ups[t.follow_up_of] = follow_ups.get(t.follow_up_of, 0) + 1
            labels[t.idx] = f"Q{mains[t.follow_up_of]} follow-up {follow_ups[t.follow_up_of]}"
        elif t.is_follow_up and t.follow_up_of is None:
            drills += 1
            labels[t.idx] = f"Drill {drills} of {n_questions}"
        else:
            mains[t.idx] = len(mains) + 1
            labels[t.idx] = f"Q{mains[t.idx]} of {n_questions}"
    return labels


def area_name(kb: KnowledgeBase, topic: str) -> str:
    row = kb.row(topic)
    if row:
        return row.jd_skill.en
    extra = next((t for t in kb.match.extra_topics if t.id == topic), None)
    return extra.name.en if extra else topic


def scores_by_area(kb: KnowledgeBase, turns: list[Turn]) -> dict[str, float]:
    acc: dict[str, list[float]] = defaultdict(list)
    for t in turns:
        if t.grade is not None:
            acc[area_name(kb, t.topic)].append(t.grade.score)
    return {k: round(sum(v) / len(v), 2) for k, v in acc.items()}


def weakest_points(turns: list[Turn], n: int = 3) -> list[dict]:
    """The n weakest key points, each once: contradicted ones (with the correction) first, then missed, then
    partial; within a status the least covered first."""
    pts = []
    for t in turns:
        if t.grade is None:
            continue
        for k in t.grade.key_points:
            if k.status in STATUS_ORDER:
                pts.append({"question_id": t.question_id, "point": k.point, "confidence": k.confidence,
                            "status": k.status, "correction": k.correction, "evidence": k.evidence})
    pts.sort(key=lambda p: (STATUS_ORDER[p["status"]], p["confidence"]))
    seen, out = set(), []
    for p in pts:
        if p["point"] not in seen:
            seen.add(p["point"])
            out.append(p)
    return out[:n]


def summarize(kb: KnowledgeBase, tr: Transcript) -> dict:
    """Mean score, scores per JD area and the three weakest points of one transcript."""
    graded = [t for t in tr.turns if t.grade is not None]
    return {
        "session_id": tr.session.id,
        "questions": sum(1 for t in tr.turns if not t.is_follow_up),
        "answered": len(graded),
        "mean_score": round(sum(t.grade.score for t in graded) / len(graded), 2) if graded else None,
        "by_area": scores_by_area(kb, graded),
        "weakest": weakest_points(graded),
    }


def to_markdown(kb: KnowledgeBase, tr: Transcript) -> str:
    """The transcript as Markdown: every turn with its answer, grade, key points, corrections and summary."""
    s = tr.session
    labels = turn_labels(tr.turns, s.n_questions)
    lines = [f"# Interview {s.id}", "",
             f"- Date: {s.created_at}", f"- Mode: {s.mode}" + (f" (focus: {s.focus})" if s.focus else ""),
             f"- Interviewer persona: {s.persona}", f"- Model: {s.model}",
             f"- Mean score: {s.mean_score if s.mean_score is not None else '-'} / 5", ""]
    for t in tr.turns:
        lines += [f"## {labels[t.idx]} — {area_name(kb, t.topic)} (`{t.question_id}`)", "", f"> {t.question}", ""]
        if t.answer is None:
            lines += ["_Not answered yet._", ""]
            continue
        if t.answer == "":
            lines += ["_Skipped._", ""]
            continue
        lines += ["**Answer**" + (" (spoken)" if t.delivery else ""), "", t.answer, ""]
        if t.delivery:
            from interviewer.delivery import Delivery, render_text

            lines += [f"**Delivery.** {render_text(Delivery.model_validate(t.delivery))}", ""]
        g = t.grade
        if g is None:
            continue
        sub = g.sub_scores
        verdict = f" — {g.verdict}" if g.verdict else ""
        lines += [f"**Score: {g.score:.1f} / 5{verdict}** (coverage {sub.coverage:.1f}, accuracy {sub.technical_accuracy:.1f}, "
                  f"honesty {sub.honesty_boundary:.1f}, structure {sub.structure:.1f})", "", "| key point | status | evidence |",
                  "|---|---|---|"]
        for k in g.key_points:
            ev = k.evidence.replace("|", "\\|").replace("\n", " ")
            lines.append(f"| {k.point} | {k.status} | {('“' + ev + '”') if ev else ''} |")
        lines.append("")
        for k in g.key_points:
            if k.status == "contradicted" and k.correction:
                lines.append(f"- Correction: {k.point} — {k.correction}")
        for h in g.red_flags:
            lines.append(f"- Red flag: {h.flag} — “{h.quote}”")
        for n in g.notes:
            lines.append(f"- Note: {n}")
        for c in g.checks:
            lines.append(f"- Checked ({c.name}, confidence {c.confidence:.2f}): {c.summary}")
        for i in g.ignored:
            lines.append(f"- Not graded ({i.reason}): “{i.sentence}”")
        lines += ["", f"**Feedback.** {g.feedback}", "", "**A better answer**", "", g.improved_answer, ""]
    summ = summarize(kb, tr)
    if summ["by_area"]:
        lines += ["## Summary", "", "| JD area | mean score |", "|---|---|"]
        lines += [f"| {a} | {v:.1f} |" for a, v in summ["by_area"].items()]
        lines += ["", "Weakest points:", ""] + [f"- {p['point']} ({p['status']}, `{p['question_id']}`)" for p in summ["weakest"]]
    return "\n".join(lines) + "\n"
