"""Draft bank: a capable model drafts a match table and questions with key points from the user's own JD and CV,
one JD item at a time, into a new knowledge folder for review, validated by the loader of hand-written files."""

from __future__ import annotations

import re
import shutil
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import yaml
from pydantic import BaseModel, Field, ValidationError

from interviewer import prompts
from interviewer.knowledge import (CV, FILES, FollowUp, Item, JobDescription, KeyPoint, MatchLevel, MatchRow,
                                   MatchTable, Priority, PriorityTopic, Question, QuestionFile, RedFlag, Text,
                                   _load_md, load_knowledge, parse_cv, parse_jd)
from interviewer.llm import LLM, ModelError

# JD sections drafted, in this order, with what the prompt calls them and the priority their rows and questions
# get: hard requirements first.
DRAFT_KINDS: tuple[tuple[str, str, Priority], ...] = (
    ("requirements", "hard requirement", "P0"), ("duties", "duty", "P1"), ("pluses", "plus", "P2"))
# One retry, told what was wrong: greedy decoding repeats the same reply when asked the same prompt.
ATTEMPTS = 2
# Token budgets: a complete reply fits well inside them; a runaway string is cut here, fails and is retried.
ROW_TOKENS = 450
QUESTION_TOKENS = 1400
POSITIONING_TOKENS = 400
# The CV goes into each prompt whole when it fits; a longer CV is cut to the items sharing most words with the JD
# item, so a small context (n_ctx 4096) always suffices.
CV_PROMPT_CHARS = 2500
FOLLOW_UPS = 3
ROW_ID_CHARS = 40
QUESTIONS_FILE = "questions/drafts.yaml"


class DraftError(ValueError):
    """The draft could not be made or written; the message says which item or file and why."""


# --------------------------------------------------------------------------- what the model fills in
# No string lengths in these schemas: llama.cpp spells a maxLength out as one grammar rule per character, which
# overflows its grammar parser (it crashed the process). Lengths are checked by the knowledge models instead.


class RowDraft(BaseModel):
    """One match-table row as the model drafts it."""

    scope: str
    cv_items: list[str] = Field(max_length=4)
    cv_evidence: str
    match: MatchLevel
    risk: str
    how_to_say: str


class PointDraft(BaseModel):
    """One key point with the terms that signal it and a follow-up question probing it."""

    point: str
    terms: list[str] = Field(min_length=1, max_length=4)
    follow_up: str


class QuestionDraft(BaseModel):
    """One bank question as the model drafts it."""

    question: str
    key_points: list[PointDraft] = Field(min_length=3, max_length=5)
    red_flag: str
    model_answer: str


class PositioningDraft(BaseModel):
    paragraphs: list[str] = Field(min_length=1, max_length=3)


# --------------------------------------------------------------------------- the report


class ItemResult(BaseModel):
    """What became of one JD item: its row and question drafted and valid, or why not."""

    item: str
    text: str
    row: bool = False
    question: bool = False
    seconds: float = 0.0
    errors: list[str] = []


class DraftReport(BaseModel):
    out: Path
    model: str
    seconds: float
    positioning: bool
    items: list[ItemResult]
    warnings: list[str] = []

    @property
    def rows(self) -> int:
        return sum(i.row for i in self.items)

    @property
    def questions(self) -> int:
        return sum(i.question for i in self.items)

    def summary(self) -> dict:
        n = len(self.items)
        return {"out": str(self.out), "model": self.model, "seconds": round(self.seconds, 1), "items": n,
                "rows": self.rows, "questions": self.questions,
                "valid_share": round((self.rows + self.questions) / (2 * n), 3) if n else 0.0,
                "positioning": self.positioning, "warnings": self.warnings,
                "failed": {i.item: i.errors for i in self.items if i.errors}}


# --------------------------------------------------------------------------- inputs and the folder


def read_inputs(jd_path: Path, cv_path: Path) -> tuple[JobDescription, CV]:
    """The user's JD and CV parsed and validated as the knowledge loader does; KnowledgeError names file and field."""
    return _load_md(Path(jd_path), parse_jd, JobDescription), _load_md(Path(cv_path), parse_cv, CV)


