"""Shared HTML rendering of the UI (pure functions, no gradio): the conversation with each grade card attached
to its turn, the grade card, the session summary, attempts side by side, the status line.

Every piece of user or knowledge text is HTML-escaped here before it reaches the page.
"""

from __future__ import annotations

import html

from interviewer.models import Grade, Turn
from interviewer.report import turn_labels

STATUS_COLOURS = {"covered": "#1b7f3b", "partial": "#b58900", "missed": "#c62828", "contradicted": "#7b1fa2"}
# Score bands of the colours only (the grader owns the verdict words): green from 4, amber from 3, else red.
GOOD, FAIR = 4.0, 3.0


def esc(text: object) -> str:
    """Text made safe for HTML (quotes included); None becomes the empty string."""
    return html.escape("" if text is None else str(text), quote=True)


def highlight(answer: str, quotes: list[str]) -> str:
    """The answer, escaped, with every quoted evidence span wrapped in <mark>."""
    spans: list[tuple[int, int]] = []
    for q in quotes:
        q = (q or "").strip()
        if not q:
            continue
        start = answer.find(q)
        while start >= 0:
            spans.append((start, start + len(q)))
            start = answer.find(q, start + len(q))
    spans.sort()
    merged: list[list[int]] = []
    for s, e in spans:
        if merged and s <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e])
    out, pos = [], 0
    for s, e in merged:
        out.append(esc(answer[pos:s]))
        out.append(f"<mark>{esc(answer[s:e])}</mark>")
        pos = e
    out.append(esc(answer[pos:]))
    return "".join(out)


def badge(text: str, colour: str) -> str:
    """A small coloured label."""
    return f'<span class="badge" style="background:{colour}">{esc(text)}</span>'


def score_colour(score: float | None) -> str:
    """Green, amber or red for a 0-5 score; grey for none (skipped)."""
    if score is None:
        return "#777"
    return "#1b7f3b" if score >= GOOD else "#b58900" if score >= FAIR else "#c62828"


def status_html(msg: str = "", ok: bool = False) -> str:
    """The status line under the controls: errors in red, confirmations (ok) in green."""
    cls = "status-line ok" if ok else "status-line"
    return f'<div class="{cls}" role="status">{esc(msg)}</div>'


def evidence_quotes(g: Grade) -> list[str]:
    """Every quote of the answer the grade points at: key point evidence and red flags."""
    return [k.evidence for k in g.key_points if k.evidence] + [h.quote for h in g.red_flags]


# --------------------------------------------------------------------------- the grade card


# Feedback lines that restate what the card already shows in its own blocks (prompts/feedback.md): the score
# line, the covered and missed lists (the key point table), red flags and how to say it.
RESTATED = ("Covered:", "Missed or thin:", "Red flag", "How to say it:")


def _feedback_without(g: Grade) -> str:
    """The feedback without the lines that repeat the card's own blocks, so nothing is printed twice."""
    score_line = f"Score {g.score:.1f}/5."
    return "\n".join(line for line in g.feedback.splitlines()
                     if not line.startswith(RESTATED) and not line.strip().endswith(score_line)).strip()


def _corrections(g: Grade) -> str:
    wrong = [k for k in g.key_points if k.status == "contradicted"]
    if not wrong:
        return ""
    items = "".join(
        f'<li><strong>{esc(k.point)}</strong>'
        + (f'<br>You said: “{esc(k.evidence)}”' if k.evidence else "")
        + (f'<br>Correct: {esc(k.correction)}' if k.correction else "") + "</li>" for k in wrong)
    return f'<div class="contradicted" role="alert"><h4>Wrong in your answer</h4><ul>{items}</ul></div>'


def _checks(g: Grade) -> str:
    if not g.checks:
        return ""
    parts = "; ".join(f"{esc(c.name)}: {esc(c.summary)} (confidence {c.confidence:.2f})" for c in g.checks)
    return f'<p class="checks"><strong>What was checked:</strong> {parts}</p>'


def _ignored(g: Grade) -> str:
    if not g.ignored:
        return ""
    items = "".join(f"<li>“{esc(i.sentence)}” — {esc(i.reason)}</li>" for i in g.ignored)
    return f'<div class="ignored"><h4>Left out of grading</h4><ul>{items}</ul></div>'


