"""Offline text to speech with Debian's espeak-ng: the interviewer's question read aloud on request, and the
spoken clips of the voice tests and eval."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from interviewer.speech import SpeechError

VOICE = "en-us"
RATE_WPM = 150  # espeak-ng's -s: words per minute; 150 is an unhurried interviewer


def espeak() -> str:
    """The espeak-ng binary, or SpeechError naming the package to install."""
    exe = shutil.which("espeak-ng")
    if not exe:
        raise SpeechError("espeak-ng is not installed, so nothing can be read aloud: apt-get install espeak-ng "
                          "(Debian/Ubuntu)")
    return exe


def synthesize(text: str, dest: Path, voice: str = VOICE, rate: int = RATE_WPM, ssml: bool = False) -> Path:
    """Speak text (or SSML) into dest as WAV; the file appears whole or not at all."""
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_suffix(".partial.wav")
    cmd = [espeak(), "-v", voice, "-s", str(rate), "-w", str(tmp)] + (["-m"] if ssml else []) + [" ".join(text.split())]
    try:
        subprocess.run(cmd, check=True, capture_output=True, timeout=120)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as e:
        raise SpeechError(f"espeak-ng could not read the text aloud: {getattr(e, 'stderr', b'') or e}") from e
    tmp.replace(dest)
    return dest
