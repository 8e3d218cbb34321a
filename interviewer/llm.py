"""Model engine: one chat interface (chat, streaming, schema-constrained JSON, yes/no log-probabilities)
over two backends, in-process llama-cpp-python and any OpenAI-compatible server."""

from __future__ import annotations

import json
import logging
import math
import os
import threading
import time
from pathlib import Path
from typing import Iterator, Protocol, TypeVar

from pydantic import BaseModel, ValidationError

from interviewer.config import Settings

T = TypeVar("T", bound=BaseModel)
log = logging.getLogger(__name__)
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

    Speed (docs/PERF.md): the conversation's prompt is rendered with the model's own chat template and
    fed to `Llama.generate`, which reuses the KV cache of the longest prefix already evaluated, so an
    append-only interview only evaluates the new turn. Grading can run in a second context
    (`grader_context="second"`) or around a save/restore of the interview's KV cache ("state"), so that
    it does not evict the interview's prefix. `prompt_lookup_tokens > 0` turns on prompt-lookup
    speculative decoding (greedy, verified in one batch). Every path runs on the CPU as well.
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
        self.llama = self._load()
        self.load_seconds = time.perf_counter() - t0
        self.lock = threading.RLock()
        self.name = self.path.name
        self.n_layers = int(self.llama.metadata.get(f"{self._arch()}.block_count", 0) or 0)
        mode = settings.grader_context  # Settings refuses anything but auto, shared, second, state
        # auto: where layers run on the GPU, grade in a second context (measured on the H200, 8B: grade 84 ms
        # + next-question TTFT 19 ms, against 312 + 18 for state and 90 + 97 for shared; docs/PERF.md). It is
        # loaded on first use, so a grader that never calls the model costs no second copy of the weights.
        self.grader_context = ("second" if self.n_gpu_layers != 0 else "shared") if mode == "auto" else mode
        self.prompt_lookup_tokens = max(0, settings.prompt_lookup_tokens)
        self.prompt_lookup_ngram = max(1, settings.prompt_lookup_ngram)
        self._formatter = _chat_formatter(self.llama)
        # stream_chat continues a last assistant message and drafts from the prompt when asked (lookup); the chat
        # template's own path renders that message as a whole turn and drafts nothing
        self.continues_reply = self._formatter is not None
        self._grader: object | None = None
        self._saved_buf = None
        self.last_stats: dict = {}

    def _load(self):
        import llama_cpp

        s = self.settings
        try:
            return llama_cpp.Llama(
                model_path=str(self.path),
                n_ctx=s.n_ctx,
                n_gpu_layers=self.n_gpu_layers,
                flash_attn=self.n_gpu_layers != 0,
                seed=s.seed,
                n_threads=s.n_threads or max(1, len(os.sched_getaffinity(0))),
                verbose=False,
            )
        except (ValueError, RuntimeError, OSError) as e:
            raise ModelError(f"could not load model {self.path}: {e}") from e

    def _arch(self) -> str:
        return self.llama.metadata.get("general.architecture", "llama")

    def _kw(self, max_tokens: int, stop: list[str] | None) -> dict:
        return dict(max_tokens=max_tokens, temperature=0.0, top_k=1, seed=self.settings.seed, stop=stop)

    # ------------------------------------------------------------------ conversation (KV reuse)

    def prompt_tokens(self, messages: Messages) -> tuple[list[int], list[str]]:
        """The chat prompt as tokens, rendered exactly as create_chat_completion renders it, and its stops. A last
        assistant message is the opening of the reply: the model continues it (see continues_reply)."""
        opening = messages[-1]["content"] if messages and messages[-1]["role"] == "assistant" else None
        r = self._formatter(messages=messages if opening is None else messages[:-1])
        prompt = r.prompt if opening is None else r.prompt + opening
        toks = self.llama.tokenize(prompt.encode("utf-8"), add_bos=not r.added_special, special=True)
        stops = [] if r.stop is None else [r.stop] if isinstance(r.stop, str) else list(r.stop)
        return toks, stops

    def chat(self, messages: Messages, max_tokens: int = 256, stop: list[str] | None = None) -> str:
        if self._formatter is None:
            with self.lock:
                out = self.llama.create_chat_completion(messages=messages, **self._kw(max_tokens, stop))
            return out["choices"][0]["message"]["content"] or ""
        return "".join(self.stream_chat(messages, max_tokens=max_tokens, stop=stop))

    def stream_chat(
        self, messages: Messages, max_tokens: int = 256, stop: list[str] | None = None, lookup: int = 0
    ) -> Iterator[str]:
        """lookup > 0: prompt-lookup drafts of up to that many tokens for this call (text that copies its prompt,
        such as a follow-up quoting the candidate), whatever prompt_lookup_tokens says."""
        if self._formatter is None:  # no chat template in the GGUF: llama-cpp-python's named formats
            with self.lock:
                for chunk in self.llama.create_chat_completion(
                    messages=messages, stream=True, **self._kw(max_tokens, stop)
                ):
                    delta = chunk["choices"][0]["delta"].get("content")
                    if delta:
                        yield delta
            return
        with self.lock:
            toks, stops = self.prompt_tokens(messages)
            yield from self._stream_tokens(toks, max_tokens, list(stop or []) + stops, lookup=lookup)

    def _stream_tokens(self, toks: list[int], max_tokens: int, stops: list[str], L=None,
                       lookup: int = 0) -> Iterator[str]:
        """Greedy generation from prompt tokens on `L` (default: the interview's context), streamed as text; stops
        on an end-of-generation token, a stop string (not emitted), or max_tokens. Caller holds the lock."""
        import llama_cpp

        L = self.llama if L is None else L
        n_ctx = L.n_ctx()
        if len(toks) >= n_ctx:
            raise ValueError(f"Requested tokens ({len(toks)}) exceed context window of {n_ctx}")
        max_tokens = min(max_tokens if max_tokens and max_tokens > 0 else n_ctx, n_ctx - len(toks))
        vocab = L._model.vocab
        t0 = time.perf_counter()
        n_cached = _common_prefix(L.input_ids[: L.n_tokens], toks)
        k = max(self.prompt_lookup_tokens, lookup)
        if k > 0:
            gen = _lookup_generate(L, toks, k, self.prompt_lookup_ngram, self.last_stats)
        else:
            gen = L.generate(toks, top_k=1, top_p=1.0, min_p=0.0, temp=0.0, repeat_penalty=1.0)
        dec = _TextStream(stops)
        n = 0
        t_first = None
        try:
            for tok in gen:
                if t_first is None:
                    t_first = time.perf_counter()
                if llama_cpp.llama_token_is_eog(vocab, tok):
                    break
                n += 1
                piece, done = dec.feed(_piece(vocab, tok))
                if piece:
                    yield piece
                if done or n >= max_tokens:
                    break
            tail = dec.flush()
            if tail:
                yield tail
        finally:
            gen.close()
            t_end = time.perf_counter()
            self.last_stats.update(prompt_tokens=len(toks), cached_tokens=n_cached, completion_tokens=n,
                                   ttft_s=(t_first or t_end) - t0, total_s=t_end - t0)

    # ------------------------------------------------------------------ grading

    def _grading(self):
        """Context manager: the Llama to grade with, leaving the interview's KV cache in place."""
        import contextlib

        @contextlib.contextmanager
        def cm():
            with self.lock:
                if self.grader_context == "second":
                    if self._grader is None:
                        self._grader = self._load()
                    yield self._grader
                elif self.grader_context == "state":
                    saved = self._save_seq()
                    try:
                        yield self.llama
                    finally:
                        self._restore_seq(saved)
                else:
                    yield self.llama

        return cm()

    def _save_seq(self):
        """Copy the interview's KV cache (sequence 0) and its tokens to host memory."""
        import ctypes

        import llama_cpp
        import numpy as np

        L = self.llama
        n = L.n_tokens
        if n == 0:
            return None
        ctx = L._ctx.ctx
        size = int(llama_cpp.llama_state_seq_get_size(ctx, 0))
        if self._saved_buf is None or self._saved_buf.size < size:
            self._saved_buf = np.empty(size, dtype=np.uint8)
        ptr = self._saved_buf.ctypes.data_as(ctypes.POINTER(ctypes.c_uint8))
        got = int(llama_cpp.llama_state_seq_get_data(ctx, ptr, size, 0))
        if got == 0:
            return None
        return ptr, got, L.input_ids[:n].copy(), n

    def _restore_seq(self, saved) -> None:
        import llama_cpp

        if saved is None:
            return
        ptr, got, ids, n = saved
        L = self.llama
        L._ctx.kv_cache_seq_rm(0, -1, -1)
        if int(llama_cpp.llama_state_seq_set_data(L._ctx.ctx, ptr, got, 0)) == 0:
            L.reset()  # could not restore: the next turn evaluates its prompt in full
            return
        L.input_ids[:n] = ids
        L.n_tokens = n
        L._requires_eval = True

    def json(self, messages: Messages, schema: type[T], max_tokens: int = 512) -> T:
        """A reply validated by the schema. Written freely first, with the schema's shape shown in the prompt, and
        cut where the JSON object closes: llama.cpp's grammar-constrained sampling costs a fixed 35-60 ms of CPU
        per token whatever the model (8x the 8B's decode on the H200, docs/PERF.md; on 2 CPU cores it halved the
        decode rate of Qwen2.5-Coder-0.5B and cut the 135M's 3-5 fold). Only a free reply that does not validate is
        generated again under the schema's grammar; ModelError if that fails too."""
        shown = with_shape(messages, schema)
        with self._grading() as L:
            free = _first_object(self._free_text(L, shown, max_tokens))
            try:
                return _parse(schema, free)
            except ModelError as e:
                log.info("free JSON reply rejected (%s); writing it again under the schema's grammar", e)
                out = L.create_chat_completion(
                    messages=shown,
                    response_format={"type": "json_object", "schema": schema.model_json_schema()},
                    **self._kw(max_tokens, None),
                )
        return _parse(schema, out["choices"][0]["message"]["content"] or "")

    def _free_text(self, L, messages: Messages, max_tokens: int) -> Iterator[str]:
        """Unconstrained greedy text from the Llama `L` (the grading context), reusing its KV prefix."""
        if self._formatter is None:
            for chunk in L.create_chat_completion(messages=messages, stream=True, **self._kw(max_tokens, None)):
                delta = chunk["choices"][0]["delta"].get("content")
                if delta:
                    yield delta
            return
        toks, stops = self.prompt_tokens(messages)
        yield from self._stream_tokens(toks, max_tokens, stops, L)

    def yes_probability(self, messages: Messages) -> float:
        """P(yes) for the next token after the chat prompt, read from the logits of one step."""
        import numpy as np

        captured: list = []

        def grab(_ids, scores):
            captured.append(np.array(scores, dtype=np.float64, copy=True))
            return scores

        with self._grading() as L:
            L.create_chat_completion(messages=messages, logits_processor=[grab], **self._kw(1, None))
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
            "chat_template_fast_path": self._formatter is not None,
            "grader_context": self.grader_context,
            "prompt_lookup_tokens": self.prompt_lookup_tokens,
        }


