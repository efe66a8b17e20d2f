#!/usr/bin/env bash
# bench/device-train-bench.sh — bench/train_speed.py on a lent GPU machine (the device tool), in one call.
# This script is for that machine: it runs its system python3, which has PyTorch but no diffusers. Carry
# them as wheels in .whl (git-ignored via .git/info/exclude), built for its Python 3.12:
#   python3 -m pip download --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
#     --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 -d .whl \
#     diffusers==0.42.1 peft==0.21.2 transformers==5.24.0 importlib_metadata==10.2.0 regex==2026.12.2
# then run (carry [".whl"]):  bash bench/device-train-bench.sh --batch-sizes 1 --compile
# Arguments go to bench/train_speed.py (`--help` lists them). The wheels are installed into a temporary
# folder, removed at the end. Output (train.log) and the JSON results (train.json) go to $OUT (the device
# tool's return folder) when set, else to /tmp/train-bench. On a machine without a GPU, run
# `trainer/.venv/bin/python bench/train_speed.py` instead (the tiny CPU config).
set -euo pipefail
cd "$(dirname "$0")/.."
out="${OUT:-/tmp/train-bench}"
fail() {
  echo "device-train-bench: $1" >&2
  echo "  This script is for the lent GPU machine: its python3 has torch; diffusers, peft, transformers," >&2
  echo "  importlib_metadata and regex come as cp312 wheels in .whl/ (the pip download command is in this" >&2
  echo "  script's header; carry [\".whl\"]). Elsewhere run: trainer/.venv/bin/python bench/train_speed.py" >&2
  exit 1
}
command -v python3 >/dev/null || fail "no python3 on PATH"
python3 -c "import torch" 2>/dev/null || fail "python3 ($(command -v python3)) has no torch"
site=""
trap '[ -z "$site" ] || rm -rf "$site"' EXIT
have_libraries() { python3 -c "import diffusers, peft, transformers" 2>/dev/null; }
if compgen -G ".whl/*.whl" >/dev/null; then
  if python3 -c "import sys; sys.exit(sys.version_info[:2] != (3, 12))"; then
    site="$(mktemp -d "${TMPDIR:-/tmp}/train-bench-site.XXXXXX")"
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target "$site" .whl/*.whl
    export PYTHONPATH="$site"
  elif have_libraries; then
    echo "device-train-bench: python3 is not 3.12, so the cp312 wheels in .whl/ are not installed; using its own diffusers"
  else
    fail "the wheels in .whl/ are for Python 3.12; python3 here is $(python3 -c 'import platform; print(platform.python_version())')"
  fi
fi
have_libraries || fail "python3 cannot import diffusers, peft and transformers$(compgen -G '.whl/*.whl' >/dev/null || echo ' (no wheels in .whl/)')"
mkdir -p "$out"
if command -v nvidia-smi >/dev/null; then
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
else
  echo "device-train-bench: no nvidia-smi here (train_speed.py says whether torch sees a GPU)"
fi
python3 -c "import torch, diffusers, peft, transformers; print('torch', torch.__version__, '| diffusers', diffusers.__version__, '| peft', peft.__version__, '| transformers', transformers.__version__)"
# perf_hints: inductor says why it skipped CUDA graphs for a compiled step, if it does.
export PYTHONUNBUFFERED=1 TORCH_LOGS="${TORCH_LOGS:-perf_hints}"
python3 bench/train_speed.py --json "$out/train.json" "$@" 2>&1 | tee "$out/train.log"
