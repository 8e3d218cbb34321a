"""Train the contradiction pair classifier (`python -m eval.train_nli`): (key point, sentence) -> supports /
contradicts / neither, from the bank only (key points, reference sentences, misconceptions, and perturbations of
correct sentences: wrong numbers, swapped paired terms, negations); the top layers of all-MiniLM-L6-v2 and a
head. Measured on the interview set's dev half, grouped by question: key-point contradiction recall at <= 5%
false contradictions of covered points, alone and inside the whole grader (--grader). The grader does not use
it (eval/results/train_nli.json: recall 0.32 -> 0.43 at 4.7% false, but the score's CV error rose).

On 2 CPU cores a run takes over an hour; on a GPU about a minute. Where the knowledge base is not installed:
`--dump FILE` here, `--data FILE --device cuda --base DIR` there, `--grader-from RESULT --data FILE` here."""

from __future__ import annotations

import random
import re
import time
from pathlib import Path

import numpy as np

from eval.nli_model import ARTIFACT, LABELS, N_FROZEN, PairModel

SUP, CON, NEI = (LABELS.index(x) for x in ("supports", "contradicts", "neither"))
FOLDS = 6
FALSE_CAP = 0.05
TOP_SENTENCES = 2  # sentences per key point the classifier reads (the nearest by meaning)
# Terms an interviewer hears swapped: one for the other flips a claim while the words stay fluent.
PAIRED = [("reduce-scatter", "all-gather"), ("read", "write"), ("send", "recv"), ("sender", "receiver"),
          ("higher", "lower"), ("before", "after"), ("faster", "slower"), ("more", "less"), ("larger", "smaller"),
          ("increases", "decreases"), ("inside", "outside"), ("intra-node", "inter-node"), ("small", "large"),
          ("prefill", "decode"), ("host", "device"), ("cpu", "gpu"), ("push", "pull"), ("reliable", "unreliable"),
          ("synchronous", "asynchronous"), ("one-sided", "two-sided"), ("ucp", "uct"), ("pinned", "pageable"),
          ("always", "never"), ("linearly", "logarithmically"), ("per direction", "bidirectional"),
          ("bandwidth", "latency"), ("client", "server"), ("kernel", "user space"), ("initiator", "target"),
          ("ring", "tree"), ("nvlink", "pcie"), ("upper", "lower"), ("first", "last"), ("up", "down"),
          ("encoder", "decoder"), ("compute-bound", "memory-bound"), ("static", "dynamic"), ("lossy", "lossless"),
          ("bits", "bytes"), ("gb/s", "gb/s per direction"), ("ingress", "egress"), ("local", "remote"),
          ("hides", "adds to"), ("overlaps with", "waits for"), ("increase", "decrease"), ("all-to-all", "send/recv")]
_VERB = re.compile(r"\b(is|are|was|were|can|will|does|do|has|have|must|should|needs?)\b", re.I)
_NUM = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)(?![\w.]*\d)")


# --------------------------------------------------------------------------- training pairs from the bank


def perturb(sentence: str, rng: random.Random) -> list[str]:
    """Wrong versions of a correct sentence: a number changed, a paired term swapped, the claim negated."""
    out = []
    nums = list(_NUM.finditer(sentence))
    if nums:
        m = rng.choice(nums)
        v = float(m.group(1))
        new = rng.choice([v * 2, v / 2, v * 4, v + 1]) if v else 1.0
        txt = f"{new:g}" if new != int(new) else str(int(new))
        if txt != m.group(1):
            out.append(sentence[:m.start(1)] + txt + sentence[m.end(1):])
    low = sentence.lower()
    swaps = [(a, b) for a, b in PAIRED if re.search(r"\b" + re.escape(a) + r"\b", low)
             or re.search(r"\b" + re.escape(b) + r"\b", low)]
    rng.shuffle(swaps)
    for a, b in swaps[:2]:
        pa, pb = r"\b" + re.escape(a) + r"\b", r"\b" + re.escape(b) + r"\b"
        s = re.sub(pa, "\0A", sentence, flags=re.I)
        s = re.sub(pb, a, s, flags=re.I).replace("\0A", b)
        if s.lower() != low:
            out.append(s)
    v = _VERB.search(sentence)
    if v and not re.search(r"\bnot\b|n't\b", low):
        out.append(sentence[:v.end()] + " not" + sentence[v.end():])
    return out


