"""Corrections in the candidate's words: the model's correction is shown only when every number it states is the
rubric's, or the candidate's own in a clause that reports what they said; otherwise the grader's rubric correction
stands. Unit tests script the model's output."""

import pytest

from interviewer.correction import (OPEN_MISSED, Target, check, clauses, fact_conflicts, messages, targets,
                                    unsupported_numbers, write)
from interviewer.knowledge import Fact, KeyPoint
from interviewer.models import KeyPointResult

POINT = KeyPoint(point="x16 is about 63 GB/s per direction for Gen5; the 128 GB/s figure counts both directions",
                 facts=[Fact(name="PCIe Gen5 x16 per direction", value=63, unit="GB/s", tolerance=2, terms=["x16"])])
TARGET = Target(point=POINT, said="Gen5 x16 gives 128 GB/s in each direction, and 150 GB/s with tuning.",
                reference="A Gen5 x16 link carries about 63 GB/s in each direction.")
GOOD = "You said Gen5 x16 gives 128 GB/s in each direction; in fact x16 carries about 63 GB/s per direction."


class ScriptedLLM:
    name = "scripted"

    def __init__(self, reply: str):
        self.reply = reply

    def chat(self, messages, max_tokens=256, stop=None):
        return self.reply


@pytest.mark.parametrize("reply, failure", [
    ("You said Gen5 x16 gives 128 GB/s; in fact it carries about 58 GB/s per direction.", "numbers"),
    ("Gen5 x16 gives 150 GB/s with tuning, and about 63 GB/s per direction otherwise.", "numbers"),  # theirs, unframed
    ("You said 128 GB/s; is it not 63 GB/s per direction?", "not a short correction"),
    ("In fact x16 carries about 63 GB/s per direction.", "does not name"),
    ('You said: "Gen5 x16 gives 128 GB/s in each direction."', "does not say what is true"),  # a bare quote
    ("You said Gen5 x16 gives 128 GB/s in each direction; in fact x16 carries about 63 GB/s per", "not a short"),
])
def test_a_correction_that_fails_a_check_is_not_shown(reply, failure):
    r = write(ScriptedLLM(reply), TARGET)
    assert not r.ok and r.text == ""
    assert any(f.startswith(failure) for f in r.failures), r.failures


def test_a_correction_built_from_the_rubric_naming_what_they_said_is_shown():
    r = write(ScriptedLLM(GOOD), TARGET)
    assert r.ok and r.text == GOOD and r.conflicts == []


def test_the_candidates_own_number_may_be_quoted_as_theirs():
    text = "You said 150 GB/s with tuning; Gen5 x16 carries about 63 GB/s per direction."
    assert unsupported_numbers(text, TARGET) == []


def test_units_are_compared_as_quantities():
    t = Target(point=KeyPoint(point="A 20 GB copy takes about 0.4 s at 50 GB/s"), said="It takes 0.15 seconds.")
    assert unsupported_numbers("You said 0.15 seconds; at 50 GB/s it takes about 400 ms.", t) == []
    assert unsupported_numbers("You said 0.15 seconds; it takes about 300 ms.", t) == ["300 ms"]


def test_a_wrong_fact_is_counted_as_a_contradiction_of_the_rubric_but_the_candidates_words_are_not():
    assert fact_conflicts("You said x16 gives 128 GB/s each way; x16 gives 63 GB/s per direction.", TARGET) == []
    assert fact_conflicts("You said it is fast; x16 gives 100 GB/s per direction.", TARGET) == [
        "PCIe Gen5 x16 per direction"]


def test_a_missed_point_is_corrected_without_inventing_what_the_candidate_said():
    t = Target(point=POINT, said="")
    assert "reports words the candidate did not say" in check("You said x16 is 128 GB/s; it is 63 GB/s.", t)
    assert check("You did not mention that x16 carries about 63 GB/s per direction.", t) == []


@pytest.mark.parametrize("reply", [
    "The candidate did not cover this part.\nThe roofline is 989 TFLOPS over 3.35 TB/s.",  # the prompt echoed
    "You did not mention it. You did not mention it. You did not mention it. You did not mention it.",
    "You did not mention the link training down to a narrower width after a bad reseat.",  # not the point's truth
])
def test_a_missed_point_needs_a_correction_that_opens_with_what_was_missed_and_says_what_is_true(reply):
    assert check(reply, Target(point=POINT, said="")) != []


