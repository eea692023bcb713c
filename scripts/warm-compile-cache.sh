#!/usr/bin/env bash
# Fills Node's compile cache (NODE_COMPILE_CACHE, which the unit and start.sh set) with every module
# the daemon loads at start-up, so that even its first start after an install or an upgrade finds
# them there. Why it matters: a process that has to strip the types of one .ts file loads Node's
# TypeScript compiler (WebAssembly), about 17 MB that stay for the life of the process; with the
# cache the daemon also skips parsing Baileys: about 25 MB less in all.
# Run by install-service.sh and start.sh; harmless to run again (entries that did not change are kept).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
source "$root/scripts/node-env.sh" 2>/dev/null
export NODE_COMPILE_CACHE="${NODE_COMPILE_CACHE:-$NANOKIMI_COMPILE_CACHE}"
mkdir -p "$NODE_COMPILE_CACHE"
# With the daemon's own flags: V8's flags are part of the cache's key, and entries made without
# them would be a cache the daemon never reads.
read -ra flags <<< "$("$root/scripts/daemon-node-flags.sh")"
# The entry point, then `start`'s whole module graph (importing it starts nothing: start() does).
node "${flags[@]}" "$root/src/cli.ts" help >/dev/null
node "${flags[@]}" --input-type=module -e "await import('$root/src/cli/start.ts')"
