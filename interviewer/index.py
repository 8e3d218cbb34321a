"""Vector index: chunks the knowledge base by meaning, embeds it with all-MiniLM-L6-v2 (by path,
offline) and keeps it in chromadb (cosine), ingesting incrementally by content hash."""

from __future__ import annotations

import hashlib
import threading
import time
from functools import lru_cache
from pathlib import Path
from typing import Callable, TypeVar

import numpy as np
from pydantic import BaseModel

from interviewer.config import Settings
from interviewer.knowledge import KnowledgeBase

COLLECTION = "knowledge"
R = TypeVar("R")


class IndexServerError(RuntimeError):
    """The Chroma server (--chroma-url) is down or did not answer in time; the message says how to bring it back.
    The candidate's answers live in the app's own database, so nothing saved is lost; the next call reconnects."""


class Chunk(BaseModel):
    key: str  # stable identity (kind + item id): an edit keeps the key and changes the hash
    text: str
    kind: str
    topic: str = ""
    priority: str = ""
    match: str = ""

    @property
    def id(self) -> str:
        return hashlib.sha256(f"{self.key}\n{self.kind}\n{self.topic}\n{self.priority}\n{self.match}\n{self.text}"
                              .encode()).hexdigest()[:32]


class Hit(BaseModel):
    id: str
    text: str
    kind: str
    topic: str
    priority: str
    match: str
    score: float


class IngestReport(BaseModel):
    chunks: int
    added: int
    updated: int
    deleted: int
    unchanged: int
    seconds: float


class Embedder:
    """sentence-transformers model loaded from a local directory; L2-normalised float32 vectors."""

    def __init__(self, path: Path):
        from sentence_transformers import SentenceTransformer

        if not Path(path).is_dir():
            raise FileNotFoundError(f"embedding model directory {path} does not exist")
        self.path = Path(path)
        self.model = SentenceTransformer(str(path), device="cpu", local_files_only=True)
        self.lock = threading.Lock()

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        out = np.zeros((len(texts), 384), dtype=np.float32)
        with self.lock:
            for group in self._groups(texts):
                out[group] = self.model.encode([texts[i] for i in group], batch_size=len(group),
                                               normalize_embeddings=True, convert_to_numpy=True,
                                               show_progress_bar=False)
        return out

    def token_vectors(self, texts: list[str]) -> list[tuple[list[str], np.ndarray]]:
        """Word pieces of each text with their last-layer vectors (L2-normalised), for token alignment."""
        return self.encode_with_tokens(texts)[1]

    def encode_with_tokens(self, texts: list[str]) -> tuple[np.ndarray, list[tuple[list[str], np.ndarray]]]:
        """Sentence vectors and word-piece vectors of each text from one forward pass (the grader needs both of
        an answer; a second pass cost as much as the first)."""
        vecs = np.zeros((len(texts), 384), dtype=np.float32)
        toks: list = [None] * len(texts)
        with self.lock:
            for group in self._groups(texts):
                outs = self.model.encode([texts[i] for i in group], batch_size=len(group), output_value=None,
                                         convert_to_numpy=False, show_progress_bar=False)
                for i, o in zip(group, outs):
                    n = int(o["attention_mask"].sum())
                    v = o["token_embeddings"][:n].float().numpy()
                    v /= np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-9)
                    pieces = self.model.tokenizer.convert_ids_to_tokens(o["input_ids"][:n].tolist())
                    toks[i] = (pieces, v.astype(np.float32))
                    s = o["sentence_embedding"].float().numpy()
                    vecs[i] = s / max(float(np.linalg.norm(s)), 1e-9)
        return vecs, toks

    def _groups(self, texts: list[str], ratio: float = 1.5, size: int = 64) -> list[list[int]]:
        """Indices of texts in batches of similar token length: a batch is padded to its longest text, and an
        answer (256 pieces) batched with its own sentences (about 30) tripled the cost of grading it."""
        lens = [len(ids) for ids in self.model.tokenizer(texts, truncation=True,
                                                         max_length=self.model.max_seq_length)["input_ids"]]
        groups: list[list[int]] = []
        for i in sorted(range(len(texts)), key=lens.__getitem__):
            if groups and len(groups[-1]) < size and lens[i] <= ratio * lens[groups[-1][0]]:
                groups[-1].append(i)
            else:
                groups.append([i])
        return groups


