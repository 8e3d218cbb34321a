"""The app's named gradio_client endpoints, thin wrappers over the session API that wait for the engine:
start_interview, submit_answer, drill_now, due_drills, list_sessions, replay_session, loading_status."""

from __future__ import annotations

import gradio as gr

from interviewer.index import IndexServerError
from interviewer.session import AnswerError, Engine, Interview
from interviewer.store import StoreError
from interviewer.ui.context import UIContext

API_LOAD_WAIT_S = 900  # the named API endpoints wait this long for the engine to finish loading


def pending(iv: Interview) -> dict | None:
    """The pending question of an interview, streamed in full: idx, text, whether it is a follow-up."""
    t = iv.current
    if t is None:
        return None
    try:
        text = iv.question_text()
    except IndexServerError as e:  # the session and the answer just sent are saved; resume once the server is back
        raise gr.Error(str(e)) from e
    return {"idx": t.idx, "question": text, "is_follow_up": t.is_follow_up,
            "question_id": t.question_id, "topic": t.topic, "key_point": t.key_point}


def register(ctx: UIContext) -> None:
    """Declare the named endpoints inside the Blocks being built."""
    ld = ctx.loading

    def ready_engine() -> Engine:
        """The API waits for the engine (up to API_LOAD_WAIT_S), then answers; a failed load is an AppError."""
        return ld.wait(API_LOAD_WAIT_S)

    def interview_of(eng: Engine, session_id: str) -> Interview:
        try:
            return eng.interview(session_id)
        except KeyError as e:
            raise gr.Error(f"no session {session_id!r}") from e

    def start_interview(mode: str = "full", focus: str = "", n_questions: int = 5, persona: str = "") -> dict:
        """Start an interview; returns its session id and the first question. persona: optional, one of
        prompts/persona_<name>.md (default: the configured persona)."""
        eng = ready_engine()
        try:
            iv = eng.start(mode=mode or "full", focus=focus or None, n_questions=int(n_questions),
                           persona=persona or None)
        except ValueError as e:
            raise gr.Error(str(e))
        return {"session_id": iv.session_id, **pending(iv)}

    def submit_answer(session_id: str, answer: str) -> dict:
        """Grade the answer to the pending question; returns the grade and the next question."""
        iv = interview_of(ready_engine(), session_id)
        try:
            res = iv.submit(answer)
        except (AnswerError, StoreError) as e:
            raise gr.Error(str(e))
        return {"session_id": session_id, "idx": res.turn.idx, "grade": res.grade.model_dump(mode="json"),
                "next": pending(iv), "done": res.done}

    def drill_now(session_id: str, n_questions: int = 5) -> dict:
        """Drill the weak answers of a finished session now: a new drill session whose questions are follow-ups
        aimed at its missed or contradicted key points; returns the new session id and the first question."""
        eng = ready_engine()
        interview_of(eng, session_id)
        try:
            iv = eng.drill_now(session_id, int(n_questions))
        except ValueError as e:
            raise gr.Error(str(e))
        return {"session_id": iv.session_id, "targets": iv.info.plan, **pending(iv)}

    def due_drills() -> list:
        """The drill queue with due dates, soonest first (due_now: can be drilled today)."""
        return [d.model_dump(mode="json") for d in ready_engine().due_drills()]

    def list_sessions() -> list:
        """Every stored session, newest first."""
        return [s.model_dump(mode="json") for s in ready_engine().sessions()]

    def replay_session(session_id: str) -> dict:
        """The full graded transcript of one session."""
        try:
            return ready_engine().transcript(session_id).model_dump(mode="json")
        except KeyError as e:
            raise gr.Error(f"no session {session_id!r}") from e

    def loading_status() -> dict:
        """Whether the engine is loaded: {ready, progress (0-1), message, error}; answers at once."""
        return ld.status()

    for fn in (start_interview, submit_answer, drill_now):
        gr.api(fn, api_name=fn.__name__, **ctx.model_queue)
    for fn in (due_drills, list_sessions, replay_session, loading_status):
        gr.api(fn, api_name=fn.__name__)