def _chat_formatter(llama):
    """The Jinja chat formatter create_chat_completion would use, or None (named/legacy formats)."""
    if llama.chat_handler is not None or llama.chat_format != "chat_template.default":
        return None
    template = llama.metadata.get("tokenizer.chat_template")
    if not template:
        return None
    from llama_cpp import llama_chat_format

    m = llama._model
    eos, bos = m.token_eos(), m.token_bos()
    return llama_chat_format.Jinja2ChatFormatter(
        template=template,
        eos_token=m.token_get_text(eos) if eos != -1 else "",
        bos_token=m.token_get_text(bos) if bos != -1 else "",
        stop_token_ids=[eos],
    )


def _common_prefix(a, b) -> int:
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n


_PIECE_BUF: dict = {}


def _piece(vocab, tok: int) -> bytes:
    """The bytes of one token (special tokens render as nothing, as in create_completion)."""
    import ctypes

    import llama_cpp

    buf = _PIECE_BUF.get("b")
    if buf is None:
        buf = _PIECE_BUF["b"] = ctypes.create_string_buffer(256)
    n = llama_cpp.llama_token_to_piece(vocab, tok, buf, 256, 0, False)
    if n < 0:
        big = ctypes.create_string_buffer(-n)
        n = llama_cpp.llama_token_to_piece(vocab, tok, big, -n, 0, False)
        return big.raw[:n]
    return buf.raw[:n]


