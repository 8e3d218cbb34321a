"""Session API shared by the CLI and the UI: Records (the stored side: transcripts, attempts, drill schedule,
progress, export), the Engine (knowledge, index, model, grader, store, planner) and an Interview that asks,
grades, follows up, schedules drills and commits every turn. The UI and the CLI reach the store and the
reports only through these classes."""

from __future__ import annotations

import logging
import shutil
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterator, Literal

from interviewer.config import Settings
from interviewer.drill import WEAK_STATUSES, DueDrill, due, is_weak, schedule, sm2
from interviewer import correction, follow_up
from interviewer.grader import Grader, case_for_question
from interviewer.index import Index, IndexServerError, IngestReport
from interviewer.knowledge import KnowledgeBase, KnowledgeError, Question, default_knowledge_dir, load_knowledge
from interviewer.llm import ModelError
from interviewer.models import Grade, SessionInfo, Transcript, Turn
from interviewer.planner import Planner
from interviewer.judge import fitted_weight
from interviewer.probe import Capabilities, capabilities
from interviewer.prompts import PROMPT_DIR, render
from interviewer import report
from interviewer.store import Store, StoreError

log = logging.getLogger(__name__)

Progress = Callable[[float, str], None]
STRONG = 4.0
# A streamed chunk that starts with REPLACE replaces everything streamed before it (the model's rephrasing
# was rejected and the bank question is shown instead).
REPLACE = "\x00REPLACE\x00"
WEAK = 3.0


class AnswerError(ValueError):
    """The answer cannot be graded as given (for example it is empty); nothing was recorded."""


def fold_chunk(text: str, chunk: str) -> str:
    """The question as shown after one more streamed chunk."""
    return chunk[len(REPLACE):] if chunk.startswith(REPLACE) else text + chunk


def clean_answer(text: str | None) -> str:
    """Drop NUL bytes and undecodable surrogates; keep everything else (Chinese, emoji, RTL, markup)."""
    text = (text or "").replace("\x00", "")
    return text.encode("utf-8", "replace").decode("utf-8")


def personas() -> list[str]:
    """The interviewer personas: prompts/persona_<name>.md, by name."""
    return sorted(p.stem[len("persona_"):] for p in PROMPT_DIR.glob("persona_*.md"))


def persona_template(persona: str | None) -> str:
    """The system-prompt template of a persona; "interviewer_system" (or none) is the original default."""
    if not persona or persona == "interviewer_system":
        return "interviewer_system"
    if persona not in personas():
        raise ValueError(f"unknown persona {persona!r}: one of {', '.join(personas())}")
    return f"persona_{persona}"


def drill_target(question_id: str, key_point: int) -> str:
    """A plan entry of a "drill the weak answers now" session: one key point of one bank question."""
    return f"{question_id}#{key_point}"


def parse_target(entry: str) -> tuple[str, int | None]:
    """(question id, key point index or None) of a plan entry: a question id, or a drill target."""
    qid, sep, kp = entry.partition("#")
    return (qid, int(kp)) if sep else (qid, None)


DRILL_NOW_QUESTIONS = 5  # weak key points one "drill the weak answers now" round re-asks, weakest first
LABEL_CHARS = 40  # a key point "Label: detail" whose label is at most this long is named by its label


def point_topic(kp) -> str:
    """What a key point is about, without giving its content away: its "Label:" when it has one, else its
    first two terms, else a neutral phrase."""
    label, sep, _ = kp.point.partition(":")
    if sep and len(label) <= LABEL_CHARS:
        return label.strip()
    return " and ".join(kp.terms[:2]) or "one of its key points"


@dataclass
class WeakPoint:
    """A key point the candidate missed or got wrong in one session, to be drilled."""

    question_id: str
    key_point: int
    point: str
    status: str
    correction: str = ""


@dataclass
class TurnResult:
    turn: Turn
    grade: Grade | None
    next: Turn | None
    done: bool


