"""Model engine: one chat interface (chat, streaming, schema-constrained JSON, yes/no log-probabilities)
over two backends, in-process llama-cpp-python and any OpenAI-compatible server."""

from __future__ import annotations

import json
import math
import os
import threading
import time
from pathlib import Path
from typing import Iterator, Protocol, TypeVar

from pydantic import BaseModel, ValidationError

from interviewer.config import Settings

T = TypeVar("T", bound=BaseModel)
Messages = list[dict[str, str]]


class ModelError(RuntimeError):
    """The model could not be loaded or did not answer; the message says what to do."""


class LLM(Protocol):
    name: str

    def chat(self, messages: Messages, max_tokens: int = 256, stop: list[str] | None = None) -> str: ...

    def stream_chat(
        self, messages: Messages, max_tokens: int = 256, stop: list[str] | None = None
    ) -> Iterator[str]: ...

    def json(self, messages: Messages, schema: type[T], max_tokens: int = 512) -> T: ...

    def yes_probability(self, messages: Messages) -> float: ...

    def info(self) -> dict: ...


def _p_yes(logprobs: dict[str, float]) -> float:
    """P(yes) / (P(yes) + P(no)) from a token -> log-probability map (any casing / leading space)."""
    yes = no = 0.0
    for tok, lp in logprobs.items():
        t = tok.strip().lower()
        if t in ("yes", "y"):
            yes += math.exp(lp)
        elif t in ("no", "n"):
            no += math.exp(lp)
    if yes + no == 0:
        return 0.5
    return yes / (yes + no)


def check_gguf(path: Path) -> None:
    """Fail early, clearly, for a model path that does not exist or is not a GGUF file."""
    if not path.exists():
        raise ModelError(f"model file {path} does not exist; pass --model PATH to a .gguf file")
    if not path.is_file():
        raise ModelError(f"model path {path} is not a file; pass --model PATH to a .gguf file")
    with path.open("rb") as f:
        magic = f.read(4)
    if magic != b"GGUF":
        raise ModelError(f"model file {path} is not a GGUF file (magic {magic!r}); convert it or pick a .gguf")


class LlamaCppLLM:
    """In-process llama.cpp. Offloads every layer when the build supports GPU offload.

    One lock per loaded model: llama.cpp contexts are not thread-safe, so concurrent sessions queue.
    """

    def __init__(self, settings: Settings):
        import llama_cpp

        self.settings = settings
        self.path = settings.model_path()
        check_gguf(self.path)
        self.gpu_offload_supported = bool(llama_cpp.llama_supports_gpu_offload())
        if settings.gpu_layers < 0:
            self.n_gpu_layers = -1 if self.gpu_offload_supported else 0
        else:
            self.n_gpu_layers = settings.gpu_layers if self.gpu_offload_supported else 0
        t0 = time.perf_counter()
        try:
            self.llama = llama_cpp.Llama(
                model_path=str(self.path),
                n_ctx=settings.n_ctx,
                n_gpu_layers=self.n_gpu_layers,
                flash_attn=self.n_gpu_layers != 0,
                seed=settings.seed,
                n_threads=settings.n_threads or max(1, len(os.sched_getaffinity(0))),
                verbose=False,
            )
        except (ValueError, RuntimeError, OSError) as e:
            raise ModelError(f"could not load model {self.path}: {e}") from e
        self.load_seconds = time.perf_counter() - t0
        self.lock = threading.RLock()
        self.name = self.path.name
        self.n_layers = int(self.llama.metadata.get(f"{self._arch()}.block_count", 0) or 0)

    def _arch(self) -> str:
        return self.llama.metadata.get("general.architecture", "llama")

    def _kw(self, max_tokens: int, stop: list[str] | None) -> dict:
        return dict(max_tokens=max_tokens, temperature=0.0, top_k=1, seed=self.settings.seed, stop=stop)

    def chat(self, messages: Messages, max_tokens: int = 256, stop: list[str] | None = None) -> str:
        with self.lock:
            out = self.llama.create_chat_completion(messages=messages, **self._kw(max_tokens, stop))
        return out["choices"][0]["message"]["content"] or ""

    def stream_chat(
        self, messages: Messages, max_tokens: int = 256, stop: list[str] | None = None
    ) -> Iterator[str]:
        with self.lock:
            for chunk in self.llama.create_chat_completion(
                messages=messages, stream=True, **self._kw(max_tokens, stop)
            ):
                delta = chunk["choices"][0]["delta"].get("content")
                if delta:
                    yield delta

    def json(self, messages: Messages, schema: type[T], max_tokens: int = 512) -> T:
        with self.lock:
            out = self.llama.create_chat_completion(
                messages=messages,
                response_format={"type": "json_object", "schema": schema.model_json_schema()},
                **self._kw(max_tokens, None),
            )
        return _parse(schema, out["choices"][0]["message"]["content"] or "")

    def yes_probability(self, messages: Messages) -> float:
        """P(yes) for the next token after the chat prompt, read from the logits of one step."""
        import numpy as np

        captured: list = []

        def grab(_ids, scores):
            captured.append(np.array(scores, dtype=np.float64, copy=True))
            return scores

        with self.lock:
            self.llama.create_chat_completion(
                messages=messages, logits_processor=[grab], **self._kw(1, None)
            )
            ids = self._yes_no_ids()
        logits = captured[0]
        m = logits.max()
        logz = m + math.log(np.exp(logits - m).sum())
        p = {w: sum(math.exp(float(logits[t] - logz)) for t in toks) for w, toks in ids.items()}
        return 0.5 if p["yes"] + p["no"] == 0 else p["yes"] / (p["yes"] + p["no"])

    def _yes_no_ids(self) -> dict[str, list[int]]:
        if not hasattr(self, "_yn"):
            ids: dict[str, list[int]] = {"yes": [], "no": []}
            for word in ("yes", "no"):
                for variant in (word, word.capitalize(), " " + word, " " + word.capitalize()):
                    toks = self.llama.tokenize(variant.encode(), add_bos=False, special=False)
                    if len(toks) == 1 and toks[0] not in ids[word]:
                        ids[word].append(toks[0])
            self._yn = ids
        return self._yn

    def tokens(self, text: str) -> int:
        return len(self.llama.tokenize(text.encode(), add_bos=False, special=False))

    def info(self) -> dict:
        return {
            "backend": "llama-cpp-python",
            "model": str(self.path),
            "model_bytes": self.path.stat().st_size,
            "gpu_offload_supported": self.gpu_offload_supported,
            "n_gpu_layers": self.n_gpu_layers,
            "layers_offloaded": (self.n_layers if self.n_gpu_layers < 0 else min(self.n_gpu_layers, self.n_layers))
            if self.gpu_offload_supported else 0,
            "n_layers": self.n_layers,
            "n_ctx": self.settings.n_ctx,
            "load_seconds": round(self.load_seconds, 3),
        }


