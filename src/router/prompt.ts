/**
 * @module Turns a group's pending messages into the agent's input. Pure. Message text is escaped so
 * that nobody in a chat can forge a message, a sender or an instruction block. Files that came with
 * the messages are named by their path in the agent's container; the newest photos also go to the
 * model as images.
 */
import { GROUP_MOUNT } from '@nanokimi/protocol/container';
import { MAX_PROMPT_IMAGE_BYTES as MAX_IMAGE_BYTES, MAX_PROMPT_IMAGES as MAX_IMAGES } from '@nanokimi/protocol/ipc';
import { attachmentKindWords, type StoredAttachment, type StoredMessage } from '../domain.ts';

export type PromptImage = { file: string; mimeType: string };
export type Prompt = { text: string; images: PromptImage[] };

const escapeXml = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

// One formatter per time zone: each new Intl.DateTimeFormat costs ICU tens of kilobytes outside
// the JS heap that the garbage collector does not see, and a prompt formats every message's time.
const timeFormats = new Map<string, Intl.DateTimeFormat>();

export function formatTime(ms: number, timeZone: string): string {
  let f = timeFormats.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('sv-SE', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' });
    timeFormats.set(timeZone, f);
  }
  return f.format(new Date(ms));
}

/** `shown`: whether the model also gets it as an image, or why not; absent for files that are not photos. */
function formatAttachment(a: StoredAttachment, shown?: string): string {
  const attrs: [string, string | number | undefined][] = [
    ['kind', attachmentKindWords[a.kind]], ['type', a.mimeType], ['name', a.fileName],
    ['path', 'file' in a ? `${GROUP_MOUNT}/${a.file}` : undefined], ['bytes', a.sizeBytes], ['seconds', a.seconds],
    ['missing', 'missing' in a ? a.missing : undefined], ['shown', shown],
  ];
  const open = `<attachment ${attrs.filter(([, v]) => v !== undefined).map(([k, v]) => `${k}="${escapeXml(String(v))}"`).join(' ')}`;
  if ('file' in a && a.transcript !== undefined) {
    return `${open}><transcript source="machine">${escapeXml(a.transcript)}</transcript></attachment>`;
  }
  if (a.kind === 'voice' && 'file' in a) return `${open}>No transcript: listen to the file if you can.</attachment>`;
  return `${open}/>`;
}

export function formatMessage(m: StoredMessage, timeZone: string, shown?: string): string {
  const quoted = m.quoted ? `<quoted sender="${escapeXml(m.quoted.senderName)}">${escapeXml(m.quoted.text)}</quoted>` : '';
  const file = m.attachment ? formatAttachment(m.attachment, shown) : '';
  return `<message sender="${escapeXml(m.senderName)}" time="${formatTime(m.sentAt, timeZone)}">${quoted}${escapeXml(m.text)}${file}</message>`;
}

const isPhoto = (a: StoredAttachment | undefined): a is StoredAttachment & { file: string } =>
  !!a && a.kind === 'image' && 'file' in a;

/** Which of the messages' photos the model sees (the newest few, none too large), and a reason for each left out. */
function choosePhotos(messages: readonly StoredMessage[]): Map<number, string> {
  const shown = new Map<number, string>();
  let count = 0;
  for (const m of [...messages].reverse()) {
    if (!isPhoto(m.attachment)) continue;
    if ((m.attachment.sizeBytes ?? 0) > MAX_IMAGE_BYTES) shown.set(m.seq, `no: over ${MAX_IMAGE_BYTES / 1024 / 1024} MB; open the file to look at it`);
    else if (count >= MAX_IMAGES) shown.set(m.seq, `no: only the ${MAX_IMAGES} newest photos are shown; open the file to look at it`);
    else { count++; shown.set(m.seq, 'yes'); }
  }
  return shown;
}

/**
 * The newest messages that fit in `maxChars`, oldest first, and the photos among them the model
 * gets as images. Anything older that did not fit is not dropped silently: the prompt says how many
 * messages were left out and from when.
 */
export function formatPrompt(messages: readonly StoredMessage[], opts: { timeZone: string; maxChars: number }): Prompt {
  let size = 0;
  let i = messages.length - 1;
  for (; i >= 0; i--) {
    const length = formatMessage(messages[i]!, opts.timeZone).length;
    // Always keep the newest message, even alone over the limit: it is the one being answered.
    if (i < messages.length - 1 && size + length + 1 > opts.maxChars) break;
    size += length + 1;
  }
  const kept = messages.slice(i + 1);
  const shown = choosePhotos(kept);
  const lines = kept.map((m) => formatMessage(m, opts.timeZone, shown.get(m.seq)));
  const omitted = i + 1;
  if (omitted > 0) {
    const first = formatTime(messages[0]!.sentAt, opts.timeZone);
    lines.unshift(`<omitted count="${omitted}">${omitted} older messages since ${first} were left out to fit the size limit.</omitted>`);
  }
  const images = kept.filter((m) => shown.get(m.seq) === 'yes')
    .map((m) => { const a = m.attachment as StoredAttachment & { file: string }; return { file: a.file, mimeType: a.mimeType }; });
  return { text: `<messages>\n${lines.join('\n')}\n</messages>`, images };
}
