/**
 * @module The narrow slice of a Baileys socket the channel uses. Production passes a factory around
 * `makeWASocket`; tests pass a fake that is an EventEmitter recording what was sent.
 */
import type { AnyMessageContent, AuthenticationCreds, AuthenticationState, ConnectionState, GroupMetadata, WAMessage, WAMessageKey, proto } from '@whiskeysockets/baileys';

export type WaEvents = {
  'connection.update': Partial<ConnectionState>;
  'creds.update': Partial<AuthenticationCreds>;
  'messages.upsert': { messages: WAMessage[]; type: 'notify' | 'append' };
  'groups.upsert': GroupMetadata[];
  'groups.update': Partial<GroupMetadata>[];
  'group-participants.update': { id: string };
};

export interface WaSocket {
  ev: {
    on<K extends keyof WaEvents>(event: K, listener: (arg: WaEvents[K]) => void): void;
    removeAllListeners(event: keyof WaEvents): void;
  };
  user?: { id: string; lid?: string; name?: string };
  sendMessage(jid: string, content: AnyMessageContent, options?: { messageId?: string; quoted?: WAMessage }): Promise<WAMessage | undefined>;
  sendPresenceUpdate(type: 'composing' | 'paused', jid: string): Promise<void>;
  groupFetchAllParticipating(): Promise<Record<string, GroupMetadata>>;
  groupMetadata(jid: string): Promise<GroupMetadata>;
  /** Asks the sender's phone to upload a message's media again; resolves with the message's new location. */
  updateMediaMessage(msg: WAMessage): Promise<WAMessage>;
  requestPairingCode(phoneNumber: string): Promise<string>;
  end(error: Error | undefined): void;
}

/** Baileys' retry-counter cache shape: kept outside the socket so it survives reconnects. */
export type CounterCache = {
  get<T>(key: string): T | undefined; set<T>(key: string, value: T): void; del(key: string): void; flushAll(): void;
};

export type WaSocketOptions = {
  auth: AuthenticationState;
  getMessage: (key: WAMessageKey) => Promise<proto.IMessage | undefined>;
  cachedGroupMetadata: (jid: string) => Promise<GroupMetadata | undefined>;
  msgRetryCounterCache: CounterCache;
};

export type WaSocketFactory = (options: WaSocketOptions) => WaSocket;
