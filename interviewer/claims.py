"""What a sentence claims, read without a model: whether it asserts anything (a claim, not a list of terms),
whether it is negated or hedged, whether it claims experience the CV lacks, and the numbers it states with
their units, checked against a rubric's numeric facts."""

from __future__ import annotations

import re
from dataclasses import dataclass

# A sentence ends at . ! ? ; (ASCII or full-width), at a line break, or at the end of the text; a dot between
# two digits ("1.5 Mbps") does not end a sentence.
_SENT = re.compile(r"(?:[^.!?。！？\n;；]|(?<=\d)\.(?=\d))+(?:[.!?。！？;；]+|(?=\n)|$)")
_WORD = re.compile(r"[A-Za-z0-9_+/\-\.]+|[\u4e00-\u9fff]")

# Words that make a run of terms into a statement. "and", "or" and commas are left out on purpose: they join
# the items of a keyword list as well as the parts of a claim.
FUNCTION = set(
    "a an the of to in on for is are was were be been being it its this that these those with as by at from into "
    "than then so such can could would should will may might must do does did not no you your i we our they "
    "their he she his her them me my have has had which what when where who why how because if while since "
    "until after before each every only just also there here both one same more less most about over under per "
    "through without within between against whereas unless instead rather need needs needed uses used using "
    "makes make made gives give goes go get gets means mean keeps keep takes take moves move sends send reads "
    "writes stays runs run".split()
)


def split_sentences(text: str) -> list[str]:
    """Sentences as exact substrings of text (stripped), so evidence quotes always match the answer."""
    out = []
    for m in _SENT.finditer(text):
        s = m.group(0).strip()
        if len(s) >= 3:
            out.append(s)
    return out or ([text.strip()] if text.strip() else [])


def words(text: str) -> list[str]:
    return [w.lower().strip(".-/") for w in _WORD.findall(text)]


