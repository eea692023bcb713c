/** @module Whether a message wakes the assistant. Pure: the channel has already set its flags. */
import type { Group, InboundMessage } from '../domain.ts';
import { LOCAL_JID_PREFIX } from '../domain.ts';

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** "@Kai" as a word of its own, anywhere in the text, any case: "hey @kai!" yes, "@Kaiser" no. */
export function mentionsTrigger(text: string, trigger: string): boolean {
  const word = new RegExp(`(^|[^\\p{L}\\p{N}_@])${escapeRegExp(trigger)}(?![\\p{L}\\p{N}_])`, 'iu');
  return word.test(text);
}

export function shouldTrigger(msg: InboundMessage, group: Group): boolean {
  // Someone at the terminal (`nanokimi chat`) is always talking to the assistant.
  if (msg.chatJid.startsWith(LOCAL_JID_PREFIX)) return true;
  if (group.isMain || !group.requiresTrigger) return true;
  if (msg.mentionsAssistant || msg.repliesToAssistant) return true;
  return mentionsTrigger(msg.text, group.trigger);
}