def _rubrics(q):
    """(key points, reference) of a question and of each follow-up that has its own rubric."""
    yield q.key_points, q.model_answer + " " + " ".join(q.references)
    for f in q.follow_ups:
        if f.key_points:
            yield f.key_points, f.reference


def _clauses(text: str) -> list[str]:
    from interviewer.claims import split_sentences

    return [c.strip() for s in split_sentences(text) for c in re.split(r";\s+", s) if len(c.strip()) > 20]


def build_pairs(kb, emb, seed: int = 0) -> list[dict]:
    """Labelled (key point, sentence) pairs from the bank; each carries its question id (for grouped folds)."""
    from interviewer.claims import split_sentences

    rng = random.Random(seed)
    pairs: list[dict] = []
    all_sents = [s for q in kb.questions for s in split_sentences(q.model_answer)]
    for q in kb.questions:
        for points, ref in _rubrics(q):
            pts = [k for k in points if not k.boundary]
            if not pts:
                continue
            ref_sents = split_sentences(ref) if ref.strip() else []
            kv = emb.encode([k.point for k in pts])
            rv = emb.encode(ref_sents) if ref_sents else np.zeros((0, kv.shape[1]), np.float32)
            own: list[list[str]] = []
            for i, k in enumerate(pts):
                sup = [ref_sents[j] for j in np.argsort(-(rv @ kv[i]))[:2] if rv[j] @ kv[i] >= 0.5] if len(rv) else []
                own.append(sup + _clauses(k.point))
            for i, k in enumerate(pts):
                add = lambda h, lab: pairs.append({"p": k.point, "h": h, "y": lab, "q": q.id})  # noqa: E731
                for h in own[i]:
                    add(h, SUP)
                    for w in perturb(h, rng):
                        add(w, CON)
                for ms in k.misconceptions:
                    add(ms.statement, CON)
                others = [h for j in range(len(pts)) if j != i for h in own[j][:1]]
                others += [ms.statement for j in range(len(pts)) if j != i for ms in pts[j].misconceptions[:1]]
                for h in rng.sample(others, min(3, len(others))):
                    add(h, NEI)
                add(rng.choice(all_sents), NEI)
    return pairs


# --------------------------------------------------------------------------- the dev half, as cases to score


def dev_cases(kb, emb, items) -> list[dict]:
    """Per dev answer: its key points with labels, its sentences, and per point the sentences read (nearest)."""
    from interviewer.claims import split_sentences

    cases = []
    for it in items:
        q = kb.question(it.question_id)
        if it.follow_up is None:
            points, ref = q.key_points, q.model_answer
        else:
            fu = q.follow_ups[it.follow_up]
            points, ref = (fu.key_points, fu.reference) if fu.key_points else ([q.key_points[fu.key_point]], "")
        if len(points) != len(it.key_points):
            continue
        sents = split_sentences(it.answer)
        sv = emb.encode(sents)
        kv = emb.encode([k.point for k in points])
        ref_sents = split_sentences(ref) if ref.strip() else []
        rv = emb.encode(ref_sents) if ref_sents else np.zeros((0, kv.shape[1]), np.float32)
        near = []
        for i in range(len(points)):
            anchors = [kv[i]]
            if len(rv):
                j = int(np.argmax(rv @ kv[i]))
                if rv[j] @ kv[i] >= 0.5:
                    anchors.append(rv[j])
            sims = (sv @ np.stack(anchors).T).max(axis=1)
            near.append([int(j) for j in np.argsort(-sims)[:TOP_SENTENCES]])
        wrong = {}  # sentence index -> key point of a planted error it holds
        for e in it.errors:
            for j, s in enumerate(sents):
                if _overlap(e.said, s) >= 0.5:
                    wrong[j] = e.key_point
        cases.append({"id": it.id, "q": it.question_id, "kind": it.kind, "follow_up": it.follow_up,
                      "points": [k.point for k in points], "boundary": [k.boundary for k in points],
                      "labels": list(it.key_points), "sents": sents, "near": near, "wrong": wrong})
    return cases


