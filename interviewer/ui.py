"""Browser UI (gradio Blocks): Interview, Drill, Replay, Progress and Knowledge tabs.

A thin shell over the session API in interviewer.session: no grading or planning here. Every piece of
user or knowledge text is HTML-escaped before it reaches the page; each browser tab keeps its own
session id in a gr.State; every event that uses the model shares one concurrency id so requests queue.
"""

from __future__ import annotations

import html
import shutil
import threading
from pathlib import Path
from typing import Callable, Iterator

import gradio as gr

from interviewer.drill import due
from interviewer.knowledge import KnowledgeError, default_knowledge_dir
from interviewer.report import scores_by_area, summarize, to_markdown, weakest_points
from interviewer.session import AnswerError, Engine, Interview, fold_chunk, personas
from interviewer.store import StoreError

MODEL_QUEUE = "model"  # the one concurrency id of every event that touches the model or the index
LEVEL_COLOURS = {"high": "#1b7f3b", "medium": "#b58900", "medium_low": "#cb4b16", "low": "#c62828"}
STATUS_COLOURS = {"covered": "#1b7f3b", "partial": "#b58900", "missed": "#c62828"}

CSS = """
.conv { display: flex; flex-direction: column; gap: 8px; max-height: 520px; overflow-y: auto; }
.msg { padding: 8px 12px; border-radius: 10px; white-space: pre-wrap; word-break: break-word; max-width: 92%; }
.msg.q { background: #eef3fb; color: #111; align-self: flex-start; border: 1px solid #c9d6ee; }
.msg.a { background: #f3f3f3; color: #111; align-self: flex-end; border: 1px solid #ddd; }
.msg .who { font-size: 0.75em; color: #666; display: block; margin-bottom: 2px; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 9px; color: #fff; font-size: 0.8em; }
.card { border: 1px solid #ccc; border-radius: 10px; padding: 12px 16px; background: #fff; color: #111; }
.card h3 { margin: 4px 0 8px 0; }
.card .score { font-size: 2em; font-weight: 700; }
.card table, .ktable { border-collapse: collapse; width: 100%; margin: 6px 0; }
.card td, .card th, .ktable td, .ktable th { border: 1px solid #ddd; padding: 4px 6px; vertical-align: top;
  text-align: left; color: #111; }
.card mark { background: #fff3a0; padding: 0 2px; }
.card .answer { white-space: pre-wrap; background: #fafafa; border-left: 3px solid #999; padding: 6px 10px; }
.card .pre { white-space: pre-wrap; }
.bar { display: inline-block; height: 10px; background: #4a7bd0; border-radius: 3px; vertical-align: middle; }
.flag { color: #c62828; }
.note { color: #555; font-style: italic; }
.status-line { color: #b00020; min-height: 1.2em; }
.attempts { display: flex; gap: 10px; overflow-x: auto; }
.attempts > div { flex: 1 1 0; min-width: 220px; border: 1px solid #ccc; border-radius: 8px; padding: 8px;
  white-space: pre-wrap; background: #fff; color: #111; }
.kdoc { white-space: pre-wrap; }
.loading { padding: 6px 10px; border-radius: 8px; background: #fff8e1; color: #111; border: 1px solid #e6c84f; }
.loading.failed { background: #fdecea; border-color: #c62828; color: #8a1c1c; }
.loading progress { width: 240px; vertical-align: middle; margin-right: 8px; }
.model-info { color: #444; font-size: 0.85em; }
"""

# Ctrl+Enter (or Cmd+Enter) in an answer box presses the submit button next to it.
JS = """
() => {
  document.addEventListener('keydown', (e) => {
    if (!(e.key === 'Enter' && (e.ctrlKey || e.metaKey))) return;
    const box = e.target && e.target.closest ? e.target.closest('.answer-box') : null;
    if (!box) return;
    const btn = document.getElementById(box.id.replace(/answer$/, 'submit'));
    if (btn) { e.preventDefault(); btn.click(); }
  }, true);
}
"""


def esc(text: object) -> str:
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
    return f'<span class="badge" style="background:{colour}">{esc(text)}</span>'


def score_colour(score: float | None) -> str:
    if score is None:
        return "#777"
    return "#1b7f3b" if score >= 4 else "#b58900" if score >= 3 else "#c62828"


# --------------------------------------------------------------------------- rendering


