"""Capability probe: fixed checks with known answers, run on the loaded model, deciding which model
features (judge, answer-aware follow-ups, corrections) the model is trusted with."""

from __future__ import annotations

from pydantic import BaseModel


class ProbeFeature(BaseModel):
    """One feature's probe outcome: on or off, the checks passed of those run, and why."""

    enabled: bool
    passed: int = 0
    total: int = 0
    reason: str = ""


class Capabilities(BaseModel):
    """What the loaded model is trusted with, from the probe (or the settings that override it)."""

    model: str
    judge: ProbeFeature
    follow_ups: ProbeFeature
    corrections: ProbeFeature
    seconds: float = 0.0

    @classmethod
    def none(cls, reason: str = "no model", model: str = "") -> "Capabilities":
        """Everything off, for the same reason."""
        off = ProbeFeature(enabled=False, reason=reason)
        return cls(model=model, judge=off, follow_ups=off, corrections=off)
