"""Knowledge base: pydantic models for the JD, CV, positioning, match table and question bank,
and the loader that validates a knowledge folder with errors naming the file, row and field."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, model_validator

MatchLevel = Literal["high", "medium", "medium_low", "low"]
Priority = Literal["P0", "P1", "P2"]
# Lower sorts first: the planner drills the weakest matches first.
MATCH_RISK_ORDER: dict[str, int] = {"low": 0, "medium_low": 1, "medium": 2, "high": 3}


class KnowledgeError(ValueError):
    """A knowledge file is missing, unreadable or invalid; the message names file, row and field."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Text(_Strict):
    """An English working text with the original Chinese beside it (empty when there is none)."""

    en: str = Field(min_length=1)
    zh: str = ""


class Item(_Strict):
    id: str = Field(min_length=1)
    text: str = Field(min_length=1)
    zh: str = ""


class JobDescription(_Strict):
    title: str = Field(min_length=1)
    job_id: str = ""
    company: str = ""
    summary: str = ""
    duties: list[Item] = Field(min_length=1)
    requirements: list[Item] = []
    pluses: list[Item] = []


class CVArea(_Strict):
    id: str
    name: str
    zh: str = ""
    items: list[Item] = Field(min_length=1)


class CV(_Strict):
    name: str = Field(min_length=1)
    summary: str = ""
    areas: list[CVArea] = Field(min_length=1)


class Positioning(_Strict):
    paragraphs: list[Text] = Field(min_length=1)


class MatchRow(_Strict):
    id: str = Field(pattern=r"^[a-z0-9_]+$")
    # What the skill covers, in plain words, so retrieval can match questions to the row.
    scope: str = ""
    jd_skill: Text
    cv_evidence: Text
    match: MatchLevel
    risk: Text
    how_to_say: Text


class PriorityTopic(_Strict):
    id: str = Field(pattern=r"^[a-z0-9_]+$")
    level: Priority
    topic: Text
    reason: Text
    rows: list[str] = []


class Gap(_Strict):
    jd: str
    cv: str
    need: Text
    strength: bool = False
    rows: list[str] = []


class ExtraTopic(_Strict):
    id: str = Field(pattern=r"^[a-z0-9_]+$")
    name: Text
    priority: Priority
    how_to_say: Text


class MatchTable(_Strict):
    rows: list[MatchRow] = Field(min_length=1)
    gaps: list[Gap] = []
    priorities: list[PriorityTopic] = []
    extra_topics: list[ExtraTopic] = []

    @model_validator(mode="after")
    def _references_resolve(self) -> "MatchTable":
        ids = [r.id for r in self.rows]
        dup = {i for i in ids if ids.count(i) > 1}
        if dup:
            raise ValueError(f"duplicate row ids: {sorted(dup)}")
        for p in self.priorities:
            for r in p.rows:
                if r not in ids:
                    raise ValueError(f"priority {p.id!r} names unknown row {r!r}")
        return self


def _compile_all(v: list[str]) -> list[str]:
    for p in v:
        try:
            re.compile(p)
        except re.error as e:
            raise ValueError(f"pattern {p!r} is not a valid regular expression: {e}") from e
    return v


# Case-insensitive regular expressions, checked to compile when the file loads.
Patterns = Annotated[list[str], AfterValidator(_compile_all)]


class Misconception(_Strict):
    """A wrong statement interviewers hear about a key point; an answer that makes it contradicts the point."""

    statement: str = Field(min_length=5)
    # Case-insensitive regular expressions that detect the statement in an answer's sentence.
    patterns: Patterns = []


class Fact(_Strict):
    """A number a key point states, checked as a number with its unit: 63 GB/s +- 3 for PCIe Gen5 x16."""

    name: str = Field(min_length=3)
    value: float
    unit: str = ""
    tolerance: float = Field(0.0, ge=0, description="absolute, in the fact's unit")
    # Words that locate the number in an answer (the sentence must carry one), e.g. ["gen5", "x16"].
    terms: list[str] = []


class KeyPoint(_Strict):
    point: str = Field(min_length=3)
    # Words or short phrases whose presence signals the point (case-insensitive), for the
    # model-independent part of the grade. Specific to the point: never generic words any answer hits.
    terms: list[str] = []
    misconceptions: list[Misconception] = []
    facts: list[Fact] = []
    # An honest-boundary point ("I have not run X in production"): met by an honest statement of the
    # limit, never by a claim of mastery; mastery_claims are the regexes of such claims for this point.
    boundary: bool = False
    mastery_claims: Patterns = []


