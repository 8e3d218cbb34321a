"""The Knowledge tab: the match table coloured by match level, the JD, the CV and the positioning; replacing
the JD or the CV with an uploaded file and re-indexing."""

from __future__ import annotations

from pathlib import Path

import gradio as gr

from interviewer.index import IndexServerError
from interviewer.ui.context import UIContext
from interviewer.ui.render import badge, esc, status_html

LEVEL_COLOURS = {"high": "#1b7f3b", "medium": "#b58900", "medium_low": "#cb4b16", "low": "#c62828"}


def bilingual(t) -> str:
    """English, with the original Chinese under it only when it says something else."""
    zh = (t.zh or "").strip()
    return esc(t.en) + (f'<br><small lang="zh-CN">{esc(zh)}</small>' if zh and zh != t.en.strip() else "")


def render_match(kb) -> str:
    rows = "".join(
        f"<tr><td>{bilingual(r.jd_skill)}</td><td>{esc(r.cv_evidence.en)}</td>"
        f'<td data-level="{esc(r.match)}">{badge(r.match, LEVEL_COLOURS.get(r.match, "#777"))}</td>'
        f"<td>{esc(r.risk.en)}</td><td>{esc(r.how_to_say.en)}</td></tr>" for r in kb.match.rows)
    return ('<table class="ktable match-table"><tr><th>JD skill</th><th>CV evidence</th><th>match</th><th>risk</th>'
            f"<th>how to say it</th></tr>{rows}</table>")


def render_jd(kb) -> str:
    jd = kb.jd

    def items(title, xs):
        return (f"<h4>{esc(title)}</h4><ul>" + "".join(f"<li>{esc(i.id)}: {esc(i.text)}</li>" for i in xs)
                + "</ul>") if xs else ""

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
        f'<p class="kdoc">{esc(p.en)}</p>'
        + (f'<details><summary>中文</summary><p class="kdoc" lang="zh-CN">{esc(p.zh)}</p></details>' if p.zh else "")
        for p in kb.positioning.paragraphs) + "</div>"


class KnowledgeTab:
    def __init__(self, ctx: UIContext):
        self.ctx = ctx
        with gr.Tab("Knowledge", id="knowledge") as tab:
            kinfo = gr.HTML("", elem_id="knowledge-info", js_on_load=None)
            with gr.Row():
                upload = gr.File(label="Replace the JD or CV (Markdown or text)", file_types=[".md", ".txt"],
                                 elem_id="knowledge-upload")
                which = gr.Radio([("Job description (jd.md)", "jd"), ("CV (cv.md)", "cv")], value="jd",
                                 label="Replace")
                reindex = ctx.gate(gr.Button("Replace and re-index", variant="primary", elem_id="knowledge-reindex",
                                             interactive=ctx.loading.ready))
            kstatus = gr.HTML(status_html(), elem_id="knowledge-status", js_on_load=None)
            with gr.Accordion("Match table", open=True):
                kmatch = gr.HTML("", elem_id="knowledge-match", js_on_load=None)
            with gr.Accordion("Job description", open=False):
                kjd = gr.HTML("", elem_id="knowledge-jd", js_on_load=None)
            with gr.Accordion("CV", open=False):
                kcv = gr.HTML("", elem_id="knowledge-cv", js_on_load=None)
            with gr.Accordion("Positioning", open=False):
                kpos = gr.HTML("", elem_id="knowledge-positioning", js_on_load=None)
        kouts = [kinfo, kmatch, kjd, kcv, kpos]
        tab.select(self.view, None, kouts, api_visibility="private")
        reindex.click(self.replace, [upload, which], [kstatus] + kouts, api_visibility="private", **ctx.model_queue)

    def view(self):
        eng = self.ctx.engine
        kb = eng.kb
        try:
            chunks = f"{eng.index.count()} index chunks"
        except IndexServerError as e:
            chunks = esc(str(e))
        info = (f"<p>Knowledge folder: <code>{esc(eng.settings.knowledge_dir)}</code> · "
                f"{len(kb.questions)} questions · {chunks}</p>")
        return info, render_match(kb), render_jd(kb), render_cv(kb), render_positioning(kb)

    def replace(self, path, kind, progress=gr.Progress()):
        if not path:
            return (status_html("Choose a Markdown or text file first."), *self.view())
        try:
            text = Path(path).read_bytes().decode("utf-8")
        except UnicodeDecodeError:
            return (status_html("The file is not valid UTF-8 text."), *self.view())
        progress(0.05, desc="copying the knowledge folder")
        try:
            rep = self.ctx.engine.replace_knowledge(kind, text, progress=lambda f, m: progress(0.1 + 0.9 * f, desc=m))
        except ValueError as e:  # a KnowledgeError (a file that does not validate) is a ValueError
            return (status_html(f"Not replaced: {e}"), *self.view())
        except IndexServerError as e:  # the file is written; the interviews keep the old knowledge until indexed
            return (status_html(f"{kind}.md saved but not indexed: {e}; send it again once the server is back"),
                    *self.view())
        msg = (f"Replaced {kind}.md; index: {rep.chunks} chunks ({rep.added} added, {rep.updated} updated, "
               f"{rep.deleted} deleted) in {rep.seconds:.1f}s")
        return (status_html(msg, ok=True), *self.view())
