"""Delivery feedback on a spoken answer, from its timed words: speaking time, words per minute, filler words,
long pauses, and whether the answer led with its point; spoken_answer() turns a recording into the text and
delivery record that the session stores with the turn."""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import BaseModel, Field

from interviewer.speech import Silence, SpeechTranscript, Word, keep_audio, load_audio, question_prompt, question_terms

# Fillers named in issue 16 (what Yoodli and Interview Warmup count). "like" and "basically" are also ordinary
# words ("systems like NCCL"), so they count only where a filler sits: at the start of a clause or set off by
# commas; "um", "uh" and "you know" always count.
ALWAYS_FILLERS = ("um", "uh", "erm", "you know")
CLAUSE_FILLERS = ("like", "basically")
# A silence between two words longer than this is a long pause (a listener notices a 2 s gap in an answer).
LONG_PAUSE_S = 2.0
# Pace band for a technical answer: under 110 wpm drags, over 170 wpm is hard to follow; a heuristic range
# around the 130-160 wpm of ordinary conversational English.
SLOW_WPM = 110
FAST_WPM = 170
# The opening a listener judges "led with the point" on: the first sentence, at most this many words.
OPENING_WORDS = 25
# Openings that spend the first words on preamble instead of the answer.
PREAMBLES = ("that's a good question", "that is a good question", "good question", "great question",
             "let me think", "so basically", "well", "it depends", "i think it depends", "hmm", "so, um",
             "before i answer", "to be honest", "let me start by")


class Pause(BaseModel):
    """A silence between two words."""

    at: float = Field(description="seconds into the recording where the silence starts")
    seconds: float
    after: str = Field(description="the word before the silence")


class Delivery(BaseModel):
    """How the answer was spoken; shown on the grade card, stored with the turn, exported with the transcript."""

    speaking_s: float = Field(description="first word to last word, seconds")
    words: int
    wpm: float = Field(description="words per minute over the speaking time")
    pace: str = Field(description="slow | good | fast")
    fillers: dict[str, int] = Field(default_factory=dict, description="filler word -> times said")
    filler_count: int = 0
    long_pauses: list[Pause] = []
    led_with_point: bool
    opening: str = Field("", description="the first sentence, as judged")
    tips: list[str] = []


def _norm(w: str) -> str:
    return re.sub(r"[^\w'+-]", "", w.lower())


def count_fillers(words: list[str]) -> dict[str, int]:
    """Filler words in a sequence of spoken words (punctuation attached, as Whisper writes them)."""
    out: dict[str, int] = {}
    n = [_norm(w) for w in words]
    i = 0
    while i < len(n):
        w, prev_raw = n[i], words[i - 1] if i else ""
        if i + 1 < len(n) and f"{w} {n[i + 1]}" in ALWAYS_FILLERS:
            out[f"{w} {n[i + 1]}"] = out.get(f"{w} {n[i + 1]}", 0) + 1
            i += 2
            continue
        clause_start = i == 0 or prev_raw.rstrip().endswith((",", ".", "?", "!", ";", ":"))
        set_off = words[i].rstrip().endswith(",")
        if w in ALWAYS_FILLERS or (w in CLAUSE_FILLERS and (clause_start or set_off)):
            out[w] = out.get(w, 0) + 1
        i += 1
    return out


def opening_sentence(text: str) -> str:
    """The first sentence of the answer, at most OPENING_WORDS words."""
    first = re.split(r"(?<=[.!?])\s+", text.strip(), maxsplit=1)[0]
    return " ".join(first.split()[:OPENING_WORDS])


def leads_with_point(text: str, terms: list[str] = ()) -> bool:
    """True when the first sentence is not preamble or filler and, if the question has key terms, names one."""
    opening = opening_sentence(text)
    low = " ".join(_norm(w) for w in opening.split())
    if not low or any(low.startswith(p.replace(",", "")) for p in PREAMBLES):
        return False
    body = [w for w in low.split() if w not in ALWAYS_FILLERS]
    if not body:
        return False
    if not terms:
        return True
    lowered = opening.lower()
    return any(t.lower() in lowered for t in terms if t.strip())


