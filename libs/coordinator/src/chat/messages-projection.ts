import type { MessageView, ThreadEvent } from '@autocoder/contracts';
import { HandlerProjection, type EventHandlers, type Recorded } from '@autocoder/projections';
import type { EntityManager } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { MessageRow } from './message-row.entity';
import { messageRowOfEvent, messageViewOfEvent } from './message-view';

interface MessagesBatch {
  rows: MessageRow[];
  views: MessageView[];
  /** Threads a message of this batch ties to a project: thread id -> project id. */
  tied: Map<string, string>;
}

/** Each message becomes one row; messages never change, so the row follows from the event alone. */
export const MESSAGES_PROJECTION = 'coordinator.messages';

export const messagesHandlers: EventHandlers<ThreadEvent, MessagesBatch> = {
  MessagePosted: (e, batch) => {
    batch.rows.push(messageRowOfEvent(e.data, e.revision, e.position));
    batch.views.push(messageViewOfEvent(e.data, e.revision));
    if (e.data.projectId !== null) batch.tied.set(e.data.threadId, e.data.projectId);
  },
};

/**
 * The chat messages: each MessagePosted becomes one row, filed under its thread's project. A thread
 * may start without a project; the message that ties it to one files the thread's earlier messages
 * under that project as well, so a query by project finds the whole thread. Both follow from the
 * events alone, in their order, so a replay writes the same rows.
 */
export class MessagesProjection extends HandlerProjection<ThreadEvent, MessagesBatch, MessageView> {
  readonly name = MESSAGES_PROJECTION;
  readonly tables: string[];
  protected readonly handlers = messagesHandlers;

  constructor(schema: string) {
    super();
    this.tables = [`${schema}.messages`];
  }

  protected async begin(_events: Recorded<ThreadEvent>[]): Promise<MessagesBatch> {
    return { rows: [], views: [], tied: new Map() };
  }

  protected async finish({ rows, views, tied }: MessagesBatch, tx: EntityManager): Promise<MessageView[]> {
    if (rows.length === 0) return [];
    // Messages never change: a row already there is the same message.
    await tx.createQueryBuilder().insert().into(MessageRow).values(rows as QueryDeepPartialEntity<MessageRow>[]).orIgnore().execute();
    // A thread's project never changes once set, so filing its unfiled rows under it is the same
    // whichever of its messages does it (and a no-op, through the partial index, once done).
    for (const [threadId, projectId] of tied) {
      await tx.createQueryBuilder().update(MessageRow).set({ projectId }).where('thread_id = :threadId AND project_id IS NULL', { threadId }).execute();
    }
    // Only the posted messages are news for subscribers; earlier ones filed under the project are not.
    return views;
  }
}
