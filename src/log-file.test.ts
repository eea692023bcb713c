import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { createRollingFile } from './log-file.ts';

let dir: string;
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const write = (s: NodeJS.WritableStream, text: string) => new Promise<void>((r) => s.write(text, () => r()));

it('appends lines and rolls over at the size limit, keeping the newest old files', async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nk-log-'));
  const file = path.join(dir, 'logs', 'nanokimi.log');
  const stream = createRollingFile(file, { maxBytes: 100, keep: 2 });
  for (let i = 0; i < 8; i++) await write(stream, `${JSON.stringify({ n: i, pad: 'x'.repeat(30) })}\n`);
  const lines = (f: string) => fs.readFileSync(f, 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { n: number }).n);
  expect(lines(file)).toEqual([6, 7]);
  expect(lines(`${file}.1`)).toEqual([4, 5]);
  expect(lines(`${file}.2`)).toEqual([2, 3]);
  expect(fs.existsSync(`${file}.3`)).toBe(false);
});
