import type { EventStore, EventSubscription, RecordedEvent } from '@autocoder/eventstore';
import type { Logger } from '@autocoder/platform';
import type { DataSource } from 'typeorm';
import type { Projection } from './projection';

export interface ProjectorOptions<Change> {
  store: EventStore;
  dataSource: DataSource;
  projection: Projection<Change>;
  /** Schema holding the service's `projection_checkpoints` table. */
  schema: string;
  logger: Logger;
  /** Called after each committed batch with what the projection reported as changed. */
  onCommitted?: (changes: Change[], lastPosition: number) => void;
  batchSize?: number;
}

/**
 * Follows the event store from the projection's checkpoint and writes its read model. The event
 * read and the write transaction never overlap, which the embedded PGlite (one query at a time
 * across connections) requires.
 */
class CheckpointMovedBack extends Error {}

export class Projector<Change = unknown> {
  private subscription?: EventSubscription;
  private position: number | null = null;
  private positionWaiters: { position: number; resolve: () => void }[] = [];
  private restartTimer?: NodeJS.Timeout;
  private running = false;

  constructor(private readonly options: ProjectorOptions<Change>) {}

  get name() {
    return this.options.projection.name;
  }

  get tables() {
    return this.options.projection.tables;
  }

  get checkpoint() {
    return this.position;
  }

  async start() {
    this.running = true;
    this.position = await this.readCheckpoint();
    this.follow();
  }

  async stop() {
    this.running = false;
    clearTimeout(this.restartTimer);
    await this.subscription?.stop();
    this.subscription = undefined;
  }

  /** Resolves once everything up to `position` is in the read model. */
  async waitFor(position: number, timeoutMs = 30_000): Promise<void> {
    if (this.position !== null && this.position >= position) return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`projection ${this.name} did not reach position ${position} in ${timeoutMs} ms`)), timeoutMs);
      this.positionWaiters.push({ position, resolve: () => (clearTimeout(timer), resolve()) });
    });
  }

  /** Empties the read model and replays every event from zero; resolves when caught up. */
  async rebuild(): Promise<{ eventsReplayed: number }> {
    await this.stop();
    const { dataSource, projection, schema } = this.options;
    await dataSource.transaction(async (tx) => {
      for (const table of projection.tables) await tx.query(`DELETE FROM ${table}`);
      await tx.query(`UPDATE ${schema}.projection_checkpoints SET position = -1, updated_at = now() WHERE name = $1`, [projection.name]);
    });
    const head = await this.headPosition();
    let replayed = 0;
    this.running = true;
    this.position = null;
    this.follow((count) => (replayed += count));
    if (head !== null) await this.waitFor(head, 10 * 60_000);
    return { eventsReplayed: replayed };
  }

  private async headPosition(): Promise<number | null> {
    let after: number | null = null;
    // The store has no "last position" call; page to the end (rebuilds are rare).
    for (;;) {
      const page = await this.options.store.readAll({ after, maxCount: 5000 });
      if (page.length === 0) return after;
      after = page[page.length - 1].position;
    }
  }

  private follow(onBatch?: (count: number) => void) {
    const subscription = this.options.store.subscribeToAll(
      { after: this.position, batchSize: this.options.batchSize ?? 500 },
      async (events) => {
        await this.project(events);
        onBatch?.(events.length);
      },
    );
    this.subscription = subscription;
    subscription.done.catch((error) => {
      if (!this.running || this.subscription !== subscription) return;
      const resync = error instanceof CheckpointMovedBack;
      if (!resync) this.options.logger.error({ err: error, projection: this.name, position: this.position }, 'projection stopped; restarting from its checkpoint');
      this.restartTimer = setTimeout(
        () => {
          if (this.running) this.readCheckpoint().then((p) => ((this.position = p), this.follow(onBatch)));
        },
        resync ? 0 : 1000,
      );
    });
  }

  private async project(events: RecordedEvent[]) {
    const { dataSource, projection, schema } = this.options;
    const last = events[events.length - 1].position;
    const changes = await dataSource.transaction(async (tx) => {
      // Several instances of a service may project at once: the row lock serialises them and
      // the filter keeps any of them from applying an event twice or moving the checkpoint back.
      const [row] = await tx.query(`SELECT position FROM ${schema}.projection_checkpoints WHERE name = $1 FOR UPDATE`, [projection.name]);
      const done = Number(row.position);
      // Another instance rebuilt the projection since this one last read: start over from there.
      if (done < (this.position ?? -1)) throw new CheckpointMovedBack();
      const fresh = events.filter((e) => e.position > done);
      if (fresh.length === 0) return [];
      const result = await projection.apply(fresh, tx);
      await tx.query(`UPDATE ${schema}.projection_checkpoints SET position = $2, updated_at = now() WHERE name = $1`, [projection.name, last]);
      return result;
    });
    this.position = last;
    this.options.onCommitted?.(changes, last);
    this.positionWaiters = this.positionWaiters.filter((w) => (w.position <= last ? (w.resolve(), false) : true));
  }

  /** -1 in the table means nothing projected yet. */
  private async readCheckpoint(): Promise<number | null> {
    const { dataSource, schema, projection } = this.options;
    await dataSource.query(
      `INSERT INTO ${schema}.projection_checkpoints (name, position, updated_at) VALUES ($1, -1, now()) ON CONFLICT (name) DO NOTHING`,
      [projection.name],
    );
    const rows: { position: string }[] = await dataSource.query(`SELECT position FROM ${schema}.projection_checkpoints WHERE name = $1`, [
      projection.name,
    ]);
    const position = Number(rows[0].position);
    return position < 0 ? null : position;
  }
}
