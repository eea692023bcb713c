/**
 * @module What the systemd unit gives the daemon's Node (its young-generation size, malloc arenas),
 * read from `systemd/nanokimi.service`, so a benchmark's memory figure is the service's.
 */
import fs from 'node:fs';
import path from 'node:path';

export function serviceEnv(extraNodeOptions = ''): Record<string, string> {
  const unit = fs.readFileSync(path.join(import.meta.dirname, '../systemd/nanokimi.service'), 'utf8');
  const flags = /--max-semi-space-size=\d+/.exec(unit)?.[0] ?? '';
  const arenas = /^Environment="MALLOC_ARENA_MAX=(\d+)"$/m.exec(unit)?.[1];
  return { NODE_OPTIONS: `${flags} ${extraNodeOptions}`.trim(), ...(arenas ? { MALLOC_ARENA_MAX: arenas } : {}) };
}
