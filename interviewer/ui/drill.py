"""The Drill tab: the whole drill queue with due dates (what is due now, what comes back when), a drill of
the items due today, and every attempt at the question just answered side by side."""

from __future__ import annotations

import gradio as gr

from interviewer.drill import DueDrill
from interviewer.ui.context import UIContext
from interviewer.ui.panel import Panel
from interviewer.ui.render import esc, render_attempts


def when(d: DueDrill) -> str:
    """"due now", or in how many days and on which date."""
    if d.due_now:
        return '<span class="due-now">due now</span>'
    days = max(1, round(d.days_until))
    return f"in {days} day{'s' if days != 1 else ''} ({esc(d.due_at[:10])})"


def render_due(items: list[DueDrill]) -> str:
    """The drill queue as a table, soonest first, with a line saying how many are due now and when the next is."""
    if not items:
        return ("<p><em>The drill queue is empty: weak answers join it when an interview grades them. After an "
                "interview, <strong>Drill the weak answers now</strong> re-asks them at once.</em></p>")
    now = [d for d in items if d.due_now]
    later = [d for d in items if not d.due_now]
    head = f"{len(now)} item(s) due now." if now else "Nothing is due now."
    if later:
        head += f" Next: {esc(later[0].question_id)} {when(later[0])}."
    rows = "".join(
        f'<tr data-due-now="{str(d.due_now).lower()}"><td>{esc(d.question_id)}</td><td>{esc(d.topic)}</td>'
        f"<td>{when(d)}</td><td>{d.last_score:.1f}</td><td>{esc('; '.join(d.missed))}</td></tr>" for d in items)
    return (f'<p class="due-head">{head}</p><table class="ktable"><tr><th>question</th><th>topic</th><th>due</th>'
            f"<th>last score</th><th>missed key points</th></tr>{rows}</table>")


class DrillTab:
    def __init__(self, ctx: UIContext):
        self.ctx = ctx
        with gr.Tab("Drill", id="drill") as self.tab:
            due_html = gr.HTML("", elem_id="due-list", js_on_load=None)
            with gr.Row():
                n_q = gr.Slider(1, 15, value=3, step=1, label="Questions", elem_id="drill-n")
                start = ctx.gate(gr.Button("Start drill (items due now)", variant="primary", elem_id="drill-start",
                                           interactive=ctx.loading.ready))
            panel = Panel(ctx, "drill-")
            attempts = gr.HTML("", elem_id="drill-attempts", js_on_load=None)

        vis = dict(api_visibility="private", **ctx.model_queue)
        start.click(panel.opener(self.start), [n_q, panel.state], panel.outs, **vis)
        panel.submitted.then(self.attempts, [panel.state], [attempts, due_html], api_visibility="private")
        self.tab.select(self.due_list, None, due_html, api_visibility="private")

    def start(self, n, _st):
        return self.ctx.engine.start(mode="drill", n_questions=int(n))

    def due_list(self) -> str:
        return render_due(self.ctx.engine.due_drills())

    def attempts(self, st):
        """Every attempt at the question last answered in this panel, and the queue as it is now."""
        sid = (st or {}).get("sid")
        if not sid:
            return "", self.due_list()
        turns = [t for t in self.ctx.engine.transcript(sid).turns if t.answer is not None and not t.is_follow_up]
        html = render_attempts(self.ctx.engine.attempts(turns[-1].question_id)) if turns else ""
        return html, self.due_list()
