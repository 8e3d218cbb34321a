"""The planner asks risk areas first, never repeats, honours focus and length, and drills due items."""

import pytest

from interviewer.planner import RISKY, Planner


def test_first_questions_hit_p0_or_risky_topics(kb):
    p = Planner(kb)
    plan = p.plan(10)
    main = [kb.question(q) for q in plan if kb.question(q).kind not in ("opening", "deep_dive")]
    assert main, plan
    for q in main[:5]:
        row = kb.row(q.topic)
        assert q.priority == "P0" or (row and row.match in RISKY), q.id


def test_no_repeats_and_exact_length(kb):
    plan = Planner(kb).plan(25)
    assert len(plan) == 25 and len(set(plan)) == 25


def test_one_or_two_cv_deep_dives_in_a_full_loop(kb):
    plan = Planner(kb).plan(8)
    dives = [q for q in plan if kb.question(q).kind == "deep_dive"]
    assert 1 <= len(dives) <= 2


def test_opening_comes_first(kb):
    assert kb.question(Planner(kb).plan(6)[0]).kind == "opening"


def test_focus_topic_is_honoured(kb):
    plan = Planner(kb).plan(4, focus="nccl_collectives")
    assert len(plan) == 4 and all(kb.question(q).topic == "nccl_collectives" for q in plan)


def test_unknown_focus_is_a_clear_error(kb):
    with pytest.raises(ValueError, match="unknown focus 'quantum'"):
        Planner(kb).plan(3, focus="quantum")


def test_drill_plan_uses_due_items_in_order(kb):
    ids = [q.id for q in kb.questions[:3]]
    items = [{"question_id": i} for i in ids] + [{"question_id": "deleted-question"}]
    assert Planner(kb).plan_drill(items, 5) == ids
