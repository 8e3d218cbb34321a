"""Answer-aware follow-ups: the model words the bank's follow-up as one question that names what the candidate said
and aims at the key point they missed. Every chunk shown has passed the leak check; the whole question must pass the
rest (one question, on the key point, names their claim, not a paraphrase of their answer), else the bank's
follow-up is asked."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import Iterator

from interviewer.claims import FUNCTION, _mentions, split_sentences, words
from interviewer.knowledge import FollowUp, KeyPoint
from interviewer.prompts import render, template

# A follow-up the candidate reads in one breath: shorter is not a question about a mechanism, longer is a lecture.
MIN_CHARS, MAX_CHARS = 20, 320
# A short quote and a question are about 30 tokens; the cap bounds the time to the last token (goal: <= 5 s after
# the grade on 2 cores, where the 1.5B writes about 6 tokens a second).
MAX_TOKENS = 48
# The candidate's words the model reacts to: the sentence of the answer nearest the key point, cut at a clause or
# word boundary to at most this long, so that the part of the prompt evaluated after the grade stays short (goal:
# first text <= 1.5 s after it; the 1.5B reads about 35 prompt tokens a second on 2 shared cores). The 1.5B quotes
# whatever it is shown in full: with 200 chars its quotes alone took 20-25 tokens, at 6 a second.
SAID_CHARS = 80
SAID_SENTENCES = 1
# The reply's opening, written into the model's turn where the backend continues a reply (LlamaCppLLM): two tokens
# the model need not generate before the first text, and the form the prompt asks for.
OPENING = "You said"
# Prompt-lookup drafts per step on the same backend: a follow-up copies the candidate's words and most of the bank's
# question, so drafts verified in one batch are often accepted. 1.5B on 2 shared cores, 3 weak dev answers: the
# same three texts, end after the grade 8.3/9.5/10.8 s -> 6.6/6.5/3.8 s with 8 drafts. On the CPU a batch of 4
# tokens costs 1.55 times one token and a batch of 9 3.5 times (1.5B Q4_K_M, CPU seconds of one thread: llama.cpp's
# repacked Q4_K kernels take 4 rows at a time), so 3 drafts a step: the probe's 6 follow-ups and corrections
# replayed on one thread took 31.8 CPU seconds to decode with 8 drafts, 24.9 with 3 (4: 28.7, none: 41.7). On the
# H200 a batch of 9 cost 2.0 times one token (8B, docs/PERF.md), nearer to flat: 8 there, as before (not re-measured).
LOOKUP_TOKENS, LOOKUP_TOKENS_GPU = 3, 8
# Cosine (all-MiniLM-L6-v2) of the question to the key point or to the bank's follow-up, whichever is higher. On the
# 48 weak dev answers, with the answer's first sentence quoted before each follow-up of its item as a stand-in for a
# model's wording (eval.simulate.on_point_separation), 0.5 keeps 93% of the questions on their point and 27% of
# those on another point of the same item (0.45: 96% and 37%; 0.55: 92% and 19%).
ON_POINT = 0.5
# A question whose content words are nearly all the answer's restates the answer instead of asking.
PARAPHRASE_SHARE = 0.8
# Phrases of this many words copied from the rubric's secret texts give the answer away.
LEAK_NGRAM = 4
# Words that name the act of quoting, not the candidate's claim.
_QUOTING = {"said", "mentioned", "answer", "answered", "stated", "claimed", "explain", "described", "told"}
_NUM = re.compile(r"\d+(?:\.\d+)?")
_LABEL = re.compile(r'^\s*(?:(?:your\s+)?(?:follow[- ]up|question|interviewer)(?: question)?\s*:\s*)?["“\'\s]*', re.I)


@dataclass
class Target:
    """What one follow-up aims at: the question asked, what the candidate said, the key point they missed or got
    wrong, and the bank's follow-up for it (its text, its rubric)."""

    question: str
    answer: str
    point: KeyPoint
    bank: FollowUp
    said: str = ""  # the answer's sentences nearest the key point (see said_for)

    def allowed(self) -> str:
        """Text whose words the model may use: what the candidate said and what the bank's questions ask."""
        return " ".join([self.answer, self.question, self.bank.question])

    def secrets(self) -> list[str]:
        """Texts that hold the key point's answer: the point, the follow-up's own key points and reference."""
        return [self.point.point, self.bank.reference] + [k.point for k in self.bank.key_points]

    def terms(self) -> list[str]:
        return list(self.point.terms) + [t for k in self.bank.key_points for t in k.terms]


