import { beforeEach, describe, expect, it } from 'vitest';
import type { Group } from '../domain.ts';
import { openDb } from './db.ts';
import { createGroupStore } from './groups.ts';

const group = (over: Partial<Group> = {}): Group => ({
  folder: 'family', jid: '123@g.us', name: 'Family', trigger: '@Kai', requiresTrigger: true, isMain: false,
  container: {}, createdAt: 1_000, ...over,
});

describe('group store', () => {
  let groups: ReturnType<typeof createGroupStore>;
  beforeEach(() => { groups = createGroupStore(openDb(':memory:')); });

  it('stores a group and finds it by folder and by jid', () => {
    const g = group({ container: { memoryMb: 512 }, requiresTrigger: false });
    groups.insert(g);
    expect(groups.get('family')).toEqual(g);
    expect(groups.byJid('123@g.us')).toEqual(g);
    expect(groups.get('missing')).toBeUndefined();
  });

  it('keeps who may wake the assistant, and forgets the list again for anyone', () => {
    groups.insert(group());
    expect(groups.get('family')!.allowedSenders).toBeUndefined();
    groups.setAllowedSenders('family', ['+34600111222', '187222456274981@lid']);
    expect(groups.get('family')!.allowedSenders).toEqual(['+34600111222', '187222456274981@lid']);
    groups.setAllowedSenders('family', null);
    expect(groups.get('family')!.allowedSenders).toBeUndefined();
  });

  it('lists the main group first', () => {
    groups.insert(group({ folder: 'alpha', jid: 'a@g.us' }));
    groups.insert(group({ folder: 'main', jid: 'm@s.whatsapp.net', isMain: true }));
    expect(groups.list().map((g) => g.folder)).toEqual(['main', 'alpha']);
  });

  it('starts a cursor at 0', () => {
    expect(groups.cursor('family')).toBe(0);
  });

  it('moves the cursor forward only; an older seq never rewinds it', () => {
    groups.advanceCursor('family', 10);
    expect(groups.cursor('family')).toBe(10);
    groups.advanceCursor('family', 4);
    expect(groups.cursor('family')).toBe(10);
    groups.advanceCursor('family', 25);
    expect(groups.cursor('family')).toBe(25);
    expect(groups.cursor('work')).toBe(0);
  });

  it('keeps the latest session id per group', () => {
    expect(groups.session('family')).toBeUndefined();
    groups.saveSession('family', 's1');
    groups.saveSession('family', 's2');
    expect(groups.session('family')).toBe('s2');
  });
});
