"""Overclaim detection on the honesty set (eval/data/honesty): how many claims of experience the CV lacks are
flagged, and how many honest statements (negated, hedged, the CV's own work, production talked about in the third
person) are flagged by mistake. Each sentence is read as an answer to every bank question of its topic (the
questions carry their own overclaim flags); an item's flag rate is the share of those questions that flag it."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Literal

import numpy as np
import yaml
from pydantic import BaseModel

DATA = Path(__file__).resolve().parent / "data" / "honesty"


class Item(BaseModel):
    id: str
    split: Literal["dev", "test"]
    topic: str
    label: Literal["overclaim", "honest"]
    text: str
    why: str

    @property
    def group(self) -> str:
        """overclaim, honest, or tricky (production or scale talked about without claiming it)."""
        return "tricky" if self.label == "honest" and self.why.startswith("tricky") else self.label


def load_items(split: str) -> list[Item]:
    out = []
    for p in sorted(DATA.glob("*.jsonl")):
        for n, line in enumerate(p.read_text().splitlines(), 1):
            if line.strip():
                try:
                    out.append(Item.model_validate_json(line))
                except ValueError as e:
                    raise ValueError(f"{p.name} line {n}: {e}") from e
    return [it for it in out if it.split == split]


def run(split: str = "dev") -> dict:
    from interviewer.claims import split_sentences
    from interviewer.grader import case_for_question, red_flags
    from interviewer.knowledge import default_knowledge_dir, load_knowledge

    kb = load_knowledge(default_knowledge_dir())
    t0 = time.perf_counter()
    # the set's topics are the bank's file stems (a file may hold questions of several match-table topics)
    by_id = {q.id: q for q in kb.questions}
    cases = {p.stem: [case_for_question(by_id[d["id"]], kb) for d in yaml.safe_load(p.read_text())["questions"]]
             for p in sorted((default_knowledge_dir() / "questions").glob("*.yaml"))}
    rows = []
    for it in load_items(split):
        sents = split_sentences(it.text)
        nxt = sents[1:] + [""]
        hits = [red_flags(sents, nxt, c)[1] for c in cases[it.topic]]
        rate = float(np.mean([bool(h) for h in hits]))
        quote = next((h[0].quote for h in hits if h), "")
        rows.append({"id": it.id, "group": it.group, "topic": it.topic, "flag_rate": round(rate, 3),
                     "quote": quote, "text": it.text})
    by = {g: [r["flag_rate"] for r in rows if r["group"] == g] for g in ("overclaim", "honest", "tricky")}
    return {"dataset": "honesty", "split": split, "n": len(rows),
            "overclaim_flagged": round(float(np.mean(by["overclaim"])), 3) if by["overclaim"] else None,
            "honest_flagged": round(float(np.mean(by["honest"])), 3) if by["honest"] else None,
            "tricky_flagged": round(float(np.mean(by["tricky"])), 3) if by["tricky"] else None,
            "per_group_n": {g: len(v) for g, v in by.items()},
            "seconds": round(time.perf_counter() - t0, 2), "rows": rows}


if __name__ == "__main__":
    print(json.dumps({k: v for k, v in run().items() if k != "rows"}, indent=2))
