"""The interview panel shared by the Interview and Drill tabs: the conversation (each grade card attached to its
turn), the answer box, the buttons enabled per phase (idle, asking, finished) and the summary with
"Drill the weak answers now". Each browser tab keeps its own session id in a gr.State."""

from __future__ import annotations

from typing import Callable, Iterator

import gradio as gr

from interviewer.index import IndexServerError
from interviewer.session import DRILL_NOW_QUESTIONS, AnswerError, Interview, fold_chunk
from interviewer.store import StoreError
from interviewer.ui.context import UIContext
from interviewer.ui.render import render_conversation, render_summary, status_html

# What a user can cause when opening a session: a bad choice (ValueError), a session id that is gone
# (KeyError), a store that refuses the write (StoreError, e.g. a full disk).
OPEN_ERRORS = (ValueError, KeyError, StoreError)


def error_text(e: Exception) -> str:
    """The message of an error for the status line (a KeyError's own text, not its repr)."""
    return str(e.args[0]) if isinstance(e, KeyError) and e.args else str(e)


class Panel:
    """Components and handlers of one interview panel; a tab calls opener() to bind its Start button."""

    def __init__(self, ctx: UIContext, prefix: str):
        self.ctx = ctx
        self.prefix = prefix
        self.state = gr.State(None)
        self.spoken = gr.State(None)  # the recorded answer's delivery, {sid, idx, delivery} (ui/voice.py)
        self.status = gr.HTML(status_html(), elem_id=f"{prefix}status", js_on_load=None)
        self.conv = gr.HTML(render_conversation(None), elem_id=f"{prefix}conversation", js_on_load=None)
        self.answer = gr.Textbox(lines=5, max_lines=20, label="Your answer (Ctrl+Enter to send)",
                                 elem_id=f"{prefix}answer", elem_classes=["answer-box"])
        with gr.Row():
            self.submit = gr.Button("Submit answer", variant="primary", elem_id=f"{prefix}submit", interactive=False)
            self.skip = gr.Button("Skip", elem_id=f"{prefix}skip", interactive=False)
            self.end = gr.Button("End", variant="stop", elem_id=f"{prefix}end", interactive=False)
            self.drill_now = gr.Button("Drill the weak answers now", elem_id=f"{prefix}drill-now", interactive=False)
        self.summary = gr.HTML("", elem_id=f"{prefix}summary", js_on_load=None)
        self.outs = [self.state, self.conv, self.status, self.summary, self.submit, self.skip, self.end,
                     self.drill_now, self.answer]
        self._bind()

    # ------------------------------------------------------------------ views

    def interview(self, st) -> Interview | None:
        """This browser tab's interview, or None before a start (or when its session is gone)."""
        sid = (st or {}).get("sid")
        if not sid:
            return None
        try:
            return self.ctx.engine.interview(sid)
        except KeyError:
            return None

    def view(self, st, iv: Interview | None, msg: str = "", partial: str | None = None, answer=None,
             ok: bool = False) -> tuple:
        """Every output of the panel for one state. Submit, Skip and End apply while a question is shown
        (not while it streams); Drill the weak answers now once a session with weak points is finished."""
        asking = iv is not None and iv.current is not None and partial is None
        done = iv is not None and iv.current is None
        weak = len(iv.weak_points()) if done else 0
        return (st, render_conversation(iv, partial), status_html(msg, ok),
                render_summary(iv.summary(), weak, min(weak, DRILL_NOW_QUESTIONS)) if done else "",
                gr.update(interactive=asking), gr.update(interactive=asking), gr.update(interactive=asking),
                gr.update(interactive=weak > 0), gr.update() if answer is None else answer)

    def ask(self, st, iv: Interview, msg: str = "", answer=None, ok: bool = False) -> Iterator[tuple]:
        """Stream the pending question into the conversation (or show the end of the interview)."""
        if iv.current is None:
            yield self.view(st, iv, msg or "The interview is over.", answer=answer, ok=ok)
            return
        text = ""
        try:
            for chunk in iv.stream_question():
                text = fold_chunk(text, chunk)
                yield self.view(st, iv, msg, partial=text, answer=answer, ok=ok)
        except IndexServerError as e:  # the bank's question is shown and can be answered; the status says why
            yield self.view(st, iv, str(e), answer=answer)
            return
        yield self.view(st, iv, msg, answer=answer, ok=ok)

    # ------------------------------------------------------------------ handlers

    def opener(self, open_fn: Callable[..., Interview], message: Callable[[Interview], str] | None = None):
        """A handler that opens an interview with open_fn(*inputs) and asks its pending question. The inputs
        end with the panel's state; on an error a user can cause, the status line says why and the panel
        keeps showing the interview it had."""
        def handler(*args):
            try:
                iv = open_fn(*args)
            except OPEN_ERRORS as e:
                yield self.view(args[-1], self.interview(args[-1]), error_text(e))
                return
            st = {"sid": iv.session_id}
            yield from self.ask(st, iv, message(iv) if message else "", ok=True)

        return handler

    def on_submit(self, text, st, spoken=None):
        iv = self.interview(st)
        if iv is None:
            yield self.view(st, None, "Start an interview first.")
            return
        # a recording's delivery belongs to the turn it answered; a stale one (skipped, resumed) is dropped
        same_turn = spoken and iv.current and spoken.get("sid") == iv.session_id and spoken.get("idx") == iv.current.idx
        try:
            iv.submit(text or "", delivery=spoken["delivery"] if same_turn else None)
        except (AnswerError, StoreError) as e:  # the answer stays in the box to send again
            yield self.view(st, iv, str(e))
            return
        yield from self.ask(st, iv, answer="")

    def on_skip(self, st):
        iv = self.interview(st)
        if iv is None or iv.current is None:
            yield self.view(st, iv, "Nothing to skip.")
            return
        iv.skip()
        yield from self.ask(st, iv)

    def on_end(self, st):
        iv = self.interview(st)
        if iv is None:
            return self.view(st, None, "Start an interview first.")
        iv.end()
        return self.view(st, iv, "Interview ended.", ok=True)

    def drill_weak(self, st) -> Interview:
        """The drill-now session over this tab's finished interview."""
        iv = self.interview(st)
        if iv is None:
            raise ValueError("Start an interview first.")
        if iv.current is not None:
            raise ValueError("Finish or end this interview first; then drill its weak answers.")
        return self.ctx.engine.drill_now(iv.session_id)

    def _bind(self) -> None:
        vis = dict(api_visibility="private", **self.ctx.model_queue)
        self.submitted = self.submit.click(self.on_submit, [self.answer, self.state, self.spoken], self.outs, **vis)
        self.skip.click(self.on_skip, [self.state], self.outs, **vis)
        self.end.click(self.on_end, [self.state], self.outs, api_visibility="private")
        drill_msg = (lambda iv: f"Drilling {len(iv.info.plan)} weak key point(s) now; the SM-2 schedule still "
                                f"decides what comes back on later days (Drill tab).")
        self.drill_now.click(self.opener(self.drill_weak, drill_msg), [self.state], self.outs, **vis)
