"""Grader: judges each key point of a rubric against an answer (covered, partial, missed or contradicted, with
the quote that decided it), checks numbers and known misconceptions, reads honesty sentence by sentence, and
turns that into a 0-5 score and verdict with weights fitted on the interview set's dev half
(`python -m eval train-grader`). The SAF-calibrated exemplar model still grades rubrics that come with many
graded exemplars (the external regression check)."""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
from pydantic import BaseModel

from interviewer.claims import (FUNCTION, asserted, check_fact, claim_weight, experience_claims, honest_boundary,
                                quantities, split_sentences, words)
from interviewer.injection import strip_injections
from interviewer.judge import Judgement, judge_point
from interviewer.knowledge import FollowUp, KeyPoint, Question, Text, story_answer
from interviewer.llm import ModelError
from interviewer.models import Check, Grade, Ignored, KeyPointResult, RedFlagHit, SubScores
from interviewer.prompts import render
from interviewer.scoring import Rubric, Scorer, term_hits, token_recall

MODEL_FILE = Path(__file__).with_name("grader_model.json")
# Rubrics with at least this many graded exemplars are graded by the SAF exemplar model (it needs them).
MIN_EXEMPLARS = 8
ON_SUBJECT = 0.3  # a sentence this similar to some point or reference sentence is on the subject (chosen on dev)
ELSEWHERE = 0.2  # an answer this much closer to another bank question's model answer than to its own is off it
GENERIC_OVERCLAIM = "claims experience the CV does not show (production, scale or hands-on work)"
_STRUCTURE = re.compile(r"\b(first|second|then|finally|because|so that|trade-?off|therefore|step|checklist)\b", re.I)
_NUMBER = re.compile(r"\d")
STATUSES = ["missed", "partial", "covered"]


# --------------------------------------------------------------------------- the fitted model


class Tree(BaseModel):
    """One regression tree of the answer score (sklearn's node arrays: a leaf has left == -1)."""

    feature: list[int]
    threshold: list[float]
    left: list[int]
    right: list[int]
    value: list[float]

    def predict(self, x: np.ndarray) -> float:
        i = 0
        while self.left[i] >= 0:
            i = self.left[i] if x[self.feature[i]] <= self.threshold[i] else self.right[i]
        return self.value[i]


class GraderModel(BaseModel):
    """Weights of the key-point classifier and of the answer score, fitted by `python -m eval train-grader`."""

    kp_features: list[str]
    kp_coef: list[list[float]]  # one row per status in STATUSES (multinomial logistic regression)
    kp_intercept: list[float]
    answer_features: list[str]
    answer_coef: list[float]
    answer_intercept: float
    bands: dict[str, float] = {"strong": 4.0, "solid": 3.0, "weak": 1.5}
    # a monotone map from the linear score to the 0-5 scale (knots; identity when empty)
    calibration_x: list[float] = []
    calibration_y: list[float] = []
    misconception_margin: float = 1.0  # a sentence this much closer to a misconception than to the point contradicts it
    llm_weight: float = 0.0
    # the answer score as a forest of monotone trees (each answer signal held to its sign in ANSWER_SIGNS), used
    # instead of the linear score and its map when the fit chose it by cross-validation on dev
    forest: list[Tree] = []
    fitted_on: str = "defaults"
    n: int = 0
    cv: dict = {}


_PART = re.compile(r"(?<!e\.g)(?<!i\.e)(?:;\s+|(?<=[a-z0-9)])\.\s+|,\s+(?=(?:and|but|so|while|then)\b))")


def _parts(point: str) -> list[str]:
    """A key point's separate claims (a point often packs several: "rc = ...; ud = ...; dc = ...")."""
    return [x.strip() for x in _PART.split(point) if len(x.strip()) > 12] or [point]


KP_FEATURES = ["sim", "sim_claim", "tok", "terms", "terms_claim", "facts_ok", "parts", "parts_min"]
ANSWER_FEATURES = ["coverage", "covered_share", "clean_coverage", "contradicted", "any_wrong", "facts_bad",
                   "misconception_flags", "mis_margin", "overclaim", "unsupported", "list_share", "ref_cos",
                   "tok_recall", "q_cos", "length", "honest", "elsewhere"]
# The sign each answer weight is held to when fitting: what a strict interviewer rewards (+1) or penalises (-1);
# 0 leaves it free. A fit may not learn that a contradiction raises a score.
ANSWER_SIGNS = {"coverage": 1, "covered_share": 1, "clean_coverage": 1, "contradicted": -1, "any_wrong": -1,
                "facts_bad": -1, "misconception_flags": -1, "mis_margin": -1, "overclaim": -1, "unsupported": -1,
                "list_share": -1, "ref_cos": 0, "tok_recall": 1, "q_cos": 0, "length": 0, "honest": 0, "elsewhere": -1}

