/**
 * @module The production socket factory: `makeWASocket` with the options that matter for a bot
 * (see the Baileys facts): not shown online, no full history sync, no QR printing of its own.
 */
import { Browsers, makeWASocket } from '@whiskeysockets/baileys';
import type { Logger } from '../../logger.ts';
import type { WaSocket, WaSocketFactory } from './socket-port.ts';

export function baileysSocketFactory(log: Logger, extra: { waWebSocketUrl?: string } = {}): WaSocketFactory {
  // Baileys logs a great deal at info; only its warnings and errors reach our log.
  const logger = log.child({ component: 'baileys' }, { level: 'warn' });
  return (o) => makeWASocket({
    auth: o.auth,
    getMessage: o.getMessage,
    cachedGroupMetadata: o.cachedGroupMetadata,
    msgRetryCounterCache: o.msgRetryCounterCache,
    logger: logger as never,
    browser: Browsers.ubuntu('NanoKimi'),
    markOnlineOnConnect: false,
    syncFullHistory: false,
    printQRInTerminal: false,
    ...(extra.waWebSocketUrl ? { waWebSocketUrl: extra.waWebSocketUrl } : {}),
  }) as unknown as WaSocket;
}
