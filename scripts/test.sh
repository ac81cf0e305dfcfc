#!/usr/bin/env bash
# Set up everything (venv, Python packages, Chromium for the browser tests), run the test suite, then
# guard the evaluation numbers (measured values minus a small margin; see README "Evaluation").
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
if [ ! -x /usr/bin/chromium ] && [ "$(id -u)" = 0 ]; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
    || echo "warning: could not install chromium; browser tests will be skipped" >&2
fi
export HF_HUB_OFFLINE=1 GRADIO_ANALYTICS_ENABLED=False
.venv/bin/python -m pytest -q "$@"
.venv/bin/qa eval --split test --configs full --no-report --index-dir "${TMPDIR:-/tmp}/qa-ci-eval-index" \
  --fail-under passage_recall@5=0.80 --fail-under answer_hit=0.72 --fail-under conflict_recall=0.82 \
  --fail-under verbatim=1.0 --fail-under citation_correct=1.0 --fail-under abstention_recall_off_topic=0.85 \
  --fail-under conflict_precision=0.90 --fail-under spelling_agreement=0.90 --fail-under abstention_recall_near_miss=0.30 \
  --fail-over false_abstention=0.05 --fail-over furniture_rate=0.0 > /dev/null
echo "evaluation guard: passed"
