#!/usr/bin/env bash
# Installs Debian's Chromium for the real-browser tests (never a browser download by a test tool), and a CJK
# font (Debian's fonts-noto-cjk) so that the Chinese guidance renders as glyphs, not as empty boxes.
set -eu
missing=""
[ -x /usr/bin/chromium ] || missing="$missing chromium"
dpkg -s fonts-noto-cjk >/dev/null 2>&1 || missing="$missing fonts-noto-cjk"
if [ -z "$missing" ]; then exit 0; fi
SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
$SUDO apt-get update -qq
# shellcheck disable=SC2086  # the package list is meant to split into words
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing >/dev/null
/usr/bin/chromium --version
fc-list :lang=zh family | head -1