def _overlap(said: str, sentence: str) -> float:
    a = set(re.findall(r"\w+", said.lower()))
    b = set(re.findall(r"\w+", sentence.lower()))
    return len(a & b) / max(1, min(len(a), len(b)))


def dev_pairs(cases: list[dict]) -> list[dict]:
    """The dev answers as training pairs (the separate experiment): planted errors contradict their point;
    the nearest sentence of a point a correct answer covers supports it; other read sentences are neither."""
    out = []
    for c in cases:
        for i, (p, lab) in enumerate(zip(c["points"], c["labels"])):
            if c["boundary"][i]:
                continue
            for j in c["near"][i]:
                if c["wrong"].get(j) == i:
                    y = CON
                elif lab == "covered" and c["kind"] in ("paraphrase", "verbatim") and j == c["near"][i][0]:
                    y = SUP
                elif lab == "contradicted":
                    continue
                else:
                    y = NEI
                out.append({"p": p, "h": c["sents"][j], "y": y, "q": c["q"]})
            for j, kp in c["wrong"].items():
                if kp == i and j not in c["near"][i]:
                    out.append({"p": p, "h": c["sents"][j], "y": CON, "q": c["q"]})
    return out


# --------------------------------------------------------------------------- training and scoring


def fit(pairs: list[dict], base: Path, device: str = "cpu", epochs: int = 3, batch: int = 32, lr: float = 5e-5,
        seed: int = 0, log=print, n_frozen: int = N_FROZEN) -> PairModel:
    """Train the top layers and the head; the frozen layers' outputs are computed once per pair."""
    import torch

    torch.manual_seed(seed)
    rng = random.Random(seed)
    pm = PairModel(base, n_frozen)
    pm.bottom.to(device)
    pm.top.to(device)
    order = sorted(range(len(pairs)), key=lambda i: len(pairs[i]["p"]) + len(pairs[i]["h"]))
    cached = []
    for s in range(0, len(order), batch):
        idx = order[s:s + batch]
        enc = pm.encode([(pairs[i]["p"], pairs[i]["h"]) for i in idx]).to(device)
        cached.append((pm.frozen(enc).half(), enc["attention_mask"], torch.tensor([pairs[i]["y"] for i in idx],
                                                                                  device=device)))
    counts = np.bincount([p["y"] for p in pairs], minlength=len(LABELS))
    weight = torch.tensor(len(pairs) / (len(LABELS) * np.maximum(counts, 1)), dtype=torch.float32, device=device)
    opt = torch.optim.AdamW([{"params": pm.top["layers"].parameters(), "lr": lr},
                             {"params": pm.top["head"].parameters(), "lr": lr * 20}], weight_decay=0.01)
    steps = epochs * len(cached)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda t: min(1.0, (t + 1) / (0.1 * steps)) * (1 - t / steps))
    pm.top.train()
    for ep in range(epochs):
        rng.shuffle(cached)
        tot = 0.0
        for h, m, y in cached:
            loss = torch.nn.functional.cross_entropy(pm.head(h.float(), m), y, weight=weight)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            tot += loss.item()
        log(f"epoch {ep + 1}/{epochs}: loss {tot / len(cached):.3f}")
    pm.top.eval()
    return pm


