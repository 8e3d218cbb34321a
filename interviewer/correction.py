"""Corrections in the candidate's words: for a contradicted (or the most important missed) key point the model says
what the candidate said and what is true, from the rubric only (the point, its facts, the reference). A correction
with a number the rubric does not hold, outside a clause that reports what the candidate said, is never shown: the
grader's rubric correction stands."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field

from interviewer.claims import check_fact, quantities, split_sentences, words
from interviewer.follow_up import clip, decide, lookup_tokens, names_claim, opened
from interviewer.knowledge import Fact, KeyPoint
from interviewer.prompts import render, template

# One or two sentences: enough for "you said X; in fact Y", short enough to generate while the next question is read.
MIN_CHARS, MAX_CHARS = 20, 420
# Under 40 words is about 50 tokens; the 1.5B writes about 6 a second on 2 shared cores.
MAX_TOKENS = 64
# Every contradicted point and the most important missed one, but at most this many per answer: each costs a
# generation (about 2-4 s for the 1.5B on 2 cores) while the candidate reads the next question.
MAX_CORRECTIONS = 3
# Sentences of the reference given to the model: those sharing the most words with the key point.
REFERENCE_SENTENCES = 2
# Two numbers are the same when within this share of each other (units converted: 400 ms is 0.4 s).
SAME_NUMBER = 0.01
# A clause reports the candidate's words: its numbers are theirs, not the correction's claims.
_FRAMED = re.compile(r"\byou\b[^.;]{0,20}\b(said|say|stated|state|mentioned|claimed|wrote|answered|quoted|gave|put|"
                     r"estimated|assumed|called)\b|\byour (answer|figure|number|claim|estimate|statement)\b", re.I)
_CLAUSE = re.compile(r";|—|–|:\s|,\s*(?=(?:but|while|whereas|however|yet|although|though|which|so)\b)|\bbut\b", re.I)
_QUOTED = re.compile(r"[\"“][^\"”]*[\"”]")
# How a correction opens, as the prompt asks: what the candidate said, or that they did not cover the point.
_OPENS_SAID = re.compile(r"^you\b[^.;]{0,20}\b(said|stated|mentioned|claimed|wrote|answered|described)\b", re.I)
_OPENS_MISSED = re.compile(r"^(you (did not|didn't|did n't|never|left out|missed|omitted)|the point is)\b", re.I)
# A missed point's opening, written into the model's turn where the backend continues a reply: told of both forms,
# the 1.5B opened a missed point with "You said you did not mention ...", a quote the candidate never said. (Given
# "You said" for a contradicted point, it wrote a colon, the whole quote and "This is true because ...": that
# opening is left to the model.)
OPEN_MISSED = "The point is"
MAX_SENTENCES = 3
# Where a correction is over: a blank line, or the prompt's facts and reference echoed.
STOPS = ["\n\n", "\nFacts:", "\nReference:"]


@dataclass
class Target:
    """One key point to correct: the point with its facts, what the candidate said about it ("" when they did not
    cover it) and the reference sentences about it."""

    point: KeyPoint
    said: str
    reference: str = ""

    def rubric_texts(self) -> list[str]:
        return ([self.point.point, self.reference] + [_fact_text(f) for f in self.point.facts])


def _fact_text(f: Fact) -> str:
    return f"{f.name}: {f.value:g} {f.unit}".strip()


def reference_for(point: KeyPoint, reference: str) -> str:
    """The REFERENCE_SENTENCES sentences of the reference that share the most words with the key point."""
    pw = set(words(point.point)) | {w for t in point.terms for w in words(t)}
    sents = split_sentences(reference)
    best = sorted(sents, key=lambda s: -len(pw & set(words(s))))[:REFERENCE_SENTENCES]
    return " ".join(s for s in sents if s in best)


def targets(points: list[KeyPoint], results, reference: str) -> list[tuple[int, Target]]:
    """(index, target) of the key points to correct: every contradicted one with the candidate's quote, then the
    most important missed one (points are listed most important first), at most MAX_CORRECTIONS."""
    out = [(i, Target(points[i], clip(r.evidence), reference_for(points[i], reference)))
           for i, r in enumerate(results) if r.status == "contradicted" and r.evidence]
    missed = next((i for i, r in enumerate(results) if r.status == "missed"), None)
    if missed is not None:
        out.append((missed, Target(points[missed], "", reference_for(points[missed], reference))))
    return out[:MAX_CORRECTIONS]


def messages(t: Target, opening: str = "") -> list[dict[str, str]]:
    """The chat: what the candidate said (a prompt of its own for a point they did not cover, which asks for no
    quote), the rubric's point, facts and reference; last the opening of the model's reply, if any."""
    facts = "".join(f"- {_fact_text(f)}\n" for f in t.point.facts)
    user = render("correction_user" if t.said else "correction_missed", said=t.said, point=t.point.point,
                  facts=facts or "- (none)\n", reference=t.reference or "-")
    return opened(template("correction_system"), user, opening)


# --------------------------------------------------------------------------- checks


def clauses(text: str) -> list[tuple[str, bool]]:
    """The text's clauses, each with whether it reports what the candidate said (framed, or inside a quote: a
    quoted sentence's own full stop splits it, 'You said: "... 300 GB/s per GPU." In fact ...')."""
    return [(c, framed or quoted) for c, framed, quoted in _clauses(text)]


