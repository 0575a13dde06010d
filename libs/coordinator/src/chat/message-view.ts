import type { MessagePosted, MessageView } from '@autocoder/contracts';
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

export const messageViewOfRow = (row: MessageRow): MessageView => ({
  messageId: row.messageId,
  threadId: row.threadId,
  projectId: row.projectId,
  taskId: row.taskId,
  senderId: row.senderId,
  messageType: row.messageType,
  payload: row.payload,
  postedAt: row.postedAt.toISOString(),
  sequence: row.sequence,
});
