#!/usr/bin/env bash
# System Chromium for the dashboard browser tests (tests/dashboards.browser.test.ts), from the distribution's
# packages: never a browser download. Idempotent: does nothing when it is already installed.
# Also installs a small CJK font (WenQuanYi Micro Hei) so the Chinese default UI renders in screenshots.
set -euo pipefail

CHROMIUM=/usr/bin/chromium
need=()
[[ -x "$CHROMIUM" ]] || need+=(chromium)
if command -v fc-list >/dev/null 2>&1 && [[ -n "$(fc-list :lang=zh 2>/dev/null | head -n 1)" ]]; then
  :
else
  need+=(fonts-wqy-microhei)
fi

if ((${#need[@]} > 0)); then
  SUDO=""
  if [[ "$(id -u)" -ne 0 ]]; then
    if command -v sudo >/dev/null 2>&1; then
      SUDO="sudo"
    else
      echo "setup-chromium: need root (or sudo) to apt-get install ${need[*]}" >&2
      exit 1
    fi
  fi
  echo "setup-chromium: installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

if [[ ! -x "$CHROMIUM" ]]; then
  echo "setup-chromium: $CHROMIUM is still missing after apt-get install chromium" >&2
  exit 1
fi
# The Debian wrapper script may print noise on stderr; only the version line matters.
"$CHROMIUM" --version 2>/dev/null
