"""The model picker: a dropdown of the GGUFs in the --model folder; choosing one loads it into the engine, with
progress, keeping every session and saved turn, and keeping the loaded model when the new one fails."""

from __future__ import annotations

import time
from typing import Callable

import gradio as gr

from interviewer.llm import ModelError
from interviewer.ui.context import UIContext
from interviewer.ui.loading import model_info_html
from interviewer.ui.render import status_html


def model_choices(settings) -> list[str]:
    """The GGUF names to pick from: those of the --model folder; none for one model file or a model server."""
    if settings.llm_url or not settings.model or not settings.model.is_dir():
        return []
    try:
        return [p.name for p in settings.model_files()]
    except FileNotFoundError:  # an empty folder: the load itself reports it
        return []


def switch(engine, name: str | None, progress: Callable[[float, str], None] | None = None) -> tuple[str, str]:
    """Load the chosen GGUF into the engine; the status line and the model line to show."""
    current = engine.llm.name if engine.llm else "none"
    if not name or name == current:
        return status_html(f"{current} is the model in use."), model_info_html(engine)
    t0 = time.perf_counter()
    try:
        engine.switch_model(name, progress=progress)
    except (ModelError, FileNotFoundError) as e:
        return status_html(f"Not switched: {e}. Still using {current}."), model_info_html(engine)
    return (status_html(f"Now using {name} (loaded and probed in {time.perf_counter() - t0:.1f} s); sessions and "
                        "saved answers are unchanged.", ok=True), model_info_html(engine))


class ModelPicker:
    """Shown only when --model names a folder of GGUFs."""

    def __init__(self, ctx: UIContext, model_info: gr.HTML):
        self.ctx = ctx
        choices = model_choices(ctx.settings)
        current = ctx.settings.model_file or (choices[0] if choices else None)
        with gr.Column(visible=bool(choices)):
            self.pick = gr.Dropdown(choices, value=current, label="Model (GGUFs in the --model folder)",
                                    elem_id="model-pick", info="choosing one loads it; interviews continue with it")
            self.status = gr.HTML(status_html(), elem_id="model-status", js_on_load=None)
        self.pick.input(self.choose, [self.pick], [self.status, model_info], api_visibility="private",
                        **ctx.model_queue)

    def choose(self, name, progress=gr.Progress()):
        return switch(self.ctx.loading.get(), name, lambda f, m: progress(f, desc=m))