def _clauses(text: str) -> list[tuple[str, bool, bool]]:
    """Each clause, whether it is framed as the candidate's words, and whether it lies inside a quote."""
    quotes = [m.span() for m in _QUOTED.finditer(text)]
    out, pos = [], 0
    for s in split_sentences(text):
        for c in _CLAUSE.split(s):
            if c and c.strip():
                c = c.strip()
                at = text.find(c, pos)
                pos = at + len(c) if at >= 0 else pos
                quoted = at >= 0 and any(a <= at and at + len(c) <= b for a, b in quotes)
                out.append((c, bool(_FRAMED.search(c)), quoted))
    return out


def _same(a, b) -> bool:
    return a.dim == b.dim and abs(a.value - b.value) <= SAME_NUMBER * max(abs(a.value), abs(b.value), 1e-12)


def unsupported_numbers(text: str, t: Target) -> list[str]:
    """The numbers of the correction that neither the rubric holds nor the candidate said in a clause (or quote)
    that reports their words."""
    rubric = [q for s in t.rubric_texts() for q in quantities(s)]
    theirs = quantities(t.said)
    bad = []
    for clause, framed, in_quote in _clauses(text):
        quoted = " ".join(_QUOTED.findall(clause))
        for q in quantities(clause):
            said = any(_same(q, r) for r in theirs)
            if in_quote or q.text in quoted:
                if not said:  # a quote holds the candidate's numbers only: a rubric figure put in their mouth
                    bad.append(q.text)
            elif not (any(_same(q, r) for r in rubric) or (framed and said)):
                bad.append(q.text)
    return bad


def fact_conflicts(text: str, t: Target) -> list[str]:
    """The key point's facts that the correction's own claims (clauses not reporting the candidate) get wrong."""
    own = [c for c, framed in clauses(text) if not framed]
    return [f.name for f in t.point.facts if (c := check_fact(f, own)) is not None and c.status == "contradicted"]