DEFAULT_MODEL = GraderModel(
    kp_features=KP_FEATURES,
    kp_coef=[[-6.0, -2.0, -2.0, -1.0, -1.0, -1.0, 0.0, 0.0], [0.0] * 8, [6.0, 2.0, 2.0, 1.0, 1.0, 1.0, 0.0, 0.0]],
    kp_intercept=[3.0, 0.0, -4.0],
    answer_features=ANSWER_FEATURES,
    answer_coef=[2.0, 0.5, 2.0, -2.0, -0.5, -0.5, -0.75, 0.0, -1.5, -0.3, -1.5, 0.5, 0.5, 0.0, 0.0, 0.0, -1.0],
    answer_intercept=0.0,
)


def load_model(path: Path = MODEL_FILE) -> GraderModel:
    if path.exists():
        try:
            m = GraderModel.model_validate_json(path.read_text())
            if m.kp_features == KP_FEATURES and m.answer_features == ANSWER_FEATURES:
                return m
        except ValueError:
            pass
    return DEFAULT_MODEL


@lru_cache(maxsize=None)
def pattern(p: str) -> re.Pattern:
    """A bank pattern, compiled once: the bank holds thousands, past what re's own cache keeps, so re.search would
    compile a question's patterns again on every grade."""
    return re.compile(p, re.I)


def save_model(m: GraderModel, path: Path = MODEL_FILE) -> None:
    d = m.model_dump()
    trees = d.pop("forest")
    text = json.dumps(d, indent=2)
    if trees:  # one line per tree: the weights above stay readable
        text = text[:-2] + ',\n  "forest": [\n' + ",\n".join("    " + json.dumps(t, separators=(",", ":"))
                                                      for t in trees) + "\n  ]\n}"
    path.write_text(text + "\n")


# --------------------------------------------------------------------------- what an answer is graded against


@dataclass
class Case:
    """A rubric for grading: the question, its reference, the key points (with misconceptions, facts and honesty
    rules), red flags, and how strictly production claims count (the topic's match level)."""

    question: str
    reference: str
    points: list[KeyPoint]
    red_flags: list[tuple[str, str, list[str]]] = field(default_factory=list)  # (flag, kind, patterns)
    match: str | None = None
    cv_gaps: set[str] = field(default_factory=set)
    how_to_say: Text | None = None
    improved: str = ""
    # other texts of the item whose numbers are right (follow-up rubrics): a number an answer states that none
    # of the rubric's texts holds is unsupported
    context: list[str] = field(default_factory=list)
    qid: str = ""  # the bank question graded (its siblings tell an answer to another question apart); "" otherwise


@dataclass
class Features:
    kp: list[dict[str, float]]
    answer: dict[str, float]
    contradicted: list[tuple[str, str]]  # per key point: (quote, correction) or ("", "")
    by_meaning: list[tuple[float, str]]  # per key point: how much closer a sentence is to a misconception, and it
    evidence: list[str]
    flags: list[RedFlagHit]
    overclaims: list[RedFlagHit]
    facts_checked: list
    honest: str
    sentences: list[str]
    elsewhere: str = ""  # the bank question this answer is clearly closer to, when it is not the one asked


# Hardware and libraries met only in a GPU datacenter or an NVIDIA deployment: hands-on work with one the CV does
# not name is a claim the CV does not back (the match table's rows name the technologies, not the equipment).
GAP_PRODUCTS = {"h100", "h200", "b200", "gb200", "a100", "dgx", "hgx", "nvl72", "nvswitch", "nvshmem", "quantum-2",
                "spectrum-x", "connectx", "connectx-7", "bluefield", "doca", "orin", "jetson", "isaac", "mvapich2",
                "open mpi", "tensorrt-llm", "gpudirect", "infiniband", "nccl", "ucx", "nixl", "dynamo"}


def cv_gap_terms(kb) -> set[str]:
    """Technology names of the JD rows the CV matches weakly (in the skill: any word with two capitals, NCCL;
    in the scope: mixed-case names, GPUDirect, and acronyms of four letters or more, RDMA) that neither the CV
    nor a well-matched row mentions: a production claim naming one is an overclaim whatever the topic."""
    if kb is None:
        return set()
    known = (" ".join(it.text for a in kb.cv.areas for it in a.items) + " " + kb.cv.summary + " " +
             " ".join(r.jd_skill.en + " " + r.scope for r in kb.match.rows if r.match == "high")).lower()
    out = set()
    for r in kb.match.rows:
        if r.match == "high":
            continue
        names = [w for w in re.findall(r"[A-Za-z][A-Za-z0-9]{2,}", r.jd_skill.en) if sum(c.isupper() for c in w) >= 2]
        names += [w for w in re.findall(r"[A-Za-z][A-Za-z0-9]{2,}", r.scope)
                  if (w.isupper() and len(w) >= 4) or (sum(c.isupper() for c in w) >= 2 and not w.isupper()
                                                       and not re.fullmatch(r"[A-Z]+s", w))]
        out |= {w.lower() for w in names if w.lower() not in known}
    return out | {p for p in GAP_PRODUCTS if p not in known}


