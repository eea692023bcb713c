/** @module All the per-aggregate stores over one database, built together. */
import type { Db } from './db.ts';
import { createGroupCommit } from './group-commit.ts';
import { createGroupStore } from './groups.ts';
import { createMessageStore } from './messages.ts';
import { createOutboxStore } from './outbox.ts';
import { createRunStore } from './runs.ts';
import { createTaskStore } from './tasks.ts';

/**
 * `now` stamps what the stores record (replies queued and sent, runs, sessions). `commitSoon` is
 * the database's one group commit: writes that can wait for the end of the event loop's turn go
 * through it, so a burst commits with one fsync.
 */
export function createStores(db: Db, now: () => number = Date.now) {
  const commitSoon = createGroupCommit(db);
  return {
    db,
    commitSoon,
    groups: createGroupStore(db, now),
    messages: createMessageStore(db, commitSoon),
    outbox: createOutboxStore(db, now),
    runs: createRunStore(db, now),
    tasks: createTaskStore(db),
  };
}

export type Stores = ReturnType<typeof createStores>;
