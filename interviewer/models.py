"""Pydantic models at the boundaries between grader, session, store and UI: grades, turns, transcripts."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

# contradicted: the answer states something wrong about the point (worse than missing it).
Coverage = Literal["covered", "partial", "missed", "contradicted"]
# The interviewer persona of a session that does not name one: the app's default persona, which is also
# what sessions stored before the persona was recorded were resumed with (store migration v2).
DEFAULT_PERSONA = "nvidia_architect"


class KeyPointResult(BaseModel):
    point: str
    status: Coverage
    confidence: float = Field(ge=0, le=1, description="model-independent coverage estimate")
    evidence: str = Field("", description="exact substring of the answer, or empty")
    correction: str = Field("", description="for a contradicted point: what is true, from the rubric")
    model_correction: str = Field("", description="the model's correction in the candidate's words, shown only "
                                  "when it passed the rubric check (interviewer/correction.py)")


class RedFlagHit(BaseModel):
    flag: str
    quote: str = Field(description="exact substring of the answer")


class Check(BaseModel):
    """One signal that decided the grade, shown so the user knows how far to trust the number."""

    name: Literal["meaning", "terms", "facts", "misconceptions", "honesty", "subject", "model", "exemplars"]
    summary: str = Field(description="what it found, in a short sentence")
    confidence: float = Field(ge=0, le=1, description="how much this signal is to be trusted on this answer")


class Ignored(BaseModel):
    """A sentence left out of grading, and why (instructions to the grader, a question restated...)."""

    sentence: str
    reason: str


class SubScores(BaseModel):
    coverage: float = Field(ge=0, le=5)
    technical_accuracy: float = Field(ge=0, le=5)
    honesty_boundary: float = Field(ge=0, le=5)
    structure: float = Field(ge=0, le=5)


class Grade(BaseModel):
    score: float = Field(ge=0, le=5)
    sub_scores: SubScores
    key_points: list[KeyPointResult]
    red_flags: list[RedFlagHit] = []
    feedback: str
    improved_answer: str
    how_to_say: str = ""
    how_to_say_zh: str = ""
    notes: list[str] = Field(default_factory=list, description="e.g. answer truncated, injection ignored")
    scorer: str = "hybrid"
    checks: list[Check] = []
    ignored: list[Ignored] = []
    verdict: str = Field("", description="the calibrated verdict words for the score band")

    def missed(self) -> list[int]:
        return [i for i, k in enumerate(self.key_points) if k.status != "covered"]


class Turn(BaseModel):
    id: int | None = None
    session_id: str
    idx: int
    question_id: str
    topic: str
    question: str
    bank_question: str | None = Field(None, description="the bank's text this turn was created from, whose rubric "
                                      "grades it, when the model worded the question asked (None: as asked)")
    is_follow_up: bool = False
    follow_up_of: int | None = Field(None, description="idx of the turn this follows up")
    key_point: int | None = Field(None, description="for a follow-up: index of the key point it probes")
    answer: str | None = None
    grade: Grade | None = None
    timings: dict[str, float] = {}
    delivery: dict | None = Field(None, description="a spoken answer's delivery feedback (delivery.Delivery as a "
                                  "dict) and, when recordings are kept, audio_path; None for a typed answer")
    model: str = ""
    created_at: str = ""
    answered_at: str | None = None


class SessionInfo(BaseModel):
    id: str
    created_at: str
    mode: Literal["full", "focus", "drill"]
    focus: str | None = None
    n_questions: int
    model: str
    status: Literal["active", "done"] = "active"
    plan: list[str] = []
    persona: str = Field(DEFAULT_PERSONA, description="the interviewer persona (prompts/persona_<name>.md, or "
                         "interviewer_system) chosen at the start; a resumed session keeps it")
    turns: int = 0
    mean_score: float | None = None


class Transcript(BaseModel):
    session: SessionInfo
    turns: list[Turn]
