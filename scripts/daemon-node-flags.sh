#!/usr/bin/env bash
# Prints the Node flags the daemon runs with. Their one source is the unit's ExecStart
# (systemd/nanokimi.service says why each is there); start.sh runs the daemon with them, and
# warm-compile-cache.sh fills the cache with them, since V8's flags are part of the cache's key.
set -euo pipefail
unit="$(cd "$(dirname "$0")/.." && pwd)/systemd/nanokimi.service"
flags="$(sed -n 's|^ExecStart=@NODE@ \(.*\) @ROOT@/src/cli\.ts start$|\1|p' "$unit")"
if [ -z "$flags" ]; then
  echo "daemon-node-flags.sh: no 'ExecStart=@NODE@ <flags> @ROOT@/src/cli.ts start' line in $unit" >&2
  exit 1
fi
echo "$flags"