class RedFlag(_Strict):
    flag: str = Field(min_length=3)
    # overclaim: a claim of experience the CV does not show; misconception: a wrong technical statement.
    kind: Literal["overclaim", "misconception"] = "misconception"
    # Case-insensitive regular expressions that detect the flag in an answer.
    patterns: Patterns = []


class FollowUp(_Strict):
    question: str = Field(min_length=5)
    key_point: int = Field(ge=0, description="index into the parent's key_points this follow-up probes")
    # The follow-up's own rubric: what a good answer to *this* question says, and a short reference answer.
    key_points: list[KeyPoint] = Field([], max_length=5)
    reference: str = ""


class Example(_Strict):
    """A graded exemplar answer (score 0-5)."""

    answer: str
    score: float = Field(ge=0, le=5)


class Question(_Strict):
    id: str = Field(pattern=r"^[a-z0-9_\-]+$")
    topic: str
    priority: Priority
    difficulty: int = Field(ge=1, le=3)
    kind: Literal["opening", "technical", "architecture", "deep_dive", "comp_arch"] = "technical"
    question: str = Field(min_length=10)
    key_points: list[KeyPoint] = Field(min_length=3, max_length=6)
    red_flags: list[RedFlag] = Field(min_length=1)
    follow_ups: list[FollowUp] = Field(min_length=2, max_length=4)
    model_answer: str = Field(min_length=50)
    how_to_say: Text
    sources: list[str] = Field(min_length=1)
    references: list[str] = []
    examples: list[Example] = []

    @model_validator(mode="after")
    def _follow_ups_point_at_key_points(self) -> "Question":
        for i, f in enumerate(self.follow_ups):
            if f.key_point >= len(self.key_points):
                raise ValueError(
                    f"follow_ups[{i}].key_point={f.key_point} but there are only "
                    f"{len(self.key_points)} key_points"
                )
        return self


class QuestionFile(_Strict):
    topic: str
    questions: list[Question] = Field(min_length=1)


# --------------------------------------------------------------------------- stories

# The structure every deep-dive answer follows; each is a slot `{field}` in a deep-dive model answer.
STORY_FIELDS = ("situation", "numbers", "trade_off", "mistake", "boundary")
# A story field whose text starts with this marker is a prompt for the user, never shown as a fact.
TO_FILL = "TO FILL"


class Story(_Strict):
    """The candidate's own material for one deep-dive question, in knowledge/stories.md (user-owned)."""

    id: str = Field(pattern=r"^[a-z0-9_\-]+$", description="the deep-dive question id")
    # CV item ids (e.g. AI1, PF2) the story rests on; each must exist in cv.md.
    cv: list[str] = []
    situation: str = ""
    numbers: str = ""
    trade_off: str = ""
    mistake: str = ""
    boundary: str = ""

    def filled(self, field: str) -> str:
        """The user's text for a story field, or "" when it is empty or still marked TO FILL."""
        text = getattr(self, field)
        return "" if not text or text.upper().startswith(TO_FILL) else text

    def prompt(self, field: str) -> str:
        """What the user still has to write for a field: the text after TO FILL, or the field name."""
        text = getattr(self, field)
        hint = text[len(TO_FILL):].lstrip(" :") if text.upper().startswith(TO_FILL) else ""
        return hint or field.replace("_", "-")


class Stories(_Strict):
    stories: list[Story] = []


class KnowledgeBase(BaseModel):
    """Everything loaded from one knowledge folder."""

    root: Path
    jd: JobDescription
    cv: CV
    positioning: Positioning
    match: MatchTable
    questions: list[Question] = []
    # Deep-dive stories by question id, from the optional stories.md.
    stories: dict[str, Story] = {}

    def row(self, topic: str) -> MatchRow | None:
        return next((r for r in self.match.rows if r.id == topic), None)

    def topic_ids(self) -> set[str]:
        return {r.id for r in self.match.rows} | {t.id for t in self.match.extra_topics}

    def question(self, qid: str) -> Question:
        for q in self.questions:
            if q.id == qid:
                return q
        raise KeyError(f"no question with id {qid!r}")

    def how_to_say(self, topic: str) -> Text | None:
        row = self.row(topic)
        if row:
            return row.how_to_say
        extra = next((t for t in self.match.extra_topics if t.id == topic), None)
        return extra.how_to_say if extra else None


