import type { Pool, PoolClient } from 'pg';
import type {
  AppendResult,
  EventBatchHandler,
  EventFilter,
  EventStore,
  EventSubscription,
  ExpectedRevision,
  NewEvent,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
  SubscribeOptions,
} from '../event-store';
import { EventIdConflictError, StreamNotFoundError, WrongExpectedRevisionError } from '../errors';
import { validateAppend } from '../append-validation';
import { PollingSubscription, type Wakeable } from '../polling-subscription';
import { appendChannel, assertSchemaName, eventStoreDdl } from './postgres-event-store-schema';

export interface PostgresEventStoreOptions {
  pool: Pool;
  /** Postgres schema holding the store's table and function. */
  schema?: string;
  /**
   * LISTEN for appends from other processes on a dedicated connection. Off for the embedded
   * PGlite, which has one session and so no cross-process notifications; polling covers it.
   */
  listen?: boolean;
  /** How often an idle subscription looks for new events when nothing woke it. */
  idlePollMs?: number;
  /**
   * Appends sent to Postgres at once; appends made meanwhile wait and go together as one batch. All
   * appends take turns at one lock held through the commit, so more in flight only wait for it.
   */
  appendsInFlight?: number;
  /** The most appends one batch (one transaction) carries; 1 sends every append alone. */
  maxAppendsPerBatch?: number;
}

type AppendRow = { outcome: string; current_revision: string | null; last_position: string | null };

/** An append waiting for its turn, or on its way in a batch. */
interface PendingAppend {
  stream: string;
  events: NewEvent[];
  expectedRevision: ExpectedRevision;
  payload: string;
  resolve: (result: AppendResult) => void;
  reject: (error: unknown) => void;
}

const COLUMNS = 'position, event_id, stream_id, revision, type, data, metadata, recorded_at';

type EventRow = {
  position: string;
  event_id: string;
  stream_id: string;
  revision: string;
  type: string;
  data: unknown;
  metadata: RecordedEvent['metadata'];
  recorded_at: Date;
};

const toRecorded = (row: EventRow): RecordedEvent => ({
  id: row.event_id,
  stream: row.stream_id,
  revision: Number(row.revision),
  position: Number(row.position),
  type: row.type,
  data: row.data,
  metadata: row.metadata,
  recordedAt: row.recorded_at.toISOString(),
});

/** Wakes idle subscribers when this process appends or another one notifies. */
class AppendSignal implements Wakeable {
  private waiters = new Set<() => void>();

  waitForEvents(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.waiters.add(done);
    });
  }

  fire() {
    for (const waiter of [...this.waiters]) waiter();
  }
}

export class PostgresEventStore implements EventStore {
  private readonly schema: string;
  private readonly signal = new AppendSignal();
  private readonly subscriptions = new Set<EventSubscription>();
  private listener?: PoolClient;
  private readonly waiting: PendingAppend[] = [];
  private appending = 0;

  private constructor(private readonly options: PostgresEventStoreOptions) {
    this.schema = assertSchemaName(options.schema ?? 'eventstore');
  }

  /** Creates the schema if needed and starts listening for appends from other processes. */
  static async open(options: PostgresEventStoreOptions): Promise<PostgresEventStore> {
    const store = new PostgresEventStore(options);
    await store.migrate();
    if (options.listen ?? true) await store.listen();
    return store;
  }

  private async migrate() {
    const client = await this.options.pool.connect();
    try {
      await client.query('BEGIN');
      // Several processes may start at once; DDL on the same objects must not race.
      await client.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`${this.schema}.migrate`]);
      await client.query(eventStoreDdl(this.schema));
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  private async listen() {
    const listener = await this.options.pool.connect();
    listener.on('notification', () => this.signal.fire());
    // A lost listener only costs latency: idle subscriptions still poll.
    listener.on('error', () => {
      if (this.listener === listener) this.listener = undefined;
    });
    this.listener = listener;
    await this.listener.query(`LISTEN ${appendChannel(this.schema)}`);
  }

  /**
   * Queued behind the appends in flight, and sent with the others queued meanwhile as one batch:
   * one transaction, in order, each append decided as if alone (see append_events_batch).
   */
  async append(stream: string, events: NewEvent[], expectedRevision: ExpectedRevision): Promise<AppendResult> {
    validateAppend(stream, events);
    const payload = JSON.stringify(events.map((e) => ({ id: e.id, type: e.type, data: e.data ?? null, metadata: e.metadata })));
    return new Promise<AppendResult>((resolve, reject) => {
      this.waiting.push({ stream, events, expectedRevision, payload, resolve, reject });
      this.sendAppends();
    });
  }

  private sendAppends() {
    const inFlight = this.options.appendsInFlight ?? 2;
    const perBatch = this.options.maxAppendsPerBatch ?? 64;
    while (this.appending < inFlight && this.waiting.length > 0) {
      const batch = this.waiting.splice(0, perBatch);
      this.appending++;
      void this.sendBatch(batch).finally(() => {
        this.appending--;
        this.sendAppends();
      });
    }
  }