def said_for(answer: str, point: KeyPoint, embedder) -> str:
    """The candidate's words a follow-up reacts to (when the grade quoted none): the answer's sentences nearest
    the key point in meaning, in answer order, cut to SAID_CHARS."""
    sents = split_sentences(answer)
    if len(sents) > SAID_SENTENCES:
        v = embedder.encode([point.point] + sents)
        near = sorted(sorted(range(len(sents)), key=lambda i: -float(v[0] @ v[i + 1]))[:SAID_SENTENCES])
        sents = [sents[i] for i in near]
    return clip(" ".join(sents))


def clip(said: str) -> str:
    """The candidate's words cut to SAID_CHARS at the last clause boundary past its first third, else after the
    last word that is not a function word (the 1.5B copied a dangling "and" and wrote on from there)."""
    if len(said) <= SAID_CHARS:
        return said
    cut = said[:SAID_CHARS]
    at = max(cut.rfind(sep) for sep in (", ", "; ", " - ", " — "))
    if at >= SAID_CHARS // 3:
        return cut[:at]
    ws = cut[: cut.rfind(" ")].split(" ")
    while len(ws) > 1 and ws[-1].lower().strip(",;:") in FUNCTION:
        ws.pop()
    return " ".join(ws).rstrip(",;:")


def prefix(question: str) -> str:
    """The user message's first part, the same for every follow-up of one question (evaluated ahead of the answer).
    It ends in a newline: the tokens of '"' and '"\n' differ, and the cached prefix would stop one token short."""
    return render("follow_up_ask", question=question) + "\n"


def messages(system: str, t: Target, opening: str = "") -> list[dict[str, str]]:
    """The chat: the persona's system prompt (with the JD/CV context), then the question, the candidate's words
    and the bank's follow-up, last the opening of the model's reply, if any. The key point itself stays out of the
    prompt: shown to the model, even marked secret, its numbers and terms reached the question (the leak check
    caught them)."""
    return opened(system, prefix(t.question) + render("follow_up_target", said=t.said, follow_up=t.bank.question),
                  opening)


def lookup_tokens(llm) -> int:
    """Prompt-lookup drafts a step for the backend: fewer where its layers run on the CPU (LOOKUP_TOKENS)."""
    return LOOKUP_TOKENS_GPU if getattr(llm, "n_gpu_layers", 0) != 0 else LOOKUP_TOKENS


def opened(system: str, user: str, opening: str = "") -> list[dict[str, str]]:
    """A system and a user message, then the opening of the model's reply when there is one (a backend that
    continues replies writes on from it; see LlamaCppLLM.continues_reply)."""
    out = [{"role": "system", "content": system}, {"role": "user", "content": user}]
    return out + [{"role": "assistant", "content": opening}] if opening else out


# --------------------------------------------------------------------------- checks


def _ngrams(ws: list[str], n: int) -> set[tuple[str, ...]]:
    return {tuple(ws[i:i + n]) for i in range(len(ws) - n + 1)}


def leak(text: str, t: Target) -> str:
    """Why the text gives the key point's answer away, or "": a number or a rubric term the candidate and the bank's
    questions never used, or a LEAK_NGRAM-word phrase of the rubric's secret texts."""
    allowed = t.allowed()
    allowed_nums = set(_NUM.findall(allowed))
    for n in _NUM.findall(text):
        if n not in allowed_nums:
            return f"states the number {n}"
    for term in t.terms():
        if _mentions(text, term) and not _mentions(allowed, term):
            return f"names the rubric term {term!r}"
    mine = _ngrams(words(text), LEAK_NGRAM) - _ngrams(words(allowed), LEAK_NGRAM)
    for s in t.secrets():
        common = mine & _ngrams(words(s), LEAK_NGRAM)
        if common:
            return f"copies the rubric's words {' '.join(next(iter(common)))!r}"
    return ""


def _content(ws: list[str]) -> list[str]:
    # a number is content however short: "128 GB/s" names the candidate's claim as well as any phrase does
    return [w for w in ws if (len(w) > 3 or _NUM.search(w)) and w not in FUNCTION and w not in _QUOTING]


def names_claim(text: str, said: str, besides: str = "") -> bool:
    """The question shares a content phrase with the candidate's words (or any source): two adjacent words, both
    content words, or three adjacent words with one; phrases also in `besides` do not count."""
    tw, sw, bw = words(text), words(said), words(besides)
    content = set(_content(tw))
    if any(all(w in content for w in g) for g in (_ngrams(tw, 2) & _ngrams(sw, 2)) - _ngrams(bw, 2)):
        return True
    return any(any(w in content for w in g) for g in (_ngrams(tw, 3) & _ngrams(sw, 3)) - _ngrams(bw, 3))