class ContinuingLLM:
    """A backend that continues the reply's opening (as LlamaCppLLM does)."""

    name, continues_reply = "continuing", True

    def __init__(self, reply: str):
        self.reply, self.calls = reply, []

    def stream_chat(self, messages, max_tokens=256, stop=None, lookup=0):
        self.calls.append(messages)
        yield self.reply


def test_a_missed_point_is_asked_for_without_a_quote_and_opened_for_the_model():
    t = Target(point=POINT, said="", reference="A Gen5 x16 link carries about 63 GB/s in each direction.")
    assert "You said" not in " ".join(m["content"] for m in messages(t))
    llm = ContinuingLLM(" that x16 carries about 63 GB/s per direction; 128 GB/s counts both directions.")
    r = write(llm, t)
    assert llm.calls[0][-1] == {"role": "assistant", "content": OPEN_MISSED}
    assert r.ok and r.text.startswith(OPEN_MISSED + " that x16"), r.failures


def test_a_quote_on_a_line_of_its_own_is_joined_to_what_is_true():
    r = write(ScriptedLLM('You said: "Gen5 x16 gives 128 GB/s in each direction."\nWhat is true: x16 is about '
                          '63 GB/s per direction for Gen5.'), TARGET)
    assert r.ok and "\n" not in r.text and r.text.endswith("per direction for Gen5."), r.failures


def test_clauses_that_report_the_candidate_are_told_apart():
    assert clauses("You said 128 GB/s, but it is 63 GB/s.") == [("You said 128 GB/s", True), ("it is 63 GB/s.", False)]


def test_contradicted_points_come_first_then_the_most_important_missed_one():
    points = [KeyPoint(point=f"point {i}") for i in range(4)]
    results = [KeyPointResult(point="point 0", status="covered", confidence=1),
               KeyPointResult(point="point 1", status="missed", confidence=0),
               KeyPointResult(point="point 2", status="contradicted", confidence=0, evidence="it is 128"),
               KeyPointResult(point="point 3", status="missed", confidence=0)]
    chosen = targets(points, results, "")
    assert [(i, t.said) for i, t in chosen] == [(2, "it is 128"), (1, "")]


class ByCaseLLM:
    """Answers each probe case with the correction written for it."""

    name = "by-case"

    def __init__(self, replies: dict[str, str]):
        self.replies = replies

    def chat(self, messages, max_tokens=256, stop=None):
        return next(r for said, r in self.replies.items() if said in messages[-1]["content"])


def test_a_model_writing_checked_corrections_is_trusted_and_the_default_model_is_not(llm):
    from interviewer.correction import probe

    good = ByCaseLLM({
        "128 GB/s in each direction": "You said Gen5 x16 gives 128 GB/s in each direction; x16 is about 63 GB/s "
                                      "per direction for Gen5.",
        "whole buffer": "You said a ring allreduce sends the whole buffer to every other GPU; in a ring each rank "
                        "sends 2(n-1)/n of the buffer.",
        "300 GB/s": "You said NVLink 4 on H100 gives 300 GB/s per GPU; H100 NVLink 4 gives 900 GB/s per GPU in total.",
    })
    assert probe(good).enabled
    default = probe(llm)
    assert not default.enabled and default.passed < default.total


def test_a_quoted_sentence_is_the_candidates_words_even_when_its_full_stop_splits_it():
    # the 1.5B's correct correction was refused: the quote's own full stop left "300 GB/s" outside the framed clause
    t = Target(point=KeyPoint(point="NVLink 4 on H100: 900 GB/s total, 450 GB/s per direction",
                              facts=[Fact(name="NVLink 4 total", value=900, unit="GB/s", tolerance=10,
                                          terms=["nvlink"])]),
               said="NVLink 4 on H100 gives 300 GB/s per GPU.")
    text = 'You said: "NVLink 4 on H100 gives 300 GB/s per GPU." In fact NVLink 4 gives 900 GB/s in total.'
    assert unsupported_numbers(text, t) == [] and fact_conflicts(text, t) == []


def test_a_quote_that_puts_the_rubrics_figure_in_the_candidates_mouth_is_refused():
    text = 'You said: "Gen5 x16 gives 63 GB/s in each direction." In fact it is 63 GB/s per direction.'
    assert unsupported_numbers(text, TARGET) == ["63 GB/s"]