def claim_weight(sentence: str) -> float:
    """How much a sentence reads as a statement (1) rather than a string of terms (0): the share of
    function words, which a keyword list lacks. Chinese text counts as a statement."""
    ws = [w for w in words(sentence) if w]
    latin = [w for w in ws if w.isascii()]
    if len(latin) < max(3, len(ws) // 2):
        return 1.0
    f = sum(w in FUNCTION for w in latin) / len(latin)
    return min(1.0, max(0.0, (f - 0.08) / 0.14))


# --------------------------------------------------------------------------- negation and hedging

_NEG = re.compile(
    r"\b(not|never|no|none|nothing|neither|nor|without|cannot|can't|won't|isn't|aren't|wasn't|weren't|doesn't|"
    r"don't|didn't|haven't|hasn't|hadn't|shouldn't|wouldn't|couldn't|hardly|rarely)\b|n't\b|没有|没|不是|不|未",
    re.I,
)
# Reported rather than asserted: the speaker names a claim to reject it.
_REPORTED = re.compile(
    r"\b(misconception|myth|common mistake|mistake (is|to)|wrong to|it is wrong|is wrong|people (often )?(think|say|assume|"
    r"believe)|some (people )?(think|say|assume|believe)|contrary to|the naive (view|answer)|a trap|not true|false that|"
    r"incorrect(ly)?|rather than|instead of|as opposed to|unlike)\b",
    re.I,
)
_RETRACT = re.compile(r"^\s*(but\s+)?(it|that|this)\s*(is|'s)\s*not\b|^\s*(no|not really|that's wrong|wrong)\W*$", re.I)


def negated_before(sentence: str, start: int) -> bool:
    """A negation cue in the same clause before position start (or right after the match: "X is not Y")."""
    head = sentence[:start]
    clause = re.split(r"[,:;—–]|\bbut\b|\bwhile\b|\bwhereas\b|\bhowever\b", head)[-1]
    return bool(_NEG.search(clause)) or bool(_REPORTED.search(head))


def asserted(sentence: str, start: int, next_sentence: str = "") -> bool:
    """Does the sentence assert what a pattern matched at start, rather than negate, report or retract it?"""
    if negated_before(sentence, start):
        return False
    return not _RETRACT.search(next_sentence or "")


# --------------------------------------------------------------------------- honesty

_HYPOTHETICAL = re.compile(r"\b(would|could|might|i'd|we'd|plan to|want to|hope to|if i|if we|would like|going to|"
                           r"will|aim to|expect to|in the interview|learning|studied|read about)\b", re.I)
_FIRST = r"\b(i|we|my team|our team|i've|we've|i personally|myself)\b"
_DID = (r"(ran|run|running|deployed|deploy|operated|operate|owned|own|led|lead|built|shipped|rolled out|roll out|"
        r"managed|maintained|scaled|tuned|productioni[sz]ed|put\b[^.]{0,20}\binto production|drove|architected|"
        r"launched|benchmarked|qualified|debugged|was responsible for|in charge of|took\b[^.]{0,20}\bto production|"
        r"have been running|operating|moved|migrated|ported|wrote|implemented|integrated|optimi[sz]ed|measured|"
        r"profiled|hit|cut|served|serve|serving|handled|handles|was the owner of|am the owner of|owner of|"
        r"was on[- ]call|am on[- ]call|on[- ]call for|have (hands-on |deep |years of )*(?=(production|prod) experience))")
_SCALE = (r"(\b\d[\d,]{2,}\+?[\s-]*([a-z0-9-]+[\s-]+){0,2}(h100s?|h200s?|a100s?|b200s?|gb200s?|gpus?|nodes?|servers?|"
          r"hosts?|ranks?|nics?|machines?)\b|"
          r"\b(hundreds|thousands|tens of thousands) of ([a-z0-9-]+ ){0,2}(h100s?|gpus?|nodes?|servers?|hosts?|ranks?|"
          r"machines?)\b|\bnvidia[- ]scale\b|\bat nvidia\b|\bhyperscale\b|\bdatacenter-scale\b|\bfleet\b|"
          r"\bsuperpod\b|\bsupercomputers?\b|\b(a few|several|many) (hundred|thousand) ([a-z0-9-]+ ){0,2}(gpus?|nodes?|servers?)\b|"
          r"\b\d[\d,]{3,}[\s-]*cores?\b|\b\d+k[\s-]*gpus?\b|\b(hundred|thousand)[\s-]gpu\b)")
_PROD = (r"(\bproduction\b|\bprod\b|\bat scale\b|\blive traffic\b|\bcustomers?\b|\brollout\b|"
         r"\b(millions|billions) of (requests|users|queries|tokens)\b|\brequests (per|a) (day|second)\b|"
         r"\bour\b[^.;]{0,30}\b(cluster|fleet|datacenter|data center|serving stack|inference service)s?\b)")
# the claim in either order: "I ran X in production" or "In production I ran X"
SCALE_CLAIM = re.compile(_FIRST + r"[^.;]{0,80}?\b" + _DID + r"\b[^.;]{0,160}?" + _SCALE + "|" + _SCALE
                         + r"[^.;]{0,60}?" + _FIRST + r"[^.;]{0,40}?\b" + _DID + r"\b", re.I)
PROD_CLAIM = re.compile(_FIRST + r"[^.;]{0,80}?\b" + _DID + r"\b[^.;]{0,160}?" + _PROD + "|" + _PROD
                        + r"[^.;]{0,60}?" + _FIRST + r"[^.;]{0,40}?\b" + _DID + r"\b", re.I)
SCALE_ONLY = re.compile(_SCALE, re.I)


@dataclass
class ClaimHit:
    sentence: str
    quote: str
    # "scale" (never in this CV), "hands_on" (work on a technology the CV lacks), or "production"/"deployment"
    # (count only on topics the CV matches weakly)
    kind: str


# Hands-on work the speaker claims: a first-person actor, a verb of doing (a past tense or a verb of owning), and
# what it was done to, in one clause.
_ACTOR = r"(?:\b(?:i(?!/)|we|i've|we've|i'm|we're|i was|we were|my team|our team|my code|my patch|myself)\b)"
_DOING = (r"(?:\b(?!(?:learn|stud|read|watch|attend|follow|review|explor|experiment|play|plann|want|need|wonder|"
          r"expect|assum|guess|hop|interest|excit|fascinat|involv|call|nam|bas|us|ask|tri|listen|talk|discuss|"
          r"mention|prepar|focus|start|look|notic|observ|consider|realiz|realis|decid|remember|seem|happen|compar|"
          r"wonder|reason|check)ed\b)[a-z]{3,}ed\b|\b(?:ran|(?<=ve\s)run|built|wrote|written|shipped|found|spent|owns?\s+(?:the|our|all|every)|"
          r"handle|handles|led|took|made|set up|fixed|got|hit|brought|drove|kept|done|did|rewrote|rewritten|"
          r"upstreamed|maintain|maintaining|operate|operating|running|debugging|tuning|deploying|on[- ]call|overrode|chose|"
          r"caught|broke|stood up|come from|came from|worked at|joined)\b)")
_BY_ME = re.compile(r"\b(?:was|were|is|are|has been|have been)\s+(?:[a-z]+\s+){0,2}?[a-z]+(?:ed|en|wn|ilt|ung)\s+by\s+"
                    r"(?:me|my team|us)\b", re.I)
# where the work was done: a deployment of the speaker's organisation, not a laptop
_DEPLOYED = re.compile(
    r"\b(?:our|my team's|the company's)\b[^.;]{0,40}?\b(?:clusters?|nodes?|boxes|switch(?:es)?|fabric|platform|stack|"
    r"engine|products?|pools?|region|cloud|fleet|jobs?|racks?|datacenters?|data centers?|services?|workers?|"
    r"customers?)\b|\bon (?:a|an|our) \d+[\s-]*(?:node|gpu|rack)\b|\bat my (?:last|previous|current) (?:job|company|"
    r"employer)\b|\bupstream(?:ed)?\b|\bcontributed\b|\bpatch(?:ed)?\b|\bon[- ]call\b|\bin the field\b|"
    r"\bour production\b|\breal traffic\b|\brunbook\b|\bwent live\b|\bon every (?:node|box|server|host)\b", re.I)
# study, small local runs, plans: honest about how far the experience goes
_STUDY = re.compile(
    r"\bonly\s+(?:\w+\s+)?(?:used|run|ran|read|studied|tried|seen|know|knew|played|done|tested|built|worked|called|"
    r"touched)\b|\bi(?:'ve| have)? only\b|\b(?:from source|examples?|samples?|tutorials?|docs|documentation|laptop|one machine|single (?:gpu|machine|"
    r"node|box)|toy|tiny|small|simple|experiments?|learning|studying|studied|side project|course|concepts?|"
    r"conceptually|would|could|might|i'd|we'd|will|if|once|plan|want|next step|yet)\b", re.I)
_CLAUSES = re.compile(r";\s*|,\s*(?=(?:and|but|though|although|while|whereas|so|which)\b)|\s+(?:but|though|although|"
                      r"whereas)\s+", re.I)
_ADVERB = (r"(?:\s+(?:have|has|had|also|personally|then|actually|already|once|was|were|been|really|even|first|later|"
           r"eventually|both|the one|the one who|am|is|are))*")
_HANDS_ON = re.compile(_ACTOR + _ADVERB + r"\s+" + _DOING, re.I)
# "used" is honest on its own ("I used perf"); with the organisation's deployment it is a claim of operating it
_USED = re.compile(_ACTOR + _ADVERB + r"\s+used\b", re.I)


def _hands_on(s: str, gaps: set[str]) -> ClaimHit | None:
    """A clause claiming the speaker did the work themselves, on a technology the CV lacks (hands_on) or in their
    organisation's deployment (deployment); negated, hedged, planned or study-sized work is not a claim. The
    technology may be named in an earlier clause that is itself a plain statement ("Our cluster ran MVAPICH2 over
    InfiniBand, and I was the one maintaining it")."""
    named = False
    for clause in _CLAUSES.split(s):
        plain = not (_NEG.search(clause) or _REPORTED.search(clause) or _STUDY.search(clause))
        low = clause.lower()
        # an earlier clause's technology counts when this one refers back to it ("..., and I maintained it")
        named = (named and bool(re.search(r"\b(it|them|they|that|this|those)\b", clause, re.I))) or (plain and any(re.search(r"(?<![a-z0-9])" + re.escape(t) + r"(?![a-z0-9])", low)
                                        for t in gaps))
        deployed = bool(_DEPLOYED.search(clause))
        m = _HANDS_ON.search(clause) or _BY_ME.search(clause) or (_USED.search(clause) if deployed else None)
        if not m or not plain:
            continue
        if named:
            return ClaimHit(sentence=s, quote=clause.strip(), kind="hands_on")
        if deployed:
            return ClaimHit(sentence=s, quote=clause.strip(), kind="deployment")
    return None


def experience_claims(sentences: list[str], gaps: set[str] = frozenset()) -> list[ClaimHit]:
    """First-person claims of production or scale experience, or of hands-on work on the technologies in gaps (or
    in the speaker's organisation's deployment), asserted (not negated, not hypothetical, not study-sized)."""
    out = []
    for s in sentences:
        for kind, rx in (("scale", SCALE_CLAIM), ("production", PROD_CLAIM)):
            m = rx.search(s)
            if not m:
                continue
            span = s[m.start(): m.end()]
            if _NEG.search(span) or _REPORTED.search(span) or _HYPOTHETICAL.search(s[: m.start()] + span[:60]):
                continue
            out.append(ClaimHit(sentence=s, quote=span, kind=kind))
            break
        else:
            if hit := _hands_on(s, gaps):
                out.append(hit)
    return out


_HONEST = re.compile(
    r"\b(have not|haven't|did not|didn't|never|not (yet )?in production|no production|my (honest )?boundary|"
    r"to be honest|honestly|where my experience (ends|stops)|i am (still )?learning|i'm (still )?learning|"
    r"only (studied|read|prototyped|tested|experimented)|not (run|deployed|operated|owned)|"
    r"(small|toy|local|single[- ]node) (prototype|benchmark|microbenchmark|experiment|test)|from the (docs|documentation|"
    r"papers?|source)|i (know|learned) (this|it) from|would (need to )?(verify|measure|check)|ramp(ing)? up)\b",
    re.I,
)


def honest_boundary(sentences: list[str]) -> str:
    """The first sentence that states an honest limit of experience, or ""."""
    return next((s for s in sentences if _HONEST.search(s)), "")


# --------------------------------------------------------------------------- numbers and units

# unit text -> (dimension, factor to the dimension's base unit)
_UNITS: dict[str, tuple[str, float]] = {
    "tb/s": ("Bps", 1e12), "tbps": ("bps", 1e12), "gb/s": ("Bps", 1e9), "gbps": ("bps", 1e9), "gbit/s": ("bps", 1e9),
    "mb/s": ("Bps", 1e6), "mbps": ("bps", 1e6), "gbytes/s": ("Bps", 1e9), "gib/s": ("Bps", 1.074e9),
    "gt/s": ("GT/s", 1.0), "tflops": ("flops", 1e12), "pflops": ("flops", 1e15), "tops": ("flops", 1e12),
    "ns": ("s", 1e-9), "us": ("s", 1e-6), "µs": ("s", 1e-6), "μs": ("s", 1e-6), "ms": ("s", 1e-3), "s": ("s", 1.0),
    "tb": ("B", 1e12), "tib": ("B", 1.1e12), "gb": ("B", 1e9), "gib": ("B", 1.074e9), "mb": ("B", 1e6),
    "mib": ("B", 1.049e6), "kb": ("B", 1e3), "kib": ("B", 1.024e3), "bytes": ("B", 1.0), "b": ("B", 1.0),
    "%": ("%", 1.0), "x": ("x", 1.0), "×": ("x", 1.0), "ghz": ("Hz", 1e9), "mhz": ("Hz", 1e6),
    "w": ("W", 1.0), "kw": ("W", 1e3), "": ("", 1.0),
}
_WORD_UNITS = [
    (r"terabytes? (per|a) second|terabytes?/s", "tb/s"), (r"gigabytes? (per|a) second|gigabytes?/s|gb per second", "gb/s"),
    (r"gigabits? (per|a) second|gigabits?/s|gbit per second|gigabit", "gbps"), (r"megabytes? per second", "mb/s"),
    (r"nanoseconds?|nanos", "ns"), (r"microseconds?|micros|usec", "us"), (r"milliseconds?|millis|msec", "ms"),
    (r"seconds?|secs?", "s"), (r"terabytes?", "tb"), (r"gigabytes?|gigs?", "gb"), (r"megabytes?", "mb"),
    (r"kilobytes?", "kb"), (r"percent|per cent", "%"), (r"times|fold", "x"), (r"gbits?", "gbps"), (r"gbs", "gb/s"),
]
_UNIT_ALT = "|".join(sorted((re.escape(u) for u in _UNITS if u), key=len, reverse=True))
_WORD_ALT = "|".join(w for w, _ in _WORD_UNITS)
_NUM = re.compile(
    r"(?<![\w.+#])(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
    r"(?P<k>\s?[kKM](?![a-zA-Z])|\s(?:thousand|million|billion)\b)?\s?"
    r"(?:(?P<unit>" + _UNIT_ALT + r")(?![a-zA-Z])|(?P<word>" + _WORD_ALT + r")\b|(?P<g>G)\b)?",
    re.I,
)


@dataclass
class Quantity:
    value: float  # in the dimension's base unit
    dim: str
    text: str
    start: int
    step: float = 0.0  # half the last stated digit, in the base unit: "8 ms" stands for 7.5-8.5 ms
    # False for a limit ("slower than 40 ms", "at least 2x"), an operand ("2·32·8 bytes", "0.3 s plus ...") or a
    # comparison ("3 GB/s is far below ..."): not a value the sentence states for anything
    claim: bool = True


_MULTIPLIER = {"k": 1e3, "m": 1e6, "thousand": 1e3, "million": 1e6, "billion": 1e9}
# before the number: a limit, or an operand ("2 x 8", "228 KB / 48 KB", "0.3 s plus 399 x 25 ms")
_NOT_A_VALUE_BEFORE = re.compile(r"(\bthan|\bat (least|most)|\bup to|\bover|\bunder|\bbelow|\babove|\bexceeds?|[<>≤≥])\s*"
                    r"(about |around |roughly |~)?$|([·×*/+]|\bx|\btimes|\bplus|\bminus|\bdivided by)\s*$", re.I)
# after it: an operand, or a comparison ("3 GB/s is an order of magnitude below the line rate")
_NOT_A_VALUE_AFTER = re.compile(r"\s*([·×*/+]|x\s|times\b|plus\b|minus\b|divided by\b|(is |are )?(an order of magnitude |well |"
                     r"far |much |way )?(below|above|short of|less than|more than)\b)", re.I)


def _symbol(raw: str) -> tuple[str, float]:
    """(dimension, factor) of a unit symbol, case kept: a lower-case b after an upper-case prefix is bits (Gb/s)."""
    if re.fullmatch(r"[GMT]b(/s|ps)", raw):
        return _UNITS[raw[0].lower() + "bps"]
    return _UNITS[raw.lower()]


def unit_of(unit: str) -> tuple[str, float]:
    """(dimension, factor) of a unit as written in a fact, read as a sentence's unit is; unknown units compare only
    with themselves."""
    u = unit.strip().lower()
    if u in _UNITS:
        return _symbol(unit.strip())
    for rx, canon in _WORD_UNITS:
        if re.fullmatch(rx, u):
            return _UNITS[canon]
    return (u, 1.0)


def quantities(sentence: str) -> list[Quantity]:
    """Every number in the sentence with its unit, converted to the unit's base (GB/s -> B/s, ms -> s)."""
    out = []
    for m in _NUM.finditer(sentence):
        num = m.group("num").replace(",", "")
        v = float(num)
        k = (m.group("k") or "").strip().lower()
        mult = _MULTIPLIER.get(k, 1.0)
        v *= mult
        if m.group("unit"):
            raw = m.group("unit")
            dim, f = _symbol(raw)
            if raw == "B" and not k and sentence[m.end("num"):m.end("num") + 1] == "B":
                dim, f = "params", 1e9  # "8B", "Llama-3-70B": a model's size in parameters, not bytes
        elif m.group("word"):
            dim, f = unit_of(m.group("word"))
        elif m.group("g"):  # "400G" NICs and ports are gigabits per second
            dim, f = _UNITS["gbps"]
        else:
            dim, f = "", 1.0
        decimals = len(num.split(".")[1]) if "." in num else 0
        out.append(Quantity(value=v * f, dim=dim, text=m.group(0).strip(), start=m.start(),
                            step=0.5 * 10 ** -decimals * mult * f,
                            claim=not (_NOT_A_VALUE_BEFORE.search(sentence[:m.start()])
                                       or _NOT_A_VALUE_AFTER.match(sentence, m.end()))))
    return out


@dataclass
class FactCheck:
    name: str
    status: str  # "confirmed" | "contradicted"
    sentence: str
    said: str
    expected: str


def _term_spans(sentence: str, term: str) -> list[tuple[int, int]]:
    """Where the term stands as a whole word or phrase ("ll" is not in "ll128")."""
    rx = r"(?<![a-z0-9])" + re.escape(term.lower()) + r"(?![a-z0-9])"
    return [m.span() for m in re.finditer(rx, sentence.lower())]


def _mentions(sentence: str, term: str) -> bool:
    return bool(_term_spans(sentence, term))


_CLAUSE = re.compile(r"[,;:]\s+|\s+(?:so|which|while|whereas|but)\s+", re.I)
# a clause opened by these names a new subject ("DRAM is slow, while an L1 hit is about 1 ns")
_NEW_SUBJECT = re.compile(r"\b(?:while|whereas)\s+$|^(?:while|whereas)\b", re.I)


def _owned(sentence: str, terms: list[str], others: list[str]) -> list[tuple[int, int]]:
    """The spans of the clauses that speak of the fact: a clause naming one of its terms, and the clauses that go on
    about the same subject ("NVLink is 900 GB/s in total, so 450 GB/s per direction") until one names another
    subject (another fact's term, or a clause opened by "while"/"whereas"). Clauses before the first named subject
    belong to it ("At about 1 ns, an L1 hit is cheap")."""
    cuts = list(_CLAUSE.finditer(sentence))
    spans = list(zip([0] + [c.end() for c in cuts], [c.start() for c in cuts] + [len(sentence)]))
    owner: list[bool | None] = []
    for i, (a, b) in enumerate(spans):
        clause = sentence[a:b]
        if any(_mentions(clause, t) for t in terms):
            owner.append(True)
        elif any(_mentions(clause, t) for t in others) or _NEW_SUBJECT.search(clause) \
                or (i and _NEW_SUBJECT.search(cuts[i - 1].group(0))):
            owner.append(False)
        else:
            owner.append(None)
    first = next((o for o in owner if o is not None), True)
    held, prev = [], first
    for o, span in zip(owner, spans):
        prev = prev if o is None else o
        if prev:
            held.append(span)
    return held


def _stated(sentence: str, terms: list[str], dim: str, others: list[str]) -> list[Quantity]:
    """The numbers of the fact's dimension that the sentence states for it. A bare number (a count) belongs to the
    clause that names the fact ("16 banks of 8 bytes, so pad the tile to [32][33]" states 16 banks, not 32); a
    number with a unit also to the clauses that go on about the same subject (see _owned)."""
    def same(q: Quantity) -> bool:
        return q.dim == dim and (dim or q.text.replace(",", "").replace(".", "").isdigit())

    # a number inside a term ("80 layers") says which fact is meant, not its value (a term that is only a number,
    # "4.8", is the value itself)
    inside = [span for t in terms if re.search(r"[a-z]", t) for span in _term_spans(sentence, t)]
    every = [q for q in quantities(sentence) if same(q) and not any(a <= q.start < b for a, b in inside)]
    if not terms or (not dim and len(every) < 2):
        return every
    if dim:
        held = _owned(sentence, terms, others)
        return [q for q in every if any(a <= q.start < b for a, b in held)]
    cuts = list(_CLAUSE.finditer(sentence))
    spans = zip([0] + [c.end() for c in cuts], [c.start() for c in cuts] + [len(sentence)])
    named = [q for a, b in spans if any(_mentions(sentence[a:b], t) for t in terms)
             for q in every if a <= q.start < b]
    return named or every


def _matches(q: Quantity, target: float, tol: float) -> bool:
    """Within tolerance or the rounding of the digits stated; for bytes, KB and KiB (GB and GiB...) name the same
    size in speech, so either reading of the prefix counts."""
    readings = [q.value] + ([q.value * 1.024 ** k for k in (-3, -2, -1, 1, 2, 3)] if q.dim in ("B", "Bps") else [])
    return any(abs(v - target) <= max(tol, q.step) * (1 + 1e-9) for v in readings)


def check_fact(fact, sentences: list[str], others: list[str] = ()) -> FactCheck | None:
    """Find the fact's number in the sentences that name it (one of its terms, or its name's words): a number of
    the same dimension within tolerance (or within the rounding of the digits stated: "8 ms" for 8.3 ms) confirms
    it; numbers all outside it contradict it, unless stated as a bound ("slower than 40 ms"); no such number leaves
    it unchecked (None). others: the terms of the rubric's other facts, the subjects a number may belong to instead."""
    dim, f = unit_of(fact.unit)
    target, tol = fact.value * f, max(fact.tolerance * f, abs(fact.value * f) * 1e-6)
    terms = [t.lower() for t in (fact.terms or [])] or [w for w in words(fact.name) if len(w) > 3 and w not in FUNCTION]
    wrong: FactCheck | None = None
    expected = f"{fact.value:g} {fact.unit}".strip()
    for s in sentences:
        if terms and not any(_mentions(s, t) for t in terms):
            continue
        qs = _stated(s, terms, dim, [o.lower() for o in others if o.lower() not in terms])
        if not qs:
            continue
        close = [q for q in qs if _matches(q, target, tol)]
        if close:
            return FactCheck(fact.name, "confirmed", s, close[0].text, expected)
        qs = [q for q in qs if q.claim]
        if wrong is None and qs and asserted(s, qs[0].start):
            closest = min(qs, key=lambda q: abs(q.value - target))
            wrong = FactCheck(fact.name, "contradicted", s, closest.text, expected)
    return wrong
