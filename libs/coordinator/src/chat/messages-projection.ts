import type { MessagePosted, MessageView } from '@autocoder/contracts';
import type { RecordedEvent } from '@autocoder/eventstore';
import type { Projection } from '@autocoder/projections';
import type { EntityManager } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { MessageRow } from './message-row.entity';
import { messageRowOfEvent, messageViewOfEvent } from './message-view';

/**
 * The chat messages: each MessagePosted becomes one row. Messages never change, so the row follows
 * from the event alone (and a replay writes the same row over itself).
 */
export class MessagesProjection implements Projection<MessageView> {
  readonly name = 'coordinator.messages';
  readonly tables: string[];

  constructor(schema: string) {
    this.tables = [`${schema}.messages`];
  }

  async apply(events: RecordedEvent[], tx: EntityManager): Promise<MessageView[]> {
    const posted = events.filter((e) => e.type === 'MessagePosted') as RecordedEvent<'MessagePosted', MessagePosted['data']>[];
    if (posted.length === 0) return [];
    // Messages never change: a row already there is the same message.
    const rows = posted.map((e) => messageRowOfEvent(e.data, e.revision, e.position));
    await tx.createQueryBuilder().insert().into(MessageRow).values(rows as QueryDeepPartialEntity<MessageRow>[]).orIgnore().execute();
    return posted.map((e) => messageViewOfEvent(e.data, e.revision));
  }
}
