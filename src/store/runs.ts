/** @module Agent runs: which group, what the agent was given, how it ended. */
import type { Db } from './db.ts';

export type RunKind = 'chat' | 'task';
export type OpenRun = { id: number; groupFolder: string; kind: RunKind; chatJid: string; deliveredSeq: number | null };

export function createRunStore(db: Db, now: () => number = Date.now) {
  const start = db.prepare(`INSERT INTO runs (group_folder, kind, task_id, chat_jid, delivered_seq, status, attempt, started_at)
    VALUES (?, ?, ?, ?, ?, 'running', ?, ?)`);
  const deliver = db.prepare('UPDATE runs SET delivered_seq = ? WHERE id = +? AND delivered_seq = +?');
  const finish = db.prepare('UPDATE runs SET status = ?, ended_at = ?, error = ? WHERE id = +?');
  const latestOpen = db.prepare(`SELECT id, group_folder AS groupFolder, kind, chat_jid AS chatJid,
    delivered_seq AS deliveredSeq FROM runs WHERE group_folder = +? AND status = 'running' ORDER BY id DESC LIMIT 1`);
  const interruptAll = db.prepare(`UPDATE runs SET status = 'interrupted', ended_at = ? WHERE status = 'running'`);

  return {
    start(groupFolder: string, kind: RunKind, chatJid: string, deliveredSeq: number | null, attempt: number,
      taskId?: string): number {
      return Number(start.run(groupFolder, kind, taskId ?? null, chatJid, deliveredSeq, attempt, now()).lastInsertRowid);
    },
    /**
     * Records that the agent of this run is given messages up to `seq`, where the record still says
     * `was` (the caller's view; a hand-over not written takes it back the same way).
     */
    delivered(runId: number, seq: number, was: number): void {
      if (deliver.run(seq, runId, was).changes !== 1) throw new Error(`run ${runId} no longer records messages up to ${was} as delivered`);
    },
    finish: (runId: number, status: 'done' | 'failed', error?: string) => {
      finish.run(status, now(), error ?? null, runId);
    },
    /** The group's run that was still going, in this process or in one that died. */
    latestOpen: (groupFolder: string) => latestOpen.get(groupFolder) as OpenRun | undefined,
    /** At start-up, runs left 'running' by a previous process are over. */
    interruptAll: () => interruptAll.run(now()).changes,
  };
}
