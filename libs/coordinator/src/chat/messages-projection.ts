import type { MessagePosted, MessageView } from '@autocoder/contracts';
import type { RecordedEvent } from '@autocoder/eventstore';
import type { Projection } from '@autocoder/projections';
import type { EntityManager } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { MessageRow } from './message-row.entity';
import { messageRowOfEvent, messageViewOfEvent } from './message-view';

/**
 * The chat messages: each MessagePosted becomes one row, filed under its thread's project. A thread
 * may start without a project; the message that ties it to one files the thread's earlier messages
 * under that project as well, so a query by project finds the whole thread. Both follow from the
 * events alone, in their order, so a replay writes the same rows.
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
    // A thread's project never changes once set, so filing its unfiled rows under it is the same
    // whichever of its messages does it (and a no-op, through the partial index, once done).
    const tied = new Map(posted.filter((e) => e.data.projectId !== null).map((e) => [e.data.threadId, e.data.projectId!]));
    for (const [threadId, projectId] of tied) {
      await tx
        .createQueryBuilder()
        .update(MessageRow)
        .set({ projectId })
        .where('thread_id = :threadId AND project_id IS NULL', { threadId })
        .execute();
    }
    // Only the posted messages are news for subscribers; earlier ones filed under the project are not.
    return posted.map((e) => messageViewOfEvent(e.data, e.revision));
  }
}
