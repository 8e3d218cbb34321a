"""The Replay tab: every session, a transcript read back with its grade cards, Markdown/JSON export, a
re-grade with the current grader (deltas only, nothing stored) and the attempts at one question compared."""

from __future__ import annotations

import gradio as gr

from interviewer.models import Transcript
from interviewer.ui.context import UIContext
from interviewer.ui.render import esc, render_attempts, render_summary, render_turns


def render_transcript(tr: Transcript, summary: dict) -> str:
    """A stored session: its header, every turn as in the live conversation (cards closed), the summary."""
    s = tr.session
    head = (f'<div class="card transcript" data-session="{esc(s.id)}"><h3>Session {esc(s.id)}</h3>'
            f"<p>{esc(s.created_at)} · mode {esc(s.mode)}{(' · focus ' + esc(s.focus)) if s.focus else ''} · "
            f"persona {esc(s.persona.replace('_', ' '))} · model {esc(s.model)} · status {esc(s.status)} · "
            f"mean {esc(s.mean_score if s.mean_score is not None else '-')}</p></div>")
    pending = next((t for t in tr.turns if t.answer is None), None)
    body = render_turns(tr.turns, s.n_questions, pending, open_last=False)
    return head + f'<div class="conv replay">{body}</div>' + (render_summary(summary) if summary["answered"] else "")


def render_deltas(changes: list[dict]) -> str:
    """What a re-grade with the current grader would change, turn by turn."""
    if not changes:
        return "<em>No graded answers in this session.</em>"
    rows = "".join(
        f"<tr><td>{c['idx'] + 1}</td><td>{esc(c['question_id'])}</td><td>{c['old']:.2f}</td><td>{c['new']:.2f}</td>"
        f"<td style=\"color:{'#1b7f3b' if c['delta'] > 0 else '#c62828' if c['delta'] < 0 else '#555'}\">"
        f"{c['delta']:+.2f}</td></tr>" for c in changes)
    return (f'<div class="card"><h3>Re-grade: what changed</h3><table><tr><th>turn</th><th>question</th>'
            f"<th>old</th><th>new</th><th>delta</th></tr>{rows}</table><small>The stored grades are unchanged.</small>"
            "</div>")


class ReplayTab:
    def __init__(self, ctx: UIContext):
        self.ctx = ctx
        with gr.Tab("Replay", id="replay") as tab:
            with gr.Row():
                refresh = gr.Button("Refresh sessions", elem_id="replay-refresh")
                pick = gr.Dropdown([], label="Session", elem_id="replay-session", allow_custom_value=False)
            sessions_html = gr.HTML("", elem_id="sessions-list", js_on_load=None)
            with gr.Row():
                export_btn = gr.Button("Export Markdown + JSON", elem_id="replay-export")
                regrade_btn = gr.Button("Re-grade with the current grader", elem_id="replay-regrade")
            files = gr.File(label="Downloads", file_count="multiple", interactive=False, elem_id="replay-files")
            deltas = gr.HTML("", elem_id="replay-deltas", js_on_load=None)
            transcript = gr.HTML("", elem_id="replay-transcript", js_on_load=None)
            qpick = gr.Dropdown([], label="Compare the attempts of one question", elem_id="replay-question")
            compare = gr.HTML("", elem_id="replay-attempts", js_on_load=None)

        ev = dict(api_visibility="private")
        refresh.click(self.sessions_table, None, [sessions_html, pick], **ev)
        tab.select(self.sessions_table, None, [sessions_html, pick], **ev)
        pick.change(self.show, [pick], [transcript, qpick, deltas, files, compare], **ev)
        qpick.change(self.compare, [qpick], [compare], **ev)
        export_btn.click(self.export, [pick], [files], **ev)
        regrade_btn.click(self.regrade, [pick], [deltas], **ev, **ctx.model_queue)

    def sessions_table(self):
        ss = self.ctx.engine.sessions()
        rows = "".join(
            f"<tr data-session=\"{esc(s.id)}\"><td>{esc(s.id)}</td><td>{esc(s.created_at)}</td>"
            f"<td>{esc(s.mode)}</td><td>{s.n_questions}</td><td>{s.turns}</td>"
            f"<td>{esc(s.mean_score if s.mean_score is not None else '-')}</td><td>{esc(s.status)}</td></tr>"
            for s in ss)
        table = (f'<table class="ktable"><tr><th>session</th><th>date</th><th>mode</th><th>questions</th>'
                 f"<th>turns</th><th>mean score</th><th>status</th></tr>{rows}</table>") if ss else \
            "<em>No sessions yet.</em>"
        choices = [(f"{s.created_at} · {s.mode} · {s.id}", s.id) for s in ss]
        return table, gr.update(choices=choices, value=choices[0][1] if choices else None)

    def show(self, sid):
        if not sid:
            return "", gr.update(choices=[], value=None), "", None, ""
        eng = self.ctx.engine
        tr = eng.transcript(sid)
        qids = list(dict.fromkeys(t.question_id for t in tr.turns if not t.is_follow_up))
        return (render_transcript(tr, eng.summary(sid)), gr.update(choices=qids, value=qids[0] if qids else None),
                "", None, "")

    def compare(self, qid):
        return render_attempts(self.ctx.engine.attempts(qid)) if qid else ""

    def export(self, sid):
        return [str(p) for p in self.ctx.engine.export_files(sid)] if sid else None

    def regrade(self, sid, progress=gr.Progress()):
        if not sid:
            return "<em>Pick a session first.</em>"
        progress(0.1, desc="re-grading")
        return render_deltas(self.ctx.engine.regrade(sid))
