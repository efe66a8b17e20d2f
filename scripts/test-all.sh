#!/usr/bin/env bash
# scripts/test-all.sh — THE test command (README, .ci/run): installs what the tests need on a fresh
# machine (Debian packages, Node packages, the Python worker env), then runs every check:
# strict tsc, biome lint, vitest (all TypeScript), pytest (trainer/).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-system-deps.sh
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
status=0
echo "== Python worker environment (toonlora setup --dev)"
python_ok=1
./toonlora setup --dev || { echo "setup failed: the Python tests and the TypeScript tests that start the worker will fail" >&2; python_ok=0; status=1; }
echo "== typecheck (tsc --strict)"
npx tsc -p tsconfig.json --noEmit || status=1
echo "== lint (biome)"
npx biome lint src scripts bench test web/src || status=1
echo "== web app build (vite; the browser tests load web/dist)"
npm run build:web --silent || status=1
echo "== TypeScript tests (vitest)"
npx vitest run || status=1
if [ -d trainer/tests ] && [ "$python_ok" = 1 ]; then
  echo "== Python tests (pytest)"
  trainer/.venv/bin/python -m pytest trainer/tests -q || status=1
fi
exit $status
