"""Real-browser tests of the gradio app: Debian's Chromium driven by Playwright for Python.

The app runs as a subprocess (python app.py) on a free port with a temp data dir and the real default
model. No sleeps: readiness is polled over HTTP and the page is synchronised with Playwright's expect().
Chromium must be installed at /usr/bin/chromium with a CJK font (bash scripts/ensure_chromium.sh); these tests
fail, not skip, without them.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from eval.apprun import AppProcess
from tests.conftest import ROOT, free_port

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run"]
XSS = '<script>window.__xss=1</script><img src=x onerror="window.__xss_img=1"> ${window.__xss_tpl=1} **bold**'

pytestmark = pytest.mark.timeout(240)


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    with AppProcess(tmp_path_factory.mktemp("ui-browser") / "data") as app:
        yield app.url


@pytest.fixture(scope="module")
def browser():
    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium)"
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=30_000)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield b
        b.close()


def open_page(browser, url):
    ctx = browser.new_context(viewport={"width": 1280, "height": 1600})
    ctx.set_default_timeout(60_000)
    page = ctx.new_page()
    page.goto(url)
    page.locator("#start").wait_for(state="visible")
    return ctx, page


def open_app(browser, url):
    """A page of the app once the engine is loaded (Start is disabled while it loads in the background)."""
    from playwright.sync_api import expect

    ctx, page = open_page(browser, url)
    expect(page.locator("#start")).to_be_enabled(timeout=180_000)
    return ctx, page


def start_interview(page, n: int, focus: str | None = None) -> str:
    from playwright.sync_api import expect

    if focus:
        page.get_by_label("Focus topic").first.check()
        page.locator("#focus input").click()
        page.get_by_role("option", name=f"({focus})").first.click()
    num = page.locator("#n input[type=number]")
    num.fill(str(n))
    num.press("Tab")
    page.locator("#start").click()
    expect(page.locator("#conversation .msg.q.pending")).to_have_count(1)
    sid = page.locator("#conversation .conv").get_attribute("data-session")
    assert sid
    return sid


def answer(page, text: str, ctrl_enter: bool = False, prefix: str = ""):
    """Send an answer; returns the locator of the grade card attached to that turn."""
    from playwright.sync_api import expect

    conv = page.locator(f"#{prefix}conversation")
    idx = conv.locator(".msg.q.pending").get_attribute("data-idx")
    box = page.locator(f"#{prefix}answer textarea")
    box.fill(text)
    if ctrl_enter:
        box.press("Control+Enter")
    else:
        page.locator(f"#{prefix}submit").click()
    card = conv.locator(f'details.turn-grade[data-idx="{idx}"] .grade-card')
    expect(card).to_be_visible()
    expect(conv.locator(f'.msg.a[data-idx="{idx}"]')).to_contain_text(text[:40])
    return card


def newest_question_in_view(page, prefix: str = "") -> dict:
    """Wait until the newest question of the conversation lies inside the viewport; return its bounding box."""
    sel = f"#{prefix}conversation .msg.q.pending"
    page.wait_for_function(
        """(sel) => { const q = document.querySelector(sel); if (!q) return false;
                      const r = q.getBoundingClientRect(); return r.top >= 0 && r.bottom <= window.innerHeight; }""",
        arg=sel, timeout=10_000)
    box = page.locator(sel).bounding_box()
    vh = page.viewport_size["height"]
    assert box and 0 <= box["y"] and box["y"] + box["height"] <= vh, (box, vh)
    return box


def enabled(page, *ids: str) -> dict[str, bool]:
    return {i: page.locator(f"#{i}").is_enabled() for i in ids}


VAGUE = "Not sure, it depends on the system. I would look into it."


def test_conversation_keeps_the_newest_question_in_view_with_each_grade_card_on_its_turn(browser, app_url, tmp_path):
    from playwright.sync_api import expect

    ctx = browser.new_context(viewport={"width": 1280, "height": 800})  # short: the conversation outgrows it
    ctx.set_default_timeout(60_000)
    page = ctx.new_page()
    page.goto(app_url)
    expect(page.locator("#start")).to_be_enabled(timeout=180_000)
    try:
        sid = start_interview(page, 2)
        first = page.locator("#conversation .msg.q.pending")
        expect(first.locator(".who")).to_contain_text("Q1 of 2")
        a1 = ("I would start from the boundary: I have not run UCX over RDMA in production. I know the UCP layer, "
              "transports such as shared memory and TCP, and I would measure latency and bandwidth with ucx_perftest.")
        card = answer(page, a1, ctrl_enter=True)  # Ctrl+Enter sends the answer
        expect(card).to_contain_text("/ 5")
        expect(card).to_contain_text("Key points")
        expect(card).to_contain_text("How to say it")
        assert card.locator("h4", has_text="How to say it").count() == 1  # printed once
        assert card.locator(".answer").count() == 0  # the answer is shown once, in the conversation
        # The card is attached to its turn: it comes right after that turn's answer.
        follows = page.evaluate("""() => { const d = document.querySelector('#conversation details.turn-grade');
            const a = d.previousElementSibling; return [a.className, a.dataset.idx, d.dataset.idx]; }""")
        assert follows[0] == "msg a" and follows[1] == follows[2]
        conv = page.locator("#conversation .conv")
        boxes = []
        for n in range(2, 8):  # after every answer the newest question is in view, follow-ups included
            if conv.get_attribute("data-phase") == "done":
                break
            boxes.append(newest_question_in_view(page))
            label = page.locator("#conversation .msg.q.pending .who").inner_text()
            assert label.startswith("Q2 of 2") or "follow-up" in label, label
            answer(page, f"Answer {n}: a cache line is 64 bytes; false sharing happens when two cores write to "
                         "different variables on the same line, so I would pad or align the structures.")
        assert len(boxes) >= 2 and page.evaluate("() => window.scrollY") > 0  # the page did have to scroll
        # Only the newest grade card is open; the earlier ones are collapsed on their turns.
        opened = page.locator("#conversation details.turn-grade[open]")
        expect(opened).to_have_count(1)
        expect(page.locator("#conversation details.turn-grade").first).not_to_have_attribute("open", "")

        if page.locator("#end").is_enabled():
            page.locator("#end").click()
        summary = page.locator("#summary .summary-card")
        expect(summary).to_be_visible()
        expect(summary).to_contain_text("Scores per JD area")
        expect(summary).to_contain_text("Weakest points")
        shot = tmp_path / "graded-turn.png"
        page.screenshot(path=str(shot), full_page=True)
        assert shot.stat().st_size > 10_000

        # Replay: the session is listed, its transcript shows the graded answers, exports download.
        page.get_by_role("tab", name="Replay").click()
        expect(page.locator("#sessions-list")).to_contain_text(sid)
        dd = page.locator("#replay-session input")
        dd.click()
        page.get_by_role("option", name=sid).click()
        tr = page.locator(f'#replay-transcript .transcript[data-session="{sid}"]')
        expect(tr).to_be_visible()
        expect(page.locator("#replay-transcript")).to_contain_text("Answer 2")
        expect(page.locator("#replay-transcript")).to_contain_text("Q1 of 2")
        assert page.locator("#replay-transcript details.turn-grade").count() >= 2
        page.locator("#replay-export").click()
        expect(page.locator(f'#replay-files a[href$="interview-{sid}.md"]')).to_have_count(1)
        expect(page.locator(f'#replay-files a[href$="interview-{sid}.json"]')).to_have_count(1)
        page.locator("#replay-regrade").click()
        expect(page.locator("#replay-deltas")).to_contain_text("delta")

        # Progress draws its plots; Knowledge shows the coloured match table, each skill name once.
        page.get_by_role("tab", name="Progress").click()
        expect(page.locator("#progress-radar img, #progress-radar canvas, #progress-radar svg").first).to_be_visible()
        expect(page.locator("#progress-weakest")).to_contain_text("Weakest key points")
        page.get_by_role("tab", name="Knowledge").click()
        expect(page.locator("#knowledge-match td[data-level] .badge").first).to_be_visible()
        first_skill = page.locator("#knowledge-match tr:nth-child(2) td:first-child").inner_text()
        assert first_skill.count("AI inference / model serving") == 1, first_skill
    finally:
        ctx.close()


def test_buttons_follow_the_phase_and_drill_now_asks_a_follow_up_on_a_missed_point(browser, app_url):
    """Idle: only Start. Asking: Submit, Skip, End. Finished after a weak answer: only Drill the weak answers
    now, which asks at once a follow-up aimed at a key point the answer missed (the bank's follow-up for that
    point, or a question built from it)."""
    from gradio_client import Client
    from playwright.sync_api import expect

    from interviewer.knowledge import load_knowledge

    ids = ("submit", "skip", "end", "drill-now")
    ctx, page = open_app(browser, app_url)
    try:
        assert enabled(page, *ids) == dict.fromkeys(ids, False)
        sid = start_interview(page, 1, focus="ucx")
        expect(page.locator("#submit")).to_be_enabled()
        assert enabled(page, *ids) == {"submit": True, "skip": True, "end": True, "drill-now": False}
        answer(page, VAGUE)
        page.locator("#end").click()
        expect(page.locator("#conversation .conv")).to_have_attribute("data-phase", "done")
        expect(page.locator("#drill-now")).to_be_enabled()
        assert enabled(page, *ids) == {"submit": False, "skip": False, "end": False, "drill-now": True}
        summary = page.locator("#summary .summary-card")
        expect(summary).to_contain_text("Weakest points")
        expect(summary.locator("ol li").first).to_contain_text("missed")

        main = Client(app_url, verbose=False).predict(sid, api_name="/replay_session")["turns"][0]
        missed = [i for i, k in enumerate(main["grade"]["key_points"]) if k["status"] in ("missed", "contradicted")]
        q = load_knowledge(ROOT / "knowledge").question(main["question_id"])
        expected = {f.question for f in q.follow_ups if f.key_point in missed}

        page.locator("#drill-now").click()
        pend = page.locator("#conversation .msg.q.follow-up.pending")
        expect(pend).to_have_count(1)
        expect(page.locator("#status")).to_contain_text("Drilling")
        assert page.locator("#conversation .conv").get_attribute("data-session") != sid
        expect(pend.locator(".who")).to_contain_text("Drill 1 of")
        text = pend.inner_text().split("\n", 1)[-1].strip()
        assert text in expected or q.question in text, (text, expected)  # the bank's follow-up, or one built
        assert enabled(page, *ids) == {"submit": True, "skip": True, "end": True, "drill-now": False}
    finally:
        ctx.close()


def test_chinese_guidance_renders_with_a_cjk_font_not_tofu(browser, app_url):
    """The 中文 guidance of a grade card: two characters of very different ink (一 and 鬱) drawn in the card's
    Chinese font must differ in dark pixels; missing glyphs would both be the same empty box."""
    import io

    from PIL import Image
    from playwright.sync_api import expect

    ctx, page = open_app(browser, app_url)
    try:
        start_interview(page, 1, focus="ucx")
        card = answer(page, VAGUE)
        card.locator("details.zh summary").click()
        zh = card.locator('details.zh [lang="zh-CN"]')
        expect(zh).to_be_visible()
        assert any("\u4e00" <= ch <= "\u9fff" for ch in zh.inner_text())
        ink = {}
        for ch in ("一", "鬱"):
            page.evaluate("""([ch]) => { const host = document.querySelector('#conversation details.zh [lang="zh-CN"]');
                let s = document.getElementById('glyph-probe');
                if (!s) { s = document.createElement('span'); s.id = 'glyph-probe'; host.appendChild(s); }
                s.style.cssText = 'font-size:64px;line-height:1;display:inline-block;color:#000;background:#fff';
                s.textContent = ch; }""", [ch])
            img = Image.open(io.BytesIO(page.locator("#glyph-probe").screenshot())).convert("L")
            ink[ch] = sum(1 for v in img.getdata() if v < 128)
        assert ink["鬱"] > 3 * max(ink["一"], 1), ink
    finally:
        ctx.close()


def test_script_in_answer_is_shown_escaped_and_never_runs(browser, app_url):
    from playwright.sync_api import expect

    ctx, page = open_app(browser, app_url)
    try:
        start_interview(page, 1)
        answer(page, XSS)
        expect(page.locator("#conversation .msg.a")).to_contain_text("<script>window.__xss=1</script>")
        expect(page.locator("#conversation .msg.a")).to_contain_text('<img src=x onerror="window.__xss_img=1">')
        expect(page.locator("#conversation .msg.a")).to_contain_text("${window.__xss_tpl=1} **bold**")
        assert page.locator("#conversation script, #conversation img").count() == 0
        flags = page.evaluate("() => [window.__xss, window.__xss_img, window.__xss_tpl]")
        assert flags == [None, None, None], flags
        # Still inert after it is rendered again in Replay.
        page.get_by_role("tab", name="Replay").click()
        expect(page.locator("#replay-transcript .transcript")).to_be_visible()
        expect(page.locator("#replay-transcript")).to_contain_text("<script>window.__xss=1</script>")
        assert page.evaluate("() => [window.__xss, window.__xss_img, window.__xss_tpl]") == [None, None, None]
    finally:
        ctx.close()


def test_two_browser_contexts_do_not_see_each_other(browser, app_url):
    from playwright.sync_api import expect

    ctx_a, a = open_app(browser, app_url)
    ctx_b, b = open_app(browser, app_url)
    try:
        sid_a = start_interview(a, 2)
        sid_b = start_interview(b, 2)
        assert sid_a != sid_b
        a.locator("#answer textarea").fill("ALPHA-7731 answer: NCCL picks ring or tree by message size.")
        b.locator("#answer textarea").fill("BRAVO-4412 answer: UCX selects transports through UCP.")
        a.locator("#submit").click()
        b.locator("#submit").click()
        for page, mine, other, sid in ((a, "ALPHA-7731", "BRAVO-4412", sid_a), (b, "BRAVO-4412", "ALPHA-7731", sid_b)):
            expect(page.locator("#conversation details.turn-grade .grade-card")).to_have_count(1)
            expect(page.locator("#conversation .msg.a")).to_contain_text(mine)
            expect(page.locator("#conversation .conv")).to_have_attribute("data-session", sid)
            assert other not in page.locator("#conversation").inner_text()
        # A fresh tab of the same browser context starts with no interview of its own.
        c = ctx_a.new_page()
        c.goto(app_url)
        c.locator("#start").wait_for(state="visible")
        expect(c.locator("#conversation")).to_contain_text("Press Start")
        assert "ALPHA-7731" not in c.locator("body").inner_text()
    finally:
        ctx_a.close()
        ctx_b.close()


def test_drill_tab_and_knowledge_upload_reindex(browser, app_url, tmp_path):
    from playwright.sync_api import expect

    ctx, page = open_app(browser, app_url)
    try:
        # The weak answers above put questions in the drill queue, due tomorrow: the Drill tab says when.
        page.get_by_role("tab", name="Drill").click()
        expect(page.locator("#due-list")).to_contain_text("Nothing is due now. Next:")
        expect(page.locator('#due-list tr[data-due-now="false"]').first).to_contain_text("in 1 day")
        page.locator("#drill-start").click()
        expect(page.locator("#drill-conversation .msg.q.pending, #drill-status:has-text('nothing is due')")
               .first).to_be_visible()

        # Replace the JD with an uploaded Markdown file and re-index: the new title shows in the Knowledge tab.
        jd = (ROOT / "knowledge" / "jd.md").read_text(encoding="utf-8")
        new = tmp_path / "new-jd.md"
        new.write_text(jd.replace("title: System Software Architect", "title: <b>Uploaded</b><script>window.__kxss=1</script> Systems Architect", 1),
                       encoding="utf-8")
        page.get_by_role("tab", name="Knowledge").click()
        expect(page.locator("#knowledge-match .match-table")).to_be_visible()
        page.locator("#knowledge-upload input[type=file]").set_input_files(str(new))
        expect(page.locator("#knowledge-upload")).to_contain_text("new-jd.md")
        page.locator("#knowledge-reindex").click()
        expect(page.locator("#knowledge-status")).to_contain_text("Replaced jd.md", timeout=120_000)
        page.get_by_text("Job description", exact=True).click()
        expect(page.locator("#knowledge-jd")).to_contain_text("<b>Uploaded</b><script>window.__kxss=1</script>")
        assert page.evaluate("() => window.__kxss") is None  # markup in a knowledge file is shown, never run
        assert (ROOT / "knowledge" / "jd.md").read_text(encoding="utf-8") == jd  # the repo copy is untouched
    finally:
        ctx.close()


# --------------------------------------------------------------------------- loading, persona, resume


class _FakeLLMServer:
    """A loopback OpenAI-compatible stub whose /v1/models answers only once the test opens the gate, so the
    app's background load stops, deterministically, at "loading the model"; or answers 503 (fail=True)."""

    def __init__(self, fail: bool = False):
        self.gate = threading.Event()
        self.fail = fail
        outer = self

        class H(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                outer.gate.wait(170)
                if outer.fail:
                    self.send_response(503)
                    self.end_headers()
                    return
                body = json.dumps({"object": "list", "data": [{"id": "stub-model", "object": "model", "created": 0,
                                                                 "owned_by": "test"}]}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *a):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", free_port()), H)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.gate.set()
        self.httpd.shutdown()
        self.httpd.server_close()


def test_page_shows_loading_progress_until_the_engine_is_ready(browser, tmp_path):
    from gradio_client import Client
    from gradio_client.exceptions import AppError
    from playwright.sync_api import expect

    llm = _FakeLLMServer()
    app = AppProcess(tmp_path / "data", ["--llm-url", llm.url])
    url = app.url
    try:
        ctx, page = open_page(browser, url)  # served before the engine is loaded
        loading = page.locator("#loading .loading")
        expect(loading).to_contain_text("Loading")
        expect(page.locator("#start")).to_be_disabled()
        page.get_by_text("Resume an unfinished session").click()
        expect(page.locator("#resume")).to_be_disabled()
        expect(page.locator("#model-info")).to_contain_text("loading")
        # The index is built (with progress), then the load waits for the stub server at "loading the model".
        expect(loading).to_have_attribute("data-progress", "65", timeout=180_000)
        expect(loading).to_contain_text("loading the model")
        expect(page.locator("#start")).to_be_disabled()

        c = Client(url, verbose=False)
        st = c.predict(api_name="/loading_status")
        assert st["ready"] is False and st["progress"] == 0.65 and st["error"] is None
        job = c.submit(api_name="/list_sessions")  # the named endpoints wait for the engine
        assert not job.done()
        llm.gate.set()
        assert job.result(timeout=180) == []
        expect(page.locator("#start")).to_be_enabled(timeout=60_000)
        expect(page.locator("#loading")).not_to_contain_text("Loading")
        expect(page.locator("#model-info")).to_contain_text("openai-compatible")
        expect(page.locator("#model-info")).to_contain_text("stub-model")
        assert c.predict(api_name="/loading_status")["ready"] is True
        ctx.close()
    finally:
        app.stop()
        llm.close()

    # A load that fails is shown in the page and reported by the API; Start stays disabled.
    bad = _FakeLLMServer(fail=True)
    bad.gate.set()
    app = AppProcess(tmp_path / "data", ["--llm-url", bad.url])
    url = app.url
    try:
        ctx, page = open_page(browser, url)
        expect(page.locator("#loading .loading.failed")).to_contain_text("Loading failed", timeout=180_000)
        expect(page.locator("#loading")).to_contain_text("cannot reach the model server")
        expect(page.locator("#start")).to_be_disabled()
        with pytest.raises(AppError, match="failed to load"):
            Client(url, verbose=False).predict("full", "", 1, api_name="/start_interview")
        ctx.close()
    finally:
        app.stop()
        bad.close()


def test_persona_dropdown_and_model_in_use(browser, app_url):
    from playwright.sync_api import expect

    ctx, page = open_app(browser, app_url)
    try:
        info = page.locator("#model-info")
        expect(info).to_contain_text("llama-cpp-python")
        expect(info).to_contain_text(".gguf")
        expect(info).to_contain_text("layers on the GPU")
        expect(info).to_contain_text("GPU offload")
        dd = page.locator("#persona input")
        expect(dd).to_have_value("nvidia architect")
        dd.click()
        for name in ("hiring manager", "principal deep dive", "nvidia architect"):
            expect(page.get_by_role("option", name=name)).to_have_count(1)
        page.get_by_role("option", name="hiring manager").click()
        expect(dd).to_have_value("hiring manager")
        start_interview(page, 1)
        answer(page, "I would measure first with nccl-tests, then read NCCL_DEBUG=INFO output.")
    finally:
        ctx.close()


def test_resume_an_unfinished_session_after_a_restart(browser, tmp_path):
    """Half an interview through the API, the app stopped and started again on the same data dir: the
    Interview tab lists the session as unfinished and resumes it at the pending turn with the earlier turn."""
    from gradio_client import Client
    from playwright.sync_api import expect

    with AppProcess(tmp_path / "data") as app:
        c = Client(app.url, verbose=False)
        r = c.predict("full", "", 2, api_name="/start_interview")
        sid = r["session_id"]
        first = "RESUME-1 first answer: ring all-reduce is bandwidth-optimal, tree has log latency."
        out = c.predict(sid, first, api_name="/submit_answer")
        assert not out["done"]
        pending_idx, pending_q = out["next"]["idx"], out["next"]["question"]

    with AppProcess(tmp_path / "data") as app:
        url = app.url
        ctx, page = open_app(browser, url)
        page.get_by_text("Resume an unfinished session").click()
        dd = page.locator("#resume-session input")
        dd.click()
        page.get_by_role("option", name=sid).click()
        page.locator("#resume").click()
        expect(page.locator("#conversation .conv")).to_have_attribute("data-session", sid)
        expect(page.locator("#conversation .msg.a")).to_have_count(1)
        expect(page.locator("#conversation .msg.a")).to_contain_text("RESUME-1")
        pend = page.locator("#conversation .msg.q.pending")
        expect(pend).to_have_count(1)
        expect(pend).to_have_attribute("data-idx", str(pending_idx))
        expect(pend).to_contain_text(pending_q[:60])
        newest_question_in_view(page)
        answer(page, "RESUME-2 second answer after the restart: I would pad the structure to a cache line.")
        tr = Client(url, verbose=False).predict(sid, api_name="/replay_session")
        by_idx = {t["idx"]: t for t in tr["turns"]}
        assert by_idx[0]["answer"] == first
        assert by_idx[pending_idx]["answer"].startswith("RESUME-2") and by_idx[pending_idx]["grade"]
        ctx.close()