class _TextStream:
    """Incremental UTF-8 decoding with stop strings: text that may begin a stop string is held back."""

    def __init__(self, stops: list[str]):
        import codecs

        self.stops = [s for s in stops if s]
        self.dec = codecs.getincrementaldecoder("utf-8")(errors="ignore")
        self.held = ""

    def feed(self, data: bytes) -> tuple[str, bool]:
        text = self.held + self.dec.decode(data)
        if not self.stops:
            self.held = ""
            return text, False
        cut = min((i for i in (text.find(s) for s in self.stops) if i >= 0), default=-1)
        if cut >= 0:
            self.held = ""
            return text[:cut], True
        keep = 0
        for s in self.stops:
            for k in range(min(len(s) - 1, len(text)), 0, -1):
                if text.endswith(s[:k]):
                    keep = max(keep, k)
                    break
        self.held = text[len(text) - keep:] if keep else ""
        return text[: len(text) - keep], False

    def flush(self) -> str:
        text, self.held = self.held + self.dec.decode(b"", final=True), ""
        return text


def _lookup_generate(L, toks: list[int], k: int, ngram: int, stats: dict) -> Iterator[int]:
    """Greedy decoding with prompt-lookup speculation: draft up to k tokens that followed the latest
    n-gram earlier in the context, verify them in one batch, keep the matching prefix plus one.
    Keeps L.input_ids / L.n_tokens consistent, so the next call still reuses the KV prefix."""
    import numpy as np
    from llama_cpp.llama_speculative import LlamaPromptLookupDecoding

    n_vocab = L.n_vocab()
    ctx = L._ctx
    keep = _common_prefix(L.input_ids[: L.n_tokens], toks)
    if keep >= len(toks):
        keep = len(toks) - 1  # at least one token must be evaluated for fresh logits
    L.n_tokens = keep
    L.eval(toks[keep:])
    L._requires_eval = True

    def argmax_rows(rows: int):
        lg = np.ctypeslib.as_array(ctx.get_logits(), shape=(rows, n_vocab))
        return lg.argmax(axis=1)

    tok = int(np.ctypeslib.as_array(ctx.get_logits_ith(-1), shape=(n_vocab,)).argmax())
    hist = np.array(list(toks) + [tok], dtype=np.intc)
    steps = drafted = accepted = 0
    stats.update(spec_steps=0, spec_drafted=0, spec_accepted=0)
    n_ctx = L.n_ctx()
    while True:
        yield tok
        draft = LlamaPromptLookupDecoding.find_candidate_pred_tokens(hist, ngram, k)
        draft = [int(x) for x in draft[: max(0, n_ctx - L.n_tokens - 1)]]
        batch = [tok] + draft
        n_past = L.n_tokens
        if n_past + len(batch) > n_ctx:
            return
        ctx.kv_cache_seq_rm(-1, n_past, -1)
        L._batch.set_batch(batch=batch, n_past=n_past, logits_all=True)
        ctx.decode(L._batch)
        L.input_ids[n_past : n_past + len(batch)] = batch
        preds = argmax_rows(len(batch))
        acc = 0
        while acc < len(draft) and int(preds[acc]) == draft[acc]:
            acc += 1
        L.n_tokens = n_past + 1 + acc  # tok and the accepted drafts are in the cache
        steps += 1
        drafted += len(draft)
        accepted += acc
        stats.update(spec_steps=steps, spec_drafted=drafted, spec_accepted=accepted)
        out = [int(t) for t in preds[: acc + 1]]
        hist = np.concatenate([hist, np.array(out, dtype=np.intc)])
        for t in out[:-1]:
            yield t
        tok = out[-1]