def default_out(data_dir: Path) -> Path:
    """A new folder for a draft: <data_dir>/drafts/<UTC timestamp>."""
    return Path(data_dir) / "drafts" / datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")


def check_new(out: Path) -> None:
    """Refuse a folder that already exists: a draft never overwrites anything."""
    if Path(out).exists():
        raise DraftError(f"{out} already exists; a draft never overwrites a folder: pass a new --out DIR")


def jd_items(jd: JobDescription, limit: int | None = None) -> list[tuple[Item, str, Priority]]:
    """The JD items to draft with their kind and priority, hard requirements first, then duties, then pluses; the
    first `limit` of them."""
    items = [(it, label, prio) for kind, label, prio in DRAFT_KINDS for it in getattr(jd, kind)]
    return items[:limit] if limit else items


def row_id(item: Item) -> str:
    """A match-table row id from a JD item: its id and the first words of its text."""
    words = re.sub(r"[^a-z0-9]+", " ", f"{item.id} {item.text}".lower()).split()
    rid = words[0]
    for w in words[1:]:
        if len(rid) + 1 + len(w) > ROW_ID_CHARS:
            break
        rid += "_" + w
    return rid


def cv_lines(cv: CV, about: str) -> str:
    """The CV as `id: text` lines, cut to the items sharing most words with `about` when it is long."""
    items = [it for a in cv.areas for it in a.items]
    lines = [f"{it.id}: {it.text} ({a.name})" for a in cv.areas for it in a.items]
    if sum(len(x) + 1 for x in lines) <= CV_PROMPT_CHARS:
        return "\n".join(lines)
    words = set(re.findall(r"[a-z0-9+]{3,}", about.lower()))
    ranked = sorted(range(len(items)), key=lambda i: -len(words & set(re.findall(r"[a-z0-9+]{3,}", lines[i].lower()))))
    kept, size = [], 0
    for i in ranked:
        if size + len(lines[i]) + 1 > CV_PROMPT_CHARS:
            break
        kept.append(i)
        size += len(lines[i]) + 1
    return "\n".join(lines[i] for i in sorted(kept))


# --------------------------------------------------------------------------- asking the model


def ask(llm: LLM, prompt: str, schema: type[BaseModel], max_tokens: int, build=None):
    """The model's schema-constrained reply, made into the bank's object by `build` when given; a reply that is
    not valid JSON, or that the bank's rules refuse (an empty red flag, a short model answer), is asked for again
    once with the error. The last attempt's ValidationError (naming the field) or a ModelError is raised."""
    messages = [{"role": "system", "content": "You reply with JSON only."}, {"role": "user", "content": prompt}]
    err: Exception | None = None
    for _ in range(ATTEMPTS):
        try:
            reply = llm.json(messages, schema, max_tokens=max_tokens)
            return build(reply) if build else reply
        except (ModelError, ValidationError) as e:
            err = e
            msg = _field_errors(e) if isinstance(e, ValidationError) else str(e)
            messages = messages[:2] + [{"role": "user", "content": prompts.render("draft_retry", error=msg[:300])}]
    if isinstance(err, ValidationError):
        raise err
    raise ModelError(f"no valid {schema.__name__} after {ATTEMPTS} attempts: {err}")


def _terms(raw: list[str]) -> list[str]:
    out: list[str] = []
    for t in raw:
        t = t.strip().lower()
        if len(t) >= 3 and t not in out:
            out.append(t)
    return out


def build_row(item: Item, d: RowDraft, cv_ids: set[str]) -> tuple[MatchRow, list[str]]:
    """The match row for a JD item and the CV ids it cites (ids the CV does not have are dropped)."""
    cited = [c for c in dict.fromkeys(x.strip() for x in d.cv_items) if c in cv_ids]
    row = MatchRow(id=row_id(item), scope=d.scope, jd_skill=Text(en=item.text, zh=item.zh),
                   cv_evidence=Text(en=d.cv_evidence), match=d.match, risk=Text(en=d.risk),
                   how_to_say=Text(en=d.how_to_say))
    return row, cited