class Records:
    """The stored side of the session API, no model needed: sessions, transcripts, attempts, the drill
    schedule, progress reports, exports and the weak points of a session."""

    def __init__(self, settings: Settings, kb: KnowledgeBase, store: Store):
        self.settings = settings
        self.kb = kb
        self.store = store

    @classmethod
    def open(cls, settings: Settings) -> "Records":
        """Records over the configured knowledge folder and database (for commands that grade nothing)."""
        settings.ensure_data_dir()
        return cls(settings, load_knowledge(settings.knowledge_dir), Store(settings.db_path))

    def sessions(self) -> list[SessionInfo]:
        """Every stored session, newest first."""
        return self.store.sessions()

    def transcript(self, session_id: str) -> Transcript:
        """The graded transcript of one session; KeyError naming the id when there is none."""
        return self.store.transcript(session_id)

    def attempts(self, question_id: str) -> list[Turn]:
        """Every answered main turn of one bank question across sessions, oldest first."""
        return self.store.attempts_of(question_id)

    def due_drills(self, now: datetime | None = None) -> list[DueDrill]:
        """The whole drill queue with due dates, soonest first (due_now marks what can be drilled today)."""
        return schedule(self.store.drill_queue(), now)

    def summary(self, session_id: str) -> dict:
        """The end-of-session summary: mean, scores per JD area, weakest (contradicted, missed) points."""
        return report.summarize(self.kb, self.transcript(session_id))

    def progress(self, n_weakest: int = 8) -> dict:
        """Across all sessions: mean score per JD area, the weakest key points, each session's mean (oldest
        first) for the trend, and the delivery of spoken answers per session (delivery.delivery_trend)."""
        from interviewer.delivery import delivery_trend

        turns = self.store.all_answered()
        trend = [{"session_id": s.id, "created_at": s.created_at, "mean_score": s.mean_score}
                 for s in sorted(self.sessions(), key=lambda s: s.created_at) if s.mean_score is not None]
        return {"by_area": report.scores_by_area(self.kb, turns),
                "weakest": report.weakest_points(turns, n=n_weakest), "trend": trend, "delivery": delivery_trend(turns)}

    def export(self, session_id: str, fmt: Literal["md", "json"] = "md") -> str:
        """The transcript as Markdown (grades, summary) or as JSON (the stored models)."""
        tr = self.transcript(session_id)
        if fmt == "json":
            return tr.model_dump_json(indent=2)
        if fmt == "md":
            return report.to_markdown(self.kb, tr)
        raise ValueError(f"unknown export format {fmt!r}: md or json")

    def export_files(self, session_id: str) -> list[Path]:
        """Write the Markdown and JSON exports into <data dir>/exports (user-only) and return their paths."""
        d = self.settings.data_dir / "exports"
        d.mkdir(parents=True, exist_ok=True, mode=0o700)
        paths = []
        for fmt in ("md", "json"):
            path = d / f"interview-{session_id}.{fmt}"
            path.write_text(self.export(session_id, fmt), encoding="utf-8")
            paths.append(path)
        return paths

    def weak_points(self, session_id: str) -> list[WeakPoint]:
        """The key points this session's answers got wrong (first) or missed, and not answered well by a
        later follow-up in the same session."""
        turns = self.store.turns(session_id)
        found: dict[tuple[str, int], WeakPoint] = {}
        for t in turns:
            if t.grade is None:
                continue
            if t.is_follow_up and t.key_point is not None and t.grade.score >= STRONG:
                found.pop((t.question_id, t.key_point), None)  # re-answered well
                continue
            for i, k in self._bank_points(t):
                if k.status in WEAK_STATUSES:
                    found.setdefault((t.question_id, i), WeakPoint(t.question_id, i, k.point, k.status, k.correction))
        order = {s: n for n, s in enumerate(WEAK_STATUSES)}
        return sorted(found.values(), key=lambda w: order[w.status])  # stable: contradicted, then missed

    @staticmethod
    def _bank_points(t: Turn) -> list[tuple[int, object]]:
        """(index into the bank question's key points, result) of a graded turn: a main turn grades every key
        point in bank order; a follow-up grades the one it probes (its own rubric, when it has one, counts as
        that point)."""
        if not t.is_follow_up:
            return list(enumerate(t.grade.key_points))
        if t.key_point is None or not t.grade.key_points:
            return []
        worst = min(t.grade.key_points, key=lambda k: WEAK_STATUSES.index(k.status) if k.status in WEAK_STATUSES
                    else len(WEAK_STATUSES))
        return [(t.key_point, worst)]


