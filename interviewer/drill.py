"""Drill queue scheduling: SM-2 spaced repetition over weak questions and their missed key points."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

WEAK_SCORE = 3.5  # below this (0-5), or with a missed key point, a question enters the queue


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
    now = now or datetime.now(timezone.utc)
    return [d for d in queue if datetime.fromisoformat(d["due_at"]) <= now]
