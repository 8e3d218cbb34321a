"""Scoring signals for the grader: sentence splitting, key-point coverage from embeddings and terms,
graded exemplars, injection stripping, and the calibrated combination (fitted on SAF training only)."""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from pydantic import BaseModel

from interviewer.claims import split_sentences, words

CALIBRATION_FILE = Path(__file__).with_name("calibration.json")

STOP = set(
    "a an the of to in on for and or but is are was were be been being it its this that these those with as by at from "
    "into than then so such can could would should will may might must do does did not no yes you your i we our they "
    "their he she his her them me my mine have has had which what when where who whom why how also more most less very "
    "there here if else all any each both either one two use used using via per about over under between only just".split()
)

def content_terms(text: str, limit: int = 12) -> list[str]:
    seen: list[str] = []
    for w in words(text):
        if len(w) > 2 and w not in STOP and w not in seen:
            seen.append(w)
    return seen[:limit]


def term_hits(answer_lower: str, answer_words: set[str], terms: list[str]) -> float:
    if not terms:
        return 0.0
    hit = 0
    for t in terms:
        t = t.lower().strip()
        if not t:
            continue
        if " " in t or not t.isalnum():
            hit += t in answer_lower
        else:
            hit += t in answer_words or (len(t) > 4 and any(w.startswith(t[:5]) for w in answer_words))
    return hit / len(terms)


@dataclass
class KeyPointSpec:
    text: str
    terms: list[str] = field(default_factory=list)


@dataclass
class Rubric:
    """What an answer is measured against: references, key points, graded exemplars (score 0-1)."""

    question: str
    references: list[str]
    key_points: list[KeyPointSpec]
    exemplars: list[tuple[str, float]] = field(default_factory=list)

    @classmethod
    def from_reference(cls, question: str, reference: str, exemplars=None) -> "Rubric":
        """Key points from the reference's sentences, for a free question with no bank item."""
        sents = split_sentences(reference) or [reference]
        kps = [KeyPointSpec(s, content_terms(s, 6)) for s in sents[:6]]
        return cls(question=question, references=[reference], key_points=kps, exemplars=list(exemplars or []))


class Calibration(BaseModel):
    """Linear weights over `features`, one set for rubrics with graded exemplars and one without.

    Fitted by `python -m eval calibrate` on SAF training only (ridge regression; leave-one-out for the
    exemplar features, grouped cross-validation by question for the no-exemplar weights)."""

    features: list[str]
    with_exemplars: list[float]
    without_exemplars: list[float]
    covered: float = 0.55
    partial: float = 0.3
    sim_lo: float = 0.25
    sim_hi: float = 0.65
    knn_k: int = 7
    knn_temp: float = 20.0
    krr_gamma: float = 5.0
    krr_lambda: float = 1.0
    lex_temp: float = 10.0
    tok_demote: float = 0.5
    fitted_on: str = "defaults"
    n: int = 0
    cv: dict = {}


FEATURES = [
    "bias", "ref_cos", "kp_sim", "kp_min", "kp_terms", "ref_recall", "ans_prec", "length", "len_ratio", "q_cos",
    "knn", "knn_sim", "krr", "ex_mean", "ex_gap", "lex_knn", "lex_sim", "tok_recall",
]

DEFAULT_CALIBRATION = Calibration(
    features=FEATURES,
    with_exemplars=[0.0, 0.1, 0.1, 0.0, 0.05, 0.05, 0.0, 0.0, 0.0, 0.0, 0.2, 0.0, 0.3, 0.0, 0.0, 0.3, 0.0, 0.0],
    without_exemplars=[0.3, 0.2, 0.2, 0.0, 0.1, 0.1, 0.0, 0.1, 0.0, -0.2, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.5],
)


def load_calibration(path: Path = CALIBRATION_FILE) -> Calibration:
    if path.exists():
        try:
            cal = Calibration.model_validate_json(path.read_text())
            if all(f in FEATURES for f in cal.features):
                return cal
        except ValueError:
            pass
    return DEFAULT_CALIBRATION


@dataclass
class Signals:
    features: dict[str, float]
    kp_conf: list[float]
    kp_evidence: list[str]


def _stem(w: str) -> str:
    return w[:6] if len(w) > 6 else w


def stems(text: str) -> set[str]:
    return {_stem(w) for w in words(text) if len(w) > 2 and w not in STOP}


_LEXWORD = re.compile(r"\b\w\w+\b")
try:  # scikit-learn comes with sentence-transformers; its English list is a bit broader than STOP
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS as _SK_STOP

    LEX_STOP = set(_SK_STOP) | STOP
except ImportError:  # pragma: no cover
    LEX_STOP = STOP


