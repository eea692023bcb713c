/** @module All the per-aggregate stores over one database, built together. */
import type { Db } from './db.ts';
import { createGroupStore } from './groups.ts';
import { createMessageStore } from './messages.ts';
import { createOutboxStore } from './outbox.ts';
import { createRunStore } from './runs.ts';
import { createTaskStore } from './tasks.ts';

export function createStores(db: Db) {
  return {
    db,
    groups: createGroupStore(db),
    messages: createMessageStore(db),
    outbox: createOutboxStore(db),
    runs: createRunStore(db),
    tasks: createTaskStore(db),
  };
}

export type Stores = ReturnType<typeof createStores>;
