import type { RecordedEvent } from '@autocoder/eventstore';
import type { EntityManager } from 'typeorm';

/**
 * A read model: how a batch of events changes its rows. `apply` runs inside the transaction that
 * also moves the checkpoint, so rows and checkpoint never disagree. It must depend on nothing but
 * the events and the rows, so that a rebuild from event zero gives the same rows.
 */
export interface Projection<Change = unknown> {
  name: string;
  /** Tables the projection owns (schema-qualified): emptied on rebuild. */
  tables: string[];
  /** Returns what changed, handed to the projector's listeners after the commit. */
  apply(events: RecordedEvent[], tx: EntityManager): Promise<Change[]>;
}