class Engine(Records):
    """Everything loaded once per process and shared by all interviews."""

    def __init__(self, settings: Settings, kb: KnowledgeBase, index: Index, llm, store: Store):
        super().__init__(settings, kb, store)
        self.index = index
        self.llm = llm
        # the model's judgement joins the grade only once the probe trusts it (use_capabilities)
        self.grader = Grader(index.embedder, llm, max_answer_chars=settings.max_answer_chars, kb=kb, judge_weight=0.0)
        self.capabilities = Capabilities.none("no model" if llm is None else "not probed")
        self.planner = Planner(kb)
        self.model_name = llm.name if llm else "none"
        self._interviews: dict[str, Interview] = {}
        self._lock = threading.Lock()
        # one worker computes the next rubric's vectors while the candidate answers; unlike a daemon thread, an
        # executor's worker is joined before the interpreter shuts down (torch must not run during finalization)
        self.prepare_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="rubric")

    @classmethod
    def load(cls, settings: Settings, progress: Progress | None = None, with_llm: bool = True) -> "Engine":
        say = progress or (lambda f, m: None)
        say(0.05, f"loading knowledge from {settings.knowledge_dir}")
        kb = load_knowledge(settings.knowledge_dir)
        settings.ensure_data_dir()
        say(0.2, "opening the vector index")
        index = Index(settings)
        ingested = index.ingest(kb, progress=lambda f, m: say(0.2 + 0.4 * f, m))
        say(0.6, f"index ready: {ingested.chunks} chunks ({ingested.added} added, {ingested.updated} updated)")
        llm = None
        if with_llm:
            from interviewer.llm import load_llm

            say(0.65, "loading the model")
            llm = load_llm(settings)
        store = Store(settings.db_path)
        caps = Capabilities.none("no model")
        if llm is not None:
            say(0.8, "probing what the model can do (once per model)")
            caps = capabilities(llm, index.embedder, settings)
        say(1.0, "ready")
        engine = cls(settings, kb, index, llm, store)
        engine.ingest_report = ingested
        engine.use_capabilities(caps)
        return engine

    def use_capabilities(self, caps: Capabilities) -> None:
        """Trust the model with what the probe (or the settings) allow: the judge joins the grade with the
        weight fitted for this model."""
        self.capabilities = caps
        self.grader.set_judge(fitted_weight(self.settings, self.llm) if caps.judge.enabled else 0.0)

    # ------------------------------------------------------------------ sessions

    def start(self, mode: str = "full", focus: str | None = None, n_questions: int = 5,
              persona: str | None = None) -> "Interview":
        persona = persona or self.settings.persona or "interviewer_system"
        persona_template(persona)  # an unknown persona fails before anything is stored
        if n_questions < 1:
            raise ValueError("n_questions must be at least 1")
        if mode == "drill":
            items = due(self.store.drill_queue())  # raw queue rows: the planner keeps the queue's order
            plan = self.planner.plan_drill(items, n_questions)
            if not plan:
                queue = self.due_drills()
                when = (f"the next, {queue[0].question_id}, is due {queue[0].due_at[:16].replace('T', ' ')} UTC"
                        if queue else "the queue is empty")
                raise ValueError(f"nothing is due in the drill queue today ({when}); after an interview, "
                                 "Drill the weak answers now re-asks its weak points at once")
        elif mode in ("full", "focus"):
            if mode == "focus" and not focus:
                raise ValueError("focus mode needs a focus topic")
            plan = self.planner.plan(n_questions, focus=focus if mode == "focus" else None)
        else:
            raise ValueError(f"unknown mode {mode!r}: full, focus or drill")
        return self._open(mode, focus, plan, persona)

    def _open(self, mode: str, focus: str | None, plan: list[str], persona: str) -> "Interview":
        info = SessionInfo(id=uuid.uuid4().hex[:12], created_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
                           mode=mode, focus=focus, n_questions=len(plan), model=self.model_name, plan=plan,
                           persona=persona)
        self.store.create_session(info)
        iv = Interview(self, info, [])
        iv._ask_next_main()
        with self._lock:
            self._interviews[info.id] = iv
        return iv

    def drill_now(self, session_id: str, n_questions: int = DRILL_NOW_QUESTIONS) -> "Interview":
        """"Drill the weak answers now": a new drill session that re-asks, at once, the key points the given
        session's answers got wrong or missed, each as a follow-up aimed at that point (the bank's follow-up
        for the point, else a question built from it). These same-day repetitions leave the SM-2 schedule
        alone, as in SM-2 itself, where items graded below 4 are repeated the same day until recalled without
        changing their intervals (https://www.supermemo.com/english/ol/sm2.htm, step 7); the schedule still
        decides what comes back on later days."""
        src = self.store.session(session_id)
        weak = self.weak_points(session_id)
        if not weak:
            raise ValueError(f"session {session_id} has no missed or contradicted key points to drill")
        plan = [drill_target(w.question_id, w.key_point) for w in weak[:max(1, n_questions)]]
        return self._open("drill", f"weak answers of {session_id}", plan, src.persona)

    def interview(self, session_id: str) -> "Interview":
        """The live interview, resuming it from the store if this process has not seen it."""
        with self._lock:
            iv = self._interviews.get(session_id)
            if iv is None:
                info = self.store.session(session_id)
                iv = Interview(self, info, self.store.turns(session_id))
                iv._recover()
                self._interviews[session_id] = iv
            return iv

    resume = interview

    def regrade(self, session_id: str, save: bool = False) -> list[dict]:
        """Grade every answered turn again with the current grader; report what changed."""
        changes = []
        for t in self.store.turns(session_id):
            if t.answer is None or t.grade is None:
                continue
            new = self.grade_turn(t)
            changes.append({"idx": t.idx, "question_id": t.question_id, "old": t.grade.score, "new": new.score,
                            "delta": round(new.score - t.grade.score, 2)})
            if save:
                self.store.regrade_turn(session_id, t.idx, new)
        return changes

    def grade_turn(self, t: Turn) -> Grade:
        """The grade of a turn's answer: against the whole bank question, or (a follow-up) its own rubric or
        the key point it probes."""
        q = self.kb.question(t.question_id)
        if t.is_follow_up and t.key_point is not None:
            return self.grader.grade_follow_up(q, t.bank_question or t.question, t.key_point, t.answer or "")
        return self.grader.grade_question(q, t.answer or "")

    def grade_answer(self, answer: str, question_id: str | None = None, question: str | None = None,
                     reference: str | None = None) -> Grade:
        """Grade one answer outside an interview: to a bank question, or to a free question and reference."""
        answer = clean_answer(answer)
        if question_id:
            return self.grader.grade_question(self.kb.question(question_id), answer)
        if question and reference:
            return self.grader.grade_free(question, reference, answer)
        raise ValueError("give a bank question id, or a question and a reference answer")

    def replace_knowledge(self, kind: Literal["jd", "cv"], text: str,
                          progress: Progress | None = None) -> IngestReport:
        """Replace the job description or the CV with the given Markdown or text and re-index. The repository's
        default knowledge folder is never edited: it is copied into the data dir first and the settings point
        at the copy. A file that does not validate is put back as it was and KnowledgeError names the problem."""
        if kind not in ("jd", "cv"):
            raise ValueError(f"unknown knowledge file {kind!r}: jd or cv")
        kdir = Path(self.settings.knowledge_dir).resolve()
        if kdir == default_knowledge_dir().resolve():
            dst = self.settings.data_dir / "knowledge"
            if not dst.exists():
                shutil.copytree(kdir, dst)
            self.settings.knowledge_dir = kdir = dst
        target = kdir / f"{kind}.md"
        old = target.read_text(encoding="utf-8") if target.exists() else None
        target.write_text(text.replace("\x00", ""), encoding="utf-8")
        try:
            return self.reindex(progress=progress)
        except KnowledgeError:
            if old is not None:
                target.write_text(old, encoding="utf-8")
            raise

    def reindex(self, progress: Progress | None = None):
        """Reload the knowledge folder and sync the index (after the user replaced the JD or CV)."""
        kb = load_knowledge(self.settings.knowledge_dir)
        ingested = self.index.ingest(kb, progress=progress)
        self.kb = kb
        self.grader.kb = kb
        self.planner = Planner(kb)
        return ingested

    def switch_model(self, file_name: str, progress: Progress | None = None) -> str:
        """Load another GGUF of the --model folder, probe it, and use it for every later model call; sessions and
        their saved turns are untouched. ModelError or FileNotFoundError, with the loaded model kept, when the file
        cannot be used. Returns the new model's name."""
        from interviewer.llm import load_llm

        say = progress or (lambda f, m: None)
        settings = self.settings.model_copy(update={"model_file": file_name})
        settings.model_path()  # a name that is not a GGUF of the folder fails before anything loads
        say(0.1, f"loading {file_name}")
        llm = load_llm(settings)
        say(0.6, "probing what the model can do (once per model)")
        caps = capabilities(llm, self.index.embedder, settings)
        with self._lock:  # the old model stays with any call already running on it and is freed after
            self.settings.model_file = file_name
            self.llm = self.grader.llm = llm
            self.model_name = llm.name
            self.use_capabilities(caps)
        say(1.0, f"using {file_name}")
        return llm.name

    def context_for(self, q: Question, k: int = 3) -> str:
        hits = [h for h in self.index.search(q.question, k=k + 2) if h.kind != "question"][:k]
        return "\n".join(f"- {h.text}" for h in hits)


