"""Grader: scores an answer against a bank item's key points, red flags and "how to say it" rubric,
combining embedding/term signals with the model's yes/no judgement per key point."""

from __future__ import annotations

import re

from interviewer.knowledge import Question, Text
from interviewer.models import Grade, KeyPointResult, RedFlagHit, SubScores
from interviewer.prompts import render, template
from interviewer.scoring import KeyPointSpec, Rubric, Scorer, split_sentences, strip_injections

_OVERCLAIM = re.compile(r"claim|production|own|pretend|experience", re.I)
_HEDGE = re.compile(
    r"\b(have not|haven't|did not|didn't|not (yet )?in production|my (honest )?boundary|i would (check|start|measure)"
    r"|not directly|i'd (check|verify|measure)|to be honest|honestly|where my experience ends|i am (still )?learning"
    r"|i'm (still )?learning|deepening|ramp(ing)?[- ]up)\b",
    re.I,
)
EXEMPLARS_TO_TRUST = 8
# Ownership claims the seed says the candidate must not make. Scale claims (NVIDIA itself, thousands of
# GPUs) are never in the CV; "in production" claims count only on topics the CV does not match well.
_NEG = r"(?![^.]{0,40}\b(not|never|haven't|hasn't|didn't|don't|no|without)\b)"
_CLAIM = r"\b(i|we)\b" + _NEG + r"[^.]{0,40}\b(owned|own|led|ran|built|shipped|deployed|operated|maintained|architected)\b"
_SCALE_CLAIM = re.compile(_CLAIM + r"[^.]{0,120}\b(at nvidia|nvidia scale|nvidia-scale|thousands of gpus)", re.I)
_PROD_CLAIM = re.compile(_CLAIM + r"[^.]{0,120}\b(in production|production (cluster|deployment|scale))", re.I)
GENERIC_OVERCLAIM = "claims production ownership or scale the CV does not show"
_NUMBER = re.compile(r"\d")
_STRUCTURE = re.compile(r"\b(first|second|then|finally|because|so that|trade-?off|therefore|step|checklist)\b", re.I)


def rubric_for(q: Question) -> Rubric:
    return Rubric(
        question=q.question,
        references=[q.model_answer],
        key_points=[KeyPointSpec(k.point, k.terms) for k in q.key_points],
        # The model answer is a graded exemplar too: the bank's 5/5 reference point.
        exemplars=[(q.model_answer, 1.0)] + [(e.answer, e.score / 5.0) for e in q.examples],
    )


