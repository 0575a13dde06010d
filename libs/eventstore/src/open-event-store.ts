import type { Pool } from 'pg';
import type { EventStore } from './event-store';
import { EventStoreDbEventStore } from './eventstoredb/eventstoredb-event-store';
import { PostgresEventStore } from './postgres/postgres-event-store';

/** EventStoreDB when EVENTSTORE_URL is set; otherwise the Postgres event store on the given pool. */
export async function openEventStore(options: { eventstoreUrl: string | null; pool: Pool; embedded: boolean; schema: string }): Promise<EventStore> {
  if (options.eventstoreUrl) return EventStoreDbEventStore.connect(options.eventstoreUrl);
  // The embedded PGlite has a single session: LISTEN from another "connection" would never fire.
  return PostgresEventStore.open({ pool: options.pool, schema: options.schema, listen: !options.embedded, idlePollMs: options.embedded ? 100 : 250 });
}
