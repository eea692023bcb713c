/** @module All the per-aggregate stores over one database, built together. */
import type { Db } from './db.ts';
import { createGroupStore } from './groups.ts';
import { createMessageStore } from './messages.ts';
import { createOutboxStore } from './outbox.ts';
import { createRunStore } from './runs.ts';
import { createTaskStore } from './tasks.ts';

/** `now` stamps what the stores record (replies queued and sent, runs, sessions). */
export function createStores(db: Db, now: () => number = Date.now) {
  return {
    db,
    groups: createGroupStore(db, now),
    messages: createMessageStore(db),
    outbox: createOutboxStore(db, now),
    runs: createRunStore(db, now),
    tasks: createTaskStore(db),
  };
}

export type Stores = ReturnType<typeof createStores>;
