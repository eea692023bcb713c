/**
 * @module What the systemd unit gives the daemon's Node (its flags, malloc arenas), read from
 * `systemd/nanokimi.service`, so a benchmark's figures are the service's.
 */
import fs from 'node:fs';
import path from 'node:path';

export function serviceNode(): { nodeArgs: string[]; env: Record<string, string> } {
  const unit = fs.readFileSync(path.join(import.meta.dirname, '../systemd/nanokimi.service'), 'utf8');
  // The same line scripts/daemon-node-flags.sh reads; V8 flags are refused in NODE_OPTIONS.
  const flags = /^ExecStart=@NODE@ (.*) @ROOT@\/src\/cli\.ts start$/m.exec(unit)?.[1];
  if (flags === undefined) throw new Error('no "ExecStart=@NODE@ <flags> @ROOT@/src/cli.ts start" line in systemd/nanokimi.service');
  const arenas = /^Environment="MALLOC_ARENA_MAX=(\d+)"$/m.exec(unit)?.[1];
  return { nodeArgs: flags.split(' '), env: arenas ? { MALLOC_ARENA_MAX: arenas } : {} };
}
