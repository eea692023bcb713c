/**
 * @module Turns a group's pending messages into the agent's input. Pure. Message text is escaped so
 * that nobody in a chat can forge a message, a sender or an instruction block.
 */
import type { StoredMessage } from '../domain.ts';

const escapeXml = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export function formatTime(ms: number, timeZone: string): string {
  return new Intl.DateTimeFormat('sv-SE', {
    timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit',
  }).format(new Date(ms));
}

export function formatMessage(m: StoredMessage, timeZone: string): string {
  return `<message sender="${escapeXml(m.senderName)}" time="${formatTime(m.sentAt, timeZone)}">${escapeXml(m.text)}</message>`;
}

/**
 * The newest messages that fit in `maxChars`, oldest first. Anything older that did not fit is not
 * dropped silently: the prompt says how many messages were left out and from when.
 */
export function formatPrompt(messages: readonly StoredMessage[], opts: { timeZone: string; maxChars: number }): string {
  const lines: string[] = [];
  let size = 0;
  let i = messages.length - 1;
  for (; i >= 0; i--) {
    const line = formatMessage(messages[i]!, opts.timeZone);
    // Always keep the newest message, even alone over the limit: it is the one being answered.
    if (lines.length > 0 && size + line.length + 1 > opts.maxChars) break;
    lines.unshift(line);
    size += line.length + 1;
  }
  const omitted = i + 1;
  if (omitted > 0) {
    const first = formatTime(messages[0]!.sentAt, opts.timeZone);
    lines.unshift(`<omitted count="${omitted}">${omitted} older messages since ${first} were left out to fit the size limit.</omitted>`);
  }
  return `<messages>\n${lines.join('\n')}\n</messages>`;
}
