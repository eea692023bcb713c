#!/usr/bin/env bash
# Installs dependencies and runs the whole test suite (type check, unit, end-to-end).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/node-env.sh
npm ci --no-fund --no-audit
npm ci --no-fund --no-audit --prefix container/agent-runner
npm test
