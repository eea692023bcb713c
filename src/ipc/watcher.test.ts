import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createRecorder } from '../../test/fixtures/event-recorder.ts';
import { silentLogger } from '../logger.ts';
import { ensureIpcDirs } from './ipc-dirs.ts';
import { MAX_IPC_FILE_BYTES } from '@nanokimi/protocol/ipc';
import { openFailure, readEntry, startIpcWatcher, type IpcWatcher } from './watcher.ts';

let root: string;
let watcher: IpcWatcher | undefined;
const seen: { folder: string; name: string; content: string }[] = [];

beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'nk-watch-'));
  seen.length = 0;
});
afterEach(async () => { await watcher?.stop(); fs.rmSync(root, { recursive: true, force: true }); });

function start(verdict: (content: string) => { ok: true } | { ok: false; reason: string } = () => ({ ok: true })) {
  const ipcDir = path.join(root, 'ipc');
  ensureIpcDirs(ipcDir, 'alpha');
  watcher = startIpcWatcher({ ipcDir, folders: () => ['alpha'], log: silentLogger(), rescanMs: 60_000,
    process: async (folder, _source, name, content) => { seen.push({ folder, name, content }); return verdict(content); } });
  return ipcDir;
}

describe('the IPC watcher', () => {
  it('processes each file once, in name order, and removes it', async () => {
    const ipcDir = start();
    await watcher!.drain('alpha');
    for (const n of ['2.json', '1.json', '.3.json.tmp']) fs.writeFileSync(path.join(ipcDir, 'alpha/messages', n), n);
    await watcher!.drain('alpha');
    expect(seen.map((s) => s.name)).toEqual(['1.json', '2.json']);
    expect(fs.readdirSync(path.join(ipcDir, 'alpha/messages'))).toEqual(['.3.json.tmp']);
  });

  it('moves a refused file to errors/ with its reason beside it', async () => {
    const ipcDir = start(() => ({ ok: false, reason: 'nope' }));
    fs.writeFileSync(path.join(ipcDir, 'alpha/tasks/bad.json'), '{}');
    await watcher!.drain('alpha');
    expect(fs.readFileSync(path.join(ipcDir, 'alpha/errors/bad.json.reason'), 'utf8')).toBe('nope\n');
    expect(fs.existsSync(path.join(ipcDir, 'alpha/errors/bad.json'))).toBe(true);
  });

  it('never reads through a messages/ directory the agent swapped for a symlink to a host folder', async () => {
    const ipcDir = start(() => ({ ok: false, reason: 'not JSON' }));
    const hostSecrets = path.join(root, 'host-secrets');
    fs.mkdirSync(hostSecrets);
    fs.writeFileSync(path.join(hostSecrets, 'id_rsa'), 'PRIVATE KEY');
    fs.rmSync(path.join(ipcDir, 'alpha/messages'), { recursive: true });
    fs.symlinkSync(hostSecrets, path.join(ipcDir, 'alpha/messages'));
    await watcher!.drain('alpha');
    expect(seen).toEqual([]);
    expect(fs.readFileSync(path.join(hostSecrets, 'id_rsa'), 'utf8')).toBe('PRIVATE KEY');
    expect(fs.lstatSync(path.join(ipcDir, 'alpha/messages')).isDirectory()).toBe(true);
    expect(fs.readdirSync(path.join(ipcDir, 'alpha/errors'))).toEqual([]);
  });

  it('does not quarantine into an errors/ directory swapped for a symlink', async () => {
    const ipcDir = start(() => ({ ok: false, reason: 'bad' }));
    const elsewhere = path.join(root, 'elsewhere');
    fs.mkdirSync(elsewhere);
    fs.rmSync(path.join(ipcDir, 'alpha/errors'), { recursive: true });
    fs.symlinkSync(elsewhere, path.join(ipcDir, 'alpha/errors'));
    fs.writeFileSync(path.join(ipcDir, 'alpha/messages/x.json'), 'x');
    await watcher!.drain('alpha');
    expect(fs.readdirSync(elsewhere)).toEqual([]);
    expect(fs.readdirSync(path.join(ipcDir, 'alpha/errors')).sort()).toEqual(['x.json', 'x.json.reason']);
  });

  it('never writes a reason through a link the agent planted in errors/', async () => {
    const ipcDir = start(() => ({ ok: false, reason: 'bad' }));
    const hostFile = path.join(root, 'host-file');
    fs.writeFileSync(hostFile, 'keep');
    fs.symlinkSync(hostFile, path.join(ipcDir, 'alpha/errors/x.json.reason'));
    fs.writeFileSync(path.join(ipcDir, 'alpha/messages/x.json'), 'x');
    await watcher!.drain('alpha');
    expect(fs.readFileSync(hostFile, 'utf8')).toBe('keep');
    expect(fs.lstatSync(path.join(ipcDir, 'alpha/errors/x.json.reason')).isFile()).toBe(true);
  });
});

