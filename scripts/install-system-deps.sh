#!/usr/bin/env bash
# scripts/install-system-deps.sh — Debian packages toonlora's tests and examples need:
# fonts-noto-cjk (Korean/Japanese glyphs in the drawn example panels) and chromium (browser tests).
# Installs only what is missing; without root it says what to install and carries on.
set -euo pipefail
need=()
fc-list 2>/dev/null | grep -qi 'Noto Sans CJK' || need+=(fonts-noto-cjk)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "install-system-deps: missing ${need[*]}; install them with your package manager (tests that need them will fail)." >&2
  exit 0
fi
echo "install-system-deps: apt-get install ${need[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fc-cache -f >/dev/null 2>&1 || true