def restates(text: str, source: str) -> bool:
    """Nearly every content word of the question is the source's: it restates the candidate's answer (or the
    question already asked) instead of asking something new."""
    cw = _content(words(text))
    if not cw:
        return False
    sw = set(words(source))
    return sum(w in sw for w in cw) / len(cw) >= PARAPHRASE_SHARE


def on_point(text: str, t: Target, embedder) -> float:
    """Cosine of the question to the key point or to the bank's follow-up, whichever is nearer."""
    v = embedder.encode([text, t.point.point, t.bank.question])
    return max(float(v[0] @ v[1]), float(v[0] @ v[2]))


def copies_example(text: str, t: Target) -> bool:
    """The question copies a LEAK_NGRAM-word phrase of the prompt's worked example that neither the candidate nor the
    bank's questions used: the 0.5B asked about a ring allreduce "what limits the speed-up you get from each extra
    thread?", the example's question, and it passed every other check."""
    example = template("follow_up_ask").split("Example.", 1)[-1].split("\n\n", 1)[0]
    theirs = _ngrams(words(example), LEAK_NGRAM) - _ngrams(words(t.allowed()), LEAK_NGRAM)
    return bool(_ngrams(words(text), LEAK_NGRAM) & theirs)


def check(text: str, t: Target, embedder) -> list[str]:
    """Every reason the question may not be asked; empty when it passes all checks."""
    out = []
    if not (MIN_CHARS <= len(text) <= MAX_CHARS) or not text.endswith("?") or text.count("?") != 1:
        out.append("not one question")
    why = leak(text, t)
    if why:
        out.append("leak: " + why)
    if copies_example(text, t):
        out.append("copies the prompt's example")
    if not names_claim(text, t.said or t.answer):
        out.append("does not name the candidate's claim")
    if restates(text, t.answer):
        out.append("paraphrases the answer")
    if restates(text, t.question):
        out.append("repeats the question")
    if not out and on_point(text, t, embedder) < ON_POINT:
        out.append("not on the key point")
    return out


def clean(raw: str) -> str:
    """The model's text without a leading label or quote mark and, after the question, without a closing quote
    or a remark that asks nothing more (a second question is kept, and fails the check)."""
    text = _LABEL.sub("", raw, count=1).strip()
    q = text.find("?")
    if q >= 0 and "?" not in text[q + 1:]:
        text = text[: q + 1]
    return text.strip().strip('"”')


def _showable(text: str) -> str:
    """The part of the text that may be shown now: up to the question mark, else whole words only (a number or a
    term still being written is checked once it is complete)."""
    q = text.find("?")
    if q >= 0:
        return text[: q + 1]
    return text[: text.rfind(" ") + 1] if len(words(text)) >= 3 else ""


# --------------------------------------------------------------------------- writing


@dataclass
class Writer:
    """One model follow-up, streamed: stream() yields only text that passed the leak check; afterwards ok, text,
    failures and the timings say how it went (text is empty unless every check passed)."""

    llm: object
    embedder: object
    target: Target
    system: str
    max_tokens: int = MAX_TOKENS
    text: str = ""
    raw: str = ""  # what the model wrote, shown or not (for the session log and the evaluation)
    failures: list[str] = field(default_factory=list)
    ttft_s: float | None = None
    total_s: float = 0.0

    @property
    def ok(self) -> bool:
        return bool(self.text) and not self.failures

    def stream(self) -> Iterator[str]:
        t0 = time.perf_counter()
        # a backend that continues the reply's opening is given it (and drafts from the prompt); any other is asked
        # for the opening in the prompt
        fast = getattr(self.llm, "continues_reply", False)
        opening = OPENING if fast else ""
        raw, shown = opening, ""
        chunks = self.llm.stream_chat(messages(self.system, self.target, opening), max_tokens=self.max_tokens,
                                      **({"lookup": lookup_tokens(self.llm)} if fast else {}))
        try:
            for chunk in chunks:
                raw += chunk
                text = _LABEL.sub("", raw, count=1)
                q = text.find("?")
                if q >= 0:  # the one question is complete: whatever follows would be cut or fail the check
                    raw = raw[: len(raw) - len(text) + q + 1]
                    text = text[: q + 1]
                safe = _showable(text)
                why = leak(safe, self.target)
                if why:
                    self.failures.append("leak: " + why)
                    break
                if len(safe) > len(shown) and safe.startswith(shown):
                    if self.ttft_s is None:
                        self.ttft_s = time.perf_counter() - t0
                    yield safe[len(shown):]
                    shown = safe
                if q >= 0:
                    break
        finally:
            close = getattr(chunks, "close", None)
            if close:
                close()  # stops the generation and releases the model's lock now
            self.total_s = time.perf_counter() - t0
            self.raw = raw
        if self.failures:
            return
        text = clean(raw)
        self.failures = check(text, self.target, self.embedder)
        if not self.failures and not text.startswith(shown.strip()):
            self.failures = ["changed after it was shown"]
        if self.failures:
            return
        self.text = text
        rest = text[len(shown.strip()):] if shown else text
        if rest:
            if self.ttft_s is None:
                self.ttft_s = time.perf_counter() - t0
            yield rest


