"""Planner: picks the next questions — P0 and low/medium-match topics first, CV deep dives woven in,
no repeats, honouring a focus topic, a length, and the drill queue's due items."""

from __future__ import annotations

from interviewer.index import priority_of_row
from interviewer.knowledge import MATCH_RISK_ORDER, KnowledgeBase, Question

RISKY = {"low", "medium_low", "medium"}


class Planner:
    def __init__(self, kb: KnowledgeBase):
        self.kb = kb
        self.prio = priority_of_row(kb)

    def _match(self, q: Question) -> str:
        row = self.kb.row(q.topic)
        return row.match if row else "high"

    def _rank(self, q: Question) -> tuple:
        """Smaller is asked earlier: P0 or risky topics, then priority, then weakest match, then easier first."""
        urgent = 0 if (q.priority == "P0" or self._match(q) in RISKY) else 1
        return (urgent, q.priority, MATCH_RISK_ORDER[self._match(q)], q.difficulty, q.id)

    def topics_in_order(self) -> list[str]:
        best: dict[str, tuple] = {}
        for q in self.kb.questions:
            if q.kind in ("opening", "deep_dive"):
                continue
            r = self._rank(q)
            best[q.topic] = min(best.get(q.topic, r), r)
        return sorted(best, key=lambda t: best[t])

    def plan(self, n: int, focus: str | None = None, exclude: set[str] = frozenset(),
             deep_dives: int = 2) -> list[str]:
        """Question ids for a session of n main questions."""
        pool = [q for q in self.kb.questions if q.id not in exclude]
        if focus:
            fq = [q for q in pool if focus in (q.topic, q.kind, q.priority)
                  or any(p.id == focus and q.topic in p.rows for p in self.kb.match.priorities)]
            if not fq:
                raise ValueError(f"unknown focus {focus!r}: use a topic id such as "
                                 f"{', '.join(sorted(self.kb.topic_ids()))}")
            return [q.id for q in sorted(fq, key=lambda q: (q.difficulty, self._rank(q)))][:n]
        out: list[str] = []
        openings = sorted((q for q in pool if q.kind == "opening"), key=self._rank)
        if openings and n >= 3:
            out.append(openings[0].id)
        by_topic: dict[str, list[Question]] = {}
        for q in sorted(pool, key=self._rank):
            if q.kind not in ("opening", "deep_dive"):
                by_topic.setdefault(q.topic, []).append(q)
        order = self.topics_in_order()
        dives = sorted((q for q in pool if q.kind == "deep_dive"), key=self._rank)
        n_dives = min(deep_dives, len(dives), max(0, (n - 1) // 3))
        main: list[str] = []
        while len(main) < n and any(by_topic.get(t) for t in order):
            for t in order:
                if by_topic.get(t):
                    main.append(by_topic[t].pop(0).id)
        slots = n - len(out) - n_dives
        main = main[:max(0, slots)]
        # Deep dives go after the first few risk questions, spread through the session.
        for i, d in enumerate(dives[:n_dives]):
            pos = min(len(main), 2 + i * 3)
            main.insert(pos, d.id)
        out.extend(main)
        if len(out) < n:  # small banks: fill with anything left
            out.extend(q.id for q in sorted(pool, key=self._rank) if q.id not in out)
        return out[:n]

    def plan_drill(self, due_items: list[dict], n: int) -> list[str]:
        known = {q.id for q in self.kb.questions}
        return [d["question_id"] for d in due_items if d["question_id"] in known][:n]