def render_conversation(iv: Interview | None, shown: int | None, partial: str | None = None) -> str:
    """The interview so far: every asked question, every answer with its score; the pending question only
    once it has been shown (or the text streaming in right now)."""
    if iv is None:
        return '<div class="conv" id="conv-empty"><em>Press Start to begin an interview.</em></div>'
    parts = [f'<div class="conv" data-session="{esc(iv.session_id)}">']
    for t in iv.turns:
        pending = t.answer is None
        if pending and t is iv.current and partial is not None:
            text = partial
        elif pending and (shown != t.idx):
            continue
        else:
            text = t.question
        who = "Interviewer — follow-up" if t.is_follow_up else f"Interviewer — {t.topic}"
        cls = "msg q pending" if pending and partial is None else "msg q streaming" if pending else "msg q"
        parts.append(f'<div class="{cls}" data-idx="{t.idx}"><span class="who">{esc(who)}</span>{esc(text)}</div>')
        if t.answer is not None:
            if t.answer == "":
                parts.append('<div class="msg a"><span class="who">You</span><em>(skipped)</em></div>')
            else:
                sc = f" {badge(f'{t.grade.score:.1f}/5', score_colour(t.grade.score))}" if t.grade else ""
                parts.append(f'<div class="msg a"><span class="who">You{sc}</span>{esc(t.answer)}</div>')
    parts.append("</div>")
    return "".join(parts)


def render_grade(t, g, heading: str | None = None) -> str:
    """The grade card of one answered turn: score, sub-scores, key points with evidence highlighted in the
    answer, red flags, how to say it (Chinese on demand), the improved answer."""
    if g is None:
        return ""
    sub = g.sub_scores
    rows = []
    for name, v in (("coverage", sub.coverage), ("technical accuracy", sub.technical_accuracy),
                    ("honesty / boundary", sub.honesty_boundary), ("structure", sub.structure)):
        rows.append(f'<tr><td>{esc(name)}</td><td>{v:.1f}</td><td><span class="bar" style="width:{int(v * 24)}px">'
                    f"</span></td></tr>")
    kps = []
    for k in g.key_points:
        ev = f"“<mark>{esc(k.evidence)}</mark>”" if k.evidence else ""
        kps.append(f"<tr><td>{esc(k.point)}</td><td>{badge(k.status, STATUS_COLOURS.get(k.status, '#777'))}</td>"
                   f"<td>{ev}</td></tr>")
    flags = "".join(f'<li class="flag">{esc(h.flag)} — “{esc(h.quote)}”</li>' for h in g.red_flags)
    notes = "".join(f'<li class="note">{esc(n)}</li>' for n in g.notes)
    quotes = [k.evidence for k in g.key_points if k.evidence] + [h.quote for h in g.red_flags]
    zh = (f"<details><summary>中文 (original)</summary><div class=\"pre\" lang=\"zh\">{esc(g.how_to_say_zh)}</div>"
          f"</details>") if g.how_to_say_zh else ""
    how = (f"<h4>How to say it</h4><div class=\"pre\">{esc(g.how_to_say)}</div>{zh}") if (g.how_to_say or zh) else ""
    title = heading or f"Question {t.idx + 1}" + (" (follow-up)" if t.is_follow_up else "")
    return (
        f'<div class="card grade-card" data-score="{g.score:.2f}">'
        f'<h3>{esc(title)}: <span class="score" style="color:{score_colour(g.score)}">{g.score:.1f}</span> / 5</h3>'
        f'<div class="pre"><strong>Q:</strong> {esc(t.question)}</div>'
        f"<table>{''.join(rows)}</table>"
        f"<h4>Key points</h4><table><tr><th>key point</th><th>status</th><th>evidence from your answer</th></tr>"
        f"{''.join(kps)}</table>"
        f'<h4>Your answer</h4><div class="answer">{highlight(t.answer or "", quotes)}</div>'
        + (f"<h4>Red flags</h4><ul>{flags}</ul>" if flags else "")
        + f'<h4>Feedback</h4><div class="pre">{esc(g.feedback)}</div>'
        + how
        + f'<details open><summary><strong>A better answer</strong></summary><div class="pre">'
          f"{esc(g.improved_answer)}</div></details>"
        + (f"<ul>{notes}</ul>" if notes else "")
        + "</div>"
    )


def render_summary(s: dict) -> str:
    if not s:
        return ""
    areas = "".join(f"<tr><td>{esc(a)}</td><td>{badge(f'{v:.1f}', score_colour(v))}</td></tr>"
                    for a, v in sorted(s.get("by_area", {}).items(), key=lambda kv: kv[1]))
    weak = "".join(f"<li>{esc(p['point'])} <small>({esc(p['question_id'])}, {esc(p['status'])})</small></li>"
                   for p in s.get("weakest", []))
    mean = s.get("mean_score")
    return (f'<div class="card summary-card"><h3>Session summary — mean '
            f'{("%.1f" % mean) if mean is not None else "-"} / 5 '
            f'({s.get("answered", 0)} answers, {s.get("questions", 0)} questions)</h3>'
            f"<h4>Scores per JD area</h4><table><tr><th>JD area</th><th>mean</th></tr>{areas or '<tr><td colspan=2>no graded answers</td></tr>'}</table>"
            f"<h4>Three weakest points</h4><ol>{weak or '<li>none</li>'}</ol></div>")


