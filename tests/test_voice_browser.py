"""A spoken answer in a real browser: Chromium's fake microphone plays an espeak-ng reading of a known answer, the
Interview tab's recorder captures it (after the question was read aloud on request), the app transcribes it offline into the answer box, and the answer is sent,
graded like typed text and stored with its delivery feedback. No sleeps: the recording runs until the recorder's
own clock shows the clip's length, and everything else waits on the page's state."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from eval.apprun import AppProcess
from eval.asr import clip_builder
from interviewer.config import Settings
from interviewer.speech import SAMPLE_RATE, load_audio, write_wav
from tests.conftest import KNOWLEDGE
from tests.test_ui_browser import ARGS, CHROMIUM

ANSWER = ("NCCL all reduce uses a ring algorithm. The busbw is the algbw times two times n minus one over n, so on "
          "eight GPUs it is one point seven five times the algbw.")

pytestmark = pytest.mark.timeout(420)


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> tuple[Path, float]:
    """The answer read by espeak-ng with a second of silence on each side (the fake microphone loops the file)."""
    d = tmp_path_factory.mktemp("voice")
    raw = clip_builder().synthesize(ANSWER, d / "raw.wav", "en-us", 150)
    gap = np.zeros(SAMPLE_RATE, np.float32)
    audio = np.concatenate([gap, load_audio(raw), gap])
    return write_wav(d / "answer.wav", audio), audio.size / SAMPLE_RATE


def test_a_spoken_answer_is_transcribed_into_the_box_sent_graded_and_stored(tmp_path, clip):
    from playwright.sync_api import expect, sync_playwright

    wav, seconds = clip
    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: bash scripts/ensure_chromium.sh"
    data = tmp_path / "data"
    args = ARGS + ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
                   f"--use-file-for-fake-audio-capture={wav}"]
    with AppProcess(data) as app, sync_playwright() as p:
        expect.set_options(timeout=60_000)
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=args)
        try:
            page = browser.new_context(viewport={"width": 1280, "height": 1600}, permissions=["microphone"]).new_page()
            page.goto(app.url)
            expect(page.locator("#start")).to_be_enabled(timeout=180_000)
            page.get_by_label("Focus topic").first.check()
            page.locator("#focus input").click()
            page.get_by_role("option", name="(nccl_collectives)").first.click()
            num = page.locator("#n input[type=number]")
            num.fill("1")
            num.press("Tab")
            page.locator("#start").click()
            expect(page.locator("#conversation .msg.q.pending")).to_have_count(1)
            sid = page.locator("#conversation .conv").get_attribute("data-session")
            page.locator("#read-question").click()  # optional: the question read aloud offline
            expect(page.locator("#question-audio audio[src]")).to_have_count(1)

            page.locator("#voice button.record-button").click()
            # the recorder's clock, not a sleep, decides when the whole clip has been heard
            whole = int(seconds) + 1
            expect(page.locator("#voice time.duration")).to_have_text(re.compile(rf"0:(?:{whole}|{whole + 1})$"),
                                                                      timeout=60_000)
            page.locator("#voice button.stop-button").first.click()
            box = page.locator("#answer textarea")
            # the clip's content words that survive the fake microphone (Whisper hears "NCCL" as "MCCL" and
            # sometimes "ring" as "in" in this synthetic speech): "all-reduce ... 1.75"
            expect(box).to_have_value(re.compile(r"all[- ]?reduce.*1\.75", re.IGNORECASE | re.DOTALL),
                                      timeout=240_000)
            expect(page.locator("#voice-status")).to_contain_text("check the text")
            box.fill(box.input_value() + " (edited)")  # the user may edit before sending
            page.locator("#submit").click()
            card = page.locator("#conversation details.turn-grade .delivery")
            expect(card).to_contain_text("wpm", timeout=120_000)
            expect(page.locator("#conversation .msg.a")).to_contain_text("(edited)")
            page.get_by_role("tab", name="Progress").click()
            expect(page.locator("#delivery-trend")).to_contain_text(sid)
        finally:
            browser.close()

    from interviewer.session import Records

    turn = Records.open(Settings(data_dir=data, knowledge_dir=KNOWLEDGE)).transcript(sid).turns[0]
    assert turn.answer.endswith("(edited)") and re.search(r"(?i)all[- ]?reduce", turn.answer)
    assert turn.grade is not None and turn.grade.score >= 0
    assert turn.delivery["words"] >= 15 and 60 < turn.delivery["wpm"] < 260
    assert turn.delivery["led_with_point"] is True