# --------------------------------------------------------------------------- errors


def _format_errors(file: Path, err: ValidationError, data: object = None) -> str:
    lines = [f"{file}: invalid"]
    for e in err.errors():
        loc = e["loc"]
        parts: list[str] = []
        node = data
        for key in loc:
            if isinstance(key, int):
                label = f"[{key}]"
                if isinstance(node, list) and key < len(node) and isinstance(node[key], dict):
                    row_id = node[key].get("id")
                    if row_id:
                        label = f"[{key}] (id={row_id})"
                parts.append(label)
            else:
                parts.append(("." if parts else "") + str(key))
            node = node[key] if isinstance(node, (list, dict)) and _has(node, key) else None
        where = "".join(parts) or "(file)"
        lines.append(f"  {where}: {e['msg']}")
    return "\n".join(lines)


def _has(node: object, key: object) -> bool:
    if isinstance(node, list):
        return isinstance(key, int) and key < len(node)
    return isinstance(node, dict) and key in node


def _read(path: Path) -> str:
    if not path.is_file():
        raise KnowledgeError(f"{path}: missing file")
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        raise KnowledgeError(f"{path}: not valid UTF-8 ({e})") from e


def _yaml(path: Path) -> object:
    try:
        return yaml.safe_load(_read(path))
    except yaml.YAMLError as e:
        raise KnowledgeError(f"{path}: not valid YAML: {e}") from e


def _validate(model: type[BaseModel], data: object, path: Path):
    try:
        return model.model_validate(data)
    except ValidationError as e:
        raise KnowledgeError(_format_errors(path, e, data)) from e


# --------------------------------------------------------------------------- markdown

_FRONT = re.compile(r"\A---\s*\n(.*?)\n---\s*\n", re.S)
_BULLET = re.compile(r"^\s*[-*+]\s+(?:\*\*)?([A-Za-z]+\d+)(?:\*\*)?\s*[:.)]\s+(.*)$")
_PLAIN_BULLET = re.compile(r"^\s*[-*+]\s+(.*)$")
_ZH = re.compile(r"^\s*(?:zh|中文)\s*[:：]\s*(.*)$", re.I)


def parse_markdown(text: str) -> tuple[dict, list[dict]]:
    """Split a knowledge Markdown file into front matter and sections.

    A section is `## Heading` (optionally followed by `zh: ...`) with bullet items
    `- ID: English text` (id optional), each optionally followed by an indented `zh: ...` line.
    Text outside bullets becomes paragraph items, so a plain-text JD or CV still loads.
    """
    front: dict = {}
    m = _FRONT.match(text)
    if m:
        front = yaml.safe_load(m.group(1)) or {}
        if not isinstance(front, dict):
            raise ValueError("front matter must be a YAML mapping")
        text = text[m.end():]
    sections: list[dict] = []
    cur: dict | None = None
    para: list[str] = []

    def flush_para():
        if para and cur is not None:
            cur["items"].append({"id": None, "text": " ".join(para).strip(), "zh": ""})
        para.clear()

    for raw in text.splitlines():
        line = raw.rstrip()
        if line.startswith("# ") and not line.startswith("## "):
            front.setdefault("title", line[2:].strip())
            continue
        if line.startswith("## "):
            flush_para()
            cur = {"heading": line[3:].strip(), "zh": "", "items": []}
            sections.append(cur)
            continue
        if cur is None:
            if line.strip():
                cur = {"heading": "", "zh": "", "items": []}
                sections.append(cur)
            else:
                continue
        zh = _ZH.match(line)
        if zh:
            flush_para()
            if cur["items"]:
                cur["items"][-1]["zh"] = zh.group(1).strip()
            else:
                cur["zh"] = zh.group(1).strip()
            continue
        b = _BULLET.match(line) or _PLAIN_BULLET.match(line)
        if b:
            flush_para()
            if b.re is _BULLET:
                cur["items"].append({"id": b.group(1), "text": b.group(2).strip(), "zh": ""})
            else:
                cur["items"].append({"id": None, "text": b.group(1).strip(), "zh": ""})
        elif line.strip():
            para.append(line.strip())
        else:
            flush_para()
    flush_para()
    return front, [s for s in sections if s["items"] or s["heading"]]