def render_transcript(engine: Engine, tr) -> str:
    s = tr.session
    head = (f'<div class="card transcript" data-session="{esc(s.id)}"><h3>Session {esc(s.id)}</h3>'
            f"<p>{esc(s.created_at)} · mode {esc(s.mode)}{(' · focus ' + esc(s.focus)) if s.focus else ''} · "
            f"persona {esc(s.persona.replace('_', ' '))} · model {esc(s.model)} · status {esc(s.status)} · "
            f"mean {esc(s.mean_score if s.mean_score is not None else '-')}"
            f"</p></div>")
    parts = [head]
    for t in tr.turns:
        if t.grade is not None:
            parts.append(render_grade(t, t.grade))
        else:
            state = "not answered yet" if t.answer is None else "skipped"
            parts.append(f'<div class="card"><h3>Question {t.idx + 1}{" (follow-up)" if t.is_follow_up else ""}: '
                         f"{esc(state)}</h3><div class=\"pre\">{esc(t.question)}</div></div>")
    summ = summarize(engine.kb, tr)
    if summ["answered"]:
        parts.append(render_summary(summ))
    return "".join(parts)


def render_attempts(turns: list) -> str:
    if not turns:
        return "<em>No attempts yet.</em>"
    cols = []
    for t in turns:
        sc = t.grade.score if t.grade else None
        cols.append(f"<div><strong>{esc((t.answered_at or t.created_at or '')[:16])}</strong> "
                    f"{badge(f'{sc:.1f}/5' if sc is not None else 'skipped', score_colour(sc))}"
                    f"<br><small>session {esc(t.session_id)}</small><br>{esc(t.answer or '')}</div>")
    return f'<div class="attempts">{"".join(cols)}</div>'


def render_match(kb) -> str:
    rows = []
    for r in kb.match.rows:
        rows.append(f"<tr><td>{esc(r.jd_skill.en)}<br><small>{esc(r.jd_skill.zh)}</small></td>"
                    f"<td>{esc(r.cv_evidence.en)}</td>"
                    f'<td data-level="{esc(r.match)}">{badge(r.match, LEVEL_COLOURS.get(r.match, "#777"))}</td>'
                    f"<td>{esc(r.risk.en)}</td><td>{esc(r.how_to_say.en)}</td></tr>")
    return ('<table class="ktable match-table"><tr><th>JD skill</th><th>CV evidence</th><th>match</th><th>risk</th>'
            f"<th>how to say it</th></tr>{''.join(rows)}</table>")


def render_jd(kb) -> str:
    jd = kb.jd
    def items(title, xs):
        return f"<h4>{esc(title)}</h4><ul>" + "".join(f"<li>{esc(i.id)}: {esc(i.text)}</li>" for i in xs) + "</ul>" if xs else ""
    return (f'<div class="card kdoc-card"><h3>{esc(jd.title)} {esc(jd.job_id)}</h3><p>{esc(jd.company)}</p>'
            f'<div class="kdoc">{esc(jd.summary)}</div>{items("Duties", jd.duties)}'
            f'{items("Requirements", jd.requirements)}{items("Pluses", jd.pluses)}</div>')


def render_cv(kb) -> str:
    cv = kb.cv
    areas = "".join(f"<h4>{esc(a.name)}</h4><ul>" + "".join(f"<li>{esc(i.text)}</li>" for i in a.items) + "</ul>"
                    for a in cv.areas)
    return f'<div class="card kdoc-card"><h3>{esc(cv.name)}</h3><div class="kdoc">{esc(cv.summary)}</div>{areas}</div>'


def render_positioning(kb) -> str:
    return '<div class="card kdoc-card">' + "".join(
        f'<p class="kdoc">{esc(p.en)}</p>' + (f"<details><summary>中文</summary><p class=\"kdoc\">{esc(p.zh)}</p></details>"
                                             if p.zh else "")
        for p in kb.positioning.paragraphs) + "</div>"


def status_html(msg: str = "") -> str:
    return f'<div class="status-line" role="status">{esc(msg)}</div>'


# --------------------------------------------------------------------------- plots


def radar_figure(by_area: dict[str, float]):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6, 5.5))
    if len(by_area) < 3:
        ax = fig.add_subplot(111)
        names = list(by_area) or ["no graded answers yet"]
        ax.barh(names, [by_area.get(n, 0) for n in names], color="#4a7bd0")
        ax.set_xlim(0, 5)
        ax.set_title("Mean score per JD area")
        fig.tight_layout()
        return fig
    import math

    names = list(by_area)
    vals = [by_area[n] for n in names]
    angles = [2 * math.pi * i / len(names) for i in range(len(names))]
    ax = fig.add_subplot(111, polar=True)
    ax.plot(angles + angles[:1], vals + vals[:1], color="#4a7bd0")
    ax.fill(angles + angles[:1], vals + vals[:1], color="#4a7bd0", alpha=0.25)
    ax.set_xticks(angles)
    ax.set_xticklabels([n if len(n) <= 22 else n[:21] + "…" for n in names], fontsize=7)
    ax.set_ylim(0, 5)
    ax.set_title("Mean score per JD area (0-5)")
    fig.tight_layout()
    return fig


