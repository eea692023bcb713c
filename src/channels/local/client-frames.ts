/**
 * @module What a terminal sends the daemon over the local channel. The daemon reads these from whoever
 * reaches its socket, so they are checked with zod, bounds included; the other direction is in protocol.ts.
 */
import { z } from 'zod';

export const clientFrameSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('hello'), group: z.string().min(1).max(64), name: z.string().min(1).max(64).optional() }),
  z.strictObject({ type: z.literal('message'), id: z.string().min(1).max(100), text: z.string().min(1).max(64_000) }),
  z.strictObject({ type: z.literal('ack'), key: z.string().min(1).max(100) }),
]);

export type ClientFrame = z.infer<typeof clientFrameSchema>;