def build_question(item: Item, prio: Priority, row: MatchRow, cited: list[str], d: QuestionDraft,
                   mark: str) -> Question:
    """The bank question for a row, with the draft mark among its sources; ValidationError names the field."""
    kps = [KeyPoint(point=p.point, terms=_terms(p.terms)) for p in d.key_points]
    return Question(
        id=f"{row.id.replace('_', '-')}-draft", topic=row.id, priority=prio, difficulty=2, question=d.question,
        key_points=kps, red_flags=[RedFlag(flag=d.red_flag)],
        follow_ups=[FollowUp(question=p.follow_up, key_point=i) for i, p in enumerate(d.key_points[:FOLLOW_UPS])],
        model_answer=d.model_answer, how_to_say=row.how_to_say,
        sources=[f"JD {item.id}", *[f"CV {c}" for c in cited], mark])


def _field_errors(e: ValidationError) -> str:
    return "; ".join(f"{'.'.join(str(x) for x in err['loc'])}: {err['msg']}" for err in e.errors())


def draft_item(llm: LLM, jd: JobDescription, cv: CV, item: Item, kind: str, prio: Priority, mark: str,
               ) -> tuple[ItemResult, MatchRow | None, Question | None]:
    """Draft one JD item's row, then its question; a failure of either is recorded, never raised."""
    t0 = time.perf_counter()
    res = ItemResult(item=item.id, text=item.text)
    row = question = None
    cv_ids = {it.id for a in cv.areas for it in a.items}
    try:
        row, cited = ask(llm, prompts.render("draft_match_row", title=jd.title, item_id=item.id, kind=kind,
                                             item=item.text, cv=cv_lines(cv, item.text)), RowDraft, ROW_TOKENS,
                         build=lambda d: build_row(item, d, cv_ids))
        res.row = True
    except (ModelError, ValidationError) as e:
        res.errors.append(f"match row: {_field_errors(e) if isinstance(e, ValidationError) else e}")
    if row is not None:
        try:
            question = ask(llm, prompts.render("draft_question", title=jd.title, item_id=item.id, item=item.text,
                                               scope=row.scope, evidence=row.cv_evidence.en, match=row.match,
                                               risk=row.risk.en), QuestionDraft, QUESTION_TOKENS,
                           build=lambda d: build_question(item, prio, row, cited, d, mark))
            res.question = True
        except (ModelError, ValidationError) as e:
            res.errors.append(f"question: {_field_errors(e) if isinstance(e, ValidationError) else e}")
    res.seconds = round(time.perf_counter() - t0, 2)
    return res, row, question


def draft_positioning(llm: LLM, jd: JobDescription, cv: CV) -> list[str] | None:
    """The candidate's positioning paragraphs, or None when the model could not draft them."""
    try:
        d = ask(llm, prompts.render("draft_positioning", title=jd.title, jd_summary=jd.summary,
                                    cv_summary=cv.summary or cv.name, areas=", ".join(a.name for a in cv.areas)),
                PositioningDraft, POSITIONING_TOKENS)
    except ModelError:
        return None
    return d.paragraphs


def probe_warnings(llm: LLM, settings) -> list[str]:
    """A warning, never a block, when the capability probe (cached per model) did not trust the model with writing
    questions around a rubric (follow-ups), the skill closest to drafting a bank."""
    from interviewer.index import get_embedder
    from interviewer.probe import probed

    caps = probed(llm, get_embedder(str(settings.embedding_path())), settings)
    if caps.follow_ups.enabled:
        return []
    return [f"{llm.name} did not pass the capability probe for writing questions ({caps.summary()}): expect invalid "
            "or wrong drafts and review every item"]


# --------------------------------------------------------------------------- the run