def analyze(words: list[Word], text: str | None = None, terms: list[str] = (),
            silences: list[Silence] | None = None, voiced: tuple[float, float] | None = None) -> Delivery:
    """Delivery figures of one spoken answer from its timed words (text: the transcript; terms: the question's
    key terms, for the opening check). With the audio's silences and voiced span (speech.voice_activity), pauses
    and speaking time come from the audio itself, which is exact where Whisper's word times stretch over a
    pause; without them, from the gaps between words."""
    text = text if text is not None else " ".join(w.word for w in words)
    if not words:
        return Delivery(speaking_s=0.0, words=0, wpm=0.0, pace="slow", led_with_point=False, tips=["no words"])
    speaking = max(0.0, (voiced[1] - voiced[0]) if voiced and voiced[1] > voiced[0] else words[-1].end - words[0].start)
    # Whisper splits "all-reduce" into "all" "-reduce": count spoken words, not tokens.
    spoken = [w for w in words if not w.word.startswith(("-", "'"))]
    wpm = round(60.0 * len(spoken) / speaking, 1) if speaking > 0 else 0.0
    pace = "slow" if wpm < SLOW_WPM else "fast" if wpm > FAST_WPM else "good"
    if silences is not None:
        pauses = [Pause(at=s.start, seconds=round(s.end - s.start, 2), after=_word_before(words, s.start))
                  for s in silences if s.end - s.start > LONG_PAUSE_S]
    else:
        pauses = [Pause(at=round(a.end, 2), seconds=round(b.start - a.end, 2), after=a.word)
                  for a, b in zip(words, words[1:]) if b.start - a.end > LONG_PAUSE_S]
    fillers = count_fillers([w.word for w in words])
    led = leads_with_point(text, terms)
    tips = []
    if pace != "good":
        tips.append(f"{wpm:.0f} words per minute is {'slow' if pace == 'slow' else 'fast'}; aim for "
                    f"{SLOW_WPM}-{FAST_WPM}")
    if fillers:
        tips.append("fillers: " + ", ".join(f'"{k}" x{v}' for k, v in sorted(fillers.items())))
    if pauses:
        tips.append(f"{len(pauses)} pause(s) over {LONG_PAUSE_S:.0f} s: the longest {max(p.seconds for p in pauses):.1f} s")
    if not led:
        tips.append("lead with the point: say the answer in the first sentence, then explain")
    return Delivery(speaking_s=round(speaking, 2), words=len(spoken), wpm=wpm, pace=pace, fillers=fillers,
                    filler_count=sum(fillers.values()), long_pauses=pauses, led_with_point=led,
                    opening=opening_sentence(text), tips=tips)


def _word_before(words: list[Word], t: float) -> str:
    before = [w.word for w in words if w.start < t]
    return before[-1] if before else ""


def render_text(d: Delivery) -> str:
    """One-paragraph summary for the CLI, the grade card and the Markdown export."""
    parts = [f"{d.speaking_s:.0f} s, {d.words} words, {d.wpm:.0f} wpm ({d.pace})",
             f"fillers {d.filler_count}" + (f" ({', '.join(f'{k} x{v}' for k, v in sorted(d.fillers.items()))})"
                                            if d.fillers else ""),
             f"long pauses {len(d.long_pauses)}", "led with the point" if d.led_with_point else "did not lead with the point"]
    return "; ".join(parts)


class SpokenAnswer(BaseModel):
    """A recording turned into an answer: the text for the answer box and the delivery record for the turn."""

    text: str
    delivery: dict
    transcript: SpeechTranscript


def spoken_answer(transcriber, settings, audio, question=None, keep_as: str | None = None,
                  progress=None) -> SpokenAnswer:
    """Transcribe a recording (path or 16 kHz samples), primed with the bank question if there is one, and
    measure its delivery. The recording is saved under the data dir as keep_as.wav when settings.keep_audio is
    on, and always when it was longer than the transcription limit, so nothing said is lost."""
    samples = load_audio(audio) if isinstance(audio, (str, Path)) else audio
    tr = transcriber.transcribe(samples, question_prompt(question) if question else [], progress)
    record = analyze(tr.words, tr.text, question_terms(question) if question else [], tr.silences,
                     tr.voiced).model_dump()
    record.update(duration_s=tr.duration_s, transcribe_s=tr.seconds, truncated=tr.truncated, notes=list(tr.notes))
    if keep_as and (settings.keep_audio or tr.truncated):
        record["audio_path"] = str(keep_audio(settings, samples, keep_as))
        if tr.truncated:
            record["notes"].append(f"the whole recording is kept at {record['audio_path']}")
    return SpokenAnswer(text=tr.text, delivery=record, transcript=tr)


def delivery_trend(turns) -> list[dict]:
    """Per session with spoken answers (in the order of the turns given, oldest first): how many, mean words per
    minute, fillers per minute of speaking, long pauses per answer and the share that led with the point."""
    by: dict[str, list[dict]] = {}
    for t in turns:
        if t.delivery:
            by.setdefault(t.session_id, []).append(t.delivery)
    rows = []
    for sid, ds in by.items():
        minutes = sum(d.get("speaking_s", 0.0) for d in ds) / 60
        rows.append({"session_id": sid, "spoken": len(ds),
                     "wpm": round(sum(d.get("wpm", 0.0) for d in ds) / len(ds), 1),
                     "fillers_per_min": round(sum(d.get("filler_count", 0) for d in ds) / minutes, 2) if minutes else 0.0,
                     "long_pauses_per_answer": round(sum(len(d.get("long_pauses", [])) for d in ds) / len(ds), 2),
                     "led_with_point": round(sum(bool(d.get("led_with_point")) for d in ds) / len(ds), 2)})
    return rows