def lex_tokens(text: str) -> list[str]:
    """Stemmed content words plus their bigrams, for the lexical exemplar match."""
    ws = [w for w in _LEXWORD.findall(text.lower()) if w not in LEX_STOP]
    return ws + [a + " " + b for a, b in zip(ws, ws[1:])]


_FUNCTION_DE = set("und die der das ist nicht mit sie man ein eine den dem des zu im auf für von es werden wird".split())


class LexIndex:
    """TF-IDF (sublinear tf, smoothed idf, L2) over a rubric's graded exemplars."""

    def __init__(self, docs: list[str], extra: list[str] = ()):
        toks = [lex_tokens(d) for d in docs]
        df: dict[str, int] = {}
        for t in toks + [lex_tokens(e) for e in extra]:
            for w in set(t):
                df[w] = df.get(w, 0) + 1
        n = len(docs) + len(extra)
        self.vocab = {w: i for i, w in enumerate(df)}
        self.idf = np.array([math.log((1 + n) / (1 + df[w])) + 1 for w in df])
        self.mat = np.stack([self.vec_tokens(t) for t in toks]) if toks else np.zeros((0, len(df)))

    def vec_tokens(self, toks: list[str]) -> np.ndarray:
        v = np.zeros(len(self.vocab))
        for w in toks:
            i = self.vocab.get(w)
            if i is not None:
                v[i] += 1
        nz = v > 0
        v[nz] = (1 + np.log(v[nz])) * self.idf[nz]
        n = np.linalg.norm(v)
        return v / n if n else v

    def sims(self, text: str) -> np.ndarray:
        return self.mat @ self.vec_tokens(lex_tokens(text))


EMB_CACHE, TOK_CACHE = 50000, 20000  # texts whose vectors / word-piece vectors a Scorer keeps


def fill_cache(cache: dict, texts: list[str], compute, cap: int | None = None) -> list:
    """The cached value of each text, computing the missing ones in one batch (the cache starts over past cap)."""
    missing = [t for t in dict.fromkeys(texts) if t not in cache]
    if missing:
        if cap and len(cache) + len(missing) > cap:
            cache.clear()
            missing = list(dict.fromkeys(texts))  # the ones cached a moment ago are gone too
        cache.update(zip(missing, compute(missing)))
    return [cache[t] for t in texts]


def _content_piece(tok: str) -> bool:
    w = tok.lstrip("#")
    return w.isalnum() and w.lower() not in LEX_STOP and tok not in ("[CLS]", "[SEP]")


def token_recall(answer, reference, question, demote: float) -> float:
    """How much of the reference's content the answer expresses, word piece by word piece (BERTScore recall:
    each reference piece's best cosine among the answer's pieces), with the pieces the question already
    contains down-weighted by `demote`. Arguments are (pieces, vectors) pairs from Embedder.token_vectors."""
    (ta, va), (tr, vr) = answer, reference
    ka = [i for i, t in enumerate(ta) if _content_piece(t)]
    kr = [i for i, t in enumerate(tr) if _content_piece(t)]
    if not ka or not kr:
        return 0.0
    q_pieces = set(question[0])
    w = np.array([demote if tr[i] in q_pieces else 1.0 for i in kr])
    best = (vr[kr] @ va[ka].T).max(axis=1)
    return float((best * w).sum() / max(1e-9, w.sum()))


