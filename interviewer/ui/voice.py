"""The microphone of the Interview tab: an answer recorded in the browser is transcribed offline on this machine,
lands in the answer box to check and edit before sending, and its delivery feedback goes with the turn. Also,
on request only, the pending question read aloud offline (espeak-ng)."""

from __future__ import annotations

import gradio as gr

from interviewer.speech import MAX_SECONDS, SpeechError
from interviewer.ui.context import UIContext
from interviewer.ui.panel import Panel
from interviewer.ui.render import esc, status_html

# Transcription does not touch the language model: its own queue, one at a time (the model is one per process).
SPEECH_QUEUE = dict(concurrency_id="speech", concurrency_limit=1)


class VoiceInput:
    """The record button and its status line under an interview panel."""

    def __init__(self, ctx: UIContext, panel: Panel):
        self.ctx, self.panel = ctx, panel
        with gr.Row(elem_id="voice-row"):
            self.audio = gr.Audio(sources=["microphone", "upload"], type="filepath", format="wav", elem_id="voice",
                                  label=f"Or speak your answer (transcribed on this machine, up to "
                                        f"{int(MAX_SECONDS // 60)} minutes; the text lands in the answer box)")
            with gr.Column():
                self.status = gr.HTML("", elem_id="voice-status", js_on_load=None)
                read = gr.Button("Read the question aloud", elem_id="read-question", size="sm")
                self.spoken_question = gr.Audio(label="The question, spoken", autoplay=True, interactive=False,
                                                type="filepath", elem_id="question-audio")
        io = dict(inputs=[self.audio, panel.answer, panel.state], outputs=[panel.answer, panel.spoken, self.status],
                  api_visibility="private", **SPEECH_QUEUE)
        # the model loads while the candidate speaks, so the first transcription does not wait for it
        self.audio.start_recording(self.prepare, None, None, api_visibility="private", **SPEECH_QUEUE)
        self.audio.stop_recording(self.on_audio, **io)
        self.audio.upload(self.on_audio, **io)
        read.click(self.read_question, [panel.state], [self.spoken_question, self.status], api_visibility="private",
                   **SPEECH_QUEUE)

    def prepare(self):
        """Load (and assemble, on first use) the speech model; a failure is left to on_audio, which reports it
        with the recording it could not transcribe."""
        from interviewer.speech import get_transcriber

        try:
            get_transcriber(self.ctx.settings)
        except SpeechError:
            return

    def read_question(self, st):
        """(audio file, status): the pending question as speech, or why it cannot be read aloud."""
        iv = self.panel.interview(st)
        if iv is None or iv.current is None:
            return None, status_html("No question to read: start an interview first.")
        from interviewer import tts

        dest = self.ctx.engine.settings.data_dir / "tts" / f"{iv.session_id}-{iv.current.idx}.wav"
        try:
            return str(tts.synthesize(iv.question_text(), dest)), status_html("")
        except SpeechError as e:
            return None, status_html(str(e))

    def on_audio(self, path, text, st, progress=gr.Progress()):
        """(answer box, delivery state, status) after a recording: the transcript appended to what is already
        typed, so nothing is lost; on any speech error the box is left as it was and the status says why."""
        if not path:
            return gr.update(), gr.update(), status_html("")
        iv = self.panel.interview(st)
        if iv is None or iv.current is None:
            return gr.update(), gr.update(), status_html("Start an interview first; then record the answer to its "
                                                         "question.")
        try:
            from interviewer.delivery import spoken_answer
            from interviewer.speech import get_transcriber

            eng = self.ctx.engine
            progress(0.0, desc="loading the speech model")
            transcriber = get_transcriber(eng.settings)
            sa = spoken_answer(transcriber, eng.settings, path, eng.kb.question(iv.current.question_id),
                               keep_as=f"{iv.session_id}-{iv.current.idx}",
                               progress=lambda f, msg: progress(f, desc=msg))
        except SpeechError as e:
            return gr.update(), gr.update(), status_html(f"{e} (you can type the answer instead)")
        d = sa.delivery
        typed = (text or "").rstrip()
        answer = f"{typed}\n{sa.text}" if typed else sa.text
        notes = " ".join(d.get("notes", []))
        msg = (f"Transcribed {d['duration_s']:.0f} s of speech in {d['transcribe_s']:.1f} s: check the text, edit it "
               f"if needed, then Submit. {notes}").strip()
        return answer, {"sid": iv.session_id, "idx": iv.current.idx, "delivery": d}, status_html(msg, ok=True)


def render_delivery_trend(rows: list[dict]) -> str:
    """The Progress tab's table of spoken-answer delivery per session (delivery.delivery_trend), oldest first."""
    if not rows:
        return "<h4>Spoken answers</h4><p><em>No spoken answers yet: use the microphone on the Interview tab.</em></p>"
    body = "".join(f"<tr><td>{esc(r['session_id'])}</td><td>{r['spoken']}</td><td>{r['wpm']:.0f}</td>"
                   f"<td>{r['fillers_per_min']:.1f}</td><td>{r['long_pauses_per_answer']:.1f}</td>"
                   f"<td>{r['led_with_point']:.0%}</td></tr>" for r in rows)
    return ("<h4>Spoken answers</h4><table class='ktable' id='delivery-trend'><tr><th>session</th><th>spoken</th>"
            "<th>wpm</th><th>fillers / min</th><th>long pauses / answer</th><th>led with the point</th></tr>"
            f"{body}</table>")