@lru_cache(maxsize=4)
def get_embedder(path: str) -> Embedder:
    return Embedder(Path(path))


def priority_of_row(kb: KnowledgeBase) -> dict[str, str]:
    """Each match row's most urgent priority level (P0 < P1 < P2) from the priorities table."""
    out: dict[str, str] = {}
    for p in kb.match.priorities:
        for r in p.rows:
            if r not in out or p.level < out[r]:
                out[r] = p.level
    for t in kb.match.extra_topics:
        out.setdefault(t.id, t.priority)
    return out


def chunk_knowledge(kb: KnowledgeBase) -> list[Chunk]:
    prio = priority_of_row(kb)
    chunks: list[Chunk] = []
    for r in kb.match.rows:
        chunks.append(Chunk(
            key=f"match_row:{r.id}", kind="match_row", topic=r.id, priority=prio.get(r.id, "P2"), match=r.match,
            text=(f"JD skill: {r.jd_skill.en}. {r.scope} CV evidence: {r.cv_evidence.en}. Match: {r.match}. "
                  f"Risk: {r.risk.en}. How to say it: {r.how_to_say.en}"),
        ))
    for kind, items in (("jd_duty", kb.jd.duties), ("jd_requirement", kb.jd.requirements), ("jd_plus", kb.jd.pluses)):
        for it in items:
            chunks.append(Chunk(key=f"{kind}:{it.id}", kind=kind, text=f"{kb.jd.title} ({kind[3:]}): {it.text}"))
    for a in kb.cv.areas:
        chunks.append(Chunk(key=f"cv_area:{a.id}", kind="cv_area",
                            text=f"CV, {a.name}: " + "; ".join(i.text for i in a.items)))
    for i, p in enumerate(kb.positioning.paragraphs):
        chunks.append(Chunk(key=f"positioning:{i}", kind="positioning", text=p.en))
    rows = {r.id: r for r in kb.match.rows}
    for q in kb.questions:
        chunks.append(Chunk(
            key=f"question:{q.id}", kind="question", topic=q.topic, priority=q.priority,
            match=rows[q.topic].match if q.topic in rows else "",
            text=q.question + " Key points: " + "; ".join(k.point for k in q.key_points),
        ))
    return chunks


