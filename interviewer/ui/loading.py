"""The engine loading in the background while the page is already served: progress, readiness, errors,
and the model line the page shows once it is loaded."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Callable

import gradio as gr

from interviewer.session import Engine
from interviewer.ui.render import esc


class Loading:
    """The engine, loaded in a background thread while the page is already served.

    The page polls status() (a gr.Timer) to show a progress line and keeps Start disabled until the engine
    is ready; UI events that need the engine before then get a clear "still loading" message, and the named
    API endpoints wait for it (wait()). Loading.loaded(engine) wraps an engine that is already loaded."""

    def __init__(self, settings, kb=None):
        self.settings = settings
        self.kb = kb  # the knowledge base as validated before launch (title and focus topics of the page)
        self.frac = 0.0
        self.message = "starting"
        self.engine: Engine | None = None
        self.error: str | None = None
        self._done = threading.Event()
        self.thread: threading.Thread | None = None

    @classmethod
    def loaded(cls, engine: Engine) -> "Loading":
        ld = cls(engine.settings, engine.kb)
        ld.engine, ld.frac, ld.message = engine, 1.0, "ready"
        ld._done.set()
        return ld

    def start(self, progress: Callable[[float, str], None] | None = None,
              on_ready: Callable[[Engine], None] | None = None,
              on_error: Callable[[BaseException], None] | None = None) -> threading.Thread:
        def say(frac: float, msg: str) -> None:
            self.frac, self.message = max(self.frac, float(frac)), msg
            if progress:
                progress(frac, msg)

        def run() -> None:
            try:
                engine = Engine.load(self.settings, progress=say)
                if on_ready:
                    on_ready(engine)
                self.engine, self.frac, self.message = engine, 1.0, "ready"
            except BaseException as e:  # shown in the page and by the API instead of a dead thread
                self.error = f"{type(e).__name__}: {e}" if not str(e) else str(e)
                self.message = "loading failed"
                if on_error:
                    on_error(e)
            finally:
                self._done.set()

        self.thread = threading.Thread(target=run, name="engine-load", daemon=True)
        self.thread.start()
        return self.thread

    @property
    def done(self) -> bool:
        return self._done.is_set()

    @property
    def ready(self) -> bool:
        return self.engine is not None

    def status(self) -> dict:
        return {"ready": self.ready, "progress": round(self.frac, 3), "message": self.message, "error": self.error}

    def describe(self) -> str:
        if self.error:
            return f"The app failed to load: {self.error}"
        if self.ready:
            return "ready"
        return f"The app is still loading ({self.frac * 100:.0f}%: {self.message}); try again in a moment."

    def get(self) -> Engine:
        """The engine now, or gr.Error saying that it is still loading (or why it failed)."""
        if self.engine is None:
            raise gr.Error(self.describe())
        return self.engine

    def wait(self, timeout: float | None = None) -> Engine:
        """The engine, waiting for loading to finish; gr.Error when it failed or did not finish in time."""
        self._done.wait(timeout)
        return self.get()


class LiveEngine:
    """Stands in for the engine inside the UI's event handlers: every attribute comes from the loaded
    engine, or raises gr.Error("still loading ...") before it is ready."""

    def __init__(self, loading: Loading):
        self._loading = loading

    def __getattr__(self, name):
        return getattr(self._loading.get(), name)


def render_loading(ld: Loading) -> str:
    if ld.error:
        return (f'<div class="loading failed" role="alert">Loading failed: {esc(ld.error)}<br><small>Fix the '
                "problem and restart <code>python app.py</code>.</small></div>")
    if ld.ready:
        return ""
    pct = int(ld.frac * 100)
    return (f'<div class="loading" role="status" data-progress="{pct}"><progress max="100" value="{pct}"></progress>'
            f"Loading {pct}% — {esc(ld.message)}. Start is enabled once the model and the index are ready.</div>")


def model_info_html(engine: Engine | None) -> str:
    """The model in use: backend, model file, GPU offload and layers (engine.llm.info())."""
    if engine is None:
        return '<div class="model-info" id="model-info-text">Model: loading…</div>'
    try:
        info = engine.llm.info() if engine.llm else {}
    except Exception:  # info() is decoration, never fatal
        info = {}
    if not info:
        return f'<div class="model-info" id="model-info-text">Model: {esc(engine.model_name)}</div>'
    if info.get("backend") == "llama-cpp-python":
        gpu = ("GPU offload supported" if info.get("gpu_offload_supported") else
               "GPU offload not supported (CPU build)")
        text = (f"Model: {Path(str(info.get('model'))).name} · llama-cpp-python · {gpu} · "
                f"{info.get('layers_offloaded')}/{info.get('n_layers')} layers on the GPU · context {info.get('n_ctx')}")
        title = str(info.get("model"))
    else:
        text = f"Model: {info.get('model')} · {info.get('backend')} at {info.get('url')}"
        title = str(info.get("url"))
    caps = getattr(engine, "capabilities", None)
    trusted = f'<br><small id="model-capabilities">{esc(caps.summary())}</small>' if caps else ""
    return f'<div class="model-info" id="model-info-text" title="{esc(title)}">{esc(text)}{trusted}</div>'