def render_grade(g: Grade | None, label: str = "") -> str:
    """The grade card of one answered turn: score and verdict, what was wrong (with the correction), sub-scores,
    key points with their evidence, red flags, what was checked, sentences left out, feedback, how to say it
    (Chinese on demand) and a better answer. The answer itself is shown once, in the conversation."""
    if g is None:
        return ""
    sub = g.sub_scores
    rows = "".join(
        f'<tr><td>{esc(name)}</td><td>{v:.1f}</td><td><span class="bar" style="width:{int(v * 24)}px"></span></td></tr>'
        for name, v in (("coverage", sub.coverage), ("technical accuracy", sub.technical_accuracy),
                        ("honesty / boundary", sub.honesty_boundary), ("structure", sub.structure)))
    kps = "".join(
        f'<tr data-status="{esc(k.status)}"><td>{esc(k.point)}</td>'
        f"<td>{badge(k.status, STATUS_COLOURS.get(k.status, '#777'))}</td>"
        f"<td>{('“<mark>' + esc(k.evidence) + '</mark>”') if k.evidence else ''}"
        f"{('<br><em>Correct:</em> ' + esc(k.correction)) if k.correction else ''}"
        + (f'<p class="model-correction">{esc(k.model_correction)}</p>' if k.model_correction else "") +
        "</td></tr>" for k in g.key_points)
    kp_table = (f"<h4>Key points</h4><table><tr><th>key point</th><th>status</th><th>evidence from your answer</th></tr>"
                f"{kps}</table>") if g.key_points else ""
    flags = "".join(f'<li class="flag">{esc(h.flag)} — “{esc(h.quote)}”</li>' for h in g.red_flags)
    notes = "".join(f'<li class="note">{esc(n)}</li>' for n in g.notes)
    zh = (f'<details class="zh"><summary>中文 (original)</summary><div class="pre" lang="zh-CN">{esc(g.how_to_say_zh)}'
          f"</div></details>") if g.how_to_say_zh else ""
    how = f'<h4>How to say it</h4><div class="pre how">{esc(g.how_to_say)}</div>{zh}' if (g.how_to_say or zh) else ""
    feedback = _feedback_without(g)
    verdict = f' <span class="verdict">{esc(g.verdict)}</span>' if g.verdict else ""
    title = f"{esc(label)}: " if label else ""
    return (
        f'<div class="card grade-card" data-score="{g.score:.2f}">'
        f'<h3>{title}<span class="score" style="color:{score_colour(g.score)}">{g.score:.1f}</span> / 5{verdict}</h3>'
        + _corrections(g)
        + f"<table>{rows}</table>{kp_table}"
        + (f"<h4>Red flags</h4><ul>{flags}</ul>" if flags else "")
        + _checks(g) + _ignored(g)
        + (f'<h4>Feedback</h4><div class="pre">{esc(feedback)}</div>' if feedback else "")
        + how
        + (f'<details open><summary><strong>A better answer</strong></summary><div class="pre">'
           f"{esc(g.improved_answer)}</div></details>" if g.improved_answer else "")
        + (f"<ul>{notes}</ul>" if notes else "")
        + "</div>"
    )


def render_delivery(d: dict | None) -> str:
    """A spoken answer's delivery feedback (delivery.Delivery as stored with the turn) as a card block."""
    if not d:
        return ""
    fillers = ", ".join(f"{esc(k)} x{v}" for k, v in sorted(d.get("fillers", {}).items()))
    pauses = d.get("long_pauses", [])
    longest = f" (longest {max(p['seconds'] for p in pauses):.1f} s)" if pauses else ""
    led = badge("led with the point", "#2e7d32") if d.get("led_with_point") else badge("did not lead with the point",
                                                                                      "#c62828")
    tips = "".join(f"<li>{esc(t)}</li>" for t in d.get("tips", []) + d.get("notes", []))
    return (f'<div class="delivery" data-wpm="{d.get("wpm", 0)}"><h4>Delivery (spoken answer)</h4>'
            f'{d.get("speaking_s", 0):.0f} s · {d.get("words", 0)} words · {d.get("wpm", 0):.0f} wpm '
            f'({esc(d.get("pace", ""))}) · fillers {d.get("filler_count", 0)}{f" ({fillers})" if fillers else ""} · '
            f"long pauses {len(pauses)}{longest} · {led}" + (f"<ul>{tips}</ul>" if tips else "") + "</div>")


# --------------------------------------------------------------------------- the conversation