def contra_scores(pm: PairModel, cases: list[dict], device: str = "cpu", top: int = TOP_SENTENCES) -> list:
    """Per case, per key point: (highest P(contradicts) over its nearest sentences, that sentence's index);
    and per sentence holding a planted error, P(contradicts) against its point."""
    import torch

    pairs, where = [], []
    for ci, c in enumerate(cases):
        for i, p in enumerate(c["points"]):
            for j in set(c["near"][i][:top]) | {j for j, kp in c["wrong"].items() if kp == i}:
                pairs.append((p, c["sents"][j]))
                where.append((ci, i, j))
    probs = []
    with torch.no_grad():
        for s in range(0, len(pairs), 64):
            enc = pm.encode(pairs[s:s + 64]).to(device)
            probs.append(torch.softmax(pm.head(pm.frozen(enc), enc["attention_mask"]), -1)[:, CON].cpu().numpy())
    pc = np.concatenate(probs) if probs else np.zeros(0)
    out = [{"kp": [(-1.0, -1)] * len(c["points"]), "pair": {}} for c in cases]
    for (ci, i, j), v in zip(where, pc):
        out[ci]["pair"][(i, j)] = float(v)
        if j in cases[ci]["near"][i][:top] and v > out[ci]["kp"][i][0]:
            out[ci]["kp"][i] = (float(v), j)
    return out


def _at(scores, cases, t, main_only=True):
    tp = fn = fp = cov = 0
    for c, s in zip(cases, scores):
        if main_only and c["follow_up"] is not None:
            continue
        for lab, b, (v, _) in zip(c["labels"], c["boundary"], s["kp"]):
            if b:
                continue
            if lab == "contradicted":
                tp += v >= t
                fn += v < t
            elif lab == "covered":
                cov += 1
                fp += v >= t
    return tp / max(1, tp + fn), fp / max(1, cov)


def threshold(scores, cases) -> float:
    """The lowest threshold whose false-contradiction rate on covered points stays <= FALSE_CAP."""
    for t in np.concatenate([np.arange(0.3, 0.95, 0.01), np.arange(0.95, 1.0, 0.002)]):
        if _at(scores, cases, t)[1] <= FALSE_CAP:
            return round(float(t), 3)
    return 1.0


def report(scores, cases, folds) -> dict:
    """Key-point recall and false rate with the threshold chosen on the other folds, and sentence-level
    figures (planted-error sentences vs the sentences of correct answers)."""
    tp = fn = fp = cov = 0
    ts = []
    for fo in range(FOLDS):
        tr = [i for i, f in enumerate(folds) if f != fo]
        te = [i for i, f in enumerate(folds) if f == fo]
        t = threshold([scores[i] for i in tr], [cases[i] for i in tr])
        ts.append(t)
        r, f = _at([scores[i] for i in te], [cases[i] for i in te], t)
        n_con = sum(lab == "contradicted" and not b for i in te if cases[i]["follow_up"] is None
                    for lab, b in zip(cases[i]["labels"], cases[i]["boundary"]))
        n_cov = sum(lab == "covered" and not b for i in te if cases[i]["follow_up"] is None
                    for lab, b in zip(cases[i]["labels"], cases[i]["boundary"]))
        tp += r * n_con
        fn += (1 - r) * n_con
        fp += f * n_cov
        cov += n_cov
    t_all = threshold(scores, cases)
    err = [v for c, s in zip(cases, scores) for (i, j), v in s["pair"].items() if c["wrong"].get(j) == i]
    ok = [v for c, s in zip(cases, scores) if c["kind"] in ("paraphrase", "verbatim")
          for (i, j), v in s["pair"].items()]
    fu_r, fu_f = _at([s for s, c in zip(scores, cases) if c["follow_up"] is not None],
                     [c for c in cases if c["follow_up"] is not None], t_all, main_only=False)
    return {"kp_recall_cv": round(tp / max(1, tp + fn), 3), "kp_false_cv": round(fp / max(1, cov), 3),
            "thresholds_cv": ts, "threshold_all": t_all,
            "kp_recall_in_sample": round(_at(scores, cases, t_all)[0], 3),
            "kp_auc": _auc(scores, cases),
            "sentence_recall": round(float(np.mean([v >= t_all for v in err])), 3) if err else None,
            "sentence_false": round(float(np.mean([v >= t_all for v in ok])), 3) if ok else None,
            "sentences_with_errors": len(err), "correct_sentences": len(ok),
            "followup_recall": round(fu_r, 3), "followup_false": round(fu_f, 3)}


