"""Drill queue scheduling: SM-2 spaced repetition over weak questions and their missed key points, and the
schedule as the user sees it (what is due now, what comes back when)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from pydantic import BaseModel

WEAK_SCORE = 3.5  # below this (0-5), or with a missed key point, a question enters the queue
# Key point statuses that "Drill the weak answers now" re-asks: a wrong statement, or nothing said at all.
WEAK_STATUSES = ("contradicted", "missed")


class DueDrill(BaseModel):
    """One question of the drill queue with its SM-2 due date, as listed on the Drill tab and by the CLI."""

    question_id: str
    topic: str
    missed: list[str]
    due_at: str
    last_score: float
    interval_days: float
    due_now: bool
    days_until: float


def is_weak(score: float, missed: list[str]) -> bool:
    return score < WEAK_SCORE or bool(missed)


def sm2(item: dict | None, quality: float, topic: str, question_id: str, missed: list[str],
        now: datetime | None = None) -> dict:
    """One SM-2 review. quality is the grade on 0-5; >= 3 counts as a good recall.

    A good attempt grows the interval (1 day, 6 days, then x easiness); a poor one resets it to 1 day.
    """
    now = now or datetime.now(timezone.utc)
    ef = item["easiness"] if item else 2.5
    reps = item["repetitions"] if item else 0
    interval = item["interval_days"] if item else 0.0
    q = max(0.0, min(5.0, quality))
    if q >= 3:
        interval = 1.0 if reps == 0 else 6.0 if reps == 1 else round(interval * ef, 2)
        reps += 1
    else:
        reps, interval = 0, 1.0
    ef = max(1.3, ef + (0.1 - (5 - q) * (0.08 + (5 - q) * 0.02)))
    return {
        "question_id": question_id, "topic": topic, "missed": missed, "easiness": round(ef, 4),
        "interval_days": interval, "repetitions": reps,
        "due_at": (now + timedelta(days=interval)).isoformat(timespec="seconds"), "last_score": quality,
    }


def due(queue: list[dict], now: datetime | None = None) -> list[dict]:
    """The queue items whose due time has come."""
    now = now or datetime.now(timezone.utc)
    return [d for d in queue if datetime.fromisoformat(d["due_at"]) <= now]


def schedule(queue: list[dict], now: datetime | None = None) -> list[DueDrill]:
    """Every queue item with its due date, soonest first: what is due now and what comes back on which day."""
    now = now or datetime.now(timezone.utc)
    out = []
    for d in queue:
        at = datetime.fromisoformat(d["due_at"])
        out.append(DueDrill(question_id=d["question_id"], topic=d["topic"], missed=d["missed"], due_at=d["due_at"],
                            last_score=d["last_score"], interval_days=d["interval_days"], due_now=at <= now,
                            days_until=round(max(0.0, (at - now).total_seconds() / 86400), 2)))
    return sorted(out, key=lambda x: x.due_at)