def draft_bank(llm: LLM, jd_path: Path, cv_path: Path, out: Path, limit: int | None = None,
               say: Callable[[str], None] = lambda m: None, warnings: list[str] | None = None) -> DraftReport:
    """Draft a knowledge folder at `out` (which must not exist) from the JD and CV files, keeping every valid item;
    the folder is loaded with the knowledge loader before this returns. DraftError when nothing could be drafted."""
    t0 = time.perf_counter()
    jd, cv = read_inputs(jd_path, cv_path)
    out = Path(out)
    check_new(out)
    out.mkdir(parents=True)
    mark = f"draft by {llm.name}, not reviewed"
    results: list[ItemResult] = []
    rows: list[MatchRow] = []
    questions: list[Question] = []
    prios: dict[str, Priority] = {}
    todo = jd_items(jd, limit)
    for n, (item, kind, prio) in enumerate(todo, 1):
        res, row, q = draft_item(llm, jd, cv, item, kind, prio, mark)
        results.append(res)
        if row is not None:
            rows.append(row)
            prios[row.id] = prio
        if q is not None:
            questions.append(q)
        state = "ok" if not res.errors else "; ".join(res.errors)
        say(f"[{n}/{len(todo)}] {item.id} {item.text[:50]}: {state} ({res.seconds:.1f} s)")
    if not rows:
        out.rmdir()  # ours and still empty: nothing else is there to lose
        failed = "\n".join(f"  {r.item}: {'; '.join(r.errors)}" for r in results) or "  the JD has no items"
        raise DraftError(f"the model drafted no valid match row, nothing written:\n{failed}")
    say("drafting the positioning")
    paragraphs = draft_positioning(llm, jd, cv)
    report = DraftReport(out=out, model=llm.name, seconds=0.0, positioning=paragraphs is not None, items=results,
                         warnings=list(warnings or []))
    _write(out, jd_path, cv_path, jd, rows, prios, questions, paragraphs, report)
    try:
        load_knowledge(out)
    except ValueError as e:
        raise DraftError(f"the drafted folder {out} does not validate (kept for inspection):\n{e}") from e
    report.seconds = round(time.perf_counter() - t0, 2)
    return report


def _dump(model: BaseModel) -> dict:
    return model.model_dump(mode="json", exclude_defaults=True)


def _write(out: Path, jd_path: Path, cv_path: Path, jd: JobDescription, rows: list[MatchRow],
           prios: dict[str, Priority], questions: list[Question], paragraphs: list[str] | None,
           report: DraftReport) -> None:
    """The knowledge files, each marked as a draft, and a README saying what to review."""
    header = f"# DRAFT by {report.model}: review every row before relying on it (see README.md).\n"
    shutil.copyfile(jd_path, out / FILES["jd"])
    shutil.copyfile(cv_path, out / FILES["cv"])
    text = "\n\n".join(f"- {p.strip()}" for p in paragraphs) if paragraphs else (
        f"- TO FILL: how you honestly present yourself for {jd.title} (the model could not draft this).")
    (out / FILES["positioning"]).write_text(f"# Positioning (draft)\n\n{text}\n", encoding="utf-8")
    table = MatchTable(rows=rows, priorities=[
        PriorityTopic(id=r.id, level=prios[r.id], topic=r.jd_skill, reason=r.risk, rows=[r.id]) for r in rows])
    (out / FILES["match"]).write_text(header + _yaml(_dump(table)), encoding="utf-8")
    if questions:
        qpath = out / QUESTIONS_FILE
        qpath.parent.mkdir()
        qf = QuestionFile(topic="drafts", questions=questions)
        qpath.write_text(header + _yaml(_dump(qf)), encoding="utf-8")
    (out / "README.md").write_text(_readme(out, report), encoding="utf-8")


def _yaml(data: dict) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=110)


def _readme(out: Path, report: DraftReport) -> str:
    lines = [f"# Draft knowledge folder (not reviewed)\n",
             f"Drafted by `{report.model}` on {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC from the JD and CV "
             "copied here. A model wrote the match table, the positioning and the questions: check every row's "
             "evidence and match level, every key point and model answer, and add misconceptions, facts and red-flag "
             "patterns before you rely on the grades.\n",
             f"Use it: `python -m interviewer interview --knowledge {out} ...` or `python app.py --knowledge {out}`.\n",
             "| JD item | match row | question | seconds | why not |", "|---|---|---|---|---|"]
    for r in report.items:
        lines.append(f"| {r.item} {r.text} | {'yes' if r.row else 'no'} | {'yes' if r.question else 'no'} | "
                     f"{r.seconds:.1f} | {'; '.join(r.errors).replace('|', '/')[:300]} |")
    if not report.positioning:
        lines.append("\nThe positioning could not be drafted: positioning.md holds a TO FILL line.")
    lines += [f"\nWarning: {w}" for w in report.warnings]
    return "\n".join(lines) + "\n"