class Index:
    """The knowledge collection in chromadb; embeddings always come from our own Embedder."""

    def __init__(self, settings: Settings):
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        self.settings = settings
        self.embedder = get_embedder(str(settings.embedding_path()))
        chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
        if settings.chroma_url:
            import httpx
            from urllib.parse import urlparse

            u = urlparse(settings.chroma_url)
            try:
                self.client = chromadb.HttpClient(host=u.hostname or "127.0.0.1", port=u.port or 8000,
                                                  ssl=u.scheme == "https", settings=chroma_settings)
            except ValueError as e:  # chromadb's own wording for a refused connection: "Could not connect ..."
                raise IndexServerError(self._down(str(e))) from e
            # chromadb's HTTP client is built with no timeout: a stopped server would hang the interview forever
            self.client._server._session.timeout = httpx.Timeout(settings.chroma_timeout_s)
        else:
            settings.ensure_data_dir()
            self.client = chromadb.PersistentClient(path=str(settings.index_dir), settings=chroma_settings)
        self._collection = self._open()  # now, so that a server that is down fails the load, not a question

    def _open(self):
        return self._remote(lambda: self.client.get_or_create_collection(
            COLLECTION, embedding_function=None, metadata={"hnsw:space": "cosine"}))

    @property
    def collection(self):
        """The knowledge collection, reopened after the server lost it."""
        if self._collection is None:
            self._collection = self._open()
        return self._collection

    def _remote(self, call: Callable[[], R]) -> R:
        """One call to chromadb; with a Chroma server, a refused, broken or timed-out request is an
        IndexServerError and a collection the server no longer has is reopened on the next call."""
        import httpx
        from chromadb.errors import NotFoundError

        if not self.settings.chroma_url:
            return call()
        try:
            return call()
        except httpx.TimeoutException as e:
            raise IndexServerError(self._down(f"no answer within {self.settings.chroma_timeout_s:g} s")) from e
        except httpx.HTTPError as e:
            raise IndexServerError(self._down(str(e) or type(e).__name__)) from e
        except NotFoundError as e:
            self._collection = None
            raise IndexServerError(f"the Chroma server at {self.settings.chroma_url} no longer has the "
                                   f"'{COLLECTION}' collection (restarted with another --path?): restart it with "
                                   "its old --path, or run `python -m interviewer ingest --chroma-url "
                                   f"{self.settings.chroma_url}`; your answers are saved") from e

    def _down(self, reason: str) -> str:
        return (f"the Chroma server at {self.settings.chroma_url} is not reachable ({reason}): start it again "
                "(`chroma run --path DIR --port PORT`, with the same path) and retry; your answers are saved")

    def count(self) -> int:
        return self._remote(lambda: self.collection.count())

    def ingest(self, kb: KnowledgeBase, progress=None) -> IngestReport:
        """Sync the collection to the knowledge base: embed only new or changed chunks, delete removed ones."""
        t0 = time.perf_counter()
        chunks = chunk_knowledge(kb)
        want = {c.id: c for c in chunks}
        have = self._remote(lambda: self.collection.get(include=["metadatas"]))
        have_key = {i: (m or {}).get("key", "") for i, m in zip(have["ids"], have["metadatas"])}
        stale = [i for i in have_key if i not in want]
        new = [c for i, c in want.items() if i not in have_key]
        stale_keys = {have_key[i] for i in stale}
        updated = sum(1 for c in new if c.key in stale_keys)
        if stale:
            self._remote(lambda: self.collection.delete(ids=stale))
        batch = 64
        for start in range(0, len(new), batch):
            part = new[start : start + batch]
            vecs = self.embedder.encode([c.text for c in part])
            self._remote(lambda: self.collection.upsert(
                ids=[c.id for c in part],
                embeddings=vecs.tolist(),
                documents=[c.text for c in part],
                metadatas=[{"key": c.key, "kind": c.kind, "topic": c.topic, "priority": c.priority,
                            "match": c.match} for c in part],
            ))
            if progress:
                progress(min(1.0, (start + len(part)) / max(1, len(new))), f"embedded {start + len(part)}/{len(new)}")
        return IngestReport(
            chunks=len(chunks), added=len(new) - updated, updated=updated, deleted=len(stale) - updated,
            unchanged=len(chunks) - len(new), seconds=round(time.perf_counter() - t0, 3),
        )

    def search(self, query: str, k: int = 5, kind: str | None = None, topic: str | None = None) -> list[Hit]:
        where: dict | None = None
        conds = [{"kind": kind}] if kind else []
        if topic:
            conds.append({"topic": topic})
        if len(conds) == 1:
            where = conds[0]
        elif conds:
            where = {"$and": conds}
        n = self.count()
        if n == 0:
            return []
        vec = self.embedder.encode([query])[0]
        res = self._remote(lambda: self.collection.query(query_embeddings=[vec.tolist()], n_results=min(k, n),
                                                         where=where, include=["documents", "metadatas", "distances"]))
        hits = []
        for i, doc, meta, dist in zip(res["ids"][0], res["documents"][0], res["metadatas"][0], res["distances"][0]):
            hits.append(Hit(id=i, text=doc, kind=meta.get("kind", ""), topic=meta.get("topic", ""),
                            priority=meta.get("priority", ""), match=meta.get("match", ""),
                            score=round(1.0 - float(dist), 4)))
        return hits