describe('what the watcher tells', () => {
  it('tells of each file once its fate is on disk: processed and gone, refused beside its reason, or left to try again', async () => {
    const ipcDir = path.join(root, 'ipc');
    ensureIpcDirs(ipcDir, 'alpha');
    const events = createRecorder();
    const dir = path.join(ipcDir, 'alpha');
    const onDisk: Record<string, unknown> = {};
    watcher = startIpcWatcher({ ipcDir, folders: () => ['alpha'], log: silentLogger(), rescanMs: 60_000,
      emit: (e) => {
        if (e.type.startsWith('ipc-')) {
          const { file, source } = e as { file: string; source: string };
          onDisk[file] = { left: fs.existsSync(path.join(dir, source, file)), reason: fs.existsSync(path.join(dir, 'errors', `${file}.reason`)) };
        }
        events.emit(e);
      },
      process: async (_folder, _source, name) => {
        if (name === '3.json') throw new Error('database is locked');
        return name === '2.json' ? { ok: false, reason: 'nope' } : { ok: true };
      } });
    for (const n of ['1.json', '2.json']) fs.writeFileSync(path.join(dir, 'messages', n), n);
    fs.writeFileSync(path.join(dir, 'tasks', '3.json'), '3');
    await watcher.drain('alpha');
    expect(events.of('ipc-processed')).toEqual([{ type: 'ipc-processed', group: 'alpha', source: 'messages', file: '1.json' }]);
    expect(events.of('ipc-refused')).toEqual([{ type: 'ipc-refused', group: 'alpha', source: 'messages', file: '2.json', reason: 'nope' }]);
    // A held file is tried again at every change or scan, and each try says so.
    expect(events.of('ipc-held').length).toBeGreaterThan(0);
    for (const held of events.of('ipc-held')) expect(held).toEqual({ type: 'ipc-held', group: 'alpha', source: 'tasks', file: '3.json', error: 'database is locked' });
    expect(onDisk).toEqual({ '1.json': { left: false, reason: false }, '2.json': { left: false, reason: true }, '3.json': { left: true, reason: false } });
  });
});

describe('when processing fails (the database busy, the disk full)', () => {
  it('keeps the file and the ones after it, in order, and processes them once it can', async () => {
    let broken = true;
    const ipcDir = start();
    await watcher!.stop();
    seen.length = 0;
    watcher = startIpcWatcher({ ipcDir, folders: () => ['alpha'], log: silentLogger(), rescanMs: 60_000,
      process: async (folder, _source, name, content) => {
        if (broken) throw Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' });
        seen.push({ folder, name, content });
        return { ok: true };
      } });
    for (const n of ['1.json', '2.json']) fs.writeFileSync(path.join(ipcDir, 'alpha/messages', n), n);
    await watcher.drain('alpha');
    expect(fs.readdirSync(path.join(ipcDir, 'alpha/messages')).sort()).toEqual(['1.json', '2.json']);
    expect(fs.readdirSync(path.join(ipcDir, 'alpha/errors'))).toEqual([]);
    broken = false;
    await watcher.drain('alpha');
    expect(seen.map((s) => s.name)).toEqual(['1.json', '2.json']);
    expect(fs.readdirSync(path.join(ipcDir, 'alpha/messages'))).toEqual([]);
  });
});

