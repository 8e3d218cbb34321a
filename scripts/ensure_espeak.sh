#!/usr/bin/env bash
# Installs Debian's espeak-ng, the offline voice that reads the spoken-answer test and eval clips
# (scripts/make_asr_clips.py); the app itself does not need it.
set -eu
if command -v espeak-ng >/dev/null; then exit 0; fi
SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq espeak-ng >/dev/null
espeak-ng --version
