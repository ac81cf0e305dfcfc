#!/usr/bin/env bash
# Set up a virtual environment in .venv with everything the app and the tests need.
#
# torch is installed first, as the CPU build: PyPI's torch==2.13.0 is the CUDA build, which pulls ~3 GB of
# NVIDIA libraries. It comes from PyTorch's CPU wheel index when that answers within a few seconds, else
# from the default index (where some machines, like ours, have a local CPU wheel). The app answers on
# ONNX Runtime (the [onnx] extra) without importing torch; torch exports the model to ONNX once, and is
# the fallback embedder (`--embedder torch`).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3.11}
command -v "$PYTHON" >/dev/null || PYTHON=python3
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
. .venv/bin/activate
export PIP_DISABLE_PIP_VERSION_CHECK=1
TORCH=${QA_TORCH:-torch==2.13.0}
TORCH_CPU_INDEX=${QA_TORCH_CPU_INDEX:-https://download.pytorch.org/whl/cpu}
quiet() { "$@" 2>&1 | grep -v "^WARNING: Location" || true; }

if python -c "import torch, sys; sys.exit(torch.__version__.split('+')[0] != '$TORCH'.split('==')[1])" 2>/dev/null; then
  :  # already there
elif python - "$TORCH_CPU_INDEX" <<'PY'
import sys, urllib.request
try:  # fail fast: pip would retry an unreachable index for minutes
    urllib.request.urlopen(sys.argv[1].rstrip("/") + "/torch/", timeout=5).close()
except Exception as exc:
    print(f"setup: PyTorch's CPU wheel index is not reachable ({type(exc).__name__}); torch from the default index",
          file=sys.stderr)
    sys.exit(1)
PY
then
  echo "setup: torch (CPU build) from $TORCH_CPU_INDEX" >&2
  pip install -q --no-deps --index-url "$TORCH_CPU_INDEX" "$TORCH"  # its dependencies come from the default index
fi
quiet pip install -q "$TORCH"
quiet pip install -q -e ".[onnx,eval,milvus,distributed,bench,test,multilingual]"
python - <<'PY'
import sys
import torch, onnxruntime, qa  # noqa: F401
if not torch.__version__.startswith("2.13.0"):
    sys.exit(f"setup: torch {torch.__version__} installed, 2.13.0 expected")
build = f"CUDA {torch.version.cuda} build (large)" if torch.version.cuda else "CPU build"
print(f"setup: torch {torch.__version__} ({build}), onnxruntime {onnxruntime.__version__}", file=sys.stderr)
PY
