#!/usr/bin/env bash
# scripts/install-system-deps.sh — Debian packages toonlora's tests and examples need:
# fonts-noto-cjk (Korean/Japanese glyphs in the drawn example panels), chromium (browser tests), and
# python3 + python3-venv (`toonlora setup` creates the worker venv; Debian splits ensurepip out).
# Installs only what is missing; without root it says what to install and carries on.
set -euo pipefail
need=()
fc-list 2>/dev/null | grep -qi 'Noto Sans CJK' || need+=(fonts-noto-cjk)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
py="${TOONLORA_PYTHON:-python3}"
if ! command -v "$py" >/dev/null 2>&1; then
  need+=(python3 python3-venv)
elif ! "$py" -c 'import ensurepip, venv' >/dev/null 2>&1; then
  need+=(python3-venv)
fi
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