# --------------------------------------------------------------------------- the probe

# Known cases with their rubric: the model passes one when its follow-up passes every check.
PROBE_CASES = [
    {"question": "What bandwidth does a PCIe Gen5 x16 link give you?",
     "answer": "Gen5 x16 gives 128 GB/s in each direction. So a 20 GB checkpoint loads in about 0.15 seconds.",
     "point": {"point": "x16 is about 63 GB/s per direction; 128 GB/s is the bidirectional total",
               "terms": ["per direction", "bidirectional", "63 gb/s"]},
     "follow_up": {"question": "Is that figure available in each direction at once?", "key_point": 0}},
    {"question": "How does a ring allreduce use the links?",
     "answer": "Each GPU sends its whole buffer to every other GPU, and they all send at the same time.",
     "point": {"point": "In a ring each rank sends and receives 2(n-1)/n of the buffer: reduce-scatter then "
                        "all-gather over neighbour links",
               "terms": ["reduce-scatter", "all-gather", "2(n-1)/n", "neighbour"]},
     "follow_up": {"question": "Walk me through what one GPU actually sends in a ring allreduce, step by step.",
                   "key_point": 0}},
    {"question": "Why do RDMA buffers have to be registered before a transfer?",
     "answer": "You register the buffer so the NIC knows about it, mostly for security, and then it can read it.",
     "point": {"point": "Registration pins the pages so they cannot move and gives the NIC the translation and the "
                        "keys (lkey/rkey) it uses for DMA",
               "terms": ["pin", "pinned", "lkey", "rkey", "translation"]},
     "follow_up": {"question": "What would go wrong if the operating system moved that buffer in memory during the "
                               "transfer?", "key_point": 0}},
]
PROBE_SYSTEM = ("You are a senior NVIDIA engineer interviewing a candidate. You ask exactly one question per turn and "
                "never reveal the grading rubric.")
# Trusted when every case passes but at most one (a sound model can word one case clumsily; the default 135M
# passes none).
PROBE_MISSES = 1


def probe_targets(embedder) -> list[Target]:
    """The known cases as the session builds them: the candidate's words quoted are those said_for picks."""
    out = []
    for c in PROBE_CASES:
        point = KeyPoint(**c["point"])
        out.append(Target(question=c["question"], answer=c["answer"], point=point, bank=FollowUp(**c["follow_up"]),
                          said=said_for(c["answer"], point, embedder)))
    return out


def decide(failures: Iterator[list[str]], n_cases: int, what: str):
    """A feature's probe outcome from its cases' failure lists (empty: passed), read lazily and only until the
    outcome is decided (each case costs a generation at load): on when all cases but PROBE_MISSES pass."""
    from interviewer.probe import ProbeFeature

    passed, why = 0, []
    for f in failures:
        if f:
            why.append(f[0])
        else:
            passed += 1
        if passed >= n_cases - PROBE_MISSES or len(why) > PROBE_MISSES:
            break
    ok = len(why) <= PROBE_MISSES
    return ProbeFeature(enabled=ok, passed=passed, total=passed + len(why),
                        reason=f"probe: {passed}/{passed + len(why)} {what} passed the checks"
                        + ("" if ok else f" (first failures: {'; '.join(why[:2])})"))


def _probe_case(llm, embedder, t: Target) -> list[str]:
    w = Writer(llm, embedder, t, PROBE_SYSTEM)
    for _ in w.stream():
        pass
    return w.failures


def probe(llm, embedder):
    """Follow-ups on the probe's known cases: on when all pass but at most PROBE_MISSES."""
    return decide((_probe_case(llm, embedder, t) for t in probe_targets(embedder)), len(PROBE_CASES), "follow-ups")
