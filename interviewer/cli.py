"""Command line: a thin shell over the session API (ingest, search, doctor, questions, interview, grade,
sessions, replay, export, drill, resume)."""

from __future__ import annotations

import argparse
import json
import sys
from importlib import metadata
from pathlib import Path

from interviewer.config import Settings, load_settings


def common() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(add_help=False)
    p.add_argument("--data-dir", type=Path, help="all state: index, database (env INTERVIEWER_DATA_DIR)")
    p.add_argument("--knowledge", dest="knowledge_dir", type=Path, help="knowledge folder (env INTERVIEWER_KNOWLEDGE_DIR)")
    p.add_argument("--model", type=Path, help="GGUF model file, or a folder of them (env INTERVIEWER_MODEL)")
    p.add_argument("--model-file", help="which GGUF of the --model folder to load (default: the first by name)")
    p.add_argument("--llm-url", help="OpenAI-compatible server base URL (env INTERVIEWER_LLM_URL)")
    p.add_argument("--gpu-layers", type=int, help="layers to offload; -1 = all when CUDA is present")
    p.add_argument("--n-ctx", type=int, help="context size in tokens")
    p.add_argument("--chroma-url", help="Chroma server URL instead of the embedded store")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    return p


def settings_from(args: argparse.Namespace) -> Settings:
    keys = ("data_dir", "knowledge_dir", "model", "model_file", "llm_url", "gpu_layers", "n_ctx", "chroma_url", "host",
            "port", "auth", "speech_model")
    return load_settings(**{k: getattr(args, k, None) for k in keys})


def out(args, data, text: str | None = None) -> None:
    if args.json:
        print(json.dumps(data, ensure_ascii=False, indent=None, default=str))
    else:
        print(text if text is not None else json.dumps(data, ensure_ascii=False, indent=2, default=str))