def case_for_question(q: Question, kb=None) -> Case:
    row = kb.row(q.topic) if kb else None
    # a deep dive's better answer is the user's own story in the template's structure, never an invented one
    ref = story_answer(kb, q) if kb else q.model_answer
    context = [f.question + " " + f.reference + " " + " ".join(k.point for k in f.key_points) for f in q.follow_ups]
    return Case(question=q.question, reference=ref, points=list(q.key_points),
                red_flags=[(f.flag, f.kind, f.patterns) for f in q.red_flags], match=row.match if row else None,
                cv_gaps=cv_gap_terms(kb), how_to_say=q.how_to_say, improved=ref, context=context, qid=q.id)


def case_for_follow_up(q: Question, fu: FollowUp | None, question_text: str, key_point: int, kb=None) -> Case:
    """A follow-up is graded on its own rubric; until the bank gives it one, on the parent key point it probes,
    never on the parent's whole model answer (and no "better answer" to a different question is shown)."""
    base = case_for_question(q, kb)
    if fu is not None and fu.key_points:
        points, ref = list(fu.key_points), fu.reference
    else:
        points, ref = [q.key_points[min(key_point, len(q.key_points) - 1)]], ""
    base.question, base.reference, base.points, base.improved = question_text, ref, points, ref
    base.context += [q.question, q.model_answer]
    base.qid = ""  # a follow-up probes one narrow point: nearer another question's model answer is no sign
    return base


def case_for_reference(question: str, reference: str) -> Case:
    """A free question: key points cut from the reference's sentences."""
    r = Rubric.from_reference(question, reference)
    return Case(question=question, reference=reference,
                points=[KeyPoint(point=k.text, terms=k.terms) for k in r.key_points if len(k.text) >= 3],
                improved=reference)


def red_flags(sents: list[str], nxt: list[str], case: Case) -> tuple[list[RedFlagHit], list[RedFlagHit]]:
    """The question's red flags the answer's sentences assert, and its overclaims: the question's overclaim flags,
    else a first-person claim of scale (never in this CV), of hands-on work on a technology the CV lacks, or of
    production work (or work in the speaker's organisation's deployment) on a topic the CV does not match strongly."""
    flags, over = [], []
    for flag, kind, patterns in case.red_flags:
        hit = None
        for s, n in zip(sents, nxt):
            for p in patterns:
                mt = pattern(p).search(s)
                if mt and mt.group(0).strip() and asserted(s, mt.start(), n):
                    hit = RedFlagHit(flag=flag, quote=mt.group(0))
                    break
            if hit:
                break
        if hit:
            (over if kind == "overclaim" else flags).append(hit)
    if not over:
        for c in experience_claims(sents, case.cv_gaps):
            low = c.sentence.lower()
            gap = any(re.search(r"\b" + re.escape(t) + r"\b", low) for t in case.cv_gaps)
            # scale is never in this CV; production counts on every topic the CV does not match strongly (the
            # gaps the positioning names: production NCCL/UCX/NIXL, owned rollouts), or when it names a
            # technology the CV lacks
            if c.kind in ("scale", "hands_on") or case.match not in (None, "high") or gap:
                over.append(RedFlagHit(flag=GENERIC_OVERCLAIM, quote=c.quote))
                break
    return flags, over


# --------------------------------------------------------------------------- the grader


