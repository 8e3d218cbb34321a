"""Sentences aimed at the grader instead of the question (prompt injection): found and set aside before
grading, each with the reason, while ordinary technical sentences that merely use words like "ignore",
"system", "score" or "prompt" are kept.

A sentence is set aside when it carries markup meant for a model, a JSON grade, a fake rubric or score line,
or when two kinds of cue meet: a directive about grading, a demanded outcome, an address to the grader, or a
reference to the rubric or to "this answer". One cue alone is ordinary language."""

from __future__ import annotations

import re

from interviewer.claims import split_sentences

_I = re.I

_MARKUP = re.compile(r"<\|?(system|im_start|im_end|assistant|user|endoftext)\|?>|\[/?(system|inst)\]"
                     r"|</?(answer|instructions?|system|prompt|rubric)>", _I)
_JSON_GRADE = re.compile(r"[\"']?\b(score|grade|rating|status|要点)[\"']?\s*[:=]\s*[\"']?\s*(5|5\.0|10|covered|full|"
                         r"全部覆盖)\b|\"score\"\s*:", _I)
_LABEL = re.compile(r"^\W*(score|grade|rating|rubric|new rubric|fake rubric|key ?points?( covered)?|"
                    r"reference answer|keywords?|note to (the )?\w+|评分标准|评分|要点)\s*[:：]", _I)
_ROLE = re.compile(r"^\W*(system|assistant|developer|grader|evaluator|examiner|user|系统提示|系统)\s*[:：]", _I)
_ZH_SCORE = re.compile(r"满分|[给打].{0,6}[5五]分|全部覆盖|要点已?覆盖")
_RESTATE = re.compile(r"\brestat\w* the (whole )?question\b", _I)

_ADDRESS = re.compile(r"\b(grader|evaluator|examiner|marker|assessor)s?\b|\byou are (now )?(a|an|the|my)\b|\bact as\b"
                      r"|\bpretend (you|to be)\b|\brole-?play\b|你现在是|面试官|考官|阅卷", _I)
_DIRECTIVE = re.compile(
    r"\b(ignore|disregard|forget|override|bypass)\b[^.\n]{0,40}\b(rubric|instructions?|criteria|grading|scoring|"
    r"marking|rules above|previous|above)\b"
    r"|\b(give|award|assign|grant)\s+(me|us|it|this( answer| response)?|my answer|the answer|the candidate)\b"
    r"|\b(rate|score|grade|mark)\s+(this|it|me|my|the)\s+(answer|response|reply|as)\b"
    r"|\b(rate|score|grade|mark)\s+(this|it|me)\b(?!\s+\w+\s+(as )?(dirty|busy|free|invalid|ready))"
    r"|\byou are now\b|\b(treat|consider)\s+(this|my) (answer|response)\b|\b(output|return|respond with)\b[^.\n]{0,20}\b(score|grade)\b"
    r"|\b(must|should|will)\s+(be\s+)?(graded|scored|marked|rated)\b|\b(must|should) (output|give|return|mark)\b|\balways (gives?|returns?|outputs?)\b[^.\n]{0,20}"
    r"\b(5|five|full|score|points)\b|忽略|无视|不要理会|给.{0,8}[5五]分|打.{0,4}[5五]分|都给",
    _I,
)
_OUTCOME = re.compile(
    r"\b5\s*/\s*5\b|\b10\s*/\s*10\b|\bfull (marks|score|points|credit)\b|\b(perfect|maximum|max|highest|top) "
    r"(score|grade|marks|points|rating)\b|\b(score|grade|mark|rating|graded)\b[^.\n]{0,25}\b(5(\.0)?|five)\b"
    r"(?!\s*(ms|us|gb|%|x|gpus?))|\b(5|five) (points|marks|stars)\b|\bflawless\b|\bdeserves?\b|\bexcellent\b"
    r"|\bkey points?\b[^.\n]{0,25}\bcovered\b|\bcovers? (all|every)\b[^.\n]{0,15}\b(key )?points?\b"
    r"|\bfully covers?\b|\bmatches the reference\b|\bperfect\b|满分|[5五]\s*分|全部覆盖|要点已?覆盖|所有要点",
    _I,
)
_META = re.compile(r"\b(rubric|grading criteria|evaluation criteria|marking scheme|reference answer|key points?|"
                   r"(previous|above|prior|all) instructions|this (answer|response|reply)|my (answer|response)|"
                   r"the answer above|the previous answer)\b|\b(both|all|every|each)( key)?( points?)? (are )?covered\b|评分标准|这个回答|本回答|所有回答", _I)


def injection_reason(sentence: str) -> str:
    """Why the sentence addresses the grader rather than the question, or "" for an ordinary sentence."""
    s = sentence
    if _MARKUP.search(s):
        return "chat-template or markup tokens aimed at the model"
    if _JSON_GRADE.search(s):
        return "a grade written as JSON for the grader's output"
    if _ZH_SCORE.search(s):
        return "asks for a score"
    if _RESTATE.search(s):
        return "says it restates the question"
    cues = {"directive": bool(_DIRECTIVE.search(s)), "outcome": bool(_OUTCOME.search(s)),
            "address": bool(_ADDRESS.search(s)), "meta": bool(_META.search(s))}
    if _ROLE.search(s) and any(cues.values()):
        return "a fake system, assistant or grader turn"
    if _LABEL.search(s):
        return "a fake rubric, keyword or score line"
    if cues["directive"] and (cues["outcome"] or cues["meta"] or cues["address"]):
        return "tells the grader how to grade"
    if cues["outcome"] and (cues["address"] or cues["meta"]):
        return "asks for a score"
    return ""


def strip_injections(text: str) -> tuple[str, list[tuple[str, str]]]:
    """The text without sentences aimed at the grader, and the (sentence, reason) pairs set aside."""
    kept, removed = [], []
    for s in split_sentences(text):
        why = injection_reason(s)
        if why:
            removed.append((s, why))
        else:
            kept.append(s)
    return " ".join(kept), removed
