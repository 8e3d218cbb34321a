"""The Interview tab: mode (full loop, focus topic, drill), focus topic, length, persona, the model in use (and the
picker of a --model folder), resuming an unfinished session, and the interview panel."""

from __future__ import annotations

import gradio as gr

from interviewer.session import personas
from interviewer.ui.context import UIContext
from interviewer.ui.loading import model_info_html
from interviewer.ui.models import ModelPicker
from interviewer.ui.panel import Panel
from interviewer.ui.voice import VoiceInput


class InterviewTab:
    """Components the page-level loading poll updates: the resume list and the model line."""

    def __init__(self, ctx: UIContext):
        self.ctx = ctx
        kb, settings = ctx.kb, ctx.settings
        with gr.Tab("Interview", id="interview") as self.tab:
            with gr.Row():
                mode = gr.Radio([("Full loop", "full"), ("Focus topic", "focus"), ("Drill (due today)", "drill")],
                                value="full", label="Mode", elem_id="mode")
                topics = [(f"{r.jd_skill.en} ({r.id})", r.id) for r in kb.match.rows] + \
                         [(f"{t.name.en} ({t.id})", t.id) for t in kb.match.extra_topics]
                focus = gr.Dropdown(topics, value=None, label="Focus topic (focus mode)", elem_id="focus")
                n_q = gr.Slider(1, 15, value=5, step=1, label="Questions", elem_id="n")
                start = ctx.gate(gr.Button("Start interview", variant="primary", elem_id="start",
                                           interactive=ctx.loading.ready))
            with gr.Row():
                names = personas()
                default = settings.persona or "interviewer_system"
                persona = gr.Dropdown([(n.replace("_", " "), n) for n in names], label="Interviewer persona",
                                      value=default if default in names else (names[0] if names else None),
                                      elem_id="persona",
                                      info="the system prompt of prompts/persona_<name>.md; it shapes the "
                                           "model's wording when question adaptation is on")
                self.model_info = gr.HTML(model_info_html(ctx.loading.engine), elem_id="model-info", js_on_load=None)
                ModelPicker(ctx, self.model_info)
            with gr.Accordion("Resume an unfinished session", open=False, elem_id="resume-box"):
                with gr.Row():
                    self.resume_pick = gr.Dropdown([], label="Unfinished sessions (status active)",
                                                   elem_id="resume-session", allow_custom_value=False)
                    refresh = gr.Button("Refresh list", elem_id="resume-refresh")
                    resume = ctx.gate(gr.Button("Resume", elem_id="resume", interactive=ctx.loading.ready))
            panel = Panel(ctx, "")
            VoiceInput(ctx, panel)

        vis = dict(api_visibility="private", **ctx.model_queue)
        start.click(panel.opener(self.start), [mode, focus, n_q, persona, panel.state], panel.outs, **vis)
        # a resumed session keeps its stored persona, whatever the dropdown says
        resume.click(panel.opener(self.resume), [self.resume_pick, panel.state], panel.outs, **vis)
        refresh.click(self.active_sessions, None, [self.resume_pick], api_visibility="private")
        self.tab.select(self.active_sessions, None, [self.resume_pick], api_visibility="private")

    def start(self, mode, focus, n, persona, _st):
        return self.ctx.engine.start(mode=mode or "full", focus=focus or None, n_questions=int(n),
                                     persona=persona or None)

    def resume(self, sid, _st):
        if not sid:
            raise ValueError("Pick an unfinished session to resume (Refresh list).")
        iv = self.ctx.engine.interview(sid)  # resumes at the right turn (an unanswered question is asked again)
        if iv.current is None:
            raise ValueError(f"Session {sid} is finished; pick it in Replay to read it.")
        return iv

    def active_sessions(self):
        """The unfinished sessions for the resume list (unchanged while the engine loads)."""
        eng = self.ctx.loading.engine
        if eng is None:
            return gr.update()
        ss = [s for s in eng.sessions() if s.status == "active"]
        choices = [(f"{s.created_at} · {s.mode} · {s.persona.replace('_', ' ')} · {s.turns} turn(s) · {s.id}", s.id)
                   for s in ss]
        return gr.update(choices=choices, value=choices[0][1] if choices else None)