def trend_figure(sessions: list) -> "object":
    from matplotlib.figure import Figure

    pts = [(s.created_at, s.mean_score) for s in sorted(sessions, key=lambda s: s.created_at) if s.mean_score is not None]
    fig = Figure(figsize=(6, 4))
    ax = fig.add_subplot(111)
    if pts:
        ax.plot(range(1, len(pts) + 1), [p[1] for p in pts], marker="o", color="#1b7f3b")
        ax.set_xticks(range(1, len(pts) + 1))
    ax.set_ylim(0, 5)
    ax.set_xlabel("session (oldest first)")
    ax.set_ylabel("mean score")
    ax.set_title("Score trend over sessions" + ("" if pts else " — no graded sessions yet"))
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


# --------------------------------------------------------------------------- the app


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


class _LiveEngine:
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
    return f'<div class="model-info" id="model-info-text" title="{esc(title)}">{esc(text)}</div>'


def question_text(iv: Interview) -> str:
    """The pending question in full, consuming the stream (for the API endpoints)."""
    text = ""
    for chunk in iv.stream_question():
        text = fold_chunk(text, chunk)
    return text.strip() or (iv.current.question if iv.current else "")


API_LOAD_WAIT_S = 900  # the named API endpoints wait this long for the engine to finish loading