def check(text: str, t: Target) -> list[str]:
    """Every reason the correction may not be shown; empty when it passes."""
    out = []
    # a correction cut off at the token cap (no closing full stop) says less than it set out to
    if (not (MIN_CHARS <= len(text) <= MAX_CHARS) or "?" in text or len(split_sentences(text)) > MAX_SENTENCES
            or not text.endswith(".")):
        out.append("not a short correction")
    if not (_OPENS_SAID if t.said else _OPENS_MISSED).match(text):
        out.append("does not open with what the candidate said" if t.said else "does not open with what was missed")
    # in words of the rubric's that the candidate did not say: a bare quote of a half-right answer says nothing true
    if not names_claim(text, " ".join([t.point.point, t.reference]), besides=t.said):
        out.append("does not say what is true")
    bad = unsupported_numbers(text, t)
    if bad:
        out.append("numbers the rubric does not hold: " + ", ".join(bad))
    if t.said and not names_claim(text, t.said):
        out.append("does not name what the candidate said")
    if not t.said and _OPENS_SAID.match(text):
        out.append("reports words the candidate did not say")
    return out


# --------------------------------------------------------------------------- writing


@dataclass
class Result:
    text: str = ""
    raw: str = ""  # what the model wrote, shown or not
    failures: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)  # facts the raw output got wrong (shown or not)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return bool(self.text) and not self.failures


def write(llm, t: Target, max_tokens: int = MAX_TOKENS) -> Result:
    """The model's correction, checked; text is empty when it failed (failures say why). Its lines are joined: the
    1.5B writes 'You said: "<quote>"' and 'What is true: ...' on lines of their own."""
    t0 = time.perf_counter()
    if getattr(llm, "continues_reply", False):  # drafts from the words it copies (the rubric's, the candidate's)
        opening = "" if t.said else OPEN_MISSED
        reply = opening + "".join(llm.stream_chat(messages(t, opening), max_tokens=max_tokens, stop=STOPS,
                                                  lookup=lookup_tokens(llm)))
    else:
        reply = llm.chat(messages(t), max_tokens=max_tokens, stop=STOPS)
    raw = " ".join(reply.split()).strip('"“”')
    r = Result(raw=raw, failures=check(raw, t), conflicts=fact_conflicts(raw, t), seconds=time.perf_counter() - t0)
    if r.conflicts and not r.failures:  # cannot pass the number check, kept as a second guard
        r.failures = ["contradicts the rubric's facts: " + ", ".join(r.conflicts)]
    r.text = "" if r.failures else raw
    return r


# --------------------------------------------------------------------------- the probe

# Known wrong answers with their rubric: the model passes one when its correction passes every check.
PROBE_CASES = [
    {"said": "Gen5 x16 gives 128 GB/s in each direction.",
     "point": {"point": "Gen5 x16 gives about 63 GB/s per direction; 128 GB/s counts both directions",
               "facts": [{"name": "PCIe Gen5 x16 per direction", "value": 63, "unit": "GB/s", "tolerance": 2,
                          "terms": ["x16"]}]},
     "reference": "Marketing quotes the bidirectional total, about 128 GB/s."},
    {"said": "A ring allreduce sends the whole buffer to every other GPU.",
     "point": {"point": "In a ring each rank sends 2(n-1)/n of the buffer, to its neighbour only"},
     "reference": "A reduce-scatter then an all-gather, between neighbours."},
    {"said": "NVLink 4 on H100 gives 300 GB/s per GPU.",
     "point": {"point": "H100 NVLink 4 gives 900 GB/s per GPU in total (18 links of 50 GB/s)",
               "facts": [{"name": "H100 NVLink bandwidth per GPU", "value": 900, "unit": "GB/s", "tolerance": 10,
                          "terms": ["nvlink", "h100"]}]},
     "reference": "H100 has 18 NVLink 4 links of 50 GB/s each, 900 GB/s per GPU in total."},
]


def probe_targets() -> list[Target]:
    return [Target(point=KeyPoint(**c["point"]), said=c["said"], reference=c["reference"]) for c in PROBE_CASES]


def probe(llm):
    """Corrections on the probe's known cases: on when all pass but at most follow_up.PROBE_MISSES."""
    return decide((write(llm, t).failures for t in probe_targets()), len(PROBE_CASES), "corrections")
