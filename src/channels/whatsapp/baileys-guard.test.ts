/**
 * Every Baileys symbol the channel relies on exists in the pinned version: a Baileys upgrade that
 * renames one fails here, not in production.
 */
import fs from 'node:fs';
import path from 'node:path';
import * as baileys from '@whiskeysockets/baileys';
import { describe, expect, it } from 'vitest';

describe('the pinned Baileys', () => {
  it('is exactly 7.0.0-rc14', () => {
    const pkg = JSON.parse(fs.readFileSync(path.resolve(import.meta.dirname, '../../../node_modules/@whiskeysockets/baileys/package.json'), 'utf8'));
    expect(pkg.version).toBe('7.0.0-rc14');
    const ours = JSON.parse(fs.readFileSync(path.resolve(import.meta.dirname, '../../../package.json'), 'utf8'));
    expect(ours.dependencies['@whiskeysockets/baileys']).toBe('7.0.0-rc14');
  });

  it.each(['makeWASocket', 'Browsers', 'BufferJSON', 'initAuthCreds', 'jidNormalizedUser', 'normalizeMessageContent',
    'getContentType', 'isJidGroup', 'isJidStatusBroadcast', 'proto', 'DisconnectReason'])('exports %s', (name) => {
    expect((baileys as Record<string, unknown>)[name]).toBeDefined();
  });

  it('keeps the close codes the policy is written for', () => {
    expect(baileys.DisconnectReason).toMatchObject({ loggedOut: 401, connectionReplaced: 440, restartRequired: 515,
      forbidden: 403, timedOut: 408, connectionClosed: 428 });
  });

  it('its pure helpers behave as the channel expects', () => {
    expect(baileys.jidNormalizedUser('15550001111:7@s.whatsapp.net')).toBe('15550001111@s.whatsapp.net');
    expect(baileys.getContentType(baileys.normalizeMessageContent({ ephemeralMessage: { message: { conversation: 'x' } } }))).toBe('conversation');
    const round = JSON.parse(JSON.stringify({ b: Buffer.from([1, 2]) }, baileys.BufferJSON.replacer), baileys.BufferJSON.reviver);
    expect(Buffer.isBuffer(round.b)).toBe(true);
  });

  it('is imported only inside src/channels/whatsapp/', () => {
    const src = path.resolve(import.meta.dirname, '../..');
    const runtimeImport = /^import (?!type )[^;]*from '@whiskeysockets\/baileys'/m;
    const offenders = fs.readdirSync(src, { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.ts') && !f.startsWith(path.join('channels', 'whatsapp')))
      .filter((f) => runtimeImport.test(fs.readFileSync(path.join(src, f), 'utf8')));
    expect(offenders).toEqual([]);
  });
});
