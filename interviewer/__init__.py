"""Local GPU-accelerated mock interviewer: knowledge -> index -> session (planner, llm, grader) -> store -> ui."""

from interviewer import offline as _offline  # noqa: F401  (must run before heavy imports)

__version__ = "0.1.0"
