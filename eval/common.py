"""Shared helpers: metrics, settings/embedder loading, result files."""

from __future__ import annotations

import json
import math
import pickle
import time
from pathlib import Path

import numpy as np

from interviewer.scoring import fill_cache

RESULTS = Path(__file__).resolve().parent / "results"


def metrics(pred, gold) -> dict:
    """Pearson/Spearman on 0-1, QWK on the 0-5 integer scale (both rounded x5), MAE/RMSE on 0-1."""
    from scipy.stats import pearsonr, spearmanr

    p = np.asarray(pred, dtype=float)
    g = np.asarray(gold, dtype=float)
    if len(p) < 2 or np.std(p) == 0 or np.std(g) == 0:
        pr = sr = float("nan")
    else:
        pr = float(pearsonr(p, g)[0])
        sr = float(spearmanr(p, g)[0])
    return {"pearson": _r(pr), "spearman": _r(sr), "qwk": _r(qwk(np.rint(p * 5), np.rint(g * 5), 6)),
            "mae": _r(float(np.mean(np.abs(p - g)))), "rmse": _r(float(math.sqrt(np.mean((p - g) ** 2))))}


def bootstrap_ci(pred, gold, stat: str = "pearson", n: int = 1000, seed: int = 0) -> list[float]:
    """95% percentile bootstrap interval of a metric over resampled answers."""
    p, g = np.asarray(pred, dtype=float), np.asarray(gold, dtype=float)
    rng = np.random.default_rng(seed)
    vals = []
    for _ in range(n):
        i = rng.integers(0, len(p), len(p))
        if stat == "pearson":
            if np.std(p[i]) > 0 and np.std(g[i]) > 0:
                vals.append(float(np.corrcoef(p[i], g[i])[0, 1]))
        else:
            vals.append(float(np.mean(np.abs(p[i] - g[i]))))
    return [round(float(np.percentile(vals, 2.5)), 4), round(float(np.percentile(vals, 97.5)), 4)]


def _r(x: float, n: int = 4):
    return None if x != x else round(x, n)


def qwk(a, b, k: int) -> float:
    a = np.clip(np.asarray(a, dtype=int), 0, k - 1)
    b = np.clip(np.asarray(b, dtype=int), 0, k - 1)
    O = np.zeros((k, k))
    for i, j in zip(a, b):
        O[i, j] += 1
    W = np.array([[(i - j) ** 2 for j in range(k)] for i in range(k)]) / (k - 1) ** 2
    E = np.outer(O.sum(1), O.sum(0)) / max(1, O.sum())
    den = (W * E).sum()
    return float(1 - (W * O).sum() / den) if den else float("nan")


def settings():
    from interviewer.config import Settings

    return Settings()


def embedder():
    from interviewer.index import get_embedder

    return get_embedder(str(settings().embedding_path()))


def write_result(name: str, data: dict, out: str | None = None) -> Path:
    path = Path(out) if out else RESULTS / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    data = dict(data)
    data.setdefault("written_at", time.strftime("%Y-%m-%dT%H:%M:%S"))
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


CACHE = RESULTS / "tmp" / "emb_cache.npz"


class CachedEmbedder:
    """The real embedder behind a text -> vector cache persisted under eval/results/tmp (git-ignored), so
    repeated evaluation/calibration runs do not re-encode the same SAF texts. Vectors are identical."""

    def __init__(self, inner, path: Path = CACHE):
        self.inner = inner
        self.path = path
        self.store: dict[str, np.ndarray] = {}
        self.tokens: dict[str, tuple] = {}
        self.dirty = False
        if path.exists():
            z = np.load(path, allow_pickle=False)
            for t, v in zip(z["texts"], z["vecs"]):
                self.store[str(t)] = v
        tok = path.with_suffix(".tokens.pkl")
        if tok.exists():  # our own cache file, written below
            with open(tok, "rb") as fh:
                self.tokens = pickle.load(fh)

    def encode(self, texts):
        n = len(self.store)
        vecs = fill_cache(self.store, texts, self.inner.encode)
        self.dirty |= len(self.store) != n
        return np.stack(vecs) if vecs else np.zeros((0, 384), np.float32)

    def token_vectors(self, texts):
        n = len(self.tokens)
        out = fill_cache(self.tokens, texts, self.inner.token_vectors)
        self.dirty |= len(self.tokens) != n
        return out

    def save(self):
        if self.dirty:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            keys = list(self.store)
            np.savez(self.path, texts=np.array(keys), vecs=np.stack([self.store[k] for k in keys]))
            with open(self.path.with_suffix(".tokens.pkl"), "wb") as fh:
                pickle.dump(self.tokens, fh)
            self.dirty = False
