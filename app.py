"""Browser app entry point: load the engine (knowledge, index, model), then serve the gradio UI.

    python app.py [--host 127.0.0.1] [--port 7860] [--auth user:password] [--data-dir DIR]
                  [--knowledge DIR] [--model FILE.gguf] [--llm-url URL] [--gpu-layers N]
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
    p.add_argument("--model", type=Path, help="GGUF model file (default SmolLM2-135M-Instruct)")
    p.add_argument("--llm-url", help="OpenAI-compatible server base URL instead of the in-process model")
    p.add_argument("--gpu-layers", type=int, help="layers to offload; -1 = all when CUDA is present")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    from interviewer.config import load_settings
    from interviewer.knowledge import KnowledgeError
    from interviewer.llm import ModelError
    from interviewer.store import StoreError

    settings = load_settings(host=args.host, port=args.port, auth=args.auth, data_dir=args.data_dir,
                             knowledge_dir=args.knowledge_dir, model=args.model, llm_url=args.llm_url,
                             gpu_layers=args.gpu_layers)
    if settings.auth is not None and ":" not in settings.auth:
        print("error: --auth must be user:password", file=sys.stderr)
        return 2
    if not is_loopback(settings.host) and not settings.auth:
        print(f"WARNING: binding {settings.host}, which other machines can reach, without --auth: anyone on the "
              "network can read your CV and transcripts. Add --auth user:password.", file=sys.stderr, flush=True)

    from interviewer.session import Engine

    def progress(frac: float, msg: str) -> None:
        print(f"[{frac * 100:5.1f}%] {msg}", flush=True)

    try:
        engine = Engine.load(settings, progress=progress)
    except (KnowledgeError, ModelError, StoreError, PermissionError, FileNotFoundError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2

    kb = engine.kb
    rep = getattr(engine, "ingest_report", None)
    print(f"knowledge: {settings.knowledge_dir} — {kb.jd.title}; {len(kb.match.rows)} match rows, "
          f"{len(kb.questions)} questions")
    print(f"index: {rep.chunks if rep else engine.index.count()} chunks in {settings.index_dir}")
    info = engine.llm.info() if engine.llm else {}
    if info.get("backend") == "llama-cpp-python":
        print(f"model: {info['model']} (llama-cpp-python; GPU offload "
              f"{'supported' if info['gpu_offload_supported'] else 'not supported (CPU build)'}, "
              f"{info['layers_offloaded']}/{info['n_layers']} layers on the GPU)")
    elif info:
        print(f"model: {info.get('model')} via {info.get('backend')} at {info.get('url')}")
    print(f"data: {settings.data_dir}", flush=True)

    from interviewer import ui

    demo = ui.build(engine)
    scheme = "http"
    print(f"serving on {scheme}://{settings.host}:{settings.port}" + (" (auth required)" if settings.auth else ""),
          flush=True)
    demo.launch(**ui.launch_kwargs(settings))
    return 0


if __name__ == "__main__":
    sys.exit(main())