def render_turns(turns: list[Turn], n_questions: int, pending: Turn | None = None, partial: str | None = None,
                 open_last: bool = True) -> str:
    """The turns as a conversation: each question labelled ("Q2 of 4", "Q2 follow-up 1"), the answer with its
    evidence highlighted, and right after it that turn's grade card in a collapsible block (the latest one
    open). The pending question comes last (partial: the text streaming in right now)."""
    labels = turn_labels(turns, n_questions)
    graded = [t.idx for t in turns if t.grade is not None]
    last_graded = graded[-1] if graded else None
    parts = []
    for t in turns:
        is_pending = t.answer is None
        if is_pending and t is not pending:
            continue
        text = partial if (is_pending and partial is not None) else t.question
        state = (" streaming" if partial is not None else " pending") if is_pending else ""
        kind = " follow-up" if t.is_follow_up else ""
        parts.append(f'<div class="msg q{kind}{state}" data-idx="{t.idx}"><span class="who">{esc(labels[t.idx])} · '
                     f"{esc(t.topic)}</span>{esc(text)}</div>")
        if t.answer is None:
            continue
        if t.answer == "":
            parts.append(f'<div class="msg a" data-idx="{t.idx}"><span class="who">You</span><em>(skipped)</em></div>')
            continue
        g = t.grade
        sc = f" {badge(f'{g.score:.1f}/5', score_colour(g.score))}" if g else ""
        body = highlight(t.answer, evidence_quotes(g)) if g else esc(t.answer)
        parts.append(f'<div class="msg a" data-idx="{t.idx}"><span class="who">You{sc}</span>{body}</div>')
        if g is not None:
            is_open = " open" if (open_last and t.idx == last_graded) else ""
            parts.append(f'<details class="turn-grade" data-idx="{t.idx}"{is_open}><summary>Grade for '
                         f"{esc(labels[t.idx])}: {g.score:.1f} / 5{(' — ' + esc(g.verdict)) if g.verdict else ''}"
                         f"</summary>{render_delivery(t.delivery)}{render_grade(g, labels[t.idx])}</details>")
    return "".join(parts)


def render_conversation(iv, partial: str | None = None) -> str:
    """The live interview of one browser tab (None: not started); data-phase says asking or done."""
    if iv is None:
        return '<div class="conv" id="conv-empty" data-phase="idle"><em>Press Start to begin an interview.</em></div>'
    phase = "done" if iv.current is None else "asking"
    return (f'<div class="conv" data-session="{esc(iv.session_id)}" data-phase="{phase}">'
            f"{render_turns(iv.turns, iv.info.n_questions, iv.current, partial)}</div>")


def render_summary(s: dict, weak: int = 0, asks: int = 0) -> str:
    """The end-of-session summary: mean, scores per JD area (weakest first), the weakest points by name
    (contradicted ones with the correction); weak: how many key points the session missed or got wrong, asks:
    how many of them "Drill the weak answers now" re-asks."""
    if not s:
        return ""
    areas = "".join(f"<tr><td>{esc(a)}</td><td>{badge(f'{v:.1f}', score_colour(v))}</td></tr>"
                    for a, v in sorted(s.get("by_area", {}).items(), key=lambda kv: kv[1]))
    points = "".join(
        f"<li>{badge(p['status'], STATUS_COLOURS.get(p['status'], '#777'))} {esc(p['point'])} "
        f"<small>({esc(p['question_id'])})</small>"
        + (f"<br><small>Correct: {esc(p['correction'])}</small>" if p.get("correction") else "") + "</li>"
        for p in s.get("weakest", []))
    mean = s.get("mean_score")
    offer = (f'<p class="drill-offer">{weak} key point(s) missed or wrong: <strong>Drill the weak answers now'
             f"</strong> re-asks {'the weakest ' + str(asks) if asks < weak else 'them'} at once.</p>") if weak else ""
    return (f'<div class="card summary-card"><h3>Session summary — mean '
            f'{("%.1f" % mean) if mean is not None else "-"} / 5 '
            f'({s.get("answered", 0)} answers, {s.get("questions", 0)} questions)</h3>'
            f"<h4>Scores per JD area</h4><table><tr><th>JD area</th><th>mean</th></tr>"
            f"{areas or '<tr><td colspan=2>no graded answers</td></tr>'}</table>"
            f"<h4>Weakest points</h4><ol>{points or '<li>none</li>'}</ol>{offer}</div>")


def render_attempts(turns: list[Turn]) -> str:
    """Every attempt at one question side by side, oldest first."""
    if not turns:
        return "<em>No attempts yet.</em>"
    cols = []
    for t in turns:
        sc = t.grade.score if t.grade else None
        cols.append(f"<div><strong>{esc((t.answered_at or t.created_at or '')[:16])}</strong> "
                    f"{badge(f'{sc:.1f}/5' if sc is not None else 'skipped', score_colour(sc))}"
                    f"<br><small>session {esc(t.session_id)}</small><br>{esc(t.answer or '')}</div>")
    return f'<div class="attempts">{"".join(cols)}</div>'
