/**
 * @module The WhatsApp channel: keeps one Baileys socket connected (reconnect policy from
 * close-policy.ts), turns upserts into InboundMessages for the router, and delivers the outbox's
 * replies in chunks, acknowledging a send only once WhatsApp accepted it.
 */
import { jidNormalizedUser, type AnyMessageContent, type GroupMetadata } from '@whiskeysockets/baileys';
import type { Db } from '../../store/db.ts';
import { ignoreEvents, type Emit } from '../../events.ts';
import type { Logger } from '../../logger.ts';
import { ChannelRefused, ChannelUnavailable, type Channel, type ChannelEvents } from '../channel.ts';
import { createSqliteAuthState } from './auth-store.ts';
import { decideOnClose, type ConnectionStatus } from './close-policy.ts';
import { toInbound, type BotIdentity } from './inbound.ts';
import { closeOpenFences, toWhatsApp } from './format.ts';
import { fileContent, messageIdFor, quotedMessage, splitReply, withPrefix } from './outbound.ts';
import type { CounterCache, WaSocket, WaSocketFactory } from './socket-port.ts';
import { createWaStore } from './wa-store.ts';
import { createSendPace, DEFAULT_PACE, type PaceLimits } from './send-pace.ts';
import { downloadMedia } from './media-download.ts';

export type WhatsAppDeps = {
  db: Db;
  socketFactory: WaSocketFactory;
  assistantName: string;
  /** The bot runs on the owner's own number (a linked device of the owner's phone). */
  sharesOwnerNumber: boolean;
  /** The owner's self-chat is the main group's chat. */
  bindMainChat: (jid: string) => void;
  /** Group chats the account is in, for listing and registering. */
  recordChat: (jid: string, name: string) => void;
  log: Logger;
  /** Timers are a port so tests can watch the reconnect schedule without faking Baileys' own. */
  setTimer?: (fn: () => void, ms: number) => { cancel(): void };
  /** How sends are spaced (DEFAULT_PACE); tests shorten it. */
  pace?: PaceLimits;
  /** The clock that spaces sends; tests pass a virtual one. */
  paceClock?: { now(): number; sleep(ms: number): Promise<void> };
  now?: () => number;
  /** fetch options for WhatsApp's media host; only tests set them, to reach a local one. */
  mediaFetch?: RequestInit;
  emit?: Emit;
};

export type WhatsAppChannel = Channel & { status(): ConnectionStatus };

const WA_JID = /@(s\.whatsapp\.net|g\.us|lid)$/;
const TYPING_REFRESH_MS = 10_000;
/** Tries to store an inbound message, the first wait, doubled each time: 1+2+4+8+16 s in all. */
const STORE_ATTEMPTS = 6;
const STORE_RETRY_MS = 1000;

function mapCache(): CounterCache {
  const m = new Map<string, unknown>();
  return { get: <T>(k: string) => m.get(k) as T | undefined, set: (k, v) => { m.set(k, v); }, del: (k) => { m.delete(k); }, flushAll: () => m.clear() };
}

const defaultTimer = (fn: () => void, ms: number) => { const t = setTimeout(fn, ms); t.unref(); return { cancel: () => clearTimeout(t) }; };