describe('an IPC entry the watcher cannot open', () => {
  it('is refused only for its own kind; other errors leave it for the next scan', () => {
    expect(openFailure('ENOENT')).toBe('gone');
    for (const code of ['ELOOP', 'ENXIO', 'EISDIR']) expect(openFailure(code)).toBe('refuse');
    for (const code of ['EACCES', 'EPERM', 'EMFILE', 'ENFILE', 'EIO', undefined]) expect(openFailure(code)).toBe('retry');
  });

  it('reads a regular file whole and refuses links, directories, FIFOs and files over the limit by what they are', () => {
    const at = (n: string) => path.join(root, n);
    fs.writeFileSync(at('reply.json'), '{"type":"message","text":"héllo"}');
    expect(readEntry(at('reply.json'))).toEqual({ content: '{"type":"message","text":"héllo"}' });
    fs.writeFileSync(at('empty.json'), '');
    expect(readEntry(at('empty.json'))).toEqual({ content: '' });
    fs.symlinkSync(at('reply.json'), at('link.json'));
    expect(readEntry(at('link.json'))).toEqual({ openFailed: 'ELOOP' });
    expect(readEntry(at('gone.json'))).toEqual({ openFailed: 'ENOENT' });
    fs.mkdirSync(at('dir.json'));
    expect(readEntry(at('dir.json'))).toEqual({ refused: expect.stringContaining('not a regular file') });
    // A FIFO nobody writes to would block a plain open for reading forever.
    spawnSync('mkfifo', [at('fifo.json')]);
    expect(readEntry(at('fifo.json'))).toEqual({ refused: expect.stringContaining('not a regular file') });
    fs.writeFileSync(at('big.json'), Buffer.alloc(MAX_IPC_FILE_BYTES + 1, 0x20));
    expect(readEntry(at('big.json'))).toEqual({ refused: `file is ${MAX_IPC_FILE_BYTES + 1} bytes; the limit is ${MAX_IPC_FILE_BYTES}` });
  });

  // In a process of its own, as another user when we are root: permissions must apply to the watcher.
  async function childWatcher(ipcDir: string) {
    const asOther = process.getuid!() === 0 ? { uid: 1000, gid: 1000 } : {};
    const child = spawn(process.execPath, [path.join(import.meta.dirname, '../../test/fixtures/watcher-child.ts'), ipcDir],
      { ...asOther, stdio: ['pipe', 'pipe', 'inherit'] });
    const lines: Record<string, unknown>[] = [];
    let waiting: (() => void) | undefined;
    readline.createInterface({ input: child.stdout }).on('line', (l) => { lines.push(JSON.parse(l)); if (l.includes('"drained"')) waiting?.(); });
    child.on('exit', (code) => { lines.push({ exited: code }); waiting?.(); });
    return {
      lines,
      drain: () => new Promise<void>((r) => { waiting = r; child.stdin.write('drain\n'); }),
      stop: () => new Promise<void>((r) => { child.on('exit', () => r()); child.stdin.end(); }),
    };
  }

  it('keeps a reply it may not read (EACCES), says so once, and delivers it once it can', async () => {
    fs.chmodSync(root, 0o755);
    const ipcDir = path.join(root, 'ipc');
    ensureIpcDirs(ipcDir, 'alpha');
    for (const d of ['', 'alpha', 'alpha/messages', 'alpha/tasks', 'alpha/errors', 'alpha/input']) fs.chmodSync(path.join(ipcDir, d), 0o777);
    const reply = path.join(ipcDir, 'alpha/messages/1.json');
    fs.writeFileSync(reply, '{"text":"valid"}');
    fs.chmodSync(reply, 0o000);
    const w = await childWatcher(ipcDir);
    await w.drain();
    await w.drain();
    expect(w.lines.filter((l) => 'seen' in l)).toEqual([]);
    expect(fs.existsSync(reply)).toBe(true);
    expect(fs.readdirSync(path.join(ipcDir, 'alpha/errors'))).toEqual([]);
    const said = w.lines.filter((l) => String(l.msg).startsWith('IPC file cannot be opened (EACCES)'));
    expect(said).toHaveLength(1);

    fs.chmodSync(reply, 0o644);
    await w.drain();
    expect(w.lines.filter((l) => 'seen' in l)).toEqual([{ seen: '1.json' }]);
    expect(fs.existsSync(reply)).toBe(false);
    await w.stop();
  });

  it('says once that a directory cannot be read, and reads it once it can', async () => {
    fs.chmodSync(root, 0o755);
    const ipcDir = path.join(root, 'ipc');
    ensureIpcDirs(ipcDir, 'alpha');
    for (const d of ['', 'alpha', 'alpha/messages', 'alpha/tasks', 'alpha/errors', 'alpha/input']) fs.chmodSync(path.join(ipcDir, d), 0o777);
    fs.writeFileSync(path.join(ipcDir, 'alpha/messages/1.json'), '{"text":"valid"}', { mode: 0o644 });
    fs.chmodSync(path.join(ipcDir, 'alpha/messages'), 0o333);
    const w = await childWatcher(ipcDir);
    await w.drain();
    await w.drain();
    expect(w.lines.filter((l) => 'seen' in l)).toEqual([]);
    expect(w.lines.filter((l) => String(l.msg).startsWith('IPC directory cannot be read (EACCES)'))).toHaveLength(1);
    fs.chmodSync(path.join(ipcDir, 'alpha/messages'), 0o777);
    await w.drain();
    expect(w.lines.filter((l) => 'seen' in l)).toEqual([{ seen: '1.json' }]);
    await w.stop();
  });
});