class Scorer:
    """Model-independent signals of an answer against a rubric, from the embedder."""

    def __init__(self, embedder, calibration: Calibration | None = None):
        self.embedder = embedder
        self.cal = calibration or load_calibration()
        self._cache: dict[str, np.ndarray] = {}
        self._dim = 384
        self._lex: dict[tuple, LexIndex] = {}
        self._tok_cache: dict[str, tuple] = {}

    def _emb(self, texts: list[str]) -> np.ndarray:
        vecs = fill_cache(self._cache, texts, self.embedder.encode, cap=EMB_CACHE)
        if not vecs:
            return np.zeros((0, self._dim), np.float32)
        self._dim = len(vecs[0])
        return np.stack(vecs)

    def _tok(self, texts: list[str]) -> list[tuple]:
        return fill_cache(self._tok_cache, texts, self.embedder.token_vectors, cap=TOK_CACHE)

    def warm(self, texts: list[str], with_tokens: list[str] = ()) -> None:
        """Cache the vectors of texts and the word-piece vectors of with_tokens, from one forward pass per text
        where the embedder offers it."""
        both = getattr(self.embedder, "encode_with_tokens", None)
        if both is None:
            self._emb(texts)
            if with_tokens and hasattr(self.embedder, "token_vectors"):
                self._tok(list(with_tokens))
            return
        tok = set(with_tokens)
        need = [t for t in dict.fromkeys([*texts, *with_tokens])
                if t not in self._cache or (t in tok and t not in self._tok_cache)]
        if not need:
            return
        vecs, toks = both(need)
        got, got_tok = dict(zip(need, vecs)), dict(zip(need, toks))
        fill_cache(self._cache, need, lambda m: [got[t] for t in m], cap=EMB_CACHE)
        fill_cache(self._tok_cache, [t for t in need if t in tok], lambda m: [got_tok[t] for t in m], cap=TOK_CACHE)

    def tok_recall(self, rubric: Rubric, answer: str) -> float:
        """Token recall of the best reference, rescaled so that restating the question scores 0 and the
        reference itself 1 (the question's own recall of the reference is each rubric's floor)."""
        if not hasattr(self.embedder, "token_vectors") or not rubric.references:
            return 0.0
        d = self.cal.tok_demote
        a, q, *refs = self._tok([answer, rubric.question or " ", *rubric.references])
        best = 0.0
        for r in refs:
            floor = token_recall(q, r, q, d) if rubric.question else 0.0
            best = max(best, (token_recall(a, r, q, d) - floor) / max(1e-3, 1 - floor))
        return best

    def _exemplar_features(self, a_vec: np.ndarray, ex: list[tuple[str, float]]) -> dict[str, float]:
        cal = self.cal
        e_vecs = self._emb([a for a, _ in ex])
        y = np.array([s for _, s in ex], dtype=np.float64)
        sim = (e_vecs @ a_vec).astype(np.float64)
        order = np.argsort(-sim)[: max(1, cal.knn_k)]
        w = np.exp((sim[order] - sim[order].max()) * cal.knn_temp)
        knn = float((w * y[order]).sum() / w.sum())
        mean = float(y.mean())
        # Kernel ridge regression over the exemplars (RBF on the unit sphere), centred on their mean.
        gram = (e_vecs @ e_vecs.T).astype(np.float64)
        K = np.exp(-cal.krr_gamma * (2 - 2 * gram))
        k = np.exp(-cal.krr_gamma * (2 - 2 * sim))
        try:
            alpha = np.linalg.solve(K + cal.krr_lambda * np.eye(len(y)), y - mean)
            krr = float(min(1.2, max(-0.2, mean + k @ alpha)))
        except np.linalg.LinAlgError:
            krr = knn
        hi = sim[y >= 0.99]
        lo = sim[y <= 0.5]
        gap = (float(np.sort(hi)[-3:].mean()) if len(hi) else 0.0) - (float(np.sort(lo)[-3:].mean()) if len(lo) else 0.0)
        return {"knn": knn, "knn_sim": float(sim[order[0]]), "krr": krr, "ex_mean": mean, "ex_gap": gap}

    def _lex_features(self, rubric: Rubric, answer: str, exclude: int | None) -> dict[str, float]:
        key = (rubric.question, len(rubric.exemplars), rubric.exemplars[0][0] if rubric.exemplars else "",
               rubric.exemplars[-1][0] if rubric.exemplars else "")
        lx = self._lex.get(key)
        if lx is None:
            if len(self._lex) > 256:
                self._lex.clear()
            lx = self._lex[key] = LexIndex([a for a, _ in rubric.exemplars], rubric.references)
        y = np.array([sc for _, sc in rubric.exemplars], dtype=np.float64)
        sim = lx.sims(answer)
        keep = np.array([bool(a.strip()) and i != exclude for i, (a, _) in enumerate(rubric.exemplars)])
        sim, y = sim[keep], y[keep]
        if not len(y):
            return {}
        order = np.argsort(-sim)[: max(1, self.cal.knn_k)]
        w = np.exp((sim[order] - sim[order].max()) * self.cal.lex_temp)
        return {"lex_knn": float((w * y[order]).sum() / w.sum()), "lex_sim": float(sim[order[0]])}

    def filler(self, rubric: Rubric, sents: list[str]) -> list[bool]:
        """Sentences that carry no answer of their own: a restatement of the question (question demoting)
        or a bare keyword list (no function words). They are left out of every signal."""
        q_st = stems(rubric.question)
        q_norm = re.sub(r"\s+", " ", rubric.question.lower())
        out = []
        q_vec = self._emb([rubric.question])[0] if rubric.question else None
        s_vecs = self._emb(sents) if q_vec is not None and sents else None
        for i, s in enumerate(sents):
            ws = words(s)
            st = stems(s)
            core = re.sub(r"\s+", " ", s.lower()).strip(" .?!:;\"'")
            echo = len(core) >= 12 and core in q_norm  # a copied piece of the question
            echo = echo or (len(st) >= 6 and len(st & q_st) / len(st) >= 0.95)
            if s_vecs is not None and float(s_vecs[i] @ q_vec) >= 0.92:
                echo = True
            latin = [w for w in ws if w.isascii()]
            # a long run of bare terms with no function word at all (a keyword dump, not a list of fields)
            keywords = len(latin) >= 12 and not any(w in STOP or w in _FUNCTION_DE for w in latin)
            out.append(echo or keywords)
        return out

    def signals(self, rubric: Rubric, answer: str, exclude_exemplar: int | None = None) -> Signals:
        cal = self.cal
        sents = split_sentences(answer)
        drop = self.filler(rubric, sents)
        if any(drop):
            sents = [s for s, d in zip(sents, drop) if not d]
            answer = " ".join(sents)
        n_words = len(words(answer))
        if not sents or n_words == 0:
            return Signals({f: 0.0 for f in FEATURES} | {"bias": 1.0}, [0.0] * len(rubric.key_points),
                           [""] * len(rubric.key_points))
        a_vec = self._emb([answer])[0]
        s_vecs = self._emb(sents)
        ref_vecs = self._emb(rubric.references)
        ref_cos = float(np.max(ref_vecs @ a_vec)) if len(ref_vecs) else 0.0
        q_cos = float(self._emb([rubric.question])[0] @ a_vec) if rubric.question else 0.0
        lower = answer.lower()
        wset = set(words(answer))
        kp_vecs = self._emb([k.text for k in rubric.key_points]) if rubric.key_points else np.zeros((0, self._dim))
        confs, evid, sims, terms = [], [], [], []
        for kp, kv in zip(rubric.key_points, kp_vecs):
            ss = s_vecs @ kv
            best = int(np.argmax(ss))
            sim = max(float(ss[best]), float(a_vec @ kv))
            kp_terms = kp.terms or content_terms(kp.text, 6)
            th = term_hits(lower, wset, kp_terms)
            norm = min(1.0, max(0.0, (sim - cal.sim_lo) / (cal.sim_hi - cal.sim_lo)))
            conf = 0.6 * norm + 0.4 * th
            confs.append(conf)
            # Evidence: the sentence that is both close in meaning and carries the point's own terms, so
            # different key points quote different sentences (the score above does not depend on it).
            quote = max(range(len(sents)), key=lambda i: float(ss[i]) + 0.5 * term_hits(
                sents[i].lower(), set(words(sents[i])), kp_terms))
            evid.append(sents[quote] if conf >= cal.partial else "")
            sims.append(sim)
            terms.append(th)
        ref_text = " ".join(rubric.references + [k.text for k in rubric.key_points])
        ref_st = stems(ref_text)
        ans_st = stems(answer)
        q_st = stems(rubric.question)
        ref_only = ref_st - q_st or ref_st
        ref_words = max(1, len(words(" ".join(rubric.references)) or words(ref_text)))
        feats = {
            "bias": 1.0,
            "ref_cos": ref_cos,
            "kp_sim": float(np.mean(sims)) if sims else ref_cos,
            "kp_min": float(np.min(sims)) if sims else ref_cos,
            "kp_terms": float(np.mean(terms)) if terms else 0.0,
            "ref_recall": len(ans_st & ref_only) / max(1, len(ref_only)),
            "ans_prec": len(ans_st & (ref_st | q_st)) / max(1, len(ans_st)),
            "length": min(1.0, math.log1p(n_words) / math.log(200)),
            "len_ratio": min(2.0, n_words / ref_words),
            "q_cos": q_cos,
            "knn": 0.0, "knn_sim": 0.0, "krr": 0.0, "ex_mean": 0.0, "ex_gap": 0.0, "lex_knn": 0.0, "lex_sim": 0.0,
            "tok_recall": self.tok_recall(rubric, answer),
        }
        ex = [(a, s) for i, (a, s) in enumerate(rubric.exemplars) if i != exclude_exemplar and a.strip()]
        if ex:
            feats.update(self._exemplar_features(a_vec, ex))
            feats.update(self._lex_features(rubric, answer, exclude_exemplar))
        return Signals(feats, confs, evid)

    def combine(self, feats: dict[str, float], has_exemplars: bool) -> float:
        """Calibrated score in 0-1."""
        w = self.cal.with_exemplars if has_exemplars else self.cal.without_exemplars
        s = sum(wi * feats.get(f, 0.0) for wi, f in zip(w, self.cal.features))
        return float(min(1.0, max(0.0, s)))


def save_calibration(cal: Calibration, path: Path = CALIBRATION_FILE) -> None:
    path.write_text(json.dumps(cal.model_dump(), indent=2) + "\n")