_JD_KINDS = {
    "duties": ("dut", "responsib", "what you", "work", "role", "工作"),
    "requirements": ("requir", "qualif", "what we need", "must", "硬性"),
    "pluses": ("plus", "stand out", "nice", "prefer", "bonus", "加分"),
}
_JD_PREFIX = {"duties": "W", "requirements": "N", "pluses": "P"}


def _slug(s: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", s.lower()).strip("_") or "area"


def _items(raw: list[dict], prefix: str) -> list[dict]:
    return [{**it, "id": it["id"] or f"{prefix}{i + 1}"} for i, it in enumerate(raw)]


def parse_jd(text: str) -> dict:
    front, sections = parse_markdown(text)
    out: dict = {k: [] for k in _JD_KINDS}
    for s in sections:
        h = s["heading"].lower()
        kind = next((k for k, keys in _JD_KINDS.items() if any(x in h for x in keys)), "duties")
        out[kind].extend(s["items"])
    data = {k: v for k, v in front.items() if k in ("title", "job_id", "company", "summary")}
    data.setdefault("title", "Untitled role")
    for k, v in out.items():
        data[k] = _items(v, _JD_PREFIX[k])
    return data


def parse_cv(text: str) -> dict:
    front, sections = parse_markdown(text)
    areas = []
    for i, s in enumerate(sections):
        name = s["heading"] or "Experience"
        areas.append({"id": _slug(name) if s["heading"] else f"area{i + 1}", "name": name,
                      "zh": s["zh"], "items": _items(s["items"], f"C{i + 1}.")})
    data = {k: v for k, v in front.items() if k in ("name", "summary")}
    data.setdefault("name", "Candidate")
    data["areas"] = areas
    return data


def parse_positioning(text: str) -> dict:
    _, sections = parse_markdown(text)
    paras = [{"en": it["text"], "zh": it["zh"]} for s in sections for it in s["items"]]
    return {"paragraphs": paras}


# --------------------------------------------------------------------------- loading

FILES = {"jd": "jd.md", "cv": "cv.md", "positioning": "positioning.md", "match": "match_table.yaml"}


def _load_md(path: Path, parser, model):
    text = _read(path)
    try:
        data = parser(text)
    except (yaml.YAMLError, ValueError) as e:
        raise KnowledgeError(f"{path}: cannot parse front matter: {e}") from e
    return _validate(model, data, path)


def load_questions(folder: Path, topics: set[str]) -> list[Question]:
    out: list[Question] = []
    seen: dict[str, Path] = {}
    if not folder.is_dir():
        return out
    for path in sorted(folder.glob("*.yaml")):
        data = _yaml(path)
        qf: QuestionFile = _validate(QuestionFile, data, path)
        for i, q in enumerate(qf.questions):
            if topics and q.topic not in topics:
                raise KnowledgeError(
                    f"{path}: invalid\n  questions[{i}] (id={q.id}).topic: unknown topic {q.topic!r}; "
                    f"known: {sorted(topics)}"
                )
            if q.id in seen:
                raise KnowledgeError(
                    f"{path}: invalid\n  questions[{i}] (id={q.id}).id: duplicate, also in {seen[q.id]}"
                )
            seen[q.id] = path
            out.append(q)
    return out


def load_knowledge(root: Path | str) -> KnowledgeBase:
    """Load and validate a knowledge folder; raise KnowledgeError naming file, row and field."""
    root = Path(root)
    if not root.is_dir():
        raise KnowledgeError(f"{root}: knowledge folder does not exist")
    jd = _load_md(root / FILES["jd"], parse_jd, JobDescription)
    cv = _load_md(root / FILES["cv"], parse_cv, CV)
    pos = _load_md(root / FILES["positioning"], parse_positioning, Positioning)
    mpath = root / FILES["match"]
    match = _validate(MatchTable, _yaml(mpath), mpath)
    kb = KnowledgeBase(root=root, jd=jd, cv=cv, positioning=pos, match=match)
    kb.questions = load_questions(root / "questions", kb.topic_ids())
    kb.stories = load_stories(root / STORIES_FILE, kb)
    return kb


def default_knowledge_dir() -> Path:
    return Path(__file__).resolve().parent.parent / "knowledge"


# --------------------------------------------------------------------------- stories: loading and answers

STORIES_FILE = "stories.md"
_STORY_FIELD = re.compile(r"^\s*[-*+]\s+([a-z_]+)\s*:\s*(.*)$")
_SLOT = re.compile(r"\{(" + "|".join(STORY_FIELDS) + r")\}")


def parse_stories(text: str) -> dict:
    """Split stories.md into {"stories": [...]}: one `## <question id>` section per story, bullets
    `- field: text` (situation, numbers, trade_off, mistake, boundary, cv), indented lines continuing
    the previous field. `cv:` is a comma-separated list of CV item ids."""
    front = _FRONT.match(text)
    body = text[front.end():] if front else text
    stories: list[dict] = []
    field = None
    for raw in body.splitlines():
        line = raw.rstrip()
        if line.startswith("## "):
            stories.append({"id": line[3:].strip()})
            field = None
            continue
        if not stories or not line.strip() or line.startswith("# ") or line.lstrip().startswith("<!--"):
            continue
        m = _STORY_FIELD.match(line)
        if m:
            field = m.group(1)
            if field in stories[-1]:
                raise ValueError(f"section {stories[-1]['id']!r}: field {field!r} given twice")
            stories[-1][field] = m.group(2).strip()
        elif field and raw[:1].isspace():
            stories[-1][field] = (stories[-1][field] + " " + line.strip()).strip()
        else:
            raise ValueError(f"section {stories[-1]['id']!r}: expected '- field: text', got {line.strip()[:60]!r}")
    for s in stories:
        if isinstance(s.get("cv"), str):
            s["cv"] = [c.strip() for c in s["cv"].split(",") if c.strip()]
    return {"stories": stories}


def load_stories(path: Path, kb: KnowledgeBase) -> dict[str, Story]:
    """Load the optional stories file; every story must name a deep-dive question and real CV items."""
    if not path.is_file():
        return {}
    try:
        data = parse_stories(_read(path))
    except ValueError as e:
        raise KnowledgeError(f"{path}: invalid\n  {e}") from e
    parsed: Stories = _validate(Stories, data, path)
    deep = {q.id for q in kb.questions if q.kind == "deep_dive"}
    cv_ids = {it.id for a in kb.cv.areas for it in a.items}
    out: dict[str, Story] = {}
    for i, s in enumerate(parsed.stories):
        where = f"{path}: invalid\n  stories[{i}] (id={s.id})"
        if s.id in out:
            raise KnowledgeError(f"{where}.id: duplicate section")
        if s.id not in deep and s.id.rsplit("-", 1)[0] not in kb.topic_ids():
            continue  # its topic was removed from the match table: the story stays in the file, unused
        if s.id not in deep:
            raise KnowledgeError(f"{where}.id: no deep-dive question with this id; known: {sorted(deep)}")
        unknown = [c for c in s.cv if c not in cv_ids]
        if unknown:
            raise KnowledgeError(f"{where}.cv: {unknown} are not item ids in cv.md")
        out[s.id] = s
    return out


def story_answer(kb: KnowledgeBase, question: Question) -> str:
    """The better answer to show for a question: for a deep dive, its model-answer template with each
    `{field}` slot filled from the user's story, or left as a visible prompt to fill, never invented."""
    if not _SLOT.search(question.model_answer):
        return question.model_answer
    story = kb.stories.get(question.id)

    def fill(m: re.Match) -> str:
        field = m.group(1)
        text = story.filled(field) if story else ""
        if text:
            return text.rstrip(".")
        hint = story.prompt(field) if story else field.replace("_", "-")
        return f"[{field.replace('_', '-')}: your own, from {STORIES_FILE} section {question.id}: {hint}]"

    return _SLOT.sub(fill, question.model_answer)


# --------------------------------------------------------------------------- coverage

# Issue 13's goal: every JD duty, hard requirement and plus is asked about by at least three questions.
MIN_QUESTIONS_PER_JD_ITEM = 3


def jd_coverage(kb: KnowledgeBase) -> dict:
    """How many questions cite each JD item in their `sources` ("JD W2"), and the items below the minimum."""
    items = [it.id for it in (*kb.jd.duties, *kb.jd.requirements, *kb.jd.pluses)]
    counts = {i: 0 for i in items}
    for q in kb.questions:
        for ref in {s.split()[-1] for s in q.sources if s.upper().startswith("JD ")}:
            if ref in counts:
                counts[ref] += 1
    return {"jd": counts, "uncovered": [i for i in items if counts[i] < MIN_QUESTIONS_PER_JD_ITEM]}
