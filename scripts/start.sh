#!/usr/bin/env bash
# Installs what NanoKimi needs and runs the daemon in the foreground (Ctrl-C stops it).
# For a service that survives logout, see docs/OPERATIONS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/node-env.sh
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-fund --no-audit
  npm ci --no-fund --no-audit --prefix container/agent-runner
fi
if [ ! -f .env ]; then
  cp .env.example .env
  echo "nanokimi: created .env from .env.example; edit it to change the assistant's name and limits." >&2
fi
# The same compile cache, malloc arenas and Node flags as the systemd unit
# (systemd/nanokimi.service says why).
export NODE_COMPILE_CACHE="$NANOKIMI_COMPILE_CACHE"
export MALLOC_ARENA_MAX=2
scripts/warm-compile-cache.sh
read -ra flags <<< "$(scripts/daemon-node-flags.sh)"
exec node "${flags[@]}" src/cli.ts start
