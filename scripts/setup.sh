#!/usr/bin/env bash
# Set up a virtual environment in .venv with everything the app and the tests need.
# torch is installed first, pinned to the CPU wheel: an unpinned torch pulls a multi-GB CUDA build.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3.11}
command -v "$PYTHON" >/dev/null || PYTHON=python3
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
. .venv/bin/activate
export PIP_DISABLE_PIP_VERSION_CHECK=1
pip install -q torch==2.13.0 2>&1 | grep -v "^WARNING: Location" || true
pip install -q -e ".[eval,milvus,distributed,bench,test]" 2>&1 | grep -v "^WARNING: Location" || true
python -c "import qa, torch; assert torch.__version__.startswith('2.13.0'), torch.__version__"
