"""Identity of a model for per-model caches and fits: a GGUF file by content, a server by URL and model name."""

from __future__ import annotations

import hashlib
from pathlib import Path

from interviewer.config import Settings

HEAD_BYTES = 1 << 20  # the first MiB holds the GGUF header and metadata: with the size, it tells files apart


def file_key(path: Path) -> str:
    """sha256 prefix of the file's first MiB plus its size: the same file copied elsewhere keeps its key."""
    with Path(path).open("rb") as f:
        head = f.read(HEAD_BYTES)
    return f"{hashlib.sha256(head).hexdigest()[:16]}-{Path(path).stat().st_size}"


def model_key(settings: Settings, llm=None) -> str:
    """The key of the configured model: a server's URL and model name (as the server named it), else the file."""
    if settings.llm_url:
        name = getattr(llm, "name", None) or settings.llm_model_name
        return "url-" + hashlib.sha256(f"{settings.llm_url}\n{name}".encode()).hexdigest()[:16]
    return file_key(settings.model_path())
