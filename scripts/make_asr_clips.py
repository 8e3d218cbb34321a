"""Build the spoken-answer clips of eval/data/asr/clips.yaml with espeak-ng (Debian package espeak-ng):
one 16 kHz WAV per clip, named by a hash of its text, voice and rate, so a rebuild only makes what changed."""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script from anywhere

from interviewer import tts  # noqa: E402
SPEC = ROOT / "eval" / "data" / "asr" / "clips.yaml"
OUT = ROOT / "eval" / "results" / "tmp" / "asr_clips"  # git-ignored: the clips are rebuilt, never committed


def synthesize(text: str, dest: Path, voice: str, rate: int, ssml: bool = False) -> Path:
    """Speak text (or SSML) into dest as WAV, unless a clip of the same content is already there."""
    if dest.exists() and dest.stat().st_size > 44:
        return dest
    return tts.synthesize(text, dest, voice, rate, ssml)


def clip_name(clip_id: str, text: str, voice: str, rate: int) -> str:
    digest = hashlib.sha256(f"{voice}|{rate}|{text}".encode()).hexdigest()[:10]
    return f"{clip_id}-{digest}.wav"


def build(out: Path = OUT, spec: Path = SPEC) -> dict[str, list[dict]]:
    """Every clip of the spec as {id, question_id, path, and its text or expected delivery}."""
    data = yaml.safe_load(spec.read_text(encoding="utf-8"))
    voice, rate = data["voice"], int(data["rate_wpm"])
    clips = []
    for c in data["clips"]:
        path = synthesize(c["text"], out / clip_name(c["id"], c["text"], voice, rate), voice, rate)
        clips.append({**c, "path": str(path), "rate_wpm": rate})
    delivery = []
    for c in data.get("delivery", []):
        path = synthesize(c["ssml"], out / clip_name(c["id"], c["ssml"], voice, rate), voice, rate, ssml=True)
        delivery.append({**c, "path": str(path), "rate_wpm": rate})
    return {"clips": clips, "delivery": delivery}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", type=Path, default=OUT)
    a = ap.parse_args(argv)
    res = build(a.out)
    for c in res["clips"] + res["delivery"]:
        print(c["path"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