def read_answers(path: str) -> list[str | dict]:
    """The answers of an answers file: a typed answer's text, or {"audio": path} for a recording (a relative
    path is read from the answers file's folder)."""
    src = sys.stdin if path == "-" else open(path, encoding="utf-8", errors="replace")
    base = Path.cwd() if path == "-" else Path(path).resolve().parent
    answers = []
    with src:
        for n, line in enumerate(src, 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
                answers.append({"audio": str(base / obj["audio"])} if "audio" in obj else obj["answer"])
            except (ValueError, KeyError, TypeError) as e:
                raise SystemExit(f"{path}:{n}: expected a JSON line {{\"answer\": \"...\"}} or {{\"audio\": "
                                 f"\"path.wav\"}} ({e})")
    return answers


# ---------------------------------------------------------------------------- commands


def cmd_ingest(args):
    from interviewer.index import Index
    from interviewer.knowledge import load_knowledge

    s = settings_from(args)
    report = Index(s).ingest(load_knowledge(s.knowledge_dir))
    out(args, report.model_dump())


def cmd_search(args):
    from interviewer.index import Index
    from interviewer.knowledge import load_knowledge

    s = settings_from(args)
    ix = Index(s)
    if ix.count() == 0:
        ix.ingest(load_knowledge(s.knowledge_dir))
    hits = ix.search(args.query, k=args.k, kind=args.kind)
    out(args, [h.model_dump() for h in hits],
        "\n".join(f"{h.score:.3f} [{h.kind}/{h.topic or '-'}] {h.text[:100]}" for h in hits))


def cmd_doctor(args):
    import llama_cpp

    s = settings_from(args)
    info: dict = {"python": sys.version.split()[0], "data_dir": str(s.data_dir), "knowledge_dir": str(s.knowledge_dir)}
    info["gpu_offload_supported"] = bool(llama_cpp.llama_supports_gpu_offload())
    try:
        p = s.model_path()
        info["model_path"] = str(p)
        info["model_bytes"] = p.stat().st_size if p.exists() else None
        info["model_files"] = [f.name for f in s.model_files()]
    except FileNotFoundError as e:
        info["model_error"] = str(e)
    if s.llm_url:
        info["backend"] = "openai-compatible"
        info["llm_url"] = s.llm_url
    else:
        info["backend"] = "llama-cpp-python"
    if not args.no_load:
        from interviewer.llm import ModelError, load_llm

        try:
            llm = load_llm(s)
            info.update({f"llm_{k}" if k in ("model",) else k: v for k, v in llm.info().items()})
            if args.probe:
                from interviewer.index import get_embedder
                from interviewer.probe import capabilities

                caps = capabilities(llm, get_embedder(str(s.embedding_path())), s)
                info.update(model=caps.model, probe=caps.public(), capabilities=caps.summary())
        except ModelError as e:
            info["model_error"] = str(e)
    info["gpu_layers_setting"] = s.gpu_layers
    info["cuda_build_hint"] = ("GPU offload active" if info["gpu_offload_supported"] else
                               "CPU build; for CUDA: CMAKE_ARGS=\"-DGGML_CUDA=on\" pip install --no-cache-dir "
                               f"--force-reinstall llama-cpp-python=={metadata.version('llama_cpp_python')}")
    try:
        info["embedding_model"] = str(s.embedding_path())
    except FileNotFoundError as e:
        info["embedding_error"] = str(e)
    try:
        from interviewer.index import Index

        info["index_chunks"] = Index(s).count()
    except Exception as e:  # doctor reports, never crashes
        info["index_error"] = str(e)
    from interviewer.speech import check as check_speech

    info["speech"] = check_speech(s, load=not args.no_load).model_dump()
    info["packages"] = {}
    for pkg in ("llama_cpp_python", "chromadb", "sentence-transformers", "gradio", "pydantic", "torch", "faster-whisper",
                "ctranslate2"):
        try:
            info["packages"][pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            info["packages"][pkg] = None
    failed = doctor_failures(s, info)
    info["failed_checks"] = failed
    out(args, info)
    if failed:
        print("error: doctor: failed check(s): " + "; ".join(f"{k}: {v}" for k, v in failed.items()), file=sys.stderr)
        raise SystemExit(1)


def doctor_failures(s: Settings, info: dict) -> dict[str, str]:
    """The checks doctor failed, by name: the model (file or server) and the embedding model must be there, and the
    speech model whole (spoken answers only: typing works without it)."""
    failed = {}
    if info.get("model_error"):
        failed["model"] = info["model_error"]
    elif not s.llm_url and not info.get("model_bytes"):
        failed["model"] = f"model file {info.get('model_path')} is missing or empty"
    if info.get("embedding_error"):
        failed["embedding_model"] = info["embedding_error"]
    elif not Path(info["embedding_model"]).exists():
        failed["embedding_model"] = f"embedding model {info['embedding_model']} is missing"
    if info.get("speech", {}).get("error"):
        failed["speech_model"] = info["speech"]["error"]
    return failed


def cmd_questions(args):
    """List the question bank (every field with --json), or with --coverage how many questions cite each JD item."""
    from interviewer.knowledge import MIN_QUESTIONS_PER_JD_ITEM, jd_coverage, load_knowledge

    kb = load_knowledge(settings_from(args).knowledge_dir)
    if args.coverage:
        cov = jd_coverage(kb)
        lines = [f"{i:4} {n:3}{'  < ' + str(MIN_QUESTIONS_PER_JD_ITEM) if i in cov['uncovered'] else ''}"
                 for i, n in cov["jd"].items()]
        out(args, cov, "\n".join(lines + [f"uncovered: {', '.join(cov['uncovered']) or 'none'}"]))
        return
    qs = [q for q in kb.questions if not args.topic or q.topic == args.topic]
    out(args, [q.model_dump(mode="json") for q in qs],
        "\n".join(f"{q.id:28} {q.priority} d{q.difficulty} {q.question[:90]}" for q in qs))


def cmd_draft_bank(args):
    """Draft a match table and questions with key points from your own JD and CV, one JD item at a time, into a new
    knowledge folder for review (needs a capable model; validated like hand-written files; never overwrites)."""
    from interviewer.draft import check_new, default_out, draft_bank, probe_warnings, read_inputs
    from interviewer.llm import load_llm

    s = settings_from(args)
    folder = args.out or default_out(s.data_dir)
    read_inputs(args.jd, args.cv)  # a bad JD or CV fails before the model loads
    check_new(folder)
    llm = load_llm(s)
    warnings = probe_warnings(llm, s)
    for w in warnings:
        print(f"warning: {w}", file=sys.stderr)
    rep = draft_bank(llm, args.jd, args.cv, folder, limit=args.limit, say=lambda m: print(m, file=sys.stderr),
                     warnings=warnings)
    d = rep.summary()
    failed = "".join(f"\n  {k}: {'; '.join(v)}" for k, v in d["failed"].items())
    out(args, d, f"drafted {d['rows']} match rows and {d['questions']} questions for {d['items']} JD items in "
                 f"{d['seconds']} s into {d['out']} (validated; review it before use)"
                 + (f"\nnot drafted:{failed}" if failed else ""))


def _engine(args, with_llm=True):
    from interviewer.session import Engine

    return Engine.load(settings_from(args), with_llm=with_llm)


def _turn_json(t) -> dict:
    return {"idx": t.idx, "question_id": t.question_id, "topic": t.topic, "question": t.question,
            "is_follow_up": t.is_follow_up, "answer": t.answer,
            "grade": t.grade.model_dump() if t.grade else None, "delivery": t.delivery}


def _play(args, iv, answers: list[str]) -> dict:
    from interviewer.session import AnswerError

    for a in answers:
        if iv.current is None:
            break
        text = iv.question_text()
        if not args.json:
            print(f"\nQ{iv.current.idx + 1}: {text}")
        a, delivery = _spoken(iv, a["audio"]) if isinstance(a, dict) else (a, None)
        try:
            res = iv.submit(a, delivery=delivery)
        except AnswerError:
            res = iv.skip()
        if not args.json and res.grade:
            print(f"A: {a[:200]}\n-> {res.grade.score:.1f}/5  {res.grade.feedback.splitlines()[0]}")
    tr = iv.engine.transcript(iv.session_id)
    return {"session_id": iv.session_id, "turns": [_turn_json(t) for t in tr.turns if t.answer is not None],
            "pending": iv.current.question if iv.current else None, "summary": iv.summary()}


def _spoken(iv, audio: str) -> tuple[str, dict]:
    """The transcript and delivery record of a recorded answer to the pending question."""
    from interviewer.delivery import spoken_answer
    from interviewer.speech import SpeechError, get_transcriber

    s = iv.engine.settings
    try:
        sa = spoken_answer(get_transcriber(s), s, audio, iv.engine.kb.question(iv.current.question_id),
                           keep_as=f"{iv.session_id}-{iv.current.idx}")
    except SpeechError as e:  # the answers before this one are saved: say how to go on from here
        raise SpeechError(f"{audio}: {e}. Session {iv.session_id} keeps the answers so far; go on with: python -m "
                          f"interviewer resume {iv.session_id} --answers FILE") from e
    return sa.text, sa.delivery


def cmd_transcribe(args):
    """Transcribe a recorded answer offline and measure its delivery (with --question-id, the question's key
    terms prime the transcription)."""
    from interviewer.delivery import render_text, spoken_answer, Delivery
    from interviewer.knowledge import load_knowledge
    from interviewer.speech import get_transcriber

    s = settings_from(args)
    question = load_knowledge(s.knowledge_dir).question(args.question_id) if args.question_id else None
    sa = spoken_answer(get_transcriber(s), s, Path(args.file), question)
    tr = sa.transcript
    out(args, {"text": sa.text, "duration_s": tr.duration_s, "seconds": tr.seconds, "truncated": tr.truncated,
               "notes": tr.notes, "delivery": sa.delivery, "words": [w.model_dump() for w in tr.words]},
        f"{sa.text}\n\n{render_text(Delivery.model_validate(sa.delivery))}"
        + "".join(f"\nnote: {n}" for n in tr.notes))


def cmd_interview(args):
    eng = _engine(args)
    mode = "focus" if args.focus else "full"
    iv = eng.start(mode=mode, focus=args.focus, n_questions=args.questions, persona=args.persona)
    out(args, _play(args, iv, read_answers(args.answers)), "")


def cmd_drill(args):
    """Drill the queue's items due now, or (--now SESSION_ID) the weak answers of a finished session at once."""
    eng = _engine(args)
    try:
        if args.now:
            iv = eng.drill_now(args.now, n_questions=args.questions)
        else:
            iv = eng.start(mode="drill", n_questions=args.questions)
    except ValueError as e:
        queue = [d.model_dump() for d in eng.due_drills()]
        when = "; ".join(f"{d['question_id']} due {d['due_at']}" for d in queue)
        out(args, {"error": str(e), "queue": queue}, f"{e}" + (f" (queue: {when})" if when else ""))
        return
    out(args, _play(args, iv, read_answers(args.answers)), "")


def cmd_resume(args):
    eng = _engine(args)
    iv = eng.interview(args.session_id)
    if args.answers:
        out(args, _play(args, iv, read_answers(args.answers)), "")
    else:
        cur = iv.current
        out(args, {"session_id": iv.session_id, "persona": iv.persona,
                   "turns_answered": sum(t.answer is not None for t in iv.turns),
                   "current": _turn_json(cur) if cur else None},
            f"session {iv.session_id} (persona {iv.persona}): "
            + (f"next question: {cur.question}" if cur else "finished"))


def cmd_grade(args):
    eng = _engine(args, with_llm=True)
    if args.answer_file:
        answer = sys.stdin.read() if args.answer_file == "-" else Path(args.answer_file).read_text(errors="replace")
    else:
        answer = args.answer
    if answer is None:
        raise SystemExit("give --answer TEXT or --answer-file PATH")
    if not (args.question_id or (args.question and args.reference)):
        raise SystemExit("give --question-id ID, or --question TEXT and --reference TEXT")
    g = eng.grade_answer(answer, question_id=args.question_id, question=args.question, reference=args.reference)
    out(args, g.model_dump(), f"{g.score:.2f}/5\n{g.feedback}")


def cmd_sessions(args):
    from interviewer.session import Records

    rows = [x.model_dump() for x in Records.open(settings_from(args)).sessions()]
    out(args, rows, "\n".join(f"{r['id']} {r['created_at']} {r['mode']:5} turns={r['turns']} mean={r['mean_score']}"
                              f" persona={r['persona']}" for r in rows) or "no sessions")


def cmd_replay(args):
    from interviewer.session import Records

    try:
        print(Records.open(settings_from(args)).export(args.session_id, args.format))
    except KeyError as e:
        raise SystemExit(str(e.args[0]))


def build_parser() -> argparse.ArgumentParser:
    c = common()
    p = argparse.ArgumentParser(prog="python -m interviewer", description=__doc__)
    sub = p.add_subparsers(dest="cmd", required=True)
    sub.add_parser("ingest", parents=[c], help="embed the knowledge base").set_defaults(fn=cmd_ingest)
    s = sub.add_parser("search", parents=[c], help="search the index")
    s.add_argument("query")
    s.add_argument("--k", type=int, default=5)
    s.add_argument("--kind")
    s.set_defaults(fn=cmd_search)
    d = sub.add_parser("doctor", parents=[c], help="show the environment")
    d.add_argument("--no-load", action="store_true", help="do not load the model")
    d.add_argument("--probe", action="store_true", help="run (or read the cached) capability probe on the model: "
                   "what it is trusted with and why")
    d.set_defaults(fn=cmd_doctor)
    q = sub.add_parser("questions", parents=[c], help="list the question bank")
    q.add_argument("--topic")
    q.add_argument("--coverage", action="store_true", help="questions per JD item, and the items under the minimum")
    q.set_defaults(fn=cmd_questions)
    i = sub.add_parser("interview", parents=[c], help="a headless interview from an answers file")
    i.add_argument("--answers", required=True, help="JSONL file of {\"answer\": ...} or {\"audio\": \"path.wav\"} "
                   "lines, - for stdin")
    i.add_argument("--questions", type=int, default=5)
    i.add_argument("--focus")
    i.add_argument("--persona", help="interviewer persona: prompts/persona_<name>.md (default: the configured one, "
                                     "env INTERVIEWER_PERSONA); stored with the session, so resume keeps it")
    i.set_defaults(fn=cmd_interview)
    dr = sub.add_parser("drill", parents=[c], help="drill the due items of the queue")
    dr.add_argument("--answers", required=True)
    dr.add_argument("--questions", type=int, default=5)
    dr.add_argument("--now", metavar="SESSION_ID", help="drill the missed and contradicted key points of this finished "
                                                       "session now, whatever the schedule says")
    dr.set_defaults(fn=cmd_drill)
    r = sub.add_parser("resume", parents=[c], help="resume an interrupted session")
    r.add_argument("session_id")
    r.add_argument("--answers")
    r.set_defaults(fn=cmd_resume)
    db = sub.add_parser("draft-bank", parents=[c], help="draft a knowledge folder from your own JD and CV")
    db.add_argument("--jd", type=Path, required=True, help="job description, Markdown or plain text")
    db.add_argument("--cv", type=Path, required=True, help="CV, Markdown or plain text")
    db.add_argument("--out", type=Path, help="the new knowledge folder (default: <data dir>/drafts/<timestamp>)")
    db.add_argument("--limit", type=int, help="draft only the first N JD items (hard requirements first)")
    db.set_defaults(fn=cmd_draft_bank)
    g = sub.add_parser("grade", parents=[c], help="grade one answer")
    g.add_argument("--question-id")
    g.add_argument("--question")
    g.add_argument("--reference")
    g.add_argument("--answer")
    g.add_argument("--answer-file")
    g.set_defaults(fn=cmd_grade)
    tr = sub.add_parser("transcribe", parents=[c], help="transcribe a recorded answer and measure its delivery")
    tr.add_argument("file", help="recording: wav, webm, ogg, mp3 or m4a")
    tr.add_argument("--question-id", help="prime the transcription with this bank question's key terms")
    tr.add_argument("--speech-model", type=Path, help="CTranslate2 Whisper directory (env INTERVIEWER_SPEECH_MODEL)")
    tr.set_defaults(fn=cmd_transcribe)
    sub.add_parser("sessions", parents=[c], help="list sessions").set_defaults(fn=cmd_sessions)
    for name in ("replay", "export"):
        rp = sub.add_parser(name, parents=[c], help=f"{name} a graded transcript")
        rp.add_argument("session_id")
        rp.add_argument("--format", choices=["md", "json"], default="md" if name == "export" else "json")
        rp.set_defaults(fn=cmd_replay)
    return p


def main(argv: list[str] | None = None) -> int:
    from interviewer.index import IndexServerError
    from interviewer.knowledge import KnowledgeError
    from interviewer.llm import ModelError
    from interviewer.speech import SpeechError
    from interviewer.store import StoreError

    args = build_parser().parse_args(argv)
    try:
        args.fn(args)
    except (KnowledgeError, ModelError, IndexServerError, SpeechError, StoreError, PermissionError, FileNotFoundError,
            ValueError, KeyError) as e:
        msg = e.args[0] if isinstance(e, KeyError) and e.args else str(e)
        print(f"error: {msg}", file=sys.stderr)
        return 2
    return 0
