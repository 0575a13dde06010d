import type { MessagePosted, MessageView } from '@autocoder/contracts';
import { isoTimestampSql } from '../json-rows';
import { MessageRow } from './message-row.entity';

export const messageViewOfEvent = (data: MessagePosted['data'], sequence: number): MessageView => ({ ...data, sequence });

export function messageRowOfEvent(data: MessagePosted['data'], sequence: number, position: number): MessageRow {
  return Object.assign(new MessageRow(), {
    messageId: data.messageId,
    threadId: data.threadId,
    projectId: data.projectId,
    taskId: data.taskId,
    senderId: data.senderId,
    messageType: data.messageType,
    payload: data.payload,
    postedAt: new Date(data.postedAt),
    sequence,
    position: String(position),
  });
}

/**
 * A message as lists show it, made by Postgres from the messages row `m` for `row_to_json`: its
 * fields in the order lists have always had, the time as toISOString writes it.
 */
export const messageViewColumnsSql = (m: string) =>
  [
    `${m}.message_id AS "messageId"`,
    `${m}.thread_id AS "threadId"`,
    `${m}.project_id AS "projectId"`,
    `${m}.task_id AS "taskId"`,
    `${m}.sender_id AS "senderId"`,
    `${m}.message_type AS "messageType"`,
    `${m}.payload AS "payload"`,
    `${isoTimestampSql(`${m}.posted_at`)} AS "postedAt"`,
    `${m}.sequence AS "sequence"`,
  ].join(', ');
