/**
 * @module Group commit. With synchronous=FULL every commit waits for the disk (an fsync, about
 * 0.3 ms here, the main thread blocked all along); a burst of messages, replies and sends would
 * pay it once per write. Writes asked for in the same turn of the event loop instead commit
 * together, in one transaction: one fsync for all of them.
 *
 * A write runs later than it is asked for (in the check phase of this turn), so it reads what it
 * needs inside itself, and the caller acts on it only once the promise settles: then it is durable.
 * A write touches the database only: it may run twice (see `commit`), and the undo between makes
 * that one effect. One that throws fails alone.
 */
import type { Db } from './db.ts';

/** Runs `write` in the next group commit; resolves with its result once it is durable. */
export type CommitSoon = <T>(write: () => T) => Promise<T>;

type Waiting = { write: () => unknown; resolve: (value: unknown) => void; reject: (err: unknown) => void };
type Outcome = { ok: true; value: unknown } | { ok: false; err: unknown };

/** A write threw on the fast path: the transaction is undone and the turn runs again, a savepoint per write. */
class WriteFailed extends Error {}

export function createGroupCommit(db: Db): CommitSoon {
  let waiting: Waiting[] = [];

  /** Runs the batch in one transaction; with `savepoints`, each write in one of its own, so one that throws fails alone. */
  function runBatch(batch: Waiting[], savepoints: boolean): Outcome[] {
    const outcomes: Outcome[] = [];
    db.transaction(() => {
      for (const w of batch) {
        // SQLite ends a transaction on its own after some errors (disk full, I/O): what follows
        // would run outside it, so the batch stops here and fails as a whole.
        if (!db.inTransaction) throw new Error('the transaction was rolled back by SQLite');
        if (!savepoints) {
          try { outcomes.push({ ok: true, value: w.write() }); } catch { throw new WriteFailed(); }
          continue;
        }
        try { outcomes.push({ ok: true, value: db.transaction(w.write)() }); } catch (err) { outcomes.push({ ok: false, err }); }
      }
    })();
    return outcomes;
  }

  function commit(): void {
    const batch = waiting;
    waiting = [];
    let outcomes: Outcome[];
    try {
      // Almost no write throws, and a savepoint costs about a third of a message's insert
      // (bench/store-writes.ts): the turn runs without them first.
      try { outcomes = runBatch(batch, false); } catch (err) {
        if (!(err instanceof WriteFailed)) throw err;
        outcomes = runBatch(batch, true);
      }
    } catch (err) {
      for (const w of batch) w.reject(err);
      return;
    }
    batch.forEach((w, i) => {
      const o = outcomes[i]!;
      if (o.ok) w.resolve(o.value); else w.reject(o.err);
    });
  }

  return <T>(write: () => T) => new Promise<T>((resolve, reject) => {
    if (waiting.push({ write, resolve: resolve as (v: unknown) => void, reject }) === 1) setImmediate(commit);
  });
}