class Grader:
    def __init__(self, embedder, llm=None, use_llm: bool = True, max_answer_chars: int = 6000, kb=None):
        self.kb = kb
        self.scorer = Scorer(embedder)
        self.llm = llm
        self.use_llm = use_llm and llm is not None and self.scorer.cal.llm_weight > 0
        self.max_answer_chars = max_answer_chars

    @property
    def name(self) -> str:
        return "hybrid" if self.use_llm else "embedding"

    def grade_question(self, q: Question, answer: str) -> Grade:
        return self.grade(rubric_for(q), answer, red_flags=self.red_flags_for(q),
                          how_to_say=q.how_to_say, improved=q.model_answer, curated=True)

    def red_flags_for(self, q: Question) -> list[tuple[str, list[str]]]:
        """The bank item's red flags plus the generic overclaim patterns for its topic."""
        row = self.kb.row(q.topic) if self.kb else None
        generic = [_SCALE_CLAIM.pattern] + ([_PROD_CLAIM.pattern] if row is None or row.match != "high" else [])
        return [(f.flag, f.patterns) for f in q.red_flags] + [(GENERIC_OVERCLAIM, generic)]

    def grade_free(self, question: str, reference: str, answer: str) -> Grade:
        return self.grade(Rubric.from_reference(question, reference), answer, improved=reference)

    def grade(self, rubric: Rubric, answer: str, red_flags: list[tuple[str, list[str]]] = (),
              how_to_say: Text | None = None, improved: str = "", exclude_exemplar: int | None = None,
              curated: bool = False) -> Grade:
        """curated: the key points were written for this question (a bank item), not cut from a reference."""
        notes: list[str] = []
        answer = answer or ""
        text = answer
        if len(text) > self.max_answer_chars:
            text = text[: self.max_answer_chars]
            notes.append(f"answer truncated to {self.max_answer_chars} of {len(answer)} characters for grading; "
                         "the full text is kept in the transcript")
        clean, removed = strip_injections(text)
        if removed:
            notes.append(f"ignored {len(removed)} sentence(s) addressed to the grader instead of the question")
        hts = how_to_say.en if how_to_say else ""
        hts_zh = how_to_say.zh if how_to_say else ""
        if not clean.strip():
            notes.append("empty answer")
            return Grade(
                score=0.0, sub_scores=SubScores(coverage=0, technical_accuracy=0, honesty_boundary=0, structure=0),
                key_points=[KeyPointResult(point=k.text, status="missed", confidence=0.0) for k in rubric.key_points],
                feedback="No answer to grade. " + (f"How to say it: {hts}" if hts else ""),
                improved_answer=improved, how_to_say=hts, how_to_say_zh=hts_zh, notes=notes, scorer=self.name,
            )
        sig = self.scorer.signals(rubric, clean, exclude_exemplar=exclude_exemplar)
        confs = list(sig.kp_conf)
        llm_yes = None
        if self.use_llm and rubric.key_points:
            w = self.scorer.cal.llm_weight
            ps = [self._judge(rubric.question, clean, k.text) for k in rubric.key_points]
            confs = [(1 - w) * c + w * p for c, p in zip(confs, ps)]
            llm_yes = sum(ps) / len(ps)
        base = self.scorer.combine(sig.features, bool(rubric.exemplars), llm_yes)
        if curated and confs:
            # With few graded exemplars the calibrated score regresses to the SAF training mean (~0.7);
            # curated key points (bank items) are the better signal until there are enough exemplars.
            n_ex = len(rubric.exemplars)
            trust = n_ex / (n_ex + EXEMPLARS_TO_TRUST)
            base = trust * base + (1 - trust) * sum(confs) / len(confs)

        cal = self.scorer.cal
        kps = []
        for k, c, ev in zip(rubric.key_points, confs, sig.kp_evidence):
            status = "covered" if c >= cal.covered else "partial" if c >= cal.partial else "missed"
            ev = ev if ev and ev in answer and status != "missed" else ""
            kps.append(KeyPointResult(point=k.text, status=status, confidence=round(min(1.0, max(0.0, c)), 3),
                                      evidence=ev))
        hits = self._red_flags(answer, red_flags)
        overclaims = [h for h in hits if _OVERCLAIM.search(h.flag)]
        misconceptions = [h for h in hits if h not in overclaims]
        score = max(0.0, 5 * base - 0.75 * len(misconceptions) - 1.0 * len(overclaims))
        sents = split_sentences(clean)
        structure = min(5.0, 1.0 + min(2.0, len(sents) / 3) + (1.0 if _NUMBER.search(clean) else 0.0)
                        + min(1.0, len(_STRUCTURE.findall(clean)) / 2))
        coverage = 5 * sum(confs) / max(1, len(confs))
        honesty = max(0.0, (5.0 if _HEDGE.search(clean) else 4.0) - 2.5 * len(overclaims))
        accuracy = max(0.0, min(5.0, 5 * base + 0.5) - 1.5 * len(misconceptions))
        grade = Grade(
            score=round(min(5.0, score), 2),
            sub_scores=SubScores(coverage=round(min(5.0, coverage), 2), technical_accuracy=round(accuracy, 2),
                                 honesty_boundary=round(honesty, 2), structure=round(structure, 2)),
            key_points=kps, red_flags=hits, feedback="", improved_answer=improved, how_to_say=hts,
            how_to_say_zh=hts_zh, notes=notes, scorer=self.name,
        )
        grade.feedback = self._feedback(grade)
        return grade

    def _judge(self, question: str, answer: str, point: str) -> float:
        # The answer comes before the point so every key point reuses the cached prefix.
        msgs = [{"role": "system", "content": template("grade_keypoint")},
                {"role": "user", "content": render("grade_keypoint_user", question=question, answer=answer,
                                                   point=point)}]
        return self.llm.yes_probability(msgs)

    @staticmethod
    def _red_flags(answer: str, flags) -> list[RedFlagHit]:
        hits: list[RedFlagHit] = []
        for flag, patterns in flags:
            if flag == GENERIC_OVERCLAIM and any(_OVERCLAIM.search(h.flag) for h in hits):
                continue  # the bank's own overclaim flag already caught it
            for p in patterns:
                m = re.search(p, answer, re.I)
                if m and m.group(0).strip():
                    hits.append(RedFlagHit(flag=flag, quote=m.group(0)))
                    break
        return hits

    @staticmethod
    def _feedback(g: Grade) -> str:
        verdict = ("Strong answer." if g.score >= 4 else "Solid but incomplete." if g.score >= 3
                   else "Weak answer." if g.score >= 1.5 else "Did not answer the question.")
        covered = [k.point for k in g.key_points if k.status == "covered"]
        missed = [k.point for k in g.key_points if k.status != "covered"]
        flags = "".join(f"Red flag: {h.flag} (\"{h.quote}\").\n" for h in g.red_flags)
        return render("feedback", verdict=verdict, score=g.score, covered="; ".join(covered) or "none",
                      missed="; ".join(missed) or "none", flags=flags, how_to_say=g.how_to_say or "-")
