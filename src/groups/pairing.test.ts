import { describe, expect, it } from 'vitest';
import { openDb } from '../store/db.ts';
import { createPairing, directChatFolder, pairingCode, parsePairingCommand } from './pairing.ts';

describe('pairing a direct chat', () => {
  it.each([
    ['allow ab12cd', { verb: 'allow', code: 'ab12cd' }],
    ['  Deny AB12CD ', { verb: 'deny', code: 'ab12cd' }],
    ['allow ab12cd please', null],
    ['please allow ab12cd', null],
    ['allow ab12', null],
    ['allow', null],
  ] as const)('%j is %j', (text, expected) => {
    expect(parsePairingCommand(text)).toEqual(expected);
  });

  it('gives each chat a stable six-character code', () => {
    const code = pairingCode('187222456274981@lid');
    expect(code).toMatch(/^[a-z0-9]{6}$/);
    expect(pairingCode('187222456274981@lid')).toBe(code);
    expect(pairingCode('15557654321@s.whatsapp.net')).not.toBe(code);
  });

  it('names the folder after the person\'s number when WhatsApp gives one', () => {
    expect(directChatFolder({ senderId: '187222456274981@lid', senderAltId: '15557654321@s.whatsapp.net' })).toBe('dm-15557654321');
    expect(directChatFolder({ senderId: '15557654321@s.whatsapp.net' })).toBe('dm-15557654321');
  });
});

describe('who is asked about', () => {
  it('people only: not a WhatsApp channel or a broadcast list', () => {
    const told: string[] = [];
    const pairing = createPairing({ db: openDb(':memory:'), assistantName: 'Kai', tellMain: (t) => told.push(t),
      register: () => { throw new Error('not here'); }, adoptChat: () => 0, wake: () => undefined });
    const from = (chatJid: string) => ({ chatJid, id: `m-${chatJid}`, senderId: chatJid, senderName: 'X', text: 'hi', sentAt: 0, isGroupChat: false });
    pairing.unknownDirect(from('120363000000000000@newsletter'));
    pairing.unknownDirect(from('1234567890@broadcast'));
    expect(told).toEqual([]);
    pairing.unknownDirect(from('15557654321@s.whatsapp.net'));
    pairing.unknownDirect(from('15557654321@s.whatsapp.net'));
    expect(told).toHaveLength(1);
  });
});