def _auc(scores, cases) -> float:
    pos = [v for c, s in zip(cases, scores) if c["follow_up"] is None
           for lab, b, (v, _) in zip(c["labels"], c["boundary"], s["kp"]) if lab == "contradicted" and not b]
    neg = [v for c, s in zip(cases, scores) if c["follow_up"] is None
           for lab, b, (v, _) in zip(c["labels"], c["boundary"], s["kp"]) if lab == "covered" and not b]
    if not pos or not neg:
        return 0.0
    return round(float(np.mean([(p > n) + 0.5 * (p == n) for p in pos for n in neg])), 3)


def folds_of(cases) -> list[int]:
    qs = sorted({c["q"] for c in cases})
    return [qs.index(c["q"]) % FOLDS for c in cases]


# --------------------------------------------------------------------------- the command


def prepare(path: Path | None = None) -> tuple[list[dict], list[dict]]:
    """The bank's training pairs and the dev cases (from the knowledge base and the embedder, or from a file
    written by --dump, so that training can run where neither is installed)."""
    import json

    if path is not None:
        d = json.loads(Path(path).read_text())
        for c in d["cases"]:
            c["wrong"] = {int(k): v for k, v in c["wrong"].items()}
        return d["pairs"], d["cases"]
    from eval.grader_eval import cached_embedder
    from eval.interview import load_items
    from interviewer.knowledge import default_knowledge_dir, load_knowledge

    kb = load_knowledge(default_knowledge_dir())
    emb = cached_embedder()
    pairs, cases = build_pairs(kb, emb), dev_cases(kb, emb, load_items("dev"))
    if hasattr(emb, "save"):
        emb.save()
    return pairs, cases


def run(pairs, cases, base: Path, write: bool = False, with_dev: bool = False, epochs: int = 3, lr: float = 5e-5,
        n_frozen: int = N_FROZEN, device: str = "cpu", verbose: bool = True) -> tuple[dict, list]:
    """Train on the bank and measure on dev (grouped by question); write the artifact only when asked (the
    grader does not use it: measured, it did not pay). with_dev: the separate experiment where the dev answers
    of the other folds join the bank's pairs. Returns the figures and the bank model's scores."""
    log = (lambda *a: print(*a, flush=True)) if verbose else (lambda *a: None)
    t0 = time.perf_counter()
    folds = folds_of(cases)
    counts = {lab: sum(p["y"] == i for p in pairs) for i, lab in enumerate(LABELS)}
    log(f"{len(pairs)} bank pairs {counts}, {len(cases)} dev answers")
    cfg = {"epochs": epochs, "lr": lr, "n_frozen": n_frozen}
    pm = fit(pairs, base, device, epochs, lr=lr, n_frozen=n_frozen, log=log)
    scores = contra_scores(pm, cases, device)
    res = {"pairs": len(pairs), "pair_labels": counts, "config": cfg, "device": device,
           "bank": report(scores, cases, folds)}
    log(f"bank only: {res['bank']}")
    if write:
        pm.top.to("cpu")
        pm.save(ARTIFACT, cfg | {"pairs": len(pairs), "threshold": res["bank"]["threshold_all"]})
        res["artifact_bytes"] = ARTIFACT.stat().st_size
    if with_dev:
        dev_scores = [None] * len(cases)
        dp = dev_pairs(cases)
        for fo in range(FOLDS):
            qs = {c["q"] for c, f in zip(cases, folds) if f == fo}
            m = fit(pairs + [p for p in dp if p["q"] not in qs], base, device, epochs, lr=lr, n_frozen=n_frozen,
                    log=log)
            idx = [i for i, f in enumerate(folds) if f == fo]
            for i, s in zip(idx, contra_scores(m, [cases[i] for i in idx], device)):
                dev_scores[i] = s
        res["bank_plus_dev"] = report(dev_scores, cases, folds)
        res["dev_pairs"] = len(dp)
        log(f"bank + dev (other folds): {res['bank_plus_dev']}")
    res["seconds"] = round(time.perf_counter() - t0, 1)
    return res, scores


