"""Browser app entry point: serve the gradio UI at once and load the engine (knowledge, index, model) in a
background thread; the page shows the loading progress and enables Start when the engine is ready.

    python app.py [--host 127.0.0.1] [--port 7860] [--auth user:password] [--data-dir DIR]
                  [--knowledge DIR] [--model FILE.gguf|DIR] [--model-file NAME] [--llm-url URL] [--gpu-layers N]
                  [--persona NAME] [--adapt-questions]

Mistakes found in a moment (a knowledge folder that does not parse, a data dir that is not writable, a
model path that is not a GGUF) stop the app before it listens, with exit status 2.
"""

from __future__ import annotations

import argparse
import ipaddress
import sys
from pathlib import Path

import interviewer  # noqa: F401  (offline environment first)


def is_loopback(host: str) -> bool:
    if host in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python app.py", description="Local mock interviewer in the browser.")
    p.add_argument("--host", help="address to bind (default 127.0.0.1; env INTERVIEWER_HOST)")
    p.add_argument("--port", type=int, help="port (default 7860; env INTERVIEWER_PORT)")
    p.add_argument("--auth", help="user:password required to open the UI (env INTERVIEWER_AUTH)")
    p.add_argument("--data-dir", type=Path, help="all state: index, database, exports")
    p.add_argument("--knowledge", dest="knowledge_dir", type=Path, help="knowledge folder")
    p.add_argument("--model", type=Path, help="GGUF model file, or a folder of them to pick from in the page "
                   "(default SmolLM2-135M-Instruct)")
    p.add_argument("--model-file", help="which GGUF of the --model folder to load first (default: the first by name)")
    p.add_argument("--llm-url", help="OpenAI-compatible server base URL instead of the in-process model")
    p.add_argument("--chroma-url", help="Chroma server http://host:port instead of the embedded store "
                   "(env INTERVIEWER_CHROMA_URL)")
    p.add_argument("--gpu-layers", type=int, help="layers to offload; -1 = all when CUDA is present")
    p.add_argument("--persona", help="default interviewer persona: prompts/persona_<NAME>.md (env INTERVIEWER_PERSONA)")
    p.add_argument("--adapt-questions", action="store_true", default=None,
                   help="let the model phrase the questions in the persona's voice (env INTERVIEWER_ADAPT_QUESTIONS)")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    from interviewer.config import load_settings
    from interviewer.knowledge import KnowledgeError
    from interviewer.llm import ModelError
    from interviewer.store import StoreError

    settings = load_settings(host=args.host, port=args.port, auth=args.auth, data_dir=args.data_dir,
                             knowledge_dir=args.knowledge_dir, model=args.model, model_file=args.model_file,
                             llm_url=args.llm_url, chroma_url=args.chroma_url,
                             gpu_layers=args.gpu_layers, persona=args.persona,
                             adapt_questions=args.adapt_questions)
    if settings.auth is not None and ":" not in settings.auth:
        print("error: --auth must be user:password", file=sys.stderr)
        return 2
    if not is_loopback(settings.host) and not settings.auth:
        print(f"WARNING: binding {settings.host}, which other machines can reach, without --auth: anyone on the "
              "network can read your CV and transcripts. Add --auth user:password.", file=sys.stderr, flush=True)

    from interviewer.knowledge import load_knowledge
    from interviewer.llm import check_gguf
    from interviewer.session import persona_template

    # The quick checks run before the page is served, so a wrong flag fails at once with status 2.
    try:
        persona_template(settings.persona)
        kb = load_knowledge(settings.knowledge_dir)
        settings.ensure_data_dir()
        if not settings.llm_url:
            check_gguf(settings.model_path())
    except (KnowledgeError, ModelError, StoreError, PermissionError, FileNotFoundError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2

    def say(line: str) -> None:
        # one write per line: the engine loads in a background thread while the main thread prints too
        sys.stdout.write(line + "\n")
        sys.stdout.flush()

    def progress(frac: float, msg: str) -> None:
        say(f"[{frac * 100:5.1f}%] {msg}")

    def loaded(engine) -> None:
        kb = engine.kb
        rep = getattr(engine, "ingest_report", None)
        say(f"knowledge: {settings.knowledge_dir} — {kb.jd.title}; {len(kb.match.rows)} match rows, "
            f"{len(kb.questions)} questions")
        say(f"index: {rep.chunks if rep else engine.index.count()} chunks in {settings.index_dir}")
        info = engine.llm.info() if engine.llm else {}
        if info.get("backend") == "llama-cpp-python":
            say(f"model: {info['model']} (llama-cpp-python; GPU offload "
                f"{'supported' if info['gpu_offload_supported'] else 'not supported (CPU build)'}, "
                f"{info['layers_offloaded']}/{info['n_layers']} layers on the GPU)")
        elif info:
            say(f"model: {info.get('model')} via {info.get('backend')} at {info.get('url')}")
        say(f"data: {settings.data_dir}")
        say("ready")

    def failed(e: BaseException) -> None:
        print(f"error: {e}\nloading failed; the page shows the error. Fix it and restart (Ctrl+C).",
              file=sys.stderr, flush=True)

    from interviewer import ui

    loading = ui.Loading(settings, kb)
    demo = ui.build(loading)
    loading.start(progress=progress, on_ready=loaded, on_error=failed)
    scheme = "http"
    say(f"serving on {scheme}://{settings.host}:{settings.port}" + (" (auth required)" if settings.auth else "")
        + "; loading the engine in the background")
    demo.launch(**ui.launch_kwargs(settings))
    return 0


if __name__ == "__main__":
    sys.exit(main())