def build(source: Engine | Loading) -> gr.Blocks:
    """The gradio app over an Engine, or over a Loading that loads one in the background."""
    ld = source if isinstance(source, Loading) else Loading.loaded(source)
    engine = _LiveEngine(ld)
    settings = ld.settings
    kb0 = ld.kb if ld.kb is not None else ld.wait().kb
    exports = settings.data_dir / "exports"
    q_limit = dict(concurrency_id=MODEL_QUEUE, concurrency_limit=1)
    gated: list = []  # buttons disabled until the engine is ready

    def get_iv(state) -> Interview | None:
        sid = (state or {}).get("sid")
        if not sid:
            return None
        try:
            return engine.interview(sid)
        except KeyError:
            return None

    def model_line() -> str:
        eng = ld.engine
        if eng is None:
            return "Model: loading…" if not ld.error else "Model: not loaded"
        try:
            info = eng.llm.info() if eng.llm else {}
        except Exception:  # info() is decoration, never fatal
            info = {}
        off = info.get("layers_offloaded")
        gpu = f" · GPU layers {off}/{info.get('n_layers')}" if off is not None else ""
        return f"Model: {eng.model_name} ({info.get('backend', 'no model')}{gpu})"

    def header() -> str:
        return (f'<div style="display:flex;justify-content:space-between;align-items:baseline">'
                f'<h2 style="margin:4px 0">Mock interviewer — {esc(kb0.jd.title)}</h2>'
                f'<small id="model-line">{esc(model_line())}</small></div>')

    def active_sessions():
        eng = ld.engine
        if eng is None:
            return gr.update()
        ss = [s for s in eng.sessions() if s.status == "active"]
        choices = [(f"{s.created_at} · {s.mode} · {s.persona.replace('_', ' ')} · {s.turns} turn(s) · {s.id}", s.id)
                   for s in ss]
        return gr.update(choices=choices, value=choices[0][1] if choices else None)

    with gr.Blocks(title="Mock interviewer") as demo:
        head = gr.HTML(header(), js_on_load=None)
        loading_line = gr.HTML(render_loading(ld), elem_id="loading", js_on_load=None)
        resume_pick = None

        # ------------------------------------------------------------------ interview panels

        def panel(prefix: str, drill: bool):
            """One interview panel (settings, conversation, answer box, grade card, buttons); used by the
            Interview tab and the Drill tab, each with its own per-browser-tab state."""
            state = gr.State(None)
            with gr.Row():
                if drill:
                    mode = gr.State("drill")
                    focus = gr.State("")
                else:
                    mode = gr.Radio([("Full loop", "full"), ("Focus topic", "focus"), ("Drill (due today)", "drill")],
                                    value="full", label="Mode", elem_id=f"{prefix}mode")
                    topics = [(f"{r.jd_skill.en} ({r.id})", r.id) for r in kb0.match.rows] + \
                             [(f"{t.name.en} ({t.id})", t.id) for t in kb0.match.extra_topics]
                    focus = gr.Dropdown(topics, value=None, label="Focus topic (focus mode)", elem_id=f"{prefix}focus")
                n_q = gr.Slider(1, 15, value=3 if drill else 5, step=1, label="Questions", elem_id=f"{prefix}n")
                start = gr.Button("Start drill" if drill else "Start interview", variant="primary",
                                  elem_id=f"{prefix}start", interactive=ld.ready)
                gated.append(start)
            if drill:
                persona = gr.State(None)  # the configured default persona
                resume_dd = resume_btn = resume_refresh = model_info = None
            else:
                with gr.Row():
                    names = personas()
                    default = settings.persona or "interviewer_system"
                    persona = gr.Dropdown([(n.replace("_", " "), n) for n in names], label="Interviewer persona",
                                          value=default if default in names else (names[0] if names else None),
                                          elem_id=f"{prefix}persona",
                                          info="the system prompt of prompts/persona_<name>.md; it shapes the "
                                               "model's wording when question adaptation is on")
                    model_info = gr.HTML(model_info_html(ld.engine), elem_id=f"{prefix}model-info", js_on_load=None)
                with gr.Accordion("Resume an unfinished session", open=False, elem_id=f"{prefix}resume-box"):
                    with gr.Row():
                        resume_dd = gr.Dropdown([], label="Unfinished sessions (status active)",
                                                elem_id=f"{prefix}resume-session", allow_custom_value=False)
                        resume_refresh = gr.Button("Refresh list", elem_id=f"{prefix}resume-refresh")
                        resume_btn = gr.Button("Resume", elem_id=f"{prefix}resume", interactive=ld.ready)
                        gated.append(resume_btn)
            status = gr.HTML(status_html(), elem_id=f"{prefix}status", js_on_load=None)
            conv = gr.HTML(render_conversation(None, None), elem_id=f"{prefix}conversation", js_on_load=None)
            answer = gr.Textbox(lines=5, max_lines=20, label="Your answer (Ctrl+Enter to send)",
                                elem_id=f"{prefix}answer", elem_classes=["answer-box"])
            with gr.Row():
                submit = gr.Button("Submit answer", variant="primary", elem_id=f"{prefix}submit")
                follow = gr.Button("Follow-up", interactive=False, elem_id=f"{prefix}followup")
                nxt = gr.Button("Next question", interactive=False, elem_id=f"{prefix}next")
                skip = gr.Button("Skip", elem_id=f"{prefix}skip")
                end = gr.Button("End", variant="stop", elem_id=f"{prefix}end")
            card = gr.HTML("", elem_id=f"{prefix}grade-card", js_on_load=None)
            attempts = gr.HTML("", elem_id=f"{prefix}attempts", js_on_load=None) if drill else None
            summary = gr.HTML("", elem_id=f"{prefix}summary", js_on_load=None)

            outs = [state, conv, status, card, summary, follow, nxt]
            if attempts is not None:
                outs.append(attempts)

            def view(st, iv, msg="", card_html=None, partial=None, awaiting=False):
                """awaiting: a grade was just shown and the pending question waits for Follow-up / Next."""
                done = iv is not None and iv.current is None
                pend = iv.current if iv is not None else None
                can_follow = awaiting and pend is not None and pend.is_follow_up
                res = [st, render_conversation(iv, (st or {}).get("shown"), partial), status_html(msg),
                       gr.update() if card_html is None else card_html,
                       render_summary(iv.summary()) if done else "",
                       gr.update(interactive=can_follow), gr.update(interactive=awaiting and pend is not None)]
                if attempts is not None:
                    res.append(gr.update())
                return tuple(res)

            def ask(st, iv, card_html=None) -> Iterator[tuple]:
                """Stream the pending question into the conversation, then mark it shown."""
                if iv.current is None:
                    st["shown"] = None
                    yield view(st, iv, "The interview is over.", card_html)
                    return
                text = ""
                for chunk in iv.stream_question():
                    text = fold_chunk(text, chunk)
                    yield view(st, iv, "", card_html, partial=text)
                st["shown"] = iv.current.idx if iv.current else None
                yield view(st, iv, "", card_html)

            def on_start(mode_v, focus_v, n_v, persona_v, st):
                st = {"sid": None, "shown": None}
                try:
                    iv = engine.start(mode=mode_v or "full", focus=(focus_v or None), n_questions=int(n_v),
                                      persona=persona_v or None)
                except ValueError as e:
                    yield view(st, None, str(e), "")
                    return
                st["sid"] = iv.session_id
                yield from ask(st, iv, card_html="")

            def on_resume(sid, st):
                if not sid:
                    yield view(st, get_iv(st), "Pick an unfinished session to resume (Refresh list).")
                    return
                try:
                    iv = engine.interview(sid)  # resumes at the right turn (an unanswered question is asked again)
                except KeyError:
                    yield view(st, get_iv(st), f"No session {sid}.")
                    return
                if iv.current is None:
                    yield view(st, get_iv(st), f"Session {sid} is finished; pick it in Replay to read it.")
                    return
                st = {"sid": iv.session_id, "shown": None}
                yield from ask(st, iv, card_html="")

            def on_submit(text, st):
                iv = get_iv(st)
                if iv is None:
                    return view(st, None, "Start an interview first."), gr.update()
                if iv.current is None:
                    return view(st, iv, "This interview is finished; start a new one."), gr.update()
                if st.get("shown") != iv.current.idx:
                    return view(st, iv, "Press Next question or Follow-up to see the next question first.",
                                awaiting=True), gr.update()
                try:
                    res = iv.submit(text or "")
                except (AnswerError, StoreError) as e:  # the answer stays in the box to send again
                    return view(st, iv, str(e)), gr.update()
                st["shown"] = None
                out = list(view(st, iv, "", render_grade(res.turn, res.grade), awaiting=not res.done))
                if attempts is not None:
                    out[-1] = render_attempts(engine.store.attempts_of(res.turn.question_id))
                return tuple(out), ""

            def on_next(st):
                iv = get_iv(st)
                if iv is None:
                    yield view(st, None, "Start an interview first.")
                    return
                if iv.current is not None and iv.current.is_follow_up and st.get("shown") != iv.current.idx:
                    iv.skip()  # Next passes over the offered follow-up
                yield from ask(st, iv)

            def on_follow(st):
                iv = get_iv(st)
                if iv is None:
                    yield view(st, None, "Start an interview first.")
                    return
                yield from ask(st, iv)

            def on_skip(st):
                iv = get_iv(st)
                if iv is None or iv.current is None:
                    yield view(st, iv, "Nothing to skip.")
                    return
                iv.skip()
                yield from ask(st, iv, card_html="")

            def on_end(st):
                iv = get_iv(st)
                if iv is None:
                    return view(st, None, "Start an interview first.")
                iv.end()
                st["shown"] = None
                return view(st, iv, "Interview ended.")

            def pack_submit(text, st):
                res, ans = on_submit(text, st)
                return (*res, ans)

            vis = dict(api_visibility="private", **q_limit)
            start.click(on_start, [mode, focus, n_q, persona, state], outs, **vis)
            if resume_btn is not None:
                resume_btn.click(on_resume, [resume_dd, state], outs, **vis)  # the stored persona, not the dropdown
                resume_refresh.click(active_sessions, None, [resume_dd], api_visibility="private")
            submit.click(pack_submit, [answer, state], outs + [answer], **vis)
            nxt.click(on_next, [state], outs, **vis)
            follow.click(on_follow, [state], outs, **vis)
            skip.click(on_skip, [state], outs, **vis)
            end.click(on_end, [state], outs, api_visibility="private")
            return resume_dd, model_info

        with gr.Tabs():
            with gr.Tab("Interview", id="interview") as interview_tab:
                resume_pick, model_info = panel("", drill=False)
                interview_tab.select(active_sessions, None, [resume_pick], api_visibility="private")

            # -------------------------------------------------------------- drill
            with gr.Tab("Drill", id="drill") as drill_tab:
                due_html = gr.HTML("", elem_id="due-list", js_on_load=None)
                panel("drill-", drill=True)

                def due_list():
                    items = due(engine.store.drill_queue())
                    if not items:
                        return "<p><em>Nothing is due today.</em></p>"
                    rows = "".join(
                        f"<tr><td>{esc(d['question_id'])}</td><td>{esc(d['topic'])}</td><td>{esc(d['due_at'])}</td>"
                        f"<td>{esc(d['last_score'])}</td><td>{esc('; '.join(d['missed']))}</td></tr>" for d in items)
                    return (f"<p>{len(items)} item(s) due today.</p><table class=\"ktable\"><tr><th>question</th>"
                            f"<th>topic</th><th>due</th><th>last score</th><th>missed key points</th></tr>{rows}</table>")

                drill_tab.select(due_list, None, due_html, api_visibility="private")

            # -------------------------------------------------------------- replay
            with gr.Tab("Replay", id="replay") as replay_tab:
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
                with gr.Row():
                    qpick = gr.Dropdown([], label="Compare the attempts of one question", elem_id="replay-question")
                compare = gr.HTML("", elem_id="replay-attempts", js_on_load=None)

                def sessions_table():
                    ss = engine.sessions()
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

                def show(sid):
                    if not sid:
                        return "", gr.update(choices=[], value=None), "", None, ""
                    tr = engine.transcript(sid)
                    qids = list(dict.fromkeys(t.question_id for t in tr.turns if not t.is_follow_up))
                    return (render_transcript(engine, tr), gr.update(choices=qids, value=qids[0] if qids else None),
                            "", None, "")

                def compare_q(qid):
                    return render_attempts(engine.store.attempts_of(qid)) if qid else ""

                def export(sid):
                    if not sid:
                        return None
                    tr = engine.transcript(sid)
                    exports.mkdir(parents=True, exist_ok=True, mode=0o700)
                    md = exports / f"interview-{sid}.md"
                    js = exports / f"interview-{sid}.json"
                    md.write_text(to_markdown(engine.kb, tr), encoding="utf-8")
                    js.write_text(tr.model_dump_json(indent=2), encoding="utf-8")
                    return [str(md), str(js)]

                def regrade(sid, progress=gr.Progress()):
                    if not sid:
                        return "<em>Pick a session first.</em>"
                    progress(0.1, desc="re-grading")
                    ch = engine.regrade(sid)
                    if not ch:
                        return "<em>No graded answers in this session.</em>"
                    rows = "".join(
                        f"<tr><td>{c['idx'] + 1}</td><td>{esc(c['question_id'])}</td><td>{c['old']:.2f}</td>"
                        f"<td>{c['new']:.2f}</td><td style=\"color:{'#1b7f3b' if c['delta'] > 0 else '#c62828' if c['delta'] < 0 else '#555'}\">"
                        f"{c['delta']:+.2f}</td></tr>" for c in ch)
                    return (f'<div class="card"><h3>Re-grade: what changed</h3><table><tr><th>turn</th><th>question</th>'
                            f"<th>old</th><th>new</th><th>delta</th></tr>{rows}</table>"
                            "<small>The stored grades are unchanged.</small></div>")

                ev = dict(api_visibility="private")
                refresh.click(sessions_table, None, [sessions_html, pick], **ev)
                replay_tab.select(sessions_table, None, [sessions_html, pick], **ev)
                pick.change(show, [pick], [transcript, qpick, deltas, files, compare], **ev)
                qpick.change(compare_q, [qpick], [compare], **ev)
                export_btn.click(export, [pick], [files], **ev)
                regrade_btn.click(regrade, [pick], [deltas], **ev, **q_limit)

            # -------------------------------------------------------------- progress
            with gr.Tab("Progress", id="progress") as progress_tab:
                prog_refresh = gr.Button("Refresh", elem_id="progress-refresh")
                with gr.Row():
                    radar = gr.Plot(label="Scores per JD area", elem_id="progress-radar")
                    trend = gr.Plot(label="Trend over sessions", elem_id="progress-trend")
                weakest = gr.HTML("", elem_id="progress-weakest", js_on_load=None)

                def progress_view():
                    turns = engine.store.all_answered()
                    by_area = scores_by_area(engine.kb, turns)
                    weak = weakest_points(turns, n=8)
                    items = "".join(f"<li>{esc(p['point'])} <small>({esc(p['question_id'])}, {esc(p['status'])}, "
                                    f"confidence {p['confidence']:.2f})</small></li>" for p in weak)
                    return (radar_figure(by_area), trend_figure(engine.sessions()),
                            f"<h4>Weakest key points</h4><ol>{items or '<li>none yet</li>'}</ol>")

                prog_refresh.click(progress_view, None, [radar, trend, weakest], api_visibility="private")
                progress_tab.select(progress_view, None, [radar, trend, weakest], api_visibility="private")

            # -------------------------------------------------------------- knowledge
            with gr.Tab("Knowledge", id="knowledge") as knowledge_tab:
                kinfo = gr.HTML("", elem_id="knowledge-info", js_on_load=None)
                with gr.Row():
                    upload = gr.File(label="Replace the JD or CV (Markdown or text)", file_types=[".md", ".txt"],
                                     elem_id="knowledge-upload")
                    which = gr.Radio([("Job description (jd.md)", "jd"), ("CV (cv.md)", "cv")], value="jd",
                                     label="Replace")
                    reindex_btn = gr.Button("Replace and re-index", variant="primary", elem_id="knowledge-reindex",
                                            interactive=ld.ready)
                    gated.append(reindex_btn)
                kstatus = gr.HTML(status_html(), elem_id="knowledge-status", js_on_load=None)
                with gr.Accordion("Match table", open=True):
                    kmatch = gr.HTML("", elem_id="knowledge-match", js_on_load=None)
                with gr.Accordion("Job description", open=False):
                    kjd = gr.HTML("", elem_id="knowledge-jd", js_on_load=None)
                with gr.Accordion("CV", open=False):
                    kcv = gr.HTML("", elem_id="knowledge-cv", js_on_load=None)
                with gr.Accordion("Positioning", open=False):
                    kpos = gr.HTML("", elem_id="knowledge-positioning", js_on_load=None)

                def knowledge_view():
                    kb = engine.kb
                    info = (f"<p>Knowledge folder: <code>{esc(settings.knowledge_dir)}</code> · "
                            f"{len(kb.questions)} questions · {engine.index.count()} index chunks</p>")
                    return info, render_match(kb), render_jd(kb), render_cv(kb), render_positioning(kb)

                kouts = [kinfo, kmatch, kjd, kcv, kpos]

                def replace_and_reindex(path, kind, progress=gr.Progress()):
                    if not path:
                        return (status_html("Choose a Markdown or text file first."), *knowledge_view())
                    try:
                        text = Path(path).read_bytes().decode("utf-8")
                    except UnicodeDecodeError:
                        return (status_html("The file is not valid UTF-8 text."), *knowledge_view())
                    progress(0.05, desc="copying the knowledge folder")
                    kdir = user_knowledge_dir(settings)
                    target = kdir / ("jd.md" if kind == "jd" else "cv.md")
                    old = target.read_text(encoding="utf-8") if target.exists() else None
                    target.write_text(text.replace("\x00", ""), encoding="utf-8")
                    try:
                        rep = engine.reindex(progress=lambda f, m: progress(0.1 + 0.9 * f, desc=m))
                    except KnowledgeError as e:
                        if old is not None:
                            target.write_text(old, encoding="utf-8")
                        return (status_html(f"Not replaced: {e}"), *knowledge_view())
                    msg = (f"Replaced {target.name}; index: {rep.chunks} chunks ({rep.added} added, {rep.updated} "
                           f"updated, {rep.deleted} deleted) in {rep.seconds:.1f}s")
                    return (f'<div class="status-line" style="color:#1b7f3b" role="status">{esc(msg)}</div>',
                            *knowledge_view())

                knowledge_tab.select(knowledge_view, None, kouts, api_visibility="private")
                reindex_btn.click(replace_and_reindex, [upload, which], [kstatus] + kouts, api_visibility="private",
                                  **q_limit)

        # ------------------------------------------------------------------ named API endpoints

        def ready_engine() -> Engine:
            """The API waits for the engine (up to API_LOAD_WAIT_S), then answers; a failed load is an AppError."""
            return ld.wait(API_LOAD_WAIT_S)

        def start_interview(mode: str = "full", focus: str = "", n_questions: int = 5, persona: str = "") -> dict:
            """Start an interview; returns its session id and the first question. persona: optional, one of
            prompts/persona_<name>.md (default: the configured persona)."""
            eng = ready_engine()
            try:
                iv = eng.start(mode=mode or "full", focus=focus or None, n_questions=int(n_questions),
                               persona=persona or None)
            except ValueError as e:
                raise gr.Error(str(e))
            t = iv.current
            return {"session_id": iv.session_id, "question": question_text(iv), "idx": t.idx,
                    "question_id": t.question_id, "topic": t.topic}

        def submit_answer(session_id: str, answer: str) -> dict:
            """Grade the answer to the pending question; returns the grade and the next question."""
            eng = ready_engine()
            try:
                iv = eng.interview(session_id)
            except KeyError as e:
                raise gr.Error(f"no session {session_id!r}") from e
            try:
                res = iv.submit(answer)
            except (AnswerError, StoreError) as e:
                raise gr.Error(str(e))
            nxt = None
            if res.next is not None:
                nxt = {"idx": res.next.idx, "question": question_text(iv), "is_follow_up": res.next.is_follow_up,
                       "question_id": res.next.question_id}
            return {"session_id": session_id, "idx": res.turn.idx, "grade": res.grade.model_dump(mode="json"),
                    "next": nxt, "done": res.done}

        def list_sessions() -> list:
            """Every stored session, newest first."""
            return [s.model_dump(mode="json") for s in ready_engine().sessions()]

        def replay_session(session_id: str) -> dict:
            """The full graded transcript of one session."""
            try:
                return ready_engine().transcript(session_id).model_dump(mode="json")
            except KeyError as e:
                raise gr.Error(f"no session {session_id!r}") from e

        gr.api(start_interview, api_name="start_interview", **q_limit)
        gr.api(submit_answer, api_name="submit_answer", **q_limit)
        def loading_status() -> dict:
            """Whether the engine is loaded: {ready, progress (0-1), message, error}; answers at once."""
            return ld.status()

        gr.api(list_sessions, api_name="list_sessions")
        gr.api(replay_session, api_name="replay_session")
        gr.api(loading_status, api_name="loading_status")

        # ------------------------------------------------------------------ loading progress in the page
        # A timer polls the background load: the progress line, the model line and the gated buttons; it
        # switches itself off once loading has finished. Pages opened later get the final state on load.
        timer = gr.Timer(0.5, active=not ld.done)

        def poll():
            ok = ld.ready
            return (render_loading(ld), header(), model_info_html(ld.engine),
                    active_sessions() if ok else gr.update(),
                    *[gr.update(interactive=ok) for _ in gated], gr.Timer(active=not ld.done))

        poll_outs = [loading_line, head, model_info, resume_pick, *gated, timer]
        timer.tick(poll, None, poll_outs, api_visibility="private", show_progress="hidden")
        demo.load(poll, None, poll_outs, api_visibility="private", show_progress="hidden")

    demo.queue(default_concurrency_limit=4)
    return demo


def user_knowledge_dir(settings) -> Path:
    """The knowledge folder the user may write to: the repository's default folder is never edited;
    it is copied into the data dir first and the settings point at the copy."""
    kdir = Path(settings.knowledge_dir).resolve()
    if kdir == default_knowledge_dir().resolve():
        dst = settings.data_dir / "knowledge"
        if not dst.exists():
            shutil.copytree(kdir, dst)
        settings.knowledge_dir = dst
        return dst
    return kdir


def launch_kwargs(settings) -> dict:
    """launch() arguments: loopback by default, never a share link, exports downloadable, our CSS and JS."""
    kw = dict(server_name=settings.host, server_port=settings.port, share=False, css=CSS, js=JS,
              allowed_paths=[str(settings.data_dir / "exports")], footer_links=["api"], show_error=True)
    if settings.auth:
        user, _, pw = settings.auth.partition(":")
        kw["auth"] = (user, pw)
    return kw