# --------------------------------------------------------------------------- the whole grader with the signal


def grader_effect(scores, cases) -> dict:
    """The grader's dev figures by grouped CV with and without the signal: a key point the grader does not
    already call contradicted is, when a nearest sentence's P(contradicts) reaches its fold's threshold, chosen
    on the other folds as the lowest that keeps the grader's false contradictions of covered points <= 5%; the
    answer score is refitted in each case as `eval train-grader` does (ridge on the other folds, then the
    monotone map)."""
    from eval import train_grader as tg
    from eval.grader_eval import cached_embedder
    from eval.interview import load_items
    from interviewer.grader import Grader, load_model
    from interviewer.knowledge import default_knowledge_dir, load_knowledge

    kb = load_knowledge(default_knowledge_dir())
    grader = Grader(cached_embedder(), kb=kb)
    items = load_items("dev")
    sigs = tg._signals(grader, kb, items)
    folds = np.array(tg._folds(items))
    by_id = {c["id"]: (c, s) for c, s in zip(cases, scores)}
    main = [i for i, it in enumerate(items) if it.follow_up is None
            and len(it.key_points) == len(sigs[i][0].points)]
    out = {"without": _cv_figures(grader, items, sigs, folds, main, load_model())}
    base = [[r == "contradicted" for r in sts] for sts in out["without"].pop("statuses")]

    def nli_hit(i, k, t):
        c, s = by_id.get(items[i].id, (None, None))
        if c is None or c["boundary"][k]:
            return False
        v, j = s["kp"][k]
        return v >= t and c["sents"][j] in sigs[i][2]

    def false_rate(idx, t):
        cov = [base[i][k] or nli_hit(i, k, t) for i in idx for k, lab in enumerate(items[i].key_points)
               if lab == "covered"]
        return sum(cov) / max(1, len(cov))

    grid = np.concatenate([np.arange(0.3, 0.95, 0.01), np.arange(0.95, 1.0, 0.002)])
    ts = [next((round(float(t), 3) for t in grid if false_rate([i for i in main if folds[i] != fo], t) <= FALSE_CAP),
               1.0) for fo in range(tg.FOLDS)]
    mod = []
    for i, (case, f, text) in enumerate(sigs):
        contra = list(f.contradicted)
        for k in range(len(contra)):
            if i in main and not base[i][k] and nli_hit(i, k, ts[folds[i]]):
                contra[k] = (by_id[items[i].id][0]["sents"][by_id[items[i].id][1]["kp"][k][1]], case.points[k].point)
        mod.append((case, type(f)(**{**f.__dict__, "contradicted": contra}), text))
    out["with"] = _cv_figures(grader, items, mod, folds, main, load_model())
    out["with"].pop("statuses")
    out["thresholds_cv"] = ts
    return out


