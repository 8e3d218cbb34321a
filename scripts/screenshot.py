"""Regenerate docs/screenshot.png: a graded turn in the browser app.

    python scripts/screenshot.py [--out docs/screenshot.png]

Starts `python app.py` on a free port with a throw-away data dir and the real default model, answers the
first question in Debian's Chromium (/usr/bin/chromium, driven by Playwright), and captures the page.
"""

from __future__ import annotations

import argparse
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
ANSWER = (
    "NCCL picks its algorithm per collective from the message size and the topology: ring all-reduce is "
    "bandwidth-optimal for large messages, tree has logarithmic latency for small ones. Inside a node it "
    "uses NVLink and P2P, across nodes InfiniBand or RoCE with GPUDirect RDMA. I have not tuned NCCL on a "
    "large cluster myself; I would start with nccl-tests and NCCL_DEBUG=INFO to see which rings and "
    "transports it chose, then measure bus bandwidth against the link speed."
)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshot.png")
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
            page.locator("#answer textarea").fill(ANSWER)
            page.locator("#answer textarea").press("Control+Enter")
            card = page.locator("#grade-card .grade-card")
            expect(card).to_be_visible()
            page.locator("#conversation").scroll_into_view_if_needed()
            args.out.parent.mkdir(parents=True, exist_ok=True)
            box_card = card.bounding_box()
            top = 0
            bottom = box_card["y"] + min(box_card["height"], 760)
            page.set_viewport_size({"width": 1200, "height": int(bottom + 40)})
            page.screenshot(path=str(args.out), clip={"x": 0, "y": top, "width": 1200, "height": bottom - top})
            b.close()
        print(f"wrote {args.out}")
    finally:
        if app is not None:
            app.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