export function createWhatsAppChannel(deps: WhatsAppDeps): WhatsAppChannel {
  const auth = createSqliteAuthState(deps.db);
  const store = createWaStore(deps.db);
  const setTimer = deps.setTimer ?? defaultTimer;
  const retryCounters = mapCache(); // outlives reconnects, as Baileys advises
  const metadata = new Map<string, GroupMetadata>();
  const sending = new Set<string>(); // ids in flight: their echo may arrive before sendMessage resolves
  const typing = new Map<string, { cancel(): void }>();
  const pace = createSendPace(deps.pace ?? DEFAULT_PACE);
  const emit = deps.emit ?? ignoreEvents;
  let sock: WaSocket | undefined;
  let events: ChannelEvents | undefined;
  let status: ConnectionStatus = 'stopped';
  let attempts = 0;
  let reconnect: { cancel(): void } | undefined;
  let stopping = false;
  let upserts = Promise.resolve();

  function setStatus(next: ConnectionStatus, detail = ''): void {
    status = next;
    store.setStatus(next, detail);
  }

  function bot(): BotIdentity | undefined {
    const me = sock?.user ?? auth.state.creds.me;
    if (!me?.id) return undefined;
    return { phoneJid: jidNormalizedUser(me.id), ...(me.lid ? { lid: jidNormalizedUser(me.lid) } : {}) };
  }

  async function refreshGroups(s: WaSocket): Promise<void> {
    try {
      const all = await s.groupFetchAllParticipating();
      for (const g of Object.values(all)) { metadata.set(g.id, g); deps.recordChat(g.id, g.subject ?? ''); }
    } catch (err) {
      deps.log.warn({ err: String(err) }, 'Could not fetch the WhatsApp group list; it will be refreshed on the next connection');
    }
  }

  function scheduleReconnect(ms: number): void {
    reconnect?.cancel();
    reconnect = setTimer(() => { reconnect = undefined; connect(); }, ms);
  }

  function onClose(code: number | undefined, reason: string): void {
    sock = undefined;
    if (stopping) return;
    attempts++;
    const decision = decideOnClose(code, attempts);
    if (decision.action === 'stop') {
      setStatus(decision.status, decision.message);
      deps.log.error({ code }, decision.message); // once: nothing retries after a stop
      return;
    }
    setStatus('connecting', `closed (${code ?? reason}); reconnecting`);
    const delay = decision.action === 'reconnect-now' ? 0 : decision.delayMs;
    deps.log.warn({ code, attempt: attempts, delayMs: delay }, 'WhatsApp connection closed; reconnecting');
    scheduleReconnect(delay);
  }

  async function handleUpsert(messages: Parameters<typeof toInbound>[0][], type: 'notify' | 'append'): Promise<void> {
    const identity = bot();
    if (!identity || !events || stopping) return;
    for (const m of messages) {
      const inbound = toInbound(m, type, {
        bot: identity, assistantName: deps.assistantName, sharesOwnerNumber: deps.sharesOwnerNumber,
        isOwnSentMessage: (id) => sending.has(id) || store.wasSent(id),
        isBotMessage: (_chat, id) => sending.has(id) || store.wasSent(id),
        now: (deps.now ?? Date.now)(),
      });
      if ('skip' in inbound) { deps.log.debug({ id: m.key?.id, reason: inbound.reason }, 'WhatsApp message skipped'); continue; }
      const name = inbound.isGroupChat ? metadata.get(inbound.chatJid)?.subject : undefined;
      const s = sock;
      const fetch = inbound.attachment && s ? (maxBytes: number) => downloadMedia(m, maxBytes,
        { reupload: (x) => s.updateMediaMessage(x), logger: deps.log, ...(deps.mediaFetch ? { fetchOptions: deps.mediaFetch } : {}) }) : undefined;
      // WhatsApp does not deliver a message twice: storing it is retried (the database may be busy
      // for a while), holding back the messages after it so that their order stays.
      for (let attempt = 1; ; attempt++) {
        try {
          await events.onMessage({ ...inbound, ...(name ? { chatName: name } : {}) }, fetch);
          break;
        } catch (err) {
          if (attempt >= STORE_ATTEMPTS || stopping) {
            deps.log.error({ err: String(err), chatJid: inbound.chatJid, id: inbound.id, attempts: attempt },
              'Inbound WhatsApp message could not be stored and is lost; look at the error (disk full? database locked?)');
            break;
          }
          const waitMs = STORE_RETRY_MS * 2 ** (attempt - 1);
          deps.log.warn({ err: String(err), chatJid: inbound.chatJid, id: inbound.id, attempt, retryInMs: waitMs },
            'Inbound WhatsApp message could not be stored yet; trying again');
          emit({ type: 'message-store-retry', chatJid: inbound.chatJid, msgId: inbound.id, attempt, retryInMs: waitMs });
          await new Promise((r) => setTimeout(r, waitMs));
        }
      }
    }
  }

  function connect(): void {
    if (stopping) return;
    if (!auth.hasCreds()) {
      setStatus('linking', 'not linked');
      deps.log.error('WhatsApp is not linked. Run `nanokimi login` on this host, then restart the service.');
      return;
    }
    setStatus('connecting');
    const s = deps.socketFactory({
      auth: auth.state,
      getMessage: async (key) => (key.id ? store.sentContent(key.id) : undefined),
      cachedGroupMetadata: async (jid) => metadata.get(jid),
      msgRetryCounterCache: retryCounters,
    });
    sock = s;
    s.ev.on('creds.update', () => { if (!stopping) auth.saveCreds(); });
    s.ev.on('connection.update', (u) => {
      if (sock !== s) return; // an old socket's late events
      if (u.qr) {
        // Linked creds that still get a QR were rejected: linking is an interactive step, not the service's.
        setStatus('linking', 'WhatsApp asks to link again');
        deps.log.error('WhatsApp asks to link this device again. Run `nanokimi login`, then restart the service.');
        stopping = true;
        s.end(undefined);
        return;
      }
      if (u.connection === 'open') {
        attempts = 0;
        setStatus('connected');
        const me = bot();
        if (me) deps.bindMainChat(me.phoneJid);
        deps.log.info({ me: me?.phoneJid }, 'WhatsApp connected');
        void refreshGroups(s);
        events?.onReady();
      } else if (u.connection === 'close') {
        const err = u.lastDisconnect?.error as { output?: { statusCode?: number }; message?: string } | undefined;
        onClose(err?.output?.statusCode, err?.message ?? 'closed');
      }
    });
    // One upsert at a time, so messages are stored (and get their seq) in the order WhatsApp delivered them.
    s.ev.on('messages.upsert', ({ messages, type }) => { upserts = upserts.then(() => handleUpsert(messages, type))
      .catch((err: unknown) => deps.log.error({ err: String(err) }, 'A WhatsApp upsert could not be handled'))
      .then(() => emit({ type: 'upsert-handled', ids: messages.map((m) => m.key?.id ?? '') })); });
    const forget = (jid?: string | null) => { if (jid) metadata.delete(jid); };
    s.ev.on('groups.upsert', (gs) => gs.forEach((g) => { metadata.set(g.id, g); deps.recordChat(g.id, g.subject ?? ''); }));
    s.ev.on('groups.update', (gs) => gs.forEach((g) => { forget(g.id); if (g.id && g.subject) deps.recordChat(g.id, g.subject); }));
    s.ev.on('group-participants.update', (u) => forget(u.id));
  }

  const clock = deps.paceClock ?? { now: Date.now, sleep: (ms: number) => new Promise<void>((r) => setTimeout(r, ms)) };

  return {
    name: 'whatsapp',
    owns: (jid) => WA_JID.test(jid),
    status: () => status,

    async send(chatJid, text, key, { file, quote } = {}) {
      const s = sock;
      if (!s || status !== 'connected') throw new ChannelUnavailable(`WhatsApp is ${status}`);
      const formatted = text ? withPrefix(toWhatsApp(text), deps.assistantName, deps.sharesOwnerNumber) : '';
      const parts: { content: AnyMessageContent; record: string }[] = [];
      if (file) {
        const { content, captionApart } = fileContent(file, formatted);
        parts.push({ content, record: formatted });
        if (captionApart) parts.push({ content: { text: captionApart }, record: captionApart });
      } else {
        const chunks = closeOpenFences(splitReply(formatted));
        parts.push(...chunks.map((chunk) => ({ content: { text: chunk }, record: chunk })));
      }
      for (const [i, { content, record: chunk }] of parts.entries()) {
        const id = messageIdFor(key, i);
        if (store.wasSent(id)) continue; // delivered by an earlier attempt that died before finishing
        // Spaced per chat and overall: bursts look like spam to WhatsApp (send-pace.ts).
        const wait = pace.reserve(chatJid, clock.now());
        if (wait > 0) await clock.sleep(wait);
        if (sock !== s || status !== 'connected') throw new ChannelUnavailable(`WhatsApp is ${status}`);
        sending.add(id);
        try {
          // The first message shows what it answers; the rest follow it.
          const quoted = quote && i === 0 ? quotedMessage(chatJid, quote, bot()) : undefined;
          await s.sendMessage(chatJid, content, { messageId: id, ...(quoted ? { quoted } : {}) });
          store.recordSent(id, chatJid, chunk);
        } catch (err) {
          // Still connected: WhatsApp refused this message. Otherwise the connection went away mid-send.
          if (status === 'connected' && sock === s) throw new ChannelRefused(`WhatsApp refused the message: ${String(err)}`);
          throw new ChannelUnavailable(`WhatsApp did not accept the message: ${String(err)}`);
        } finally {
          sending.delete(id);
        }
      }
    },

    react(msg, emoji) {
      const s = sock;
      if (!s || status !== 'connected') return;
      // The key of the message as WhatsApp knows it: in a group, who sent it is part of it.
      const key = { remoteJid: msg.chatJid, id: msg.id, fromMe: msg.fromOwner === true,
        ...(msg.isGroupChat && !msg.fromOwner ? { participant: msg.senderId } : {}) };
      s.sendMessage(msg.chatJid, { react: { text: emoji, key } }).catch((err: unknown) =>
        deps.log.debug({ err: String(err), id: msg.id }, 'The acknowledgement reaction could not be sent'));
    },

    setTyping(chatJid, on) {
      typing.get(chatJid)?.cancel();
      typing.delete(chatJid);
      const s = sock;
      if (!s || status !== 'connected') return;
      const presence = (p: 'composing' | 'paused') => void s.sendPresenceUpdate(p, chatJid).catch(() => undefined);
      if (!on) { presence('paused'); return; }
      // WhatsApp drops "composing" after a while: repeat it while the agent works.
      const tick = () => { presence('composing'); typing.set(chatJid, setTimer(tick, TYPING_REFRESH_MS)); };
      tick();
    },

    async start(e) {
      events = e;
      stopping = false;
      connect();
    },

    async stop() {
      stopping = true;
      reconnect?.cancel();
      for (const t of typing.values()) t.cancel();
      typing.clear();
      sock?.end(undefined);
      sock = undefined;
      if (status === 'connected' || status === 'connecting') setStatus('stopped');
    },
  };
}