def _cv_figures(grader, items, sigs, folds, main, model) -> dict:
    from eval import train_grader as tg

    gold = np.array([it.score for it in items])
    A, grades = tg._answer_matrix(grader, items, sigs, model)
    pred, cal = np.zeros(len(gold)), np.zeros(len(gold))
    for fo in range(tg.FOLDS):
        tr, te = folds != fo, folds == fo
        w, b = tg._ridge(A[tr], gold[tr], model.cv.get("alpha", 0.1))
        pred[te] = np.clip(A[te] @ w + b, 0, 5)
    for fo in range(tg.FOLDS):
        tr, te = folds != fo, folds == fo
        cal[te] = tg._isotonic(pred[tr], gold[tr])(pred[te])
    pairs = [(lab, r.status) for i in main for lab, r in zip(items[i].key_points, grades[i].key_points)]
    con = [b for a, b in pairs if a == "contradicted"]
    cov = [b for a, b in pairs if a == "covered"]
    return {"cv_mae_main": round(float(np.mean(np.abs(cal[main] - gold[main]))), 3),
            "cv_mae_all": round(float(np.mean(np.abs(cal - gold))), 3),
            "per_kind_cv": {k: round(float(np.mean([cal[i] for i in main if items[i].kind == k])), 2)
                            for k in sorted({items[i].kind for i in main})},
            "contradicted_recall": round(sum(b == "contradicted" for b in con) / max(1, len(con)), 3),
            "contradicted_false_rate": round(sum(b == "contradicted" for b in cov) / max(1, len(cov)), 3),
            "statuses": [[r.status for r in g.key_points] for g in grades]}


def main(argv=None) -> int:
    import argparse
    import json

    ap = argparse.ArgumentParser(prog="python -m eval.train_nli", description=__doc__)
    ap.add_argument("--dump", default=None, help="only write the training pairs and dev cases to this file")
    ap.add_argument("--data", default=None, help="train from a file written by --dump")
    ap.add_argument("--write", action="store_true", help=f"write the artifact ({ARTIFACT.name}; the grader does not "
                    "read it)")
    ap.add_argument("--with-dev", action="store_true", help="also: dev answers of the other folds join the training")
    ap.add_argument("--grader", action="store_true", help="also: the whole grader's dev CV figures with the signal "
                    "(needs the knowledge base)")
    ap.add_argument("--grader-from", default=None, help="only the grader figures, from a result file of a run")
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--lr", type=float, default=5e-5)
    ap.add_argument("--frozen", type=int, default=N_FROZEN, help="bottom layers of the base model left as shipped")
    ap.add_argument("--device", default="cpu", help="cpu (2 cores: over an hour) or cuda (about a minute)")
    ap.add_argument("--base", default=None, help="the all-MiniLM-L6-v2 directory (default: the installed package's)")
    ap.add_argument("--out", default=None, help="result file (default eval/results/train_nli.json)")
    a = ap.parse_args(argv)
    out = Path(a.out) if a.out else Path(__file__).resolve().parent / "results" / "train_nli.json"
    if a.dump:
        pairs, cases = prepare()
        Path(a.dump).write_text(json.dumps({"pairs": pairs, "cases": cases}))
        return 0
    if a.grader_from:
        res = json.loads(Path(a.grader_from).read_text())
        _, cases = prepare(Path(a.data)) if a.data else prepare()
        res["grader"] = grader_effect(res.pop("scores"), cases)
    else:
        if a.base:
            base = Path(a.base)
        else:
            from interviewer.config import default_embedding_path

            base = default_embedding_path()
        pairs, cases = prepare(Path(a.data) if a.data else None)
        res, scores = run(pairs, cases, base, a.write, a.with_dev, a.epochs, a.lr, a.frozen, a.device)
        res["scores"] = [{"kp": s["kp"]} for s in scores]
        if a.grader:
            res["grader"] = grader_effect(res.pop("scores"), cases)
    res["written_at"] = time.strftime("%Y-%m-%dT%H:%M:%S")
    out.write_text(json.dumps(res, indent=1) + "\n")
    print(json.dumps({k: v for k, v in res.items() if k != "scores"}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
