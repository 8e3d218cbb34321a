"""Browser UI (gradio Blocks): one module per tab (interview, drill, replay, progress, knowledge), the shared
interview panel, pure HTML rendering, charts, the background load and the named API. build() only composes.

A thin shell over the session API in interviewer.session: no grading, planning or storage here.
"""

from __future__ import annotations

import gradio as gr

from interviewer.session import Engine
from interviewer.ui import api
from interviewer.ui.context import UIContext
from interviewer.ui.drill import DrillTab
from interviewer.ui.interview import InterviewTab
from interviewer.ui.knowledge import KnowledgeTab
from interviewer.ui.loading import Loading, model_info_html, render_loading
from interviewer.ui.progress import ProgressTab
from interviewer.ui.render import esc
from interviewer.ui.replay import ReplayTab
from interviewer.ui.style import CSS, JS

__all__ = ["Loading", "build", "launch_kwargs"]


def build(source: Engine | Loading) -> gr.Blocks:
    """The gradio app over an Engine, or over a Loading that loads one in the background."""
    ld = source if isinstance(source, Loading) else Loading.loaded(source)
    ctx = UIContext(ld, ld.kb if ld.kb is not None else ld.wait().kb)
    with gr.Blocks(title="Mock interviewer") as demo:
        gr.HTML(f'<h2 style="margin:4px 0">Mock interviewer — {esc(ctx.kb.jd.title)}</h2>', js_on_load=None)
        loading_line = gr.HTML(render_loading(ld), elem_id="loading", js_on_load=None)
        with gr.Tabs():
            interview = InterviewTab(ctx)
            DrillTab(ctx)
            ReplayTab(ctx)
            ProgressTab(ctx)
            KnowledgeTab(ctx)
        api.register(ctx)

        # A timer polls the background load (progress line, model line, gated buttons) and switches itself off
        # once loading has finished; pages opened later get the final state on load.
        timer = gr.Timer(0.5, active=not ld.done)

        def poll():
            ok = ld.ready
            return (render_loading(ld), model_info_html(ld.engine),
                    interview.active_sessions() if ok else gr.update(),
                    *[gr.update(interactive=ok) for _ in ctx.gated], gr.Timer(active=not ld.done))

        outs = [loading_line, interview.model_info, interview.resume_pick, *ctx.gated, timer]
        timer.tick(poll, None, outs, api_visibility="private", show_progress="hidden")
        demo.load(poll, None, outs, api_visibility="private", show_progress="hidden")
    demo.queue(default_concurrency_limit=4)
    return demo


def launch_kwargs(settings) -> dict:
    """launch() arguments: loopback by default, never a share link, exports downloadable, our CSS and JS."""
    kw = dict(server_name=settings.host, server_port=settings.port, share=False, css=CSS, js=JS,
              allowed_paths=[str(settings.data_dir / "exports")], footer_links=["api"], show_error=True)
    if settings.auth:
        user, _, pw = settings.auth.partition(":")
        kw["auth"] = (user, pw)
    return kw