def _parse(schema: type[T], text: str) -> T:
    try:
        return schema.model_validate_json(text)
    except ValidationError:
        # Some servers wrap JSON in prose or code fences: take the outermost object.
        start, end = text.find("{"), text.rfind("}")
        if start >= 0 and end > start:
            try:
                return schema.model_validate(json.loads(text[start : end + 1]))
            except (ValueError, ValidationError) as e:
                raise ModelError(f"model returned JSON that does not match {schema.__name__}: {e}") from e
        raise ModelError(f"model did not return JSON for {schema.__name__}: {text[:200]!r}")


class OpenAILLM:
    """Any OpenAI-compatible server (llama.cpp server, vLLM, NVIDIA Dynamo) via --llm-url."""

    def __init__(self, settings: Settings):
        import openai

        self.settings = settings
        self.url = settings.llm_url
        self.client = openai.OpenAI(base_url=settings.llm_url, api_key=settings.llm_api_key, timeout=120, max_retries=1)
        self.name = settings.llm_model_name
        t0 = time.perf_counter()
        try:
            models = self.client.models.list()
        except openai.OpenAIError as e:
            raise ModelError(f"cannot reach the model server at {self.url}: {e}") from e
        ids = [m.id for m in models.data]
        if self.name == "default" and ids:
            self.name = ids[0]
        self.load_seconds = time.perf_counter() - t0

    def _kw(self, max_tokens: int, stop: list[str] | None) -> dict:
        return dict(model=self.name, max_tokens=max_tokens, temperature=0.0, seed=self.settings.seed, stop=stop)

    def _call(self, **kw):
        import openai

        try:
            return self.client.chat.completions.create(**kw)
        except openai.OpenAIError as e:
            raise ModelError(f"model server {self.url} failed: {e}") from e

    def chat(self, messages: Messages, max_tokens: int = 256, stop: list[str] | None = None) -> str:
        out = self._call(messages=messages, **self._kw(max_tokens, stop))
        return out.choices[0].message.content or ""

    def stream_chat(
        self, messages: Messages, max_tokens: int = 256, stop: list[str] | None = None
    ) -> Iterator[str]:
        for chunk in self._call(messages=messages, stream=True, **self._kw(max_tokens, stop)):
            if chunk.choices and chunk.choices[0].delta.content:
                yield chunk.choices[0].delta.content

    def json(self, messages: Messages, schema: type[T], max_tokens: int = 512) -> T:
        # llama.cpp's server reads `schema` from a json_object format; vLLM and others read json_schema.
        fmt = {"type": "json_object", "schema": schema.model_json_schema()}
        out = self._call(messages=messages, response_format=fmt, **self._kw(max_tokens, None))
        return _parse(schema, out.choices[0].message.content or "")

    def yes_probability(self, messages: Messages) -> float:
        try:
            out = self._call(messages=messages, logprobs=True, top_logprobs=10, **self._kw(1, None))
            content = out.choices[0].logprobs.content if out.choices[0].logprobs else None
            if content:
                return _p_yes({t.token: t.logprob for t in content[0].top_logprobs} or {content[0].token: content[0].logprob})
        except ModelError:
            pass
        # Server without log-probabilities: fall back to the greedy token.
        text = self.chat(messages, max_tokens=1).strip().lower()
        return 1.0 if text.startswith("y") else 0.0 if text.startswith("n") else 0.5

    def info(self) -> dict:
        return {"backend": "openai-compatible", "url": self.url, "model": self.name,
                "load_seconds": round(self.load_seconds, 3)}


def load_llm(settings: Settings) -> LLM:
    """The configured backend: the server at --llm-url, else the in-process GGUF."""
    if settings.llm_url:
        return OpenAILLM(settings)
    return LlamaCppLLM(settings)
