#!/usr/bin/env bash
# bench/device-train-bench.sh — bench/train_speed.py on a lent GPU machine (the device tool), in one call.
# That machine has PyTorch but no diffusers: carry them as wheels in .whl (git-ignored via .git/info/exclude):
#   python3 -m pip download --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
#     --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 -d .whl \
#     diffusers==0.42.1 peft==0.21.2 transformers==5.24.0 importlib_metadata==10.2.0 regex==2026.12.2
# then run (carry [".whl"]):  bash bench/device-train-bench.sh --batch-sizes 1 --compile
# Output and the JSON results go to $OUT (the device tool's return folder) when set.
set -euo pipefail
cd "$(dirname "$0")/.."
out="${OUT:-/tmp/train-bench}"
mkdir -p "$out"
if compgen -G ".whl/*.whl" >/dev/null; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl
  export PYTHONPATH=/tmp/site
fi
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
python3 -c "import torch, diffusers, peft, transformers; print('torch', torch.__version__, '| diffusers', diffusers.__version__, '| peft', peft.__version__, '| transformers', transformers.__version__)"
# perf_hints: inductor says why it skipped CUDA graphs for a compiled step, if it does.
export PYTHONUNBUFFERED=1 TORCH_LOGS="${TORCH_LOGS:-perf_hints}"
python3 bench/train_speed.py --json "$out/train.json" "$@" 2>&1 | tee "$out/train.log"
