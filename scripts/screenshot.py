"""Regenerate the screenshots of the browser app for the README and docs/UI.md.

    python scripts/screenshot.py [--out docs/screenshot.png] [--summary-out ...] [--drill-out ...]

Starts `python app.py` on a free port with a throw-away data dir and the real default model and drives
Debian's Chromium (/usr/bin/chromium, with a CJK font: scripts/ensure_chromium.sh) through Playwright:
--out: the first question answered, its grade card open on its turn, the next question under it with the
answer box; --summary-out: the end of the session after a weak answer (summary, weakest points, Drill the
weak answers now enabled); --drill-out: the first question that Drill the weak answers now asks.
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as `python scripts/screenshot.py`: the repo root is not on the path

from eval.apprun import AppProcess  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run"]
# The captured answer: the first sentences of the asked question's model answer (some key points covered,
# the rest missed) and an honest boundary, so the card shows a mixed grade whatever the bank's first question is.
ANSWER_SENTENCES = 2
BOUNDARY = "I have not done this in production myself; I would measure it before claiming numbers."


def partial_answer(url: str, session_id: str) -> str:
    from gradio_client import Client

    from interviewer.knowledge import load_knowledge

    qid = Client(url, verbose=False).predict(session_id, api_name="/replay_session")["turns"][0]["question_id"]
    model = load_knowledge(ROOT / "knowledge").question(qid).model_answer
    return " ".join(re.split(r"(?<=[.;])\s+", model)[:ANSWER_SENTENCES] + [BOUNDARY])


WEAK = "Not sure, it depends on the system. I would look into it."
WIDTH = 1200
MAX_HEIGHT = 1500  # px: a taller capture is cut (the card's lower part is the better answer)


def shoot(page, out: Path, top_sel: str, bottom_sel: str) -> None:
    """Capture the page from the top of top_sel to the bottom of bottom_sel (at most MAX_HEIGHT px)."""
    page.set_viewport_size({"width": WIDTH, "height": 3000})
    top = page.locator(top_sel).first.bounding_box()["y"] + page.evaluate("() => window.scrollY") - 12
    bottom = page.locator(bottom_sel).first.bounding_box()
    end = bottom["y"] + bottom["height"] + page.evaluate("() => window.scrollY") + 12
    top = max(0.0, min(top, end - 200))
    page.screenshot(path=str(out), full_page=True,
                    clip={"x": 0, "y": top, "width": WIDTH, "height": min(end - top, MAX_HEIGHT)})


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshot.png")
    ap.add_argument("--summary-out", type=Path, default=ROOT / "docs" / "screenshot-summary.png")
    ap.add_argument("--drill-out", type=Path, default=ROOT / "docs" / "screenshot-drill.png")
    ap.add_argument("--focus", default="nccl_collectives", help="focus topic of the captured question")
    args = ap.parse_args()
    if not Path(CHROMIUM).exists():
        raise SystemExit(f"{CHROMIUM} is missing: apt-get install -y chromium")
    from playwright.sync_api import expect, sync_playwright

    tmp = Path(tempfile.mkdtemp(prefix="interviewer-shot-"))
    app = None
    try:
        app = AppProcess(tmp / "data", knowledge=None, cwd=ROOT)
        url = app.url
        expect.set_options(timeout=60_000)
        with sync_playwright() as p:
            b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
            page = b.new_page(viewport={"width": 1200, "height": 900}, device_scale_factor=1)
            page.goto(url)
            page.get_by_label("Focus topic").first.check()
            page.locator("#focus input").click()
            page.get_by_role("option", name=f"({args.focus})").first.click()
            num = page.locator("#n input[type=number]")
            num.fill("2")
            num.press("Tab")
            expect(page.locator("#start")).to_be_enabled(timeout=180_000)  # the engine loads in the background
            page.locator("#start").click()
            expect(page.locator("#conversation .msg.q.pending")).to_have_count(1)
            sid = page.locator("#conversation .conv").get_attribute("data-session")
            page.locator("#answer textarea").fill(partial_answer(url, sid))
            page.locator("#answer textarea").press("Control+Enter")
            expect(page.locator("#conversation details.turn-grade[open] .grade-card")).to_be_visible()
            expect(page.locator("#conversation .msg.q.pending")).to_have_count(1)
            shoot(page, args.out, "#conversation .msg.q", "#answer")

            page.locator("#answer textarea").fill(WEAK)
            page.locator("#submit").click()
            expect(page.locator("#conversation details.turn-grade")).to_have_count(2)
            page.locator("#end").click()
            expect(page.locator("#drill-now")).to_be_enabled()
            shoot(page, args.summary_out, "#submit", "#summary")
            page.locator("#drill-now").click()
            expect(page.locator("#conversation .msg.q.follow-up.pending")).to_have_count(1)
            shoot(page, args.drill_out, "#status", "#answer")
            b.close()
        print(f"wrote {args.out}, {args.summary_out} and {args.drill_out}")
    finally:
        if app is not None:
            app.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
