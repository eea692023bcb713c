/** @module Whether a message wakes the assistant. Pure: the channel has already set its flags. */
import type { Group, InboundMessage } from '../domain.ts';
import { LOCAL_JID_PREFIX } from '../domain.ts';

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** "@Kai" as a word of its own, anywhere in the text, any case: "hey @kai!" yes, "@Kaiser" no. */
export function mentionsTrigger(text: string, trigger: string): boolean {
  const word = new RegExp(`(^|[^\\p{L}\\p{N}_@])${escapeRegExp(trigger)}(?![\\p{L}\\p{N}_])`, 'iu');
  return word.test(text);
}

/**
 * Whether this sender may wake the assistant in the group: anyone, unless the group lists its
 * senders. An entry is a sender id (a LID or a phone JID) or a phone number (digits, with or
 * without "+"), matched against both identities WhatsApp gives a sender.
 */
export function senderMayWake(msg: InboundMessage, group: Group): boolean {
  // The owner's own number may always wake its assistant.
  if (!group.allowedSenders || msg.fromOwner) return true;
  const ids = [msg.senderId, msg.senderAltId].filter((x): x is string => !!x);
  const user = (jid: string) => jid.split('@')[0]!.split(':')[0]!;
  return group.allowedSenders.some((entry) => {
    const e = entry.trim().replace(/^\+/, '');
    return ids.some((id) => id === e || (/^\d+$/.test(e) && user(id) === e));
  });
}

/** `assistantName` as configured now: "@Kai" wakes it, in every group, also after a rename. */
export function shouldTrigger(msg: InboundMessage, group: Group, assistantName: string): boolean {
  // Someone at the terminal (`nanokimi chat`) is always talking to the assistant.
  if (msg.chatJid.startsWith(LOCAL_JID_PREFIX)) return true;
  // Others' messages still reach the agent as the conversation; they just do not wake it.
  if (!senderMayWake(msg, group)) return false;
  if (group.isMain || !group.requiresTrigger) return true;
  if (msg.mentionsAssistant || msg.repliesToAssistant) return true;
  return mentionsTrigger(msg.text, `@${assistantName}`);
}