class Grader:
    """Grades answers against bank items, follow-ups and free questions; same input, same grade."""

    def __init__(self, embedder, llm=None, use_llm: bool = True, max_answer_chars: int = 6000, kb=None,
                 model: GraderModel | None = None, judge_weight: float | None = None):
        self.kb = kb
        self.embedder = embedder
        self.scorer = Scorer(embedder)
        self.model = model or load_model()
        self.llm = llm
        # the weight of the model's judgement: the fit for the loaded model (interviewer/judge.py), given by the
        # session; 0 without one, so the default model grades exactly as without it
        self.judge_weight = self.model.llm_weight if judge_weight is None else judge_weight
        self.use_llm = use_llm and llm is not None and self.judge_weight > 0
        self.max_answer_chars = max_answer_chars
        self._cases: dict[tuple, dict] = {}

    @property
    def name(self) -> str:
        return "hybrid" if self.use_llm else "embedding"

    def set_judge(self, weight: float) -> None:
        """Join the model's judgement to every grade with this weight (0: grade without the model)."""
        self.judge_weight = weight
        self.use_llm = self.llm is not None and weight > 0

    # ---- entry points

    def grade_question(self, q: Question, answer: str) -> Grade:
        return self.grade_case(case_for_question(q, self.kb), answer)

    def grade_follow_up(self, q: Question, question_text: str, key_point: int, answer: str) -> Grade:
        return self.grade_case(self.follow_up_case(q, question_text, key_point), answer)

    def follow_up_case(self, q: Question, question_text: str, key_point: int) -> Case:
        """The rubric a follow-up's answer is graded on: the bank follow-up asked (by its text, else by its key
        point), or the follow-up's question and the parent key point."""
        fu = next((f for f in q.follow_ups if f.question == question_text), None)
        if fu is None:
            fu = next((f for f in q.follow_ups if f.key_point == key_point), None) if question_text else None
        return case_for_follow_up(q, fu, question_text, key_point, self.kb)

    def prepare(self, q: Question, question_text: str | None = None, key_point: int | None = None) -> None:
        """Compute a question's (or follow-up's) rubric vectors ahead of its answer, so that grading the answer
        only has the answer left to read (the session calls it while the candidate is answering)."""
        case = (case_for_question(q, self.kb) if key_point is None
                else self.follow_up_case(q, question_text or "", key_point))
        self._prepare_case(case)
        self._bank_vectors()

    def grade_free(self, question: str, reference: str, answer: str) -> Grade:
        return self.grade_case(case_for_reference(question, reference), answer)

    def grade(self, rubric: Rubric, answer: str, exclude_exemplar: int | None = None) -> Grade:
        """A rubric from a data set: the SAF exemplar model when it has many graded exemplars, else the key points."""
        ex = [e for i, e in enumerate(rubric.exemplars) if i != exclude_exemplar]
        if len(ex) < MIN_EXEMPLARS:
            case = Case(question=rubric.question, reference=" ".join(rubric.references),
                        points=[KeyPoint(point=k.text, terms=k.terms) for k in rubric.key_points],
                        improved=rubric.references[0] if rubric.references else "")
            return self.grade_case(case, answer)
        text, notes, ignored = self._prepare(answer)
        if not text.strip():
            return self._empty(Case(rubric.question, "", []), notes, ignored)
        sig = self.scorer.signals(rubric, text, exclude_exemplar=exclude_exemplar)
        score = 5 * self.scorer.combine(sig.features, True)
        return Grade(score=round(score, 2), sub_scores=SubScores(coverage=round(score, 2), technical_accuracy=0,
                                                                 honesty_boundary=0, structure=0),
                     key_points=[], feedback=f"Score {score:.1f}/5 from {len(ex)} graded exemplars.",
                     improved_answer=rubric.references[0] if rubric.references else "", notes=notes,
                     scorer="exemplars", verdict=self.verdict(score), ignored=ignored,
                     checks=[Check(name="exemplars", summary=f"nearest of {len(ex)} graded answers", confidence=0.7)])

    # ---- the pipeline

    def _prepare(self, answer: str) -> tuple[str, list[str], list[Ignored]]:
        notes: list[str] = []
        text = answer or ""
        if len(text) > self.max_answer_chars:
            notes.append(f"answer truncated to {self.max_answer_chars} of {len(text)} characters for grading; "
                         "the full text is kept in the transcript")
            text = text[: self.max_answer_chars]
        clean, removed = strip_injections(text)
        ignored = [Ignored(sentence=s, reason=why) for s, why in removed]
        if removed:
            notes.append(f"ignored {len(removed)} sentence(s) addressed to the grader instead of the question")
        return clean, notes, ignored

    def grade_case(self, case: Case, answer: str) -> Grade:
        text, notes, ignored = self._prepare(answer)
        if not text.strip():
            return self._empty(case, notes + ["empty answer"] if not (answer or "").strip() else notes, ignored)
        f = self.features(case, text)
        return self.decide(case, f, text, answer, notes, ignored)

    def decide(self, case: Case, f: Features, text: str, answer: str, notes: list[str] = (),
               ignored: list[Ignored] = (), judgements: list[Judgement] | None = None) -> Grade:
        """The grade from an answer's signals and the fitted weights (training reuses the signals), with the
        model's judgement of each key point joined when the grader uses it (given, or asked here)."""
        base = [self._kp_probs(k) for k in f.kp]
        if not (self.use_llm and case.points):
            return self._decide(case, f, text, answer, notes, ignored, base)
        try:
            js = judgements or [judge_point(self.llm, case.question, text, k.point) for k in case.points]
        except ModelError as e:  # the model (server) did not answer: the answer is still graded, and saved
            grade = self._decide(case, f, text, answer, notes, ignored, base)
            grade.checks = [c for c in grade.checks if c.name != "model"]
            grade.notes.append(f"graded without the model's judgement: {e}")
            return grade
        w = self.judge_weight
        probs = [np.array([(1 - w) * p[0] + w * (1 - j.support), (1 - w) * p[1], (1 - w) * p[2] + w * j.support])
                 for p, j in zip(base, js)]
        grade = self._decide(case, f, text, answer, notes, ignored, probs)
        if ignored:
            # sentences addressed to the grader were removed: the model read what is left, but it may still have
            # been swayed, so its judgement can lower this answer and never raise it
            without = self._decide(case, f, text, answer, notes, ignored, base)
            if without.score < grade.score:
                without.notes.append("the model's judgement was not allowed to raise an answer that addressed "
                                     "the grader")
                return without
        return grade

    def _decide(self, case: Case, f: Features, text: str, answer: str, notes, ignored, probs) -> Grade:
        m = self.model
        results = []
        for k, p, (quote, corr), (margin, msent), ev in zip(case.points, probs, f.contradicted, f.by_meaning,
                                                          f.evidence):
            if not quote and margin >= m.misconception_margin:
                quote, corr = msent, k.point
            if quote:
                results.append(KeyPointResult(point=k.point, status="contradicted", confidence=0.0,
                                              evidence=quote if quote in answer else "", correction=corr))
                continue
            cov = float(p[2] + 0.5 * p[1])
            status = STATUSES[int(np.argmax(p))]
            if k.boundary:
                status, cov = ("covered", 1.0) if f.honest else ("missed", 0.0)
                ev = f.honest
            results.append(KeyPointResult(point=k.point, status=status, confidence=round(min(1.0, max(0.0, cov)), 3),
                                          evidence=ev if ev and ev in answer and status != "missed" else ""))
        wrong_quotes = {r.evidence for r in results if r.status == "contradicted" and r.evidence}
        for r in results:
            if r.status != "contradicted" and r.evidence in wrong_quotes:
                r.evidence = ""  # a sentence that states something wrong is never shown as evidence of a point
        af = self.answer_features(f, results)
        x = np.array([af[n] for n in m.answer_features])
        if m.forest:
            score = float(np.mean([t.predict(x) for t in m.forest]))
        else:
            score = float(min(5.0, max(0.0, m.answer_intercept + x @ np.array(m.answer_coef))))
            if m.calibration_x:
                score = float(np.interp(score, m.calibration_x, m.calibration_y))
        if f.overclaims:
            # an overclaim can never be worth more than the same answer without it
            score = max(0.0, min(score, 5.0 - 1.0 * len(f.overclaims)))
        supported = sum(r.confidence for r in results) + 0.5 * sum(c.status == "confirmed" for c in f.facts_checked)
        wrong = af["contradicted"] * len(results) + af["facts_bad"] + af["misconception_flags"]
        accuracy = 5 * supported / (supported + 2 * wrong + 0.5)
        honesty = max(0.0, (5.0 if f.honest else 4.0) - 2.5 * len(f.overclaims))
        structure = min(5.0, 1.0 + min(2.0, len(f.sentences) / 3) + (1.0 if _NUMBER.search(text) else 0.0)
                        + min(1.0, len(_STRUCTURE.findall(text)) / 2))
        grade = Grade(
            score=round(score, 2),
            sub_scores=SubScores(coverage=round(5 * af["coverage"], 2), technical_accuracy=round(accuracy, 2),
                                 honesty_boundary=round(honesty, 2), structure=round(structure, 2)),
            key_points=results, red_flags=f.flags + f.overclaims, feedback="", improved_answer=case.improved,
            how_to_say=case.how_to_say.en if case.how_to_say else "",
            how_to_say_zh=case.how_to_say.zh if case.how_to_say else "", notes=list(notes), scorer=self.name,
            ignored=list(ignored), verdict=self.verdict(score, wrong=bool(wrong), elsewhere=bool(f.elsewhere)),
            checks=self._checks(case, f, results, probs),
        )
        grade.feedback = self._feedback(grade)
        return grade

    def verdict(self, score: float, wrong: bool = False, elsewhere: bool = False) -> str:
        """The words for the score's band; below "solid", what sank it when the grade knows (an answer that
        states wrong things did answer the question, and is told so)."""
        b = self.model.bands
        if score >= b["strong"]:
            return "Strong answer."
        if score >= b["solid"]:
            return "Solid but incomplete."
        if wrong:
            return "Gets key points wrong."
        if elsewhere:
            return "Answers a different question."
        return "Weak answer." if score >= b["weak"] else "Did not answer the question."

    def _empty(self, case: Case, notes: list[str], ignored: list[Ignored]) -> Grade:
        hts = case.how_to_say
        return Grade(
            score=0.0, sub_scores=SubScores(coverage=0, technical_accuracy=0, honesty_boundary=0, structure=0),
            key_points=[KeyPointResult(point=k.point, status="missed", confidence=0.0) for k in case.points],
            feedback="No answer to grade. " + (f"How to say it: {hts.en}" if hts else ""),
            improved_answer=case.improved, how_to_say=hts.en if hts else "", how_to_say_zh=hts.zh if hts else "",
            notes=notes, scorer=self.name, ignored=ignored, verdict=self.verdict(0.0),
        )

    # ---- signals

    def _emb(self, texts: list[str]) -> np.ndarray:
        return self.scorer._emb(texts)

    def _bank_vectors(self) -> tuple[list[Question], np.ndarray]:
        """Every bank question with its model answer's vector (seconds on 2 cores: once per embedder and bank)."""
        qs = list(self.kb.questions) if self.kb is not None else []
        return qs, _encoded(self.embedder, tuple(q.model_answer for q in qs))

    def _elsewhere(self, case: Case, a_vec) -> tuple[float, str]:
        """How much closer the answer is to another bank question's model answer than to its own (0-1, 1 at
        ELSEWHERE or more), and that question: an answer to a different question (dev: off-topic answers sit a
        median 0.17 closer to another question, correct paraphrases at most 0.05)."""
        qs, vecs = self._bank_vectors() if case.qid and a_vec is not None else ([], None)
        own = next((i for i, q in enumerate(qs) if q.id == case.qid), None)
        if own is None or len(qs) < 2:
            return 0.0, ""
        sims = vecs @ a_vec
        sims[own], mine = -1.0, float(sims[own])
        j = int(np.argmax(sims))
        gap = float(sims[j]) - mine
        # named on the card only when the answer is substantially about that question (a vague answer is not)
        named = gap >= ELSEWHERE / 2 and float(sims[j]) >= 0.5
        return min(1.0, max(0.0, gap) / ELSEWHERE), (qs[j].question if named else "")

    def features(self, case: Case, text: str) -> Features:
        """Every signal of an answer against a case, before any weight is applied (shared with training)."""
        rub = Rubric(question=case.question, references=[case.reference] if case.reference else [],
                     key_points=[])
        prep = self._prepare_case(case)
        sents = split_sentences(text)
        # one batch for the answer and its sentences (the filler check and the signals reuse the vectors)
        self.scorer.warm([" ".join(sents)] + sents, [" ".join(sents)] if sents else [])
        drop = self.scorer.filler(rub, sents) if sents else []
        sents = [s for s, d in zip(sents, drop) if not d]
        nxt = sents[1:] + [""]
        weights = [claim_weight(s) for s in sents]
        answer = " ".join(sents)
        s_vecs = self._emb(sents) if sents else np.zeros((0, 384), np.float32)
        ref_sents, ref_vecs = prep["ref_sents"], prep["ref_vecs"]
        a_vec = self._emb([answer])[0] if answer else None
        tok_a = self.scorer._tok([answer])[0] if answer and hasattr(self.embedder, "token_vectors") else None
        tok_q = self.scorer._tok([case.question or " "])[0] if tok_a is not None else None
        claimed = " ".join(s for s, w in zip(sents, weights) if w >= 0.5)  # terms count only in statements
        kp_feats, contradicted, by_meaning, evidence, facts_checked = [], [], [], [], []
        # how close each sentence comes to any point or reference sentence: only words on the rubric's subject
        # count as length (three sentences of generic padding once lifted a partial answer from 1.9 to 3.1)
        relevance = (s_vecs @ ref_vecs.T).max(axis=1) if len(sents) and len(ref_vecs) else np.zeros(len(sents))
        for k, kv, av, pv in zip(case.points, prep["kp_vecs"], prep["anchor_vecs"], prep["part_vecs"]):
            per_part = (s_vecs @ pv.T).max(axis=0) if len(sents) else np.zeros(1)
            parts, parts_min = float(per_part.mean()), float(per_part.min())
            if len(sents):
                sims = (s_vecs @ av.T).max(axis=1)
                best = int(np.argmax(sims))
                sim = float(sims[best])
                sim_claim = float(max(w * s for w, s in zip(weights, sims)))
                relevance = np.maximum(relevance, sims)
            else:
                sims, best, sim, sim_claim = np.zeros(0), 0, 0.0, 0.0
            terms = k.terms or _content(k.point)
            th = _term_share(answer, terms)
            th_claim = _term_share(claimed, terms)
            tok = 0.0
            if tok_a is not None:
                tok = token_recall(tok_a, self.scorer._tok([k.point])[0], tok_q, self.scorer.cal.tok_demote)
            others = [t for o in case.points for fc in o.facts for t in fc.terms]
            checks = [c for c in (check_fact(fc, sents, others) for fc in k.facts) if c is not None]
            facts_checked += checks
            ok = sum(c.status == "confirmed" for c in checks)
            quote, corr = self._contradiction(k, sents, nxt, checks)
            by_meaning.append(self._closer_to_misconception(k, sents, nxt, s_vecs, kv))
            if k.boundary and not quote:
                quote = self._mastery_claim(k, sents, case)
                corr = k.point if quote else ""
            contradicted.append((quote, corr))
            evidence.append(sents[best] if len(sents) else "")
            kp_feats.append({"sim": sim, "sim_claim": sim_claim, "tok": tok, "terms": th, "terms_claim": th_claim,
                             "facts_ok": float(min(ok, 2)), "parts": parts, "parts_min": parts_min})
        subject_words = sum(len(words(s)) for s, r in zip(sents, relevance) if r >= ON_SUBJECT)
        # the on-subject sentences alone stand for the answer against the reference and the question: padding
        # off the subject diluted the whole answer's vector, and with those weights negative it raised the grade
        on = s_vecs[relevance >= ON_SUBJECT].mean(axis=0) if np.any(relevance >= ON_SUBJECT) else None
        o_vec = on / max(1e-9, float(np.linalg.norm(on))) if on is not None else a_vec
        flags, overclaims = red_flags(sents, nxt, case)
        honest = honest_boundary(sents) if not overclaims else ""
        elsewhere, other = self._elsewhere(case, a_vec)
        ans = {
            "facts_bad": float(min(2, sum(c.status == "contradicted" for c in facts_checked))),
            "misconception_flags": float(min(2, len(flags))),
            "overclaim": float(bool(overclaims)),
            "list_share": (sum(len(words(s)) * (1 - w) for s, w, r in zip(sents, weights, relevance) if r >= ON_SUBJECT)
                           / max(1, subject_words)),
            "ref_cos": float(np.max(ref_vecs @ o_vec)) if o_vec is not None and len(ref_vecs) else 0.0,
            "tok_recall": self.scorer.tok_recall(rub, answer) if answer and case.reference else 0.0,
            "q_cos": float(self._emb([case.question])[0] @ o_vec) if o_vec is not None and case.question else 0.0,
            "length": min(1.0, math.log1p(subject_words) / math.log(200)),
            "honest": float(bool(honest)),
            "unsupported": min(3, _unsupported(sents, prep["known"])) / 3,
            "elsewhere": elsewhere,
        }
        return Features(kp=kp_feats, answer=ans, contradicted=contradicted, by_meaning=by_meaning, evidence=evidence,
                        flags=flags, overclaims=overclaims, facts_checked=facts_checked, honest=honest, sentences=sents,
                        elsewhere=other)

    def _prepare_case(self, case: Case) -> dict:
        """The rubric's own vectors, computed in one batch the first time a rubric is seen."""
        key = (case.question, case.reference, tuple(k.point for k in case.points))
        hit = self._cases.get(key)
        if hit is not None:
            return hit
        ref_sents = split_sentences(case.reference) if case.reference else []
        mis = [m.statement for k in case.points for m in k.misconceptions]
        points = [k.point for k in case.points]
        parts = [_parts(p) for p in points]
        self.scorer.warm([case.question or " ", case.reference or " "] + ref_sents + points + mis + sum(parts, []),
                         [case.question or " ", case.reference or " "] + points)
        ref_vecs = self._emb(ref_sents) if ref_sents else np.zeros((0, 384), np.float32)
        kp_vecs = self._emb(points) if points else np.zeros((0, 384), np.float32)
        anchors = []
        for kv in kp_vecs:
            # the point's own words, and the reference sentence that says it (a paraphrase may follow either)
            av = [kv]
            if len(ref_vecs):
                j = int(np.argmax(ref_vecs @ kv))
                if float(ref_vecs[j] @ kv) >= 0.5:
                    av.append(ref_vecs[j])
            anchors.append(np.stack(av))
        # each of a point's claims on its own: an answer that says one of three is not the whole point
        part_vecs = [self._emb(ps) if len(ps) > 1 else kv[None, :] for ps, kv in zip(parts, kp_vecs)]
        if len(self._cases) > 512:
            self._cases.clear()
        known = [x for t in [case.question, case.reference, *points, *case.context] for x in quantities(t) if x.dim]
        out = self._cases[key] = {"ref_sents": ref_sents, "ref_vecs": ref_vecs, "kp_vecs": kp_vecs,
                                  "anchor_vecs": anchors, "part_vecs": part_vecs, "known": known}
        return out

    def answer_features(self, f: Features, results: list[KeyPointResult]) -> dict[str, float]:
        n = max(1, len(results))
        coverage = sum(r.confidence for r in results if r.status != "contradicted") / n
        contradicted = sum(r.status == "contradicted" for r in results) / n
        wrong = float(contradicted > 0 or f.answer["facts_bad"] > 0 or f.answer["misconception_flags"] > 0)
        return dict(f.answer) | {
            "coverage": coverage, "covered_share": sum(r.status == "covered" for r in results) / n,
            "contradicted": contradicted, "any_wrong": wrong,
            # how much closer in meaning some sentence is to a known misconception than to its point (soft evidence)
            "mis_margin": max([0.0] + [min(0.3, mg) for mg, _ in f.by_meaning]) / 0.3,
            # coverage counts fully only in an answer with nothing wrong and no overclaim
            "clean_coverage": coverage * (1 - wrong) * (1 - f.answer["overclaim"]),
        }

    def _kp_probs(self, kf: dict[str, float]) -> np.ndarray:
        m = self.model
        x = np.array([kf[n] for n in m.kp_features])
        z = np.array(m.kp_coef) @ x + np.array(m.kp_intercept)
        e = np.exp(z - z.max())
        return e / e.sum()

    def _contradiction(self, k: KeyPoint, sents, nxt, checks) -> tuple[str, str]:
        """The sentence that states one of the point's misconceptions (by pattern) or a wrong number for one of
        its facts; and the correction."""
        for ms in k.misconceptions:
            for s, n in zip(sents, nxt):
                for p in ms.patterns:
                    mt = pattern(p).search(s)
                    if mt and asserted(s, mt.start(), n):
                        return s, k.point
        bad = next((c for c in checks if c.status == "contradicted"), None)
        if bad is not None:
            return bad.sentence, f"{bad.name}: {bad.expected} (you said {bad.said})"
        return "", ""

    def _closer_to_misconception(self, k: KeyPoint, sents, nxt, s_vecs, kv) -> tuple[float, str]:
        """How much closer in meaning the answer's most suspect asserted sentence is to one of the point's
        misconceptions than to the point itself, and that sentence (-1 when there is nothing to compare)."""
        if not k.misconceptions or not len(sents):
            return -1.0, ""
        mv = self._emb([ms.statement for ms in k.misconceptions])
        to_mis = (s_vecs @ mv.T).max(axis=1)
        margin = np.where(to_mis >= 0.6, to_mis - s_vecs @ kv, -1.0)
        for i in np.argsort(-margin):
            if asserted(sents[i], 0, nxt[i]):
                return float(margin[i]), sents[i]
        return -1.0, ""

    def _mastery_claim(self, k: KeyPoint, sents, case: Case) -> str:
        for s in sents:
            for p in k.mastery_claims:
                mt = pattern(p).search(s)
                if mt and asserted(s, mt.start()):
                    return s
        hits = experience_claims(sents, case.cv_gaps)
        return hits[0].sentence if hits else ""

    def _checks(self, case: Case, f: Features, results, probs) -> list[Check]:
        n = max(1, len(results))
        conf = float(np.mean([p.max() for p in probs])) if probs else 0.0
        out = [Check(name="meaning", summary=f"{sum(r.status == 'covered' for r in results)} of {len(results)} key "
                     "points expressed in the answer's own sentences", confidence=round(conf, 2))]
        nt = sum(1 for k in f.kp if k["terms_claim"] > 0)
        out.append(Check(name="terms", summary=f"the point's terms used in statements for {nt} of {n} key points "
                         "(terms in a bare list do not count)", confidence=0.5))
        if any(k.facts for k in case.points):
            ok = sum(c.status == "confirmed" for c in f.facts_checked)
            bad = sum(c.status == "contradicted" for c in f.facts_checked)
            total = sum(len(k.facts) for k in case.points)
            out.append(Check(name="facts", summary=f"{ok} of {total} numeric facts stated correctly, {bad} wrong",
                             confidence=0.9 if f.facts_checked else 0.3))
        if any(k.misconceptions for k in case.points) or case.red_flags:
            nc = sum(r.status == "contradicted" for r in results)
            out.append(Check(name="misconceptions", summary=f"{nc} key point(s) contradicted, {len(f.flags)} known "
                             "wrong statement(s) found", confidence=0.8))
        out.append(Check(name="honesty", summary=("overclaim: " + f.overclaims[0].quote) if f.overclaims else
                         ("honest boundary stated" if f.honest else "no claim of experience either way"),
                         confidence=0.8))
        if case.qid:
            out.append(Check(name="subject", summary=(f"reads closer to another question: \"{f.elsewhere}\"" if
                                                      f.elsewhere else "answers the question asked"),
                             confidence=0.7))
        if self.use_llm:
            out.append(Check(name="model", summary=f"the model's judgement per key point (made, not made, "
                             f"contradicted), weight {self.judge_weight:.2f}", confidence=round(self.judge_weight, 2)))
        return out

    @staticmethod
    def _feedback(g: Grade) -> str:
        covered = [k.point for k in g.key_points if k.status == "covered"]
        missed = [k.point for k in g.key_points if k.status in ("missed", "partial")]
        wrong = "".join(f"Wrong: \"{k.evidence}\" — {k.correction}\n" for k in g.key_points
                        if k.status == "contradicted")
        flags = wrong + "".join(f"Red flag: {h.flag} (\"{h.quote}\").\n" for h in g.red_flags)
        return render("feedback", verdict=g.verdict, score=g.score, covered="; ".join(covered) or "none",
                      missed="; ".join(missed) or "none", flags=flags, how_to_say=g.how_to_say or "-")


@lru_cache(maxsize=4)
def _encoded(embedder, texts: tuple[str, ...]) -> np.ndarray:
    return embedder.encode(list(texts)) if texts else np.zeros((0, 384), np.float32)


def _unsupported(sents: list[str], known: list) -> int:
    """Numbers with a unit the answer states that no text of the rubric holds (within 12%): often a wrong one."""
    n = 0
    for s in sents:
        for x in quantities(s):
            if x.dim and not any(k.dim == x.dim and abs(k.value - x.value) <= 0.12 * abs(k.value) for k in known):
                n += 1
    return n


def _content(text: str) -> list[str]:
    out: list[str] = []
    for w in words(text):
        if len(w) > 3 and w not in FUNCTION and w not in out:
            out.append(w)
    return out[:6]


def _term_share(text: str, terms: list[str]) -> float:
    """Share of a point's terms (words or phrases, case-insensitive) present in the text."""
    return term_hits(text.lower(), set(words(text)), terms) if text else 0.0