  private async sendBatch(batch: PendingAppend[]) {
    if (batch.length === 1) return this.sendAlone(batch[0]);
    let rows: (AppendRow & { item: number })[];
    try {
      const appends = batch.map((a) => `{"stream":${JSON.stringify(a.stream)},"expected":"${String(a.expectedRevision)}","events":${a.payload}}`);
      ({ rows } = await this.options.pool.query<AppendRow & { item: number }>(
        `SELECT item, outcome, current_revision, last_position FROM ${this.schema}.append_events_batch($1::jsonb)`,
        [`[${appends.join(',')}]`],
      ));
    } catch {
      // Nothing of a failed batch was committed, or all of it was (the answer lost): alone, each
      // append gets its own outcome, a committed one as a duplicate.
      await Promise.all(batch.map((a) => this.sendAlone(a)));
      return;
    }
    for (const row of rows) this.settle(batch[row.item - 1], row);
  }

  private async sendAlone(pending: PendingAppend) {
    try {
      const { rows } = await this.options.pool.query<AppendRow>(
        `SELECT outcome, current_revision, last_position FROM ${this.schema}.append_events($1, $2, $3::jsonb)`,
        [pending.stream, String(pending.expectedRevision), pending.payload],
      );
      this.settle(pending, rows[0]);
    } catch (error) {
      pending.reject(error);
    }
  }

  private settle({ stream, events, expectedRevision, resolve, reject }: PendingAppend, row: AppendRow) {
    const { outcome, current_revision, last_position } = row;
    const current = current_revision === null ? null : Number(current_revision);
    switch (outcome) {
      case 'ok':
      case 'duplicate':
        if (outcome === 'ok' && events.length) this.signal.fire();
        return resolve({
          nextExpectedRevision: current ?? -1,
          position: last_position === null ? -1 : Number(last_position),
          ...(outcome === 'duplicate' ? { duplicate: true } : {}),
        });
      case 'wrong_expected_revision':
        return reject(new WrongExpectedRevisionError(stream, expectedRevision, current));
      case 'event_id_conflict':
        return reject(new EventIdConflictError(stream));
      default:
        return reject(new Error(`unexpected append outcome "${outcome}"`));
    }
  }

  async readStream(stream: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    const from = options.fromRevision ?? 0;
    const { rows } = await this.options.pool.query<EventRow>(
      `SELECT ${COLUMNS} FROM ${this.schema}.events WHERE stream_id = $1 AND revision >= $2 ORDER BY revision LIMIT $3`,
      [stream, from, options.maxCount ?? null],
    );
    if (rows.length === 0 && from === 0) throw new StreamNotFoundError(stream);
    return rows.map(toRecorded);
  }

  async readAll({ after, maxCount, filter }: ReadAllOptions): Promise<RecordedEvent[]> {
    if (!filter) {
      const { rows } = await this.options.pool.query<EventRow>(
        `SELECT ${COLUMNS} FROM ${this.schema}.events WHERE position > $1 ORDER BY position LIMIT $2`,
        [after ?? 0, maxCount],
      );
      return rows.map(toRecorded);
    }
    if (filter.types.length === 0) return [];
    // One range of the (type, position) index per type, each cut at the page size, merged by
    // position: a page costs at most types x maxCount index entries however long the log is. (A
    // plain `type = ANY(...)` would have to sort every matching event after the position.)
    const { rows } = await this.options.pool.query<EventRow>(
      `SELECT ${COLUMNS} FROM ${this.schema}.events
        WHERE position IN (
          SELECT p.position FROM unnest($3::text[]) AS t(type)
           CROSS JOIN LATERAL (
             SELECT e.position FROM ${this.schema}.events e WHERE e.type = t.type AND e.position > $1 ORDER BY e.position LIMIT $2
           ) p
           ORDER BY p.position LIMIT $2)
        ORDER BY position`,
      [after ?? 0, maxCount, [...new Set(filter.types)]],
    );
    return rows.map(toRecorded);
  }

  async headPosition(filter?: EventFilter): Promise<number | null> {
    if (filter && filter.types.length === 0) return null;
    const { rows } = filter
      ? await this.options.pool.query<{ head: string | null }>(
          `SELECT max(h.position) AS head FROM unnest($1::text[]) AS t(type)
            CROSS JOIN LATERAL (SELECT max(e.position) AS position FROM ${this.schema}.events e WHERE e.type = t.type) h`,
          [[...new Set(filter.types)]],
        )
      : await this.options.pool.query<{ head: string | null }>(`SELECT max(position) AS head FROM ${this.schema}.events`);
    return rows[0].head === null ? null : Number(rows[0].head);
  }

  subscribeToAll(options: SubscribeOptions, handler: EventBatchHandler): EventSubscription {
    const subscription = new PollingSubscription(
      (o) => this.readAll(o),
      this.signal,
      options.after,
      handler,
      options.batchSize,
      this.options.idlePollMs,
      options.filter,
    );
    this.subscriptions.add(subscription);
    subscription.done.finally(() => this.subscriptions.delete(subscription)).catch(() => undefined);
    return subscription;
  }

  async close() {
    await Promise.all([...this.subscriptions].map((s) => s.stop()));
    if (this.listener) {
      this.listener.release(true);
      this.listener = undefined;
    }
  }
}
