"""The Progress tab: mean score per JD area (radar), the trend of session means, the weakest key points."""

from __future__ import annotations

import gradio as gr

from interviewer.ui.charts import radar_figure, trend_figure
from interviewer.ui.context import UIContext
from interviewer.ui.render import STATUS_COLOURS, badge, esc
from interviewer.ui.voice import render_delivery_trend


def render_weakest(points: list[dict]) -> str:
    """The weakest key points across sessions, contradicted ones first, with the correction."""
    items = "".join(
        f"<li>{badge(p['status'], STATUS_COLOURS.get(p['status'], '#777'))} {esc(p['point'])} "
        f"<small>({esc(p['question_id'])}, confidence {p['confidence']:.2f})</small>"
        + (f"<br><small>Correct: {esc(p['correction'])}</small>" if p.get("correction") else "") + "</li>"
        for p in points)
    return f"<h4>Weakest key points</h4><ol>{items or '<li>none yet</li>'}</ol>"


class ProgressTab:
    def __init__(self, ctx: UIContext):
        self.ctx = ctx
        with gr.Tab("Progress", id="progress") as tab:
            refresh = gr.Button("Refresh", elem_id="progress-refresh")
            with gr.Row():
                radar = gr.Plot(label="Scores per JD area", elem_id="progress-radar")
                trend = gr.Plot(label="Trend over sessions", elem_id="progress-trend")
            weakest = gr.HTML("", elem_id="progress-weakest", js_on_load=None)
            spoken = gr.HTML("", elem_id="progress-delivery", js_on_load=None)
        refresh.click(self.view, None, [radar, trend, weakest, spoken], api_visibility="private")
        tab.select(self.view, None, [radar, trend, weakest, spoken], api_visibility="private")

    def view(self):
        p = self.ctx.engine.progress()
        return (radar_figure(p["by_area"]), trend_figure(p["trend"]), render_weakest(p["weakest"]),
                render_delivery_trend(p.get("delivery", [])))