def with_shape(messages: Messages, schema: type[BaseModel]) -> Messages:
    """The messages with the schema's JSON shape appended to the last one, for a model writing JSON unconstrained."""
    last = messages[-1]
    tail = f"\n\nReply with one JSON object of this shape:\n{shape(schema.model_json_schema())}"
    return [*messages[:-1], {**last, "content": last["content"] + tail}]


def shape(node: dict, defs: dict | None = None) -> str:
    """A compact picture of a JSON schema, e.g. {"match": "high" | "low", "terms": [string, 1 to 4]}: fewer prompt
    tokens than the schema itself and closer to the JSON a small model writes."""
    defs = node.get("$defs", {}) if defs is None else defs
    if "$ref" in node:
        return shape(defs[node["$ref"].rsplit("/", 1)[-1]], defs)
    if "enum" in node:
        return " | ".join(json.dumps(v) for v in node["enum"])
    if "anyOf" in node:
        return " | ".join(shape(n, defs) for n in node["anyOf"])
    kind = node.get("type")
    if kind == "object":
        props = node.get("properties", {}).items()
        return "{" + ", ".join(f"{json.dumps(k)}: {shape(v, defs)}" for k, v in props) + "}"
    if kind == "array":
        lo, hi = node.get("minItems"), node.get("maxItems")
        n = f"{lo} to {hi}" if lo and hi else f"at least {lo}" if lo else f"at most {hi}" if hi else ""
        return f"[{shape(node.get('items', {}), defs)}{', ' + n if n else ''}]"
    return str(kind or "any")


