"""Reports over transcripts: the end-of-session summary (scores per JD area, weakest points) and the
Markdown export of a graded transcript."""

from __future__ import annotations

from collections import defaultdict

from interviewer.knowledge import KnowledgeBase
from interviewer.models import Transcript, Turn


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
    pts = []
    for t in turns:
        if t.grade is None:
            continue
        for k in t.grade.key_points:
            if k.status != "covered":
                pts.append({"question_id": t.question_id, "point": k.point, "confidence": k.confidence,
                            "status": k.status})
    pts.sort(key=lambda p: p["confidence"])
    seen, out = set(), []
    for p in pts:
        if p["point"] not in seen:
            seen.add(p["point"])
            out.append(p)
    return out[:n]


def summarize(kb: KnowledgeBase, tr: Transcript) -> dict:
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
    s = tr.session
    lines = [f"# Interview {s.id}", "",
             f"- Date: {s.created_at}", f"- Mode: {s.mode}" + (f" (focus: {s.focus})" if s.focus else ""),
             f"- Interviewer persona: {s.persona}", f"- Model: {s.model}",
             f"- Mean score: {s.mean_score if s.mean_score is not None else '-'} / 5", ""]
    for t in tr.turns:
        kind = "Follow-up" if t.is_follow_up else "Question"
        lines += [f"## {t.idx + 1}. {kind} — {area_name(kb, t.topic)} (`{t.question_id}`)", "", f"> {t.question}", ""]
        if t.answer is None:
            lines += ["_Not answered yet._", ""]
            continue
        if t.answer == "":
            lines += ["_Skipped._", ""]
            continue
        lines += ["**Answer**", "", t.answer, ""]
        g = t.grade
        if g is None:
            continue
        sub = g.sub_scores
        lines += [f"**Score: {g.score:.1f} / 5** (coverage {sub.coverage:.1f}, accuracy {sub.technical_accuracy:.1f}, "
                  f"honesty {sub.honesty_boundary:.1f}, structure {sub.structure:.1f})", "", "| key point | status | evidence |",
                  "|---|---|---|"]
        for k in g.key_points:
            ev = k.evidence.replace("|", "\\|").replace("\n", " ")
            lines.append(f"| {k.point} | {k.status} | {('“' + ev + '”') if ev else ''} |")
        lines.append("")
        for h in g.red_flags:
            lines.append(f"- Red flag: {h.flag} — “{h.quote}”")
        for n in g.notes:
            lines.append(f"- Note: {n}")
        lines += ["", f"**Feedback.** {g.feedback}", "", "**A better answer**", "", g.improved_answer, ""]
    summ = summarize(kb, tr)
    if summ["by_area"]:
        lines += ["## Summary", "", "| JD area | mean score |", "|---|---|"]
        lines += [f"| {a} | {v:.1f} |" for a, v in summ["by_area"].items()]
        lines += ["", "Weakest points:", ""] + [f"- {p['point']} (`{p['question_id']}`)" for p in summ["weakest"]]
    return "\n".join(lines) + "\n"
