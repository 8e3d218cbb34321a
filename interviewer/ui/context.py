"""What every tab of the UI is given: the engine (through the background load), the settings, the knowledge
as validated at launch, the buttons to enable once the engine is ready, and the model queue."""

from __future__ import annotations

from dataclasses import dataclass, field

from interviewer.knowledge import KnowledgeBase
from interviewer.ui.loading import LiveEngine, Loading

MODEL_QUEUE = "model"  # the one concurrency id of every event that touches the model or the index


@dataclass
class UIContext:
    loading: Loading
    kb: KnowledgeBase  # the knowledge as validated before launch: the page title and the focus topics
    gated: list = field(default_factory=list)  # buttons disabled until the engine is ready

    def __post_init__(self) -> None:
        self.engine = LiveEngine(self.loading)  # raises gr.Error("still loading ...") until it is ready

    @property
    def settings(self):
        return self.loading.settings

    @property
    def model_queue(self) -> dict:
        """Event arguments that queue an event behind every other use of the model or the index."""
        return dict(concurrency_id=MODEL_QUEUE, concurrency_limit=1)

    def gate(self, button):
        """Register a button that is enabled only once the engine is loaded; returns it."""
        self.gated.append(button)
        return button
