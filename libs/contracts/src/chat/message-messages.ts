import type { MessagePosted } from './message-events';
import { z } from 'zod';
import { boundedTimestamp, uuid } from '../validation';

/** A message's payload: a JSON object of at most 64 KiB once serialised. */
export const MESSAGE_PAYLOAD_MAX_BYTES = 64 * 1024;
export const MESSAGE_LIST_DEFAULT_LIMIT = 200;
export const MESSAGE_LIST_MAX_LIMIT = 1000;

const messageType = z
  .string({ message: 'must be a string' })
  .regex(/^[a-z][a-z0-9_.-]{0,63}$/, 'must be 1-64 characters of a-z, 0-9, "_", "." or "-", starting with a letter (e.g. task_update)');

const payload = z.record(z.string(), z.unknown(), { message: 'must be a JSON object' }).superRefine((value, ctx) => {
  const size = Buffer.byteLength(JSON.stringify(value), 'utf8');
  if (size > MESSAGE_PAYLOAD_MAX_BYTES) {
    ctx.addIssue({ code: 'custom', message: `must serialise to at most ${MESSAGE_PAYLOAD_MAX_BYTES} bytes (64 KiB) of JSON, got ${size}` });
  }
});

const timestamp = boundedTimestamp();

export const PostMessageInput = z.strictObject({
  threadId: uuid(),
  /** Optional: ties a thread without a project to this one; on a thread tied to a project it must match. */
  projectId: uuid().nullable().optional(),
  taskId: uuid().nullable().optional(),
  senderId: uuid(),
  messageType,
  payload,
});
export type PostMessageInput = z.infer<typeof PostMessageInput>;

/** At least one of threadId, projectId and taskId is required (checked by the service, with its own message). */
export const ListMessagesInput = z.strictObject({
  threadId: uuid().optional(),
  projectId: uuid().optional(),
  taskId: uuid().optional(),
  /** Only messages posted strictly after this time. */
  since: timestamp.optional(),
  /** Most messages answered, oldest first: page on with `since` = the last one's postedAt. */
  limit: z
    .number({ message: 'must be a whole number' })
    .int('must be a whole number')
    .min(1, `must be between 1 and ${MESSAGE_LIST_MAX_LIMIT}`)
    .max(MESSAGE_LIST_MAX_LIMIT, `must be between 1 and ${MESSAGE_LIST_MAX_LIMIT}`)
    .default(MESSAGE_LIST_DEFAULT_LIMIT),
});
export type ListMessagesInput = z.infer<typeof ListMessagesInput>;

type MessagePostedData = MessagePosted['data'];

/** A chat message as every surface shows it: the posted event plus its place in the thread. */
export interface MessageView extends MessagePostedData {
  /** Zero-based place of the message in its thread. */
  sequence: number;
}
