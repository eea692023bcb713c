/** @module The data shapes shared across modules: messages, groups, replies. No behaviour here. */

export type AttachmentKind = 'image' | 'sticker' | 'video' | 'audio' | 'voice' | 'document';

/** How each kind reads in words, to the agent. */
export const attachmentKindWords: Readonly<Record<AttachmentKind, string>> = {
  image: 'image', sticker: 'sticker', video: 'video', audio: 'audio', voice: 'voice note', document: 'document',
};

/** A file that came with a message, as the channel describes it before anything is downloaded. */
export type AttachmentInfo = {
  kind: AttachmentKind;
  mimeType: string;
  /** The name the sender gave a document; free text from the chat. */
  fileName?: string;
  /** As the channel reports it, before download. */
  sizeBytes?: number;
  /** Length of a voice note, audio or video. */
  seconds?: number;
};

/**
 * An attachment as stored with its message: the file, relative to the group's folder (the agent's
 * /workspace/group), with a voice note's machine transcript when there is one; or why there is no file.
 */
export type StoredAttachment = AttachmentInfo & ({ file: string; transcript?: string } | { missing: string });

/** What a reply quoted: who wrote it and its text (or a description such as "[image]"). */
export type Quoted = { senderName: string; text: string };
/** As the channel sees it: also the quoted message's id, to find its sender's name among the stored. */
export type InboundQuoted = Quoted & { id?: string };

/** A message as a channel hands it to the router, before it is stored. */
export type InboundMessage = {
  chatJid: string;
  /** The channel's own id for the message; (chatJid, id) is unique and used to drop duplicates. */
  id: string;
  senderId: string;
  /** The sender's other identity, when the channel knows one (WhatsApp: the phone JID of a LID sender). */
  senderAltId?: string;
  senderName: string;
  text: string;
  /** Milliseconds since the epoch, as the channel reports it. */
  sentAt: number;
  /** Set by the channel when the message mentions the assistant natively (e.g. WhatsApp's @ picker). */
  mentionsAssistant?: boolean;
  /** Set by the channel when the message replies to one of the assistant's messages. */
  repliesToAssistant?: boolean;
  chatName?: string;
  isGroupChat?: boolean;
  /** Written by the owner of the number the assistant runs on (WhatsApp: fromMe). */
  fromOwner?: boolean;
  attachment?: AttachmentInfo;
  quoted?: InboundQuoted;
};

export type StoredMessage = {
  seq: number;
  chatJid: string;
  groupFolder: string | null;
  msgId: string;
  senderId: string;
  senderName: string;
  text: string;
  sentAt: number;
  triggers: boolean;
  attachment?: StoredAttachment;
  quoted?: Quoted;
};

/** Per-group overrides of the container defaults (stored as JSON with the group). */
export type ContainerSettings = {
  memoryMb?: number;
  cpus?: number;
  pids?: number;
  network?: 'bridge' | 'none';
  /** Host folders to mount at /workspace/extra/<name>, if the mount allowlist permits. */
  extraMounts?: { hostPath: string; name: string; readWrite?: boolean }[];
};

export type Group = {
  folder: string;
  jid: string;
  name: string;
  requiresTrigger: boolean;
  isMain: boolean;
  container: ContainerSettings;
  /** Who may wake the assistant here (sender ids or phone numbers); absent: anyone in the chat. */
  allowedSenders?: readonly string[];
  createdAt: number;
};

/** A file an agent sends: a copy the host made at once, outside anything a container can write. */
export type OutboundFile = {
  /** The host's copy (data/outbox-files/...), removed once sent. */
  path: string;
  fileName: string;
  mimeType: string;
  kind: 'image' | 'video' | 'audio' | 'voice' | 'document';
  bytes: number;
};

/** The message a reply answers, for a channel that can show the reply as an answer to it. */
export type QuoteRef = { id: string; senderId: string; text: string };

export type OutboxRow = {
  id: number;
  groupFolder: string;
  chatJid: string;
  /** The reply, or the caption of `file`. */
  text: string;
  attempts: number;
  file?: OutboundFile;
  quote?: QuoteRef;
};

/** The local channel addresses a group by folder; its chat id lives in its own namespace. */
export const LOCAL_JID_PREFIX = 'local:';
export const localJid = (folder: string) => `${LOCAL_JID_PREFIX}${folder}`;
