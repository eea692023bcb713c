/** NanoKimi's own notices: stored once per key, then the sender is woken and the fact told. */
import { expect, it } from 'vitest';
import { createRecorder } from '../../test/fixtures/event-recorder.ts';
import { openDb } from '../store/db.ts';
import { createOutboxStore } from '../store/outbox.ts';
import { createNotifier } from './notify.ts';

it('queues a notice once per key, wakes the sender for it and tells of it, and does nothing for the same key again', () => {
  const outbox = createOutboxStore(openDb(':memory:'));
  const events = createRecorder();
  const woken: string[] = [];
  const stored: unknown[] = [];
  const notify = createNotifier({ outbox, wake: (jid) => woken.push(jid),
    emit: (e) => { stored.push(outbox.next('local:main')?.text); events.emit(e); } });
  notify('main', 'local:main', 'The service had failed.', 'service-failed/1');
  notify('main', 'local:main', 'The service had failed.', 'service-failed/1');
  expect(outbox.next('local:main')).toMatchObject({ text: 'The service had failed.', groupFolder: 'main' });
  expect(woken).toEqual(['local:main']);
  expect(events.events).toEqual([{ type: 'reply-queued', group: 'main', chatJid: 'local:main', outboxId: 1,
    sourceKey: 'service-failed/1', runId: null }]);
  expect(stored).toEqual(['The service had failed.']);
});
