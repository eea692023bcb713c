import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../logger.ts';
import { ensureIpcDirs } from './ipc-dirs.ts';
import { startIpcWatcher, type IpcWatcher } from './watcher.ts';

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
