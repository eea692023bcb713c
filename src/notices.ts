/**
 * @module The sentences NanoKimi itself sends (not the agent's replies): each says what went wrong
 * and what happens next or what to do. Pure; who hears which, and once per what key, is the
 * caller's (outbox/notify.ts). The service-failure notice sits with its note (ops/service-failure.ts).
 */
import type { Group, InboundMessage } from './domain.ts';

/** To the chat that waited, once the last attempt failed; `why` is the failure's own sentence. */
export const couldNotAnswer = (assistantName: string, why: string) =>
  `${assistantName} could not answer: ${why} Your message is kept; it will be tried again with your next message.`;

/** To main, when the Kimi login is gone: no group is answered until it is fixed. */
export const cannotAnswerAnywhere = (assistantName: string, why: string) => `${assistantName} cannot answer anywhere: ${why}`;

/** To the task's chat, when a scheduled run failed. */
export const taskFailed = (taskId: string, why: string) => `Scheduled task ${taskId} failed: ${why}`;

/** To main, when someone not on a group's list of senders tried to wake the assistant: who, and the command that lets them. */
export function refusedWake(assistantName: string, group: Pick<Group, 'name' | 'folder' | 'allowedSenders'>,
  msg: Pick<InboundMessage, 'senderName' | 'senderId' | 'senderAltId'>): string {
  // The phone number where the channel knows one, else the id; without the @domain either way.
  const sender = (msg.senderAltId ?? msg.senderId).split('@')[0];
  return `${msg.senderName} (${sender}) tried to wake ${assistantName} in "${group.name}", where only ` +
    `${group.allowedSenders?.join(', ') || 'nobody'} may. To let them: ` +
    `nanokimi groups set ${group.folder} --senders ${[...(group.allowedSenders ?? []), sender].join(',')}`;
}

/** To main, when a group's reply carried the Kimi login token and was not sent. */
export const replyWithheld = (assistantName: string, folder: string) =>
  `A reply from the group "${folder}" was withheld: it contained ${assistantName}'s Kimi login token. ` +
  'Nothing was sent. If you did not ask for it, someone in that group may be trying to extract credentials; ' +
  'consider logging in again (kimi login, then scripts/setup-oauth-isolation.sh).';

/** To main, when a reply could not be delivered and was set aside; `error` is cut to 300 characters. */
export const replyNotDelivered = (chatJid: string, folder: string, error: string) =>
  `A reply to ${chatJid} (group "${folder}") could not be delivered: ${error.slice(0, 300)}. ` +
  'It is kept (nanokimi doctor lists it) and the replies after it went on.';
