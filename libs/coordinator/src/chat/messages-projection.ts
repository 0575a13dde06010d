import type { MessageView, ThreadEvent } from '@autocoder/contracts';
import { HandlerProjection, type EventHandlers, type Recorded } from '@autocoder/projections';
import type { EntityManager } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { MessageRow } from './message-row.entity';
import { messageRowOfEvent, messageViewOfEvent } from './message-view';

interface MessagesBatch {
  rows: MessageRow[];
  views: MessageView[];
}

/** Each message becomes one row; messages never change, so the row follows from the event alone. */
export const messagesHandlers: EventHandlers<ThreadEvent, MessagesBatch> = {
  MessagePosted: (e, batch) => {
    batch.rows.push(messageRowOfEvent(e.data, e.revision, e.position));
    batch.views.push(messageViewOfEvent(e.data, e.revision));
  },
};

/**
 * The chat messages: each MessagePosted becomes one row. Messages never change, so the row follows
 * from the event alone (and a replay writes the same row over itself).
 */
export class MessagesProjection extends HandlerProjection<ThreadEvent, MessagesBatch, MessageView> {
  readonly name = 'coordinator.messages';
  readonly tables: string[];
  protected readonly handlers = messagesHandlers;

  constructor(schema: string) {
    super();
    this.tables = [`${schema}.messages`];
  }

  protected async begin(_events: Recorded<ThreadEvent>[]): Promise<MessagesBatch> {
    return { rows: [], views: [] };
  }

  protected async finish({ rows, views }: MessagesBatch, tx: EntityManager): Promise<MessageView[]> {
    if (rows.length === 0) return [];
    // Messages never change: a row already there is the same message.
    await tx.createQueryBuilder().insert().into(MessageRow).values(rows as QueryDeepPartialEntity<MessageRow>[]).orIgnore().execute();
    return views;
  }
}
