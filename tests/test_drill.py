"""SM-2: the interval grows after good attempts and resets after a poor one; the schedule says what is due when."""

from datetime import datetime, timedelta, timezone

from interviewer.drill import due, is_weak, schedule, sm2

T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)


def test_intervals_grow_1_6_then_by_easiness():
    a = sm2(None, 4.0, "ucx", "ucx-01", [], now=T0)
    assert (a["interval_days"], a["repetitions"]) == (1.0, 1)
    b = sm2(a, 4.0, "ucx", "ucx-01", [], now=T0)
    assert b["interval_days"] == 6.0
    c = sm2(b, 5.0, "ucx", "ucx-01", [], now=T0)
    assert c["interval_days"] == round(6.0 * b["easiness"], 2) and c["repetitions"] == 3


def test_a_poor_attempt_resets_and_lowers_easiness():
    good = sm2(sm2(None, 5, "t", "q", [], now=T0), 5, "t", "q", [], now=T0)
    bad = sm2(good, 1.0, "t", "q", ["point"], now=T0)
    assert (bad["interval_days"], bad["repetitions"]) == (1.0, 0)
    assert bad["easiness"] < good["easiness"]
    assert bad["due_at"] == (T0 + timedelta(days=1)).isoformat(timespec="seconds")


def test_easiness_never_drops_below_1_3():
    item = None
    for _ in range(10):
        item = sm2(item, 0, "t", "q", [], now=T0)
    assert item["easiness"] == 1.3


def test_due_selects_items_whose_time_has_come():
    items = [sm2(None, 1, "t", "q1", [], now=T0 - timedelta(days=2)), sm2(None, 5, "t", "q2", [], now=T0)]
    assert [d["question_id"] for d in due(items, now=T0)] == ["q1"]


def test_weakness():
    assert is_weak(2.0, []) and is_weak(4.5, ["missed point"]) and not is_weak(4.5, [])


def test_schedule_lists_every_item_soonest_first_with_what_is_due_now_and_in_how_many_days():
    items = [sm2(None, 5, "t", "later", [], now=T0), sm2(None, 1, "t", "overdue", ["p"], now=T0 - timedelta(days=3)),
             sm2(sm2(None, 4, "t", "week", [], now=T0), 4, "t", "week", [], now=T0)]
    s = schedule(items, now=T0)
    assert [(d.question_id, d.due_now, d.days_until) for d in s] == [
        ("overdue", True, 0.0), ("later", False, 1.0), ("week", False, 6.0)]
    assert s[0].missed == ["p"] and s[0].due_at == (T0 - timedelta(days=2)).isoformat(timespec="seconds")