class Interview:
    """One interview session: the pending question, the graded turns, follow-ups and drill updates."""

    def __init__(self, engine: Engine, info: SessionInfo, turns: list[Turn]):
        self.engine = engine
        self.info = info
        self.turns = turns
        self.current: Turn | None = None
        self.lock = threading.RLock()
        self.messages: list[dict[str, str]] = []
        # what the model writes after a grade: the follow-up aimed at the missed point (with the turn it words)
        # and the answered turn whose corrections are written once the next question is shown
        self._follow_up: tuple[Turn, follow_up.Target] | None = None
        self._to_correct: Turn | None = None
        self._systems: dict[str, str] = {}
        # the model's last follow-up attempt and corrections, shown or not (the session log, the evaluation)
        self.last_follow_up: follow_up.Writer | None = None
        self.last_corrections: list[correction.Result] = []

    @property
    def session_id(self) -> str:
        return self.info.id

    @property
    def persona(self) -> str:
        """The interviewer's system prompt (prompts/persona_<name>.md): chosen at the start and stored with the
        session, so a resumed interview keeps it whatever the configured default is now."""
        return self.info.persona

    @property
    def done(self) -> bool:
        return self.current is None

    # ------------------------------------------------------------------ asking

    def _new_turn(self, q: Question, text: str, follow_up_of: int | None = None, key_point: int | None = None) -> Turn:
        """A new pending turn; a turn with a key point is a follow-up aimed at it (in a drill-now session it
        follows up a turn of the earlier session, so follow_up_of stays None)."""
        t = Turn(session_id=self.info.id, idx=len(self.turns), question_id=q.id, topic=q.topic, question=text,
                 is_follow_up=follow_up_of is not None or key_point is not None, follow_up_of=follow_up_of,
                 key_point=key_point,
                 model=self.engine.model_name)
        self.engine.store.add_turn(t)  # committed before it is shown
        self.turns.append(t)
        self.current = t
        # the rubric's vectors are computed while the candidate reads and answers, not after they send
        self.engine.prepare_pool.submit(self.engine.grader.prepare, q, text, key_point)
        return t

    def _asked(self) -> set[str]:
        """The plan entries already asked: main questions, and the drill targets of a drill-now session."""
        return {t.question_id if t.key_point is None else drill_target(t.question_id, t.key_point)
                for t in self.turns if t.follow_up_of is None}

    def _ask_next_main(self) -> Turn | None:
        asked = self._asked()
        for entry in self.info.plan:
            if entry in asked:
                continue
            qid, kp = parse_target(entry)
            q = self.engine.kb.question(qid)
            if kp is None:
                return self._new_turn(q, q.question)
            fu = next((f for f in q.follow_ups if f.key_point == kp), None)
            text = fu.question if fu else render("drill_key_point", topic=point_topic(q.key_points[kp]), question=q.question)
            return self._new_turn(q, text, key_point=kp)
        self.current = None
        self.engine.store.set_status(self.info.id, "done")
        return None

    def stream_question(self) -> Iterator[str]:
        """The pending question, streamed: a follow-up the model words around the candidate's answer (when the
        probe trusts it), the model's rephrasing (adapt_questions) or the bank's text; any model output that fails
        its checks is replaced by the bank's text. Then, while the question is read, the model's corrections of the
        previous answer (each yields "" so that a view redraws its grade card)."""
        t = self.current
        if t is None:
            return
        pending, self._follow_up = self._follow_up, None
        if pending is not None and pending[0] is t:
            yield from self._stream_model_follow_up(t, pending[1])
        else:
            yield from self._stream_asked(t)
        for _ in self._write_corrections():
            yield ""
        self._warm_follow_up(t)

    def _trusted(self, feature: str) -> bool:
        """Whether the loaded model is trusted with a feature ("follow_ups", "corrections"): the probe's verdict,
        or the user's setting (interviewer/probe.py)."""
        return self.engine.llm is not None and getattr(self.engine.capabilities, feature).enabled

    def _system(self, q: Question) -> str:
        """The persona's system prompt with the JD/CV context retrieved for a question (once per question)."""
        if q.id not in self._systems:
            eng = self.engine
            self._systems[q.id] = render(persona_template(self.persona), role=eng.kb.jd.title,
                                         job_id=eng.kb.jd.job_id or "-", context=eng.context_for(q))
        return self._systems[q.id]

    def _stream_model_follow_up(self, t: Turn, target: follow_up.Target) -> Iterator[str]:
        """The model's follow-up, streamed; the bank's follow-up replaces it when it fails a check. The turn's
        timings count it (follow_up_model 1) or its fallback (follow_up_fallback 1) in the session record."""
        eng = self.engine
        q = eng.kb.question(t.question_id)
        target.said = target.said or follow_up.said_for(target.answer, target.point, eng.index.embedder)
        w = self.last_follow_up = follow_up.Writer(eng.llm, eng.index.embedder, target, self._system(q))
        try:
            yield from w.stream()
        except (ModelError, ValueError, OSError) as e:  # the bank's follow-up is always a valid question
            w.failures = [f"model error: {e}"]
        if w.ok:
            t.bank_question, t.question = t.question, w.text
            eng.store.set_question_text(self.info.id, t.idx, w.text, t.bank_question)
        else:
            log.info("model follow-up not asked (%s); asking the bank's", "; ".join(w.failures))
            yield REPLACE + t.question
        t.timings = {"follow_up_model": float(w.ok), "follow_up_fallback": float(not w.ok),
                     "follow_up_ttft_ms": round(1000 * (w.ttft_s or w.total_s), 1),
                     "follow_up_ms": round(1000 * w.total_s, 1)}

    def _warm_follow_up(self, t: Turn) -> None:
        """While the candidate answers, evaluate the part of a follow-up's prompt known before the answer (system
        prompt, question, instructions) in the background, so that after the grade only the candidate's words and
        the target are left to read before the first token."""
        if not self._trusted("follow_ups") or t.key_point is not None and t.follow_up_of is None:
            return  # nothing follows a drill target up
        main = self.turns[t.follow_up_of] if t.follow_up_of is not None else t
        if sum(x.follow_up_of == main.idx for x in self.turns) >= self.engine.settings.max_follow_ups:
            return
        try:
            system = self._system(self.engine.kb.question(t.question_id))
        except IndexServerError as e:  # only a warm-up: the follow-up itself reports the server when it needs it
            log.info("follow-up prompt warm-up skipped: %s", e)
            return
        msgs = [{"role": "system", "content": system}, {"role": "user", "content": follow_up.prefix(main.question)}]
        self.engine.prepare_pool.submit(self._evaluate, msgs)

    def _evaluate(self, msgs: list[dict[str, str]]) -> None:
        try:
            for _ in self.engine.llm.stream_chat(msgs, max_tokens=1):
                pass
        except (ModelError, ValueError, OSError) as e:  # only a cache warm-up: the follow-up reads it all itself
            log.info("follow-up prompt warm-up failed: %s", e)

    def _write_corrections(self) -> Iterator[None]:
        """The model's corrections of the last graded answer's contradicted points and its most important missed
        one, each kept only when it passed the rubric check (else the grader's correction stands); the grade and
        the counts (corrections_model, corrections_fallback, correction_ms) are saved with the turn."""
        t, self._to_correct = self._to_correct, None
        if t is None or t.grade is None or not self._trusted("corrections"):
            return
        eng = self.engine
        q = eng.kb.question(t.question_id)
        case = (eng.grader.follow_up_case(q, t.bank_question or t.question, t.key_point)
                if t.is_follow_up and t.key_point is not None else case_for_question(q, eng.kb))
        ok = failed = 0
        t0 = time.perf_counter()
        self.last_corrections = []
        for i, target in correction.targets(case.points, t.grade.key_points, case.reference):
            try:
                r = correction.write(eng.llm, target)
            except (ModelError, ValueError, OSError) as e:
                r = correction.Result(failures=[f"model error: {e}"])
            self.last_corrections.append(r)
            if r.ok:
                t.grade.key_points[i].model_correction = r.text
            ok, failed = ok + r.ok, failed + (not r.ok)
            yield
        if ok + failed:
            t.timings.update(corrections_model=float(ok), corrections_fallback=float(failed),
                             correction_ms=round(1000 * (time.perf_counter() - t0), 1))
            eng.store.regrade_turn(self.info.id, t.idx, t.grade)
            eng.store.set_timings(self.info.id, t.idx, t.timings)

    def _stream_asked(self, t: Turn) -> Iterator[str]:
        """The bank's question, or with adapt_questions the model's rephrasing of it with retrieved context;
        output that is not a clean single question falls back to the bank text."""
        eng = self.engine
        if not (eng.settings.adapt_questions and eng.llm is not None):
            yield t.question
            return
        q = eng.kb.question(t.question_id)
        if not self.messages:
            self.messages.append({"role": "system", "content": render(
                persona_template(self.persona), role=eng.kb.jd.title, job_id=eng.kb.jd.job_id or "-",
                context=eng.context_for(q))})
        prompt = render("interviewer_follow_up" if t.is_follow_up else "interviewer_ask", question=t.question)
        self._fit_history(prompt)
        msgs = self.messages + [{"role": "user", "content": prompt}]
        parts: list[str] = []
        try:
            for chunk in eng.llm.stream_chat(msgs, max_tokens=eng.settings.question_max_tokens):
                parts.append(chunk)
                yield chunk
        except (ModelError, ValueError, OSError) as e:  # the bank question is always a valid question
            log.warning("question rephrasing failed, asking the bank question: %s", e)
            parts = []
        text = "".join(parts).strip()
        if self._clean_question(text, t.question):
            t.bank_question, t.question = t.bank_question or t.question, text
            eng.store.set_question_text(self.info.id, t.idx, text, t.bank_question)
        else:
            yield REPLACE + t.question
        self.messages += [{"role": "user", "content": prompt}, {"role": "assistant", "content": t.question}]

    def _fit_history(self, prompt: str) -> None:
        """Keep the rephrasing conversation inside the model's context: when the next prompt would not fit,
        drop the oldest exchanges (never the system prompt) down to about half the room, so that the
        conversation's cached prefix then serves several turns before the next cut."""
        eng = self.engine
        room = eng.settings.n_ctx - eng.settings.question_max_tokens - 64
        count = getattr(eng.llm, "tokens", None) or (lambda s: len(s) // 2)

        def size(ms: list[dict]) -> int:
            return sum(count(m["content"]) + 8 for m in ms) + count(prompt) + 8

        if size(self.messages) <= room:
            return
        head, rest = self.messages[:1], self.messages[1:]
        while rest and size(head + rest) > room // 2:
            rest = rest[1:]
        while rest and rest[0]["role"] != "user":
            rest = rest[1:]
        self.messages = head + rest

    def question_text(self) -> str:
        """The pending question in full, consuming the stream (for the API endpoints and the CLI)."""
        text = ""
        for chunk in self.stream_question():
            text = fold_chunk(text, chunk)
        return text.strip() or (self.current.question if self.current else "")

    def _clean_question(self, text: str, original: str) -> bool:
        if not (15 <= len(text) <= 500) or not text.rstrip().endswith("?") or text.count("?") > 2:
            return False
        v = self.engine.index.embedder.encode([text, original])
        return float(v[0] @ v[1]) >= 0.6

    # ------------------------------------------------------------------ answering

    def submit(self, answer: str, delivery: dict | None = None) -> TurnResult:
        """Grade the answer to the pending turn, commit it (with a spoken answer's delivery feedback, if given)
        and ask what comes next."""
        with self.lock:
            t = self.current
            if t is None:
                raise AnswerError("this interview is finished; start a new one")
            answer = clean_answer(answer)
            if not answer.strip():
                raise AnswerError("the answer is empty: type an answer, or press Skip to move on")
            t0 = time.perf_counter()
            grade = self.engine.grade_turn(t.model_copy(update={"answer": answer}))
            self._commit_answer(t, answer, grade, {"grade_ms": round((time.perf_counter() - t0) * 1000, 1)},
                                delivery)
            if self.messages:
                self.messages.append({"role": "user", "content": answer[: self.engine.settings.max_answer_chars]})
            self._schedule_drill(t, grade)
            self._to_correct = t
            nxt = self._next_after(t, grade)
            if nxt is None:  # no question to read while they are written
                for _ in self._write_corrections():
                    pass
            return TurnResult(turn=t, grade=grade, next=nxt, done=nxt is None)

    def skip(self) -> TurnResult:
        with self.lock:
            t = self.current
            if t is None:
                raise AnswerError("this interview is finished; start a new one")
            self._commit_answer(t, "", None, {"skipped": 1.0})
            nxt = self._ask_next_main()
            return TurnResult(turn=t, grade=None, next=nxt, done=nxt is None)

    def _commit_answer(self, t: Turn, answer: str, grade: Grade | None, timings: dict[str, float],
                       delivery: dict | None = None) -> None:
        """Commit the pending turn's answer before the next question exists. When the store refuses the write
        (a full disk) the turn stays pending here as it does in the store, so the same answer can be
        submitted again once there is room."""
        asked = t.timings  # recorded while the question was asked (a model follow-up's counts and timings)
        t.answer, t.grade, t.timings, t.delivery = answer, grade, {**asked, **timings}, delivery
        try:
            self.engine.store.answer_turn(t)
        except StoreError:
            t.answer, t.grade, t.timings, t.answered_at, t.delivery = None, None, asked, None, None
            raise

    def end(self) -> None:
        with self.lock:
            self.current = None
            self.engine.store.set_status(self.info.id, "done")

    def _schedule_drill(self, t: Turn, g: Grade) -> None:
        if t.is_follow_up:
            return
        store = self.engine.store
        missed = [k.point for k in g.key_points if k.status != "covered"]
        item = store.drill_item(t.question_id)
        if item is not None or is_weak(g.score, missed):
            store.put_drill(sm2(item, g.score, t.topic, t.question_id, missed))
            store.add_attempt(t.question_id, self.info.id, t.idx, g.score, missed)

    def _next_after(self, t: Turn, g: Grade) -> Turn | None:
        """A follow-up on the most important missed key point after a weak answer (at most max_follow_ups),
        one level deeper after a strong main answer, else the next planned question."""
        main_idx = t.follow_up_of if t.is_follow_up else t.idx
        if main_idx is None:  # a drill-now target: the next target (the end summary offers another round)
            return self._ask_next_main()
        main = self.turns[main_idx]
        q = self.engine.kb.question(main.question_id)
        fus = [x for x in self.turns if x.follow_up_of == main_idx]
        if len(fus) < self.engine.settings.max_follow_ups and main.grade is not None:
            asked = {x.bank_question or x.question for x in fus}
            covered_later = {x.key_point for x in fus if x.grade and x.grade.score >= STRONG}
            missed = [i for i in main.grade.missed() if i not in covered_later]
            weak = g.score < WEAK or (not t.is_follow_up and bool(missed) and g.score < STRONG)
            if t.is_follow_up and g.score >= WEAK:
                weak = False
            choice = None
            if weak:
                for i in missed:  # key points are listed most important first
                    choice = next((f for f in q.follow_ups if f.key_point == i and f.question not in asked), None)
                    if choice:
                        break
            elif not t.is_follow_up and g.score >= STRONG and not fus:
                covered = [i for i, k in enumerate(main.grade.key_points) if k.status == "covered"]
                choice = next((f for f in q.follow_ups if f.key_point in covered), None)
            if choice:
                nxt = self._new_turn(q, choice.question, follow_up_of=main_idx, key_point=choice.key_point)
                if weak and self._trusted("follow_ups"):
                    kp = g.key_points[choice.key_point] if not t.is_follow_up else None
                    self._follow_up = (nxt, follow_up.Target(
                        question=main.question, answer=t.answer or "", point=q.key_points[choice.key_point],
                        bank=choice, said=follow_up.clip(kp.evidence) if kp and kp.evidence else ""))
                return nxt
        return self._ask_next_main()

    def _recover(self) -> None:
        """After a restart: the unanswered turn is asked again; otherwise continue where the session stopped."""
        if self.info.status == "done":
            self.current = None
            return
        if self.turns and self.turns[-1].answer is None:
            self.current = self.turns[-1]
            return
        last = next((t for t in reversed(self.turns) if t.grade is not None), None)
        if self.turns and self.turns[-1].answer == "":  # skipped
            self._ask_next_main()
        elif last is not None:
            self._next_after(last, last.grade)
        else:
            self._ask_next_main()

    def summary(self) -> dict:
        """The end-of-session summary (see Records.summary)."""
        return self.engine.summary(self.info.id)

    def weak_points(self) -> list[WeakPoint]:
        """This session's missed or contradicted key points (see Records.weak_points)."""
        return self.engine.weak_points(self.info.id)