def _first_object(chunks: Iterator[str]) -> str:
    """The streamed text up to where its first JSON object closes; the rest (a closing code fence, prose) is never
    generated."""
    seen: list[str] = []
    depth, in_str, esc = 0, False, False
    try:
        for chunk in chunks:
            for i, c in enumerate(chunk):
                if in_str:
                    esc, in_str = (False, True) if esc else (c == "\\", c != '"')
                elif c == '"':
                    in_str = depth > 0
                elif c == "{":
                    depth += 1
                elif c == "}" and depth:
                    depth -= 1
                    if depth == 0:
                        seen.append(chunk[: i + 1])
                        return "".join(seen)
            seen.append(chunk)
    finally:
        close = getattr(chunks, "close", None)
        if close:
            close()  # stops the generation and releases the model's lock now
    return "".join(seen)


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
        self.client = openai.OpenAI(base_url=settings.llm_url, api_key=settings.llm_api_key,
                                    timeout=settings.llm_timeout_s, max_retries=1)
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
        except openai.APIConnectionError as e:  # refused, reset or timed out; the next call connects afresh
            raise ModelError(self._down(e)) from e
        except openai.OpenAIError as e:
            raise ModelError(f"model server {self.url} failed: {e}") from e

    def _down(self, e: Exception) -> str:
        return (f"the model server at {self.url} is not reachable ({e}): start it again and retry; "
                "your answers are saved")

    def chat(self, messages: Messages, max_tokens: int = 256, stop: list[str] | None = None) -> str:
        out = self._call(messages=messages, **self._kw(max_tokens, stop))
        return out.choices[0].message.content or ""

    def stream_chat(
        self, messages: Messages, max_tokens: int = 256, stop: list[str] | None = None
    ) -> Iterator[str]:
        import httpx
        import openai

        try:
            for chunk in self._call(messages=messages, stream=True, **self._kw(max_tokens, stop)):
                if chunk.choices and chunk.choices[0].delta.content:
                    yield chunk.choices[0].delta.content
        except (httpx.HTTPError, openai.APIConnectionError) as e:  # the server went away in the middle of a reply
            raise ModelError(self._down(e)) from e

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
